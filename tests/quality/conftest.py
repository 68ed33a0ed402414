"""Builders for quality tests: a process with an owner, a torque routine, a breach-watched queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tests.operations.conftest import due_by_today
from twofold.accounts.models import Role
from twofold.calendars import services as calendar_services
from twofold.calendars.working_time import STANDARD_HOURS
from twofold.operations import selectors as ops
from twofold.operations import services as ops_services
from twofold.operations.models import Evidence, Occurrence, Routine


@pytest.fixture
def process_owner(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Petra Process-Owner")


@pytest.fixture
def worker(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Walt Worker")


@pytest.fixture
def guest(org: Any, member: Any) -> Any:
    return member(org, Role.GUEST, full_name="Gus Guest")


@pytest.fixture
def process(org: Any, owner: Any, process_owner: Any) -> Any:
    return ops_services.create_process(
        actor=owner, organisation=org, name="Line 2 assembly", owner=process_owner
    )


@pytest.fixture
def routine(process: Any, owner: Any, django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        made = ops_services.create_routine(
            actor=owner,
            process=process,
            name="Wheel nut torque",
            rrule="FREQ=DAILY",
            starts_on=dt.date.today() - dt.timedelta(days=3),
            due_time=dt.time(23, 59),
            steps=[
                ops_services.StepSpec("Torque", Evidence.NUMBER, 40, 50, "Nm"),
                ops_services.StepSpec("Visual check", Evidence.PASS_FAIL),
            ],
        )
        # Running since its start date (as before schedule_from was kept): yesterday's exists.
        made.schedule_from = None
        Routine.objects.filter(pk=made.pk).update(schedule_from=None)
    return made


@pytest.fixture
def complete(routine: Any) -> Callable[..., Occurrence]:
    """``complete(actor, torque, passed=True)`` completes the latest open occurrence."""

    def run(actor: Any, torque: Any, passed: bool = True, occ: Occurrence | None = None) -> Any:
        occ = (
            occ
            or due_by_today(Occurrence.objects.filter(routine=routine, status="open"))
            .order_by("due")
            .last()
        )
        assert occ is not None
        steps = ops.steps_of(routine.pk)
        ops_services.complete_occurrence(
            actor=actor,
            occurrence=occ,
            evidence={
                steps[0].pk: ops_services.StepInput(number=torque),
                steps[1].pk: ops_services.StepInput(passed=passed),
            },
            expected_version=occ.version,
        )
        occ.refresh_from_db()
        return occ

    return run


@pytest.fixture
def calendar(org: Any, owner: Any) -> Any:
    return calendar_services.create_calendar(
        actor=owner, organisation=org, name="Office", hours=STANDARD_HOURS
    )
