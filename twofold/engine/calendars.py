"""Working-time calendars: what time is working time, and arithmetic in working time.

All date-times are **naive local date-times** (no time zone), as in Microsoft Project: a calendar
says "08:00-12:00 on Mondays" in the wall-clock time of wherever the work happens.

A calendar is described by a :class:`CalendarSpec` (weekly pattern, alternate work weeks,
exceptions, optional base calendar it derives from) and compiled by :func:`compile_calendar` into a
:class:`Calendar`: a sorted table of working intervals with cumulative working seconds, so that
"working time between two instants" and "add N working seconds" are binary searches. Compiled
calendars cover :data:`HORIZON_START` to :data:`HORIZON_END` (Microsoft Project's own range is
1984-2149); instants outside raise :class:`CalendarRangeError`.

Resolution of one day, like Microsoft Project (derived calendars inherit from their base):
an exception of the calendar itself; else an exception of its base (recursively); else the
calendar's work week covering the date (alternate work weeks, then the default week) if it defines
that weekday; else the base calendar's week.

Public helpers for other parts of the application (SLA clocks, routines):
:func:`working_minutes_between`, :func:`add_working_minutes`, :func:`is_working_day`,
:func:`next_working_instant`, :func:`previous_working_instant`,
:func:`last_working_day_of_month`, and :func:`make_calendar` to build a calendar from plain data.
"""

from __future__ import annotations

import calendar as _stdcal
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt

from twofold.engine.cal_recurrence import Recurrence

EPOCH = datetime(1970, 1, 1)
"""Engine instants are integer seconds since this naive date-time."""
HORIZON_START = date(1980, 1, 1)
HORIZON_END = date(2150, 1, 1)
DAY_SECONDS = 86_400

IntArray = npt.NDArray[np.int64]


class CalendarRangeError(ValueError):
    """An instant or a working-time amount falls outside the compiled calendar horizon."""


class NoWorkingTimeError(ValueError):
    """A calendar has no working time at all, so no task can be scheduled on it."""


def to_instant(moment: datetime) -> int:
    """Convert a naive date-time to engine seconds since :data:`EPOCH`.

    Raises:
        ValueError: if ``moment`` carries a time zone (the engine is time-zone free).
    """
    if moment.tzinfo is not None:
        raise ValueError("the scheduling engine works with naive local date-times")
    return (moment - EPOCH) // timedelta(seconds=1)


def from_instant(seconds: int) -> datetime:
    """Convert engine seconds since :data:`EPOCH` back to a naive date-time."""
    return EPOCH + timedelta(seconds=int(seconds))


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Working time within one day, ``start`` to ``end``; ``end == time(0)`` means midnight (24:00).

    Raises:
        ValueError: if the range is empty or reversed.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end_seconds <= self.start_seconds:
            raise ValueError(f"working time {self.start}-{self.end} is empty or reversed")

    @property
    def start_seconds(self) -> int:
        """Seconds after midnight at which the range starts."""
        return self.start.hour * 3600 + self.start.minute * 60 + self.start.second

    @property
    def end_seconds(self) -> int:
        """Seconds after midnight at which the range ends (86400 for midnight)."""
        seconds = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        return seconds or DAY_SECONDS

    @classmethod
    def parse(cls, start: str | time, end: str | time) -> TimeRange:
        """Build from ``"HH:MM"`` / ``"HH:MM:SS"`` strings or :class:`datetime.time` values."""
        return cls(_as_time(start), _as_time(end))


DayPattern = tuple[TimeRange, ...]
"""Working times of one day; the empty tuple is a non-working day."""
WeekPattern = tuple[DayPattern | None, ...]
"""Seven day patterns, Monday first; ``None`` means "as in the base calendar"."""

STANDARD_DAY: DayPattern = (TimeRange(time(8), time(12)), TimeRange(time(13), time(17)))
STANDARD_WEEK: WeekPattern = (STANDARD_DAY,) * 5 + ((), ())
"""Microsoft Project's "Standard" week: Monday-Friday 08:00-12:00 and 13:00-17:00."""
INHERIT_WEEK: WeekPattern = (None,) * 7


