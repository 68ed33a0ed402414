"""Writes for projects. Each: permission on the object, one transaction, history, reschedule.

Every change that can move dates calls :func:`reschedule_project` inside the same transaction and
returns its :class:`~twofold.projects.scheduling.Schedule` so the caller can say what moved.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, models, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.core import bulk, dates, history, trash
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.policy import Action, can, require, role_in
from twofold.engine.calendars import HORIZON_END, HORIZON_START, Calendar, CalendarRangeError
from twofold.engine.ordering import key_between
from twofold.projects import board_order, scheduling
from twofold.projects.checklists import DEFAULT_GATE_ITEMS as DEFAULT_GATE_ITEMS  # re-export
from twofold.projects.checklists import gate_checklists
from twofold.projects.models import (
    CURRENT_FIRST,
    MINUTES_PER_DAY,
    PHASE_ORDER,
    Assignment,
    Baseline,
    BaselineTask,
    CheckItem,
    ChecklistItem,
    Constraint,
    Gate,
    GateItem,
    LagUnit,
    Link,
    LinkType,
    Phase,
    Priority,
    ProgressRule,
    ProgressSnapshot,
    Project,
    Task,
    TaskStatus,
)
from twofold.projects.progress import (
    planned_curve,
    planned_curve_seconds,
    planned_percent_seconds,
)
from twofold.projects.scheduling import Schedule, progress_weight

PROJECT_FIELDS = [
    "name",
    "code",
    "programme",
    "manager",
    "sponsor",
    "objectives",
    "success_criteria",
    "scope",
    "exclusions",
    "assumptions",
    "constraints",
    "target_start",
    "target_finish",
    "budget_ceiling",
    "status_date",
    "calendar",
    "progress_rule",
    "reschedule_after_status",
]
TASK_FIELDS = [
    "name",
    "description",
    "duration_minutes",
    "effort_minutes",
    "is_milestone",
    "constraint_type",
    "constraint_date",
    "assignee",
    "status",
    "priority",
    "percent_complete",
    "actual_start",
    "actual_finish",
]
# What the engine reads. The status alone does not move dates: when it changes progress,
# ``_follow_progress`` also sets the percent or the actual dates, which are here.
SCHEDULE_FIELDS = {
    "duration_minutes",
    "is_milestone",
    "constraint_type",
    "constraint_date",
    "percent_complete",
    "actual_start",
    "actual_finish",
}
MAX_BASELINES = 11
# The engine's calendars cover these days: a date outside could not be scheduled.
FIRST_DAY = HORIZON_START
LAST_DAY = HORIZON_END - dt.timedelta(days=1)
DATE_MESSAGE = (
    f"Choose a date between {dates.format_day(FIRST_DAY)} and {dates.format_day(LAST_DAY)}."
)
PROJECT_DATES = ("target_start", "target_finish", "status_date")
TASK_DATES = ("constraint_date", "actual_start", "actual_finish")
# Fields that may be set to None (cleared); every other field needs a value.
PROJECT_NULLABLE = {
    "programme",
    "manager",
    "sponsor",
    "target_finish",
    "budget_ceiling",
    "status_date",
    "calendar",
}
TASK_NULLABLE = {"constraint_date", "assignee", "actual_start", "actual_finish"}


def tz_of(organisation: Organisation) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(organisation.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _member_of(
    organisation_id: int, user: User | None, field: str, *, no_guests: bool = False
) -> None:
    if user is None:
        return
    role = (
        Membership.objects.filter(organisation_id=organisation_id, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise Invalid("Choose a member of the organisation.", field=field)
    if no_guests and role == Role.GUEST:
        raise Invalid(
            f"A guest cannot be the {field}; choose a member, admin or owner.", field=field
        )


def _no_nulls(values: dict[str, Any], nullable: set[str]) -> None:
    """A service never stores ``None`` (or ``"None"``) in a field that needs a value."""
    for name, value in values.items():
        if value is None and name not in nullable:
            raise Invalid(f"Give a value for {name}.", field=name)


def _check_length(value: str, model: type[models.Model], name: str) -> None:
    """A text longer than its column is refused with the limit (never cut, never a 500)."""
    limit = getattr(model._meta.get_field(name), "max_length", None)
    if limit is not None and len(value) > limit:
        what = "A name" if name == "name" else f"The {name}"
        raise Invalid(
            f"{what} can be at most {limit} characters; this one has {len(value):,}.", field=name
        )


def _check_dates(values: dict[str, Any], names: tuple[str, ...]) -> None:
    """Dates must fall inside the calendars' range, or the engine could not schedule them."""
    for name in names:
        day = values.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise Invalid(DATE_MESSAGE, field=name)


# ---------------------------------------------------------------------------------------------
# Scheduling


@bulk.gc_paused()
def reschedule_project(project: Project, *, field: str | None = None) -> Schedule:
    """Schedule every task of ``project`` through the engine and write moved dates in bulk.

    Raises:
        Invalid: when the links form a cycle (the message names the tasks), or when the plan
            would run outside the calendars' range (``field`` names the change that did it).
    """
    tasks = scheduling.TaskRow.of_project(project.pk)
    links = scheduling.link_rows(project, {t.pk for t in tasks})
    tzinfo = tz_of(project.organisation)
    parents = {t.parent_id for t in tasks if t.parent_id}
    try:
        result = scheduling.apply_schedule(project, tasks, links, tzinfo)
    except scheduling.CycleError as exc:
        # Name the tasks as people know them (the engine's message carries internal ids).
        names = {t.pk: t.name for t in tasks}
        # A link between a summary and a task under it (a restore from the trash put one back
        # under a summary it is linked to) reads as a cycle to the engine: say why, on the
        # outline (indent and outdent refuse these before they move anything).
        under = _linked_within_outline({t.pk: t.parent_id for t in tasks}, links)
        if under is not None:
            summary, subtask = under
            raise Invalid(
                _SUMMARY_OVER_LINKED.format(summary=names[summary], subtask=names[subtask]),
                field="parent",
            ) from exc
        loop = [names.get(uid, "a task") for uid in exc.uids]
        path = " → ".join([*loop, loop[0]]) if loop else ""
        raise Invalid(f"That link would create a dependency cycle: {path}.", field="pred") from exc
    except (CalendarRangeError, IndexError, OverflowError) as exc:
        # The engine's calendar tables cover FIRST_DAY to LAST_DAY: a plan leaving them cannot
        # be dated. A lead (or a date) can pull it before the first day as well as past the last.
        if "before the first" in str(exc):
            raise Invalid(
                f"The schedule would start before {dates.format_day(FIRST_DAY)}, the first day "
                "the calendar covers.",
                field=field,
            ) from exc
        raise Invalid(
            f"The schedule would run past {dates.format_day(LAST_DAY)}, the last day the calendar covers.",
            field=field,
        ) from exc
    dirty = [
        t
        for t in tasks
        if getattr(t, "_schedule_dirty", False) or t.is_summary != (t.pk in parents)
    ]
    for t in dirty:
        t.is_summary = t.pk in parents
    if dirty:
        _write_schedule(dirty, project_id=project.pk)
    project.scheduled_start = result.start_after
    project.scheduled_finish = result.finish_after
    project.percent_complete = scheduling.percent_complete(tasks)  # type: ignore[arg-type]
    rows = _planned_seconds(project, tasks, result)
    project.planned_curve = planned_curve_seconds(*rows)
    Project.objects.filter(pk=project.pk).update(
        scheduled_start=project.scheduled_start,
        scheduled_finish=project.scheduled_finish,
        percent_complete=project.percent_complete,
        planned_curve=project.planned_curve,
        plan_stamp=F("plan_stamp") + 1,
    )
    _snapshot_today(project, rows)
    return result


