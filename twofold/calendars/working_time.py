"""The one adapter from stored calendars to the engine's ``CalendarSpec``, and its checks.

Everything that needs working time (the project scheduler, the Gantt, SLA clocks, routine
shifts) asks here: :func:`specs_of` reads an organisation's calendars and holidays in two
queries and builds one immutable spec per calendar (derived calendars wrap their base); the
engine compiles each spec once per process (``compile_calendar`` is cached on the spec).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from twofold.calendars.models import Calendar, Holiday, Repeat
from twofold.engine import calendars as ec
from twofold.engine.cal_recurrence import LAST, Recurrence, RecurrenceKind

STANDARD_HOURS: dict[str, list[list[str]]] = {
    str(d): ([["08:00", "12:00"], ["13:00", "17:00"]] if d < 5 else []) for d in range(7)
}
"""Microsoft Project's Standard week: Monday-Friday 08:00-12:00 and 13:00-17:00."""

STANDARD_SPEC = ec.make_calendar(name="Standard")
"""What an organisation without calendars schedules on (and every calendar's default week)."""

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2200, 12, 31)
"""Holidays must fall inside these (the engine itself covers 1980-2149)."""

RECUR_UNTIL = ec.HORIZON_END - dt.timedelta(days=1)


def check_hours(hours: Any, *, derived: bool = False) -> dict[str, list[list[str]]]:
    """Validate ``{"0": [["08:00", "17:00"]], ...}``; raises ValueError naming the problem.

    In a derived calendar (``derived``) a weekday may be left out (it is as in the base) and
    the week alone may have no working time.
    """
    if not isinstance(hours, dict):
        raise ValueError("Working hours must map weekdays 0-6 to lists of [start, end].")
    clean: dict[str, list[list[str]]] = {}
    for key, ranges in hours.items():
        if str(key) not in {str(d) for d in range(7)}:
            raise ValueError(f"Unknown weekday {key!r}: use 0 (Monday) to 6 (Sunday).")
        clean[str(key)] = check_periods(ranges)
    if not derived:
        for d in range(7):
            clean.setdefault(str(d), [])
        if not any(clean.values()):
            raise ValueError("A calendar needs some working time: every day is closed.")
    return dict(sorted(clean.items()))


DAY_END = 24 * 60
"""Minutes in a day: a period ending at midnight ends at ``24:00`` (stored so)."""


def period_minutes(start: str, end: str) -> tuple[int, int]:
    """(start, end) of a period like ``08:00``–``17:00`` in minutes after midnight; the end may be
    ``24:00`` (or ``00:00`` after a later start: midnight, as Microsoft Project writes a 24-hour
    day). Raises ValueError naming the period."""
    try:
        start_time = dt.time.fromisoformat(start)
        if end.strip() in ("24:00", "24:00:00"):
            end_minutes = DAY_END
        else:
            end_time = dt.time.fromisoformat(end)
            end_minutes = end_time.hour * 60 + end_time.minute or DAY_END
    except ValueError as exc:
        raise ValueError(f"{start}–{end} is not a period like 08:00–12:00.") from exc
    start_minutes = start_time.hour * 60 + start_time.minute
    if end_minutes <= start_minutes:
        raise ValueError(f"A working period must end after it starts ({start}–{end}).")
    return start_minutes, end_minutes