@dataclass(frozen=True, slots=True)
class CalendarException:
    """Dates ``start``..``end`` (inclusive) that differ from the week, optionally recurring.

    ``working_times`` empty means non-working (a holiday); otherwise those are the working times
    of each affected day. With a ``recurrence``, the affected dates are the recurrence's dates
    and ``start``/``end`` only bound them.
    """

    start: date
    end: date
    working_times: DayPattern = ()
    name: str = ""
    recurrence: Recurrence | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"exception {self.name!r} ends before it starts")

    def dates(self) -> tuple[date, ...]:
        """Every date the exception applies to."""
        if self.recurrence is not None:
            return tuple(d for d in self.recurrence.dates() if self.start <= d <= self.end)
        days = (self.end - self.start).days
        return tuple(self.start + timedelta(days=i) for i in range(days + 1))


@dataclass(frozen=True, slots=True)
class WorkWeek:
    """An alternate work week applying from ``start`` to ``end`` (inclusive)."""

    start: date
    end: date
    days: WeekPattern
    name: str = ""


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """Description of a working-time calendar (see the module docstring for resolution order).

    Attributes:
        name: display name.
        week: default weekly pattern (Monday first); ``None`` days come from ``base``.
        exceptions: holidays and changed working days.
        work_weeks: alternate weekly patterns for date ranges.
        base: the calendar this one derives from (resource calendars derive from a base).
        also: when set, time is working only where ``also`` works too (the intersection
            Project uses for a resource-driven task that has its own calendar).
    """

    name: str = "Standard"
    week: WeekPattern = STANDARD_WEEK
    exceptions: tuple[CalendarException, ...] = ()
    work_weeks: tuple[WorkWeek, ...] = ()
    base: CalendarSpec | None = None
    also: CalendarSpec | None = None

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a week pattern has 7 days, Monday first")

    def default_day(self, weekday: int) -> DayPattern:
        """The default week's working times of ``weekday`` (0 = Monday), a day this calendar
        leaves to its base read from there (ignoring exceptions, work weeks and ``also``)."""
        pattern, at = self.week[weekday], self.base
        while pattern is None and at is not None:
            pattern, at = at.week[weekday], at.base
        return pattern or ()


def make_calendar(
    week: Mapping[int, Sequence[tuple[str | time, str | time]]] | None = None,
    exceptions: Iterable[tuple[date, date] | tuple[date, date, Sequence[tuple[str, str]]]] = (),
    *,
    base: CalendarSpec | None = None,
    name: str = "Calendar",
) -> CalendarSpec:
    """Build a calendar from plain data.

    Args:
        week: weekday (0 = Monday .. 6 = Sunday) to working intervals such as
            ``[("08:00", "12:00"), ("13:00", "17:00")]``; an empty list is a non-working day.
            Weekdays absent from the mapping come from ``base`` or, without a base, are
            non-working. ``None`` gives the Standard week (Mon-Fri 8-12, 13-17).
        exceptions: ``(first_date, last_date)`` holidays, or ``(first, last, intervals)`` for
            changed working times.
        base: base calendar to derive from.
        name: display name.

    Raises:
        ValueError: on reversed intervals or dates.
    """
    if week is None:
        pattern: WeekPattern = STANDARD_WEEK if base is None else INHERIT_WEEK
    else:
        default: DayPattern | None = None if base is not None else ()
        pattern = tuple(
            tuple(TimeRange.parse(a, b) for a, b in week[d]) if d in week else default
            for d in range(7)
        )
    exception_specs = []
    for entry in exceptions:
        times: DayPattern = ()
        if len(entry) == 3:
            times = tuple(TimeRange.parse(a, b) for a, b in entry[2])
        exception_specs.append(CalendarException(entry[0], entry[1], times))
    return CalendarSpec(name=name, week=pattern, exceptions=tuple(exception_specs), base=base)


# --------------------------------------------------------------------------------------------
# Compilation to a table of working intervals.


class _PatternRegistry:
    """Numbers distinct day patterns so days can be resolved as integer arrays."""

    def __init__(self) -> None:
        self.patterns: list[DayPattern] = [()]
        self._ids: dict[DayPattern, int] = {(): 0}

    def id(self, pattern: DayPattern) -> int:
        found = self._ids.get(pattern)
        if found is None:
            found = len(self.patterns)
            self.patterns.append(pattern)
            self._ids[pattern] = found
        return found


