"""Routine review findings: step limits in the history, schedule changes that backdated
occurrences, stale occurrences after calendar and time zone changes, and due windows."""

from __future__ import annotations

from twofold.core.models import HistoryEntry
from twofold.operations import services
from twofold.operations.models import Evidence, RoutineStep


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
