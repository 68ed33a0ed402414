"""People's availability: working pattern minus holidays minus absences, hour by day.

Units: hours (floats) per calendar day; days are ``datetime.date``; ranges include both ends.

How a day is counted (the same rule the capacity view, levelling and the docs use):

1. The **pattern** gives the hours of the day's weekday (Monday = index 0). A person may have
   several patterns over time (``PatternPeriod``): each holds from its ``effective_from`` until
   the next one begins; before the first, the first holds (so a person always has one).
2. An organisation **holiday** (a non-working date of its calendar) takes the whole day.
3. An **absence** takes the whole day on each of its dates; a **half-day** absence (one date
   only) takes half of that day's pattern hours. Absences count only where there is something
   to take: a holiday or a weekend inside a week of leave removes nothing twice, so overlapping
   inputs never drive a day below zero (the larger share wins; shares do not add up).

``available = pattern - holiday - absence``, never negative and never above the pattern.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "DAYS_PER_WEEK",
    "MAX_HOURS_PER_DAY",
    "STANDARD_WEEK",
    "AbsenceSpan",
    "AvailabilityInputError",
    "DailyAvailability",
    "PatternPeriod",
    "daily_availability",
    "pattern_hours",
    "weekly_totals",
]

DAYS_PER_WEEK = 7
MAX_HOURS_PER_DAY = 24.0
STANDARD_WEEK: tuple[float, ...] = (8.0, 8.0, 8.0, 8.0, 8.0, 0.0, 0.0)
"""The pattern of a person who has not set one: 8 h Monday to Friday (40 h a week)."""

FloatArray = npt.NDArray[np.float64]


class AvailabilityInputError(ValueError):
    """An input the computation cannot use (a bad pattern or an inverted range)."""


@dataclass(frozen=True)
class PatternPeriod:
    """Hours per weekday (Monday first, 7 values, each 0-24) from ``effective_from`` on."""

    effective_from: dt.date
    hours: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.hours) != DAYS_PER_WEEK:
            raise AvailabilityInputError("A working pattern has 7 days, Monday to Sunday.")
        for value in self.hours:
            if not 0 <= value <= MAX_HOURS_PER_DAY:
                raise AvailabilityInputError("Hours per day are between 0 and 24.")


@dataclass(frozen=True)
class AbsenceSpan:
    """An absence from ``start`` to ``end`` (both included); ``half_day`` only on one date."""

    start: dt.date
    end: dt.date
    kind: str = "other"
    half_day: bool = False

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise AvailabilityInputError("An absence cannot end before it starts.")
        if self.half_day and self.end != self.start:
            raise AvailabilityInputError("A half day is a single day: start and end must match.")

    @property
    def share(self) -> float:
        """The part of each day's hours the absence takes (1 or 0.5)."""
        return 0.5 if self.half_day else 1.0


@dataclass(frozen=True)
class DailyAvailability:
    """Hours per day from ``start``; position ``i`` is ``start + i`` days.

    Attributes:
        pattern: the working pattern's hours of each day.
        holiday: hours the organisation's holidays take (the pattern's hours on a holiday).
        absence: hours the person's absences take (after holidays).
        available: ``pattern - holiday - absence``.
        absence_days: per absence kind, the share of each day it takes where the pattern has
            hours and it is no holiday (1 or 0.5; 0 elsewhere): "Holiday 2 d" on a page.
    """

    start: dt.date
    pattern: FloatArray
    holiday: FloatArray
    absence: FloatArray
    available: FloatArray
    absence_days: Mapping[str, FloatArray] = field(default_factory=dict)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(len(self.available))]

    def on(self, day: dt.date) -> float:
        """Available hours on ``day`` (which must be in the range)."""
        return float(self.available[(day - self.start).days])


def _check_range(start: dt.date, end: dt.date) -> int:
    if end < start:
        raise AvailabilityInputError("The range ends before it starts.")
    return (end - start).days + 1


def pattern_hours(
    patterns: Sequence[PatternPeriod] | PatternPeriod, start: dt.date, end: dt.date
) -> FloatArray:
    """The pattern's hours of each day from ``start`` to ``end`` (no holidays, no absences).

    With no pattern at all, :data:`STANDARD_WEEK` holds.

    Raises:
        AvailabilityInputError: ``end`` is before ``start``.
    """
    count = _check_range(start, end)
    periods = [patterns] if isinstance(patterns, PatternPeriod) else list(patterns)
    periods.sort(key=lambda p: p.effective_from)
    if not periods:
        periods = [PatternPeriod(start, STANDARD_WEEK)]
    weekday = (np.arange(count) + start.weekday()) % DAYS_PER_WEEK
    out = np.empty(count, dtype=np.float64)
    for i, period in enumerate(periods):
        begin = 0 if i == 0 else max(0, (period.effective_from - start).days)
        stop = count
        if i + 1 < len(periods):
            stop = min(count, max(0, (periods[i + 1].effective_from - start).days))
        if begin >= stop:
            continue
        week = np.asarray(period.hours, dtype=np.float64)
        out[begin:stop] = week[weekday[begin:stop]]
    return out


def daily_availability(
    patterns: Sequence[PatternPeriod] | PatternPeriod,
    absences: Iterable[AbsenceSpan],
    holidays: Collection[dt.date],
    start: dt.date,
    end: dt.date,
) -> DailyAvailability:
    """Available hours of one person on each day from ``start`` to ``end`` (both included).

    Raises:
        AvailabilityInputError: ``end`` is before ``start``.
    """
    count = _check_range(start, end)
    pattern = pattern_hours(patterns, start, end)
    is_holiday = np.zeros(count, dtype=bool)
    for day in holidays:
        offset = (day - start).days
        if 0 <= offset < count:
            is_holiday[offset] = True
    holiday = np.where(is_holiday, pattern, 0.0)
    after_holidays = pattern - holiday
    share = np.zeros(count, dtype=np.float64)
    shares_by_kind: dict[str, FloatArray] = {}
    for span in absences:
        a = max(0, (span.start - start).days)
        b = min(count, (span.end - start).days + 1)
        if a >= b:
            continue
        share[a:b] = np.maximum(share[a:b], span.share)
        kind = shares_by_kind.setdefault(span.kind, np.zeros(count, dtype=np.float64))
        kind[a:b] = np.maximum(kind[a:b], span.share)
    absence = after_holidays * share
    available = np.maximum(after_holidays - absence, 0.0)
    counts = after_holidays > 0
    absence_days = {kind: np.where(counts, s, 0.0) for kind, s in shares_by_kind.items()}
    return DailyAvailability(start, pattern, holiday, absence, available, absence_days)


def weekly_totals(values: FloatArray, start: dt.date) -> FloatArray:
    """Sums of ``values`` (one per day from ``start``, a Monday) per week of 7 days.

    Raises:
        AvailabilityInputError: ``start`` is not a Monday.
    """
    if start.weekday() != 0:
        raise AvailabilityInputError("Weeks start on a Monday.")
    weeks = -(-len(values) // DAYS_PER_WEEK)
    padded = np.zeros(weeks * DAYS_PER_WEEK, dtype=np.float64)
    padded[: len(values)] = values
    totals: FloatArray = padded.reshape(weeks, DAYS_PER_WEEK).sum(axis=1)
    return totals
