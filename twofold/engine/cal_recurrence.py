"""Recurring calendar exceptions ("every 2nd Tuesday", "first Monday of every other month").

A :class:`Recurrence` only describes *which dates* recur; the calendar exception that owns it
decides what those dates look like (non-working, or special working times). Expansion is pure
date arithmetic: weekdays are ``0`` = Monday ... ``6`` = Sunday (:meth:`datetime.date.weekday`).
"""

from __future__ import annotations

import calendar as _stdcal
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta


class RecurrenceKind(enum.Enum):
    """How dates repeat."""

    DAILY = "daily"  # every ``period`` days
    WEEKLY = "weekly"  # every ``period`` weeks on ``weekdays``
    MONTHLY_BY_DAY = "monthly_by_day"  # day ``day_of_month`` every ``period`` months
    MONTHLY_BY_WEEKDAY = "monthly_by_weekday"  # e.g. 2nd Tuesday every ``period`` months
    YEARLY_BY_DAY = "yearly_by_day"  # ``month``/``day_of_month`` every year
    YEARLY_BY_WEEKDAY = "yearly_by_weekday"  # e.g. last Friday of ``month`` every year


LAST = 5
"""``week_of_month`` value meaning "the last one in the month"."""


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A rule generating dates from ``start`` until ``end`` or ``occurrences`` dates.

    Attributes:
        kind: the repetition rule.
        start: first date considered (inclusive).
        end: last date allowed (inclusive); ``None`` means "bounded by ``occurrences``".
        occurrences: maximum number of dates; ``None`` means "bounded by ``end``".
        period: every N days/weeks/months (ignored for yearly rules).
        weekdays: for WEEKLY, the weekdays (0 = Monday); for *_BY_WEEKDAY, exactly one weekday.
        day_of_month: 1..31 for *_BY_DAY (clamped to the month's last day).
        month: 1..12 for yearly rules.
        week_of_month: 1..4, or :data:`LAST`, for *_BY_WEEKDAY.
        week_start: weekday on which weeks start when counting every N weeks (0 = Monday;
            Microsoft Project counts from Sunday, 6).

    Raises:
        ValueError: if neither ``end`` nor ``occurrences`` bounds the rule, or a field is out of
            range.
    """

    kind: RecurrenceKind
    start: date
    end: date | None = None
    occurrences: int | None = None
    period: int = 1
    weekdays: frozenset[int] = frozenset()
    day_of_month: int = 1
    month: int = 1
    week_of_month: int = 1
    week_start: int = 0

    def __post_init__(self) -> None:
        if self.end is None and self.occurrences is None:
            raise ValueError("a recurrence needs an end date or a number of occurrences")
        if self.period < 1:
            raise ValueError("period must be at least 1")
        if not 1 <= self.month <= 12 or not 1 <= self.day_of_month <= 31:
            raise ValueError("month or day of month out of range")
        if not 1 <= self.week_of_month <= LAST:
            raise ValueError("week_of_month must be 1..4 or LAST (5)")
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) .. 6 (Sunday)")
        needs_weekday = self.kind in (
            RecurrenceKind.WEEKLY,
            RecurrenceKind.MONTHLY_BY_WEEKDAY,
            RecurrenceKind.YEARLY_BY_WEEKDAY,
        )
        if needs_weekday and not self.weekdays:
            raise ValueError(f"{self.kind.value} recurrence needs weekdays")

    def dates(self) -> tuple[date, ...]:
        """Return the dates of the rule in increasing order."""
        limit = self.occurrences if self.occurrences is not None else 1_000_000
        last = self.end if self.end is not None else date.max
        found: list[date] = []
        for candidate in self._candidates():
            if candidate > last or len(found) >= limit:
                break
            if candidate >= self.start:
                found.append(candidate)
        return tuple(found)

    def _candidates(self) -> Iterator[date]:
        kind = self.kind
        if kind is RecurrenceKind.DAILY:
            return _daily(self.start, self.period)
        if kind is RecurrenceKind.WEEKLY:
            return _weekly(self.start, self.period, self.weekdays, self.week_start)
        if kind is RecurrenceKind.MONTHLY_BY_DAY:
            return _monthly(self.start, self.period, lambda y, m: _day_in(y, m, self.day_of_month))
        if kind is RecurrenceKind.MONTHLY_BY_WEEKDAY:
            weekday = min(self.weekdays)
            return _monthly(
                self.start, self.period, lambda y, m: _nth(y, m, weekday, self.week_of_month)
            )
        if kind is RecurrenceKind.YEARLY_BY_DAY:
            return _yearly(self.start, lambda y: _day_in(y, self.month, self.day_of_month))
        weekday = min(self.weekdays)
        return _yearly(self.start, lambda y: _nth(y, self.month, weekday, self.week_of_month))


def _daily(start: date, period: int) -> Iterator[date]:
    day = start
    while True:
        yield day
        if day > date.max - timedelta(days=period):
            return
        day += timedelta(days=period)


def _weekly(
    start: date, period: int, weekdays: frozenset[int], first_weekday: int
) -> Iterator[date]:
    # Weeks are counted from the week (starting on ``first_weekday``) that contains ``start``.
    week_start = start - timedelta(days=(start.weekday() - first_weekday) % 7)
    while week_start.year < 9999:
        for offset in sorted((d - first_weekday) % 7 for d in weekdays):
            yield week_start + timedelta(days=offset)
        week_start += timedelta(weeks=period)


def _monthly(start: date, period: int, pick: Callable[[int, int], date]) -> Iterator[date]:
    year, month = start.year, start.month
    while year < 9999:
        yield pick(year, month)
        month += period
        year += (month - 1) // 12
        month = (month - 1) % 12 + 1


def _yearly(start: date, pick: Callable[[int], date]) -> Iterator[date]:
    for year in range(start.year, 9999):
        yield pick(year)


def _day_in(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _stdcal.monthrange(year, month)[1]))


def _nth(year: int, month: int, weekday: int, nth: int) -> date:
    """The ``nth`` (1..4, or LAST) ``weekday`` of a month."""
    if nth == LAST:
        last = date(year, month, _stdcal.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    first_match = first + timedelta(days=(weekday - first.weekday()) % 7)
    return first_match + timedelta(weeks=nth - 1)
