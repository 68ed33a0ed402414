"""API for operations: processes, KPIs and measurements, queues and requests, routines.

The same services as the pages; objects of organisations the caller is not in answer 404;
stale edits answer 409.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.params.functions import Query
from ninja.responses import Status
from pydantic import (
    AfterValidator,
    BeforeValidator,
    PlainSerializer,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from twofold.accounts import selectors as account_selectors
from twofold.accounts.models import Team, User
from twofold.core.api_lists import SYNCED, Sync, synced_page
from twofold.core.api_schemas import READ, WRITE, BodyIn, ErrorOut
from twofold.core.dates import format_day
from twofold.core.errors import Conflict, Invalid
from twofold.core.policy import Action, require
from twofold.core.web import actor_of
from twofold.engine.calendars import HORIZON_END, HORIZON_START
from twofold.operations import selectors, services
from twofold.operations.models import (
    BusinessCalendar,
    Kpi,
    Measurement,
    Occurrence,
    Process,
    Queue,
    Request,
    Routine,
)
from twofold.operations.services import StepInput, StepSpec

router = Router(tags=["operations"])


def _finite(value: float | int) -> float:
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        raise ValueError("not a finite number") from None
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _iso_date(value: Any) -> Any:
    """Only "YYYY-MM-DD" text: pydantic's lax dates would read 0 as 1970-01-01."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return dt.date.fromisoformat(value)
    raise ValueError("give a date as text like 2025-03-31")


TIME_OF_DAY = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"


def _iso_time(value: Any) -> Any:
    """Only "HH:MM" or "HH:MM:SS" text: pydantic's lax times would read 0 as midnight UTC."""
    if isinstance(value, str) and re.fullmatch(TIME_OF_DAY, value):
        return dt.time.fromisoformat(value)
    raise ValueError("give a time of day as text like 17:00")


# A local time of day (no offset: it is in the routine's calendar's zone), so not JSON Schema's
# "time" format, which requires an offset; the pattern says exactly what is sent and accepted.
_TIME_OF_DAY_SCHEMA = {
    "type": "string",
    "pattern": TIME_OF_DAY,
    "description": "Local time of day in the calendar's zone, HH:MM or HH:MM:SS.",
    "examples": ["17:00"],
}


Number = Annotated[StrictFloat | StrictInt, AfterValidator(_finite)]
Money = Annotated[Number, Field(ge=0, lt=10**10)]
Budget = Annotated[Number, Field(ge=0, lt=10**12)]
"""An annual budget: this fiscal year's, the same limit as ``PUT …/processes/{id}/budget``."""


def _in_range(value: dt.date) -> dt.date:
    """The dates every page and the rest of the API take (the calendars cover 1980-2149)."""
    if not HORIZON_START <= value < HORIZON_END:
        last = HORIZON_END - dt.timedelta(days=1)
        raise PydanticCustomError(
            "date_range",
            f"Choose a date between {format_day(HORIZON_START)} and {format_day(last)}.",
        )
    return value


StrictDate = Annotated[dt.date, BeforeValidator(_iso_date), AfterValidator(_in_range)]
StrictTime = Annotated[dt.time, BeforeValidator(_iso_time), WithJsonSchema(_TIME_OF_DAY_SCHEMA)]
TimeOfDay = Annotated[
    dt.time,
    PlainSerializer(lambda t: t.strftime("%H:%M:%S"), return_type=str),
    WithJsonSchema({**_TIME_OF_DAY_SCHEMA, "pattern": r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$"}),
]
MAX_PAGE = 500


class ProcessOut(Schema):
    id: int
    archived: bool
    name: str
    description: str
    owner_id: int | None
    team_id: int | None
    annual_budget: Decimal | None = Field(
        None,
        description="The current fiscal year's budget (the same as GET …/processes/{id}/budget "
        "for that year). Only for admins, owners and the process's owner (money); null for "
        "others.",
    )
    version: int


class ProcessIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=120)
    description: StrictStr = ""
    owner_id: StrictInt | None = None
    annual_budget: Budget = 0


ARCHIVED = Field(
    None, description="true archives (hidden from lists, kept in reports), false restores"
)


class ProcessPatch(Schema):
    version: StrictInt
    name: StrictStr | None = Field(None, min_length=1, max_length=120)
    description: StrictStr | None = None
    owner_id: StrictInt | None = None
    team_id: StrictInt | None = None
    annual_budget: Budget | None = None
    archived: StrictBool | None = ARCHIVED


class KpiOut(Schema):
    id: int
    archived: bool
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
    plausibility_spreads: float
    version: int


class KpiIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=120)
    unit: StrictStr = Field("", max_length=20)
    good_direction: Literal["up", "down"] = "up"
    target: Number
    amber_threshold: Number | None = None
    red_threshold: Number
    frequency: Literal["daily", "weekly", "monthly"] = "weekly"
    plausibility_spreads: Number = Field(
        1.0,
        gt=0,
        le=1000,
        description="A new value beyond the range seen by more than this many process spreads "
        "asks “are you sure?” (422 with warnings unless confirmed).",
    )


