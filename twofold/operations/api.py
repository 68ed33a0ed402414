"""API for operations: processes, KPIs and measurements, queues and requests, routines.

The same services as the pages; objects of organisations the caller is not in answer 404;
stale edits answer 409.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictFloat, StrictInt, StrictStr

from twofold.accounts import selectors as account_selectors
from twofold.accounts.api import READ, WRITE, ErrorOut
from twofold.accounts.models import User
from twofold.core.errors import Invalid
from twofold.core.web import actor_of
from twofold.operations import selectors, services
from twofold.operations.models import Kpi, Measurement, Occurrence, Process, Request
from twofold.operations.services import StepInput

router = Router(tags=["operations"])

Number = StrictFloat | StrictInt


class ProcessOut(Schema):
    id: int
    name: str
    description: str
    owner_id: int | None
    team_id: int | None
    annual_budget: Decimal
    version: int


class ProcessIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=120)
    description: StrictStr = ""
    owner_id: StrictInt | None = None
    annual_budget: Number = 0


class ProcessPatch(Schema):
    version: StrictInt
    name: StrictStr | None = Field(None, min_length=1, max_length=120)
    description: StrictStr | None = None
    owner_id: StrictInt | None = None
    annual_budget: Number | None = None


class KpiOut(Schema):
    id: int
    process_id: int
    name: str
    unit: str
    good_direction: str
    target: float
    amber_threshold: float | None
    red_threshold: float
    frequency: str
    baseline_start: dt.date | None
    baseline_end: dt.date | None
    version: int


class KpiIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=120)
    unit: StrictStr = Field("", max_length=20)
    good_direction: Literal["up", "down"] = "up"
    target: Number
    amber_threshold: Number | None = None
    red_threshold: Number
    frequency: Literal["daily", "weekly", "monthly"] = "weekly"


class KpiPatch(Schema):
    version: StrictInt
    name: StrictStr | None = Field(None, min_length=1, max_length=120)
    target: Number | None = None
    amber_threshold: Number | None = None
    red_threshold: Number | None = None
    baseline_start: dt.date | None = None
    baseline_end: dt.date | None = None


class MeasurementOut(Schema):
    id: int
    measured_on: dt.date
    value: float
    note: str


class MeasurementIn(Schema):
    measured_on: dt.date
    value: Number
    note: StrictStr = Field("", max_length=200)


class MeasurementsIn(Schema):
    measurements: list[MeasurementIn] = Field(..., min_length=1, max_length=services.MAX_CSV_ROWS)


class RowErrorOut(Schema):
    row: int
    field: str | None
    message: str


class MeasurementsErrorOut(ErrorOut):
    errors: list[RowErrorOut] = []


class QueueOut(Schema):
    id: int
    name: str
    description: str
    process_id: int | None
    calendar_id: int
    sla_hours: dict[str, dict[str, float]]


class RequestOut(Schema):
    id: int
    queue_id: int
    title: str
    description: str
    priority: str
    status: str
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    sla_state: str
    sla_paused: bool
    sla_remaining_minutes: float
    version: int


class RequestIn(Schema):
    title: StrictStr = Field(..., min_length=1, max_length=200)
    description: StrictStr = ""
    priority: Literal["p1", "p2", "p3", "p4"] = "p3"


class StatusIn(Schema):
    version: StrictInt
    status: Literal["new", "in_progress", "waiting", "resolved", "closed"]
    note: StrictStr = Field("", max_length=300)


class RoutineOut(Schema):
    id: int
    process_id: int
    name: str
    rrule: str
    due_time: dt.time
    shift: str
    assignee_id: int | None
    effort_minutes: int
    active: bool
    version: int


class OccurrenceOut(Schema):
    id: int
    routine_id: int
    due: dt.datetime
    status: str
    completed_at: dt.datetime | None
    late: bool
    version: int


class StepEvidenceIn(Schema):
    step_id: StrictInt
    note: StrictStr = ""
    number: Number | None = None
    passed: StrictBool | None = None


class CompleteIn(Schema):
    version: StrictInt
    evidence: list[StepEvidenceIn] = []


def _process(p: Process) -> ProcessOut:
    return ProcessOut.model_validate(p, from_attributes=True)


def _kpi(k: Kpi) -> KpiOut:
    return KpiOut.model_validate(k, from_attributes=True)


def _request(r: Request) -> RequestOut:
    view = selectors.request_view(r)
    return RequestOut(
        id=r.pk,
        queue_id=r.queue_id,
        title=r.title,
        description=r.description,
        priority=r.priority,
        status=r.status,
        created_at=r.created_at,
        first_response_at=r.first_response_at,
        resolved_at=r.resolved_at,
        sla_state=view.resolution.state.value,
        sla_paused=view.paused,
        sla_remaining_minutes=round(view.resolution.remaining_minutes, 1),
        version=r.version,
    )


def _occurrence(o: Occurrence) -> OccurrenceOut:
    return OccurrenceOut(
        id=o.pk,
        routine_id=o.routine_id,
        due=o.due,
        status=o.status,
        completed_at=o.completed_at,
        late=o.late,
        version=o.version,
    )


def _member(org_id: int, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, memberships__organisation_id=org_id).first()
    if user is None:
        raise Invalid("That person is not a member of this organisation.", field="owner_id")
    return user


@router.get("/organisations/{org_id}/processes", response={200: list[ProcessOut], **READ})
def list_processes(request: HttpRequest, org_id: int) -> list[ProcessOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    return [_process(p) for p in selectors.processes_of(org)]


@router.post("/organisations/{org_id}/processes", response={201: ProcessOut, **WRITE})
def create_process(request: HttpRequest, org_id: int, payload: ProcessIn) -> Status[ProcessOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    process = services.create_process(
        actor=actor_of(request),
        organisation=org,
        name=payload.name,
        description=payload.description,
        owner=_member(org.pk, payload.owner_id),
        annual_budget=payload.annual_budget,
    )
    return Status(201, _process(process))


@router.get("/processes/{pk}", response={200: ProcessOut, **READ})
def get_process(request: HttpRequest, pk: int) -> ProcessOut:
    return _process(selectors.get_process(request.user, pk))


@router.patch("/processes/{pk}", response={200: ProcessOut, **WRITE})
def patch_process(request: HttpRequest, pk: int, payload: ProcessPatch) -> ProcessOut:
    process = selectors.get_process(request.user, pk)
    values = payload.model_dump(exclude_unset=True, exclude={"version", "owner_id"})
    if "owner_id" in payload.model_fields_set:
        values["owner"] = _member(process.organisation_id, payload.owner_id)
    services.update_process(
        actor=actor_of(request), process=process, expected_version=payload.version, **values
    )
    return _process(process)


@router.get("/organisations/{org_id}/kpis", response={200: list[KpiOut], **READ})
def list_kpis(request: HttpRequest, org_id: int) -> list[KpiOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    return [_kpi(k) for k in selectors.kpis_of(org)]


@router.post("/processes/{pk}/kpis", response={201: KpiOut, **WRITE})
def create_kpi(request: HttpRequest, pk: int, payload: KpiIn) -> Status[KpiOut]:
    process = selectors.get_process(request.user, pk)
    kpi = services.create_kpi(actor=actor_of(request), process=process, **payload.model_dump())
    return Status(201, _kpi(kpi))


@router.get("/kpis/{pk}", response={200: KpiOut, **READ})
def get_kpi(request: HttpRequest, pk: int) -> KpiOut:
    return _kpi(selectors.get_kpi(request.user, pk))


@router.patch("/kpis/{pk}", response={200: KpiOut, **WRITE})
def patch_kpi(request: HttpRequest, pk: int, payload: KpiPatch) -> KpiOut:
    kpi = selectors.get_kpi(request.user, pk)
    values = payload.model_dump(exclude_unset=True, exclude={"version"})
    services.update_kpi(
        actor=actor_of(request), kpi=kpi, expected_version=payload.version, **values
    )
    return _kpi(kpi)


@router.get("/kpis/{pk}/measurements", response={200: list[MeasurementOut], **READ})
def list_measurements(request: HttpRequest, pk: int) -> list[MeasurementOut]:
    kpi = selectors.get_kpi(request.user, pk)
    return [
        MeasurementOut.model_validate(m, from_attributes=True)
        for m in Measurement.objects.filter(kpi=kpi).order_by("measured_on")
    ]


@router.post(
    "/kpis/{pk}/measurements",
    response={201: list[MeasurementOut], **WRITE, 422: MeasurementsErrorOut},
    summary="Post one or many measurements (all saved, or none)",
)
def post_measurements(
    request: HttpRequest, pk: int, payload: MeasurementsIn
) -> Status[list[MeasurementOut]] | Status[MeasurementsErrorOut]:
    kpi = selectors.get_kpi(request.user, pk)
    rows = [(i, m.measured_on, m.value, m.note) for i, m in enumerate(payload.measurements, 1)]
    try:
        saved = services.add_measurements(actor=actor_of(request), kpi=kpi, rows=rows)
    except services.MeasurementsInvalid as exc:
        return Status(
            422,
            MeasurementsErrorOut(
                detail=exc.message,
                field=exc.field,
                errors=[
                    RowErrorOut(row=e.row, field=e.field, message=e.message) for e in exc.errors
                ],
            ),
        )
    return Status(201, [MeasurementOut.model_validate(m, from_attributes=True) for m in saved])


@router.get("/organisations/{org_id}/queues", response={200: list[QueueOut], **READ})
def list_queues(request: HttpRequest, org_id: int) -> list[QueueOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    return [QueueOut.model_validate(q, from_attributes=True) for q in selectors.queues_of(org)]


@router.get("/queues/{pk}/requests", response={200: list[RequestOut], **READ})
def list_requests(request: HttpRequest, pk: int) -> list[RequestOut]:
    queue = selectors.get_queue(request.user, pk)
    return [_request(v.request) for v in selectors.queue_requests(queue)]


@router.post("/queues/{pk}/requests", response={201: RequestOut, **WRITE})
def create_request(request: HttpRequest, pk: int, payload: RequestIn) -> Status[RequestOut]:
    queue = selectors.get_queue(request.user, pk)
    created = services.create_request(actor=actor_of(request), queue=queue, **payload.model_dump())
    return Status(201, _request(selectors.get_request(request.user, created.pk)))


@router.get("/requests/{pk}", response={200: RequestOut, **READ})
def get_request(request: HttpRequest, pk: int) -> RequestOut:
    return _request(selectors.get_request(request.user, pk))


@router.post("/requests/{pk}/status", response={200: RequestOut, **WRITE})
def change_status(request: HttpRequest, pk: int, payload: StatusIn) -> RequestOut:
    req = selectors.get_request(request.user, pk)
    services.change_request_status(
        actor=actor_of(request),
        request=req,
        status=payload.status,
        note=payload.note,
        expected_version=payload.version,
    )
    return _request(selectors.get_request(request.user, pk))


@router.get("/organisations/{org_id}/routines", response={200: list[RoutineOut], **READ})
def list_routines(request: HttpRequest, org_id: int) -> list[RoutineOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    return [RoutineOut.model_validate(r, from_attributes=True) for r in selectors.routines_of(org)]


@router.get("/routines/{pk}/occurrences", response={200: list[OccurrenceOut], **READ})
def list_occurrences(request: HttpRequest, pk: int) -> list[OccurrenceOut]:
    routine = selectors.get_routine(request.user, pk)
    return [_occurrence(o) for o in Occurrence.objects.filter(routine=routine).order_by("due")]


@router.post("/occurrences/{pk}/complete", response={200: OccurrenceOut, **WRITE})
def complete_occurrence(request: HttpRequest, pk: int, payload: CompleteIn) -> OccurrenceOut:
    occurrence = selectors.get_occurrence(request.user, pk)
    evidence = {
        e.step_id: StepInput(note=e.note, number=e.number, passed=e.passed)
        for e in payload.evidence
    }
    services.complete_occurrence(
        actor=actor_of(request),
        occurrence=occurrence,
        evidence=evidence,
        expected_version=payload.version,
    )
    return _occurrence(occurrence)