_HORIZON_DAYS = (HORIZON_END - HORIZON_START).days
_HORIZON_START_INSTANT = to_instant(datetime.combine(HORIZON_START, time()))
_HORIZON_WEEKDAYS = (np.arange(_HORIZON_DAYS) + HORIZON_START.weekday()) % 7


def _day_index(day: date) -> int:
    return (day - HORIZON_START).days


def _resolve_week(spec: CalendarSpec, registry: _PatternRegistry) -> npt.NDArray[np.int32]:
    """Pattern id per horizon day from weekly patterns and work weeks (no exceptions)."""
    if spec.base is not None:
        ids = _resolve_week(spec.base, registry)
    else:
        ids = np.zeros(_HORIZON_DAYS, dtype=np.int32)
    for weekday, day in enumerate(spec.week):
        if day is not None:
            ids[weekday == _HORIZON_WEEKDAYS] = registry.id(day)
    for work_week in spec.work_weeks:
        lo = max(_day_index(work_week.start), 0)
        hi = min(_day_index(work_week.end) + 1, _HORIZON_DAYS)
        if lo >= hi:
            continue
        window = ids[lo:hi]
        weekdays = _HORIZON_WEEKDAYS[lo:hi]
        for weekday, day in enumerate(work_week.days):
            if day is not None:
                window[weekdays == weekday] = registry.id(day)
    return ids


def _apply_exceptions(
    spec: CalendarSpec, ids: npt.NDArray[np.int32], registry: _PatternRegistry
) -> None:
    """Overwrite days with exceptions, base calendars first so the derived calendar wins."""
    if spec.base is not None:
        _apply_exceptions(spec.base, ids, registry)
    for exception in spec.exceptions:
        pattern_id = registry.id(exception.working_times)
        if exception.recurrence is None:
            lo = max(_day_index(exception.start), 0)
            hi = min(_day_index(exception.end) + 1, _HORIZON_DAYS)
            if lo < hi:
                ids[lo:hi] = pattern_id
            continue
        for day in exception.dates():
            index = _day_index(day)
            if 0 <= index < _HORIZON_DAYS:
                ids[index] = pattern_id


def _intervals(spec: CalendarSpec) -> tuple[IntArray, IntArray]:
    """Absolute working intervals (engine seconds), sorted, merged where contiguous."""
    registry = _PatternRegistry()
    ids = _resolve_week(spec, registry)
    _apply_exceptions(spec, ids, registry)

    counts_per_pattern = np.array([len(p) for p in registry.patterns], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(counts_per_pattern)[:-1]))
    pattern_starts = np.array(
        [r.start_seconds for p in registry.patterns for r in p] or [0], dtype=np.int64
    )
    pattern_ends = np.array(
        [r.end_seconds for p in registry.patterns for r in p] or [0], dtype=np.int64
    )

    counts = counts_per_pattern[ids]
    total = int(counts.sum())
    day_of_interval = np.repeat(np.arange(_HORIZON_DAYS, dtype=np.int64), counts)
    first_of_day = np.repeat(np.cumsum(counts) - counts, counts)
    slot = np.arange(total, dtype=np.int64) - first_of_day
    pattern_slot = np.repeat(offsets[ids], counts) + slot
    day_base = _HORIZON_START_INSTANT + day_of_interval * DAY_SECONDS
    starts = day_base + pattern_starts[pattern_slot]
    ends = day_base + pattern_ends[pattern_slot]
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    if total > 1:
        # Merge intervals that touch (a night shift 23:00-24:00 followed by 00:00-03:00).
        breaks = np.concatenate(([True], starts[1:] > ends[:-1]))
        group = np.cumsum(breaks) - 1
        merged_starts = starts[breaks]
        merged_ends = np.zeros(len(merged_starts), dtype=np.int64)
        np.maximum.at(merged_ends, group, ends)
        starts, ends = merged_starts, merged_ends
    starts, ends = starts.astype(np.int64), ends.astype(np.int64)
    if spec.also is not None:
        return intersect_intervals(starts, ends, *_intervals(spec.also))
    return starts, ends