class KpiPatch(Schema):
    version: StrictInt
    name: StrictStr | None = Field(None, min_length=1, max_length=120)
    description: StrictStr | None = None
    unit: StrictStr | None = Field(None, max_length=20)
    good_direction: Literal["up", "down"] | None = None
    frequency: Literal["daily", "weekly", "monthly"] | None = None
    archived: StrictBool | None = ARCHIVED
    target: Number | None = None
    amber_threshold: Number | None = None
    red_threshold: Number | None = None
    baseline_start: StrictDate | None = None
    baseline_end: StrictDate | None = None
    plausibility_spreads: Number | None = Field(
        None,
        gt=0,
        le=1000,
        description="A new value beyond the range seen by more than this many process spreads "
        "asks “are you sure?” (422 with warnings unless confirmed).",
    )


class MeasurementOut(Schema):
    id: int
    kpi_id: int
    measured_on: dt.date
    value: float = Field(..., description="The value that counts now (corrected if it was).")
    note: str
    version: int
    original_value: float | None = Field(
        None, description="The value as first recorded, once it was corrected."
    )
    correction_reason: str = ""
    corrected_at: dt.datetime | None = None
    voided: bool = Field(False, description="Voided values are left out of the chart and status.")
    void_reason: str = ""
    voided_at: dt.datetime | None = None


class MeasurementIn(Schema):
    measured_on: StrictDate
    value: Number
    note: StrictStr = Field("", max_length=200)


class MeasurementsIn(Schema):
    measurements: list[MeasurementIn] = Field(..., min_length=1, max_length=services.MAX_CSV_ROWS)
    confirm: StrictBool = Field(
        False,
        description="Save rows that look wrong (future date, far outside the range seen, unit "
        "mix-up) anyway; without it they answer 422 with `warnings`.",
    )


class RowErrorOut(Schema):
    row: int | None = Field(
        None, description="1-based row; null when the body itself is malformed."
    )
    field: str | None
    message: str
    measurement_id: int | None = Field(
        None, description="The value already recorded for that date: correct it instead."
    )


class RowWarningOut(Schema):
    row: int
    field: str
    message: str


class MeasurementsErrorOut(ErrorOut):
    errors: list[RowErrorOut] = []
    warnings: list[RowWarningOut] = Field(
        [], description="Rows that look wrong; resend with `confirm: true` to save them anyway."
    )


def measurement_out(m: Measurement) -> MeasurementOut:
    return MeasurementOut.model_validate(m, from_attributes=True)


def rows_refused(
    exc: services.MeasurementsInvalid | services.MeasurementsImplausible,
) -> Status[MeasurementsErrorOut]:
    """The 422 for refused rows: every error and every "are you sure?" warning."""
    return Status(
        422,
        MeasurementsErrorOut(
            detail=exc.message,
            field=exc.field,
            errors=[
                RowErrorOut(
                    row=e.row, field=e.field, message=e.message, measurement_id=e.measurement_id
                )
                for e in exc.errors
            ],
            warnings=[
                RowWarningOut(row=w.row, field=w.field, message=w.message) for w in exc.warnings
            ],
        ),
    )


