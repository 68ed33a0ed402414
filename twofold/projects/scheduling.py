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
from typing import NamedTuple

from twofold.calendars.working_time import spec_for
from twofold.core import dates
from twofold.engine import plan as ep
from twofold.engine.calendars import (
    Calendar,
    CalendarSpec,
    compile_calendar,
    is_working_day,
    make_calendar,
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


def working_day(day: dt.date) -> bool:
    return is_working_day(compiled_calendar(), day)


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=None)


def _constraint_moment(task: Task) -> dt.datetime | None:
    if task.constraint_date is None or task.constraint_type == Constraint.ASAP:
        return None
    at = DAY_END if task.constraint_type == Constraint.FNLT else DAY_START
    return dt.datetime.combine(task.constraint_date, at)


class LinkRow(NamedTuple):
    """What the engine needs of a link (lighter than a model instance)."""

    pred_id: int
    succ_id: int
    type: str
    lag: int
    lag_unit: str


LINK_ROW_FIELDS = ("pred_id", "succ_id", "type", "lag", "lag_unit")
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
)


def _lag(link: Link | LinkRow) -> tuple[int, ep.LagKind]:
    if link.lag_unit == "%":
        return link.lag, ep.LagKind.PERCENT
    minutes = link.lag * (MINUTES_PER_DAY if link.lag_unit == "d" else 60)
    return minutes * 60, ep.LagKind.WORKING


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
    items = []
    for t in tasks:
        constraint = _CONSTRAINTS.get(Constraint(t.constraint_type), ep.ConstraintType.ASAP)
        moment = _constraint_moment(t)
        if moment is None:
            constraint = ep.ConstraintType.ASAP
        items.append(
            ep.Task(
                uid=t.pk,
                name=t.name,
                parent=t.parent_id,
                duration=0 if (t.is_milestone or t.pk in parents) else t.duration_minutes * 60,
                constraint=constraint,
                constraint_date=moment,
                actual_start=dt.datetime.combine(t.actual_start, DAY_START)
                if t.actual_start
                else None,
                actual_finish=dt.datetime.combine(t.actual_finish, DAY_END)
                if t.actual_finish and t.percent_complete >= 100
                else None,
                percent_complete=float(t.percent_complete),
            )
        )
    engine_links = []
    for link in links:
        lag, kind = _lag(link)
        engine_links.append(
            ep.Link(
                pred=link.pred_id,
                succ=link.succ_id,
                type=_LINK_TYPES[link.type],
                lag=lag,
                lag_kind=kind,
            )
        )
    return ep.Plan(
        start=dt.datetime.combine(project.target_start, DAY_START),
        tasks=tuple(items),
        links=tuple(engine_links),
        calendars={spec.name: spec},
        calendar=spec.name,
        name=project.name,
    )


@dataclass(frozen=True)
class Schedule:
    """What a reschedule changed: the tasks whose dates moved, and the project finish before/after."""

    moved: list[Task]
    finish_before: dt.datetime | None
    finish_after: dt.datetime | None
    start_after: dt.datetime | None

    @property
    def summary(self) -> str:
        n = len(self.moved)
        text = f"{n} task{'s' if n != 1 else ''} moved"
        if self.finish_before != self.finish_after and self.finish_after is not None:
            before = f"{dates.format_day_short(self.finish_before)}" if self.finish_before else "—"
            text += f"; finish {before} → {dates.format_day_short(self.finish_after)}"
        return text


def apply_schedule(
    project: Project,
    tasks: Sequence[Task],
    links: Sequence[Link | LinkRow],
    tzinfo: dt.tzinfo,
    calendar: CalendarSpec | None = None,
) -> Schedule:
    """Schedule and set ``start``/``finish``/float/critical on ``tasks`` (not saved).

    Raises:
        CycleError: the links form a cycle (its message names the tasks).
    """
    finish_before = project.scheduled_finish
    if not tasks:
        return Schedule([], finish_before, None, None)
    result = schedule(build_plan(project, tasks, links, calendar))
    moved = []
    for i, t in enumerate(tasks):
        d = result.task(int(result.uids[i]))
        start = d.start.replace(tzinfo=tzinfo)
        finish = d.finish.replace(tzinfo=tzinfo)
        float_minutes = d.total_float // 60
        changed = (t.start, t.finish) != (start, finish)
        if changed or t.total_float_minutes != float_minutes or t.is_critical != d.critical:
            if changed:
                moved.append(t)
            t.start, t.finish = start, finish
            t.total_float_minutes = float_minutes
            t.is_critical = d.critical
            t._schedule_dirty = True  # type: ignore[attr-defined]
    starts = [t.start for t in tasks if t.start]
    finishes = [t.finish for t in tasks if t.finish]
    return Schedule(moved, finish_before, max(finishes), min(starts))


def percent_complete(tasks: Sequence[Task]) -> float:
    """Duration-weighted percent complete of the leaf tasks (milestones weigh one hour)."""
    parents = {t.parent_id for t in tasks if t.parent_id}
    total = done = 0.0
    for t in tasks:
        if t.pk in parents:
            continue
        weight = 60.0 if t.is_milestone else float(t.duration_minutes or 60)
        total += weight
        done += weight * t.percent_complete / 100
    return round(100 * done / total, 1) if total else 0.0
