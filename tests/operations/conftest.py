"""Builders for operations tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.calendars import services as calendar_services
from twofold.calendars.working_time import STANDARD_HOURS
from twofold.operations import services
from twofold.operations.models import Evidence, Routine


@pytest.fixture
def process(org: Any, owner: Any) -> Any:
    return services.create_process(
        actor=owner, organisation=org, name="Line 2 production", annual_budget=1000
    )


@pytest.fixture
def kpi(process: Any, owner: Any) -> Any:
    return services.create_kpi(
        actor=owner,
        process=process,
        name="Scrap rate",
        unit="%",
        good_direction="down",
        target=2.0,
        amber_threshold=2.5,
        red_threshold=3.0,
    )


@pytest.fixture
def calendar(org: Any, owner: Any) -> Any:
    return calendar_services.create_calendar(
        actor=owner, organisation=org, name="Office", hours=STANDARD_HOURS
    )


@pytest.fixture
def queue(org: Any, owner: Any, calendar: Any, process: Any) -> Any:
    return services.create_queue(
        actor=owner, organisation=org, name="IT service desk", calendar=calendar, process=process
    )


@pytest.fixture
def routine(process: Any, owner: Any, django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        made = services.create_routine(
            actor=owner,
            process=process,
            name="Start-of-shift checks",
            rrule="FREQ=DAILY",
            starts_on=dt.date.today() - dt.timedelta(days=3),
            due_time=dt.time(23, 59),
            steps=[
                services.StepSpec("Coolant concentration", Evidence.NUMBER, 6, 9, "%"),
                services.StepSpec("Guards work", Evidence.PASS_FAIL),
                services.StepSpec("Anything unusual", Evidence.NOTE),
            ],
        )
        # One that has run since its start date (created before schedule_from was kept), so
        # its occurrences from yesterday on exist; a new routine gets none due before creation.
        made.schedule_from = None
        Routine.objects.filter(pk=made.pk).update(schedule_from=None)
    return made


def due_by_today(occurrences: Any) -> Any:
    """``occurrences`` (a queryset) that may be completed now: due on the organisation's
    today or earlier (one due later is refused: ``services._check_not_ahead``)."""
    import datetime as _dt
    import zoneinfo

    from django.utils import timezone as _tz

    first = occurrences.first()
    if first is None:
        return occurrences
    zone = zoneinfo.ZoneInfo(first.organisation.timezone)
    today = _tz.localtime(_tz.now(), zone).date()
    end = _dt.datetime.combine(today + _dt.timedelta(days=1), _dt.time.min, tzinfo=zone)
    return occurrences.filter(due__lt=end)
