"""API for change control (the same services as the pages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.models import User
from twofold.accounts.selectors import get_organisation
from twofold.changes import selectors, services
from twofold.changes.impact import ItemSpec, compute_impact
from twofold.changes.models import ChangeRequest
from twofold.core.api_schemas import READ, WRITE, BodyIn, ErrorOut
from twofold.core.errors import Invalid
from twofold.core.web import actor_of
from twofold.evm.access import sees_money
from twofold.projects.api import StrictDate
from twofold.projects.models import Project

router = Router(tags=["changes"])

Kind = Literal["add", "remove", "resize", "link"]
Money = Annotated[
    Decimal, Field(ge=Decimal("-99999999999"), le=Decimal("99999999999"), decimal_places=2)
]


class ChangeItemIn(Schema):
    kind: Kind
    task_id: StrictInt | None = None
    name: StrictStr = Field("", max_length=200)
    parent_id: StrictInt | None = None
    predecessor_id: StrictInt | None = None
    days: StrictInt | None = Field(None, ge=0, le=2000)


class ChangeRequestIn(BodyIn):
    title: StrictStr = Field(..., min_length=1, max_length=160)
    reason: StrictStr = Field(..., min_length=1, max_length=20000)
    description: StrictStr = Field("", max_length=20000)
    scope_text: StrictStr = Field("", max_length=20000)
    target_finish: StrictDate | None = None
    budget_change: Money = Decimal(0)
    items: list[ChangeItemIn] = Field(default_factory=list, max_length=services.MAX_ITEMS)


class ChangeItemOut(Schema):
    kind: Kind
    task_id: int | None
    name: str
    parent_id: int | None
    predecessor_id: int | None
    days: int | None


class ChangeImpactOut(Schema):
    before: dict[str, Any]
    after: dict[str, Any]
    critical_added: list[str]
    critical_removed: list[str]
    finish_days: int | None


class ChangeRequestOut(Schema):
    id: int
    project_id: int
    number: int
    code: str
    title: str
    description: str
    reason: str
    scope_text: str
    target_finish: dt.date | None
    budget_change: str | None
    status: Literal["proposed", "approved", "rejected", "withdrawn"]
    requested_by_id: int | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    baseline_number: int | None
    impact: ChangeImpactOut | None
    items: list[ChangeItemOut]
    version: int


class ChangeDecisionIn(BodyIn):
    decision: Literal["approve", "reject"]
    note: StrictStr = Field("", max_length=20000)
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")


class ChangeBoardIn(BodyIn):
    person_ids: list[StrictInt] = Field(default_factory=list, max_length=200)
    current_ids: list[StrictInt] | None = Field(
        None,
        max_length=200,
        description="The board's people as you read it (GET): another board now answers 409. "
        "Without it, the board is replaced whatever it is now.",
    )


class ChangeBoardOut(Schema):
    person_ids: list[int]


def _project(request: HttpRequest, org_id: int, project_id: int) -> Project:
    return selectors.get_project(request.user, get_organisation(request.user, org_id), project_id)


def _specs(items: list[ChangeItemIn]) -> list[ItemSpec]:
    return [
        ItemSpec(
            kind=i.kind,
            task_id=i.task_id,
            name=i.name,
            parent_id=i.parent_id,
            predecessor_id=i.predecessor_id,
            days=i.days,
        )
        for i in items
    ]


def _strip_money(impact: dict[str, Any]) -> dict[str, Any]:
    out = dict(impact)
    for side in ("before", "after"):
        if side in out:
            out[side] = {k: v for k, v in out[side].items() if k not in ("cost", "bac")}
    return out


def _out(change: ChangeRequest, money: bool) -> ChangeRequestOut:
    impact = change.impact or None
    if impact is not None and not money:
        impact = _strip_money(impact)
    return ChangeRequestOut(
        id=change.pk,
        project_id=change.project_id,
        number=change.number,
        code=change.code,
        title=change.title,
        description=change.description,
        reason=change.reason,
        scope_text=change.scope_text,
        target_finish=change.target_finish,
        budget_change=str(change.budget_change) if money else None,
        status=change.status,  # type: ignore[arg-type]
        requested_by_id=change.requested_by_id,
        decided_by_id=change.decided_by_id,
        decided_at=change.decided_at,
        decision_note=change.decision_note,
        baseline_number=change.baseline_number,
        impact=ChangeImpactOut(**impact) if impact else None,
        items=[
            ChangeItemOut(
                kind=i.kind,  # type: ignore[arg-type]
                task_id=i.task_id,
                name=i.name,
                parent_id=i.parent_id,
                predecessor_id=i.predecessor_id,
                days=i.days,
            )
            for i in change.items.all()
        ],
        version=change.version,
    )


@router.get(
    "/organisations/{org_id}/projects/{project_id}/changes",
    response={200: list[ChangeRequestOut], **READ},
)
def list_changes(request: HttpRequest, org_id: int, project_id: int) -> list[ChangeRequestOut]:
    project = _project(request, org_id, project_id)
    money = sees_money(request.user, project)
    return [_out(c, money) for c in selectors.changes_of(project).prefetch_related("items")]


@router.post(
    "/organisations/{org_id}/projects/{project_id}/changes",
    response={201: ChangeRequestOut, **WRITE},
)
def raise_change(
    request: HttpRequest, org_id: int, project_id: int, payload: ChangeRequestIn
) -> Status[ChangeRequestOut]:
    project = _project(request, org_id, project_id)
    change = services.raise_change_request(
        actor=actor_of(request),
        project=project,
        title=payload.title,
        reason=payload.reason,
        description=payload.description,
        scope_text=payload.scope_text,
        target_finish=payload.target_finish,
        budget_change=payload.budget_change,
        items=_specs(payload.items),
    )
    return Status(201, _out(change, sees_money(request.user, project)))


@router.post(
    "/organisations/{org_id}/projects/{project_id}/changes/impact",
    response={200: ChangeImpactOut, **WRITE},
)
def preview_impact(
    request: HttpRequest, org_id: int, project_id: int, payload: ChangeRequestIn
) -> ChangeImpactOut:
    """The impact of a proposed change without saving it (the page's "Preview impact")."""
    project = _project(request, org_id, project_id)
    from twofold.core.policy import Action, require

    require(request.user, Action.EDIT, project)
    impact = compute_impact(project, _specs(payload.items), payload.budget_change)
    if not sees_money(request.user, project):
        impact = _strip_money(impact)
    return ChangeImpactOut(**impact)


@router.get("/organisations/{org_id}/changes/{change_id}", response={200: ChangeRequestOut, **READ})
def get_change(request: HttpRequest, org_id: int, change_id: int) -> ChangeRequestOut:
    change = selectors.get_change(request.user, get_organisation(request.user, org_id), change_id)
    return _out(change, sees_money(request.user, change.project))


@router.post(
    "/organisations/{org_id}/changes/{change_id}/decision",
    response={200: ChangeRequestOut, **WRITE},
)
def decide_change(
    request: HttpRequest, org_id: int, change_id: int, payload: ChangeDecisionIn
) -> ChangeRequestOut:
    change = selectors.get_change(request.user, get_organisation(request.user, org_id), change_id)
    if payload.decision == "approve":
        services.approve_change_request(
            actor=actor_of(request),
            change=change,
            note=payload.note,
            expected_version=payload.version,
        )
    else:
        services.reject_change_request(
            actor=actor_of(request),
            change=change,
            reason=payload.note,
            expected_version=payload.version,
        )
    return _out(change, sees_money(request.user, change.project))


class ChangeWithdrawIn(BodyIn):
    version: StrictInt
    reason: Annotated[StrictStr, Field(max_length=1000)] = ""


@router.post(
    "/organisations/{org_id}/changes/{change_id}/withdraw",
    response={200: ChangeRequestOut, **WRITE},
    summary="Withdraw a change request still waiting for a decision",
)
def withdraw_change(
    request: HttpRequest, org_id: int, change_id: int, payload: ChangeWithdrawIn
) -> ChangeRequestOut:
    change = selectors.get_change(request.user, get_organisation(request.user, org_id), change_id)
    services.withdraw_change_request(
        actor=actor_of(request),
        change=change,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _out(change, sees_money(request.user, change.project))


@router.get("/organisations/{org_id}/change-board", response={200: ChangeBoardOut, **READ})
def get_board(request: HttpRequest, org_id: int) -> ChangeBoardOut:
    org = get_organisation(request.user, org_id)
    return ChangeBoardOut(
        # As it counts: people who left or became guests are no longer on it.
        person_ids=sorted(services.board_of(org.pk).values_list("person_id", flat=True))
    )


@router.put("/organisations/{org_id}/change-board", response={200: ChangeBoardOut, **WRITE})
def put_board(request: HttpRequest, org_id: int, payload: ChangeBoardIn) -> ChangeBoardOut:
    org = get_organisation(request.user, org_id)
    people = list(User.objects.filter(pk__in=set(payload.person_ids)))
    if len(people) != len(set(payload.person_ids)):
        raise Invalid("Choose members of the organisation.", field="person_ids")
    members = services.set_change_board(
        actor=actor_of(request), organisation=org, people=people, expected=payload.current_ids
    )
    return ChangeBoardOut(person_ids=sorted(m.person_id for m in members))


_ = ErrorOut
