"""One end-of-day convention for finish dates, used by every page that shows one.

The engine dates work in instants on the working calendar. A task that ends with Tuesday's last
working minute finishes at Tuesday 17:00; a zero-duration item that follows it (a milestone, the
project's last node) sits at the next working instant, Wednesday 08:00. Both describe the same
moment of the plan -- "done by the end of Tuesday" -- so a finish *date* is the day of the last
working minute before the finish instant: Wednesday 08:00 shows as Tuesday.

Only a morning instant can stand for the day before: a finish at noon or later is its own day
whatever the calendar (a six-day week's Saturday 17:00 is Saturday); an earlier one snaps to the
last working minute before it on ``calendar`` (the Standard week unless given).

The one exception is an item with no work (``start`` at or after ``finish``: a milestone): it
shows on its own day, so a milestone constrained to Monday 08:00 stays on Monday. For a whole
project pass the plan's start (``project.scheduled_start``): its finish snaps back unless the
plan has no work at all.

The page header, the WBS, the Gantt's tooltips, the schedule-risk page and the levelling
preview all call :func:`finish_day` (directly or through the ``finish_day`` template filter).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from twofold.engine.calendars import Calendar, CalendarRangeError, previous_working_instant

NOON = dt.time(12, 0)


def _calendar() -> Calendar:
    from twofold.projects.scheduling import compiled_calendar

    return compiled_calendar()


def _local(value: dt.datetime, tzinfo: dt.tzinfo | None) -> dt.datetime:
    """Naive local time: aware values converted to ``tzinfo`` (default: the current zone);
    naive values are taken as already local."""
    if timezone.is_aware(value):
        value = timezone.localtime(value, tzinfo or timezone.get_current_timezone())
    return value.replace(tzinfo=None)


def finish_day(
    finish: dt.datetime | None,
    tzinfo: dt.tzinfo | None = None,
    *,
    start: dt.datetime | None = None,
    calendar: Calendar | None = None,
) -> dt.date | None:
    """The calendar date a finish instant belongs to (see the module docstring).

    ``finish`` and ``start`` may be aware (converted to ``tzinfo``, default the current time
    zone) or naive local times.
    """
    if finish is None:
        return None
    local = _local(finish, tzinfo)
    if start is not None and _local(start, tzinfo) >= local:
        return local.date()
    if local.time() >= NOON:
        # Work ended in the afternoon of its own day, on any calendar: only a morning instant
        # (the start of a working day) can stand for the day before. Without this rule a task
        # ending Saturday 17:00 on a six-day calendar read "Friday" (the Standard week's day).
        return local.date()
    try:
        return previous_working_instant(calendar or _calendar(), local).date()
    except CalendarRangeError:  # outside the calendar's horizon: nothing to snap to
        return local.date()
