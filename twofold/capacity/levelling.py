"""The adapter between a project's tasks and the levelling engine (no writes here).

The problem (see docs/capacity.md):

* one period is one working day of the project calendar; period 0 is the earliest current start
  of the project's tasks;
* each leaf task not yet started is an activity of ``ceil(duration / 8 h)`` periods, released at
  its current scheduled start (levelling only delays work); a "must start on" constraint is a
  fixed start and "finish no later than" a deadline, both hard;
* a task already started or done is fixed where it is, with no demand: it cannot move, but its
  days keep its assignee busy;
* each assignee is a renewable resource of capacity **one task at a time**; a day on which the
  person works on a task of another project (or on a started task of this one) has capacity 0,
  which is how one pool of people shows up here;
* availability (``capacity.availability``): a day the person is away for the whole day (an
  absence that is not a half day, or an organisation holiday) has capacity 0 too, so levelling
  never plans their task over their leave. What is *not* respected, because the problem's unit is
  one task per working day of the project calendar and a task runs on consecutive periods: a
  half day off and part-time hours (a 6 h day) still count as a whole period, and a weekday the
  person's pattern leaves at 0 h (a 4-day week) is not blocked (blocking every Friday would make
  any task longer than four days impossible to place). The capacity view shows those hours;
* links keep their type; a lag in days is that many periods, in hours ``ceil(h / 8)``, in percent
  of the predecessor's duration rounded. Links that touch a summary task are left to the
  project scheduler (applying only adds start-no-earlier-than constraints, which it respects).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twofold.capacity import availability
from twofold.capacity.models import AbsenceKind
from twofold.core import dates
from twofold.engine.calendars import Calendar, is_working_day
from twofold.engine.levelling import (
    DelayCause,
    InfeasibleProblemError,
    LevellingFailedError,
    LevellingResult,
    Method,
    check_feasible,
    level,
)
from twofold.engine.levelling_problem import (
    Activity,
    LevellingInputError,
    LevellingProblem,
    Link,
    LinkType,
    Resource,
)
from twofold.projects.dates import finish_day
from twofold.projects.models import MINUTES_PER_DAY, Constraint, Project, Task, TaskStatus
from twofold.projects.models import Link as TaskLink
from twofold.projects.scheduling import DAY_END, project_calendar, working_day
from twofold.projects.services import tz_of

HEURISTIC_SECONDS = 0.5
MAX_OPTIMISE_SECONDS = 30
HORIZON_SLACK_DAYS = 60

__all__ = [
    "Built",
    "LevellingFailedError",
    "Move",
    "Preview",
    "build",
    "fingerprint",
    "preview",
    "preview_as_json",
    "preview_from_json",
]

LevelProgress = Callable[[float, str], bool]
"""``progress(fraction_done, message) -> keep_going`` (a background job's reporter)."""


@dataclass
class Built:
    """The problem and how to map its periods and activities back to days and tasks."""

    project: Project
    problem: LevellingProblem
    tasks: list[Task]  # one per activity
    days: list[dt.date]  # period -> working day
    period_of: dict[dt.date, int]
    busy: dict[int, dict[int, list[str]]]  # person id -> period -> what keeps them busy
    people: dict[int, str]
    releases: list[int]
    version: str
    away: dict[int, dict[int, str]] = field(default_factory=dict)  # person -> period -> why
    calendar: Calendar | None = None  # the project's working time: its working days are periods


@dataclass(frozen=True)
class Move:
    task: Task
    start_before: dt.date
    start_after: dt.date
    finish_before: dt.date
    finish_after: dt.date
    delay_days: int
    reason: str


@dataclass
class Preview:
    project: Project
    moves: list[Move]
    version: str
    method: str
    finish_before: dt.date | None
    finish_after: dt.date | None
    all_rows: list[Move] = field(default_factory=list)
    error: str = ""
    stopped_early: bool = False  # cancelled: the best plan found until then

    @property
    def days_later(self) -> int:
        if self.finish_before is None or self.finish_after is None:
            return 0
        # On the project's calendar, as the moves themselves (holidays are no working days).
        calendar = project_calendar(self.project)
        return sum(
            1
            for i in range((self.finish_after - self.finish_before).days)
            if is_working_day(calendar, self.finish_before + dt.timedelta(days=i + 1))
        )


def _local(value: dt.datetime, tzinfo: dt.tzinfo) -> dt.date:
    return value.astimezone(tzinfo).date()


def _working_days(first: dt.date, count: int, calendar: Calendar | None = None) -> list[dt.date]:
    """``count`` working days of ``calendar`` (the project's; its holidays are no periods at
    all, so a task spans them as the scheduler does) from ``first`` on."""
    days: list[dt.date] = []
    day = first
    while len(days) < count:
        if is_working_day(calendar, day) if calendar is not None else working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _period_on_or_after(period_of: dict[dt.date, int], days: list[dt.date], day: dt.date) -> int:
    if day <= days[0]:
        return 0
    probe = day
    while probe not in period_of:
        probe += dt.timedelta(days=1)
        if probe > days[-1]:
            return len(days) - 1
    return period_of[probe]


def _start_day(value: dt.datetime, tzinfo: dt.tzinfo) -> dt.date:
    """The working day a start falls in: a start at the end of a day is the next day's."""
    moment = value.astimezone(tzinfo)
    day = moment.date()
    return day + dt.timedelta(days=1) if moment.time() >= DAY_END else day


def _periods(minutes: int) -> int:
    return max(0, math.ceil(minutes / MINUTES_PER_DAY))


def fingerprint(tasks: list[Task], links: list[TaskLink], project: Project) -> str:
    """Changes whenever the project, a task or a link changes: a preview is for this version."""
    parts = [f"p{project.pk}:{project.version}"]
    parts += [f"t{t.pk}:{t.version}:{t.start}:{t.finish}" for t in tasks]
    parts += [f"l{x.pk}:{x.pred_id}:{x.succ_id}:{x.type}:{x.lag}{x.lag_unit}" for x in links]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def _link_lag(link: TaskLink, pred_duration: int) -> int:
    if link.lag_unit == "%":
        return round(link.lag * pred_duration / 100)
    if link.lag_unit == "h":
        sign = -1 if link.lag < 0 else 1
        return sign * math.ceil(abs(link.lag) * 60 / MINUTES_PER_DAY)
    return link.lag


def build(project: Project) -> Built:
    """The levelling problem of ``project`` as it is now (a constant number of queries)."""
    tzinfo = tz_of(project.organisation)
    every = list(
        Task.objects.filter(project=project).select_related("assignee").order_by("position")
    )
    links = list(TaskLink.objects.filter(project=project).order_by("pk"))
    version = fingerprint(every, links, project)
    parents = {t.parent_id for t in every if t.parent_id}
    tasks = [t for t in every if t.pk not in parents and t.start and t.finish]
    if not tasks:
        first_day = project.target_start
    else:
        first_day = min(_start_day(t.start, tzinfo) for t in tasks if t.start)
    total = sum(_periods(t.duration_minutes) for t in tasks)
    last_finish = max((_local(t.finish, tzinfo) for t in tasks if t.finish), default=first_day)
    span = (last_finish - first_day).days + 1
    calendar = project_calendar(project)
    days = _working_days(first_day, span + total + HORIZON_SLACK_DAYS, calendar)
    period_of = {d: i for i, d in enumerate(days)}
    horizon = len(days)

    people: dict[int, str] = {}
    for t in tasks:
        if t.assignee_id and t.assignee is not None:
            people[t.assignee_id] = t.assignee.display_name
    person_ids = sorted(people)
    busy: dict[int, dict[int, list[str]]] = {p: defaultdict(list) for p in person_ids}

    def occupy(person: int, a: dt.date, b: dt.date, label: str) -> None:
        day = max(a, first_day)
        while day <= b and day <= days[-1]:
            if day in period_of:
                busy[person][period_of[day]].append(label)
            day += dt.timedelta(days=1)

    # Other projects' work of the same people, from the first day of this problem.
    others = (
        Task.objects.filter(
            organisation_id=project.organisation_id,
            assignee_id__in=person_ids,
            is_summary=False,
            is_milestone=False,
            finish__date__gte=first_day,
            start__date__lte=days[-1],
        )
        .exclude(project=project)
        .exclude(status=TaskStatus.DONE)
        .values_list("assignee_id", "name", "start", "finish", "duration_minutes")
    )
    for person, name, start, finish, minutes in others:
        if minutes and start and finish:
            occupy(person, _local(start, tzinfo), _local(finish, tzinfo), name)

    activities: list[Activity] = []
    index: dict[int, int] = {}
    releases: list[int] = []
    started: list[bool] = []
    for t in tasks:
        assert t.start is not None and t.finish is not None
        start_day, finish_day = _start_day(t.start, tzinfo), _local(t.finish, tzinfo)
        start_period = _period_on_or_after(period_of, days, start_day)
        is_started = t.actual_start is not None or t.status == TaskStatus.DONE
        if t.is_milestone:
            duration = 0
        elif is_started:
            finish_period = _period_on_or_after(period_of, days, finish_day)
            duration = max(1, finish_period - start_period + 1)
            if finish_day < start_day:
                duration = 1
        else:
            duration = max(1, _periods(t.duration_minutes))
        if is_started and t.assignee_id and not t.is_milestone:
            occupy(t.assignee_id, start_day, finish_day, t.name)
        demands = tuple(
            1 if (p == t.assignee_id and duration > 0 and not is_started) else 0 for p in person_ids
        )
        fixed = start_period if is_started else None
        deadline = None
        if not is_started and t.constraint_date is not None:
            if t.constraint_type == Constraint.MSO:
                fixed = _period_on_or_after(period_of, days, t.constraint_date)
            elif t.constraint_type == Constraint.FNLT:
                deadline = _period_on_or_after(period_of, days, t.constraint_date) + 1
                deadline = max(deadline, start_period + duration)
        index[t.pk] = len(activities)
        releases.append(start_period)
        started.append(is_started)
        activities.append(
            Activity(
                name=t.name,
                duration=duration,
                demands=demands,
                priority={"urgent": 3, "high": 2, "normal": 1, "low": 0}.get(t.priority, 1),
                release=start_period,
                deadline=deadline,
                fixed_start=fixed,
            )
        )
    engine_links = []
    for link in links:
        if link.pred_id not in index or link.succ_id not in index:
            continue
        if started[index[link.pred_id]] or started[index[link.succ_id]]:
            # A started task is fixed where it is: the link is already in the successor's
            # release (its current start), and actual progress may not follow the link.
            continue
        pred = index[link.pred_id]
        engine_links.append(
            Link(
                predecessor=pred,
                successor=index[link.succ_id],
                type=LinkType(link.type),
                lag=_link_lag(link, activities[pred].duration),
            )
        )
    away = _away(project, person_ids, days, period_of)
    resources = []
    for person in person_ids:
        off = away.get(person, {})
        capacity = (
            *tuple(0 if busy[person].get(p) or p in off else 1 for p in range(horizon)),
            1,
        )
        resources.append(Resource(name=people[person], capacity=capacity))
    problem = LevellingProblem(
        activities=tuple(activities), resources=tuple(resources), links=tuple(engine_links)
    )
    if any(away.values()):
        # Availability is part of the problem: a new absence makes an older preview stale.
        marks = "|".join(f"{p}:{sorted(away[p])}" for p in sorted(away))
        version = hashlib.sha256(f"{version}|{marks}".encode()).hexdigest()[:20]
    return Built(
        project, problem, tasks, days, period_of, busy, people, releases, version, away, calendar
    )


def _away(
    project: Project, person_ids: list[int], days: list[dt.date], period_of: dict[dt.date, int]
) -> dict[int, dict[int, str]]:
    """Per person, the periods they are away for the whole day, and why (two queries)."""
    if not person_ids:
        return {}
    free = availability.availability(project.organisation, person_ids, days[0], days[-1])
    out: dict[int, dict[int, str]] = {}
    labels = dict(AbsenceKind.choices)
    for person in person_ids:
        daily = free.of(person)
        why: dict[dt.date, str] = {}
        for a in free.absences.get(person, []):
            if a.half_day:
                continue
            for i in range(a.calendar_days):
                why[a.start + dt.timedelta(days=i)] = str(labels.get(a.kind, a.kind)).lower()
        marks: dict[int, str] = {}
        for day, period in period_of.items():
            if daily.available[(day - daily.start).days] > 0:
                continue
            if day in free.holidays:
                marks[period] = "public holiday"
            elif day in why:
                marks[period] = why[day]
        out[person] = marks
    return out


def _day(built: Built, period: int) -> dt.date:
    if period < len(built.days):
        return built.days[period]
    extra = _working_days(
        built.days[-1] + dt.timedelta(days=1), period - len(built.days) + 1, built.calendar
    )
    return extra[-1]


def _finish_day(built: Built, start: int, duration: int, *, at_day_end: bool = False) -> dt.date:
    """The day the work ends. A zero-duration item released at the end of a day (a milestone at
    17:00, which ``_start_day`` counts from the next day) shows on that day, as on the project
    pages (``projects.dates.finish_day``)."""
    if duration <= 0:
        return _day(built, max(start - 1, 0) if at_day_end else start)
    return _day(built, start + duration - 1)


def _reason(built: Built, result: LevellingResult, i: int) -> str:
    reason = result.reasons[i]
    problem = built.problem
    if reason.cause == DelayCause.PREDECESSOR and reason.predecessor is not None:
        pred = problem.activities[reason.predecessor]
        return f"Follows '{pred.name}', which moves {result.delays[reason.predecessor]} d"
    task = built.tasks[i]
    person = task.assignee_id
    if person is None or person not in built.people:
        return reason.message or "Placed after work that levelling put first"
    name = built.people[person]
    original = built.releases[i]
    duration = max(problem.activities[i].duration, 1)
    for period in range(original, original + duration):
        why = built.away.get(person, {}).get(period)
        if why:
            return f"Waits for {name}, away on {dates.format_day_short(built.days[period])} ({why})"
        for other, activity in enumerate(problem.activities):
            if other == i or built.tasks[other].assignee_id != person:
                continue
            if result.starts[other] <= period < result.starts[other] + activity.duration:
                return f"Waits for {name}, busy on '{activity.name}'"
        labels = built.busy.get(person, {}).get(period)
        if labels:
            return f"Waits for {name}, busy on '{labels[0]}'"
    return f"Waits for {name}"


def _engine_takes_progress() -> bool:
    # The engine's progress hook is newer than this adapter: without it a run cannot be
    # stopped midway, and the job reports only its start and end.
    return "progress" in inspect.signature(level).parameters


def _best_label(built: Built, best: int | None) -> str:
    if not best:
        return "Looking for a first plan…"
    return (
        f"Best plan so far finishes {dates.format_day(_day(built, best - 1), weekday=True)} "
        f"({best} working day{'s' if best != 1 else ''})"
    )


def preview(
    project: Project,
    *,
    method: Method = "heuristic",
    seconds: float = HEURISTIC_SECONDS,
    progress: LevelProgress | None = None,
) -> Preview:
    """Level ``project`` and say which tasks would move, by how much and why.

    With ``progress`` (a background job), the optimiser reports the best finish found so far
    a few times a second; when ``progress`` answers False it stops and the preview is of the
    best plan found until then (``stopped_early``; still feasible).
    """
    built = build(project)
    tzinfo = tz_of(project.organisation)
    # The project pages' end-of-day convention (a finish at 08:00 belongs to the day before).
    finish_before = max(
        (
            day
            for t in built.tasks
            if (day := finish_day(t.finish, tzinfo, start=t.start)) is not None
        ),
        default=None,
    )
    if not built.tasks:
        return Preview(project, [], built.version, method, None, None)
    stopped = False

    def report(fraction: float, best: int | None) -> bool:
        nonlocal stopped
        assert progress is not None
        keep = bool(progress(fraction, _best_label(built, best)))
        stopped = stopped or not keep
        return keep

    try:
        if method == "optimise":
            extra: dict[str, Any] = {}
            quick = False
            if progress is not None:
                if _engine_takes_progress():
                    extra["progress"] = report
                # Cancelled before it began: with no way to stop the engine midway, the quick
                # method's plan is the best there is to show.
                quick = not report(0.0, None) and "progress" not in extra
            result = level(
                built.problem,
                method="heuristic" if quick else "optimise",
                time_limit_s=HEURISTIC_SECONDS if quick else seconds,
                seed=0,
                **extra,
            )
        else:
            result = level(
                built.problem,
                method="heuristic",
                time_limit_s=seconds,
                seed=0,
                schedule_budget=200,
            )
    except (LevellingFailedError, InfeasibleProblemError, LevellingInputError) as exc:
        return Preview(
            project,
            [],
            built.version,
            method,
            finish_before,
            finish_before,
            error=f"Levelling found no plan that keeps every hard constraint: {exc}.",
            stopped_early=stopped,
        )
    rows: list[Move] = []
    for i, task in enumerate(built.tasks):
        activity = built.problem.activities[i]
        before, after = built.releases[i], result.starts[i]
        end = bool(
            task.finish
            and (day := finish_day(task.finish, tzinfo, start=task.start)) is not None
            and day < _day(built, before)
        )
        delay = after - before
        rows.append(
            Move(
                task=task,
                start_before=_day(built, before),
                start_after=_day(built, after),
                finish_before=_finish_day(built, before, activity.duration, at_day_end=end),
                finish_after=_finish_day(built, after, activity.duration, at_day_end=end),
                delay_days=delay,
                reason=_reason(built, result, i) if delay > 0 else "",
            )
        )
    moves = [r for r in rows if r.delay_days > 0]
    finish_after = max([r.finish_after for r in rows] + ([finish_before] if finish_before else []))
    return Preview(
        project,
        moves,
        built.version,
        result.method,
        finish_before,
        finish_after if moves else finish_before,
        all_rows=rows,
        stopped_early=stopped,
    )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def preview_as_json(preview: Preview) -> dict[str, Any]:
    """The preview as a job stores it (the same fields as the API's preview)."""
    return {
        "version": preview.version,
        "method": preview.method,
        "finish_before": _iso(preview.finish_before),
        "finish_after": _iso(preview.finish_after),
        "error": preview.error,
        "stopped_early": preview.stopped_early,
        "moves": [
            {
                "task_id": m.task.pk,
                "name": m.task.name,
                "assignee": m.task.assignee.display_name if m.task.assignee else None,
                "start_before": m.start_before.isoformat(),
                "start_after": m.start_after.isoformat(),
                "finish_before": m.finish_before.isoformat(),
                "finish_after": m.finish_after.isoformat(),
                "delay_days": m.delay_days,
                "reason": m.reason,
            }
            for m in preview.moves
        ],
    }


def preview_from_json(project: Project, data: dict[str, Any]) -> Preview:
    """A stored preview back, with its tasks (one query); moves of deleted tasks are dropped.

    Applying it still checks the version: if the project changed, applying answers Conflict.
    """
    rows = data.get("moves") or []
    tasks = Task.objects.filter(project=project, pk__in=[r["task_id"] for r in rows])
    by_id = {t.pk: t for t in tasks.select_related("assignee")}
    day = dt.date.fromisoformat
    moves = [
        Move(
            task=by_id[r["task_id"]],
            start_before=day(r["start_before"]),
            start_after=day(r["start_after"]),
            finish_before=day(r["finish_before"]),
            finish_after=day(r["finish_after"]),
            delay_days=int(r["delay_days"]),
            reason=str(r["reason"]),
        )
        for r in rows
        if r["task_id"] in by_id
    ]
    return Preview(
        project,
        moves,
        str(data.get("version", "")),
        str(data.get("method", "optimise")),
        day(data["finish_before"]) if data.get("finish_before") else None,
        day(data["finish_after"]) if data.get("finish_after") else None,
        error=str(data.get("error", "")),
        stopped_early=bool(data.get("stopped_early")),
    )


def check_moves(built: Built, moves: dict[int, dt.date]) -> list[str]:
    """Problems with moving tasks to ``moves`` (task id -> new start day); empty when feasible."""
    starts = list(built.releases)
    by_task = {t.pk: i for i, t in enumerate(built.tasks)}
    problems = []
    for task_id, day in moves.items():
        if task_id not in by_task:
            problems.append(f"Task {task_id} is not a task of this project that can move.")
            continue
        if day not in built.period_of:
            problems.append(f"{dates.format_day(day)} is not a working day in the plan's range.")
            continue
        starts[by_task[task_id]] = built.period_of[day]
    if problems:
        return problems
    return [v.message for v in check_feasible(built.problem, starts)]
