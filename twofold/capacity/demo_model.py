"""The capacity model's part of the demo story (called by twofold/demo/loader.py after capacity).

Jonas Berg, shift lead on Line 2, is routine-heavy: the start-of-shift checks, the shift handover
and the daily scrap review take 2.5 h of every working day, and 30 % of his time is held as
on-call for Line 2 (a standing reservation). Line 3 asks him for a robot cell trial run and operator
training in the same week, each 3 h a day: on a free day both would fit, but his routines and
on-call leave 3.1 h, so levelling Line 3 puts the training after the trial ("waits for
Jonas Berg, busy on 'Robot cell trial run (Line 2 crew)' until …"). The maintenance team keeps 20 % for
breakdown cover; the racking changes of the proposed warehouse project take two people; the
queues have handling times, so their forecast request work shows in the capacity view.
Everything goes through the services, its history at the time it happened: Jonas's routines
run since four months (with their past runs), the reservations since four weeks. The trial run
and the training need the robot cell installed and guarded: each follows "Safety guarding
installation" (they sat before the installation they depend on, with no link to it).
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from twofold.accounts.models import Organisation, Team, User
from twofold.capacity import services as capacity
from twofold.demo.backdate import at_local, earlier_today, happened, workday
from twofold.operations import services as operations
from twofold.operations.demo import record_past_runs
from twofold.operations.models import Evidence, Process, Queue
from twofold.projects import services as projects
from twofold.projects.models import Project, Task

DAY = 480
HANDLING_MINUTES = {"IT service desk": 35, "Maintenance requests": 90}
# Jonas Berg's daily routines: (name, minutes, due time, checklist, seed of their past runs).
ROUTINES = (
    (
        "Shift handover, Line 2",
        60,
        dt.time(14, 0),
        [
            operations.StepSpec("Open orders and machine states walked through", Evidence.NONE),
            operations.StepSpec("Issues handed to the next shift", Evidence.NOTE),
        ],
        902,
    ),
    (
        "Daily scrap review, Line 2",
        75,
        dt.time(10, 0),
        [
            operations.StepSpec("Scrap parts counted", Evidence.NUMBER, 0, 40, "parts"),
            operations.StepSpec("Top defect has an owner", Evidence.PASS_FAIL),
        ],
        903,
    ),
)


def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create this part of the demo for ``organisation``; returns a one-line summary."""
    actor = people.get("Dana Whitfield")
    jonas = people.get("Jonas Berg")
    if actor is None or jonas is None:
        return ""
    org = organisation
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    parts = []
    line2 = Process.objects.filter(organisation=organisation, name="Line 2 production").first()
    if line2 is not None:
        # Since four months, as the other Line 2 routines (operations/demo.py), with their runs.
        since = today - dt.timedelta(days=120)
        for name, minutes, at, steps, seed in ROUTINES:
            with happened(org, at_local(org, workday(since - dt.timedelta(days=4)), 15)):
                routine = operations.create_routine(
                    actor=actor,
                    process=line2,
                    name=name,
                    rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                    starts_on=since,
                    due_time=at,
                    assignee=jonas,
                    effort_minutes=minutes,
                    steps=steps,
                )
            record_past_runs(routine, since=since, rng=random.Random(seed))
        parts.append("Jonas Berg's daily Line 2 routines")
    reserved = monday - dt.timedelta(weeks=4)
    with happened(org, at_local(org, workday(reserved - dt.timedelta(days=3)), 9, 40)):
        capacity.create_reservation(
            actor=actor,
            organisation=organisation,
            person=jonas,
            label="On-call for Line 2",
            percent=30,
            start=reserved,
            end=None,
        )
        maintenance = Team.objects.filter(organisation=organisation, name="Maintenance").first()
        if maintenance is not None:
            capacity.create_reservation(
                actor=actor,
                organisation=organisation,
                team=maintenance,
                label="Breakdown cover",
                percent=20,
                start=reserved,
                end=monday + dt.timedelta(weeks=26),
            )
    parts.append("2 standing reservations")
    with happened(org, at_local(org, workday(reserved - dt.timedelta(days=2)), 11)):
        for queue in Queue.objects.filter(organisation=organisation, name__in=HANDLING_MINUTES):
            queue.organisation = organisation
            capacity.set_queue_workload(
                actor=actor, queue=queue, handling_minutes=HANDLING_MINUTES[queue.name]
            )
    parts.append(f"handling times on {len(HANDLING_MINUTES)} queues")
    parts.append(_line3_for_jonas(organisation, actor, jonas, monday))
    parts.append(_warehouse_pair(organisation, actor, people))
    return "capacity model: " + ", ".join(p for p in parts if p)


def _line3_for_jonas(organisation: Organisation, actor: User, jonas: User, monday: dt.date) -> str:
    line3 = Project.objects.filter(organisation=organisation, code="OPX-03").first()
    if line3 is None:
        return ""
    # They need the cell installed and guarded: each follows the guarding installation, and
    # starts no earlier than next Monday, the week the Line 2 crew was promised.
    guarding = Task.objects.filter(project=line3, name="Safety guarding installation").first()
    if guarding is None:
        return ""
    start = monday + dt.timedelta(weeks=1)
    made: list[Task] = []
    with happened(organisation, earlier_today(organisation, 9, 15) - dt.timedelta(days=3)):
        for name, days, hours in (
            ("Robot cell trial run (Line 2 crew)", 3, 3),
            ("Robot cell operator training (Line 2 crew)", 2, 3),
        ):
            task, _ = projects.create_task(
                actor=actor,
                project=line3,
                name=name,
                duration_minutes=days * DAY,
                effort_minutes=days * hours * 60,
                assignee=jonas,
                constraint_type="snet",
                constraint_date=start,
                description=(
                    "Jonas Berg, between his Line 2 routines and on-call. Needs the robot cell "
                    "installed and its guarding in place."
                ),
            )
            projects.add_link(actor=actor, project=line3, pred=guarding, succ=task)
            made.append(task)
        trial = made[0]
        trial.refresh_from_db()
        projects.update_task(
            actor=actor, task=trial, expected_version=trial.version, priority="high"
        )
    return "2 Line 3 tasks for Jonas Berg in one week"


def _warehouse_pair(organisation: Organisation, actor: User, people: dict[str, User]) -> str:
    luis, kwame = people.get("Luis Ortega"), people.get("Kwame Asante")
    task = Task.objects.filter(
        organisation=organisation, project__code="OPX-08", name="Racking changes"
    ).first()
    if task is None or luis is None or kwame is None:
        return ""
    task.project = Project.objects.get(pk=task.project_id)
    # Shared when the warehouse project was planned (its charter).
    with happened(organisation, task.project.created_at + dt.timedelta(hours=2)):
        capacity.set_assignments(
            actor=actor,
            task=task,
            rows=[(luis, 100, None), (kwame, 50, None)],
            expected_version=task.version,
        )
    return "the warehouse racking changes shared by Luis Ortega (100 %) and Kwame Asante (50 %)"
