"""The capacity data stamp: every input of the capacity model changes it, whoever writes (ORM,
bulk, raw SQL); what the model does not read leaves it; the cached grid follows it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from tests.capacity.conftest import MONDAY, WEDNESDAY, add_task
from twofold.accounts.models import Membership, Role, Team
from twofold.calendars import services as calendar_services
from twofold.calendars.models import Holiday
from twofold.calendars.working_time import STANDARD_HOURS
from twofold.capacity import selectors, stamp
from twofold.capacity.models import Absence, QueueWorkload, Reservation, WorkingPattern
from twofold.operations import services as ops
from twofold.operations.models import Occurrence, Request
from twofold.projects.models import Assignment, Task


def _hours(org: Any, person: Any, weeks: int = 1) -> list[float]:
    grid = selectors.usage(org, first=MONDAY, weeks=weeks)
    return [c.hours for c in next(r for r in grid.rows if r.user.pk == person.pk).cells]


def test_each_input_of_the_model_changes_the_stamp_and_other_fields_do_not(
    org: Any, owner: Any, priya: Any, member: Any, project: Any, routine: Any
) -> None:
    task = add_task(owner, project, "Cell layout", 5, assignee=priya)
    seen = [stamp.current()]

    def changed() -> bool:
        now = stamp.current()
        fresh = now not in seen
        seen.append(now)
        return fresh

    # What the model does not read: a card move or a rename keeps the cached grid.
    Task.objects.filter(pk=task.pk).update(status="doing", board_key="W", name="Renamed")
    assert not changed()
    # Every write path of the inputs, including those that bypass Django's signals.
    Task.objects.filter(pk=task.pk).update(effort_minutes=600)
    assert changed()
    task.duration_minutes = 960
    Task.objects.bulk_update([task], ["duration_minutes"])
    assert changed()
    with connection.cursor() as cursor:  # as the reschedule's executemany writes dates
        cursor.execute(
            f"UPDATE {Task._meta.db_table} SET start = start WHERE id = %s",  # noqa: S608
            [task.pk],
        )
    assert changed()
    Assignment.objects.create(organisation=org, task=task, person=priya, units=50)
    assert changed()
    Occurrence.objects.bulk_create(
        [
            Occurrence(
                organisation=org, routine=routine, due=dt.datetime(2025, 3, 5, 17, tzinfo=dt.UTC)
            )
        ]
    )
    assert changed()
    Occurrence.objects.filter(routine=routine).update(status="done")  # completing: not an input
    assert not changed()
    routine.effort_minutes = 90
    routine.save()
    assert changed()
    office = calendar_services.create_calendar(
        actor=owner, organisation=org, name="Office", hours=STANDARD_HOURS
    )
    assert changed()
    queue = ops.create_queue(actor=owner, organisation=org, name="Gauge requests", calendar=office)
    assert changed()
    Request.objects.create(organisation=org, queue=queue, title="Calibrate", requester=owner)
    assert changed()
    QueueWorkload.objects.create(organisation=org, queue=queue, handling_minutes=30)
    assert changed()
    WorkingPattern.objects.create(organisation=org, person=priya, effective_from=MONDAY)
    assert changed()
    Absence.objects.create(organisation=org, person=priya, start=MONDAY, end=MONDAY)
    assert changed()
    Reservation.objects.create(
        organisation=org, person=priya, label="On call", percent=30, start=MONDAY
    )
    assert changed()
    team = Team.objects.create(organisation=org, name="Gauges")
    assert changed()
    team.members.add(priya)
    assert changed()
    Holiday.objects.create(
        organisation=org, calendar=office, name="Bank holiday", start=MONDAY, end=MONDAY
    )
    assert changed()
    Membership.objects.filter(organisation=org, user=member(org, Role.MEMBER)).delete()
    assert changed()


def test_the_grid_is_kept_until_an_input_changes_then_recomputed(
    org: Any,
    owner: Any,
    priya: Any,
    project: Any,
    routine: Any,
    django_assert_max_num_queries: Any,
) -> None:
    task = add_task(owner, project, "Cell layout", 5, effort_minutes=40 * 60, assignee=priya)
    stamp.clear()
    assert _hours(org, priya) == [42.0]  # 40 h of the task + the Wednesday routine's 2 h
    # Kept: the stamp, the people (names are read fresh) and the approved timesheet hours
    # (not a capacity input, read each time), nothing of the model.
    with django_assert_max_num_queries(3):
        assert _hours(org, priya) == [42.0]
    # A write that bypasses every Django signal: the next view recomputes.
    Task.objects.filter(pk=task.pk).update(effort_minutes=20 * 60)
    assert _hours(org, priya) == [22.0]
    Occurrence.objects.bulk_create(
        [
            Occurrence(
                organisation=org,
                routine=routine,
                due=dt.datetime.combine(WEDNESDAY, dt.time(17), dt.UTC),
            )
        ]
    )
    assert _hours(org, priya) == [22.0]  # the stored occurrence replaces the projected one
    routine.effort_minutes = 240
    routine.save()
    assert _hours(org, priya) == [24.0]
    # A name is shown fresh even when the numbers come from the cache.
    priya.full_name = "Priya R."
    priya.save()
    grid = selectors.usage(org, first=MONDAY, weeks=1)
    assert "Priya R." in [r.user.full_name for r in grid.rows]


def test_a_lost_trigger_is_restored_by_the_next_migrate(org: Any, owner: Any, project: Any) -> None:
    """SQLite drops a table's triggers when a schema change rebuilds it; post_migrate puts them
    back (``install_triggers`` is what it runs)."""
    task = add_task(owner, project, "Cell layout", 5)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER capacity_stamp_projects_task_u")
        else:
            cursor.execute("DROP TRIGGER capacity_stamp_projects_task ON projects_task")
    before = stamp.current()
    Task.objects.filter(pk=task.pk).update(effort_minutes=60)
    assert stamp.current() == before
    stamp.install_triggers()
    Task.objects.filter(pk=task.pk).update(effort_minutes=120)
    assert stamp.current() != before
