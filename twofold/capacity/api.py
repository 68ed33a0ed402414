"""API for capacity: usage per person and week, people's availability, levelling (same services)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictFloat, StrictInt, StrictStr

from twofold.accounts.models import Organisation, Team, User
from twofold.accounts.selectors import get_organisation
from twofold.capacity import availability as availability_selectors
from twofold.capacity import levelling, selectors, services
from twofold.capacity.forms import MAX_MOVES
from twofold.capacity.models import HOUR_FIELDS, Absence, WorkingPattern
from twofold.core.api import job_out
from twofold.core.api_schemas import READ, WRITE, BodyIn, JobOut
from twofold.core.errors import Invalid, NotFound
from twofold.core.web import actor_of
from twofold.engine.availability import STANDARD_WEEK
from twofold.projects import selectors as project_selectors
from twofold.projects.api import StrictDate

router = Router(tags=["capacity"])


class UsageQuery(Schema):
    start: StrictDate | None = Field(
        None, description="Any day of the first week, YYYY-MM-DD (default: today)."
    )
    weeks: int = Field(selectors.DEFAULT_WEEKS, ge=1, le=selectors.MAX_WEEKS)
    team_id: int | None = None


class PersonUsageOut(Schema):
    id: int
    name: str
    capacity: float = Field(..., description="Weekly hours of the pattern in the first week.")
    available: list[float] = Field(
        ..., description="Hours available in each week: pattern − holidays − absences."
    )
    hours: list[float] = Field(
        ..., description="Hours of demand in each week of `weeks`: project + operations."
    )
    project: list[float] = Field(..., description="Of `hours`: project task assignments.")
    operations: list[float] = Field(
        ..., description="Of `hours`: routines, forecast request work and reservations."
    )
    forecast: list[float] = Field(..., description="Of `operations`: forecast request work.")
    away: list[list[str]] = Field(..., description='Absences each week, e.g. "Holiday 2 d".')


class UsageOut(Schema):
    weeks: list[dt.date] = Field(..., description="The Monday of each week.")
    people: list[PersonUsageOut]


class LevelIn(BodyIn):
    method: Literal["heuristic", "optimise"] = "heuristic"
    seconds: StrictInt = Field(5, ge=1, le=levelling.MAX_OPTIMISE_SECONDS)


class MoveOut(Schema):
    task_id: int
    name: str
    assignee: str | None
    start_before: dt.date
    start_after: dt.date
    finish_before: dt.date
    finish_after: dt.date
    delay_days: int
    reason: str


class PreviewOut(Schema):
    version: str = Field(..., description="Send it back to apply; a changed project answers 409.")
    method: str
    finish_before: dt.date | None
    finish_after: dt.date | None
    moves: list[MoveOut]
    error: str
    stopped_early: bool = Field(False, description="A cancelled optimisation: its best plan.")


class MoveIn(BodyIn):
    task_id: StrictInt
    start: StrictDate


class ApplyIn(BodyIn):
    version: StrictStr = Field(..., max_length=40)
    moves: list[MoveIn] = Field(..., min_length=1, max_length=MAX_MOVES)


class AppliedOut(Schema):
    moved: int
    finish: dt.datetime | None


@router.get(
    "/organisations/{org_id}/capacity/usage",
    response={200: UsageOut, **READ},
    summary="Hours of demand per person and week (projects, routines, requests, reservations)",
)
def usage(request: HttpRequest, org_id: int, query: Query[UsageQuery]) -> UsageOut:
    organisation = get_organisation(request.user, org_id)
    selectors.check_window(query.start, "start")
    team = None
    if query.team_id is not None:
        team = Team.objects.filter(organisation=organisation, pk=query.team_id).first()
        if team is None:
            raise Invalid("No such team in this organisation.", field="team_id")
    grid = selectors.usage(
        organisation, first=query.start or timezone.localdate(), weeks=query.weeks, team=team
    )
    return UsageOut.model_validate(selectors.as_json(grid))


def _preview_out(preview: levelling.Preview) -> PreviewOut:
    return PreviewOut(
        version=preview.version,
        method=preview.method,
        finish_before=preview.finish_before,
        finish_after=preview.finish_after,
        error=preview.error,
        stopped_early=preview.stopped_early,
        moves=[
            MoveOut(
                task_id=m.task.pk,
                name=m.task.name,
                assignee=m.task.assignee.display_name if m.task.assignee else None,
                start_before=m.start_before,
                start_after=m.start_after,
                finish_before=m.finish_before,
                finish_after=m.finish_after,
                delay_days=m.delay_days,
                reason=m.reason,
            )
            for m in preview.moves
        ],
    )


@router.post(
    "/organisations/{org_id}/projects/{project_id}/level/preview",
    response={200: PreviewOut, 202: JobOut, **WRITE},
    summary="Level a project: what would move, by how much and why (nothing is saved)",
    description=(
        'The quick "heuristic" answers 200 with the preview. "optimise" runs in the background '
        "and answers 202 with the job: poll its `url` until it ends; its `result` is this "
        "preview (a cancelled job keeps the best plan found, with `stopped_early`)."
    ),
)
def level_preview(
    request: HttpRequest, org_id: int, project_id: int, payload: LevelIn
) -> PreviewOut | Status[JobOut]:
    organisation = get_organisation(request.user, org_id)
    project = project_selectors.get_project(request.user, organisation, project_id)
    if payload.method == "optimise":
        job = services.start_levelling(
            actor=actor_of(request), project=project, seconds=payload.seconds
        )
        return Status(202, job_out(job))
    preview = services.preview_levelling(actor=actor_of(request), project=project)
    return _preview_out(preview)


@router.post(
    "/organisations/{org_id}/projects/{project_id}/level/apply",
    response={200: AppliedOut, **WRITE},
    summary="Apply a levelling preview: a levelling delay per moved task (links kept)",
)
def level_apply(request: HttpRequest, org_id: int, project_id: int, payload: ApplyIn) -> AppliedOut:
    organisation = get_organisation(request.user, org_id)
    project = project_selectors.get_project(request.user, organisation, project_id)
    moves = {m.task_id: m.start for m in payload.moves}
    applied = services.apply_levelling(
        actor=actor_of(request), project=project, version=payload.version, moves=moves
    )
    return AppliedOut(moved=applied.moved, finish=applied.finish)


# ---------------------------------------------------------------------------------------------
# Availability: working pattern and absences of one person

Hours = Annotated[StrictFloat | StrictInt, Field(ge=0, le=24)]
KindName = Literal["holiday", "sickness", "training", "other"]
AVAILABILITY = "/organisations/{org_id}/people/{user_id}/availability"


class PatternOut(Schema):
    id: int | None = Field(..., description="None: the standard week, never saved.")
    effective_from: dt.date | None
    mon_hours: float
    tue_hours: float
    wed_hours: float
    thu_hours: float
    fri_hours: float
    sat_hours: float
    sun_hours: float
    weekly_hours: float
    note: str
    max_units: int = Field(100, description="The most one task may take of the day, percent.")
    version: int | None


class PatternIn(BodyIn):
    mon_hours: Hours
    tue_hours: Hours
    wed_hours: Hours
    thu_hours: Hours
    fri_hours: Hours
    sat_hours: Hours
    sun_hours: Hours
    effective_from: StrictDate | None = Field(
        None,
        description="From which day the pattern holds; default: the pattern in effect today "
        "changes (or a first one starts today).",
    )
    note: StrictStr = Field("", max_length=200)
    max_units: StrictInt | None = Field(
        None,
        description="Maximum units in percent (1-1000; admins only when it changes); "
        "default: unchanged.",
    )
    version: StrictInt | None = Field(
        None,
        description="The version you read, when changing an existing pattern; 0 when the person "
        "had none (409 if one was saved since).",
    )


class AbsenceOut(Schema):
    id: int
    kind: str
    start: dt.date
    end: dt.date
    half_day: bool
    note: str
    version: int


class AbsenceIn(BodyIn):
    kind: KindName = "holiday"
    start: StrictDate
    end: StrictDate
    half_day: StrictBool = Field(False, description="Only on a single day: takes half its hours.")
    note: StrictStr = Field("", max_length=200)


class AbsencePatch(BodyIn):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    kind: KindName | None = None
    start: StrictDate | None = None
    end: StrictDate | None = None
    half_day: StrictBool | None = None
    note: StrictStr | None = Field(None, max_length=200)


class DayOut(Schema):
    date: dt.date
    pattern_hours: float
    available_hours: float


class AvailabilityOut(Schema):
    person_id: int
    name: str
    can_edit: bool = Field(..., description="Whether you may change this person's availability.")
    pattern: PatternOut = Field(..., description="The pattern in effect on `start`.")
    patterns: list[PatternOut] = Field(..., description="Every change of pattern, oldest first.")
    absences: list[AbsenceOut] = Field(..., description="Absences touching `start`..`end`.")
    days: list[DayOut]


# Query dates are strict YYYY-MM-DD within the calendars' range: pydantic's lax dates read
# `start=0` as 1970-01-01, before any calendar (a 500 before).
class AvailabilityQuery(Schema):
    start: StrictDate | None = Field(None, description="First day (default: today).")
    end: StrictDate | None = Field(None, description="Last day (default: 8 weeks after `start`).")


class AbsencesQuery(Schema):
    start: StrictDate | None = Field(None, description="Only absences ending on or after this day.")
    end: StrictDate | None = Field(
        None, description="Only absences starting on or before this day."
    )


def _person(request: HttpRequest, org_id: int, user_id: int) -> tuple[Organisation, User]:
    organisation = get_organisation(request.user, org_id)
    person = selectors.person_in(organisation, user_id)
    if person is None:
        raise NotFound("Person not found.")
    return organisation, person


def _pattern_out(pattern: WorkingPattern | None) -> PatternOut:
    if pattern is None:
        hours = dict(zip(HOUR_FIELDS, STANDARD_WEEK, strict=True))
        return PatternOut(
            id=None,
            effective_from=None,
            weekly_hours=sum(STANDARD_WEEK),
            note="",
            max_units=100,
            version=None,
            **hours,
        )
    return PatternOut(
        id=pattern.pk,
        effective_from=pattern.effective_from,
        weekly_hours=pattern.weekly_hours,
        note=pattern.note,
        max_units=pattern.max_units,
        version=pattern.version,
        **dict(zip(HOUR_FIELDS, pattern.hours, strict=True)),
    )


def _absence_out(a: Absence) -> AbsenceOut:
    return AbsenceOut(
        id=a.pk,
        kind=a.kind,
        start=a.start,
        end=a.end,
        half_day=a.half_day,
        note=a.note,
        version=a.version,
    )


@router.get(
    AVAILABILITY,
    response={200: AvailabilityOut, **READ},
    summary="A person's availability: pattern, absences and available hours per day",
)
def get_availability(
    request: HttpRequest, org_id: int, user_id: int, query: Query[AvailabilityQuery]
) -> AvailabilityOut:
    organisation, person = _person(request, org_id, user_id)
    start = query.start or timezone.localdate()
    selectors.check_window(start, "start")
    end = query.end or start + dt.timedelta(weeks=availability_selectors.STRIP_WEEKS, days=-1)
    selectors.check_window(end, "end")
    if end < start:
        raise Invalid("The end is before the start.", field="end")
    if (end - start).days > availability_selectors.MAX_RANGE_DAYS:
        raise Invalid(
            f"Ask for at most {availability_selectors.MAX_RANGE_DAYS + 1} days.", field="end"
        )
    view = availability_selectors.person_availability(
        actor_of(request), organisation, person, start, end
    )
    return AvailabilityOut(
        person_id=person.pk,
        name=person.display_name,
        can_edit=view.can_edit,
        pattern=_pattern_out(view.pattern),
        patterns=[_pattern_out(p) for p in view.patterns],
        absences=[_absence_out(a) for a in view.absences],
        days=[
            DayOut(date=d.day, pattern_hours=d.pattern, available_hours=d.available)
            for d in view.days
        ],
    )


@router.get(
    f"{AVAILABILITY}/pattern",
    response={200: PatternOut, **READ},
    summary="The working pattern in effect today (the standard week if none was set)",
)
def get_pattern(request: HttpRequest, org_id: int, user_id: int) -> PatternOut:
    organisation, person = _person(request, org_id, user_id)
    return _pattern_out(
        availability_selectors.pattern_on(organisation, person, timezone.localdate())
    )


@router.put(
    f"{AVAILABILITY}/pattern",
    response={200: PatternOut, **WRITE},
    summary="Set the hours per weekday (from `effective_from`, default the current pattern)",
)
def put_pattern(request: HttpRequest, org_id: int, user_id: int, payload: PatternIn) -> PatternOut:
    organisation, person = _person(request, org_id, user_id)
    pattern = services.set_working_pattern(
        actor=actor_of(request),
        organisation=organisation,
        person=person,
        hours=[getattr(payload, name) for name in HOUR_FIELDS],
        effective_from=payload.effective_from,
        note=payload.note,
        expected_version=payload.version,
        max_units=payload.max_units,
    )
    return _pattern_out(pattern)


@router.delete(
    f"{AVAILABILITY}/patterns/{{pattern_id}}",
    response={204: None, **WRITE},
    summary="Remove one change of pattern (the one before it holds again)",
)
def delete_pattern(
    request: HttpRequest, org_id: int, user_id: int, pattern_id: int, version: int | None = None
) -> Status[None]:
    """``version``: as you read it (409 if the pattern changed since)."""
    organisation, person = _person(request, org_id, user_id)
    pattern = WorkingPattern.objects.filter(
        organisation=organisation, person=person, pk=pattern_id
    ).first()
    if pattern is None:
        raise NotFound("Pattern not found.")
    services.delete_working_pattern(
        actor=actor_of(request), pattern=pattern, expected_version=version
    )
    return Status(204, None)


@router.get(
    f"{AVAILABILITY}/absences",
    response={200: list[AbsenceOut], **READ},
    summary="A person's absences, by start date",
)
def list_absences(
    request: HttpRequest, org_id: int, user_id: int, query: Query[AbsencesQuery]
) -> list[AbsenceOut]:
    organisation, person = _person(request, org_id, user_id)
    rows = Absence.objects.filter(organisation=organisation, person=person)
    if query.start is not None:
        rows = rows.filter(end__gte=query.start)
    if query.end is not None:
        rows = rows.filter(start__lte=query.end)
    return [_absence_out(a) for a in rows.order_by("start", "pk")]


@router.post(
    f"{AVAILABILITY}/absences",
    response={201: AbsenceOut, **WRITE},
    summary="Record an absence (holiday, sickness, training, other)",
)
def create_absence(
    request: HttpRequest, org_id: int, user_id: int, payload: AbsenceIn
) -> Status[AbsenceOut]:
    organisation, person = _person(request, org_id, user_id)
    absence = services.create_absence(
        actor=actor_of(request), organisation=organisation, person=person, **payload.model_dump()
    )
    return Status(201, _absence_out(absence))


def _absence(request: HttpRequest, org_id: int, user_id: int, absence_id: int) -> Absence:
    organisation, person = _person(request, org_id, user_id)
    absence = (
        Absence.objects.filter(organisation=organisation, person=person, pk=absence_id)
        .select_related("organisation", "person")
        .first()
    )
    if absence is None:
        raise NotFound("Absence not found.")
    return absence


@router.patch(
    f"{AVAILABILITY}/absences/{{absence_id}}",
    response={200: AbsenceOut, **WRITE},
    summary="Change an absence",
)
def patch_absence(
    request: HttpRequest, org_id: int, user_id: int, absence_id: int, payload: AbsencePatch
) -> AbsenceOut:
    absence = _absence(request, org_id, user_id, absence_id)
    fields = set(payload.model_fields_set) - {"version"}
    for key in sorted(fields):
        if getattr(payload, key) is None:
            raise Invalid(f"{key} cannot be null.", field=key)
    absence = services.update_absence(
        actor=actor_of(request),
        absence=absence,
        expected_version=payload.version,
        **{key: getattr(payload, key) for key in fields},
    )
    return _absence_out(absence)


@router.delete(
    f"{AVAILABILITY}/absences/{{absence_id}}",
    response={204: None, **WRITE},
    summary="Delete an absence",
)
def delete_absence(
    request: HttpRequest, org_id: int, user_id: int, absence_id: int, version: int | None = None
) -> Status[None]:
    """``version``: as you read it (409 if the absence changed since)."""
    services.delete_absence(
        actor=actor_of(request),
        absence=_absence(request, org_id, user_id, absence_id),
        expected_version=version,
    )
    return Status(204, None)


# The capacity model's routes (reservations, assignments, take-on...) live beside, on this router.
from twofold.capacity import api_model as _api_model  # noqa: E402,F401
