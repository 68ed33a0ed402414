"""Demo quality records: a torque check on Line 2 whose out-of-limit readings opened two
nonconformances, one contained, corrected, verified effective and closed, one still open.

Everything goes through the services (the readings through ``complete_occurrence``, which
opens the nonconformances), so the history reads as if people had done it; only the dates are
moved back afterwards so the story has a past.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.operations import selectors as ops
from twofold.operations import services as ops_services
from twofold.operations.models import Evidence, Occurrence, Process, Routine
from twofold.quality import services
from twofold.quality.models import Nonconformance

ROUTINE = "Wheel hub torque check"


def _reading(routine: Routine, who: User, due: dt.datetime, torque: float, note: str) -> Occurrence:
    occ, _ = Occurrence.objects.get_or_create(
        organisation_id=routine.organisation_id, routine=routine, due=due
    )
    steps = ops.steps_of(routine.pk)
    ops_services.complete_occurrence(
        actor=who,
        occurrence=occ,
        evidence={
            steps[0].pk: ops_services.StepInput(number=torque),
            steps[1].pk: ops_services.StepInput(passed=True),
            steps[2].pk: ops_services.StepInput(note=note),
        },
        expected_version=occ.version,
        at=due - dt.timedelta(minutes=20),
    )
    return occ


def _opened_by(occ: Occurrence, raised: dt.datetime) -> Nonconformance:
    nc = Nonconformance.objects.get(occurrence=occ)
    Nonconformance.objects.filter(pk=nc.pk).update(raised_at=raised)
    nc.refresh_from_db()
    return nc


def load(organisation: Organisation, people: dict[str, User]) -> str:
    process = Process.objects.filter(organisation=organisation, name="Line 2 production").first()
    admin, lead = people.get("Oliver Brandt"), people.get("Jonas Berg")
    if process is None or admin is None or lead is None:
        return ""
    routine = ops_services.create_routine(
        actor=admin,
        process=process,
        name=ROUTINE,
        description="Torque of the wheel hub bolts on the first pump of each shift (40–50 Nm).",
        rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR",
        starts_on=timezone.localdate() - dt.timedelta(days=60),
        due_time=dt.time(7, 0),
        assignee=lead,
        effort_minutes=10,
        steps=[
            ops_services.StepSpec("Torque", Evidence.NUMBER, 40, 50, "Nm"),
            ops_services.StepSpec("Thread locker applied", Evidence.PASS_FAIL),
            ops_services.StepSpec("Wrench used", Evidence.NOTE),
        ],
    )
    now = timezone.now()
    first_due = (now - dt.timedelta(days=41)).replace(hour=6, minute=0, second=0, microsecond=0)
    occ = _reading(routine, lead, first_due, 55, "TW-07")
    closed = _opened_by(occ, first_due - dt.timedelta(minutes=20))
    raised_day = closed.raised_at.date()
    services.update_nonconformance(
        actor=lead,
        nc=closed,
        expected_version=closed.version,
        containment=(
            "Line stopped at once; the 12 hubs built since the last good check were quarantined, "
            "re-torqued with a calibrated wrench and re-checked (all 45–47 Nm)."
        ),
        root_cause=(
            "Torque wrench TW-07 read 12 % low: its calibration was 5 months old, the interval "
            "(12 months) too long for a wrench used on every shift."
        ),
    )
    corrective = services.add_action(
        actor=lead,
        nc=closed,
        description="Recalibrate torque wrench TW-07 and add it to the calibration register",
        owner=lead,
        due_on=raised_day + dt.timedelta(days=2),
    )
    preventive = services.add_action(
        actor=admin,
        nc=closed,
        kind="preventive",
        description="Calibrate every torque wrench on Line 2 every 3 months, not 12",
        owner=admin,
        due_on=raised_day + dt.timedelta(days=14),
    )
    services.update_action(
        actor=lead,
        action=corrective,
        expected_version=corrective.version,
        status="done",
        done_on=raised_day + dt.timedelta(days=1),
        outcome="Calibrated by the lab; certificate C-2291 filed",
    )
    services.update_action(
        actor=admin,
        action=preventive,
        expected_version=preventive.version,
        status="done",
        done_on=raised_day + dt.timedelta(days=10),
        outcome="Calibration register updated for 9 wrenches",
    )
    closed.refresh_from_db()
    services.verify_nonconformance(
        actor=admin,
        nc=closed,
        expected_version=closed.version,
        verification="The next 20 torque checks all read 44–47 Nm; no reading outside limits.",
        effective=True,
        verified_on=raised_day + dt.timedelta(days=30),
    )
    services.close_nonconformance(actor=admin, nc=closed, expected_version=closed.version)

    second_due = (now - dt.timedelta(days=3)).replace(hour=6, minute=0, second=0, microsecond=0)
    occ = _reading(routine, lead, second_due, 38.5, "TW-11")
    still_open = _opened_by(occ, second_due - dt.timedelta(minutes=20))
    services.update_nonconformance(
        actor=lead,
        nc=still_open,
        expected_version=still_open.version,
        containment="Bolts re-torqued to 45 Nm and the shift's 6 hubs re-checked.",
    )
    services.add_action(
        actor=lead,
        nc=still_open,
        description="Check TW-11 against the reference and find why it reads low",
        owner=lead,
        due_on=still_open.raised_at.date() + dt.timedelta(days=7),
    )
    return "2 nonconformances from torque checks (one closed after verification, one open)"
