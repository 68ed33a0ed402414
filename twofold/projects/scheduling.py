"""The one adapter between project rows and the scheduling engine.

``build_plan`` maps a project's tasks and links onto :class:`twofold.engine.plan.Plan`;
``apply_schedule`` runs :func:`twofold.engine.cpm.schedule` and writes the dates back onto the
task objects (the service saves them with one ``bulk_update``). Durations are stored in working
minutes; the engine counts working seconds on the project's calendar (:func:`calendar_spec`: the
one chosen on the project, else the organisation's default, else the Standard week Mon-Fri 8-12,
13-17), so holidays move tasks.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from django.db import connection
from django.db.models import BigIntegerField, Func

from twofold.calendars.working_time import spec_for
from twofold.core import dates
from twofold.core.fastread import FastRows
from twofold.engine import plan as ep
from twofold.engine.calendars import (
    EPOCH,
    Calendar,
    CalendarRangeError,
    CalendarSpec,
    compile_calendar,
    from_instant,
    is_working_day,
    make_calendar,
    next_working_instant,
    previous_working_instant,
)
from twofold.engine.cpm import CycleError, schedule
from twofold.projects.models import MINUTES_PER_DAY, Constraint, Link, Project, Task

CALENDAR = make_calendar(name="Standard")
DAY_START = dt.time(8, 0)
DAY_END = dt.time(17, 0)

_CONSTRAINTS = {
    Constraint.ASAP: ep.ConstraintType.ASAP,
    Constraint.SNET: ep.ConstraintType.SNET,
    Constraint.FNLT: ep.ConstraintType.FNLT,
    Constraint.MSO: ep.ConstraintType.MSO,
}
_LINK_TYPES = {t.value: t for t in ep.LinkType}

__all__ = [
    "CycleError",
    "LinkRow",
    "Schedule",
    "TaskRow",
    "apply_schedule",
    "build_plan",
    "calendar_spec",
    "compiled_calendar",
    "project_calendar",
]


@functools.cache
def compiled_calendar() -> Calendar:
    """The compiled Standard calendar (compiled once per process).

    For a project's own working time use :func:`project_calendar`.
    """
    return compile_calendar(CALENDAR)


def calendar_spec(project: Project) -> CalendarSpec:
    """The working time ``project`` is scheduled on (one query; the spec is cached)."""
    return spec_for(project.organisation_id, project.calendar_id)


def project_calendar(project: Project) -> Calendar:
    """The compiled calendar of ``project`` (compiled once per calendar revision)."""
    return compile_calendar(calendar_spec(project))


def working_day(day: dt.date, cal: Calendar | None = None) -> bool:
    """Whether ``day`` has working time in ``cal`` (a project's: :func:`project_calendar`; the
    Standard calendar when None)."""
    return is_working_day(cal or compiled_calendar(), day)


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=None)


class DayBounds:
    """The first and last working instants of a date on one calendar (08:00 and 17:00 where
    the date has no working time): where a date-only constraint or actual date begins or ends.
    Until 2026-12-05 these were 08:00 and 17:00 on every calendar, so on a 09:00-18:00 one a
    one-day task to finish by Wednesday ran from Tuesday 17:00."""

    def __init__(self, cal: Calendar | None) -> None:
        self.cal = cal
        self.known: dict[dt.date, tuple[dt.datetime, dt.datetime]] = {}

    def __call__(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        found = self.known.get(day)
        if found is None:
            start, end = dt.datetime.combine(day, DAY_START), dt.datetime.combine(day, DAY_END)
            if self.cal is not None and is_working_day(self.cal, day):
                try:
                    midnight = dt.datetime.combine(day, dt.time())
                    start = next_working_instant(self.cal, midnight)
                    end = previous_working_instant(self.cal, midnight + dt.timedelta(days=1))
                except CalendarRangeError:  # outside the horizon: the fixed hours
                    pass
            found = self.known[day] = (start, end)
        return found


_STANDARD_DAYS = DayBounds(None)


def constraint_moment(
    task: Task | TaskRow, bounds: DayBounds = _STANDARD_DAYS
) -> dt.datetime | None:
    if task.constraint_date is None or task.constraint_type == Constraint.ASAP:
        return None
    start, end = bounds(task.constraint_date)
    return end if task.constraint_type == Constraint.FNLT else start


class LinkRow(NamedTuple):
    """What the engine needs of a link (lighter than a model instance)."""

    pred_id: int
    succ_id: int
    type: str
    lag: int
    lag_unit: str


LINK_ROW_FIELDS = ("pred_id", "succ_id", "type", "lag", "lag_unit")


_LINKS_CACHE: dict[int, tuple[str, frozenset[int], list[LinkRow]]] = {}
"""project id → (the text of its links as last read, the live task ids, their rows)."""


def link_rows(project: Project, task_ids: set[int]) -> list[LinkRow]:
    """The project's links whose two tasks are in ``task_ids`` (the project's live tasks, read
    by the caller), as :class:`LinkRow`.

    Read without ``Link.objects``' joins to both tasks (which drop links to trashed tasks): on
    PostgreSQL those joins hash every task of every organisation twice, ~50 ms on the large
    demo, against ~1 ms for the project's links alone. A link joins two tasks of one project
    (``services.add_link``), so keeping the links whose ends are live tasks of the project is
    the same set.

    The links come as one text (``pred,succ,type,lag,unit;…``, in id order): 5,553 rows of five values
    cost ~7 ms to fetch and build as tuples, the text ~2 ms. When the text and the live tasks
    are what the last read of the project found, that read's rows are returned again (a copy
    of the list): the key is the links' whole content, so an edit of any link reads afresh."""
    concat = " || ',' || ".join(
        f'"{column}"' if column in ("type", "lag_unit") else f'CAST("{column}" AS TEXT)'
        for column in ("pred_id", "succ_id", "type", "lag", "lag_unit")
    )
    # In id order, as ``Link``'s default ordering read them (the engine's results do not depend
    # on it, but which of several cycles an error names does). SQLite before 3.44 has no
    # ORDER BY inside an aggregate: it concatenates an ordered subquery's rows in their order.
    if connection.vendor == "sqlite":
        sql = (
            "SELECT group_concat(v, ';') FROM "  # noqa: S608
            f"(SELECT {concat} AS v FROM projects_link WHERE project_id = %s ORDER BY id)"
        )
    else:
        sql = (
            f"SELECT string_agg({concat}, ';' ORDER BY id) FROM projects_link WHERE project_id = %s"  # noqa: S608
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [project.pk])
        row = cursor.fetchone()
    text = (row[0] if row else None) or ""
    live = frozenset(task_ids)
    cached = _LINKS_CACHE.get(project.pk)
    if cached is not None and cached[0] == text and cached[1] == live:
        return list(cached[2])
    rows = []
    for item in text.split(";") if text else ():
        pred, succ, kind, lag, unit = item.split(",")
        link = LinkRow(int(pred), int(succ), kind, int(lag), unit)
        if link.pred_id in live and link.succ_id in live:
            rows.append(link)
    if len(_LINKS_CACHE) >= 64:
        _LINKS_CACHE.clear()
    _LINKS_CACHE[project.pk] = (text, live, rows)
    return list(rows)


