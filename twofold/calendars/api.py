"""API for calendars (the same services as the page): /api/organisations/{org}/calendars."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator, StrictBool, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

from twofold.accounts.selectors import get_organisation
from twofold.calendars import selectors, services
from twofold.calendars.models import Calendar, Holiday
from twofold.core.api_schemas import READ, WRITE
from twofold.core.errors import Invalid, NotFound
from twofold.core.web import actor_of

router = Router(tags=["calendars"])

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_type", "Send a date as YYYY-MM-DD.")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_day)]
Period = Annotated[list[StrictStr], Field(min_length=2, max_length=2)]
Hours = dict[StrictStr, list[Period]]
RepeatName = Literal["once", "yearly", "yearly_weekday"]


class HolidayOut(Schema):
    id: int
    name: str
    start: dt.date
    end: dt.date
    repeat: RepeatName
    week_of_month: int | None
    until: dt.date | None
    hours: list[list[str]]


class CalendarOut(Schema):
    id: int
    name: str
    hours: dict[str, list[list[str]]]
    base_id: int | None
    is_default: bool
    holidays: list[HolidayOut]
    version: int


class CalendarRescheduledOut(Schema):
    projects: int
    tasks: int
    lines: list[str]
    summary: str


class CalendarChangeOut(Schema):
    calendar: CalendarOut
    rescheduled: CalendarRescheduledOut | None = Field(
        None, description="What moved (small changes)."
    )
    job_id: int | None = Field(None, description="The background job rescheduling large plans.")


class CalendarIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=80)
    hours: Hours | None = Field(
        None,
        description='Weekday "0" (Monday) to "6": [["08:00", "12:00"], ...]; '
        "omitted = the Standard week. In a derived calendar a missing weekday is as in the base.",
    )
    base_id: StrictInt | None = None
    is_default: StrictBool = False


class CalendarPatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    name: StrictStr | None = Field(None, min_length=1, max_length=80)
    hours: Hours | None = None
    base_id: StrictInt | None = None
    is_default: StrictBool | None = None


class HolidayIn(Schema):
    version: StrictInt = Field(..., description="The calendar's version you read.")
    name: StrictStr = Field(..., min_length=1, max_length=120)
    start: IsoDate
    end: IsoDate | None = Field(None, description="Last day (inclusive); omitted = one day.")
    repeat: RepeatName = "once"
    week_of_month: StrictInt | None = Field(
        None,
        ge=1,
        le=5,
        description="For yearly_weekday: 1-4, or 5 for the last; omitted = from start. "
        "Ignored for other repeats.",
    )
    until: IsoDate | None = None
    hours: list[Period] = Field(
        default_factory=list, description="Working periods on those days; empty = closed."
    )


def _out(calendar: Calendar, holidays: list[Holiday] | None = None) -> CalendarOut:
    rows = holidays if holidays is not None else list(calendar.holidays.all())
    return CalendarOut(
        id=calendar.pk,
        name=calendar.name,
        hours=calendar.hours,
        base_id=calendar.base_id,
        is_default=calendar.is_default,
        holidays=[HolidayOut.model_validate(h, from_attributes=True) for h in rows],
        version=calendar.version,
    )


def _change(calendar: Calendar, outcome: services.Outcome) -> CalendarChangeOut:
    moved = outcome.moved
    return CalendarChangeOut(
        calendar=_out(calendar),
        rescheduled=CalendarRescheduledOut(**moved.as_json(), summary=moved.summary)
        if moved
        else None,
        job_id=outcome.job.pk if outcome.job else None,
    )


def _calendar(request: HttpRequest, org_id: int, pk: int) -> Calendar:
    get_organisation(request.user, org_id)
    calendar = selectors.get_calendar(request.user, pk)
    if calendar.organisation_id != org_id:
        raise NotFound("Calendar not found.")
    return calendar


def _base(org_id: int, base_id: int | None) -> Calendar | None:
    if base_id is None:
        return None
    base = Calendar.objects.filter(pk=base_id, organisation_id=org_id).first()
    if base is None:
        raise Invalid("No such calendar in this organisation.", field="base_id")
    return base


@router.get("/organisations/{org_id}/calendars", response={200: list[CalendarOut], **READ})
def list_calendars(request: HttpRequest, org_id: int) -> list[CalendarOut]:
    """Every calendar of the organisation with its holidays (the default first)."""
    org = get_organisation(request.user, org_id)
    return [_out(c) for c in selectors.calendars_with_holidays(org)]


@router.post("/organisations/{org_id}/calendars", response={201: CalendarOut, **WRITE})
def create_calendar(request: HttpRequest, org_id: int, payload: CalendarIn) -> Status[CalendarOut]:
    org = get_organisation(request.user, org_id)
    calendar = services.create_calendar(
        actor=actor_of(request),
        organisation=org,
        name=payload.name,
        hours=payload.hours,
        base=_base(org_id, payload.base_id),
        is_default=payload.is_default,
    )
    return Status(201, _out(calendar, []))


@router.get("/organisations/{org_id}/calendars/{pk}", response={200: CalendarOut, **READ})
def get_calendar(request: HttpRequest, org_id: int, pk: int) -> CalendarOut:
    return _out(_calendar(request, org_id, pk))


@router.patch("/organisations/{org_id}/calendars/{pk}", response={200: CalendarChangeOut, **WRITE})
def patch_calendar(
    request: HttpRequest, org_id: int, pk: int, payload: CalendarPatch
) -> CalendarChangeOut:
    """Change name, hours, base or default; answers what the change moved."""
    calendar = _calendar(request, org_id, pk)
    values: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude={"version", "base_id"})
    for key in ("name", "hours", "is_default"):
        if key in values and values[key] is None:
            raise Invalid(f"{key} cannot be null.", field=key)
    if "base_id" in payload.model_fields_set:
        values["base"] = _base(org_id, payload.base_id)
    outcome = services.update_calendar(
        actor=actor_of(request), calendar=calendar, expected_version=payload.version, **values
    )
    return _change(calendar, outcome)


@router.delete("/organisations/{org_id}/calendars/{pk}", response={204: None, **WRITE})
def delete_calendar(
    request: HttpRequest, org_id: int, pk: int, version: int | None = None
) -> Status[None]:
    calendar = _calendar(request, org_id, pk)
    services.delete_calendar(actor=actor_of(request), calendar=calendar, expected_version=version)
    return Status(204, None)


@router.post(
    "/organisations/{org_id}/calendars/{pk}/holidays",
    response={201: CalendarChangeOut, **WRITE},
)
def add_holiday(
    request: HttpRequest, org_id: int, pk: int, payload: HolidayIn
) -> Status[CalendarChangeOut]:
    """Add a holiday (or days with other hours); answers what it moved."""
    calendar = _calendar(request, org_id, pk)
    values = payload.model_dump(exclude={"version"})
    _holiday, outcome = services.add_holiday(
        actor=actor_of(request), calendar=calendar, expected_version=payload.version, **values
    )
    return Status(201, _change(calendar, outcome))


@router.delete(
    "/organisations/{org_id}/calendars/{pk}/holidays/{holiday_id}",
    response={200: CalendarChangeOut, **WRITE},
)
def delete_holiday(
    request: HttpRequest, org_id: int, pk: int, holiday_id: int, version: int | None = None
) -> CalendarChangeOut:
    calendar = _calendar(request, org_id, pk)
    holiday = Holiday.objects.filter(pk=holiday_id, calendar=calendar).first()
    if holiday is None:
        raise NotFound("Holiday not found.")
    holiday.calendar = calendar
    outcome = services.delete_holiday(
        actor=actor_of(request), holiday=holiday, expected_version=version
    )
    return _change(calendar, outcome)
