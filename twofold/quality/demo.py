"""Demo quality records: a torque check on Line 2 whose out-of-limit readings opened two
nonconformances, one contained, corrected, verified effective and closed, one still open.

Everything goes through the services (the readings through ``complete_occurrence``, which
opens the nonconformances), so the history reads as if people had done it; only the dates are
moved back afterwards so the story has a past: each step's history at the time it happened.
The check runs Monday, Wednesday and Friday since two months: every other run is done with its
checklist (readings within limits), the two bad readings fell on scheduled runs.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.demo.backdate import at_local, happened
from twofold.operations import selectors as ops
from twofold.operations import services as ops_services
from twofold.operations.demo import record_past_runs
from twofold.operations.models import (
    Evidence,
    Occurrence,
    OccurrenceStatus,
    Process,
    Routine,
    StepEvidence,
)
from twofold.quality import services
from twofold.quality.models import Nonconformance

ROUTINE = "Wheel hub torque check"


def _reading(routine: Routine, who: User, due: dt.datetime, torque: float, note: str) -> Occurrence:
    occ, _ = Occurrence.objects.get_or_create(
        organisation_id=routine.organisation_id, routine=routine, due=due
    )
    steps = ops.steps_of(routine.pk)
    with happened(routine.organisation, due - dt.timedelta(minutes=20)):
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


def _nearest(dues: list[dt.datetime], moment: dt.datetime) -> dt.datetime:
    return min(dues, key=lambda due: abs(due - moment))


def load(organisation: Organisation, people: dict[str, User]) -> str:
    process = Process.objects.filter(organisation=organisation, name="Line 2 production").first()
    admin, lead = people.get("Oliver Brandt"), people.get("Jonas Berg")
    if process is None or admin is None or lead is None:
        return ""
    org = organisation
    starts_on = timezone.localdate() - dt.timedelta(days=60)
    with happened(org, at_local(org, starts_on - dt.timedelta(days=3), 15)):
        routine = ops_services.create_routine(
            actor=admin,
            process=process,
            name=ROUTINE,
            description="Torque of the wheel hub bolts on the first pump of each shift (40–50 Nm).",
            rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR",
            starts_on=starts_on,
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
    # The two bad readings fell on scheduled checks (six weeks ago and a few days ago).
    dues = ops_services.due_between(routine, starts_on, timezone.localdate(), org.timezone)
    first_due = _nearest(dues, now - dt.timedelta(days=41))
    second_due = max(d for d in dues if d <= now - dt.timedelta(days=2))
    first_occ = _reading(routine, lead, first_due, 55, "TW-07")
    second_occ = _reading(routine, lead, second_due, 38.5, "TW-11")
    # Every other check since the start was done, its torque within limits.
    record_past_runs(routine, since=starts_on, rng=random.Random(4050), late=1, missed=0)

    closed = _opened_by(first_occ, first_due - dt.timedelta(minutes=20))
    raised = closed.raised_at
    raised_day = raised.date()
    with happened(org, raised + dt.timedelta(hours=3)):
        services.update_nonconformance(
            actor=lead,
            nc=closed,
            expected_version=closed.version,
            containment=(
                "Line stopped at once; the 12 hubs built since the last good check were "
                "quarantined, re-torqued with a calibrated wrench and re-checked (all 45–47 Nm)."
            ),
            root_cause=(
                "Torque wrench TW-07 read 12 % low: its calibration was 5 months old, the "
                "interval (12 months) too long for a wrench used on every shift."
            ),
        )
        corrective = services.add_action(
            actor=lead,
            nc=closed,
            description="Recalibrate torque wrench TW-07 and add it to the calibration register",
            owner=lead,
            due_on=raised_day + dt.timedelta(days=2),
        )
    with happened(org, at_local(org, raised_day + dt.timedelta(days=1), 9, 30)):
        preventive = services.add_action(
            actor=admin,
            nc=closed,
            kind="preventive",
            description="Calibrate every torque wrench on Line 2 every 3 months, not 12",
            owner=admin,
            due_on=raised_day + dt.timedelta(days=14),
        )
    with happened(org, at_local(org, raised_day + dt.timedelta(days=1), 15, 10)):
        services.update_action(
            actor=lead,
            action=corrective,
            expected_version=corrective.version,
            status="done",
            done_on=raised_day + dt.timedelta(days=1),
            outcome="Calibrated by the lab; certificate C-2291 filed",
        )
    with happened(org, at_local(org, raised_day + dt.timedelta(days=10), 15, 40)):
        services.update_action(
            actor=admin,
            action=preventive,
            expected_version=preventive.version,
            status="done",
            done_on=raised_day + dt.timedelta(days=10),
            outcome="Calibration register updated for 9 wrenches",
        )
    verified_on = raised_day + dt.timedelta(days=30)
    closed.refresh_from_db()
    with happened(org, at_local(org, verified_on, 10)):
        services.verify_nonconformance(
            actor=admin,
            nc=closed,
            expected_version=closed.version,
            verification=_verification(routine, first_due, verified_on),
            effective=True,
            verified_on=verified_on,
        )
    with happened(org, at_local(org, verified_on, 10, 15)):
        services.close_nonconformance(actor=admin, nc=closed, expected_version=closed.version)

    still_open = _opened_by(second_occ, second_due - dt.timedelta(minutes=20))
    with happened(org, still_open.raised_at + dt.timedelta(hours=1)):
        services.update_nonconformance(
            actor=lead,
            nc=still_open,
            expected_version=still_open.version,
            containment="Bolts re-torqued to 45 Nm and the shift's 6 hubs re-checked.",
        )
    with happened(org, still_open.raised_at + dt.timedelta(hours=2)):
        services.add_action(
            actor=lead,
            nc=still_open,
            description="Check TW-11 against the reference and find why it reads low",
            owner=lead,
            due_on=still_open.raised_at.date() + dt.timedelta(days=7),
        )
    return "2 nonconformances from torque checks (one closed after verification, one open)"


def _verification(routine: Routine, after: dt.datetime, until: dt.date) -> str:
    """What the checks after the bad reading showed, from their recorded torques."""
    readings = [
        n
        for n in StepEvidence.objects.filter(
            occurrence__routine=routine,
            occurrence__status=OccurrenceStatus.DONE,
            occurrence__due__gt=after,
            occurrence__due__date__lte=until,
            step__text="Torque",
        ).values_list("number", flat=True)
        if n is not None
    ]
    if not readings:
        return "The checks since all read within limits."
    return (
        f"The next {len(readings)} torque checks all read {min(readings):g}–{max(readings):g} Nm; "
        "no reading outside limits."
    )