class QueueOut(Schema):
    id: int
    archived: bool
    name: str
    description: str
    process_id: int | None
    calendar_id: int
    sla_hours: dict[str, dict[str, float]]
    nc_on_breach: bool
    version: int


SlaHours = dict[StrictStr, dict[StrictStr, Number]]


class QueueIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=120)
    description: StrictStr = ""
    process_id: StrictInt | None = None
    calendar_id: StrictInt
    sla_hours: SlaHours | None = Field(
        None, description='e.g. {"p1": {"response": 0.5, "resolution": 4}}; missing = defaults'
    )
    nc_on_breach: StrictBool = Field(
        False, description="A request resolved after its resolution target opens a nonconformance"
    )


class QueuePatch(Schema):
    version: StrictInt
    name: StrictStr | None = Field(None, min_length=1, max_length=120)
    description: StrictStr | None = None
    process_id: StrictInt | None = None
    calendar_id: StrictInt | None = None
    sla_hours: SlaHours | None = Field(
        None,
        description="Priorities given replace their targets (both response and resolution); "
        "those left out keep theirs",
    )
    nc_on_breach: StrictBool | None = None
    archived: StrictBool | None = ARCHIVED


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


class RequestIn(BodyIn):
    title: StrictStr = Field(..., min_length=1, max_length=200)
    description: StrictStr = ""
    priority: Literal["p1", "p2", "p3", "p4"] = "p3"


class StatusIn(Schema):
    version: StrictInt
    status: Literal["new", "in_progress", "waiting", "resolved", "closed"]
    note: StrictStr = Field("", max_length=300)


class StepOut(Schema):
    id: int
    position: int
    text: str
    evidence: str
    min_value: float | None
    max_value: float | None
    unit: str


class RoutineOut(Schema):
    id: int
    archived: bool
    schedule_text: str
    process_id: int
    name: str
    description: str
    rrule: str
    starts_on: dt.date
    due_time: TimeOfDay
    shift: str
    calendar_id: int | None
    assignee_id: int | None
    effort_minutes: int
    active: bool
    critical: bool
    version: int
    steps: list[StepOut] | None = None


Evidence = Literal["none", "note", "number", "file", "pass_fail"]
Shift = Literal["none", "next", "previous"]


class StepIn(Schema):
    id: StrictInt | None = Field(None, description="An existing step to keep (PATCH); omit for new")
    text: StrictStr = Field(..., min_length=1, max_length=200)
    evidence: Evidence = "none"
    min_value: Number | None = None
    max_value: Number | None = None
    unit: StrictStr = Field("", max_length=20)


class RoutineIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=120)
    description: StrictStr = ""
    rrule: StrictStr = Field(..., min_length=1, max_length=200, examples=["FREQ=WEEKLY;BYDAY=MO"])
    starts_on: StrictDate | None = None
    due_time: StrictTime = dt.time(17, 0)
    shift: Shift = "none"
    calendar_id: StrictInt | None = None
    assignee_id: StrictInt | None = None
    effort_minutes: StrictInt = Field(30, ge=1, le=7200)
    active: StrictBool = True
    critical: StrictBool = Field(False, description="A missed occurrence opens a nonconformance")
    steps: list[StepIn] = Field([], max_length=40)


class RoutinePatch(Schema):
    version: StrictInt
    name: StrictStr | None = Field(None, min_length=1, max_length=120)
    description: StrictStr | None = None
    rrule: StrictStr | None = Field(None, min_length=1, max_length=200)
    starts_on: StrictDate | None = None
    due_time: StrictTime | None = None
    shift: Shift | None = None
    calendar_id: StrictInt | None = None
    assignee_id: StrictInt | None = None
    effort_minutes: StrictInt | None = Field(None, ge=1, le=7200)
    active: StrictBool | None = None
    critical: StrictBool | None = None
    steps: list[StepIn] | None = Field(
        None, max_length=40, description="The whole checklist: steps not listed are removed"
    )
    archived: StrictBool | None = ARCHIVED


class OccurrenceOut(Schema):
    id: int
    routine_id: int
    due: dt.datetime
    status: str
    completed_at: dt.datetime | None
    late: bool
    nonconforming: bool = Field(
        description="Completing or missing it opened a nonconformance (never shown as on time)"
    )
    version: int


