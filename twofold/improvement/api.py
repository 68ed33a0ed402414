"""API for improvement items, operations signals and handovers (same services as the pages)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import AfterValidator, StrictBool, StrictFloat, StrictInt, StrictStr

from twofold.accounts.models import Organisation, User
from twofold.accounts.selectors import get_organisation
from twofold.core.api_lists import SYNCED, Sync, synced_page
from twofold.core.api_schemas import READ, WRITE
from twofold.core.errors import Conflict, Invalid, NotFound, fields_as
from twofold.core.policy import Action, require
from twofold.core.web import actor_of
from twofold.improvement import deliverables, selectors, services
from twofold.improvement.models import Handover, ImprovementItem
from twofold.operations.models import Kpi, Process, Queue, Routine
from twofold.projects import selectors as project_selectors
from twofold.projects.api import StrictDate

router = Router(tags=["improvement"])

SourceName = Literal["kpi", "sla", "routine", "idea"]
StatusName = Literal["new", "triaged", "in_progress", "done", "rejected"]
EffortName = Literal["S", "M", "L"]
HandoverStatusName = Literal["proposed", "accepted", "returned"]


def _finite(value: float | int) -> float:
    """A number JSON can carry back: 1e400 parsed as infinity was stored, and the item then
    answered ``Infinity`` (not JSON); an integer of 400 digits overflowed (500)."""
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("give a finite number") from None
    if not math.isfinite(number):
        raise ValueError("give a finite number")
    return number


FiniteNumber = Annotated[StrictFloat | StrictInt, AfterValidator(_finite)]


class ItemOut(Schema):
    id: int
    title: str
    problem: str
    source: SourceName
    kpi_id: int | None
    queue_id: int | None
    routine_id: int | None
    evidence: str
    raised_value: float | None
    process_id: int | None
    owner_id: int | None
    expected_benefit: str
    benefit: int
    effort: EffortName
    score: float
    status: StatusName
    project_id: int | None
    result: str
    result_value: float | None
    root_cause: str
    countermeasure: str
    check_notes: str = Field(..., description="PDCA Check: what the data showed.")
    act: str
    go_live: dt.date | None
    version: int


class ItemIn(Schema):
    title: StrictStr = Field(..., min_length=1, max_length=160)
    problem: StrictStr = Field(..., min_length=1)
    source: SourceName = "idea"
    source_id: StrictInt | None = Field(
        None, description="The KPI, queue or routine id for a source other than idea."
    )
    process_id: StrictInt | None = None
    owner_id: StrictInt | None = None
    expected_benefit: StrictStr = ""
    benefit: StrictInt = Field(3, ge=1, le=5)
    effort: EffortName = "M"
    root_cause: StrictStr = ""
    countermeasure: StrictStr = ""
    check_notes: StrictStr = ""
    act: StrictStr = ""


class ItemPatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    title: StrictStr | None = Field(None, min_length=1, max_length=160)
    problem: StrictStr | None = Field(None, min_length=1)
    process_id: StrictInt | None = None
    owner_id: StrictInt | None = None
    expected_benefit: StrictStr | None = None
    benefit: StrictInt | None = Field(None, ge=1, le=5)
    effort: EffortName | None = None
    root_cause: StrictStr | None = None
    countermeasure: StrictStr | None = None
    check_notes: StrictStr | None = None
    act: StrictStr | None = None
    status: StatusName | None = None
    reason: StrictStr = Field("", max_length=300)
    result: StrictStr | None = None
    result_value: FiniteNumber | None = None


class StartProjectIn(Schema):
    version: StrictInt
    manager_id: StrictInt
    name: StrictStr = Field("", max_length=160)
    target_start: StrictDate | None = None
    target_finish: StrictDate | None = None


class ProjectBrief(Schema):
    id: int
    code: str
    name: str
    phase: str
    manager_id: int | None


class SignalOut(Schema):
    kind: SourceName
    source_id: int
    name: str
    process: str
    headline: str
    evidence: str
    severity: str
    item_id: int | None


class DeliverableIn(Schema):
    text: StrictStr = Field(..., min_length=1, max_length=200)
    done: StrictBool = False


class DeliverableOut(Schema):
    text: str
    done: bool


class HandoverOut(Schema):
    id: int
    project_id: int
    process_id: int | None = Field(
        ..., description="Null while the handover goes to a new process not yet created."
    )
    new_process_name: str
    new_process_owner_id: int | None
    new_process_description: str
    deliverables: list[DeliverableOut]
    note: str
    status: HandoverStatusName
    proposed_by_id: int | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    return_reason: str
    version: int


class HandoverIn(Schema):
    project_id: StrictInt
    process_id: StrictInt | None = Field(
        None, description="The receiving process; leave out to hand over to a new process."
    )
    new_process_name: StrictStr = Field("", max_length=120)
    new_process_owner_id: StrictInt | None = None
    new_process_description: StrictStr = Field("", max_length=5000)
    deliverables: list[DeliverableIn] | None = None
    note: StrictStr = ""


class HandoverNewProcessIn(Schema):
    version: StrictInt
    name: StrictStr = Field(..., max_length=120)
    owner_id: StrictInt
    description: StrictStr = Field("", max_length=5000)


class DecisionIn(Schema):
    version: StrictInt
    note: StrictStr = Field("", max_length=500)


class ReturnIn(Schema):
    version: StrictInt
    reason: StrictStr = Field(..., min_length=1, max_length=500)


class ResubmitIn(Schema):
    version: StrictInt
    note: StrictStr = Field("", max_length=2000, description="Replaces the note when given.")


class HandoverDeliverablesIn(Schema):
    version: StrictInt
    items: list[DeliverableIn] = Field(..., max_length=100)


def _item(i: ImprovementItem) -> ItemOut:
    out = ItemOut.model_validate(i, from_attributes=True)
    if i.project_id is not None and i.live_project is None:
        # A project in the trash is not named, as the pages no longer link it.
        out = out.model_copy(update={"project_id": None})
    return out


def _handover(h: Handover) -> HandoverOut:
    return HandoverOut.model_validate(h, from_attributes=True)


def _org_item(request: HttpRequest, org: Organisation, item_id: int) -> ImprovementItem:
    item = selectors.get_item(request.user, item_id)
    if item.organisation_id != org.pk:
        raise NotFound("Improvement item not found.")
    return item


def _org_handover(request: HttpRequest, org: Organisation, handover_id: int) -> Handover:
    handover = selectors.get_handover(request.user, handover_id)
    if handover.organisation_id != org.pk:
        raise NotFound("Handover not found.")
    return handover


def _process(org: Organisation, pk: int | None, field: str = "process_id") -> Process | None:
    if pk is None:
        return None
    process = Process.objects.filter(organisation=org, pk=pk).select_related("owner").first()
    if process is None:
        raise Invalid("Choose a process of this organisation.", field=field)
    return process


def _user(org: Organisation, pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk, memberships__organisation=org).first()
    if user is None:
        raise Invalid("Choose a member of the organisation.", field=field)
    return user


@router.get("/organisations/{org_id}/improvement/items", response={200: list[ItemOut], **SYNCED})
def list_items(
    request: HttpRequest,
    org_id: int,
    sync: Sync,
    reply: HttpResponse,
    status: StatusName | None = None,
) -> list[ItemOut]:
    """Highest priority first (the score is computed, so the page is cut after sorting)."""
    org = get_organisation(request.user, org_id)
    items = selectors.items_of(org)
    if status:
        items = items.filter(status=status)
    page = synced_page(request, items, sync)
    page.stamp(reply)
    return [_item(i) for i in selectors.by_priority(page.matching)[page.window]]


@router.post("/organisations/{org_id}/improvement/items", response={201: ItemOut, **WRITE})
def create_item(request: HttpRequest, org_id: int, payload: ItemIn) -> Status[ItemOut]:
    org = get_organisation(request.user, org_id)
    origin: Kpi | Queue | Routine | None = None
    if payload.source != "idea":
        if payload.source_id is None:
            raise Invalid("Give the source_id of the KPI, queue or routine.", field="source_id")
        try:
            origin = selectors.source_object(request.user, payload.source, payload.source_id)
        except NotFound as exc:
            raise Invalid("No such source in this organisation.", field="source_id") from exc
        if origin.organisation_id != org.pk:
            raise Invalid("No such source in this organisation.", field="source_id")
    with fields_as({"owner": "owner_id", "process": "process_id"}):
        item = services.create_item(
            actor=actor_of(request),
            organisation=org,
            source=payload.source,
            kpi=origin if isinstance(origin, Kpi) else None,
            queue=origin if isinstance(origin, Queue) else None,
            routine=origin if isinstance(origin, Routine) else None,
            title=payload.title,
            problem=payload.problem,
            process=_process(org, payload.process_id),
            owner=_user(org, payload.owner_id, "owner_id"),
            expected_benefit=payload.expected_benefit,
            benefit=payload.benefit,
            effort=payload.effort,
            root_cause=payload.root_cause,
            countermeasure=payload.countermeasure,
            check_notes=payload.check_notes,
            act=payload.act,
        )

    return Status(201, _item(item))


@router.get("/organisations/{org_id}/improvement/items/{item_id}", response={200: ItemOut, **READ})
def get_item(request: HttpRequest, org_id: int, item_id: int) -> ItemOut:
    org = get_organisation(request.user, org_id)
    return _item(_org_item(request, org, item_id))


@router.delete(
    "/organisations/{org_id}/improvement/items/{item_id}",
    response={204: None, **WRITE},
    summary="Move an improvement item to the trash (an admin can restore it; pass its version)",
)
def trash_item(request: HttpRequest, org_id: int, item_id: int, version: int) -> Status[None]:
    org = get_organisation(request.user, org_id)
    services.trash_item(
        actor=actor_of(request), item=_org_item(request, org, item_id), expected_version=version
    )
    return Status(204, None)


@router.patch(
    "/organisations/{org_id}/improvement/items/{item_id}", response={200: ItemOut, **WRITE}
)
def patch_item(request: HttpRequest, org_id: int, item_id: int, payload: ItemPatch) -> ItemOut:
    """Edit fields (with ``version``), and/or move the status; ``done`` needs ``result``."""
    # Fields and status together: a refused status saves no field either.
    with transaction.atomic():
        return _patch_item(request, org_id, item_id, payload)


def _patch_item(request: HttpRequest, org_id: int, item_id: int, payload: ItemPatch) -> ItemOut:
    org = get_organisation(request.user, org_id)
    item = _org_item(request, org, item_id)
    actor = actor_of(request)
    # Asked first, so that a guest's PATCH that would change nothing is refused too, not a 200.
    require(actor, Action.EDIT, item)
    sent = payload.model_fields_set
    values: dict[str, object] = {}
    for name in ("title", "problem", "expected_benefit", "benefit", "effort", *services.A3_FIELDS):
        if name in sent:
            values[name] = getattr(payload, name)
    if "process_id" in sent:
        values["process"] = _process(org, payload.process_id)
    if "owner_id" in sent:
        values["owner"] = _user(org, payload.owner_id, "owner_id")
    version = payload.version
    if values:
        with fields_as({"owner": "owner_id", "process": "process_id"}):
            services.update_item(actor=actor, item=item, expected_version=version, **values)
        version = item.version
    if payload.status is not None and payload.status != item.status:
        if payload.status == "done":
            result_value = payload.result_value
            services.complete_item(
                actor=actor,
                item=item,
                expected_version=version,
                result=payload.result or "",
                result_value=result_value,
            )
        else:
            services.set_status(
                actor=actor,
                item=item,
                status=payload.status,
                expected_version=version,
                reason=payload.reason,
            )
    elif not values and item.version != version:
        raise Conflict("Someone else changed this since you read it; reload it.")
    return _item(item)


@router.post(
    "/organisations/{org_id}/improvement/items/{item_id}/start-project",
    response={201: ProjectBrief, **WRITE},
)
def start_project(
    request: HttpRequest, org_id: int, item_id: int, payload: StartProjectIn
) -> Status[ProjectBrief]:
    org = get_organisation(request.user, org_id)
    item = _org_item(request, org, item_id)
    with fields_as({"manager": "manager_id"}):
        project = services.start_project(
            actor=actor_of(request),
            item=item,
            expected_version=payload.version,
            manager=_user(org, payload.manager_id, "manager_id"),
            name=payload.name,
            target_start=payload.target_start,
            target_finish=payload.target_finish,
        )
    return Status(201, ProjectBrief.model_validate(project, from_attributes=True))


@router.get("/organisations/{org_id}/improvement/signals", response={200: list[SignalOut], **READ})
def list_signals(request: HttpRequest, org_id: int) -> list[SignalOut]:
    org = get_organisation(request.user, org_id)
    return [
        SignalOut(
            kind=s.kind,  # type: ignore[arg-type]
            source_id=s.obj.pk,
            name=s.obj.name,
            process=s.process_name,
            headline=s.headline,
            evidence=s.evidence,
            severity=s.severity,
            item_id=s.item.pk if s.item else None,
        )
        for s in selectors.signals(org)
    ]


@router.get(
    "/organisations/{org_id}/improvement/handovers", response={200: list[HandoverOut], **SYNCED}
)
def list_handovers(
    request: HttpRequest,
    org_id: int,
    sync: Sync,
    reply: HttpResponse,
    status: HandoverStatusName | None = None,
) -> list[HandoverOut]:
    org = get_organisation(request.user, org_id)
    handovers = selectors.handovers_query().filter(organisation=org)
    if status:
        handovers = handovers.filter(status=status)
    page = synced_page(request, handovers, sync)
    page.stamp(reply)
    return [_handover(h) for h in page.rows]


@router.get(
    "/organisations/{org_id}/improvement/handovers/{handover_id}",
    response={200: HandoverOut, **READ},
    summary="One handover, with its version",
)
def get_handover(request: HttpRequest, org_id: int, handover_id: int) -> HandoverOut:
    org = get_organisation(request.user, org_id)
    return _handover(_org_handover(request, org, handover_id))


@router.post("/organisations/{org_id}/improvement/handovers", response={201: HandoverOut, **WRITE})
def create_handover(request: HttpRequest, org_id: int, payload: HandoverIn) -> Status[HandoverOut]:
    org = get_organisation(request.user, org_id)
    try:
        project = project_selectors.get_project(request.user, org, payload.project_id)
    except NotFound as exc:
        raise Invalid("No such project in this organisation.", field="project_id") from exc
    process = _process(org, payload.process_id)
    try:
        handover = _propose(request, org, project, process, payload)
    except Invalid as exc:
        field = "new_process_owner_id" if exc.field == "new_process_owner" else exc.field
        raise Invalid(exc.message, field=field) from exc
    return Status(201, _handover(handover))


def _propose(
    request: HttpRequest, org: Organisation, project: Any, process: Process | None, payload: Any
) -> Handover:
    return services.propose_handover(
        actor=actor_of(request),
        project=project,
        process=process,
        deliverables=[d.model_dump() for d in payload.deliverables]
        if payload.deliverables is not None
        else None,
        note=payload.note,
        new_process_name=payload.new_process_name,
        new_process_owner=_user(org, payload.new_process_owner_id, "new_process_owner_id"),
        new_process_description=payload.new_process_description,
    )


@router.put(
    "/organisations/{org_id}/improvement/handovers/{handover_id}/new-process",
    response={200: HandoverOut, **WRITE},
)
def set_handover_new_process(
    request: HttpRequest, org_id: int, handover_id: int, payload: HandoverNewProcessIn
) -> HandoverOut:
    """Change the drafted new process (name, owner, description) of a handover that creates one
    (the project team, until it is accepted). Acceptance creates it through the operations
    services, then the handover's routines, KPIs and queues under it, in one transaction."""
    org = get_organisation(request.user, org_id)
    handover = _org_handover(request, org, handover_id)
    try:
        services.set_new_process(
            actor=actor_of(request),
            handover=handover,
            name=payload.name,
            owner=_user(org, payload.owner_id, "owner_id"),
            description=payload.description,
            expected_version=payload.version,
        )
    except Invalid as exc:  # the service names the form's fields; this route's are shorter
        field = {"new_process_name": "name", "new_process_owner": "owner_id"}.get(
            exc.field or "", (exc.field or "").removeprefix("new_process_") or None
        )
        raise Invalid(exc.message, field=field) from exc
    return _handover(handover)


