"""API for going live: an item's go-live date and before/after check, and the processes a project
changes (with their go-live dates). Same services and rules as the pages."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.errors import Invalid, NotFound
from twofold.core.policy import Action, can
from twofold.core.web import actor_of
from twofold.engine.improvement_check import PhaseLimits
from twofold.improvement import go_live, selectors
from twofold.improvement.api import ItemOut, _item
from twofold.improvement.models import ProcessChange
from twofold.operations.models import Process
from twofold.projects.api import StrictDate
from twofold.projects.models import Project

router = Router(tags=["improvement"])


class ItemGoLiveIn(BodyIn):
    version: StrictInt
    go_live: StrictDate | None = Field(..., description="YYYY-MM-DD, or null to clear it.")


class CheckPhaseOut(Schema):
    points: int
    centre_line: float
    lower_limit: float
    upper_limit: float


class ImprovementCheckOut(Schema):
    """One KPI's before/after around the item's go-live, judged by the engine's run rules."""

    kpi_id: int
    kpi_name: str
    change_date: dt.date
    verdict: str | None = Field(..., description="improvement confirmed, not yet or no change")
    rule: str | None
    rule_text: str
    explanation: str
    before_points: int
    after_points: int
    points_needed: int
    before: CheckPhaseOut | None
    after: CheckPhaseOut | None


class ProcessChangeOut(Schema):
    id: int
    project_id: int
    process_id: int
    process_name: str
    go_live: dt.date | None
    note: str
    version: int


class ProcessChangeIn(BodyIn):
    process_id: StrictInt
    go_live: StrictDate | None = None
    note: StrictStr = Field("", max_length=300)


class ProcessChangeGoLiveIn(BodyIn):
    version: StrictInt
    go_live: StrictDate | None = Field(..., description="YYYY-MM-DD, or null to clear it.")


def _phase(limits: PhaseLimits | None) -> CheckPhaseOut | None:
    if limits is None:
        return None
    return CheckPhaseOut.model_validate(limits, from_attributes=True)


def _change(link: ProcessChange) -> ProcessChangeOut:
    return ProcessChangeOut(
        id=link.pk,
        project_id=link.project_id,
        process_id=link.process_id,
        process_name=link.process.name,
        go_live=link.go_live,
        note=link.note,
        version=link.version,
    )


def _project(request: HttpRequest, pk: int) -> Project:
    project = Project.objects.filter(pk=pk).first()
    if project is None or not can(request.user, Action.VIEW, project):
        raise NotFound("Project not found.")
    return project


def _link(request: HttpRequest, pk: int) -> ProcessChange:
    link = ProcessChange.objects.select_related("project", "process").filter(pk=pk).first()
    if link is None or not can(request.user, Action.VIEW, link):
        raise NotFound("Process change not found.")
    return link


@router.put(
    "/organisations/{org_id}/improvement/items/{item_id}/go-live",
    response={200: ItemOut, **WRITE},
)
def set_item_go_live(
    request: HttpRequest, org_id: int, item_id: int, payload: ItemGoLiveIn
) -> ItemOut:
    """The day the countermeasure went live: the KPIs get a change point (``go_live`` refused
    on or before a KPI's first value)."""
    org = get_organisation(request.user, org_id)
    item = selectors.get_item(request.user, item_id)
    if item.organisation_id != org.pk:
        raise NotFound("Improvement item not found.")
    go_live.set_item_go_live(
        actor=actor_of(request),
        item=item,
        go_live=payload.go_live,
        expected_version=payload.version,
    )
    return _item(item)


@router.get(
    "/organisations/{org_id}/improvement/items/{item_id}/check",
    response={200: list[ImprovementCheckOut], **READ},
)
def item_check(request: HttpRequest, org_id: int, item_id: int) -> list[ImprovementCheckOut]:
    """Before/after per KPI the go-live marked (empty before go-live)."""
    org = get_organisation(request.user, org_id)
    item = selectors.get_item(request.user, item_id)
    if item.organisation_id != org.pk:
        raise NotFound("Improvement item not found.")
    out = []
    for c in go_live.item_checks(item):
        check = c.check
        out.append(
            ImprovementCheckOut(
                kpi_id=c.kpi.pk,
                kpi_name=c.kpi.name,
                change_date=c.change.date,
                verdict=check.verdict.value if check else None,
                rule=check.rule.value if check and check.rule else None,
                rule_text=check.rule_text if check else "",
                explanation=check.explanation
                if check
                else "Too few points before go-live to judge.",
                before_points=c.before_points,
                after_points=c.after_points,
                points_needed=check.points_needed if check else 0,
                before=_phase(check.before) if check else None,
                after=_phase(check.after) if check else None,
            )
        )
    return out


@router.get("/projects/{pk}/process-changes", response={200: list[ProcessChangeOut], **READ})
def list_process_changes(request: HttpRequest, pk: int) -> list[ProcessChangeOut]:
    project = _project(request, pk)
    links = ProcessChange.objects.filter(project=project).select_related("process")
    return [_change(link) for link in links]


@router.post("/projects/{pk}/process-changes", response={201: ProcessChangeOut, **WRITE})
def link_process(
    request: HttpRequest, pk: int, payload: ProcessChangeIn
) -> Status[ProcessChangeOut]:
    """Say that the project changes a process, optionally with its go-live date."""
    project = _project(request, pk)
    process = Process.objects.filter(
        pk=payload.process_id, organisation_id=project.organisation_id
    ).first()
    if process is None:
        raise Invalid("Choose a process of this organisation.", field="process_id")
    link = go_live.link_process(
        actor=actor_of(request),
        project=project,
        process=process,
        go_live=payload.go_live,
        note=payload.note,
    )
    return Status(201, _change(link))


@router.get(
    "/process-changes/{pk}",
    response={200: ProcessChangeOut, **READ},
    summary="One process change of a project, with its version",
)
def get_process_change(request: HttpRequest, pk: int) -> ProcessChangeOut:
    return _change(_link(request, pk))


@router.put("/process-changes/{pk}/go-live", response={200: ProcessChangeOut, **WRITE})
def set_link_go_live(
    request: HttpRequest, pk: int, payload: ProcessChangeGoLiveIn
) -> ProcessChangeOut:
    link = _link(request, pk)
    go_live.set_link_go_live(
        actor=actor_of(request),
        link=link,
        go_live=payload.go_live,
        expected_version=payload.version,
    )
    return _change(link)


@router.delete("/process-changes/{pk}", response={204: None, **WRITE})
def unlink_process(request: HttpRequest, pk: int, version: int | None = None) -> Status[None]:
    """Unlink the process. ``version``: the link's, as you read it (409 if it changed since)."""
    go_live.unlink_process(
        actor=actor_of(request), link=_link(request, pk), expected_version=version
    )
    return Status(204, None)
