"""An edit that reschedules: only changed rows are written, the stored schedule equals a full
fresh schedule, and the query count does not grow with the project (issue 16, item 6)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from twofold.projects import scheduling, services
from twofold.projects.models import Link, Project, Task

DAY = 480
# An API PATCH of a duration that reschedules, whatever the project's size: as before the
# incremental write (24 with the token check; the first-baseline lookup is now one query, the
# people-on-the-task check for the task-type rules one more).
EDIT_QUERIES = 24


def _chain(project: Project, owner: Any, n: int) -> list[Task]:
    tasks = []
    for i in range(n):
        t, _ = services.create_task(
            actor=owner, project=project, name=f"T{i}", duration_minutes=DAY
        )
        tasks.append(t)
    links = [
        Link(organisation_id=project.organisation_id, project=project, pred=a, succ=b)
        for a, b in itertools.pairwise(tasks)
    ]
    Link.objects.bulk_create(links)
    services.reschedule_project(project)
    for t in tasks:
        t.refresh_from_db()
    return tasks


def _fresh_differences(project: Project) -> int:
    """Tasks whose stored dates, float or criticality differ from a full fresh schedule."""
    tasks = list(
        Task.objects.filter(project=project).only(*scheduling.TASK_PLAN_FIELDS).order_by("position")
    )
    links = [
        scheduling.LinkRow(*r)
        for r in Link.objects.filter(project=project).values_list(*scheduling.LINK_ROW_FIELDS)
    ]
    scheduling._PLAN_CACHE.clear()
    scheduling.apply_schedule(project, tasks, links, services.tz_of(project.organisation))
    return sum(1 for t in tasks if getattr(t, "_schedule_dirty", False))


def _patch(api: Any, owner: Any, project: Project, task: Task, minutes: int) -> tuple[Any, int]:
    task.refresh_from_db()
    url = f"/api/organisations/{project.organisation_id}/projects/{project.pk}/tasks/{task.pk}"
    client = api(owner)
    with CaptureQueriesContext(connection) as ctx:
        r = client.patch(url, {"version": task.version, "duration_minutes": minutes})
    assert r.status_code == 200, r.content
    return r.json(), len(ctx.captured_queries)


def test_edit_moves_the_cone_and_keeps_the_schedule_exact(
    api: Any, owner: Any, project: Any
) -> None:
    tasks = _chain(project, owner, 12)
    # A side task off the chain: the edit cannot move it.
    side, _ = services.create_task(actor=owner, project=project, name="Side", duration_minutes=DAY)
    side.refresh_from_db()
    side_start = side.start
    body, _ = _patch(api, owner, project, tasks[5], 3 * DAY)
    assert body["rescheduled"]["moved"] == 7  # the task's finish and its six successors
    assert _fresh_differences(project) == 0
    side.refresh_from_db()
    assert side.start == side_start and side.total_float_minutes > 0  # float follows the new end
    body, _ = _patch(api, owner, project, tasks[0], 2 * DAY)
    assert body["rescheduled"]["moved"] == 12
    assert _fresh_differences(project) == 0
    last = Task.objects.get(pk=tasks[-1].pk)
    assert last.is_critical and last.total_float_minutes == 0


def test_edit_query_count_does_not_grow(api: Any, owner: Any, project: Any, org: Any) -> None:
    small = _chain(project, owner, 3)
    _, few = _patch(api, owner, project, small[0], 2 * DAY)
    other = services.create_project(
        actor=owner, organisation=org, name="Bigger", code="BIG", target_start=project.target_start
    )
    big = _chain(other, owner, 40)
    _, many = _patch(api, owner, other, big[0], 2 * DAY)
    assert few == many <= EDIT_QUERIES


def test_reschedule_runs_without_the_cyclic_collector(
    owner: Any, project: Any, monkeypatch: Any
) -> None:
    """The 2,000 rows a reschedule builds must not set off collections mid-request (a full one
    re-scanned every object of the process: the edit's p95 was ~3x its p50); the collector is
    back on afterwards, and off stays off."""
    import gc

    tasks = _chain(project, owner, 3)
    seen: list[bool] = []
    apply = scheduling.apply_schedule

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return apply(*args, **kwargs)

    monkeypatch.setattr(scheduling, "apply_schedule", spy)
    assert gc.isenabled()
    services.reschedule_project(project)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        services.update_task(
            actor=owner, task=tasks[0], expected_version=tasks[0].version, duration_minutes=2 * DAY
        )
        assert seen == [False, False] and not gc.isenabled()
    finally:
        gc.enable()


def _stamp_redraws() -> int:
    """Updates of the capacity stamp row in this transaction so far (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'capacity_datastamp'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def test_the_schedule_write_redraws_the_capacity_stamp_once(owner: Any, project: Any) -> None:
    """The moved rows are written by one statement: the capacity stamp changes, and on
    PostgreSQL its statement trigger fires once for them (``executemany`` fired it per row)."""
    from twofold.capacity import stamp

    tasks = _chain(project, owner, 6)
    before, redraws = stamp.current(), _stamp_redraws() if connection.vendor == "postgresql" else 0
    _, moved = services.update_task(
        actor=owner, task=tasks[0], expected_version=tasks[0].version, duration_minutes=2 * DAY
    )
    assert moved is not None and len(moved.moved) == 6
    assert stamp.current() != before
    if connection.vendor == "postgresql":
        # The task's own UPDATE of its duration, then one for the six moved rows.
        assert _stamp_redraws() - redraws == 2


@pytest.mark.django_db
def test_the_plan_reads_links_between_live_tasks_only(project: Any, owner: Any) -> None:
    a, b, c = (services.create_task(actor=owner, project=project, name=n)[0] for n in "ABC")
    services.add_link(actor=owner, project=project, pred=a, succ=b)
    services.add_link(actor=owner, project=project, pred=b, succ=c, lag=2)
    services.delete_task(actor=owner, task=Task.objects.get(pk=c.pk))  # to the trash
    live = set(Task.objects.filter(project=project).values_list("pk", flat=True))
    rows = scheduling.link_rows(project, live)
    assert rows == [scheduling.LinkRow(a.pk, b.pk, "FS", 0, "d")]
    # The same set as the default manager's (which joins both tasks to drop trashed ones).
    orm = Link.objects.filter(project=project).values_list(*scheduling.LINK_ROW_FIELDS)
    assert sorted(rows) == sorted(scheduling.LinkRow(*r) for r in orm)
    assert Link.all_objects.filter(project=project).count() == 2  # the trashed one is kept


@pytest.mark.django_db
def test_the_plan_rereads_links_that_changed(project: Any, owner: Any) -> None:
    """The link read keeps its last rows per project only while the links' content and the live
    tasks are the same: a changed lag, a new link and a trashed task are all seen."""
    a, b, c = (services.create_task(actor=owner, project=project, name=n)[0] for n in "ABC")
    link, _ = services.add_link(actor=owner, project=project, pred=a, succ=b)
    live = {a.pk, b.pk, c.pk}
    assert scheduling.link_rows(project, live) == [scheduling.LinkRow(a.pk, b.pk, "FS", 0, "d")]
    Link.objects.filter(pk=link.pk).update(lag=-2, lag_unit="h")
    assert scheduling.link_rows(project, live) == [scheduling.LinkRow(a.pk, b.pk, "FS", -2, "h")]
    services.add_link(actor=owner, project=project, pred=b, succ=c, type="SS")
    assert scheduling.link_rows(project, live) == [  # in id order, as Link's ordering
        scheduling.LinkRow(a.pk, b.pk, "FS", -2, "h"),
        scheduling.LinkRow(b.pk, c.pk, "SS", 0, "d"),
    ]
    assert scheduling.link_rows(project, {a.pk, b.pk}) == [
        scheduling.LinkRow(a.pk, b.pk, "FS", -2, "h")
    ]
    assert scheduling.link_rows(project, live) is not scheduling.link_rows(project, live)


@pytest.mark.django_db
def test_the_planned_curve_reads_the_first_baselines_live_leaf_rows(
    project: Any, owner: Any
) -> None:
    """The first baseline's rows of live leaf tasks with both dates weigh in the planned curve
    (a summary's and a trashed task's do not); a live leaf task without a dated row weighs with
    its scheduled dates (percent complete counts it too); with no row left, the schedule."""
    from twofold.projects.models import BaselineTask

    summary, _ = services.create_task(actor=owner, project=project, name="Phase")
    leaves = [
        services.create_task(actor=owner, project=project, name=f"L{i}", duration_minutes=DAY)[0]
        for i in range(3)
    ]
    for leaf in leaves:
        Task.objects.filter(pk=leaf.pk).update(parent=summary)
    services.reschedule_project(project)
    services.save_baseline(actor=owner, project=project, name="First")
    BaselineTask.objects.filter(task=leaves[2]).update(start=None)
    services.delete_task(actor=owner, task=Task.objects.get(pk=leaves[1].pk))
    tasks = scheduling.TaskRow.query(Task.objects.filter(project=project).order_by("position"))
    result = services.reschedule_project(project)
    starts, finishes, weights = services._planned_seconds(project, tasks, result)
    row = BaselineTask.objects.get(task=leaves[0])
    undated = Task.objects.get(pk=leaves[2].pk)
    assert undated.start is not None and undated.finish is not None
    assert starts.tolist() == [row.start.timestamp(), undated.start.timestamp()]
    assert finishes.tolist() == [row.finish.timestamp(), undated.finish.timestamp()]
    assert weights.tolist() == [float(DAY), float(DAY)]
    # Only the trashed task's row left: the schedule's dates count instead.
    BaselineTask.objects.exclude(task=leaves[1]).delete()
    tasks = scheduling.TaskRow.query(Task.objects.filter(project=project).order_by("position"))
    starts, _, weights = services._planned_seconds(project, tasks, result)
    assert len(starts) == 2 and weights.tolist() == [float(DAY), float(DAY)]


@pytest.mark.django_db
def test_the_compiled_task_rows_are_the_orms(project: Any, owner: Any) -> None:
    """``TaskRow.of_project`` (compiled SQL, the driver's values) reads what the ORM's
    ``TaskRow.query`` reads, with the same types: dates, booleans, none for no date."""
    import datetime as dt

    tasks = _chain(project, owner, 3)
    services.update_task(
        actor=owner,
        task=tasks[1],
        expected_version=tasks[1].version,
        constraint_type="snet",
        constraint_date=dt.date(2030, 1, 7),
    )
    trashed, _ = services.create_task(actor=owner, project=project, name="Gone")
    services.delete_task(actor=owner, task=Task.objects.get(pk=trashed.pk))
    orm = scheduling.TaskRow.query(Task.objects.filter(project=project).order_by("position"))
    compiled = scheduling.TaskRow.of_project(project.pk)
    assert compiled == orm and len(compiled) == 3
    for a, b in zip(compiled, orm, strict=True):
        fields = ["pk", *scheduling.TASK_ROW_FIELDS[1:], "start_s", "finish_s"]
        assert [type(getattr(a, f)) for f in fields] == [type(getattr(b, f)) for f in fields]
    assert compiled[1].constraint_date == dt.date(2030, 1, 7)


def test_utc_seconds_across_daylight_saving_changes() -> None:
    """Engine instants (local wall clock) to UTC seconds, with the per-day offsets kept between
    calls: every instant of a year of working hours in London and Sydney converts as the exact
    per-instant conversion does, called twice (the second time from the kept offsets)."""
    import datetime as dt
    import zoneinfo

    import numpy as np

    from twofold.engine.calendars import from_instant, to_instant

    first = to_instant(dt.datetime(2026, 1, 1, 8))
    local = np.array(
        [first + day * 86_400 + hour * 3600 for day in range(365) for hour in (0, 4, 9, 16, 23)]
    )
    for name in ("Europe/London", "Australia/Sydney"):
        zone = zoneinfo.ZoneInfo(name)
        exact = [int(from_instant(int(x)).replace(tzinfo=zone).timestamp()) for x in local]
        assert scheduling.utc_seconds(local, zone).tolist() == exact
        assert scheduling.utc_seconds(local, zone).tolist() == exact


@pytest.mark.django_db
def test_the_task_table_keeps_room_for_updated_rows() -> None:
    """PostgreSQL: the task table's pages keep 30 % free (fillfactor 70), so a reschedule's
    updates stay on their pages without new index entries (HOT)."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage setting")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'projects_task'")
        (options,) = cursor.fetchone()
    assert "fillfactor=70" in (options or [])
