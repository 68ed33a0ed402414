"""From an MSPDI document (``twofold.interop.mspdi``) to the rows a Twofold project holds.

:func:`map_document` turns the engine's plan read from the file into plain rows (tasks, links,
the project calendar) in the units the ``projects`` and ``calendars`` models store, and lists
what the file holds that a Twofold project cannot represent, with what was done about it
(:attr:`MappedProject.notes`). What cannot be imported at all raises :class:`MappingError`
naming the task. :func:`app_plan` builds, from those rows, exactly the plan the project's
scheduler will build once they are saved (through ``projects.scheduling.build_plan`` on unsaved
rows), so a preview can show the dates the project will have before anything is written.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field, replace

from twofold.calendars.models import Calendar, Holiday
from twofold.calendars.working_time import build_specs
from twofold.engine import cpm
from twofold.engine import plan as ep
from twofold.engine.calendars import (
    HORIZON_END,
    HORIZON_START,
    CalendarSpec,
    DayPattern,
    compile_calendar,
)
from twofold.interop.mspdi import MspdiDocument
from twofold.projects import scheduling
from twofold.projects.models import MINUTES_PER_DAY, Constraint, Project, TaskStatus
from twofold.projects.resourcing import MAX_WORK_MINUTES

MAX_TASKS = 20_000
MAX_PREDECESSORS = 500
"""More predecessors than this on one task is refused (no plan people maintain has that many)."""
MAX_HOLIDAY_ROWS = 5_000
MAX_LAG = 1000
MAX_NOTES = 200
NAME_LENGTH = 200

_CONSTRAINTS: dict[ep.ConstraintType, tuple[str, str | None]] = {
    ep.ConstraintType.ASAP: (Constraint.ASAP, None),
    ep.ConstraintType.SNET: (Constraint.SNET, None),
    ep.ConstraintType.FNLT: (Constraint.FNLT, None),
    ep.ConstraintType.MSO: (Constraint.MSO, None),
    ep.ConstraintType.ALAP: (Constraint.ASAP, "As late as possible is not supported: imported as as soon as possible"),
    ep.ConstraintType.SNLT: (Constraint.ASAP, "Start no later than is not supported: imported as as soon as possible"),
    ep.ConstraintType.FNET: (Constraint.ASAP, "Finish no earlier than is not supported: imported as as soon as possible"),
    ep.ConstraintType.MFO: (Constraint.FNLT, "Must finish on is not supported: imported as finish no later than"),
}  # fmt: skip


class MappingError(ValueError):
    """The file cannot become a Twofold project; the message names the task and the reason."""


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One task as the project stores it (``uid`` is the file's)."""

    uid: int
    name: str
    parent_uid: int | None
    level: int
    duration_minutes: int
    is_milestone: bool
    constraint_type: str
    constraint_date: dt.date | None
    percent_complete: int
    status: str
    actual_start: dt.date | None
    actual_finish: dt.date | None


@dataclass(frozen=True, slots=True)
class LinkRow:
    pred_uid: int
    succ_uid: int
    type: str
    lag: int
    lag_unit: str


@dataclass(frozen=True, slots=True)
class CalendarRows:
    """A calendar as the ``calendars`` app stores it, with its base (derived calendars)."""

    name: str
    hours: dict[str, list[list[str]]]
    holidays: tuple[tuple[str, dt.date, dt.date, tuple[tuple[str, str], ...]], ...]
    base: CalendarRows | None = None

    def chain(self) -> list[CalendarRows]:
        """This calendar and its bases, base first."""
        return [*(self.base.chain() if self.base else []), self]


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    task_uid: int
    resource_uid: int
    units: int
    work_minutes: int | None


@dataclass
class MappedProject:
    """What the file becomes: rows to create and notes on what could not be kept as it was."""

    name: str
    start: dt.date
    tasks: list[TaskRow]
    links: list[LinkRow]
    calendar: CalendarRows
    assignments: list[AssignmentRow]
    notes: list[str] = field(default_factory=list)
    note_count: int = 0
    status_date: dt.date | None = None
    """The file's status date (the day progress was reported to), None without one."""
    elapsed_share: float = 1.0
    """Working time per wall-clock time in a week of the project calendar (40 h / 168 h): an
    elapsed duration or lag becomes that share of working time."""

    def note(self, text: str) -> None:
        self.note_count += 1
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)


