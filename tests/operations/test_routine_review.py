"""Routine review findings: step limits in the history, schedule changes that backdated
occurrences, stale occurrences after calendar and time zone changes, and due windows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from twofold.core.models import HistoryEntry
from twofold.operations import services
from twofold.operations.models import Evidence, Occurrence, Routine, RoutineStep
from twofold.quality.models import Nonconformance


def _torque(routine, owner, low, high, unit="Nm"):
    steps = list(RoutineStep.objects.filter(routine=routine, retired=False).order_by("position"))
    specs = [
        services.StepSpec(s.text, s.evidence, s.min_value, s.max_value, s.unit, id=s.pk)
        for s in steps[1:]
    ]
    first = steps[0]
    specs.insert(0, services.StepSpec("Torque", Evidence.NUMBER, low, high, unit, id=first.pk))
    routine.refresh_from_db()
    return services.update_routine(
        actor=owner, routine=routine, expected_version=routine.version, steps=specs
    )


def test_changing_a_steps_limits_is_in_the_history(owner, routine):
    """40-50 Nm -> 20-90 Nm answered 200 and recorded nothing: only "text (kind)" was compared."""
    _torque(routine, owner, 40, 50)
    _torque(routine, owner, 20, 90)
    _torque(routine, owner, 20, 90, unit="lbf ft")
    entries = HistoryEntry.objects.filter(action="updated").order_by("pk")
    steps = [e.changes["steps"] for e in entries if "steps" in e.changes]
    rest = ["Guards work (pass or fail)", "Anything unusual (a note)"]
    assert steps[1:] == [
        [
            ["Torque (a number within limits, between 40 and 50 Nm)", *rest],
            ["Torque (a number within limits, between 20 and 90 Nm)", *rest],
        ],
        [
            ["Torque (a number within limits, between 20 and 90 Nm)", *rest],
            ["Torque (a number within limits, between 20 and 90 lbf ft)", *rest],
        ],
    ]


SAT_10_13 = dt.datetime(2026, 12, 5, 10, 13, tzinfo=dt.UTC)  # London is on UTC in December


@pytest.fixture
def clock(monkeypatch):
    """``clock(moment)`` makes ``timezone.now()`` answer ``moment``."""

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def _critical(owner, process, due_time, capture):
    with capture(execute=True):
        return services.create_routine(
            actor=owner,
            process=process,
            name="Kiln check",
            critical=True,
            rrule="FREQ=DAILY",
            starts_on=dt.date(2026, 11, 28),
            due_time=due_time,
        )


def _dues(routine):
    return [
        (o.due, o.status) for o in Occurrence.objects.filter(routine=routine).order_by("due")[:3]
    ]


def test_creating_a_routine_with_a_past_start_makes_nothing_due_before_it(
    owner, process, clock, django_capture_on_commit_callbacks
):
    """Created at 10:13 with a start a week back it made yesterday's 09:00, missed at once,
    and a critical routine opened a nonconformance at creation."""
    clock(SAT_10_13)
    routine = _critical(owner, process, dt.time(9, 0), django_capture_on_commit_callbacks)
    assert _dues(routine)[0] == (dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC), "open")
    assert Nonconformance.objects.count() == 0


def test_a_schedule_change_never_backdates_occurrences(
    owner, process, clock, django_capture_on_commit_callbacks
):
    """A daily 17:00 routine moved to 09:00 at 10:13 made "yesterday 09:00" and marked it and
    yesterday's 17:00 missed: two nonconformances."""
    clock(SAT_10_13)
    routine = _critical(owner, process, dt.time(17, 0), django_capture_on_commit_callbacks)
    sunday = SAT_10_13 + dt.timedelta(days=1)
    clock(sunday)
    services.generate_occurrences(routines=[routine])
    routine.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_routine(
            actor=owner,
            routine=routine,
            expected_version=routine.version,
            due_time=dt.time(9, 0),
        )
    assert _dues(routine) == [
        (dt.datetime(2026, 12, 5, 17, 0, tzinfo=dt.UTC), "open"),  # still completable late
        (dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC), "open"),
        (dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC), "open"),
    ]
    assert Routine.objects.get(pk=routine.pk).schedule_from == sunday
    assert Nonconformance.objects.count() == 0
    services.generate_occurrences(routines=[routine])  # the worker's next pass adds none
    assert _dues(routine)[1][0] == dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
