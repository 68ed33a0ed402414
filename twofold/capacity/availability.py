"""Reads of people's availability: rows to engine inputs in one place, then the engine's hours.

Every read here is a constant number of queries however many people or absences there are:
one for the patterns, one for the absences (and whatever :func:`organisation_holidays` needs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from twofold.accounts.models import Organisation, User
from twofold.calendars.working_time import spec_for
from twofold.capacity.models import Absence, AbsenceKind, WorkingPattern
from twofold.core.models import HistoryEntry
from twofold.core.policy import Action, can
from twofold.engine.availability import (
    STANDARD_WEEK,
    AbsenceSpan,
    DailyAvailability,
    PatternPeriod,
    daily_availability,
)
from twofold.engine.calendars import CalendarSpec, compile_calendar, is_working_day


def organisation_holidays(organisation: Organisation, start: dt.date, end: dt.date) -> set[dt.date]:
    """The organisation's holidays from ``start`` to ``end`` (both included): the days its
    default calendar (``calendars`` app) takes out of a week that would otherwise work them.

    A weekday that the default calendar never works (a weekend) is not a holiday here: people's
    own working patterns say which weekdays they work. One query (the default's revision); the
    calendar itself comes from the calendars app's cache.
    """
    if end < start:
        return set()
    spec = spec_for(organisation.pk, None)
    with_holidays = compile_calendar(spec)
    plain = compile_calendar(_without_exceptions(spec))
    days = (end - start).days + 1
    found = set()
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if is_working_day(plain, day) and not is_working_day(with_holidays, day):
            found.add(day)
    return found


def _without_exceptions(spec: CalendarSpec) -> CalendarSpec:
    base = _without_exceptions(spec.base) if spec.base is not None else None
    return dataclasses.replace(spec, exceptions=(), base=base)


def pattern_periods(
    organisation: Organisation, person_ids: Iterable[int]
) -> dict[int, list[PatternPeriod]]:
    """Each person's working patterns as engine periods, oldest first (one query)."""
    out: dict[int, list[PatternPeriod]] = defaultdict(list)
    rows = WorkingPattern.objects.filter(
        organisation=organisation, person_id__in=list(person_ids)
    ).order_by("person_id", "effective_from")
    for row in rows:
        out[row.person_id].append(PatternPeriod(row.effective_from, row.hours))
    return out


def absences_between(
    organisation: Organisation, person_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, list[Absence]]:
    """Each person's absences that touch ``start``..``end``, by start date (one query)."""
    out: dict[int, list[Absence]] = defaultdict(list)
    rows = Absence.objects.filter(
        organisation=organisation,
        person_id__in=list(person_ids),
        start__lte=end,
        end__gte=start,
    ).order_by("person_id", "start", "pk")
    for row in rows:
        out[row.person_id].append(row)
    return out


def span_of(absence: Absence) -> AbsenceSpan:
    return AbsenceSpan(absence.start, absence.end, absence.kind, absence.half_day)


@dataclass(frozen=True)
class PeopleAvailability:
    """Availability of several people over one range, with the rows it came from."""

    start: dt.date
    end: dt.date
    by_person: dict[int, DailyAvailability]
    absences: dict[int, list[Absence]]
    patterns: dict[int, list[PatternPeriod]]
    holidays: set[dt.date]

    def of(self, person_id: int) -> DailyAvailability:
        return self.by_person[person_id]


def availability(
    organisation: Organisation, person_ids: Iterable[int], start: dt.date, end: dt.date
) -> PeopleAvailability:
    """Available hours per day of each of ``person_ids`` from ``start`` to ``end``."""
    ids = list(person_ids)
    patterns = pattern_periods(organisation, ids)
    absences = absences_between(organisation, ids, start, end)
    holidays = organisation_holidays(organisation, start, end)
    by_person = {
        pk: daily_availability(
            patterns.get(pk, []),
            [span_of(a) for a in absences.get(pk, [])],
            holidays,
            start,
            end,
        )
        for pk in ids
    }
    return PeopleAvailability(start, end, by_person, absences, patterns, holidays)


def current_hours(periods: list[PatternPeriod], day: dt.date) -> tuple[float, ...]:
    """The weekday hours in effect on ``day`` (the standard week without a pattern)."""
    if not periods:
        return STANDARD_WEEK
    current = periods[0]
    for period in periods:
        if period.effective_from <= day:
            current = period
    return current.hours


# ---------------------------------------------------------------------------------------------
# One person's availability, as the page and the API show it

STRIP_WEEKS = 8
MAX_RANGE_DAYS = 366
PAST_ABSENCE_DAYS = 90


def can_edit(user: User, organisation: Organisation, person: User) -> bool:
    """The person themselves, or an admin or owner of the organisation."""
    return bool(user.pk == person.pk or can(user, Action.MANAGE, organisation))


def pattern_rows(organisation: Organisation, person: User) -> list[WorkingPattern]:
    return list(
        WorkingPattern.objects.filter(organisation=organisation, person=person).order_by(
            "effective_from"
        )
    )


def in_effect(rows: list[WorkingPattern], day: dt.date) -> WorkingPattern | None:
    current = rows[0] if rows else None
    for row in rows:
        if row.effective_from <= day:
            current = row
    return current


def pattern_on(organisation: Organisation, person: User, day: dt.date) -> WorkingPattern | None:
    """The pattern row in effect on ``day``; None when the person works the standard week."""
    return in_effect(pattern_rows(organisation, person), day)


@dataclass(frozen=True)
class Day:
    day: dt.date
    pattern: float
    available: float
    holiday: bool
    away: str  # the absence kind's label, "" when none

    @property
    def state(self) -> str:
        if self.pattern == 0:
            return "off"
        if self.holiday:
            return "holiday"
        if self.available == 0:
            return "away"
        return "part" if self.available < self.pattern else "work"


@dataclass(frozen=True)
class Week:
    days: list[Day]

    @property
    def first(self) -> dt.date:
        return self.days[0].day

    @property
    def available(self) -> float:
        return round(sum(d.available for d in self.days), 2)


@dataclass(frozen=True)
class PersonAvailability:
    person: User
    can_edit: bool
    pattern: WorkingPattern | None
    patterns: list[WorkingPattern]
    absences: list[Absence]
    days: list[Day]

    @property
    def weeks(self) -> list[Week]:
        return [Week(self.days[i : i + 7]) for i in range(0, len(self.days), 7)]


def person_availability(
    user: User, organisation: Organisation, person: User, start: dt.date, end: dt.date
) -> PersonAvailability:
    """``person``'s patterns, absences touching the range and hours per day (two queries)."""
    rows = pattern_rows(organisation, person)
    absences = absences_between(organisation, [person.pk], start, end).get(person.pk, [])
    holidays = organisation_holidays(organisation, start, end)
    daily = daily_availability(
        [PatternPeriod(r.effective_from, r.hours) for r in rows],
        [span_of(a) for a in absences],
        holidays,
        start,
        end,
    )
    labels = dict(AbsenceKind.choices)
    away: dict[dt.date, str] = {}
    for a in absences:
        for i in range(a.calendar_days):
            away[a.start + dt.timedelta(days=i)] = str(labels.get(a.kind, a.kind))
    days = [
        Day(
            day,
            float(daily.pattern[i]),
            float(daily.available[i]),
            day in holidays,
            away.get(day, ""),
        )
        for i, day in enumerate(daily.days)
    ]
    return PersonAvailability(
        person, can_edit(user, organisation, person), in_effect(rows, start), rows, absences, days
    )


def absences_since(organisation: Organisation, person: User, since: dt.date) -> list[Absence]:
    """``person``'s absences that end on or after ``since``, by start date (one query)."""
    return list(
        Absence.objects.filter(organisation=organisation, person=person, end__gte=since).order_by(
            "start", "pk"
        )
    )


def availability_history(organisation: Organisation, person: User, limit: int = 20) -> list[Any]:
    """The newest history entries of ``person``'s patterns and absences (one query).

    Entries of rows since deleted stay in the organisation's history but are not listed here:
    history is kept per object, and a deleted absence's id no longer points to the person.
    """
    kinds = ContentType.objects.get_for_models(WorkingPattern, Absence)
    patterns = WorkingPattern.objects.filter(organisation=organisation, person=person)
    absences = Absence.objects.filter(organisation=organisation, person=person)
    return list(
        HistoryEntry.objects.filter(organisation=organisation)
        .filter(
            Q(content_type=kinds[WorkingPattern], object_id__in=patterns.values("pk"))
            | Q(content_type=kinds[Absence], object_id__in=absences.values("pk"))
        )
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
