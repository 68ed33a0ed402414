"""The adapter between a project (tasks, links, risks, estimates) and the Monte Carlo engine.

``build_network`` maps the project's WBS onto :class:`twofold.engine.risk.RiskNetwork`:

* every leaf task (and milestone) is a node with a three-point estimate in working minutes: the
  analysis' estimate if one was entered, else −10 % / duration / +30 % (``default_estimate``);
  completed tasks are certain (their scheduled duration); a task in progress keeps its
  uncertainty only on the part not yet done;
* a summary task becomes two zero-duration nodes (its start and its finish) tied to its children,
  so a link to or from a summary means what it means in the schedule;
* links keep their type (FS/SS/FF/SF) and lag (working days, hours, or % of the predecessor);
* a task that has started, or is constrained to start on or after a date, is released at its
  scheduled start;
* a risk that is not closed, has a schedule impact and is linked to tasks becomes a risk event:
  probability from its 1-5 rating (``models.PROBABILITY_OF``), and a delay added to each linked
  task that is not done. The engine adds a fixed delay when an event occurs, so the three-point
  impact enters as its mean (triangular ``(min + likely + max) / 3``, PERT
  ``(min + 4 likely + max) / 6``).

Offsets are working minutes from the project start (``target_start`` at 08:00) on the project
calendar (``projects.scheduling``); ``simulate`` turns them into dates with that calendar.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from twofold.engine import risk as engine
from twofold.engine.calendars import Calendar, add_working_minutes, working_minutes_between
from twofold.engine.risk_calendar import OffsetToDatetime
from twofold.projects.models import MINUTES_PER_DAY, ProgressRule, Project, Task
from twofold.projects.scheduling import (
    DayBounds,
    LinkRow,
    compiled_calendar,
    constraint_moment,
    project_calendar,
)
from twofold.risks.models import PROBABILITY_OF, Distribution, Risk

OPTIMISTIC = 0.9
PESSIMISTIC = 1.3
MAX_WORK = 5_000_000
"""Iterations × nodes up to this run in the request (well under a second); larger runs go to a
background job (``risks.jobs``), which reports progress and can be cancelled."""
MAX_JOB_WORK = 1_000_000_000
"""Iterations × nodes above this are refused even in the background (a few minutes of work)."""

_LINK_TYPES = {
    "FS": engine.RiskLinkType.FS,
    "SS": engine.RiskLinkType.SS,
    "FF": engine.RiskLinkType.FF,
    "SF": engine.RiskLinkType.SF,
}


def default_estimate(duration_minutes: int) -> tuple[int, int, int]:
    """Optimistic −10 %, most likely = the planned duration, pessimistic +30 % (minutes)."""
    return (
        round(duration_minutes * OPTIMISTIC),
        duration_minutes,
        round(duration_minutes * PESSIMISTIC),
    )


def estimate_of(task: Task, estimates: dict[str, Any]) -> tuple[int, int, int]:
    """The three-point estimate of ``task``: the entered one if any, else the default."""
    entered = estimates.get(str(task.pk))
    if isinstance(entered, list) and len(entered) == 3:
        low, mode, high = (int(v) for v in entered)
        return low, mode, high
    return default_estimate(0 if task.is_milestone else task.duration_minutes)


@dataclass
class Network:
    """The engine network and what is needed to read its results back."""

    network: engine.RiskNetwork
    start: dt.datetime  # naive local project start
    leaf_ids: list[int]  # task id of node i for i < len(leaf_ids); the rest are summary ends
    names: dict[int, str]
    events: list[str] = field(default_factory=list)
    calendar: Calendar | None = None  # the project's working time (None: the Standard week)

    @property
    def working_time(self) -> Calendar:
        return self.calendar if self.calendar is not None else compiled_calendar()

    @property
    def nodes(self) -> int:
        return self.network.size


def plan_start(project: Project, cal: Calendar | None = None) -> dt.datetime:
    """The first working moment of the project's start day on ``cal`` (its calendar; the
    Standard week when None), where the scheduler starts the plan."""
    return DayBounds(cal if cal is not None else compiled_calendar())(project.target_start)[0]


def _offset(start: dt.datetime, moment: dt.datetime, cal: Calendar) -> float:
    return max(0.0, working_minutes_between(cal, start, moment))


def _summary_targets(
    summary: int,
    children: dict[int, list[int]],
    index: dict[int, int],
    first_node: dict[int, int],
    done: set[int],
    started: set[int],
) -> list[int]:
    """Where a risk on a summary delays the plan: its start node while none of its work has
    begun; once some has, the leaves still to do (the done part cannot be delayed); nothing
    when all of it is done (a certain risk on a finished phase pushed the plan a week)."""
    leaves, stack = [], [summary]
    while stack:
        for child in children.get(stack.pop(), []):
            if child in index:
                leaves.append(child)
            else:
                stack.append(child)
    remaining = [pk for pk in leaves if pk not in done]
    if not remaining:
        return []
    if not any(pk in started or pk in done for pk in leaves):
        return [first_node[summary]]
    return [index[pk] for pk in remaining]


def _ancestor_in(task: int, parent_of: dict[int, int | None], chosen: set[int]) -> bool:
    """Whether a summary above ``task`` is one of ``chosen``."""
    seen = {task}
    parent = parent_of.get(task)
    while parent is not None and parent not in seen:
        if parent in chosen:
            return True
        seen.add(parent)
        parent = parent_of.get(parent)
    return False


def build_network(
    project: Project,
    tasks: Sequence[Task],
    links: Sequence[LinkRow],
    risks: Sequence[Risk],
    *,
    estimates: dict[str, Any],
    distribution: str,
    tzinfo: dt.tzinfo,
) -> Network:
    cal = project_calendar(project)  # holidays are no working time in the simulation either
    start = plan_start(project, cal)
    day_bounds = DayBounds(cal)
    parents = {t.parent_id for t in tasks if t.parent_id}
    leaves = [t for t in tasks if t.pk not in parents]
    summaries = [t for t in tasks if t.pk in parents]
    index = {t.pk: i for i, t in enumerate(leaves)}
    first_node = {t.pk: i for i, t in enumerate(leaves)}
    last_node = dict(first_node)
    for j, s in enumerate(summaries):
        first_node[s.pk] = len(leaves) + 2 * j
        last_node[s.pk] = len(leaves) + 2 * j + 1
    size = len(leaves) + 2 * len(summaries)
    low = np.zeros(size)
    mode = np.zeros(size)
    high = np.zeros(size)
    release = np.zeros(size)
    done: set[int] = set()
    retained = project.progress_rule == ProgressRule.RETAINED
    # Unfinished work after the status date (the project's setting, as the scheduler does): a
    # release at the end of the status date for every task not done, and a started task's
    # remaining work alone goes on from there.
    floor = None
    if project.reschedule_after_status and project.status_date is not None:
        floor = _offset(start, day_bounds(project.status_date)[1], cal)
    for i, t in enumerate(leaves):
        o, m, p = estimate_of(t, estimates)
        done_part = 0.0
        if t.percent_complete >= 100:
            # Done (a milestone too: a risk on a reached milestone delays nothing any more).
            done.add(t.pk)
            planned = 0 if t.is_milestone else t.duration_minutes
            if t.start and t.finish and not t.is_milestone:
                planned = round(
                    working_minutes_between(cal, _naive(t.start, tzinfo), _naive(t.finish, tzinfo))
                )
            o = m = p = planned
        elif t.is_milestone:
            o = m = p = 0
        elif t.percent_complete > 0 and (retained or floor is not None) and t.actual_start:
            # Retained logic, or unfinished work after the status date: only the remaining
            # work is left (released where the done part ends, or at the status date, below).
            share = t.percent_complete / 100
            done_part = share * m
            o, m, p = (round((1 - share) * v) for v in (o, m, p))
        elif t.percent_complete > 0:
            share = t.percent_complete / 100
            o = round(share * m + (1 - share) * o)
            p = round(share * m + (1 - share) * p)
        low[i], mode[i], high[i] = o, m, p
        if t.start and (t.actual_start or t.constraint_type == "mso"):
            release[i] = _offset(start, _naive(t.start, tzinfo), cal)
            release[i] += done_part  # retained logic: the remaining work resumes after it
        elif t.constraint_type == "snet" and (moment := constraint_moment(t, day_bounds)):
            # Not before its date, and no later than its predecessors let it: released at the
            # date, not at its scheduled start (which pinned it there, so a predecessor
            # finishing early never showed).
            release[i] = _offset(start, moment, cal)
        if floor is not None and t.pk not in done:
            release[i] = max(release[i], floor)
    preds: list[int] = []
    succs: list[int] = []
    kinds: list[int] = []
    lags: list[float] = []

    def link(a: int, b: int, kind: engine.RiskLinkType, lag: float = 0.0) -> None:
        preds.append(a)
        succs.append(b)
        kinds.append(int(kind))
        lags.append(lag)

    # Progress override (the project's rule unless it retains logic, as the scheduler does): a
    # started task goes on from its actual start, whatever its predecessors; they no longer
    # hold it (it waited for them here, three days after the plan on a one-link example), nor
    # do its summary's.
    # A done task happened where its actual dates say, under either rule.
    overridden = {t.pk for t in leaves if t.actual_start and (t.pk in done or not retained)}
    for t in tasks:
        if t.parent_id in parents:
            if t.pk not in overridden:
                link(first_node[t.parent_id], first_node[t.pk], engine.RiskLinkType.FS)
            link(last_node[t.pk], last_node[t.parent_id], engine.RiskLinkType.FS)
    for s in summaries:
        link(first_node[s.pk], last_node[s.pk], engine.RiskLinkType.FS)
    # A "% of predecessor" lag counts the predecessor's duration as the scheduler does: none
    # for a summary (a summary's stored duration is whatever it held before it got subtasks:
    # the no-uncertainty finish came out a day and a half after the schedule's).
    durations = {t.pk: 0 if t.pk in parents else t.duration_minutes for t in tasks}
    for row in links:
        if row.pred_id not in first_node or row.succ_id not in first_node:
            continue
        if row.succ_id in overridden:
            continue
        kind = _LINK_TYPES[row.type]
        pred_end = row.type in ("FS", "FF")
        succ_start = row.type in ("FS", "SS")
        a = last_node[row.pred_id] if pred_end else first_node[row.pred_id]
        b = first_node[row.succ_id] if succ_start else last_node[row.succ_id]
        if row.lag_unit == "%":
            lag = row.lag / 100 * durations.get(row.pred_id, 0)
        else:
            lag = row.lag * (MINUTES_PER_DAY if row.lag_unit == "d" else 60)
        link(a, b, kind, float(lag))
    # A levelling delay (capacity) postpones the task after its predecessors: added to the lag of
    # each link into it, or, without one, counted from the plan's start (as the scheduler does).
    into: dict[int, list[int]] = {}
    for k, b in enumerate(succs):
        into.setdefault(b, []).append(k)
    for t in leaves:
        delay = getattr(t, "levelling_delay_minutes", 0)
        if not delay:
            continue
        node = index[t.pk]
        incoming = into.get(node, [])
        for k in incoming:
            lags[k] += delay
        if not incoming:
            release[node] = max(release[node], float(delay))
    children: dict[int, list[int]] = {}
    for t in tasks:
        if t.parent_id is not None:
            children.setdefault(t.parent_id, []).append(t.pk)
    started = {t.pk for t in leaves if t.actual_start or t.percent_complete > 0}
    parent_of = {t.pk: t.parent_id for t in tasks}
    events = []
    event_names = []
    for r in risks:
        if not r.is_active or r.impact_likely_days is None:
            continue
        # A risk on a summary delays the start of its whole subtree (its start node): it was
        # dropped, leaving the simulation blind to it.
        # A task under a summary the risk is also on is delayed through the summary already:
        # counted as a target of its own too, its work was delayed twice.
        linked = {t.pk for t in r.tasks.all()}
        targets: list[int] = []
        for t in r.tasks.all():
            if _ancestor_in(t.pk, parent_of, linked):
                continue
            if t.pk in index:
                if t.pk not in done:
                    targets.append(index[t.pk])
            elif t.pk in first_node:
                targets.extend(_summary_targets(t.pk, children, index, first_node, done, started))
        if not targets:
            continue
        likely = float(r.impact_likely_days)
        least = float(r.impact_min_days if r.impact_min_days is not None else likely)
        most = float(r.impact_max_days if r.impact_max_days is not None else likely)
        mean_days = (
            (least + 4 * likely + most) / 6
            if distribution == Distribution.PERT
            else (least + likely + most) / 3
        )
        events.append(
            engine.RiskEvent(
                probability=PROBABILITY_OF[r.probability],
                tasks=tuple(targets),
                delay_minutes=tuple(mean_days * MINUTES_PER_DAY for _ in targets),
                name=r.title,
            )
        )
        event_names.append(r.title)
    shape = (
        engine.Distribution.PERT
        if distribution == Distribution.PERT
        else engine.Distribution.TRIANGULAR
    )
    network = engine.RiskNetwork(
        minimum=low,
        most_likely=mode,
        maximum=high,
        distribution=np.full(size, int(shape), dtype=np.int64),
        link_predecessor=np.asarray(preds, dtype=np.int64),
        link_successor=np.asarray(succs, dtype=np.int64),
        link_type=np.asarray(kinds, dtype=np.int64),
        link_lag=np.asarray(lags, dtype=np.float64),
        release=release,
        events=tuple(events),
    )
    return Network(
        network=network,
        start=start,
        leaf_ids=[t.pk for t in leaves],
        names={t.pk: t.name for t in tasks},
        events=event_names,
        calendar=cal,
    )


def _naive(value: dt.datetime, tzinfo: dt.tzinfo) -> dt.datetime:
    return value.astimezone(tzinfo).replace(tzinfo=None)


def to_dates(start: dt.datetime, cal: Calendar | None = None) -> OffsetToDatetime:
    """Working-minute offsets → datetime64 on the project calendar (the Standard week if None)."""
    cal = cal if cal is not None else compiled_calendar()

    def convert(offsets: npt.NDArray[np.float64]) -> npt.NDArray[np.datetime64]:
        flat = np.asarray(offsets, dtype=np.float64).ravel()
        out = [np.datetime64(add_working_minutes(cal, start, float(x)), "m") for x in flat]
        return np.asarray(out, dtype="datetime64[m]").reshape(np.shape(offsets))

    return convert


@dataclass
class Outcome:
    """What a run produced, ready to store (datetimes naive local)."""

    p50: dt.datetime
    p80: dt.datetime
    p95: dt.datetime
    deterministic: dt.datetime
    chance_on_target: float | None
    summary: dict[str, Any]


def _iso(value: np.datetime64) -> str:
    return str(np.datetime_as_string(value, unit="m"))


def run(
    project: Project,
    net: Network,
    *,
    iterations: int,
    seed: int,
    target: dt.date | None,
    progress: engine.RiskProgress | None = None,
) -> Outcome:
    """Simulate and summarise: percentiles, histogram, S-curve, criticality, tornado.

    Without ``progress`` (in a request) at most :data:`MAX_WORK` iterations × nodes, with it
    (in a job) at most :data:`MAX_JOB_WORK`; more raises ``ValueError``. A run that
    ``progress`` stopped early is summarised over the iterations done
    (``summary["iterations"]``, and ``summary["stopped_early"]`` is true).
    """
    if iterations * max(1, net.nodes) > (MAX_WORK if progress is None else MAX_JOB_WORK):
        raise ValueError("too much work")
    convert = to_dates(net.start, net.working_time)
    result = engine.simulate(
        net.network, iterations=iterations, seed=seed, to_datetime=convert, progress=progress
    )
    deterministic_offset = float(np.max(engine.deterministic_finishes(net.network), initial=0.0))
    samples = result.project_finish_samples
    levels = list(result.percentiles)
    finish = dict(zip(levels, result.project_finish_dates.tolist(), strict=True))
    target_offset = None
    chance = None
    # The end of the target day's working time on the project's calendar (not 17:00).
    target_end = DayBounds(net.working_time)(target)[1] if target is not None else None
    if target_end is not None:
        target_offset = working_minutes_between(net.working_time, net.start, target_end)
        chance = float(np.count_nonzero(samples <= target_offset + 1e-6) / samples.size)
    # Histogram in whole working days.
    days = samples / MINUTES_PER_DAY
    lo, hi = math.floor(float(days.min())), math.ceil(float(days.max()))
    hi = max(hi, lo + 1)
    step = max(1, math.ceil((hi - lo) / 30))
    edges = np.arange(lo, hi + step, step, dtype=np.float64)
    counts, _ = np.histogram(days, bins=edges)
    edge_dates = convert(edges * MINUTES_PER_DAY)
    cumulative = np.cumsum(counts) / samples.size * 100
    bins = [
        {"from": _iso(edge_dates[k]), "to": _iso(edge_dates[k + 1]), "count": int(counts[k])}
        for k in range(len(counts))
    ]
    scurve = [{"at": _iso(edge_dates[0]), "pct": 0.0}] + [
        {"at": _iso(edge_dates[k + 1]), "pct": round(float(cumulative[k]), 2)}
        for k in range(len(counts))
    ]
    leaf_count = len(net.leaf_ids)
    criticality = [
        {
            "id": tid,
            "name": net.names[tid],
            "ci": round(float(result.criticality[i]), 4),
            "sensitivity": round(float(result.sensitivity[i]), 4),
        }
        for i, tid in enumerate(net.leaf_ids)
    ]
    tornado = [
        {
            "id": net.leaf_ids[i],
            "name": net.names[net.leaf_ids[i]],
            "sensitivity": round(float(result.sensitivity[i]), 4),
        }
        for i in result.tornado
        if i < leaf_count
    ][:10]
    deterministic = convert(np.asarray([deterministic_offset]))[0]
    summary = {
        "iterations": result.iterations,
        "seed": seed,
        "percentiles": [
            {"level": int(level), "at": _iso(np.datetime64(finish[level], "m"))} for level in levels
        ],
        "mean_days": round(float(result.mean_project_finish) / MINUTES_PER_DAY, 2),
        "deterministic": _iso(deterministic),
        "target": target_end.isoformat(timespec="minutes") if target_end else None,
        "histogram": bins,
        "scurve": scurve,
        "criticality": criticality,
        "tornado": tornado,
        "events": net.events,
    }
    if result.stopped_early:
        summary["stopped_early"] = True
        summary["iterations_requested"] = iterations
    return Outcome(
        p50=finish[50.0],
        p80=finish[80.0],
        p95=finish[95.0],
        deterministic=deterministic.astype(dt.datetime),
        chance_on_target=chance,
        summary=summary,
    )
