"""This context's part of the demo story (called by twofold/demo/loader.py after projects).

The story: the Line 3 automation cell is late, so its plan was compressed. Tomasz Nowak is now
booked on "PLC integration" and, in parallel, on "Validate safety functions (PL d)", on top of
his weekly robot-cell backup routine; Priya Raman updates the PFMEA alongside her layered process
audits. The usage view shows both over-allocated; levelling Line 3 shows what it would take.
Everything is created through the projects and operations services, at the time it happened:
the plan was compressed after the robot cell's late factory acceptance test, the weekly robot
backup began when the cell passed that test, the layered audits ten weeks ago (both with their
past runs), absences were booked ahead of them.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.capacity import services as capacity
from twofold.demo.backdate import at_local, earlier_today, happened, past, workday
from twofold.operations import services as operations
from twofold.operations.demo import record_past_runs
from twofold.operations.models import Evidence, Process
from twofold.projects import services as projects
from twofold.projects.models import LinkType, Project, Task

DAY = 480


def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create demo data for ``organisation``; ``people`` maps full names to users. Returns a summary."""
    actor = people.get("Dana Whitfield")
    tomasz, priya = people.get("Tomasz Nowak"), people.get("Priya Raman")
    line3 = Project.objects.filter(organisation=organisation, code="OPX-03").first()
    if actor is None or tomasz is None or priya is None or line3 is None:
        return ""
    plc = Task.objects.filter(project=line3, name="PLC integration").first()
    dry_runs = Task.objects.filter(project=line3, name="Dry runs").first()
    if plc is None or dry_runs is None:
        return ""
    org = organisation
    today = timezone.localdate()
    with happened(org, _compressed(line3)):
        _compress(actor, line3, plc, dry_runs, tomasz, priya)
    made = 0
    maintenance = Process.objects.filter(
        organisation=organisation, name="Preventive maintenance"
    ).first()
    quality = Process.objects.filter(organisation=organisation, name="Customer complaints").first()
    if maintenance is not None:
        # Weekly since the cell passed its factory acceptance test: its programs are backed up
        # and its gripper checked while it is shipped, installed and commissioned.
        accepted = _finished(
            Task.objects.filter(project=line3, name="Robot cell factory acceptance test").first()
        )
        since = (accepted or today - dt.timedelta(weeks=3)) + dt.timedelta(days=1)
        with happened(org, at_local(org, workday(since - dt.timedelta(days=2)), 11)):
            backup = operations.create_routine(
                actor=actor,
                process=maintenance,
                name="Robot cell backup and inspection",
                rrule="FREQ=WEEKLY;BYDAY=WE",
                starts_on=since,
                due_time=dt.time(15, 0),
                assignee=tomasz,
                effort_minutes=240,
                steps=[
                    operations.StepSpec("Robot and PLC programs backed up", Evidence.NONE),
                    operations.StepSpec("Backup stored (file name)", Evidence.NOTE),
                    operations.StepSpec(
                        "Gripper fingers and vacuum cups inspected", Evidence.PASS_FAIL
                    ),
                ],
            )
        record_past_runs(backup, since=since, rng=random.Random(703))
        made += 1
    if quality is not None:
        since = today - dt.timedelta(weeks=10)
        with happened(org, at_local(org, workday(since - dt.timedelta(days=3)), 14)):
            audit = operations.create_routine(
                actor=actor,
                process=quality,
                name="Layered process audit, Line 3",
                rrule="FREQ=WEEKLY;BYDAY=TU,TH",
                starts_on=since,
                due_time=dt.time(11, 0),
                assignee=priya,
                effort_minutes=180,
                steps=[
                    operations.StepSpec(
                        "Work instructions at the station are current", Evidence.PASS_FAIL
                    ),
                    operations.StepSpec(
                        "First-off check done as the control plan says", Evidence.PASS_FAIL
                    ),
                    operations.StepSpec("Findings", Evidence.NOTE),
                ],
            )
        record_past_runs(audit, since=since, rng=random.Random(803))
        made += 1
    # Tomasz's safety course comes after the cell is handed over: three weeks after Line 3's
    # planned finish, so that it never falls inside the crunch levelling is shown on (the plan
    # moves with today's date, a fixed date would sooner or later land in it).
    finishes = [f for f in Task.objects.filter(project=line3).values_list("finish", flat=True) if f]
    line3_done = max(finishes).date() if finishes else today + dt.timedelta(weeks=8)
    away = _availability(organisation, actor, people, today, line3_done + dt.timedelta(weeks=3))
    return (
        f"capacity: 2 parallel Line 3 tasks and {made} routines double-book "
        f"Tomasz Nowak and Priya Raman; 2 part-timers and {away} absences"
    )


def _finished(task: Task | None) -> dt.date | None:
    if task is None or task.finish is None:
        return None
    return task.actual_finish or task.finish.date()