class StepEvidenceIn(Schema):
    step_id: StrictInt
    note: StrictStr = ""
    number: Number | None = None
    passed: StrictBool | None = None


class CompleteIn(Schema):
    version: StrictInt
    evidence: list[StepEvidenceIn] = []


def _process(p: Process, user: Any) -> ProcessOut:
    out = ProcessOut.model_validate(p, from_attributes=True)
    if not sees_process_money(user, p):
        out.annual_budget = None  # guests and members see no money (costs.selectors' rule)
    return out


sees_process_money = selectors.sees_process_money  # the one rule (costs' is the same)


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
        nonconforming=o.nonconforming,
        version=o.version,
    )


def _member(org_id: int, user_id: int | None, field: str = "owner_id") -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, memberships__organisation_id=org_id).first()
    if user is None:
        raise Invalid("That person is not a member of this organisation.", field=field)
    return user


def _own(model: type[Any], org_id: int, pk: int | None, field: str) -> Any:
    """An object of the caller's organisation by id (None stays None); else 422 on ``field``."""
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk, organisation_id=org_id).first()
    if obj is None:
        raise Invalid(f"No such {field.removesuffix('_id')} in this organisation.", field=field)
    return obj


def _queue(q: Queue) -> QueueOut:
    return QueueOut.model_validate(q, from_attributes=True)


def _routine(r: Routine, with_steps: bool = False) -> RoutineOut:
    fields = set(RoutineOut.model_fields) - {"steps"}
    out = RoutineOut(**{name: getattr(r, name) for name in fields})
    if with_steps:
        out.steps = [
            StepOut.model_validate(s, from_attributes=True) for s in selectors.steps_of(r.pk)
        ]
    return out


def _specs(steps: list[StepIn]) -> list[StepSpec]:
    return [
        StepSpec(
            text=s.text,
            evidence=s.evidence,
            min_value=None if s.min_value is None else float(s.min_value),
            max_value=None if s.max_value is None else float(s.max_value),
            unit=s.unit,
            id=s.id,
        )
        for s in steps
    ]


def _routine_values(org_id: int, payload: RoutineIn | RoutinePatch) -> dict[str, Any]:
    values = payload.model_dump(
        exclude_unset=True,
        exclude={"version", "steps", "calendar_id", "assignee_id", "archived"},
    )
    if "calendar_id" in payload.model_fields_set:
        values["calendar"] = _own(BusinessCalendar, org_id, payload.calendar_id, "calendar_id")
    if "assignee_id" in payload.model_fields_set:
        values["assignee"] = _member(org_id, payload.assignee_id, "assignee_id")
        # The service's rule (no guests), here naming the API's field.
        services.check_worker(org_id, values["assignee"], work="routines", field="assignee_id")
    _not_null(
        values,
        ("name", "description", "rrule", "starts_on", "due_time", "shift", "effort_minutes"),
    )
    _not_null(values, ("active", "critical"))
    return values


def _not_null(values: dict[str, Any], keys: tuple[str, ...]) -> None:
    """PATCH: ``null`` is only for fields that may be empty."""
    for key in keys:
        if key in values and values[key] is None:
            raise Invalid(f"{key} cannot be null.", field=key)


@transaction.atomic
def _edit_and_archive(
    request: HttpRequest, obj: Any, payload: Any, edit: Any, has_edits: bool
) -> None:
    """A PATCH may edit fields and archive or restore: one transaction, one version check."""
    version = payload.version
    if has_edits:
        edit(version)
        version = obj.version
    if payload.archived is not None:
        services.set_archived(
            actor=actor_of(request), obj=obj, archived=payload.archived, expected_version=version
        )
    elif not has_edits:
        # Nothing to change: still refuse a stale version, as a real edit would.
        require(actor_of(request), Action.MANAGE, obj)
        if type(obj).objects.filter(pk=obj.pk, version=version).count() == 0:
            raise Conflict("Someone else changed this since you opened it. Reload and try again.")


class ImpactOut(Schema):
    kind: str
    name: str
    deletes: dict[str, int] = Field(..., description="What goes with it: words → count")
    unlinks: dict[str, int] = Field(..., description="What stays, no longer linked: words → count")
    files: int