TASK_PLAN_FIELDS = (
    "pk",
    "project_id",
    "parent_id",
    "position",
    "name",
    "duration_minutes",
    "is_milestone",
    "is_summary",
    "constraint_type",
    "constraint_date",
    "actual_start",
    "actual_finish",
    "percent_complete",
    "start",
    "finish",
    "total_float_minutes",
    "is_critical",
    "levelling_delay_minutes",
)
LEVELLING_ANCHOR = -1
"""uid of the zero-duration "project start" milestone a levelling delay of a task without
predecessors counts from (only in the engine's plan; never written back)."""


def _lag(link: Link | LinkRow) -> tuple[int, ep.LagKind]:
    if link.lag_unit == "%":
        return link.lag, ep.LagKind.PERCENT
    minutes = link.lag * (MINUTES_PER_DAY if link.lag_unit == "d" else 60)
    return minutes * 60, ep.LagKind.WORKING


_PLAN_CACHE: dict[int, tuple[dict[tuple[Any, ...], ep.Task], Any, CalendarSpec]] = {}
"""project id → (engine task by its plan fields, (link rows, engine links)) of the last plan."""


def _engine_task(
    t: Task | TaskRow, no_duration: bool, bounds: DayBounds = _STANDARD_DAYS
) -> ep.Task:
    constraint = _CONSTRAINTS.get(Constraint(t.constraint_type), ep.ConstraintType.ASAP)
    moment = constraint_moment(t, bounds)
    if moment is None:
        constraint = ep.ConstraintType.ASAP
    return ep.Task(
        uid=t.pk,
        name=t.name,
        parent=t.parent_id,
        duration=0 if no_duration else t.duration_minutes * 60,
        constraint=constraint,
        constraint_date=moment,
        # A milestone takes no time: it happened at the end of its day, start and finish alike
        # (its start at the day's beginning read as "-1 d" against its baseline on every done
        # milestone).
        actual_start=bounds(t.actual_start)[1 if t.is_milestone else 0] if t.actual_start else None,
        actual_finish=bounds(t.actual_finish)[1]
        if t.actual_finish and t.percent_complete >= 100
        else None,
        percent_complete=float(t.percent_complete),
    )