def _compressed(line3: Project) -> dt.datetime:
    """When the plan was compressed: two working days after the late factory acceptance test."""
    fat = Task.objects.filter(project=line3, name="Robot cell factory acceptance test").first()
    day = _finished(fat)
    if day is None:
        return earlier_today(line3.organisation)
    for _ in range(2):
        day = workday(day + dt.timedelta(days=1), back=False)
    return past(at_local(line3.organisation, day, 10))


def _compress(
    actor: User, line3: Project, plc: Task, dry_runs: Task, tomasz: User, priya: User
) -> None:
    """Safety validation in parallel with PLC integration, the PFMEA alongside."""
    safety, _ = projects.create_task(
        actor=actor,
        project=line3,
        name="Validate safety functions (PL d)",
        after=plc,
        duration_minutes=4 * DAY,
        effort_minutes=4 * DAY,
        assignee=tomasz,
        description="Verify every safety function of the cell against ISO 13849 before dry runs.",
    )
    projects.add_link(actor=actor, project=line3, pred=plc, succ=safety, type=LinkType.SS, lag=1)
    projects.add_link(actor=actor, project=line3, pred=safety, succ=dry_runs)
    pfmea, _ = projects.create_task(
        actor=actor,
        project=line3,
        name="Update PFMEA and control plan",
        after=safety,
        duration_minutes=5 * DAY,
        effort_minutes=5 * DAY,
        assignee=priya,
        description="New failure modes from robot loading; update the Line 3 control plan.",
    )
    projects.add_link(actor=actor, project=line3, pred=plc, succ=pfmea, type=LinkType.SS)


# Part-timers (their old weekly capacity: Grace 32 h, Sofia 30 h) and who is away when, as
# (name, kind, first day and last day counted from this week's Monday, half day, note).
PATTERNS = {
    "Grace Liu": ((8, 8, 8, 8, 0, 0, 0), "Four days a week, Fridays off"),
    "Sofia Rossi": ((6, 6, 6, 6, 6, 0, 0), "Mornings and early afternoons"),
}
ABSENCES = (
    ("Elena Petrova", "sickness", 1, 1, False, ""),
    ("Hana Sato", "holiday", 4, 4, True, "Dentist in the afternoon"),
    ("Priya Raman", "holiday", 14, 18, False, "Family holiday"),
    ("Ben Carter", "holiday", 17, 18, False, "Long weekend"),
    ("Grace Liu", "holiday", 21, 24, False, ""),
    ("Marcus Obi", "holiday", 28, 32, False, "Summer holiday"),
    ("Raj Patel", "training", 22, 22, False, "Firewall vendor training"),
)
SAFETY_COURSE = ("Tomasz Nowak", "training", "ISO 13849 functional safety course")
"""Three days from the Monday of the week given to :func:`_availability` (after Line 3)."""


def _availability(
    organisation: Organisation,
    actor: User,
    people: dict[str, User],
    today: dt.date,
    course_week: dt.date,
) -> int:
    monday = today - dt.timedelta(days=today.weekday())
    org = organisation
    for name, (hours, note) in PATTERNS.items():
        if name in people:
            since = monday - dt.timedelta(weeks=26)
            with happened(org, at_local(org, since - dt.timedelta(days=10), 11)):
                capacity.set_working_pattern(
                    actor=actor,
                    organisation=organisation,
                    person=people[name],
                    hours=hours,
                    effective_from=since,
                    note=note,
                )
    made = 0
    for name, kind, first, last, half, note in ABSENCES:
        if name in people:
            start = monday + dt.timedelta(days=first)
            with happened(org, _booked(org, kind, start)):
                capacity.create_absence(
                    actor=actor,
                    organisation=organisation,
                    person=people[name],
                    kind=kind,
                    start=start,
                    end=monday + dt.timedelta(days=last),
                    half_day=half,
                    note=note,
                )
            made += 1
    name, kind, note = SAFETY_COURSE
    if name in people:
        course = course_week - dt.timedelta(days=course_week.weekday())
        with happened(org, _booked(org, kind, course)):
            capacity.create_absence(
                actor=actor,
                organisation=organisation,
                person=people[name],
                kind=kind,
                start=course,
                end=course + dt.timedelta(days=2),
                note=note,
            )
        made += 1
    return made


def _booked(organisation: Organisation, kind: str, start: dt.date) -> dt.datetime:
    """When an absence was recorded: a sick day that morning, a holiday or a course booked
    weeks ahead (never later than now)."""
    if kind == "sickness":
        return past(at_local(organisation, start, 7, 40))
    ahead = min(start - dt.timedelta(days=28), timezone.localdate() - dt.timedelta(days=3))
    return at_local(organisation, workday(ahead), 10, 15)