def clock(minutes: int) -> str:
    """Minutes after midnight as ``HH:MM`` (1,440 as ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def check_periods(ranges: Any) -> list[list[str]]:
    """Validate one day's ``[["08:00", "12:00"], ...]`` (sorted, not overlapping); a period
    may end at ``24:00`` (a line running round the clock: ``00:00``–``24:00``)."""
    if not isinstance(ranges, list):
        raise ValueError("Each day needs a list of [start, end] pairs.")
    pairs: list[tuple[int, int]] = []
    for pair in ranges:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise ValueError("Each working period is a [start, end] pair like ['08:00', '17:00'].")
        pairs.append(period_minutes(str(pair[0]), str(pair[1])))
    pairs.sort()
    for (_, end), (start, _) in itertools.pairwise(pairs):
        if start < end:
            raise ValueError("Working periods of one day must not overlap.")
    return [[clock(a), clock(b)] for a, b in pairs]


def _week(hours: Mapping[str, Any], derived: bool) -> ec.WeekPattern:
    days: list[ec.DayPattern | None] = []
    for d in range(7):
        periods = hours.get(str(d))
        if periods is None:
            days.append(None if derived else ())
        else:
            days.append(tuple(ec.TimeRange.parse(a, b) for a, b in periods))
    return tuple(days)


def exceptions_of(holidays: Iterable[Holiday]) -> tuple[ec.CalendarException, ...]:
    """The engine exceptions of ``holidays`` (recurring ones carry an engine recurrence)."""
    found: list[ec.CalendarException] = []
    for h in holidays:
        times = tuple(ec.TimeRange.parse(a, b) for a, b in (h.hours or []))
        until = min(h.until or RECUR_UNTIL, RECUR_UNTIL)
        if h.repeat == Repeat.ONCE:
            found.append(ec.CalendarException(h.start, h.end, times, h.name))
            continue
        if h.start > until:
            continue
        if h.repeat == Repeat.YEARLY_WEEKDAY:
            rule = Recurrence(
                RecurrenceKind.YEARLY_BY_WEEKDAY,
                start=h.start,
                end=until,
                weekdays=frozenset({h.start.weekday()}),
                month=h.start.month,
                week_of_month=h.week_of_month or nth_of(h.start),
            )
            found.append(ec.CalendarException(h.start, until, times, h.name, rule))
            continue
        for k in range((h.end - h.start).days + 1):
            day = h.start + dt.timedelta(days=k)
            rule = Recurrence(
                RecurrenceKind.YEARLY_BY_DAY,
                start=day,
                end=until,
                month=day.month,
                day_of_month=day.day,
            )
            found.append(ec.CalendarException(day, until, times, h.name, rule))
    return tuple(found)


def nth_of(day: dt.date) -> int:
    """Which occurrence of its weekday ``day`` is in its month (1-4, or LAST for a 5th)."""
    n = (day.day - 1) // 7 + 1
    return LAST if n >= 5 else n


def build_specs(
    calendars: Iterable[Calendar], holidays: Iterable[Holiday]
) -> dict[int, ec.CalendarSpec]:
    """One spec per calendar id; a derived calendar's spec wraps its base's.

    Raises:
        ValueError: if the base calendars form a loop (the services never let that happen).
    """
    rows = {c.pk: c for c in calendars}
    by_calendar: dict[int, list[Holiday]] = {}
    for h in holidays:
        by_calendar.setdefault(h.calendar_id, []).append(h)
    specs: dict[int, ec.CalendarSpec] = {}

    def spec(pk: int, seen: frozenset[int]) -> ec.CalendarSpec:
        if pk in specs:
            return specs[pk]
        if pk in seen:
            raise ValueError("base calendars form a loop")
        row = rows[pk]
        base = spec(row.base_id, seen | {pk}) if row.base_id in rows else None
        specs[pk] = ec.CalendarSpec(
            name=row.name,
            week=_week(row.hours or {}, base is not None),
            exceptions=exceptions_of(by_calendar.get(pk, [])),
            base=base,
        )
        return specs[pk]

    for pk in rows:
        spec(pk, frozenset())
    return specs


def specs_of(organisation_id: int) -> tuple[dict[int, ec.CalendarSpec], int | None]:
    """Every calendar spec of an organisation and the id of its default (two queries)."""
    calendars = list(
        Calendar.objects.filter(organisation_id=organisation_id).only(
            "id", "name", "hours", "base_id", "is_default"
        )
    )
    holidays = Holiday.objects.filter(organisation_id=organisation_id)
    specs = build_specs(calendars, holidays)
    default = next((c.pk for c in calendars if c.is_default), None)
    return specs, default


_SPECS: dict[tuple[int, Any], ec.CalendarSpec] = {}
_SPECS_MAX = 1024


def _store(key: tuple[int, Any], spec: ec.CalendarSpec) -> None:
    if len(_SPECS) >= _SPECS_MAX:
        _SPECS.clear()
    _SPECS[key] = spec


def _build_cached(organisation_id: int, wanted: set[int]) -> dict[int, ec.CalendarSpec]:
    """Build the specs of ``wanted`` calendars (and of the bases they derive from) and keep
    each under its revision: two queries, the holidays of those calendars only.

    A miss built every calendar of the organisation and kept one: a page of many projects
    missing many calendars built them all once per calendar (400 calendars of 130 holidays
    each: 21 million holiday rows for one page, 48 s; a review found it).
    """
    calendars = {
        c.pk: c
        for c in Calendar.objects.filter(organisation_id=organisation_id).only(
            "id", "name", "hours", "base_id", "revision"
        )
    }
    need: set[int] = set()
    for start in wanted:
        pk: int | None = start
        while pk is not None and pk in calendars and pk not in need:
            need.add(pk)
            pk = calendars[pk].base_id
    holidays = Holiday.objects.filter(organisation_id=organisation_id, calendar_id__in=need)
    specs = build_specs([calendars[pk] for pk in need], holidays)
    for pk in need:
        _store((pk, calendars[pk].revision), specs[pk])
    return specs


def cached_spec(organisation_id: int, calendar_id: int, revision: Any) -> ec.CalendarSpec:
    """The spec of a calendar at ``revision`` (read once per process, then from memory)."""
    key = (calendar_id, revision)
    found = _SPECS.get(key)
    if found is None:
        found = _build_cached(organisation_id, {calendar_id}).get(calendar_id, STANDARD_SPEC)
        _store(key, found)  # under the revision asked for, should it have moved meanwhile
    return found


def spec_for(organisation_id: int, calendar_id: int | None) -> ec.CalendarSpec:
    """The spec of ``calendar_id`` (None = the organisation's default; Standard without one).

    One query for the calendar's revision; the spec itself comes from the cache.
    """
    rows = Calendar.objects.filter(organisation_id=organisation_id)
    rows = rows.filter(pk=calendar_id) if calendar_id is not None else rows.filter(is_default=True)
    row = rows.values_list("pk", "revision").first()
    if row is None and calendar_id is not None:
        return spec_for(organisation_id, None)
    if row is None:
        return STANDARD_SPEC
    return cached_spec(organisation_id, row[0], row[1])


def project_specs(organisation_id: int) -> dict[int | None, ec.CalendarSpec]:
    """The spec of every calendar of an organisation by id, and under ``None`` its default's
    (Standard without one): what a page of many projects looks each project's calendar up in.
    One query for the revisions; the specs come from the cache."""
    rows = list(
        Calendar.objects.filter(organisation_id=organisation_id).values_list(
            "pk", "revision", "is_default"
        )
    )
    out: dict[int | None, ec.CalendarSpec] = {None: STANDARD_SPEC}
    missing = {pk for pk, revision, _ in rows if (pk, revision) not in _SPECS}
    if missing:  # built together: two queries however many are missing
        _build_cached(organisation_id, missing)
    for pk, revision, is_default in rows:
        out[pk] = cached_spec(organisation_id, pk, revision)
        if is_default:
            out[None] = out[pk]
    return out


def engine_calendar(calendar: Calendar | None) -> ec.Calendar:
    """The compiled engine calendar of a stored calendar (the Standard week for None).

    No query once the calendar's revision is cached: the row passed in carries it.
    """
    if calendar is None:
        return ec.compile_calendar(STANDARD_SPEC)
    spec = cached_spec(calendar.organisation_id, calendar.pk, calendar.revision)
    return ec.compile_calendar(spec)


def off_days(cal: ec.Calendar, first: dt.date, days: int) -> list[tuple[int, int]]:
    """Runs of non-working days from ``first``: ``(offset, length)`` in days, merged."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i in range(days + 1):
        off = i < days and not ec.is_working_day(cal, first + dt.timedelta(days=i))
        if off and start is None:
            start = i
        elif not off and start is not None:
            runs.append((start, i - start))
            start = None
    return runs
