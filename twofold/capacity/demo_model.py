"""The capacity model's part of the demo story (called by twofold/demo/loader.py after capacity).

Jonas Berg, shift lead on Line 2, is routine-heavy: the start-of-shift checks, the shift handover
and the daily scrap review take 2.5 h of every working day, and 30 % of his time is held as
on-call for Line 2 (a standing reservation). Line 3 asks him for a robot cell trial run and operator
training in the same week, each 3 h a day: on a free day both would fit, but his routines and
on-call leave 3.1 h, so levelling Line 3 puts the training after the trial ("waits for
Jonas Berg, busy on 'Robot cell trial run (Line 2 crew)' until …"). The maintenance team keeps 20 % for
breakdown cover; the racking changes of the proposed warehouse project take two people; the
queues have handling times, so their forecast request work shows in the capacity view.
Everything goes through the services.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from twofold.accounts.models import Organisation, Team, User
from twofold.capacity import services as capacity
from twofold.operations import services as operations
from twofold.operations.models import Process, Queue
from twofold.projects import services as projects
from twofold.projects.models import Project, Task

DAY = 480
HANDLING_MINUTES = {"IT service desk": 35, "Maintenance requests": 90}


def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create this part of the demo for ``organisation``; returns a one-line summary."""
    actor = people.get("Dana Whitfield")
    jonas = people.get("Jonas Berg")
    if actor is None or jonas is None:
        return ""
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    parts = []
    line2 = Process.objects.filter(organisation=organisation, name="Line 2 production").first()
    if line2 is not None:
        for name, minutes, at in (
            ("Shift handover, Line 2", 60, dt.time(14, 0)),
            ("Daily scrap review, Line 2", 75, dt.time(10, 0)),
        ):
            operations.create_routine(
                actor=actor,
                process=line2,
                name=name,
                rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                starts_on=monday - dt.timedelta(weeks=1),
                due_time=at,
                assignee=jonas,
                effort_minutes=minutes,
            )
        parts.append("Jonas Berg's daily Line 2 routines")
    capacity.create_reservation(
        actor=actor,
        organisation=organisation,
        person=jonas,
        label="On-call for Line 2",
        percent=30,
        start=monday - dt.timedelta(weeks=4),
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
            start=monday - dt.timedelta(weeks=4),
            end=monday + dt.timedelta(weeks=26),
        )
    parts.append("2 standing reservations")
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
    start = monday + dt.timedelta(weeks=1)
    made = []
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
            description="Jonas Berg, between his Line 2 routines and on-call.",
        )
        made.append(task)
    trial = made[0]
    trial.refresh_from_db()
    projects.update_task(actor=actor, task=trial, expected_version=trial.version, priority="high")
    return "2 Line 3 tasks for Jonas Berg in one week"


def _warehouse_pair(organisation: Organisation, actor: User, people: dict[str, User]) -> str:
    luis, kwame = people.get("Luis Ortega"), people.get("Kwame Asante")
    task = Task.objects.filter(
        organisation=organisation, project__code="OPX-08", name="Racking changes"
    ).first()
    if task is None or luis is None or kwame is None:
        return ""
    task.project = Project.objects.get(pk=task.project_id)
    capacity.set_assignments(
        actor=actor,
        task=task,
        rows=[(luis, 100, None), (kwame, 50, None)],
        expected_version=task.version,
    )
    return "the warehouse racking changes shared by Luis Ortega (100 %) and Kwame Asante (50 %)"
