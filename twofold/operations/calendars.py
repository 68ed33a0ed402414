"""The one adapter from a stored BusinessCalendar to the engine's calendar, and time helpers.

The engine works in naive local date-times; stored instants are aware (UTC). ``local`` converts
an aware instant to the organisation's wall-clock time and drops the zone; ``aware`` goes back.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from twofold.engine.calendars import Calendar, compile_calendar, make_calendar
from twofold.operations.models import BusinessCalendar

STANDARD_HOURS: dict[str, list[list[str]]] = {
    str(d): ([["08:00", "12:00"], ["13:00", "17:00"]] if d < 5 else []) for d in range(7)
}


def check_hours(hours: Any) -> dict[str, list[list[str]]]:
    """Validate ``{"0": [["08:00", "17:00"]], ...}``; raises ValueError naming the problem."""
    if not isinstance(hours, dict):
        raise ValueError("Working hours must map weekdays 0-6 to lists of [start, end].")
    clean: dict[str, list[list[str]]] = {}
    for key, ranges in hours.items():
        if str(key) not in {str(d) for d in range(7)}:
            raise ValueError(f"Unknown weekday {key!r}: use 0 (Monday) to 6 (Sunday).")
        if not isinstance(ranges, list):
            raise ValueError("Each weekday needs a list of [start, end] pairs.")
        pairs = []
        for pair in ranges:
            if not (isinstance(pair, list | tuple) and len(pair) == 2):
                raise ValueError(
                    "Each working period is a [start, end] pair like ['08:00', '17:00']."
                )
            start, end = (dt.time.fromisoformat(str(p)) for p in pair)
            if end <= start:
                raise ValueError(
                    f"A working period must end after it starts ({pair[0]}–{pair[1]})."
                )
            pairs.append([start.strftime("%H:%M"), end.strftime("%H:%M")])
        clean[str(key)] = pairs
    if not any(clean.values()):
        raise ValueError("A calendar needs some working time.")
    return clean


def engine_calendar(calendar: BusinessCalendar | None) -> Calendar:
    """The compiled engine calendar (cached by the engine: equal specs compile once)."""
    hours = calendar.hours if calendar is not None else STANDARD_HOURS
    holidays = calendar.holidays if calendar is not None else []
    week = {int(d): [(a, b) for a, b in ranges] for d, ranges in hours.items()}
    for d in range(7):
        week.setdefault(d, [])
    days = sorted(dt.date.fromisoformat(h) for h in holidays)
    name = calendar.name if calendar is not None else "Standard"
    return compile_calendar(make_calendar(week, [(d, d) for d in days], name=name))


def local(moment: dt.datetime, zone: str) -> dt.datetime:
    """An aware instant as naive wall-clock time in ``zone``."""
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


def aware(moment: dt.datetime, zone: str) -> dt.datetime:
    """A naive wall-clock time in ``zone`` as an aware instant."""
    return moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