@router.post(
    "/organisations/{org_id}/improvement/handovers/{handover_id}/accept",
    response={200: HandoverOut, **WRITE},
)
def accept_handover(
    request: HttpRequest, org_id: int, handover_id: int, payload: DecisionIn
) -> HandoverOut:
    org = get_organisation(request.user, org_id)
    handover = _org_handover(request, org, handover_id)
    services.accept_handover(
        actor=actor_of(request),
        handover=handover,
        expected_version=payload.version,
        note=payload.note,
    )
    return _handover(handover)


@router.post(
    "/organisations/{org_id}/improvement/handovers/{handover_id}/return",
    response={200: HandoverOut, **WRITE},
)
def return_handover(
    request: HttpRequest, org_id: int, handover_id: int, payload: ReturnIn
) -> HandoverOut:
    org = get_organisation(request.user, org_id)
    handover = _org_handover(request, org, handover_id)
    services.return_handover(
        actor=actor_of(request),
        handover=handover,
        expected_version=payload.version,
        reason=payload.reason,
    )
    return _handover(handover)


@router.post(
    "/organisations/{org_id}/improvement/handovers/{handover_id}/resubmit",
    response={200: HandoverOut, **WRITE},
)
def resubmit_handover(
    request: HttpRequest, org_id: int, handover_id: int, payload: ResubmitIn
) -> HandoverOut:
    """Send a returned handover again (the project manager or an admin), as the handover page
    does: refused while another handover of the project to that process awaits acceptance."""
    org = get_organisation(request.user, org_id)
    handover = _org_handover(request, org, handover_id)
    services.resubmit_handover(
        actor=actor_of(request),
        handover=handover,
        expected_version=payload.version,
        note=payload.note,
    )
    return _handover(handover)


