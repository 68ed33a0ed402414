"""The working days planned value is spread over: the project calendar's, holidays included.

:func:`working_days` turns a calendar (its spec, from ``calendars.working_time``) into the
engine's :class:`~twofold.engine.evm.WorkingDays` for a span of dates: the weekdays its week
works, and the dates its exceptions take off or add (a holiday, a working Saturday, an
alternate work week). Before, planned value assumed Monday to Friday whatever the calendar.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from twofold.engine import calendars as ec
from twofold.engine.evm import WorkingDays

__all__ = ["working_days"]

MAX_SPAN_DAYS = 20 * 366
"""Longest span read day by day (a plan of twenty years); beyond it, the weekdays alone."""


def _weekdays(spec: ec.CalendarSpec) -> frozenset[int]:
    """ISO numbers of the weekdays the calendar's own week (or its base's) works."""
    return frozenset(day + 1 for day in range(7) if spec.default_day(day))


def working_days(spec: ec.CalendarSpec, first: dt.date, last: dt.date) -> WorkingDays:
    """The working days of ``spec`` from ``first`` to ``last``: read for whole calendar years
    and cached, so the projects of a portfolio on a few calendars share a few reads."""
    return _years(spec, first.year, max(first.year, last.year))


@lru_cache(maxsize=256)
def _years(spec: ec.CalendarSpec, first_year: int, last_year: int) -> WorkingDays:
    first, last = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
    weekdays = _weekdays(spec)
    if last < first or (last - first).days > MAX_SPAN_DAYS:
        return WorkingDays(weekdays)
    cal = ec.compile_calendar(spec)
    off: list[dt.date] = []
    on: list[dt.date] = []
    day = max(first, ec.HORIZON_START)
    end = min(last, ec.HORIZON_END - dt.timedelta(days=1))
    while day <= end:
        works = ec.is_working_day(cal, day)
        if works != (day.isoweekday() in weekdays):
            (on if works else off).append(day)
        day += dt.timedelta(days=1)
    return WorkingDays(weekdays, tuple(off), tuple(on))
