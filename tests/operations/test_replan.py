"""Routines' coming occurrences are made again when what placed them changes: a holiday on the
calendar their shift reads, or the organisation's time zone. A new 31 December holiday left both
30 and 31 December in the month; a new time zone doubled every routine's occurrences (one at the
old hour, one at the new), each later marked missed."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils import timezone

from twofold.accounts.services import update_organisation
from twofold.calendars import services as calendars
from twofold.operations import services
from twofold.operations.models import Evidence, Occurrence, Routine


def _coming(routine: Routine) -> list[dt.datetime]:
    return list(
        Occurrence.objects.filter(routine=routine, due__gt=timezone.now())
        .order_by("due")
        .values_list("due", flat=True)
    )


def test_a_new_holiday_moves_a_shifted_routine(
    org: Any, owner: Any, process: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cal = calendars.ensure_default_calendar(org)
    zone = zoneinfo.ZoneInfo(org.timezone)
    today = timezone.localtime(timezone.now(), zone).date()
    with django_capture_on_commit_callbacks(execute=True):
        routine = services.create_routine(
            actor=owner,
            process=process,
            name="Weekly report",
            rrule="FREQ=DAILY",
            due_time=dt.time(17),
            shift="previous",
            calendar=cal,
            steps=[services.StepSpec("Sent", Evidence.PASS_FAIL)],
        )
    # A working day a week or more ahead becomes a holiday.
    day = today + dt.timedelta(days=8)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    before = [d.astimezone(zone).date() for d in _coming(routine)]
    assert day in before
    cal.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        calendars.add_holiday(
            actor=owner, calendar=cal, expected_version=cal.version, name="Works outing", start=day
        )
    after = [d.astimezone(zone).date() for d in _coming(routine)]
    assert day not in after  # shifted to the working day before (which it already had)
    assert len(after) == len(set(after))


def test_a_new_time_zone_does_not_double_the_occurrences(
    org: Any, owner: Any, routine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    count = len(_coming(routine))
    org.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        update_organisation(
            actor=owner, organisation=org, expected_version=org.version, timezone="Europe/Berlin"
        )
    coming = _coming(routine)
    assert len(coming) == count
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert {d.astimezone(berlin).time() for d in coming} == {dt.time(23, 59)}
