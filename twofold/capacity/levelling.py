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
  any task longer than four days impossible to place). The capacity view shows those hours.
  A task of someone with no working hours from its start to the end of the window (a pattern
  of 0 h) is not levelled at all: the preview's error names them (``Built.without_hours``);
* links keep their type; a lag in days is that many periods, in hours ``ceil(h / 8)``, in percent
  of the predecessor's duration rounded. Links that touch a summary task are left to the
  project scheduler (applying only adds levelling delays, which it respects).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import inspect
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Prefetch

from twofold.capacity import demand
from twofold.capacity.models import Absence, AbsenceKind
from twofold.core import dates
from twofold.engine.calendars import Calendar, CalendarRangeError, is_working_day
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
from twofold.projects.models import (
    MINUTES_PER_DAY,
    Assignment,
    Constraint,
    Phase,
    Project,
    Task,
    TaskStatus,
)
from twofold.projects.models import Link as TaskLink
from twofold.projects.scheduling import DayBounds, project_calendar, working_day
from twofold.projects.services import tz_of

HEURISTIC_SECONDS = 0.5
SCALE = 4
"""Capacity units per hour: people's hours are levelled in quarter hours."""
BASE_SHARE = 0.75
"""A person's regular free day is the smallest free day of at least 3/4 of the median: a task at
100 % asks that much each day, so a lighter week (a holiday's routines moved in) still fits."""
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
    model: demand.Model | None = None  # the capacity model of the people, over the days
    shares: dict[int, list[tuple[int, float]]] = field(default_factory=dict)  # task -> people
    capacity: dict[int, Any] = field(default_factory=dict)  # person -> free hours per period
    later: list[dt.date] = field(default_factory=list)  # working days after ``days``, as needed
    items_of: dict[int, list[demand.Item]] = field(default_factory=dict)  # person -> model items
    # Activity -> the people on it with no working hours from where it may start to the end of
    # the days (a pattern of 0 h, someone who has left): levelling has nowhere to put it.
    without_hours: dict[int, list[int]] = field(default_factory=dict)


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


def _working_days(
    first: dt.date, count: int, calendar: Calendar | None = None, *, strict: bool = True
) -> list[dt.date]:
    """``count`` working days of ``calendar`` (the project's; its holidays are no periods at
    all, so a task spans them as the scheduler does) from ``first`` on.

    Raises:
        LevellingInputError: ``strict`` and the days run past the calendars' last day (a plan
            late in 2149, or someone away until then; it answered 500). Not ``strict`` (days
            only shown), the weekdays go on past it.
    """
    days: list[dt.date] = []
    day = first
    while len(days) < count:
        try:
            working = is_working_day(calendar, day) if calendar is not None else working_day(day)
        except CalendarRangeError as exc:
            if strict:
                last = dates.format_day(day - dt.timedelta(days=1))
                raise LevellingInputError(
                    f"it would need working days after {last}, the last day the calendars cover"
                ) from exc
            working = day.weekday() < 5
        if working:
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


def _start_day(value: dt.datetime, tzinfo: dt.tzinfo, bounds: DayBounds) -> dt.date:
    """The working day a start falls in: a start at the end of a day's working time on the
    project's calendar (``bounds``) is the next day's. At 17:00 on every calendar, a task
    starting 17:00 on a 09:00-18:00 one was levelled from the next day."""
    moment = value.astimezone(tzinfo)
    day = moment.date()
    end = bounds(day)[1]
    return day + dt.timedelta(days=1) if moment.replace(tzinfo=None) >= end else day


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


def _leaves_under(every: list[Task]) -> dict[int, list[int]]:
    """Per summary task id: the ids of the leaf tasks under it, at any depth."""
    children: dict[int, list[int]] = defaultdict(list)
    for task in every:
        if task.parent_id:
            children[task.parent_id].append(task.pk)
    out: dict[int, list[int]] = {}
    for summary in children:
        leaves, stack, seen = [], [summary], {summary}
        while stack:
            for child in children.get(stack.pop(), []):
                if child in seen:
                    continue
                seen.add(child)
                if child in children:
                    stack.append(child)
                else:
                    leaves.append(child)
        out[summary] = leaves
    return out