def intersect_intervals(
    a_starts: IntArray, a_ends: IntArray, b_starts: IntArray, b_ends: IntArray
) -> tuple[IntArray, IntArray]:
    """Intersection of two sorted lists of disjoint half-open intervals (sorted, disjoint)."""
    # For each interval of ``a``, the ``b`` intervals overlapping it are a contiguous run.
    first = np.searchsorted(b_ends, a_starts, side="right")
    last = np.searchsorted(b_starts, a_ends, side="left")
    counts = np.maximum(last - first, 0)
    a_index = np.repeat(np.arange(len(a_starts)), counts)
    b_index = np.repeat(first, counts) + (
        np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    starts = np.maximum(a_starts[a_index], b_starts[b_index])
    ends = np.minimum(a_ends[a_index], b_ends[b_index])
    keep = ends > starts
    return starts[keep].astype(np.int64), ends[keep].astype(np.int64)


@dataclass(frozen=True, eq=False)
class Calendar:
    """A compiled calendar: sorted working intervals with cumulative working seconds.

    Build with :func:`compile_calendar`. Arrays are engine instants (seconds since
    :data:`EPOCH`); ``cumulative[i]`` is the working time before ``starts[i]`` since the horizon
    start. Methods take and return naive date-times or engine seconds as named.
    """

    spec: CalendarSpec
    starts: IntArray
    ends: IntArray
    cumulative: IntArray
    _lists: tuple[list[int], list[int], list[int], list[int]] = field(repr=False)

    @cached_property
    def total_working_seconds(self) -> int:
        """Working seconds in the whole horizon."""
        return int(self.cumulative[-1] + self.ends[-1] - self.starts[-1])

    # Scalar primitives on engine seconds (bisect on Python lists beats numpy for one value).

    def working_before(self, instant: int) -> int:
        """Working seconds from the horizon start up to ``instant``.

        Raises:
            CalendarRangeError: if ``instant`` is outside the horizon.
        """
        starts, ends, cumulative, _ = self._lists
        _check_instant(instant)
        k = bisect_right(starts, instant) - 1
        if k < 0:
            return 0
        return cumulative[k] + min(instant, ends[k]) - starts[k]

    def instant_at_start(self, working: int) -> int:
        """Latest-positioned instant with ``working`` seconds before it: the start of work.

        At a boundary between two working periods this is the start of the next period
        (Monday 08:00 rather than Friday 17:00), which is where a task *starts*.

        Raises:
            CalendarRangeError: if ``working`` is negative or beyond the horizon.
        """
        starts, _, cumulative, _ = self._lists
        if working < 0 or working >= self.total_working_seconds:
            raise CalendarRangeError("working time beyond the calendar horizon")
        k = bisect_right(cumulative, working) - 1
        return starts[k] + working - cumulative[k]

    def instant_at_finish(self, working: int) -> int:
        """Earliest instant with ``working`` seconds before it: where work *finishes*.

        At a boundary this is the end of the earlier period (Friday 17:00).

        Raises:
            CalendarRangeError: if ``working`` is negative or beyond the horizon.
        """
        _, ends, _, cumulative_end = self._lists
        if working < 0 or working > self.total_working_seconds:
            raise CalendarRangeError("working time beyond the calendar horizon")
        k = bisect_left(cumulative_end, working)
        return ends[k] - (cumulative_end[k] - working)

    def day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Working intervals intersecting ``day`` (clipped to the day), as date-times."""
        lo = to_instant(datetime.combine(day, time()))
        hi = lo + DAY_SECONDS
        starts, ends, _, _ = self._lists
        k = max(bisect_right(starts, lo) - 1, 0)
        found = []
        while k < len(starts) and starts[k] < hi:
            a, b = max(starts[k], lo), min(ends[k], hi)
            if a < b:
                found.append((from_instant(a), from_instant(b)))
            k += 1
        return found


def _check_instant(instant: int) -> None:
    if not _HORIZON_START_INSTANT <= instant <= _HORIZON_END_INSTANT:
        raise CalendarRangeError(
            f"{from_instant(instant)} is outside the calendar horizon "
            f"{HORIZON_START}..{HORIZON_END}"
        )


_HORIZON_END_INSTANT = _HORIZON_START_INSTANT + _HORIZON_DAYS * DAY_SECONDS
FIRST_INSTANT = _HORIZON_START_INSTANT
"""The first instant the calendars cover (:data:`HORIZON_START` at midnight)."""
LAST_INSTANT = _HORIZON_END_INSTANT
"""The last (:data:`HORIZON_END` at midnight)."""


@lru_cache(maxsize=256)
def compile_calendar(spec: CalendarSpec) -> Calendar:
    """Compile ``spec`` into a :class:`Calendar` (cached: specs are immutable).

    Raises:
        NoWorkingTimeError: if the calendar has no working time in the horizon.
    """
    starts, ends = _intervals(spec)
    if len(starts) == 0:
        raise NoWorkingTimeError(f"calendar {spec.name!r} has no working time")
    lengths = ends - starts
    cumulative = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    cumulative_end = cumulative + lengths
    lists = (starts.tolist(), ends.tolist(), cumulative.tolist(), cumulative_end.tolist())
    return Calendar(spec, starts, ends, cumulative, lists)


# --------------------------------------------------------------------------------------------
# Public helpers on date-times.


def working_seconds_between(cal: Calendar, start: datetime, finish: datetime) -> int:
    """Working seconds from ``start`` to ``finish`` (negative if ``finish`` is earlier).

    Raises:
        CalendarRangeError: if an instant is outside the calendar horizon.
    """
    return cal.working_before(to_instant(finish)) - cal.working_before(to_instant(start))


def working_minutes_between(cal: Calendar, start: datetime, finish: datetime) -> float:
    """Working minutes from ``start`` to ``finish`` (negative if ``finish`` is earlier).

    Example: Friday 16:00 to Monday 09:00 on the Standard calendar is 120.0.

    Raises:
        CalendarRangeError: if an instant is outside the calendar horizon.
    """
    return working_seconds_between(cal, start, finish) / 60


def add_working_seconds(cal: Calendar, start: datetime, seconds: int) -> datetime:
    """The instant at which ``seconds`` of working time have passed since ``start``.

    Positive amounts end at the end of work (Friday 17:00, not Monday 08:00); zero returns
    ``start`` unchanged; negative amounts go back in time and land on the start of work.

    Raises:
        CalendarRangeError: if the result is outside the calendar horizon.
    """
    base = cal.working_before(to_instant(start))
    if seconds == 0:
        return start
    if seconds > 0:
        return from_instant(cal.instant_at_finish(base + seconds))
    return from_instant(cal.instant_at_start(base + seconds))


def add_working_minutes(cal: Calendar, start: datetime, minutes: float) -> datetime:
    """Like :func:`add_working_seconds` with an amount in working minutes (rounded to seconds)."""
    return add_working_seconds(cal, start, round(minutes * 60))


def next_working_instant(cal: Calendar, moment: datetime) -> datetime:
    """``moment`` if it is working time, else the start of the next working period.

    Raises:
        CalendarRangeError: if there is no working time left in the horizon.
    """
    return from_instant(cal.instant_at_start(cal.working_before(to_instant(moment))))


def previous_working_instant(cal: Calendar, moment: datetime) -> datetime:
    """``moment`` if it is working time, else the end of the previous working period."""
    return from_instant(cal.instant_at_finish(cal.working_before(to_instant(moment))))


def is_working_day(cal: Calendar, day: date) -> bool:
    """True if ``day`` has any working time."""
    lo = to_instant(datetime.combine(day, time()))
    return cal.working_before(lo + DAY_SECONDS) > cal.working_before(lo)


def last_working_day_of_month(cal: Calendar, year: int, month: int) -> date | None:
    """The last working day of a month, or ``None`` if the month has no working day."""
    day = date(year, month, _stdcal.monthrange(year, month)[1])
    while day.month == month:
        if is_working_day(cal, day):
            return day
        day -= timedelta(days=1)
    return None


def _as_time(value: str | time) -> time:
    if isinstance(value, time):
        return value
    parts = [int(p) for p in value.split(":")] + [0, 0]
    if parts[0] == 24 and not any(parts[1:]):
        return time(0)
    return time(parts[0], parts[1], parts[2])