def _hhmm(moment: dt.time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _periods(day: DayPattern) -> list[list[str]]:
    return [[_hhmm(r.start), _hhmm(r.end)] for r in day]


def calendar_rows(spec: CalendarSpec, mapped: MappedProject) -> CalendarRows:
    """The app rows of ``spec``: its week, and its exceptions and work weeks as day rows.

    Recurring exceptions become one row per occurrence and alternate work weeks one row per day
    that differs from the week, since the app's holidays recur only yearly.
    """
    base = calendar_rows(spec.base, mapped) if spec.base is not None else None
    hours = {str(d): _periods(day) for d, day in enumerate(spec.week) if day is not None}
    if base is None:
        hours = {str(d): hours.get(str(d), []) for d in range(7)}
    rows: list[tuple[str, dt.date, dt.date, tuple[tuple[str, str], ...]]] = []
    covered: set[dt.date] = set()
    for exc in spec.exceptions:
        times = tuple((a, b) for a, b in _periods(exc.working_times))
        name = (exc.name or "Exception")[:120]
        if exc.recurrence is None:
            rows.append((name, exc.start, exc.end, times))
            days = (exc.end - exc.start).days
            covered.update(exc.start + dt.timedelta(days=i) for i in range(min(days + 1, 4000)))
        else:
            for day in exc.dates():
                rows.append((name, day, day, times))
                covered.add(day)
        if len(rows) > MAX_HOLIDAY_ROWS:
            raise MappingError(
                f"The calendar {spec.name!r} has more than {MAX_HOLIDAY_ROWS:,} exception days."
            )
    for week in spec.work_weeks:
        day = week.start
        while day <= week.end:
            pattern = week.days[day.weekday()]
            default = spec.week[day.weekday()]
            if pattern is not None and pattern != default and day not in covered:
                rows.append(
                    (
                        (week.name or "Work week")[:120],
                        day,
                        day,
                        tuple((a, b) for a, b in _periods(pattern)),
                    )
                )
            day += dt.timedelta(days=1)
            if len(rows) > MAX_HOLIDAY_ROWS:
                raise MappingError(
                    f"The calendar {spec.name!r} has more than {MAX_HOLIDAY_ROWS:,} days "
                    "that differ from its week."
                )
    if spec.also is not None:
        mapped.note(f"Calendar {spec.name!r}: its intersection with another calendar is not kept")
    return CalendarRows(spec.name or "Imported", hours, tuple(rows), base)


def _weekly_share(spec: CalendarSpec) -> float:
    """The working share of a week of ``spec`` (days it leaves to its base read from there)."""
    seconds = sum(
        period.end_seconds - period.start_seconds
        for day in range(7)
        for period in spec.default_day(day)
    )
    return seconds / (7 * 24 * 3600) or 1.0


def _elapsed(seconds: int, mapped: MappedProject) -> int:
    """Elapsed (wall-clock) seconds as working seconds of the project calendar."""
    return round(seconds * mapped.elapsed_share)


def _elapsed_spans(plan: ep.Plan) -> dict[int, int]:
    """Working seconds of the project calendar inside each elapsed-duration task's span, as
    the file's own schedule places it (2 elapsed days from Monday 08:00 hold 16 h of work).
    Empty when the file has none, or its plan cannot be scheduled (the preview says why)."""
    elapsed = [i for i, t in enumerate(plan.tasks) if t.duration_elapsed and t.duration > 0]
    if not elapsed:
        return {}
    try:
        result = cpm.schedule(plan)
        calendar = compile_calendar(plan.calendars[plan.calendar])
        return {
            plan.tasks[i].uid: calendar.working_before(int(result.finish[i]))
            - calendar.working_before(int(result.start[i]))
            for i in elapsed
        }
    except (ValueError, IndexError, OverflowError):
        return {}


MAX_TASK_MINUTES = 2000 * 480
"""The longest task the app takes (2,000 days of 8 h: the task form's and the API's limit)."""


def _duration_minutes(
    task: ep.Task, label: str, mapped: MappedProject, spans: dict[int, int]
) -> int:
    seconds = task.duration
    if task.duration_elapsed:
        seconds = spans.get(task.uid, _elapsed(seconds, mapped))
        mapped.note(
            f"{label}: an elapsed duration of {task.duration / 86400:g} days is imported as "
            f"{seconds / 3600:g} h, the working time of the project calendar in those days "
            "(Twofold durations are working time)"
        )
        seconds -= seconds % 60
    if seconds < 0:
        raise MappingError(f"{label}: the duration is negative.")
    if seconds % 60:
        mapped.note(f"{label}: duration rounded to whole minutes")
    minutes = round(seconds / 60)
    if minutes > MAX_TASK_MINUTES:
        # The app's own limit (task page, API, People panel): longer, the task could be
        # imported but never saved from its page again.
        mapped.note(
            f"{label}: a duration of {minutes / MINUTES_PER_DAY:,.0f} days is more than the "
            f"{MAX_TASK_MINUTES // MINUTES_PER_DAY:,} days a task can have here: imported as "
            f"{MAX_TASK_MINUTES // MINUTES_PER_DAY:,} days"
        )
        minutes = MAX_TASK_MINUTES
    return minutes


def _lag(link: ep.Link, label: str, mapped: MappedProject) -> tuple[int, str]:
    if link.lag_kind is ep.LagKind.PERCENT:
        value, unit = link.lag, "%"
    else:
        lag = link.lag
        if link.lag_kind is ep.LagKind.ELAPSED:
            lag = _elapsed(lag, mapped)
            mapped.note(
                f"{label}: an elapsed lag of {link.lag / 86400:g} days is imported as the "
                "project calendar's share of working time in those days"
            )
        minutes = lag / 60
        if minutes % MINUTES_PER_DAY == 0:
            value, unit = int(minutes // MINUTES_PER_DAY), "d"
        elif abs(minutes) > MAX_LAG * 60:
            # Beyond 1000 hours only days are possible: 130 days and 1 hour is 130 days.
            value, unit = round(minutes / MINUTES_PER_DAY), "d"
            mapped.note(f"{label}: lag of {minutes / 60:g} h rounded to {value} days")
        else:
            value, unit = round(minutes / 60), "h"
            if minutes % 60:
                mapped.note(f"{label}: lag rounded to whole hours")
    if not -MAX_LAG <= value <= MAX_LAG:
        raise MappingError(f"{label}: the lag ({value} {unit}) is outside -{MAX_LAG}..{MAX_LAG}.")
    return value, unit


def _day(moment: dt.datetime | None) -> dt.date | None:
    return moment.date() if moment is not None else None


def _check_range(moment: dt.datetime | None, label: str) -> None:
    if moment is not None and not HORIZON_START <= moment.date() < HORIZON_END:
        raise MappingError(
            f"{label}: the date {moment:%Y-%m-%d} is outside the years the calendar covers "
            f"({HORIZON_START.year}–{HORIZON_END.year - 1})."
        )


def _task_row(
    task: ep.Task, level: int, mapped: MappedProject, summary: bool, spans: dict[int, int]
) -> TaskRow:
    label = f"Task {task.uid} “{task.name}”"
    name = (task.name or f"Task {task.uid}").strip() or f"Task {task.uid}"
    if len(name) > NAME_LENGTH:
        mapped.note(f"{label}: name shortened to {NAME_LENGTH} characters")
        name = name[:NAME_LENGTH]
    for moment in (task.constraint_date, task.actual_start, task.actual_finish, task.deadline):
        _check_range(moment, label)
    if task.manual:
        mapped.note(f"{label}: manually scheduled in the file; Twofold schedules it")
    if task.calendar is not None and not summary:
        mapped.note(f"{label}: its own calendar is not kept; it follows the project calendar")
    if task.split_seconds:
        mapped.note(f"{label}: split in the file; Twofold schedules it in one piece")
    if task.deadline is not None:
        mapped.note(f"{label}: the deadline is not kept")
    # A summary's dates follow its subtasks in Twofold (its constraint was refused there); the
    # reader gave a summary's "start no earlier than" to the subtasks it holds back.
    constraint, why = _CONSTRAINTS[ep.ConstraintType.ASAP if summary else task.constraint]
    if why and not summary:
        mapped.note(f"{label}: {why}")
    constraint_date = _day(task.constraint_date) if constraint != Constraint.ASAP else None
    if constraint != Constraint.ASAP and constraint_date is None:
        constraint = Constraint.ASAP
    if constraint_date is not None and task.constraint_date is not None:
        expected = scheduling.DAY_END if constraint == Constraint.FNLT else scheduling.DAY_START
        if task.constraint_date.time() != expected:
            mapped.note(
                f"{label}: the constraint's time {task.constraint_date:%H:%M} becomes "
                f"{expected:%H:%M} (Twofold constraints are on days)"
            )
    percent = max(0, min(100, round(task.percent_complete)))
    status = (
        TaskStatus.DONE
        if percent >= 100
        else (TaskStatus.DOING if percent > 0 else TaskStatus.TODO)
    )
    minutes = 0 if summary else _duration_minutes(task, label, mapped, spans)
    return TaskRow(
        uid=task.uid,
        name=name,
        parent_uid=task.parent,
        level=level,
        duration_minutes=minutes,
        is_milestone=not summary and minutes == 0,
        constraint_type=constraint,
        constraint_date=constraint_date,
        percent_complete=percent,
        status=status,
        actual_start=_day(task.actual_start),
        actual_finish=_day(task.actual_finish) if percent >= 100 else None,
    )


def map_document(document: MspdiDocument) -> MappedProject:
    """The rows ``document`` becomes, with notes on everything that changed on the way.

    Raises:
        MappingError: too many tasks, a task with too many predecessors, a lag or a date out of
            range; the message names the task.
    """
    plan = document.plan
    if len(plan.tasks) > MAX_TASKS:
        raise MappingError(f"The file has {len(plan.tasks):,} tasks; at most {MAX_TASKS:,}.")
    _check_range(plan.start, "The project start")
    mapped = MappedProject(
        name=(plan.name or "Imported project")[:160],
        start=plan.start.date(),
        tasks=[],
        links=[],
        calendar=CalendarRows("Standard", {}, ()),
        assignments=[],
    )
    if plan.status_date is not None:
        day = plan.status_date.date()
        if HORIZON_START <= day < HORIZON_END:
            mapped.status_date = day
        else:
            mapped.note(f"The status date {day.isoformat()} lies outside the calendars: left out")
    if plan.start.time() != scheduling.DAY_START:
        mapped.note(
            f"The project starts at {plan.start:%H:%M} in the file; Twofold projects start at "
            "the first working moment of their first day (a time of day is not kept)"
        )
    constrained = any(t.constraint is not ep.ConstraintType.ASAP for t in plan.tasks)
    if not plan.honor_constraints and constrained:
        mapped.note("The file does not honour constraints; Twofold always does")
    mapped.calendar = calendar_rows(plan.calendars[plan.calendar], mapped)
    mapped.elapsed_share = _weekly_share(plan.calendars[plan.calendar])
    # The task Project writes at outline level 0 (UID 0) is the project itself, not a task:
    # kept, it put every imported task under one summary named after the project.
    top = next(
        (i.uid for i in document.tasks if i.uid == 0 and i.outline_level == 0 and not i.is_null),
        None,
    )
    tasks = [
        t if t.parent != top or top is None else replace(t, parent=None)
        for t in plan.tasks
        if t.uid != top or top is None
    ]
    if top is not None and not plan.name:
        mapped.name = (next((t.name for t in plan.tasks if t.uid == top), "") or mapped.name)[:160]
    parents = {t.parent for t in tasks if t.parent is not None}
    levels: dict[int, int] = {}
    spans = _elapsed_spans(plan)
    flagged = {i.uid for i in document.tasks if i.milestone}
    for task in tasks:
        if task.uid in flagged and task.duration > 0 and task.uid not in parents:
            mapped.note(
                f"Task {task.uid} “{task.name}”: marked as a milestone with a duration in the "
                "file; imported as a task of that duration (a Twofold milestone has none)"
            )
        levels[task.uid] = 0 if task.parent is None else levels.get(task.parent, 0) + 1
        mapped.tasks.append(_task_row(task, levels[task.uid], mapped, task.uid in parents, spans))
    names = {t.uid: t.name for t in tasks}
    links = [link for link in plan.links if top is None or top not in (link.pred, link.succ)]
    if len(links) < len(plan.links):
        mapped.note(
            f"{len(plan.links) - len(links)} link(s) to the project summary task (UID {top}) "
            "are left out: it is the project, not a task"
        )
    predecessors = Counter(link.succ for link in links)
    for uid, count in predecessors.items():
        if count > MAX_PREDECESSORS:
            raise MappingError(
                f"Task {uid} “{names.get(uid, '')}” has {count:,} predecessors; "
                f"at most {MAX_PREDECESSORS} per task."
            )
    seen: set[tuple[int, int]] = set()
    for link in links:
        label = f"Link {link.pred} → {link.succ} (task “{names.get(link.succ, '')}”)"
        if (link.pred, link.succ) in seen:
            mapped.note(f"{label}: a second link between the same tasks is left out")
            continue
        seen.add((link.pred, link.succ))
        lag, unit = _lag(link, label, mapped)
        mapped.links.append(LinkRow(link.pred, link.succ, link.type.value, lag, unit))
    _map_assignments(document, mapped, parents | ({top} if top is not None else set()))
    return mapped


def _map_assignments(document: MspdiDocument, mapped: MappedProject, parents: set[int]) -> None:
    known = {t.uid for t in document.plan.tasks}
    work = {r.uid for r in document.resources if r.type == 1}
    seen: set[tuple[int, int]] = set()
    for a in document.assignments:
        if a.task_uid not in known or a.task_uid in parents or a.resource_uid not in work:
            continue
        if (a.task_uid, a.resource_uid) in seen:
            continue
        seen.add((a.task_uid, a.resource_uid))
        # Units held as 1 % to 1,000 % (1e308 overflowed to infinity: a 500).
        share = a.units if math.isfinite(a.units) else 1.0
        units = max(1, min(1000, round(min(max(share, 0.0), 10.0) * 100)))
        minutes = (
            round(min(a.work_seconds, 1e15) / 60)
            if math.isfinite(a.work_seconds) and a.work_seconds > 0
            else None
        )
        if minutes is not None and minutes > MAX_WORK_MINUTES:
            # The People panel's limit; beyond 2³¹ minutes PostgreSQL refused the whole import.
            mapped.note(
                f"Assignment of resource {a.resource_uid} to task {a.task_uid}: "
                f"{minutes / 60:,.0f} h of work is more than the {MAX_WORK_MINUTES // 60:,} h "
                "one person's work can hold here; its work is left to follow from the task"
            )
            minutes = None
        mapped.assignments.append(AssignmentRow(a.task_uid, a.resource_uid, units, minutes))
    if any(t.resource_spans for t in document.plan.tasks):
        mapped.note(
            "Tasks whose duration Project derives from resource calendars keep the duration "
            "stored in the file; Twofold schedules them on the project calendar"
        )


def calendar_spec(rows: CalendarRows) -> CalendarSpec:
    """The engine spec the ``calendars`` app builds from ``rows`` once they are saved."""
    calendars: list[Calendar] = []
    holidays: list[Holiday] = []
    for index, item in enumerate(rows.chain(), start=1):
        calendars.append(
            Calendar(pk=-index, name=item.name, hours=item.hours, base_id=-(index - 1) or None)
        )
        holidays.extend(
            Holiday(
                calendar_id=-index,
                name=name,
                start=start,
                end=end,
                hours=[list(p) for p in times],
            )
            for name, start, end, times in item.holidays
        )
    return build_specs(calendars, holidays)[-len(calendars)]


def app_plan(mapped: MappedProject, spec: CalendarSpec | None = None) -> ep.Plan:
    """The plan ``projects.scheduling`` builds from these rows once saved (uids are the file's)."""
    project = Project(name=mapped.name, target_start=mapped.start)
    # Light rows (a model instance costs ~10x more to build): what build_plan reads of a task.
    tasks = [
        scheduling.TaskRow(
            pk=row.uid,
            project_id=0,
            parent_id=row.parent_uid,
            position="",
            name=row.name,
            duration_minutes=row.duration_minutes,
            is_milestone=row.is_milestone,
            is_summary=False,
            constraint_type=row.constraint_type,
            constraint_date=row.constraint_date,
            actual_start=row.actual_start,
            actual_finish=row.actual_finish,
            percent_complete=row.percent_complete,
            total_float_minutes=0,
            is_critical=False,
            levelling_delay_minutes=0,
            start_s=None,
            finish_s=None,
        )
        for row in mapped.tasks
    ]
    links = [
        scheduling.LinkRow(link.pred_uid, link.succ_uid, link.type, link.lag, link.lag_unit)
        for link in mapped.links
    ]
    return scheduling.build_plan(
        project,
        tasks,  # type: ignore[arg-type]  # TaskRow has every field build_plan reads
        links,
        calendar=spec or calendar_spec(mapped.calendar),
    )
