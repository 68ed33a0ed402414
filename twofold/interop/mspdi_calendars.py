"""MSPDI ``<Calendar>`` elements to and from :class:`~twofold.engine.calendars.CalendarSpec`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime, time

from twofold.engine.cal_recurrence import LAST, Recurrence, RecurrenceKind
from twofold.engine.calendars import (
    CalendarException,
    CalendarSpec,
    DayPattern,
    TimeRange,
    WeekPattern,
    WorkWeek,
)

NS = "http://schemas.microsoft.com/project"
Q = "{" + NS + "}"

Note = Callable[[str, str], None]
"""``note(element, action)``: record something the reader skipped or repaired."""


def _ignore(element: str, action: str) -> None:
    """The default :data:`Note`: repairs are made silently."""


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(Q + tag)
    return None if child is None or child.text is None else child.text.strip()


_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def _parse_time(value: str) -> time:
    """An ``xs:time`` as Project and other tools write it: ``13:00:00``, ``13:00``, with
    fractions of a second (``13:00:00.000``) or a zone (``Z``, ``+02:00``; read as written,
    as date-times are). ``24:00:00`` is midnight at the end of the day.

    Raises:
        ValueError: for anything else.
    """
    match = _TIME.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"not a time: {value!r}")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    return time(hour % 24, minute, second)


def _day_pattern(element: ET.Element, where: str = "", note: Note = _ignore) -> DayPattern:
    if _text(element, "DayWorking") != "1":
        return ()
    ranges = []
    for wt in element.findall(f"{Q}WorkingTimes/{Q}WorkingTime"):
        start, end = _text(wt, "FromTime"), _text(wt, "ToTime")
        if start and end:
            try:
                ranges.append(TimeRange(_parse_time(start), _parse_time(end)))
            except ValueError:
                note(f"{where} <WorkingTime>", f"unreadable time {start!r}-{end!r}: skipped")
    return tuple(ranges)


def _weekday(day_type: int) -> int:
    """MSPDI DayType 1 = Sunday .. 7 = Saturday to Python weekday 0 = Monday."""
    return (day_type + 5) % 7


def _week(
    element: ET.Element | None, derived: bool, where: str = "", note: Note = _ignore
) -> WeekPattern:
    days: list[DayPattern | None] = [None if derived else ()] * 7
    if element is not None:
        for wd in element.findall(Q + "WeekDay"):
            text = _text(wd, "DayType") or "0"
            if not text.isdigit():
                note(f"{where} <WeekDay>", f"unreadable <DayType> {text!r}: skipped")
                continue
            day_type = int(text)
            if 1 <= day_type <= 7:
                days[_weekday(day_type)] = _day_pattern(wd, where, note)
    return tuple(days)


def _date(value: str | None) -> date | None:
    return None if not value else datetime.fromisoformat(value).date()


def _read_period(element: ET.Element) -> tuple[date | None, date | None]:
    """``TimePeriod`` from/to dates; raises ``ValueError`` if one is malformed."""
    return (
        _date(_text(element, f"TimePeriod/{Q}FromDate")),
        _date(_text(element, f"TimePeriod/{Q}ToDate")),
    )


def _recurrence(ex: ET.Element, start: date, end: date) -> Recurrence | None:
    """Recurrence of a Project 2007+ exception, ``None`` for a plain date range.

    Raises:
        ValueError: for a recurrence this importer does not understand.
    """
    kind = int(_text(ex, "Type") or 1)
    occurrences = int(_text(ex, "Occurrences") or 0) or None
    period = int(_text(ex, "Period") or 1) or 1
    month = int(_text(ex, "Month") or 0) + 1  # MSPDI months are 0-based
    month_day = int(_text(ex, "MonthDay") or 1)
    item = int(_text(ex, "MonthItem") or 3)
    position = int(_text(ex, "MonthPosition") or 0)
    if kind == 1:
        return None
    if kind in (3, 5) and not 3 <= item <= 9:
        raise ValueError(f"unsupported exception month item {item}")
    weekday = {(item - 3 + 6) % 7}
    nth = LAST if position >= 4 else position + 1
    common = {"start": start, "end": end, "occurrences": occurrences}
    if kind == 7:
        return Recurrence(RecurrenceKind.DAILY, period=period, **common)  # type: ignore[arg-type]
    if kind == 6:
        mask = int(_text(ex, "DaysOfWeek") or 0)
        days = frozenset((bit + 6) % 7 for bit in range(7) if mask & (1 << bit))
        return Recurrence(
            RecurrenceKind.WEEKLY,
            period=period,
            weekdays=days,
            week_start=6,  # Project counts "every N weeks" in Sunday-based weeks
            **common,  # type: ignore[arg-type]
        )
    if kind == 5:
        return Recurrence(
            RecurrenceKind.MONTHLY_BY_WEEKDAY,
            period=period,
            weekdays=frozenset(weekday),
            week_of_month=nth,
            **common,  # type: ignore[arg-type]
        )
    if kind == 4:
        return Recurrence(
            RecurrenceKind.MONTHLY_BY_DAY,
            period=period,
            day_of_month=month_day,
            **common,  # type: ignore[arg-type]
        )
    if kind == 3:
        return Recurrence(
            RecurrenceKind.YEARLY_BY_WEEKDAY,
            month=month,
            weekdays=frozenset(weekday),
            week_of_month=nth,
            **common,  # type: ignore[arg-type]
        )
    if kind == 2:
        return Recurrence(
            RecurrenceKind.YEARLY_BY_DAY,
            month=month,
            day_of_month=month_day,
            **common,  # type: ignore[arg-type]
        )
    raise ValueError(f"unsupported exception type {kind}")


def _exceptions(
    element: ET.Element, where: str = "", note: Note = _ignore
) -> tuple[CalendarException, ...]:
    """Exceptions, from ``<Exceptions>`` (2007+) and the older ``WeekDay`` with DayType 0.

    Project 2007 and later write both forms for the same exceptions; older versions only the
    ``WeekDay`` form. The modern list is used when it reads; the legacy exceptions are added
    for dates the modern list does not cover (and used alone when the modern list is absent or
    holds a recurrence this reader does not understand).
    """
    modern: list[CalendarException] = []
    unread: list[str] = []  # the modern exceptions that did not read, each named
    for number, ex in enumerate(element.findall(f"{Q}Exceptions/{Q}Exception"), start=1):
        label = f"{where} <Exception> {_text(ex, 'Name') or f'#{number}'!r}"
        try:
            start, end = _read_period(ex)
            if start is None:
                note(label, "no <FromDate>: skipped")
                continue
            if end is None:
                note(label, "no <ToDate>: read as the one day it starts on")
                end = start
            if end < start:
                raise ValueError(f"it ends ({end}) before it starts ({start})")
            modern.append(
                CalendarException(
                    start,
                    end,
                    _day_pattern(ex, where, note),
                    name=_text(ex, "Name") or "",
                    recurrence=_recurrence(ex, start, end),
                )
            )
        except ValueError as exc:
            unread.append(f"{label} ({exc})")
    legacy = []
    for wd in element.findall(f"{Q}WeekDays/{Q}WeekDay"):
        if _text(wd, "DayType") != "0":
            continue
        try:
            start, end = _read_period(wd)
            if start is not None and end is None:
                note(f"{where} <WeekDay> exception", "no <ToDate>: read as the day it starts on")
                end = start
            if start is not None and end is not None:
                legacy.append(CalendarException(start, end, _day_pattern(wd, where, note)))
        except ValueError as exc:
            note(f"{where} <WeekDay> exception", f"unreadable ({exc}): skipped")
    if unread and legacy:
        # Project 2007+ writes every exception a second time, expanded day by day, in the
        # older form: that list stands in for the modern one.
        note(
            unread[0] + (f" and {len(unread) - 1} more" if len(unread) > 1 else ""),
            "unreadable: the per-day exception list Project also writes is used instead",
        )
        return tuple(legacy)
    for text in unread:
        note(text, "unreadable: this exception is skipped, the others are kept")
    if not modern:
        return tuple(legacy)
    # An older-form exception that no modern one covers is kept (one modern recurring
    # exception used to drop them all: a one-day exception was lost beside "Christmas, every
    # year"); a recurring one covers the dates it falls on.
    covered = [(ex.start, ex.end) for ex in modern if ex.recurrence is None]
    recurring: set[date] = set()
    for kept in modern:
        if kept.recurrence is not None:
            try:
                recurring.update(kept.dates())
            except ValueError:
                continue
    extra = [
        ex
        for ex in legacy
        if not any(start <= ex.start and ex.end <= end for start, end in covered)
        and not _all_recurring(ex, recurring)
    ]
    return tuple(modern) + tuple(extra)


def _all_recurring(exception: CalendarException, recurring: set[date]) -> bool:
    """Whether every day of an older-form exception is a day of a modern recurring one. A range
    of more than a year is not (a recurrence never fills one), and its days are not listed: a
    few ranges from 1900 to 9999 took a minute to read."""
    if not recurring or (exception.end - exception.start).days > 366:
        return False
    return all(day in recurring for day in exception.dates())


def _work_weeks(
    element: ET.Element, derived: bool, where: str = "", note: Note = _ignore
) -> tuple[WorkWeek, ...]:
    weeks = []
    for ww in element.findall(f"{Q}WorkWeeks/{Q}WorkWeek"):
        try:
            start, end = _read_period(ww)
            if start is None or end is None:
                continue
            days = _week(ww.find(Q + "WeekDays"), True, where, note)
            weeks.append(WorkWeek(start, end, days, _text(ww, "Name") or ""))
        except ValueError as exc:
            note(f"{where} <WorkWeek>", f"unreadable ({exc}): skipped")
    return tuple(weeks)


def read_calendars(root: ET.Element, note: Note = _ignore) -> dict[str, CalendarSpec]:
    """All calendars of a project keyed by their UID (as a string), bases resolved.

    A calendar whose base chain loops is read as a base calendar (reported through ``note``).
    """
    raw: dict[str, ET.Element] = {}
    for element in root.findall(f"{Q}Calendars/{Q}Calendar"):
        uid = _text(element, "UID")
        if uid is not None and uid in raw:
            note(
                f"calendar UID {uid} {_text(element, 'Name') or ''!r}",
                "a second calendar with this UID: left out (the first is used)",
            )
        elif uid is not None:
            raw[uid] = element
    built: dict[str, CalendarSpec] = {}

    def build(uid: str, seen: frozenset[str]) -> CalendarSpec:
        if uid in built:
            return built[uid]
        element = raw[uid]
        name = _text(element, "Name") or f"Calendar {uid}"
        where = f"calendar UID {uid} {name!r}"
        base_uid = _text(element, "BaseCalendarUID")
        is_base = _text(element, "IsBaseCalendar") == "1"
        base = None
        if not is_base and base_uid in raw and base_uid != uid:
            if base_uid in seen | {uid}:
                note(where, f"its base calendar {base_uid} derives from it: read as a base")
            else:
                base = build(base_uid, seen | {uid})
        derived = base is not None
        spec = CalendarSpec(
            name=name,
            week=_week(element.find(Q + "WeekDays"), derived, where, note),
            exceptions=_exceptions(element, where, note),
            work_weeks=_work_weeks(element, derived, where, note),
            base=base,
        )
        built[uid] = spec
        return spec

    for uid in raw:
        build(uid, frozenset())
    return built


# --------------------------------------------------------------------------------------------
# Writing.


def _fmt_time(seconds: int) -> str:
    seconds %= 86400
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _add(parent: ET.Element, tag: str, value: object) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = str(value)
    return child


def _write_day(parent: ET.Element, pattern: DayPattern) -> None:
    _add(parent, "DayWorking", 1 if pattern else 0)
    if pattern:
        times = ET.SubElement(parent, "WorkingTimes")
        for r in pattern:
            wt = ET.SubElement(times, "WorkingTime")
            _add(wt, "FromTime", _fmt_time(r.start_seconds))
            _add(wt, "ToTime", _fmt_time(r.end_seconds))


def _write_week(parent: ET.Element, week: WeekPattern) -> None:
    days = ET.SubElement(parent, "WeekDays")
    for weekday, pattern in enumerate(week):
        if pattern is None:
            continue
        wd = ET.SubElement(days, "WeekDay")
        _add(wd, "DayType", (weekday + 1) % 7 + 1)
        _write_day(wd, pattern)


def _period(parent: ET.Element, start: date, end: date) -> None:
    period = ET.SubElement(parent, "TimePeriod")
    _add(period, "FromDate", f"{start.isoformat()}T00:00:00")
    _add(period, "ToDate", f"{end.isoformat()}T23:59:00")


def _write_exception(parent: ET.Element, ex: CalendarException) -> None:
    element = ET.SubElement(parent, "Exception")
    _period(element, ex.start, ex.end)
    rec = ex.recurrence
    if ex.name:
        _add(element, "Name", ex.name)
    if rec is None:
        _add(element, "Type", 1)
    else:
        if rec.occurrences is not None:
            _add(element, "Occurrences", rec.occurrences)
        item = (min(rec.weekdays) + 1) % 7 + 3 if rec.weekdays else 3
        position = 4 if rec.week_of_month == LAST else rec.week_of_month - 1
        fields: list[tuple[str, int]]
        if rec.kind is RecurrenceKind.DAILY:
            fields = [("Type", 7), ("Period", rec.period)]
        elif rec.kind is RecurrenceKind.WEEKLY:
            mask = sum(1 << ((d + 1) % 7) for d in rec.weekdays)
            fields = [("Type", 6), ("Period", rec.period), ("DaysOfWeek", mask)]
        elif rec.kind is RecurrenceKind.MONTHLY_BY_WEEKDAY:
            fields = [("Type", 5), ("Period", rec.period), ("MonthItem", item)]
            fields.append(("MonthPosition", position))
        elif rec.kind is RecurrenceKind.MONTHLY_BY_DAY:
            fields = [("Type", 4), ("Period", rec.period), ("MonthDay", rec.day_of_month)]
        elif rec.kind is RecurrenceKind.YEARLY_BY_WEEKDAY:
            fields = [("Type", 3), ("Month", rec.month - 1), ("MonthItem", item)]
            fields.append(("MonthPosition", position))
        else:
            fields = [("Type", 2), ("Month", rec.month - 1), ("MonthDay", rec.day_of_month)]
        for tag, value in fields:
            _add(element, tag, value)
    _write_day(element, ex.working_times)


def write_calendars(parent: ET.Element, calendars: dict[str, CalendarSpec]) -> dict[str, str]:
    """Append ``<Calendars>``; return plan calendar key -> MSPDI UID.

    Integer keys (as :func:`read_calendars` makes them) are kept as UIDs; other keys and base
    calendars missing from the mapping get fresh UIDs.
    """
    # Intersections (a task calendar with a resource's) are derived on import, not written.
    calendars = {k: v for k, v in calendars.items() if v.also is None}
    numeric = [int(k) for k in calendars if k.lstrip("-").isdigit()]
    next_uid = max(numeric, default=0) + 1
    uid_of: dict[str, str] = {}
    keyed: dict[str, CalendarSpec] = {}
    for key, spec in calendars.items():
        if key.lstrip("-").isdigit():
            uid = key
        else:
            uid, next_uid = str(next_uid), next_uid + 1
        uid_of[key] = uid
        keyed[uid] = spec
    by_identity = {id(spec): uid for uid, spec in keyed.items()}
    pending = list(keyed.items())
    while pending:
        _, spec = pending.pop()
        if spec.base is not None and id(spec.base) not in by_identity:
            uid, next_uid = str(next_uid), next_uid + 1
            keyed[uid] = spec.base
            by_identity[id(spec.base)] = uid
            pending.append((uid, spec.base))
    element = ET.SubElement(parent, "Calendars")
    for key, spec in sorted(keyed.items(), key=lambda kv: int(kv[0])):
        cal = ET.SubElement(element, "Calendar")
        _add(cal, "UID", key)
        _add(cal, "Name", spec.name)
        _add(cal, "IsBaseCalendar", 0 if spec.base is not None else 1)
        _add(cal, "BaseCalendarUID", by_identity[id(spec.base)] if spec.base is not None else -1)
        _write_week(cal, spec.week)
        if spec.exceptions:
            exceptions = ET.SubElement(cal, "Exceptions")
            for ex in spec.exceptions:
                _write_exception(exceptions, ex)
        if spec.work_weeks:
            weeks = ET.SubElement(cal, "WorkWeeks")
            for ww in spec.work_weeks:
                w = ET.SubElement(weeks, "WorkWeek")
                _period(w, ww.start, ww.end)
                if ww.name:
                    _add(w, "Name", ww.name)
                _write_week(w, ww.days)
    return uid_of