def build_plan(
    project: Project,
    tasks: Sequence[Task],
    links: Sequence[Link | LinkRow],
    calendar: CalendarSpec | None = None,
) -> ep.Plan:
    """The engine's view of ``project``: summaries are the tasks that others name as parent.

    ``calendar`` defaults to the project's own (:func:`calendar_spec`).
    """
    spec = calendar if calendar is not None else calendar_spec(project)
    parents = {t.parent_id for t in tasks if t.parent_id}
    # Engine tasks and links are memoised per project between reschedules (an edit changes one
    # or two of 2,000 tasks; building the frozen engine objects was ~40 % of a reschedule).
    cache = _PLAN_CACHE.get(project.pk) if project.pk else None
    if cache is not None and cache[2] != spec:
        cache = None  # another calendar: dates begin and end at other hours
    old_items = cache[0] if cache is not None else {}
    bounds = DayBounds(compile_calendar(spec))
    fresh: dict[tuple[Any, ...], ep.Task] = {}
    items = []
    for t in tasks:
        key = (
            t.pk,
            t.name,
            t.parent_id,
            t.is_milestone or t.pk in parents,
            t.duration_minutes,
            t.constraint_type,
            t.constraint_date,
            t.actual_start,
            t.actual_finish,
            t.percent_complete,
        )
        item = old_items.get(key)
        if item is None:
            item = _engine_task(t, t.is_milestone or t.pk in parents, bounds)
        fresh[key] = item
        items.append(item)
    # A levelling delay (MS Project's "leveling delay") postpones a task's early start after
    # its predecessors allow it: it is added to the lag of each link into the task, so the task
    # stays on its chain (the critical path runs through it) instead of being pinned to a date.
    # A delayed task without predecessors counts its delay from the project start, through a
    # link from a "project start" milestone that exists only in this plan.
    delays = {t.pk: t.levelling_delay_minutes * 60 for t in tasks if t.levelling_delay_minutes}
    durations = {t.pk: t.duration_minutes * 60 for t in tasks}
    fed = {link.succ_id for link in links}
    link_key = tuple(links) if not delays and all(isinstance(x, LinkRow) for x in links) else None
    cached_links = cache[1] if cache is not None and link_key is not None else None
    if cached_links is not None and cached_links[0] == link_key:
        engine_links = list(cached_links[1])
        links = ()
    else:
        engine_links = []
    for link in links:
        lag, kind = _lag(link)
        delay = delays.get(link.succ_id, 0)
        if delay and kind is ep.LagKind.PERCENT:
            lag, kind = round(durations.get(link.pred_id, 0) * lag / 100), ep.LagKind.WORKING
        lag += delay
        engine_links.append(
            ep.Link(
                pred=link.pred_id,
                succ=link.succ_id,
                type=_LINK_TYPES[link.type],
                lag=lag,
                lag_kind=kind,
            )
        )
    if project.pk:
        if len(_PLAN_CACHE) >= 64:
            _PLAN_CACHE.clear()
        _PLAN_CACHE[project.pk] = (
            fresh,
            (link_key, tuple(engine_links)) if link_key is not None else None,
            spec,
        )
    unfed = [pk for pk in delays if pk not in fed and pk not in parents]
    if unfed:
        items.append(ep.Task(uid=LEVELLING_ANCHOR, name="Project start"))
        engine_links.extend(
            ep.Link(pred=LEVELLING_ANCHOR, succ=pk, type=ep.LinkType.FS, lag=delays[pk])
            for pk in unfed
        )
    # Unfinished work after the status date: after the end of its working day, as Microsoft
    # Project's status date is (a date with no working time ends at 17:00, so the work resumes
    # at the next working time).
    # The status date travels with the plan either way (a Microsoft Project export writes it).
    status = bounds(project.status_date)[1] if project.status_date is not None else None
    return ep.Plan(
        # The first working moment of the start day on the project's calendar (07:00 on a
        # 07:00-15:00 one: from 08:00 a one-day task ran into the next morning).
        start=bounds(project.target_start)[0],
        status_date=status,
        reschedule_after_status=project.reschedule_after_status and status is not None,
        tasks=tuple(items),
        links=tuple(engine_links),
        calendars={spec.name: spec},
        calendar=spec.name,
        name=project.name,
        retained_logic=project.progress_rule == "retained",
    )


