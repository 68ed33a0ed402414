"""Time helpers for operations, and the calendar adapter (now in ``twofold.calendars``).

The engine works in naive local date-times; stored instants are aware (UTC). ``local`` converts
an aware instant to the organisation's wall-clock time and drops the zone; ``aware`` goes back.
Calendars themselves live in :mod:`twofold.calendars`: ``engine_calendar`` and the hours checks
are re-exported from its adapter so SLA clocks and routine shifts use the same model as projects.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import zoneinfo

from twofold.calendars.working_time import STANDARD_HOURS, check_hours, engine_calendar

__all__ = [
    "STANDARD_HOURS",
    "aware",
    "check_hours",
    "engine_calendar",
    "local",
    "offset_changes",
    "wall_clock",
    "wall_clock_segments",
]

_STEP = dt.timedelta(days=7)
"""Offsets are compared a week apart: no zone changes its offset twice within a week."""


def local(moment: dt.datetime, zone: str) -> dt.datetime:
    """An aware instant as naive wall-clock time in ``zone``."""
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


def aware(moment: dt.datetime, zone: str) -> dt.datetime:
    """A naive wall-clock time in ``zone`` as an aware instant."""
    return moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))


def _offset(zone: zoneinfo.ZoneInfo, instant: dt.datetime) -> dt.timedelta:
    return instant.astimezone(zone).utcoffset() or dt.timedelta(0)


@functools.lru_cache(maxsize=256)
def _changes_in_year(zone: str, year: int) -> tuple[dt.datetime, ...]:
    """The instants in ``year`` (UTC) at which ``zone``'s offset changes, to the second: the
    offsets are compared a week apart, then bisected (kept per process: a queue page asks for
    the same few years of one zone for every request)."""
    tz = zoneinfo.ZoneInfo(zone)
    found: list[dt.datetime] = []
    left = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    while left < end:
        right = min(left + _STEP, end)
        if _offset(tz, left) != _offset(tz, right):
            low, high = left, right  # the change lies in (low, high]
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(tz, middle) == _offset(tz, low):
                    low = middle
                else:
                    high = middle
            found.append(high)
        left = right
    return tuple(found)


def offset_changes(start: dt.datetime, end: dt.datetime, zone: str) -> list[dt.datetime]:
    """The instants in (``start``, ``end``] at which ``zone``'s UTC offset changes (the clocks
    going forward or back), to the second."""
    if end <= start:
        return []
    years = range(start.astimezone(dt.UTC).year, end.astimezone(dt.UTC).year + 1)
    return [t for year in years for t in _changes_in_year(zone, year) if start < t <= end]


def wall_clock_segments(
    start: dt.datetime, end: dt.datetime, zone: str
) -> list[tuple[dt.datetime, dt.datetime, dt.timedelta]]:
    """(``start``, ``end``) cut where the offset changes: (from, to, the offset in force). Read
    each piece's instants on the wall clock with its own offset (:func:`wall_clock`): within a
    piece the wall clock runs as real time does, so working time summed over the pieces leaves
    out the hour skipped in spring and counts the repeated autumn hour twice, as it passes."""
    tz = zoneinfo.ZoneInfo(zone)
    cuts = [start, *offset_changes(start, end, zone), end]
    return [(a, b, _offset(tz, a)) for a, b in itertools.pairwise(cuts)]


def wall_clock(instant: dt.datetime, offset: dt.timedelta) -> dt.datetime:
    """``instant`` as naive wall-clock time at ``offset`` from UTC."""
    return (instant.astimezone(dt.UTC) + offset).replace(tzinfo=None)