def build(project: Project) -> Built:
    """The levelling problem of ``project`` as it is now (a constant number of queries)."""
    tzinfo = tz_of(project.organisation)
    every: list[Task] = list(
        Task.objects.filter(project=project)
        .select_related("assignee")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("person"),
                to_attr="levelling_assignments",
            )
        )
        .order_by("position")
    )
    links = list(TaskLink.objects.filter(project=project).order_by("pk"))
    version = fingerprint(every, links, project)
    parents = {t.parent_id for t in every if t.parent_id}
    tasks = [t for t in every if t.pk not in parents and t.start and t.finish]
    calendar = project_calendar(project)
    bounds = DayBounds(calendar)
    if not tasks:
        first_day = project.target_start
    else:
        first_day = min(_start_day(t.start, tzinfo, bounds) for t in tasks if t.start)
    total = sum(_periods(t.duration_minutes) for t in tasks)
    last_finish = max((_local(t.finish, tzinfo) for t in tasks if t.finish), default=first_day)
    span = (last_finish - first_day).days + 1
    days = _working_days(first_day, span + total + HORIZON_SLACK_DAYS, calendar)
    period_of = {d: i for i, d in enumerate(days)}
    horizon = len(days)

    people: dict[int, str] = {}
    shares: dict[int, list[tuple[int, float]]] = {}  # task id -> (person, hours on the task)
    for t in tasks:
        shares[t.pk] = task_people(t)
        for assignment in getattr(t, "levelling_assignments", ()):
            people[assignment.person_id] = assignment.person.display_name
        if t.assignee_id and t.assignee is not None:
            people.setdefault(t.assignee_id, t.assignee.display_name)
    person_ids = sorted(people)
    # The window reaches past the last absence of anyone on the plan: beyond the window every
    # person counts as free, so a task of someone away for longer than the window was planned
    # inside the absence, and the preview could not be applied (its day was "not a working day
    # in the plan's range").
    away_until = (
        Absence.objects.filter(
            organisation_id=project.organisation_id, person_id__in=person_ids, end__gte=days[-1]
        )
        .order_by("-end")
        .values_list("end", flat=True)
        .first()
        if days and person_ids
        else None
    )
    if away_until is not None:
        days = _working_days(first_day, (away_until - first_day).days + 1 + total + 10, calendar)
        period_of = {d: i for i, d in enumerate(days)}
        horizon = len(days)
    busy: dict[int, dict[int, list[str]]] = {p: defaultdict(list) for p in person_ids}
    model = demand.load_model(
        project.organisation,
        person_ids,
        days[0],
        (days[-1] - days[0]).days + 1,
        # Other projects' work keeps people busy; proposals (initiation) are not committed yet.
        projects=demand.Filter(
            exclude_project=project.pk,
            exclude_phases=() if project.phase == Phase.INITIATION else (Phase.INITIATION,),
        ),
        keep_items=True,
    )
    row = model.index
    items_of = _items_by_person(model)
    offsets = np.asarray([(d - days[0]).days for d in days], dtype=np.int64)

    activities: list[Activity] = []
    index: dict[int, int] = {}
    releases: list[int] = []
    started: list[bool] = []
    started_hours: dict[int, np.ndarray] = {p: np.zeros(horizon) for p in person_ids}
    durations: list[int] = []
    for t in tasks:
        assert t.start is not None and t.finish is not None
        start_day, finish_day = _start_day(t.start, tzinfo, bounds), _local(t.finish, tzinfo)
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
        if is_started and not t.is_milestone and t.status != TaskStatus.DONE:
            # A started task is fixed where it is; its hours keep its people busy.
            for person, hours in shares[t.pk]:
                per = hours / duration
                for period in range(start_period, min(start_period + duration, horizon)):
                    started_hours[person][period] += per
                    busy[person][period].append(t.name)
        durations.append(duration)
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
                demands=(),
                priority={"urgent": 3, "high": 2, "normal": 1, "low": 0}.get(t.priority, 1),
                release=start_period,
                deadline=deadline,
                fixed_start=fixed,
            )
        )
    # Each person's hours per period: what is left of the day after operations (averaged over
    # the week: routines, request work and reservations come out of the week's hours), after
    # their other projects' work that day and this project's started tasks. A whole day away
    # (absence, holiday) is 0.
    away = _away(project, person_ids, days, period_of, model)
    capacities: dict[int, np.ndarray] = {}
    base: dict[int, float] = {}
    for person in person_ids:
        r = row[person]
        available = model.available[r]
        after_ops = _weekly_spread(available - model.operational[r], available, days[0])
        day_free = after_ops[offsets]
        off = away.get(person, {})
        on = np.asarray([p not in off for p in range(horizon)])
        regular = day_free[on & (day_free > 0)]
        typical = float(np.median(regular)) if regular.size else 0.0
        base[person] = max(
            float(regular[regular >= typical * BASE_SHARE].min()) if regular.size else 0.0,
            1 / SCALE,
        )
        # A weekday the person's pattern leaves at 0 h (not a holiday, not an absence) in a week
        # they work is crossed at their regular free day: a period is a working day of the
        # project and a task runs on consecutive periods, so blocking it would leave a task
        # longer than their working week nowhere to go but past the horizon. A week without
        # any hours (a pattern of 0 h throughout) stays blocked.
        works_that_week = _week_total(available, days[0])[offsets] > 0
        crossed = on & (available[offsets] <= 0) & works_that_week
        day_free = np.where(crossed, base[person], day_free)
        other = model.project[r][offsets] + started_hours[person]
        for p in np.flatnonzero(model.project[r][offsets] > 0):
            for item in _items_on(items_of[person], days[p], demand.Source.PROJECT):
                busy[person][int(p)].append(item.name)
        capacities[person] = np.where(on, np.maximum(day_free - other, 0.0), 0.0)
    # Beyond the days every person counts as free at their regular day (the capacity's tail),
    # and a person without a working hour gets a floor of a quarter hour there: their task
    # went past the days, weeks later, on hours they do not have. Such a task is named instead.
    last_hours: dict[int, int] = {}  # person -> their last period with working hours, or -1
    for person in person_ids:
        working = np.flatnonzero(model.available[row[person]][offsets] > 0)
        last_hours[person] = int(working[-1]) if working.size else -1
    without_hours: dict[int, list[int]] = {}
    for i, (t, activity) in enumerate(zip(tasks, activities, strict=True)):
        if activity.duration <= 0 or started[i]:
            continue
        begin = activity.fixed_start if activity.fixed_start is not None else activity.release
        lacking = [p for p, hours in shares[t.pk] if hours > 0 and last_hours[p] < begin]
        if lacking:
            without_hours[i] = sorted(set(lacking))
    final = []
    for i, (t, activity) in enumerate(zip(tasks, activities, strict=True)):
        needs = dict.fromkeys(person_ids, 0)
        if activity.duration > 0 and not started[i]:
            for person, hours in shares[t.pk]:
                per_day = hours / activity.duration
                # At most the person's regular free day: a task cannot ask more of them.
                needs[person] += min(
                    math.ceil(per_day * SCALE - 1e-6), math.floor(base[person] * SCALE + 1e-6)
                )
        final.append(
            Activity(
                name=activity.name,
                duration=activity.duration,
                demands=tuple(needs[p] for p in person_ids),
                priority=activity.priority,
                release=activity.release,
                deadline=activity.deadline,
                fixed_start=activity.fixed_start,
            )
        )
    activities = final
    engine_links = []
    leaves_of = _leaves_under(every)
    for link in links:
        # A link into or out of a summary holds its leaf tasks, as the scheduler's summary
        # nodes do (such links were dropped: levelling moved a summary's predecessor and left
        # its subtask in place, and applying it put the subtask on a clash). Only where one
        # link per leaf says the same: a summary's finish is its last leaf's (FS, FF out of
        # it), its start its first leaf's (FS, SS into it).
        preds = leaves_of.get(link.pred_id)
        succs = leaves_of.get(link.succ_id)
        if (preds is not None and link.type not in ("FS", "FF")) or (
            succs is not None and link.type not in ("FS", "SS")
        ):
            continue
        for pred_id in preds if preds is not None else [link.pred_id]:
            for succ_id in succs if succs is not None else [link.succ_id]:
                if pred_id not in index or succ_id not in index:
                    continue
                if started[index[pred_id]] or started[index[succ_id]]:
                    # A started task is fixed where it is: the link is already in the
                    # successor's release (its current start), and actual progress may not
                    # follow the link.
                    continue
                pred = index[pred_id]
                engine_links.append(
                    Link(
                        predecessor=pred,
                        successor=index[succ_id],
                        type=LinkType(link.type),
                        # A summary has no duration of its own for a "% of it" lag.
                        lag=_link_lag(link, 0 if preds is not None else activities[pred].duration),
                    )
                )
    resources = []
    for person in person_ids:
        units = np.floor(capacities[person] * SCALE + 1e-6).astype(int)
        tail = math.floor(base[person] * SCALE + 1e-6)
        resources.append(Resource(name=people[person], capacity=(*units.tolist(), tail)))
    problem = LevellingProblem(
        activities=tuple(activities), resources=tuple(resources), links=tuple(engine_links)
    )
    # Availability and operations are part of the problem: a change makes an older preview stale.
    marks = "|".join(f"{p}:{resources[i].capacity}" for i, p in enumerate(person_ids))
    version = hashlib.sha256(f"{version}|{marks}".encode()).hexdigest()[:20]
    return Built(
        project,
        problem,
        tasks,
        days,
        period_of,
        busy,
        people,
        releases,
        version,
        away,
        calendar,
        model=model,
        shares=shares,
        capacity={p: capacities[p] for p in person_ids},
        items_of=items_of,
        without_hours=without_hours,
    )


