"""Time helpers for operations, and the calendar adapter (now in ``twofold.calendars``).

The engine works in naive local date-times; stored instants are aware (UTC). ``local`` converts
an aware instant to the organisation's wall-clock time and drops the zone; ``aware`` goes back.
Calendars themselves live in :mod:`twofold.calendars`: ``engine_calendar`` and the hours checks
are re-exported from its adapter so SLA clocks and routine shifts use the same model as projects.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from twofold.calendars.working_time import STANDARD_HOURS, check_hours, engine_calendar

__all__ = ["STANDARD_HOURS", "aware", "check_hours", "engine_calendar", "local"]


def local(moment: dt.datetime, zone: str) -> dt.datetime:
    """An aware instant as naive wall-clock time in ``zone``."""
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


def aware(moment: dt.datetime, zone: str) -> dt.datetime:
    """A naive wall-clock time in ``zone`` as an aware instant."""
    return moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