def _impact(impact: services.Impact) -> ImpactOut:
    return ImpactOut(
        kind=impact.label,
        name=impact.name,
        deletes={words: n for n, words in impact.goes},
        unlinks={words: n for n, words in impact.stays},
        files=impact.files,
    )


GETTERS: dict[str, Any] = {
    "processes": selectors.get_process,
    "kpis": selectors.get_kpi,
    "queues": selectors.get_queue,
    "routines": selectors.get_routine,
}
Kind = Literal["processes", "kpis", "queues", "routines"]


@router.get(
    "/operations/{kind}/{pk}/deletion",
    response={200: ImpactOut, **READ, 403: ErrorOut},
    summary="What deleting a process, KPI, queue or routine would take with it",
)
def deletion_impact(request: HttpRequest, kind: Kind, pk: int) -> ImpactOut:
    obj = GETTERS[kind](request.user, pk)
    require(request.user, Action.MANAGE, obj)
    return _impact(services.deletion_impact(obj))


@router.delete(
    "/operations/{kind}/{pk}",
    response={200: ImpactOut, **WRITE},
    summary="Move a process, KPI, queue or routine to the trash (admins; pass its version)",
)
def delete_thing(
    request: HttpRequest, kind: Kind, pk: int, version: int = Query(..., ge=1)
) -> ImpactOut:
    obj = GETTERS[kind](request.user, pk)
    return _impact(
        services.delete_thing(actor=actor_of(request), obj=obj, expected_version=version)
    )


ShowArchived = Query(False, description="Include archived ones too")