def task_people(task: Task) -> list[tuple[int, float]]:
    """(person, hours of work on ``task``) for each of its people: the assignments, or the
    assignee alone (the capacity model's rule, ``capacity.demand``)."""
    # ``build`` prefetches them as a list (a related manager's ``all()`` clones a query per
    # task: a second on 2,000 tasks).
    prefetched = getattr(task, "levelling_assignments", None)
    rows = list(task.assignments.all()) if prefetched is None else prefetched
    if not rows:
        if task.assignee_id is None:
            return []
        return [(task.assignee_id, (task.effort_minutes or task.duration_minutes) / 60)]
    total = sum(a.units for a in rows) or 1
    out = []
    for a in rows:
        if a.work_minutes is not None:
            minutes = float(a.work_minutes)
        elif task.effort_minutes:
            minutes = task.effort_minutes * a.units / total
        else:
            minutes = task.duration_minutes * a.units / 100
        out.append((a.person_id, minutes / 60))
    return out


def _week_total(values: np.ndarray, start: dt.date) -> np.ndarray:
    """Per day, the sum of ``values`` over its week (weeks from ``start``'s Monday)."""
    lead = start.weekday()
    days = len(values)
    weeks = -(-(days + lead) // 7)
    flat = np.zeros(weeks * 7)
    flat[lead : lead + days] = values
    totals = np.repeat(flat.reshape(weeks, 7).sum(axis=1), 7)
    return totals[lead : lead + days]


def _weekly_spread(free: np.ndarray, available: np.ndarray, start: dt.date) -> np.ndarray:
    """``free`` per day, each week's total spread evenly over the days the person is available
    that week (weeks from ``start``'s Monday); 0 on days without availability."""
    on = available > 0
    count = np.maximum(_week_total(on.astype(np.float64), start), 1)
    return np.where(on, np.maximum(_week_total(free, start), 0.0) / count, 0.0)


def _items_on(
    items: list[demand.Item], day: dt.date, source: demand.Source | None = None
) -> list[demand.Item]:
    """The ``items`` (one person's, see :func:`_items_by_person`) on ``day``."""
    return [x for x in items if x.first <= day <= x.last and (source is None or x.source is source)]


def _items_by_person(model: demand.Model) -> dict[int, list[demand.Item]]:
    out: dict[int, list[demand.Item]] = defaultdict(list)
    for item in model.items:
        out[item.person_id].append(item)
    return out


def _away(
    project: Project,
    person_ids: list[int],
    days: list[dt.date],
    period_of: dict[dt.date, int],
    model: demand.Model,
) -> dict[int, dict[int, str]]:
    """Per person, the periods they are away for the whole day, and why (no query)."""
    free = model.free
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
    # Past the problem's days: more working days, computed once for every later call.
    later = built.later
    if period - len(built.days) >= len(later):
        last = later[-1] if later else built.days[-1]
        more = period - len(built.days) + 1 - len(later)
        later += _working_days(
            last + dt.timedelta(days=1), max(more, 64), built.calendar, strict=False
        )
    return later[period - len(built.days)]


def _finish_day(built: Built, start: int, duration: int, *, at_day_end: bool = False) -> dt.date:
    """The day the work ends. A zero-duration item released at the end of a day (a milestone at
    17:00, which ``_start_day`` counts from the next day) shows on that day, as on the project
    pages (``projects.dates.finish_day``)."""
    if duration <= 0:
        return _day(built, max(start - 1, 0) if at_day_end else start)
    return _day(built, start + duration - 1)


def _until(day: dt.date) -> str:
    return dates.format_day_short(day, weekday=True)


class _Clashes:
    """Per person, in which periods of the levelled plan something keeps them from a task:
    away, another task of the plan, or other work (computed once per preview)."""

    def __init__(self, built: Built, result: LevellingResult) -> None:
        problem = built.problem
        self.length = max(result.makespan, len(built.days)) + 1
        self.users: dict[int, list[int]] = {}
        self.blocked: dict[int, np.ndarray] = {}
        self.running: dict[int, np.ndarray] = {}
        for k, person in enumerate(sorted(built.people)):
            running = np.zeros(self.length + 1, dtype=np.int64)
            users = []
            for other, activity in enumerate(problem.activities):
                if activity.duration and activity.demands and activity.demands[k]:
                    users.append(other)
                    running[result.starts[other]] += 1
                    running[result.starts[other] + activity.duration] -= 1
            count = np.cumsum(running)[: self.length]
            other_work = np.zeros(self.length, dtype=bool)
            for period in built.away.get(person, {}):
                other_work[period] = True
            for period, labels in built.busy.get(person, {}).items():
                if labels:
                    other_work[period] = True
            self.users[person] = users
            self.running[person] = count
            self.blocked[person] = other_work

    def first(self, people: list[int], i: int, begin: int, end: int, own: range) -> int | None:
        """The first period in ``begin .. end - 1`` where one of ``people`` is kept from task
        ``i`` (which itself runs in ``own``), or None."""
        end = min(end, self.length)
        if begin >= end:
            return None
        periods = np.arange(begin, end)
        mine = (periods >= own.start) & (periods < own.stop)
        hit = np.zeros(end - begin, dtype=bool)
        for person in people:
            others = self.running[person][begin:end] - np.where(
                mine & (i in self.users[person]), 1, 0
            )
            hit |= (others > 0) | self.blocked[person][begin:end]
        found = np.flatnonzero(hit)
        return begin + int(found[0]) if found.size else None


def _reason(built: Built, result: LevellingResult, i: int, clashes: _Clashes | None = None) -> str:
    """Why task ``i`` moved, naming the clash: "Waits for Jonas Berg, busy on 'X' until Tue 3
    Mar" (another task), "… away on … (holiday)", "… 30 % reserved for On-call …"."""
    reason = result.reasons[i]
    problem = built.problem
    if reason.cause == DelayCause.PREDECESSOR and reason.predecessor is not None:
        pred = problem.activities[reason.predecessor]
        return f"Follows '{pred.name}', which moves {result.delays[reason.predecessor]} d"
    task = built.tasks[i]
    needs = [p for p, _ in built.shares.get(task.pk, [])]
    if not needs:
        return reason.message or "Placed after work that levelling put first"
    original = built.releases[i]
    duration = max(problem.activities[i].duration, 1)
    clashes = clashes or _Clashes(built, result)
    own = range(result.starts[i], result.starts[i] + problem.activities[i].duration)
    # The clash is where the task would have run, up to where it now starts: the first period
    # where one of its people is away, on another task of the plan or on other work.
    first = clashes.first(needs, i, original, max(original + duration, result.starts[i]), own)
    for period in [] if first is None else [first]:
        for person in needs:
            name = built.people[person]
            why = built.away.get(person, {}).get(period)
            if why:
                return f"Waits for {name}, away on {dates.format_day_short(built.days[period])} ({why})"
        for person in needs:
            name = built.people[person]
            for other in clashes.users[person]:
                if other == i:
                    continue
                activity = problem.activities[other]
                begin, end = result.starts[other], result.starts[other] + activity.duration
                if begin <= period < end:
                    last = _day(built, end - 1)
                    return f"Waits for {name}, busy on '{activity.name}' until {_until(last)}"
        for person in needs:
            name = built.people[person]
            labels = built.busy.get(person, {}).get(period)
            if labels and built.model is not None:
                day = built.days[period]
                items = _items_on(built.items_of.get(person, []), day, demand.Source.PROJECT)
                if items:
                    item = max(items, key=lambda x: x.last)
                    return f"Waits for {name}, busy on '{item.name}' until {_until(item.last)}"
            if labels:
                return f"Waits for {name}, busy on '{labels[0]}'"
    # No whole clash: operations take the hours (routines, request work, reservations).
    for person in needs:
        name = built.people[person]
        if built.model is None:
            continue
        day = built.days[original] if original < len(built.days) else built.days[-1]
        items = [
            x
            for x in _items_on(built.items_of.get(person, []), day)
            if x.source is not demand.Source.PROJECT
        ]
        if items:
            item = max(items, key=lambda x: (x.share, x.hours))
            if item.source is demand.Source.RESERVATION:
                return f"Waits for {name}: {round(item.share * 100)} % reserved for {item.name}"
            return f"Waits for {name}, whose hours go to {demand.SOURCE_LABELS[item.source].lower()} '{item.name}'"
    return f"Waits for {built.people[needs[0]]}"


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


def _without_hours_message(built: Built) -> str:
    """Who has no working hours where their tasks would go, and which tasks (the preview's
    error: levelling proposes nothing rather than a move onto hours nobody has)."""
    tasks_of: dict[int, list[str]] = defaultdict(list)
    begin_of: dict[int, int] = {}
    for i, people in built.without_hours.items():
        activity = built.problem.activities[i]
        begin = activity.fixed_start if activity.fixed_start is not None else activity.release
        for person in people:
            tasks_of[person].append(built.tasks[i].name)
            begin_of[person] = min(begin_of.get(person, begin), begin)
    last = dates.format_day(built.days[-1], weekday=True)
    parts = []
    for person in sorted(tasks_of, key=lambda p: built.people[p]):
        names = [f"'{n}'" for n in tasks_of[person]]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        first = dates.format_day(_day(built, begin_of[person]), weekday=True)
        parts.append(
            f"{built.people[person]} has no working hours from {first} to {last}, so levelling "
            f"cannot place {shown}"
        )
    return (
        "; ".join(parts) + ". Give them working hours (their working pattern under "
        "Availability) or assign the work to someone else, then level again."
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
    try:
        built = build(project)
    except LevellingInputError as exc:  # e.g. a plan spanning more periods than levelling takes
        return Preview(
            project, [], "", method, None, None, error=f"This plan cannot be levelled: {exc}."
        )
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
    if built.without_hours:
        return Preview(
            project,
            [],
            built.version,
            method,
            finish_before,
            finish_before,
            error=_without_hours_message(built),
        )
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
    clashes = _Clashes(built, result)
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
                reason=_reason(built, result, i, clashes) if delay > 0 else "",
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


def delays_for(built: Built, moves: dict[int, dt.date]) -> dict[int, int]:
    """Per moved task id: its whole levelling delay in periods (working days) after the move.

    The scheduler adds a task's delay after its predecessors (``projects.scheduling``). So for
    a task with predecessors in the problem it is the levelled start less where its levelled
    predecessors put it; a task pushed only by a moved predecessor gets none. For a task without
    one the scheduler counts the delay from the project's start (a "project start" milestone),
    so it is the levelled start less the project's start: counted from the task's current start
    instead, a task held by a "start no earlier than" date lost the part of its move that the
    date already covered (a preview's Thursday became Wednesday once applied). A task fed only
    by links the problem leaves out (a started predecessor's) keeps its current delay plus the
    move: the scheduler adds the delay to those links (one query for them).
    """
    by_task = {t.pk: i for i, t in enumerate(built.tasks)}
    starts = list(built.releases)
    for task_id, day in moves.items():
        starts[by_task[task_id]] = built.period_of[day]
    into: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pred, succ, delta in built.problem.start_deltas():
        into[succ].append((pred, delta))
    # Links the problem leaves out (from a started or done task, from a summary) still feed the
    # task in the scheduler, which then adds the delay to them, not to the project's start.
    fed = set(
        TaskLink.objects.filter(project_id=built.project.pk, succ_id__in=list(moves)).values_list(
            "succ_id", flat=True
        )
    )
    out = {}
    for task_id in moves:
        i = by_task[task_id]
        if task_id not in fed:
            # No link of its own (a subtask held only through its summary's links counts here
            # too): the scheduler counts its delay from the project's start.
            out[task_id] = max(0, starts[i] - _project_start_period(built))
        elif into.get(i):
            early = max(starts[p] + d for p, d in into[i])
            if task_id in fed:
                # Links the problem leaves out (a started predecessor's) feed it too, and the
                # scheduler adds the delay to them as well: where they hold the task now (its
                # start less its delay lies past what the problem's links ask), the delay is
                # counted from there (it was counted from the problem's links alone, and the
                # task landed later than the preview showed).
                delay_now = built.tasks[i].levelling_delay_minutes // MINUTES_PER_DAY
                asked_now = max(built.releases[p] + d for p, d in into[i])
                held = built.releases[i] - delay_now
                if held > asked_now:
                    early = max(early, held)
            out[task_id] = max(0, starts[i] - early)
        else:
            current = built.tasks[i].levelling_delay_minutes // MINUTES_PER_DAY
            out[task_id] = current + max(0, starts[i] - built.releases[i])
    return out


def _project_start_period(built: Built) -> int:
    """The period of the project's first working day (negative when it is before the periods
    the problem covers): where the scheduler counts a levelling delay without predecessors."""
    first = built.project.target_start
    if first in built.period_of:
        return built.period_of[first]
    if built.days and first > built.days[0]:
        return bisect.bisect_left(built.days, first)
    count, day = 0, first
    end = built.days[0] if built.days else first
    while day < end:
        if built.calendar is None or is_working_day(built.calendar, day):
            count += 1
        day += dt.timedelta(days=1)
    return -count


def check_moves(built: Built, moves: dict[int, dt.date]) -> list[str]:
    """Problems with moving tasks to ``moves`` (task id -> new start day); empty when feasible."""
    starts = list(built.releases)
    by_task = {t.pk: i for i, t in enumerate(built.tasks)}
    problems = []
    for task_id, day in moves.items():
        if task_id not in by_task:
            problems.append(f"Task {task_id} is not a task of this project that can move.")
            continue
        if by_task[task_id] in built.without_hours:
            problems.append(_without_hours_message(built))
            continue
        if day not in built.period_of:
            problems.append(f"{dates.format_day(day)} is not a working day in the plan's range.")
            continue
        starts[by_task[task_id]] = built.period_of[day]
    if problems:
        return problems
    return [v.message for v in check_feasible(built.problem, starts)]