@router.put(
    "/organisations/{org_id}/improvement/handovers/{handover_id}/deliverables",
    response={200: HandoverOut, **WRITE},
)
def set_handover_deliverables(
    request: HttpRequest, org_id: int, handover_id: int, payload: HandoverDeliverablesIn
) -> HandoverOut:
    """Tick or edit the handover's checklist (the project manager or an admin, until it is
    accepted; the process owner reads it and accepts or returns the handover: 403), as the
    handover page does; the whole list, in order."""
    org = get_organisation(request.user, org_id)
    handover = _org_handover(request, org, handover_id)
    services.update_deliverables(
        actor=actor_of(request),
        handover=handover,
        deliverables=[d.model_dump() for d in payload.items],
        expected_version=payload.version,
    )
    return _handover(handover)


# ---------------------------------------------------------------------------------------------
# Settings: handover deliverables


class DeliverablesOut(Schema):
    items: list[str]
    version: int = Field(..., description="0 while the organisation uses the defaults.")


class DeliverablesIn(Schema):
    items: list[StrictStr] = Field(..., max_length=80)
    version: StrictInt = Field(..., description="The version you read (0 for the defaults).")


@router.get(
    "/organisations/{org_id}/settings/handover-deliverables",
    response={200: DeliverablesOut, **READ},
)
def get_deliverables(request: HttpRequest, org_id: int) -> DeliverablesOut:
    setting = deliverables.deliverables_setting(get_organisation(request.user, org_id))
    return DeliverablesOut(items=list(setting.items), version=setting.version)


@router.put(
    "/organisations/{org_id}/settings/handover-deliverables",
    response={200: DeliverablesOut, **WRITE},
)
def put_deliverables(request: HttpRequest, org_id: int, payload: DeliverablesIn) -> DeliverablesOut:
    """Replace the checklist new handovers start with (admins)."""
    setting = deliverables.save_deliverables(
        actor=actor_of(request),
        organisation=get_organisation(request.user, org_id),
        items=payload.items,
        expected_version=payload.version,
    )
    return DeliverablesOut(items=list(setting.items), version=setting.version)