@router.get("/organisations/{org_id}/processes", response={200: list[ProcessOut], **SYNCED})
def list_processes(
    request: HttpRequest,
    org_id: int,
    sync: Sync,
    reply: HttpResponse,
    include_archived: bool = ShowArchived,
) -> list[ProcessOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    page = synced_page(request, selectors.processes_of(org, _shown(include_archived)), sync)
    page.stamp(reply)
    return [_process(p, request.user) for p in page.rows]


def _shown(include_archived: bool) -> bool | None:
    return None if include_archived else False


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
    return Status(201, _process(process, request.user))


@router.get("/processes/{pk}", response={200: ProcessOut, **READ})
def get_process(request: HttpRequest, pk: int) -> ProcessOut:
    return _process(selectors.get_process(request.user, pk), request.user)


@router.patch("/processes/{pk}", response={200: ProcessOut, **WRITE})
def patch_process(request: HttpRequest, pk: int, payload: ProcessPatch) -> ProcessOut:
    process = selectors.get_process(request.user, pk)
    values = payload.model_dump(
        exclude_unset=True, exclude={"version", "owner_id", "team_id", "archived"}
    )
    _not_null(values, ("name", "description", "annual_budget"))
    if "owner_id" in payload.model_fields_set:
        values["owner"] = _member(process.organisation_id, payload.owner_id)
    if "team_id" in payload.model_fields_set:
        values["team"] = _own(Team, process.organisation_id, payload.team_id, "team_id")
    _edit_and_archive(
        request,
        process,
        payload,
        lambda version: services.update_process(
            actor=actor_of(request), process=process, expected_version=version, **values
        ),
        bool(values),
    )
    return _process(process, request.user)


@router.get("/organisations/{org_id}/kpis", response={200: list[KpiOut], **SYNCED})
def list_kpis(
    request: HttpRequest,
    org_id: int,
    sync: Sync,
    reply: HttpResponse,
    include_archived: bool = ShowArchived,
) -> list[KpiOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    page = synced_page(request, selectors.kpis_of(org, _shown(include_archived)), sync)
    page.stamp(reply)
    return [_kpi(k) for k in page.rows]


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
    values = payload.model_dump(exclude_unset=True, exclude={"version", "archived"})
    _not_null(values, ("name", "description", "unit", "good_direction", "frequency", "target"))
    _not_null(values, ("red_threshold", "plausibility_spreads"))
    _edit_and_archive(
        request,
        kpi,
        payload,
        lambda version: services.update_kpi(
            actor=actor_of(request), kpi=kpi, expected_version=version, **values
        ),
        bool(values),
    )
    return _kpi(kpi)


@router.get("/kpis/{pk}/measurements", response={200: list[MeasurementOut], **SYNCED})
def list_measurements(
    request: HttpRequest, pk: int, sync: Sync, reply: HttpResponse
) -> list[MeasurementOut]:
    """Oldest first (by date), voided values too (``voided``); page with ``limit`` and
    ``offset``."""
    kpi = selectors.get_kpi(request.user, pk)
    rows = Measurement.objects.filter(kpi=kpi).order_by("measured_on", "pk")
    page = synced_page(request, rows, sync, stamps=("created_at", "corrected_at", "voided_at"))
    page.stamp(reply)
    return [measurement_out(m) for m in page.rows]


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
        saved = services.add_measurements(
            actor=actor_of(request), kpi=kpi, rows=rows, confirmed=payload.confirm
        )
    except (services.MeasurementsInvalid, services.MeasurementsImplausible) as exc:
        return rows_refused(exc)
    return Status(201, [measurement_out(m) for m in saved])


@router.get("/organisations/{org_id}/queues", response={200: list[QueueOut], **SYNCED})
def list_queues(
    request: HttpRequest,
    org_id: int,
    sync: Sync,
    reply: HttpResponse,
    include_archived: bool = ShowArchived,
) -> list[QueueOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    page = synced_page(request, selectors.queues_of(org, _shown(include_archived)), sync)
    page.stamp(reply)
    return [_queue(q) for q in page.rows]


# Calendars: see twofold.calendars.api (one model for projects and operations).


@router.post("/organisations/{org_id}/queues", response={201: QueueOut, **WRITE})
def create_queue(request: HttpRequest, org_id: int, payload: QueueIn) -> Status[QueueOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    queue = services.create_queue(
        actor=actor_of(request),
        organisation=org,
        name=payload.name,
        description=payload.description,
        process=_own(Process, org.pk, payload.process_id, "process_id"),
        calendar=_own(BusinessCalendar, org.pk, payload.calendar_id, "calendar_id"),
        sla_hours=payload.sla_hours,
        nc_on_breach=payload.nc_on_breach,
    )
    return Status(201, _queue(queue))


@router.get("/queues/{pk}", response={200: QueueOut, **READ})
def get_queue(request: HttpRequest, pk: int) -> QueueOut:
    return _queue(selectors.get_queue(request.user, pk))


@router.patch("/queues/{pk}", response={200: QueueOut, **WRITE})
def patch_queue(request: HttpRequest, pk: int, payload: QueuePatch) -> QueueOut:
    queue = selectors.get_queue(request.user, pk)
    org_id = queue.organisation_id
    values = payload.model_dump(
        exclude_unset=True, exclude={"version", "process_id", "calendar_id", "archived"}
    )
    if "process_id" in payload.model_fields_set:
        values["process"] = _own(Process, org_id, payload.process_id, "process_id")
    if "calendar_id" in payload.model_fields_set:
        if payload.calendar_id is None:
            raise Invalid("A queue needs a business calendar.", field="calendar_id")
        values["calendar"] = _own(BusinessCalendar, org_id, payload.calendar_id, "calendar_id")
    for key in ("name", "description", "sla_hours", "nc_on_breach"):
        if key in values and values[key] is None:
            raise Invalid(f"{key} cannot be null.", field=key)
    _edit_and_archive(
        request,
        queue,
        payload,
        lambda version: services.update_queue(
            actor=actor_of(request), queue=queue, expected_version=version, **values
        ),
        bool(values),
    )
    return _queue(queue)


@router.get("/queues/{pk}/requests", response={200: list[RequestOut], **SYNCED})
def list_requests(
    request: HttpRequest, pk: int, sync: Sync, reply: HttpResponse
) -> list[RequestOut]:
    """Oldest first (by id); SLA clocks are computed for the requested page only."""
    queue = selectors.get_queue(request.user, pk)
    rows = selectors.requests_query().filter(queue=queue).order_by("pk")
    stamps = ("created_at", "first_response_at", "resolved_at")
    page = synced_page(request, rows, sync, stamps=stamps)
    page.stamp(reply)
    return [_request(r) for r in page.rows]


@router.post("/queues/{pk}/requests", response={201: RequestOut, **WRITE})
def create_request(request: HttpRequest, pk: int, payload: RequestIn) -> Status[RequestOut]:
    queue = selectors.get_queue(request.user, pk)
    created = services.create_request(actor=actor_of(request), queue=queue, **payload.model_dump())
    return Status(201, _request(selectors.get_request(request.user, created.pk)))


@router.get("/requests/{pk}", response={200: RequestOut, **READ})
def get_request(request: HttpRequest, pk: int) -> RequestOut:
    return _request(selectors.get_request(request.user, pk))


@router.delete(
    "/requests/{pk}",
    response={204: None, **WRITE},
    summary="Move a request to the trash (an admin can restore it; pass its version)",
)
def trash_request(request: HttpRequest, pk: int, version: int = Query(..., ge=1)) -> Status[None]:
    services.trash_request(
        actor=actor_of(request),
        request=selectors.get_request(request.user, pk),
        expected_version=version,
    )
    return Status(204, None)


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


@router.get("/organisations/{org_id}/routines", response={200: list[RoutineOut], **SYNCED})
def list_routines(
    request: HttpRequest,
    org_id: int,
    sync: Sync,
    reply: HttpResponse,
    include_archived: bool = ShowArchived,
) -> list[RoutineOut]:
    org = account_selectors.get_organisation(request.user, org_id)
    page = synced_page(request, selectors.routines_of(org, _shown(include_archived)), sync)
    page.stamp(reply)
    return [_routine(r) for r in page.rows]


@router.post("/processes/{pk}/routines", response={201: RoutineOut, **WRITE})
def create_routine(request: HttpRequest, pk: int, payload: RoutineIn) -> Status[RoutineOut]:
    process = selectors.get_process(request.user, pk)
    values = _routine_values(process.organisation_id, payload)
    if values.get("starts_on") is None:
        values.pop("starts_on", None)
    routine = services.create_routine(
        actor=actor_of(request), process=process, steps=_specs(payload.steps), **values
    )
    return Status(201, _routine(routine, with_steps=True))


@router.get("/routines/{pk}", response={200: RoutineOut, **READ})
def get_routine(request: HttpRequest, pk: int) -> RoutineOut:
    return _routine(selectors.get_routine(request.user, pk), with_steps=True)


@router.patch("/routines/{pk}", response={200: RoutineOut, **WRITE})
def patch_routine(request: HttpRequest, pk: int, payload: RoutinePatch) -> RoutineOut:
    routine = selectors.get_routine(request.user, pk)
    values = _routine_values(routine.organisation_id, payload)
    _edit_and_archive(
        request,
        routine,
        payload,
        lambda version: services.update_routine(
            actor=actor_of(request),
            routine=routine,
            expected_version=version,
            steps=None if payload.steps is None else _specs(payload.steps),
            **values,
        ),
        bool(values) or payload.steps is not None,
    )
    return _routine(routine, with_steps=True)


@router.get("/routines/{pk}/occurrences", response={200: list[OccurrenceOut], **SYNCED})
def list_occurrences(
    request: HttpRequest, pk: int, sync: Sync, reply: HttpResponse
) -> list[OccurrenceOut]:
    """Earliest due first; page with ``limit`` and ``offset``."""
    routine = selectors.get_routine(request.user, pk)
    rows = Occurrence.objects.filter(routine=routine).order_by("due", "pk")
    # Occurrences are generated in bulk, without history: their own stamps say when.
    stamps = ("created_at", "started_at", "completed_at")
    page = synced_page(request, rows, sync, stamps=stamps)
    page.stamp(reply)
    return [_occurrence(o) for o in page.rows]


@router.get(
    "/occurrences/{pk}",
    response={200: OccurrenceOut, **READ},
    summary="One occurrence of a routine, with its version (its page's facts; evidence is "
    "under /evidence)",
)
def get_occurrence(request: HttpRequest, pk: int) -> OccurrenceOut:
    return _occurrence(selectors.get_occurrence(request.user, pk))


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