@dataclass(frozen=True)
class Schedule:
    """What a reschedule changed: the tasks whose dates moved, and the project finish before/after."""

    moved: list[Task]
    finish_before: dt.datetime | None
    finish_after: dt.datetime | None
    start_after: dt.datetime | None
    # For rows read as ``TaskRow``: every task's new start/finish as UTC seconds (aligned).
    start_utc: Any = None
    finish_utc: Any = None

    @property
    def summary(self) -> str:
        n = len(self.moved)
        text = f"{n} task{'s' if n != 1 else ''} moved"
        if self.finish_before != self.finish_after and self.finish_after is not None:
            before = f"{dates.format_day_short(self.finish_before)}" if self.finish_before else "—"
            text += f"; finish {before} → {dates.format_day_short(self.finish_after)}"
        return text


class EpochSeconds(Func):
    """A date-time column as UTC seconds since 1970 (an integer), read without Django building
    a date-time per value (SQLite and PostgreSQL)."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra)


TASK_ROW_FIELDS = tuple(f for f in TASK_PLAN_FIELDS if f not in ("start", "finish"))


@dataclass(slots=True)
class TaskRow:
    """A task's scheduling fields, lighter than a model instance (``reschedule_project`` reads
    2,000 of them as tuples: a model instance costs ~10x more to build, and its stored dates
    come as UTC seconds, ``start_s``/``finish_s``, instead of date-times). ``start``/``finish``
    are set (aware date-times) on the rows the schedule changed."""

    pk: int
    project_id: int
    parent_id: int | None
    position: str
    name: str
    duration_minutes: int
    is_milestone: bool
    is_summary: bool
    constraint_type: str
    constraint_date: dt.date | None
    actual_start: dt.date | None
    actual_finish: dt.date | None
    percent_complete: int
    total_float_minutes: int
    is_critical: bool
    levelling_delay_minutes: int
    start_s: int | None
    finish_s: int | None
    start: dt.datetime | None = None
    finish: dt.datetime | None = None
    _schedule_dirty: bool = False

    @classmethod
    def query(cls, tasks: Any) -> list[TaskRow]:
        """Rows of the ``tasks`` queryset (one query)."""
        return [cls(*row) for row in _task_rows(tasks)]

    @classmethod
    def of_project(cls, project_id: int) -> list[TaskRow]:
        """The live tasks of the project ``project_id`` in plan order (one query, its SQL
        compiled once per connection: the ORM's values_list built the query and ran two
        converters per row, ~2.5 ms of ~11 for the 2,000 rows of the large demo). The driver's
        values are the ORM's here: integers, text, booleans and dates (the SQLite backend
        registers its date and bool converters with the driver itself)."""
        return [cls(*row) for row in _PROJECT_TASK_ROWS.rows(project_id)]


def _task_rows(tasks: Any) -> Any:
    return tasks.annotate(
        start_s=EpochSeconds("start"), finish_s=EpochSeconds("finish")
    ).values_list(*TASK_ROW_FIELDS, "start_s", "finish_s")


_PROJECT_TASK_ROWS = FastRows(
    Task,
    lambda project_id: _task_rows(Task.objects.filter(project_id=project_id).order_by("position")),
)


def _stored_instant(moment: dt.datetime | None, tzinfo: dt.tzinfo) -> int:
    """A stored (aware) date-time as engine seconds of the local wall clock; -1 for none."""
    if moment is None:
        return -1
    if moment.tzinfo is None:
        return int((moment - EPOCH).total_seconds())
    local = moment.astimezone(tzinfo)
    offset = local.utcoffset() or dt.timedelta(0)
    return int(moment.timestamp()) + int(offset.total_seconds())


@functools.lru_cache(maxsize=65_536)
def _noon_offset(tzinfo: dt.tzinfo, day: int) -> int:
    """UTC offset (seconds) of ``tzinfo`` at noon of the engine day ``day`` (kept per zone and
    day: a reschedule of the large demo asks for ~500 days, the same ones edit after edit)."""
    offset = from_instant(day * 86_400 + 43_200).replace(tzinfo=tzinfo).utcoffset()
    return int((offset or dt.timedelta(0)).total_seconds())


def utc_seconds(local: Any, tzinfo: dt.tzinfo) -> Any:
    """Engine instants (local wall clock) as UTC epoch seconds, vectorised: one UTC offset per
    day (at noon), and the exact conversion for instants near midnight, where a daylight-saving
    change can fall."""
    local = np.asarray(local, dtype=np.int64)
    days, seconds = np.divmod(local, 86_400)
    unique, where = np.unique(days, return_inverse=True)
    offsets = np.fromiter((_noon_offset(tzinfo, d) for d in unique.tolist()), np.int64, len(unique))
    out = local - offsets[where.reshape(-1)]
    for i in np.flatnonzero((seconds < 5 * 3600) | (seconds > 21 * 3600)).tolist():
        out[i] = int(from_instant(int(local[i])).replace(tzinfo=tzinfo).timestamp())
    return out


def apply_schedule(
    project: Project,
    tasks: Sequence[Task] | Sequence[TaskRow],
    links: Sequence[Link | LinkRow],
    tzinfo: dt.tzinfo,
    calendar: CalendarSpec | None = None,
) -> Schedule:
    """Schedule and set ``start``/``finish``/float/critical on ``tasks`` (not saved).

    Only the tasks whose dates, float or criticality changed are touched (their
    ``_schedule_dirty`` set): the comparison runs on the engine's arrays, and only changed rows
    are converted back to date-times.

    Raises:
        CycleError: the links form a cycle (its message names the tasks).
    """
    finish_before = project.scheduled_finish
    if not tasks:
        return Schedule([], finish_before, None, None)
    result = schedule(build_plan(project, tasks, links, calendar))  # type: ignore[arg-type]
    n = len(tasks)
    start, finish = result.start[:n], result.finish[:n]
    float_minutes = result.total_float[:n] // 60
    critical = result.critical[:n]
    new_start = new_finish = None
    if tasks and isinstance(tasks[0], TaskRow):
        # Stored dates as UTC seconds: compare with the new instants in UTC.
        rows: Any = tasks
        new_start, new_finish = utc_seconds(start, tzinfo), utc_seconds(finish, tzinfo)
        moved_mask = (
            np.fromiter((-1 if t.start_s is None else t.start_s for t in rows), np.int64, n)
            != new_start
        ) | (
            np.fromiter((-1 if t.finish_s is None else t.finish_s for t in rows), np.int64, n)
            != new_finish
        )
    else:
        old_start = np.fromiter((_stored_instant(t.start, tzinfo) for t in tasks), np.int64, n)
        old_finish = np.fromiter((_stored_instant(t.finish, tzinfo) for t in tasks), np.int64, n)
        moved_mask = (old_start != start) | (old_finish != finish)
    old_float = np.fromiter((t.total_float_minutes for t in tasks), np.int64, n)
    old_critical = np.fromiter((t.is_critical for t in tasks), bool, n)
    dirty = moved_mask | (old_float != float_minutes) | (old_critical != critical)
    moved = []
    for i in np.flatnonzero(dirty).tolist():
        t = tasks[i]
        if moved_mask[i]:
            moved.append(t)
        # Written with the row (all schedule columns), so set on every dirty row.
        if new_start is not None:
            t.start_s, t.finish_s = int(new_start[i]), int(new_finish[i])  # type: ignore[union-attr,index]
        else:
            t.start = from_instant(int(start[i])).replace(tzinfo=tzinfo)
            t.finish = from_instant(int(finish[i])).replace(tzinfo=tzinfo)
        t.total_float_minutes = int(float_minutes[i])
        t.is_critical = bool(critical[i])
        t._schedule_dirty = True  # type: ignore[union-attr]
    first, last = int(start.min()), int(finish.max())
    return Schedule(
        moved,  # type: ignore[arg-type]
        finish_before,
        from_instant(last).replace(tzinfo=tzinfo),
        from_instant(first).replace(tzinfo=tzinfo),
        new_start,
        new_finish,
    )


def progress_weight(is_milestone: bool, duration_minutes: int | None) -> float:
    """What a leaf task weighs in percent complete and in percent planned alike: its duration
    in minutes, an hour for a milestone (whatever duration it kept) or a task of no duration."""
    return 60.0 if is_milestone else float(duration_minutes or 60)


def percent_complete(tasks: Sequence[Task]) -> float:
    """Duration-weighted percent complete of the leaf tasks (milestones weigh one hour)."""
    parents = {t.parent_id for t in tasks if t.parent_id}
    total = done = 0.0
    for t in tasks:
        if t.pk in parents:
            continue
        weight = progress_weight(t.is_milestone, t.duration_minutes)
        total += weight
        done += weight * t.percent_complete / 100
    return round(100 * done / total, 1) if total else 0.0