def _write_schedule(tasks: list[scheduling.TaskRow], *, project_id: int) -> None:
    """Write the scheduler's fields of ``tasks`` (rows of the project ``project_id``) in one
    query (bulk_update's CASE expressions cost ~1 ms a row on 1,000 rows).

    SQLite: one ``UPDATE … WHERE id = %s`` run with ``executemany``. PostgreSQL: one
    ``UPDATE … FROM unnest(<one array per column>)`` statement. ``executemany`` runs a
    statement per row there, and each fired the capacity stamp's statement-level trigger: an
    edit of the large demo re-drew the stamp row ~1,500 times in its transaction (and wrote
    ~500 ms instead of ~150 ms); now it fires once (SQLite's triggers are per row either way).

    The same statement stamps ``rescheduled_at`` with one shared time, so an API client syncing
    with ``updated_since`` sees the tasks whose dates moved (no extra query, nothing per task)."""
    if not tasks:
        return
    stamp = Task._meta.get_field("rescheduled_at").get_db_prep_save(timezone.now(), connection)
    if connection.vendor == "postgresql":
        _write_schedule_postgresql(tasks, project_id, stamp)
        return
    sql = (
        "UPDATE projects_task SET start = %s, finish = %s, total_float_minutes = %s, "
        "is_critical = %s, is_summary = %s, rescheduled_at = %s WHERE id = %s"
    )
    # Dates as UTC seconds, formatted in one vectorised step as SQLite stores them (naive UTC
    # text).
    texts = np.datetime_as_string(
        np.array([(t.start_s, t.finish_s) for t in tasks], dtype="datetime64[s]"), unit="s"
    ).tolist()
    params = [
        [
            s.replace("T", " "),
            f.replace("T", " "),
            t.total_float_minutes,
            bool(t.is_critical),
            bool(t.is_summary),
            stamp,
            t.pk,
        ]
        for t, (s, f) in zip(tasks, texts, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _int_array(values: Any) -> str:
    """A PostgreSQL array literal of whole numbers (``{1,2,3}``)."""
    return "{" + ",".join(map(str, values)) + "}"


def _write_schedule_postgresql(
    tasks: list[scheduling.TaskRow], project_id: int, stamp: Any
) -> None:
    """PostgreSQL's ``_write_schedule``: one ``UPDATE … FROM unnest(…)``.

    Each column goes as one array literal (``{1,2,3}``, cast in SQL) and the dates as UTC
    seconds (``to_timestamp``, exact for whole seconds): psycopg dumps a Python list element by
    element (a regular expression per string), ~4 ms per 1,500-date column; a literal is one
    string to send and parse. ``t.project_id`` narrows the join to the project's tasks: matched
    on the id alone, the planner hashed all the tasks of the database (60,000 on the large
    demo: 17-25 ms of a 28-35 ms write) instead of reading the project's 2,000 through its
    index (~2 ms)."""
    sql = (
        "UPDATE projects_task AS t SET start = to_timestamp(v.c0), finish = to_timestamp(v.c1), "
        "total_float_minutes = v.c2, is_critical = v.c3, is_summary = v.c4, rescheduled_at = %s "
        "FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::boolean[], %s::boolean[], "
        "%s::bigint[]) AS v(c0, c1, c2, c3, c4, c5) WHERE t.id = v.c5 AND t.project_id = %s"
    )
    params = [
        stamp,
        _int_array(t.start_s for t in tasks),
        _int_array(t.finish_s for t in tasks),
        _int_array(t.total_float_minutes for t in tasks),
        "{" + ",".join("t" if t.is_critical else "f" for t in tasks) + "}",
        "{" + ",".join("t" if t.is_summary else "f" for t in tasks) + "}",
        _int_array(t.pk for t in tasks),
        project_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _planned_rows(project: Project, tasks: list[Task]) -> list[tuple[Any, Any, float]]:
    """(start, finish, weight) of the leaf tasks: from the current baseline, else the schedule."""
    baseline = project.baselines.order_by(*CURRENT_FIRST).first()
    leaf = {t.pk: t for t in tasks if not t.is_summary}
    if baseline is not None:
        return [
            (start, finish, progress_weight(leaf[task_id].is_milestone, minutes))
            for task_id, start, finish, minutes in baseline.tasks.values_list(
                "task_id", "start", "finish", "duration_minutes"
            )
            if task_id in leaf
        ]
    return [
        (t.start, t.finish, progress_weight(t.is_milestone, t.duration_minutes))
        for t in leaf.values()
    ]


def refresh_planned_curve(project: Project) -> None:
    """Recompute the stored percent-planned curve (after a baseline is saved)."""
    tasks = list(
        Task.objects.filter(project=project).only(
            "pk", "start", "finish", "duration_minutes", "is_summary", "is_milestone"
        )
    )
    project.planned_curve = planned_curve(_planned_rows(project, tasks))
    Project.objects.filter(pk=project.pk).update(planned_curve=project.planned_curve)


# A NULL date of a baseline row in ``_current_baseline_rows``' text (no task is dated near year
# -1200: the calendars cover a few centuries around today).
_NO_SECONDS = -99_999_999_999


def _current_baseline_rows(project_id: int) -> Any:
    """(task id, start, finish, duration minutes) of every row of the project's current baseline,
    as an ``(n, 4)`` integer array with the dates in UTC seconds (``_NO_SECONDS`` for none).

    Read as one text (``task,start,finish,minutes,…``) parsed by numpy: the 2,000 rows of the
    large demo as 8,000 values cost ~10 ms to fetch and gather into arrays, the text ~2 ms."""
    if connection.vendor == "sqlite":
        epoch = "CAST(ROUND((julianday({}) - 2440587.5) * 86400.0) AS INTEGER)"
        aggregate = "group_concat({}, ',')"
    else:
        epoch = "CAST(EXTRACT(EPOCH FROM {}) AS BIGINT)"
        aggregate = "string_agg({}, ',')"
    values = " || ',' || ".join(
        [
            "CAST(bt.task_id AS TEXT)",
            *(
                f"CAST(COALESCE({epoch.format(f'bt.{c}')}, {_NO_SECONDS}) AS TEXT)"
                for c in ("start", "finish")
            ),
            "CAST(bt.duration_minutes AS TEXT)",
        ]
    )
    sql = (
        f"SELECT {aggregate.format(values)} FROM projects_baselinetask bt "  # noqa: S608
        "WHERE bt.baseline_id = (SELECT b.id FROM projects_baseline b WHERE b.project_id = %s "
        "ORDER BY b.created_at DESC, b.number DESC LIMIT 1)"  # CURRENT_FIRST
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [project_id])
        row = cursor.fetchone()
    text = row[0] if row else None
    if not text:
        return np.zeros((0, 4), dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",").reshape(-1, 4)


def _planned_seconds(
    project: Project, tasks: list[scheduling.TaskRow], result: Schedule
) -> tuple[Any, Any, Any]:
    """(starts, finishes, weights) of the leaf tasks as arrays of UTC seconds: from the current
    baseline, else the new schedule (read without building a date-time per row). Leaf tasks
    the baseline does not hold (added since, or the subtasks of a task that became a summary)
    come from the new schedule: percent complete weighs every leaf task, so percent planned
    must too (a task added after the baseline read as "50 points behind plan")."""
    leaf = np.fromiter((not t.is_summary for t in tasks), bool, len(tasks))
    # The current baseline's rows in one query (none: no baseline, or one saved before any task).
    saved = _current_baseline_rows(project.pk)
    ids = np.fromiter((t.pk for t in tasks), np.int64, len(tasks))
    # Rows of live tasks only (``BaselineTask.objects`` hides those of trashed tasks).
    saved = saved[np.isin(saved[:, 0], ids)]
    if len(saved):
        keep = (
            np.isin(saved[:, 0], ids[leaf])
            & (saved[:, 1] != _NO_SECONDS)
            & (saved[:, 2] != _NO_SECONDS)
        )
        rows = saved[keep]
        minutes = rows[:, 3].astype(float)
        starts = rows[:, 1].astype(float)
        finishes = rows[:, 2].astype(float)
        # A task that is a milestone now weighs an hour, whatever its baseline row holds.
        milestones = ids[np.fromiter((t.is_milestone for t in tasks), bool, len(tasks))]
        weights = np.where((minutes == 0) | np.isin(rows[:, 0], milestones), 60.0, minutes)
        added = leaf & ~np.isin(ids, rows[:, 0])
        if result.start_utc is None or not added.any():
            return starts, finishes, weights
        current = _current_seconds(tasks, result, added)
        return (
            np.concatenate([starts, current[0]]),
            np.concatenate([finishes, current[1]]),
            np.concatenate([weights, current[2]]),
        )
    if result.start_utc is None or not len(tasks):
        empty = np.zeros(0)
        return empty, empty, empty
    return _current_seconds(tasks, result, leaf)


def _current_seconds(
    tasks: list[scheduling.TaskRow], result: Schedule, chosen: Any
) -> tuple[Any, Any, Any]:
    """(starts, finishes, weights) of the ``chosen`` tasks (a mask) in the new schedule."""
    weights = np.fromiter(
        (progress_weight(t.is_milestone, t.duration_minutes) for t in tasks), float, len(tasks)
    )
    return (
        np.asarray(result.start_utc, dtype=float)[chosen],
        np.asarray(result.finish_utc, dtype=float)[chosen],
        weights[chosen],
    )


def _snapshot_today(project: Project, rows: tuple[Any, Any, Any]) -> None:
    planned = planned_percent_seconds(*rows, timezone.now())
    ProgressSnapshot.objects.update_or_create(
        project=project,
        date=timezone.localdate(),
        defaults={
            "organisation_id": project.organisation_id,
            "percent_complete": project.percent_complete,
            "percent_planned": planned,
        },
    )


# ---------------------------------------------------------------------------------------------
# Programmes and projects


def _check_project_values(
    organisation: Organisation, values: dict[str, Any], project: Project | None
) -> None:
    unknown = set(values) - set(PROJECT_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    _no_nulls(values, PROJECT_NULLABLE)
    if "progress_rule" in values and values["progress_rule"] not in ProgressRule.values:
        raise Invalid("Choose override or retained.", field="progress_rule")
    if "reschedule_after_status" in values:
        values["reschedule_after_status"] = bool(values["reschedule_after_status"])
    status_date = values.get("status_date", project.status_date if project else None)
    moving = values.get(
        "reschedule_after_status", project.reschedule_after_status if project else False
    )
    if moving and status_date is None:
        raise Invalid(
            "Set a status date: unfinished work is scheduled after it.", field="status_date"
        )
    for name in ("name", "code"):
        if name in values:
            values[name] = str(values[name]).strip()
            if not values[name]:
                raise Invalid(f"A project needs a {name}.", field=name)
            _check_length(values[name], Project, name)
    _check_dates(values, PROJECT_DATES)
    if "code" in values:
        # A project in the trash keeps its code until it is purged (so it can come back).
        clash = Project.all_objects.filter(organisation=organisation, code__iexact=values["code"])
        if project is not None:
            clash = clash.exclude(pk=project.pk)
        taken = list(clash.values_list("deleted_at", flat=True)[:1])
        if taken:
            where = " by a project in the trash" if taken[0] is not None else ""
            raise Invalid(f"The code {values['code']} is already used{where}.", field="code")
    programme = values.get("programme")
    if programme is not None and programme.organisation_id != organisation.pk:
        raise Invalid("Choose a programme of this organisation.", field="programme")
    calendar = values.get("calendar")
    if calendar is not None and calendar.organisation_id != organisation.pk:
        raise Invalid("Choose a calendar of this organisation.", field="calendar")
    if (
        programme is not None
        and programme.archived_at is not None
        and (project is None or project.programme_id != programme.pk)
    ):
        raise Invalid(
            f"The programme {programme.name} is archived; unarchive it first.", field="programme"
        )
    for name in ("manager", "sponsor"):
        _member_of(organisation.pk, values.get(name), name, no_guests=True)
    start = values.get("target_start", project.target_start if project else None)
    finish = values.get("target_finish", project.target_finish if project else None)
    if start and finish and finish < start:
        raise Invalid(
            "The target finish must be on or after the target start.", field="target_finish"
        )
    budget = values.get("budget_ceiling")
    if budget is not None and budget < 0:
        raise Invalid("The budget ceiling cannot be negative.", field="budget_ceiling")


@transaction.atomic
def create_project(
    *,
    actor: User,
    organisation: Organisation,
    gate_items: dict[str, list[str]] | None = None,
    **values: Any,
) -> Project:
    """A new project whose gates ask for ``gate_items`` (a template's), else the organisation's
    gate checklists (Settings → Checklists)."""
    require(actor, Action.MANAGE, organisation)
    values.setdefault("target_start", timezone.localdate())
    _check_project_values(organisation, values, None)
    project = Project.objects.create(organisation=organisation, **values)
    checklists = gate_checklists(organisation)
    if gate_items is not None:
        checklists.update({k: v for k, v in gate_items.items() if k in checklists})
    for phase, items in checklists.items():
        gate = Gate.objects.create(organisation=organisation, project=project, phase=phase)
        GateItem.objects.bulk_create(
            [GateItem(organisation=organisation, gate=gate, text=text) for text in items]
        )
    history.record(actor=actor, obj=project, action="created", summary=f"Created {project}")
    return project


@transaction.atomic
def update_project(
    *, actor: User, project: Project, expected_version: int | None, **values: Any
) -> tuple[Project, Schedule | None]:
    require(actor, Action.MANAGE, project)
    _check_project_values(project.organisation, values, project)
    before = history.snapshot(project, values)
    for key, value in values.items():
        setattr(project, key, value)
    save_versioned(project, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(project, values))
    if changes:
        history.record(actor=actor, obj=project, action="updated", changes=changes)
    moved = None
    if {"target_start", "calendar", "progress_rule", "reschedule_after_status"} & set(changes) or (
        "status_date" in changes and project.reschedule_after_status
    ):
        # A new calendar moves tasks onto its working time (holidays skipped).
        culprit = next((f for f in ("target_start", "status_date") if f in changes), "calendar")
        moved = reschedule_project(project, field=culprit)
    return project, moved


# ---------------------------------------------------------------------------------------------
# Tasks


def _clean_task_values(project: Project, values: dict[str, Any]) -> None:
    unknown = set(values) - set(TASK_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    _no_nulls(values, TASK_NULLABLE)
    _check_dates(values, TASK_DATES)
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise Invalid("A task needs a name.", field="name")
        _check_length(values["name"], Task, "name")
    if "duration_minutes" in values:
        minutes = values["duration_minutes"]
        if minutes is None or minutes < 0 or minutes > 2000 * MINUTES_PER_DAY:
            raise Invalid("The duration must be between 0 and 2000 days.", field="duration")
    if "percent_complete" in values and not 0 <= int(values["percent_complete"]) <= 100:
        raise Invalid("Percent complete is between 0 and 100.", field="percent_complete")
    if "status" in values and values["status"] not in TaskStatus.values:
        raise Invalid(f"Unknown status {values['status']!r}.", field="status")
    if "priority" in values and values["priority"] not in Priority.values:
        raise Invalid(f"Unknown priority {values['priority']!r}.", field="priority")
    if "constraint_type" in values:
        if values["constraint_type"] not in Constraint.values:
            raise Invalid("Unknown constraint.", field="constraint_type")
        if values["constraint_type"] != Constraint.ASAP and not values.get("constraint_date"):
            raise Invalid("This constraint needs a date.", field="constraint_date")
    if "assignee" in values:
        _member_of(project.organisation_id, values["assignee"], "assignee")


def _follow_progress(task: Task, values: dict[str, Any]) -> None:
    """Keep status, percent and actual dates consistent (done ⇔ 100 %)."""
    today = timezone.localdate()
    if values.get("status") == TaskStatus.DONE and "percent_complete" not in values:
        values["percent_complete"] = 100
    elif "percent_complete" in values and "status" not in values:
        pct = int(values["percent_complete"])
        if pct >= 100:
            values["status"] = TaskStatus.DONE
        elif (pct > 0 and task.status == TaskStatus.TODO) or task.status == TaskStatus.DONE:
            values["status"] = TaskStatus.DOING
    status = values.get("status", task.status)
    pct = int(values.get("percent_complete", task.percent_complete))
    if status == TaskStatus.DONE and pct < 100:
        values["percent_complete"] = pct = 100
    if status != TaskStatus.DONE and pct >= 100:
        values["percent_complete"] = pct = 90
    if status == TaskStatus.DONE and not (values.get("actual_finish") or task.actual_finish):
        _complete_keeping_duration(task, values, today)
    if (status != TaskStatus.TODO or pct > 0) and not (
        values.get("actual_start") or task.actual_start
    ):
        values["actual_start"] = min(today, _local_day(task.start)) if task.start else today
    if status != TaskStatus.DONE and task.actual_finish and "actual_finish" not in values:
        values["actual_finish"] = None


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _working_days_from(first: dt.date, days: int, cal: Calendar) -> dt.date:
    """The working day of ``cal`` on which ``days`` working days that begin on ``first`` (or
    the next working day) end."""
    day = first
    while not scheduling.working_day(day, cal):
        day += dt.timedelta(days=1)
    left = days - 1
    while left > 0:
        day += dt.timedelta(days=1)
        if scheduling.working_day(day, cal):
            left -= 1
    return day


def _working_days_until(last: dt.date, days: int, cal: Calendar) -> dt.date:
    """The working day of ``cal`` on which ``days`` working days that end on ``last`` (or the
    previous working day) begin."""
    day = last
    while not scheduling.working_day(day, cal):
        day -= dt.timedelta(days=1)
    left = days - 1
    while left > 0:
        day -= dt.timedelta(days=1)
        if scheduling.working_day(day, cal):
            left -= 1
    return day


def _complete_keeping_duration(task: Task, values: dict[str, Any], today: dt.date) -> None:
    """Actual dates for a task marked done without an actual finish: the task keeps its actual
    start (else its scheduled start) and its duration, so a 3-day task stays 3 days long.

    A task scheduled to start after today, with no actual start, was done ahead of plan: its
    dates move back so that it ends today, still as long (like MS Project's "100 % complete",
    a task that started as planned keeps its scheduled finish).
    """
    days = 0 if task.is_milestone else max(1, -(-task.duration_minutes // MINUTES_PER_DAY))
    cal = scheduling.project_calendar(task.project)  # the project's working days, holidays too
    recorded = values.get("actual_start") or task.actual_start
    start = recorded or (_local_day(task.start) if task.start else today)
    if recorded is None and start > today:
        finish = today if days == 0 else _working_days_until(today, 1, cal)
        start = finish if days == 0 else _working_days_until(finish, days, cal)
    else:
        finish = start if days == 0 else _working_days_from(start, days, cal)
    values["actual_start"] = start
    values["actual_finish"] = finish


def _subtree_last_position(task: Task) -> str:
    """The largest position in the subtree of ``task`` (positions are global in the project)."""
    last = task.position
    frontier = [task.pk]
    while frontier:
        rows = list(Task.objects.filter(parent_id__in=frontier).values_list("pk", "position"))
        frontier = [pk for pk, _ in rows]
        last = max([last, *(p for _, p in rows)])
    return last


def _position_after(project: Project, anchor: str | None) -> str:
    nxt = (
        Task.objects.filter(project=project, position__gt=anchor)
        .order_by("position")
        .values_list("position", flat=True)
        .first()
        if anchor
        else Task.objects.filter(project=project)
        .order_by("position")
        .values_list("position", flat=True)
        .first()
    )
    if anchor is None:
        last = Task.objects.filter(project=project).aggregate(m=Max("position"))["m"]
        return key_between(last, None)
    return key_between(anchor, nxt)


@transaction.atomic
def create_task(
    *,
    actor: User,
    project: Project,
    name: str,
    parent: Task | None = None,
    after: Task | None = None,
    **values: Any,
) -> tuple[Task, Schedule]:
    """Add a task at the end of ``parent``'s children (or right after ``after``)."""
    require(actor, Action.EDIT, project)
    values["name"] = name
    values.setdefault("duration_minutes", 0 if values.get("is_milestone") else MINUTES_PER_DAY)
    _clean_task_values(project, values)
    if parent is not None and parent.project_id != project.pk:
        raise Invalid("The parent must be a task of this project.", field="parent")
    if parent is not None and parent.is_milestone:
        raise Invalid("A milestone cannot have subtasks.", field="parent")
    if after is not None:
        if after.project_id != project.pk:
            raise Invalid("Choose a task of this project.", field="after")
        parent = after.parent
        anchor: str | None = _subtree_last_position(after)
    elif parent is not None:
        anchor = _subtree_last_position(parent)
    else:
        anchor = None
    position = _position_after(project, anchor)
    status = values.get("status", TaskStatus.TODO)
    board_order.lock_board(project)
    task = Task(
        organisation_id=project.organisation_id,
        project=project,
        parent=parent,
        position=position,
        board_key=board_order.place_card(project, status),
    )
    _follow_progress(task, values)
    for key, value in values.items():
        setattr(task, key, value)
    task.save()
    history.record(
        actor=actor, obj=task, action="created", summary=f"Added {task.name} to {project.code}"
    )
    return task, reschedule_project(project, field="duration_minutes")


def milestone_after(task: Task, duration_minutes: int) -> bool:
    """Whether ``task`` is a milestone once its duration is set to ``duration_minutes``, on the
    task pages and in the API alike: a duration of 0 makes one, any other clears the flag (a
    milestone kept its flag with a longer duration, and the scheduler gave it no length). A
    summary stays as it is: its dates follow its subtasks."""
    if task.is_summary:
        return task.is_milestone
    return duration_minutes == 0


@transaction.atomic
def update_task(
    *, actor: User, task: Task, expected_version: int | None, **values: Any
) -> tuple[Task, Schedule | None]:
    require(actor, Action.EDIT, task)
    return _update_task(actor=actor, task=task, expected_version=expected_version, values=values)


def _update_task(
    *,
    actor: User,
    task: Task,
    expected_version: int | None,
    values: dict[str, Any],
    unrecorded: dict[str, Any] | None = None,
) -> tuple[Task, Schedule | None]:
    """``update_task`` after its permission check, inside the caller's transaction.

    ``unrecorded`` fields are written by the same versioned UPDATE but kept out of the history
    (the card move's board key). On a stale version nothing is written, ``task`` keeps the
    values it had and ``Conflict`` is raised."""
    project = task.project
    _clean_task_values(project, values)
    if task.is_summary and values.get("constraint_type", Constraint.ASAP) != Constraint.ASAP:
        # The scheduler rolls a summary up from its subtasks and would ignore it (it was kept
        # and did nothing).
        raise Invalid(
            f"{task.name} is a summary: its dates follow its subtasks, so put the constraint "
            "on them.",
            field="constraint_type",
        )
    if values.get("constraint_type") == Constraint.ASAP:
        values["constraint_date"] = None
    if "status" in values or "percent_complete" in values:
        _follow_progress(task, values)
    from twofold.projects import resourcing

    # A new assignee takes the first person's place among the task's people.
    people_changes = resourcing.follow_assignee(task, values)
    if "duration_minutes" in values or "effort_minutes" in values:
        # A task with people: work, units or duration follow by its task type.
        people_changes = {**people_changes, **resourcing.follow_edit(task, values)}
    extra = unrecorded or {}
    before = history.snapshot(task, values)
    for key, value in (*values.items(), *extra.items()):
        setattr(task, key, value)
    # On a conflict the task takes its stored values again (save_versioned).
    save_versioned(task, expected_version=expected_version, fields=[*values, *extra])
    changes = history.diff(before, history.snapshot(task, values))
    if changes or people_changes:
        history.record(
            actor=actor, obj=task, action="updated", changes={**changes, **people_changes}
        )
    scheduled = sorted(SCHEDULE_FIELDS & set(changes))
    moved = (
        reschedule_project(
            project, field="constraint_date" if "constraint_date" in scheduled else scheduled[0]
        )
        if scheduled
        else None
    )
    if moved is not None:
        task.refresh_from_db()
    return task, moved


@transaction.atomic
def resize_task(
    *,
    actor: User,
    task: Task,
    expected_version: int | None,
    days: int | None = None,
    finish: dt.date | None = None,
) -> tuple[Task, Schedule | None]:
    """A Gantt bar's right edge dragged: a new duration in whole working days.

    Give ``days`` (the new duration) or ``finish`` (the working day the bar should now end on;
    the duration counts the working days from the task's start date to it, both included).
    Milestones and summaries have no duration of their own to drag.
    """
    require(actor, Action.EDIT, task)
    if task.is_milestone:
        raise Invalid(f"{task.name} is a milestone: it has no duration to drag.", field="duration")
    if task.is_summary:
        raise Invalid(f"{task.name} is a summary: its dates follow its subtasks.", field="duration")
    if finish is not None:
        _check_dates({"finish": finish}, ("finish",))
        if task.start is None:
            raise Invalid(f"{task.name} has no start date yet.", field="finish")
        start = timezone.localtime(task.start, tz_of(task.project.organisation)).date()
        if finish < start:
            raise Invalid(
                f"{task.name} starts on {dates.format_day_short(start)}: it cannot finish before.",
                field="finish",
            )
        span = (finish - start).days + 1
        if span > 4 * 2000:
            raise Invalid("The duration must be between 0 and 2000 days.", field="duration")
        cal = scheduling.project_calendar(task.project)
        days = sum(
            1 for i in range(span) if scheduling.working_day(start + dt.timedelta(days=i), cal)
        )
    if days is None:
        raise Invalid("Send the new duration in days or the finish date.", field="duration")
    if days < 1:
        raise Invalid(
            "A bar is at least one working day long; make it a milestone in the task table.",
            field="duration",
        )
    return update_task(
        actor=actor,
        task=task,
        expected_version=expected_version,
        duration_minutes=days * MINUTES_PER_DAY,
    )


@transaction.atomic
def delete_task(
    *,
    actor: User,
    task: Task,
    expected_version: int | None = None,
    expected_impact: str | None = None,
) -> Schedule:
    """Move ``task`` with its subtasks to the trash (links, comments, checklists and attachments
    hide with them); an admin can restore it within the retention (``core.trash``).

    ``expected_version``: the task's version as read; ``expected_impact``: what the
    confirmation said the delete takes with it (``DeletionImpact.signature``: subtasks, links,
    comments, attachments, none of which change the task's version). Either stale: 409, and
    nothing is deleted (someone's subtasks or comments added since went to the trash unseen).
    """
    from twofold.projects.selectors import deletion_impact

    project = task.project
    if expected_impact is not None:
        Task.objects.select_for_update().filter(pk=task.pk).first()
        now = deletion_impact(task)
        if now.signature != expected_impact:
            raise Conflict(
                f"“{task.name}” changed since you opened this: deleting it now takes "
                + (", ".join(now.items) or "nothing else")
                + " with it. Look again before deleting."
            )
    trash.move_to_trash(actor=actor, obj=task, expected_version=expected_version)
    return reschedule_project(project)


_SUMMARY_OVER_LINKED = (
    "{summary} is linked to {subtask}, which would become its subtask: a summary cannot depend "
    "on its own subtasks. Remove the link first."
)


def _linked_within_outline(
    parents: dict[int, int | None], links: Iterable[Any]
) -> tuple[int, int] | None:
    """(summary, subtask) of the first link in ``links`` (with ``pred_id``/``succ_id``) that
    joins a task and a summary above it in the outline ``parents`` (task id → parent id)."""
    for link in links:
        for low, high in ((link.pred_id, link.succ_id), (link.succ_id, link.pred_id)):
            above, seen = parents.get(low), set()
            while above is not None and above not in seen:
                if above == high:
                    return high, low
                seen.add(above)
                above = parents.get(above)
    return None


def _refuse_summary_over_linked(summary: Task, newcomers: list[Task]) -> None:
    """``newcomers`` (with their subtasks) are about to go under ``summary``: refuse, naming
    ``parent``, when ``summary`` is linked to any of them (the scheduler read the summary and
    its subtask as a cycle: "That link would create a dependency cycle", naming ``pred``)."""
    if not newcomers:
        return
    parents = dict(
        Task.objects.filter(project_id=summary.project_id).values_list("pk", "parent_id")
    )
    children: dict[int, list[int]] = {}
    for pk, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(pk)
    moving, stack = set(), [t.pk for t in newcomers]
    while stack:
        pk = stack.pop()
        if pk not in moving:
            moving.add(pk)
            stack.extend(children.get(pk, ()))
    link = (
        Link.objects.filter(
            Q(pred_id=summary.pk, succ_id__in=moving) | Q(succ_id=summary.pk, pred_id__in=moving)
        )
        .select_related("pred", "succ")
        .order_by("pk")
        .first()
    )
    if link is not None:
        other = link.succ if link.pred_id == summary.pk else link.pred
        raise Invalid(
            _SUMMARY_OVER_LINKED.format(summary=summary.name, subtask=other.name), field="parent"
        )


@transaction.atomic
def indent_task(*, actor: User, task: Task, expected_version: int | None = None) -> Schedule:
    """Make ``task`` the last child of the sibling above it."""
    require(actor, Action.EDIT, task)
    above = (
        Task.objects.filter(project=task.project, parent=task.parent, position__lt=task.position)
        .order_by("-position")
        .first()
    )
    if above is None:
        raise Invalid("There is no task above to indent under.", field="parent")
    if above.is_milestone:
        raise Invalid("A milestone cannot have subtasks.", field="parent")
    if Link.objects.filter(pred__in=[task, above], succ__in=[task, above]).exists():
        raise Invalid(
            f"Remove the link between {above.name} and {task.name} first: a summary cannot "
            "depend on its own subtask.",
            field="parent",
        )
    _refuse_summary_over_linked(above, [task])
    old_parent = task.parent
    task.parent = above
    save_versioned(task, expected_version=expected_version, fields=["parent"])
    history.record(
        actor=actor,
        obj=task,
        action="indented",
        changes={"parent": [str(old_parent) if old_parent else None, str(above)]},
    )
    return reschedule_project(task.project)


@transaction.atomic
def outdent_task(*, actor: User, task: Task, expected_version: int | None = None) -> Schedule:
    """Move ``task`` up one level, right after its former parent's subtree."""
    require(actor, Action.EDIT, task)
    parent = task.parent
    if parent is None:
        raise Invalid("This task is already at the top level.", field="parent")
    if (
        task.is_milestone
        and Task.objects.filter(parent=parent, position__gt=task.position).exists()
    ):
        # Its later siblings would become its children (as in Microsoft Project).
        raise Invalid(
            "A milestone cannot have subtasks: move the tasks after it first, or outdent "
            "the last of them.",
            field="parent",
        )
    later = list(Task.objects.filter(parent=parent, position__gt=task.position).order_by("pk"))
    _refuse_summary_over_linked(task, later)
    task.parent = parent.parent
    save_versioned(task, expected_version=expected_version, fields=["parent"])
    # Later siblings become the task's children, as in Microsoft Project; their parent changed,
    # so their versions move on too (an edit made on what was read before answers 409).
    Task.objects.filter(parent=parent, position__gt=task.position).update(
        parent=task, version=F("version") + 1
    )
    history.record(
        actor=actor,
        obj=task,
        action="outdented",
        changes={"parent": [str(parent), str(task.parent) if task.parent else None]},
    )
    return reschedule_project(task.project)


# ---------------------------------------------------------------------------------------------
# Links


@transaction.atomic
def add_link(
    *,
    actor: User,
    project: Project,
    pred: Task,
    succ: Task,
    type: str = LinkType.FS,
    lag: int = 0,
    lag_unit: str = LagUnit.DAYS,
    pred_version: int | None = None,
    succ_version: int | None = None,
) -> tuple[Link, Schedule]:
    """Link ``pred`` → ``succ``. ``pred_version``/``succ_version`` (from a Gantt drag) refuse the
    link with a Conflict when either task changed since it was read."""
    require(actor, Action.EDIT, project)
    for task, version in ((pred, pred_version), (succ, succ_version)):
        # Locked until the link is written: a change landing between the check and the write
        # waits for it (the link is then made on what was read), never slips in unseen.
        if (
            version is not None
            and not Task.objects.select_for_update().filter(pk=task.pk, version=version).exists()
        ):
            raise Conflict(
                f"Someone else changed “{task.name}” since you read it (a chart shows "
                "their change when drawn again): link again if it still applies."
            )
    if pred.project_id != project.pk or succ.project_id != project.pk:
        raise Invalid("Both tasks must belong to this project.", field="pred")
    if pred.pk == succ.pk:
        raise Invalid("A task cannot depend on itself.", field="succ")
    if type not in LinkType.values:
        raise Invalid(f"Unknown link type {type!r}.", field="type")
    if lag_unit not in LagUnit.values:
        raise Invalid(f"Unknown lag unit {lag_unit!r}.", field="lag_unit")
    if not -1000 <= lag <= 1000:
        raise Invalid("The lag must be between -1000 and 1000.", field="lag")
    if Link.objects.filter(pred=pred, succ=succ).exists():
        raise Invalid(f"{pred.name} is already linked to {succ.name}.", field="succ")
    _refuse_link_within_own_outline(pred, succ)
    link = Link.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        pred=pred,
        succ=succ,
        type=type,
        lag=lag,
        lag_unit=lag_unit,
    )
    # A cycle raises Invalid and rolls the link back; so does a plan the link (its lead or lag,
    # else the link itself) pushes out of the calendars' years.
    moved = reschedule_project(project, field="lag" if lag else "succ")
    history.record(
        actor=actor,
        obj=project,
        action="link added",
        summary=f"{pred.name} → {succ.name} ({type}{' ' + link.lag_label if lag else ''})",
    )
    return link, moved


def _refuse_link_within_own_outline(pred: Task, succ: Task) -> None:
    """A task and a summary above it cannot be linked: the summary spans the task, so the
    scheduler finds a cycle (whose message read "C2 → C2"). One query for the outline."""
    parents = dict(Task.objects.filter(project_id=pred.project_id).values_list("pk", "parent_id"))
    for low, high in ((pred, succ), (succ, pred)):
        above = parents.get(low.pk)
        while above is not None:
            if above == high.pk:
                raise Invalid(
                    f"“{high.name}” is a summary above “{low.name}”: a task cannot be linked to "
                    "its own summary. Link it to a task outside that summary instead.",
                    field="succ",
                )
            above = parents.get(above)


@transaction.atomic
def delete_link(*, actor: User, link: Link) -> Schedule:
    require(actor, Action.EDIT, link)
    project = link.project
    history.record(
        actor=actor,
        obj=project,
        action="link removed",
        summary=f"{link.pred.name} → {link.succ.name} ({link.type})",
    )
    link.delete()
    return reschedule_project(project)


# ---------------------------------------------------------------------------------------------
# Baselines


@transaction.atomic
def save_baseline(
    *,
    actor: User,
    project: Project,
    name: str,
    number: int | None = None,
    replaces: int | None = None,
) -> Baseline:
    """Snapshot every task's dates, duration and work, as ``number`` (default: the first free).

    A number in use is replaced only when ``replaces`` is the id of the baseline it holds, as
    the caller read it: otherwise a Conflict (409), so that nobody overwrites a baseline
    someone else saved since their page was drawn, nor one they did not know about.
    """
    require(actor, Action.EDIT, project)
    # One save of the project's baselines at a time: what a number holds is checked and
    # replaced under the lock (two saves read the same numbers, and the later one deleted the
    # baseline the earlier had just saved, or failed on the unique number: a 500).
    Project.objects.select_for_update().filter(pk=project.pk).first()
    name = name.strip() or "Baseline"
    used = dict(project.baselines.values_list("number", "pk"))
    if number is None:
        free = [n for n in range(MAX_BASELINES) if n not in used]
        if not free:
            raise Invalid("A project keeps at most 11 baselines; replace one.", field="number")
        number = free[0]
    if not 0 <= number < MAX_BASELINES:
        raise Invalid("Baselines are numbered 0 to 10.", field="number")
    if number in used and used[number] != replaces:
        held = Baseline.objects.get(pk=used[number])
        raise Conflict(
            f"Baseline {number} now holds “{held.name}”, saved "
            f"{dates.format_daytime(held.created_at.astimezone(tz_of(project.organisation)))}"
            + (
                " by someone else since you read it"
                if replaces is not None
                else ", which you did not say to replace"
            )
            + ". Save again to replace it.",
        )
    Baseline.objects.filter(project=project, number=number).delete()
    baseline = Baseline.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        number=number,
        name=name,
        finish=project.scheduled_finish,
    )
    BaselineTask.objects.bulk_create(
        [
            BaselineTask(
                baseline=baseline,
                task_id=t.pk,
                start=t.start,
                finish=t.finish,
                duration_minutes=t.duration_minutes,
                work_minutes=t.effort_minutes,
            )
            for t in Task.objects.filter(project=project).only(
                "pk", "start", "finish", "duration_minutes", "effort_minutes"
            )
        ],
        batch_size=500,
    )
    refresh_planned_curve(project)  # the baseline just saved is the current one
    history.record(
        actor=actor, obj=project, action="baseline saved", summary=f"Saved {name} (#{number})"
    )
    tick_known_gate_items(actor=actor, project=project)
    return baseline


# ---------------------------------------------------------------------------------------------
# Board


@transaction.atomic
def move_card(
    *,
    actor: User,
    task: Task,
    status: str,
    before: Task | None = None,
    after: Task | None = None,
    expected_version: int | None = None,
) -> tuple[Task, Schedule | None]:
    """Put ``task`` in column ``status`` between the cards ``after`` (above) and ``before`` (below).

    ``expected_version`` is the card's version as the board showed it: a stale move is a
    ``Conflict`` and nothing moves.
    """
    require(actor, Action.EDIT, task)
    if status not in TaskStatus.values:
        raise Invalid(f"Unknown column {status!r}.", field="status")
    for other in (before, after):
        if other is not None and (other.project_id != task.project_id or other.pk == task.pk):
            raise Invalid("Cards must be of the same project.", field="position")
    # Under the project's lock, from the neighbours' current keys (the board may be stale):
    # right below ``after`` if it is still in that column, else right above ``before``.
    board_order.lock_board(task.project)
    key = board_order.place_card(
        task.project,
        status,
        after_pk=after.pk if after else None,
        before_pk=before.pk if before else None,
        exclude_pk=task.pk,
    )
    # One versioned UPDATE writes the key and, into another column, the status (with the
    # progress that follows it): the version is checked once and goes up by one.
    moved = None
    try:
        if status != task.status:
            task, moved = _update_task(
                actor=actor,
                task=task,
                expected_version=expected_version,
                values={"status": status},
                unrecorded={"board_key": key},
            )
        else:
            task.board_key = key
            save_versioned(task, expected_version=expected_version, fields=["board_key"])
    except Conflict as exc:
        raise Conflict(
            f"Someone else changed “{task.name}” since you opened the board. "
            "The board now shows their change; move the card again if you still want to.",
            field="version",
        ) from exc
    return task, moved


@transaction.atomic
def set_wip_limits(
    *,
    actor: User,
    project: Project,
    limits: dict[str, int],
    expected_version: int | None = None,
) -> Project:
    require(actor, Action.MANAGE, project)
    clean = {}
    for status, limit in limits.items():
        if status not in TaskStatus.values:
            raise Invalid(f"Unknown column {status!r}.", field="wip_limits")
        if limit < 0 or limit > 999:
            raise Invalid("A WIP limit is between 0 (none) and 999.", field="wip_limits")
        if limit:
            clean[status] = limit
    before = {"wip_limits": project.wip_limits}
    project.wip_limits = clean
    save_versioned(project, expected_version=expected_version, fields=["wip_limits"])
    history.record(
        actor=actor,
        obj=project,
        action="updated",
        changes=history.diff(before, {"wip_limits": clean}),
    )
    return project


@transaction.atomic
def add_checklist_item(*, actor: User, task: Task, text: str) -> ChecklistItem:
    require(actor, Action.EDIT, task)
    text = text.strip()
    if not text:
        raise Invalid("Write the checklist item.", field="text")
    item = ChecklistItem.objects.create(
        organisation_id=task.organisation_id, task=task, text=text[:200]
    )
    history.record(actor=actor, obj=task, action="checklist", summary=f"Added “{item.text}”")
    return item


@transaction.atomic
def toggle_checklist_item(
    *, actor: User, item: ChecklistItem, done: bool | None = None
) -> ChecklistItem:
    """Tick (``done=True``) or untick the item. Pages send the state they want, so two people
    ticking the same item both leave it ticked; ``None`` flips it (scripts only)."""
    require(actor, Action.EDIT, item)
    _set_done(actor=actor, item=item, done=done, owner=item.task, action="checklist")
    return item


@transaction.atomic
def delete_checklist_item(*, actor: User, item: ChecklistItem) -> None:
    """Remove an item from its task's checklist (recorded in the task's history)."""
    require(actor, Action.EDIT, item)
    text = item.text
    item.delete()
    history.record(actor=actor, obj=item.task, action="checklist", summary=f"Removed “{text}”")


def _set_done(
    *, actor: User, item: CheckItem, done: bool | None, owner: models.Model, action: str
) -> None:
    """Set ``item.done`` (``None`` flips it) and record the change in ``owner``'s history."""
    done = (not item.done) if done is None else done
    if done == item.done:
        return
    item.done = done
    item.save(update_fields=["done"])
    history.record(
        actor=actor,
        obj=owner,
        action=action,
        summary=f"{'Ticked' if item.done else 'Unticked'} “{item.text}”",
    )


@transaction.atomic
def add_comment(*, actor: User, task: Task, body: str) -> Any:
    """A comment on ``task`` through the comments component (kept for existing callers)."""
    from twofold.comments import services as comment_services

    return comment_services.add_comment(actor=actor, target=task, body=body)


# ---------------------------------------------------------------------------------------------
# Gates


@transaction.atomic
def toggle_gate_item(*, actor: User, item: GateItem, done: bool | None = None) -> GateItem:
    """Tick or untick a gate's checklist item (the wanted state; ``None`` flips, scripts only)."""
    require(actor, Action.EDIT, item)
    if item.gate.passed_at:
        raise Invalid("This gate has already passed.", field="item")
    project = item.gate.project
    if item.gate.phase != project.phase:
        raise Invalid(
            f"This gate's checklist opens when the project reaches {item.gate.get_phase_display()}"
            f" (it is in {project.get_phase_display()}).",
            field="item",
        )
    _set_done(actor=actor, item=item, done=done, owner=item.gate.project, action="gate checklist")
    return item


def may_approve(user: User, project: Project) -> bool:
    """Admins and owners of the organisation, and the project's sponsor if not a guest, sign
    gates off (a sponsor later made a guest loses the right)."""
    role = role_in(user, project.organisation_id)
    if role is None:
        return False
    if role in (Role.ADMIN, Role.OWNER):
        return True
    return role == Role.MEMBER and project.sponsor_id == user.pk


@transaction.atomic
def pass_gate(*, actor: User, gate: Gate, expected_version: int | None = None) -> Gate:
    """Sign the gate off and advance the project to the next phase."""
    project = gate.project
    if not can(actor, Action.VIEW, project):
        raise NotFound("Not found.")
    if not may_approve(actor, project):
        raise Forbidden("Only an admin or the project's sponsor can sign off a gate.")
    if gate.passed_at:
        raise Invalid("This gate has already passed.", field="gate")
    if gate.phase != project.phase:
        raise Invalid(
            f"The project is in {project.get_phase_display()}; this gate is for {gate.get_phase_display()}.",
            field="gate",
        )
    open_items = [i.text for i in gate.items.all() if not i.done]
    if open_items:
        raise Invalid(f"Complete the checklist first: {', '.join(open_items)}.", field="gate")
    from twofold.projects.lifecycle import gate_blockers

    for blocker in gate_blockers(project, gate.phase):
        raise Invalid(blocker, field="gate")
    gate.passed_at = timezone.now()
    gate.approved_by = actor
    save_versioned(gate, expected_version=expected_version, fields=["passed_at", "approved_by"])
    old = project.phase
    new = PHASE_ORDER[PHASE_ORDER.index(Phase(old)) + 1]
    project.phase = new
    save_versioned(project, expected_version=None, fields=["phase"])
    history.record(
        actor=actor,
        obj=project,
        action="gate passed",
        changes={"phase": [old, new.value]},
        summary=f"{actor.display_name} signed off the {Phase(old).label} gate",
    )
    tick_known_gate_items(actor=actor, project=project)
    return gate


SCHEDULE_BASELINED = "Schedule baselined"
HANDOVER_SIGNED = "Handover to operations signed"


def tick_known_gate_items(*, actor: User, project: Project) -> None:
    """Tick the current gate's items whose fact Twofold knows: "Schedule baselined" once a
    baseline exists, "Handover to operations signed" once a handover is accepted. Only the
    current gate's: a later gate's checklist is not ticked before the project gets there (it is
    ticked here when the project reaches that phase)."""
    from twofold.improvement.models import Handover, HandoverStatus

    gate = project.gates.filter(phase=project.phase, passed_at__isnull=True).first()
    if gate is None:
        return
    known = {
        SCHEDULE_BASELINED: lambda: project.baselines.exists(),
        HANDOVER_SIGNED: lambda: Handover.objects.filter(
            project=project, status=HandoverStatus.ACCEPTED
        ).exists(),
    }
    for item in gate.items.filter(text__in=list(known), done=False):
        if known[item.text]():
            _set_done(actor=actor, item=item, done=True, owner=project, action="gate checklist")


@transaction.atomic
def set_levelling_delays(
    *, actor: User, project: Project, delays: dict[int, int], summary: str
) -> Schedule:
    """Set the levelling delay (working minutes) of tasks of ``project`` and reschedule once.

    ``delays`` maps task id to minutes; tasks not named keep theirs. Levelling (capacity) calls
    it to apply a preview and, with every delayed task at 0, to clear levelling. Each changed
    task gets its version bumped and a history entry; the project one entry with ``summary``.

    Raises:
        Invalid: a task is not a task of the project, or a delay is negative.
    """
    require(actor, Action.EDIT, project)
    tasks = {
        t.pk: t
        for t in Task.objects.select_for_update().filter(project=project, pk__in=list(delays))
    }
    for pk, minutes in delays.items():
        if pk not in tasks:
            raise Invalid(f"Task {pk} is not a task of this project.", field="moves")
        if minutes < 0:
            raise Invalid("A levelling delay cannot be negative.", field="moves")
    changed = []
    for pk, minutes in delays.items():
        task = tasks[pk]
        if task.levelling_delay_minutes == minutes:
            continue
        before = task.levelling_delay_minutes
        task.levelling_delay_minutes = minutes
        task.version += 1
        changed.append(task)
        history.record(
            actor=actor,
            obj=task,
            action="updated",
            changes={"levelling_delay_minutes": [before, minutes]},
        )
    Task.objects.bulk_update(changed, ["levelling_delay_minutes", "version"])
    result = reschedule_project(project, field="moves")
    history.record(
        actor=actor,
        obj=project,
        action="levelled",
        changes={"delayed": [None, sum(1 for m in delays.values() if m)]},
        summary=summary,
    )
    return result


@dataclass(frozen=True)
class AssignmentRow:
    """One person on a task: ``units`` percent of their day, optional ``work_minutes``."""

    person: User
    units: int
    work_minutes: int | None = None


def _assignment_words(name: str, units: int, work_minutes: int | None) -> str:
    work = f", {work_minutes / 60:g} h" if work_minutes is not None else ""
    return f"{name} {units} %{work}"


MAX_TASK_WORK_MINUTES = 100_000 * 60
"""The most work a task can have, as the task page takes it (100,000 h)."""


def _resolved_work(task: Task, rows: list[AssignmentRow], current: dict[int, int]) -> list[int]:
    """Each row's work in minutes: as given; else, for someone already on the task with their
    work stored (``current``), that work (so that sending the same people again changes
    nothing); else as the capacity model read a row without work (``capacity.demand``): the
    task's effort shared by units over all its rows (largest remainder, so that the shares of
    the rows without work add up exactly to theirs), or without effort the duration at the
    person's units. Stored on every row, so that the People panel, capacity and levelling read
    the same work, and the task's work is their sum (until 2026-12-06 a row saved without work
    read as the effort's share in capacity and as duration × units on the task page, and the
    task's effort stayed what it was whatever work the rows gave)."""
    total = sum(r.units for r in rows)
    out = [r.work_minutes or 0 for r in rows]
    missing = []
    for i, row in enumerate(rows):
        if row.work_minutes is None:
            if row.person.pk in current:
                out[i] = current[row.person.pk]
            else:
                missing.append(i)
    if not missing:
        return out
    if task.effort_minutes:
        exact = [task.effort_minutes * rows[i].units for i in missing]
        parts = [e // total for e in exact]
        target = (task.effort_minutes * sum(rows[i].units for i in missing) + total // 2) // total
        order = sorted(range(len(missing)), key=lambda k: (-(exact[k] % total), k))
        for k in order[: max(0, target - sum(parts))]:
            parts[k] += 1
    else:
        parts = [(task.duration_minutes * rows[i].units + 50) // 100 for i in missing]
    for i, minutes in zip(missing, parts, strict=True):
        out[i] = minutes
    return out


@transaction.atomic
def set_task_assignments(
    *, actor: User, task: Task, rows: list[AssignmentRow], expected_version: int | None
) -> Task:
    """Replace the people on ``task``; the first becomes its ``assignee`` (none: unassigned).

    Checks here: each person a member of the organisation, once; units and work not negative.
    The person's maximum units is checked by the caller (``capacity.services``), which knows it.

    Raises:
        Invalid: a bad row (``assignments``, naming the person); Conflict: a stale version.
    """
    require(actor, Action.EDIT, task)
    if rows and (task.is_summary or task.is_milestone):
        # As the People panel: a summary's people count for nothing (its work is its
        # subtasks'), nor a milestone's (it has none); both were accepted here.
        what = (
            "a summary: put people on its subtasks"
            if task.is_summary
            else ("a milestone: it has no work to share")
        )
        raise Invalid(f"{task.name} is {what}.", field="assignments")
    seen: set[int] = set()
    members = set(
        Membership.objects.filter(
            organisation_id=task.organisation_id, user_id__in=[r.person.pk for r in rows]
        ).values_list("user_id", flat=True)
    )
    for row in rows:
        if row.person.pk not in members:
            raise Invalid(
                f"{row.person.display_name} is not in this organisation.", field="assignments"
            )
        if row.person.pk in seen:
            raise Invalid(
                f"{row.person.display_name} is on the task twice: one row per person.",
                field="assignments",
            )
        seen.add(row.person.pk)
        if row.work_minutes is not None and row.work_minutes < 0:
            raise Invalid("Work cannot be negative.", field="work_minutes")
    # In words, as the activity feed shows them ("Priya Raman 100 %"; it showed "16:100:None").
    before = [
        _assignment_words(a.person.display_name, a.units, a.work_minutes)
        for a in Assignment.objects.filter(task=task)
        .select_related("person")
        .order_by("position", "pk")
    ]
    old_assignee, old_effort = task.assignee_id, task.effort_minutes
    current = {
        person: minutes
        for person, minutes in Assignment.objects.filter(task=task).values_list(
            "person_id", "work_minutes"
        )
        if minutes is not None
    }
    work = _resolved_work(task, rows, current)
    if sum(work) > MAX_TASK_WORK_MINUTES:
        raise Invalid(
            f"That is {sum(work) / 60:,.0f} h of work on one task; a task has at most "
            f"{MAX_TASK_WORK_MINUTES // 60:,} h.",
            field="work_minutes",
        )
    task.assignee = rows[0].person if rows else None
    if rows:
        task.effort_minutes = sum(work)  # the task's work is its people's (as in Project)
    save_versioned(task, expected_version=expected_version, fields=["assignee", "effort_minutes"])
    Assignment.objects.filter(task=task).delete()
    Assignment.objects.bulk_create(
        Assignment(
            organisation_id=task.organisation_id,
            task=task,
            person=row.person,
            units=row.units,
            work_minutes=minutes,
            position=i,
        )
        for i, (row, minutes) in enumerate(zip(rows, work, strict=True))
    )
    after = [
        _assignment_words(r.person.display_name, r.units, minutes)
        for r, minutes in zip(rows, work, strict=True)
    ]
    changes: dict[str, list[Any]] = {}
    if before != after:
        changes["assignments"] = [before, after]
    if old_assignee != task.assignee_id:
        changes["assignee"] = [old_assignee, task.assignee_id]
    if old_effort != task.effort_minutes:
        changes["effort_minutes"] = [old_effort, task.effort_minutes]
    if changes:
        people = ", ".join(f"{r.person.display_name} {r.units} %" for r in rows) or "nobody"
        history.record(
            actor=actor,
            obj=task,
            action="updated",
            changes=changes,
            summary=f"{task.name}: {people}",
        )
    return task
