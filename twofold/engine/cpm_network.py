"""Compile a :class:`~twofold.engine.plan.Plan` into integer-indexed numpy arrays.

The network has one *node* per task plus one hidden node per resource span. A node is either a
leaf (scheduled from its links) or a roll-up (a summary task, or a task whose dates come from its
resource spans): a roll-up starts at its earliest child's start and finishes at its latest
child's finish. Links into a roll-up are applied to every leaf below it (as Microsoft Project
does for links to summary tasks); links out of a roll-up use its rolled-up dates.

Nodes are grouped into topological *levels* (a node's level is one more than its deepest
predecessor), so that a pass can process one level at a time with vectorised calendar
arithmetic. Instants are engine seconds; durations working seconds (see :mod:`plan`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from twofold.engine.cal_table import CalendarTable
from twofold.engine.calendars import compile_calendar, to_instant
from twofold.engine.plan import ConstraintType, LagKind, LinkType, Plan, Task

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NO_DATE = np.iinfo(np.int64).min // 4
"""Stands for "no date" in instant arrays; far below any real instant."""
FAR_FUTURE = np.iinfo(np.int64).max // 4

LINK_CODES = {LinkType.FS: 0, LinkType.SS: 1, LinkType.FF: 2, LinkType.SF: 3}
CONSTRAINT_CODES = {c: i for i, c in enumerate(ConstraintType)}
ASAP, ALAP, SNET, SNLT, FNET, FNLT, MSO, MFO = range(8)


class CycleError(ValueError):
    """The links form a cycle; ``uids`` lists the tasks around it, in order."""

    def __init__(self, uids: tuple[int, ...], names: tuple[str, ...]) -> None:
        self.uids = uids
        labels = [f"{name or 'task'} (uid {uid})" for uid, name in zip(uids, names, strict=True)]
        super().__init__("dependency cycle: " + " -> ".join([*labels, labels[0]]))


class PlanError(ValueError):
    """The plan refers to something that does not exist (task, calendar) or repeats a uid."""


@dataclass(frozen=True, eq=False)
class Network:
    """Array form of a plan. Index ``i < task_count`` is ``plan.tasks[i]``; the rest are spans.

    Node arrays (length ``n``): ``cal`` calendar id in ``table``; ``duration`` working (or
    elapsed) seconds; ``elapsed``; ``rollup``; ``constraint`` code and ``constraint_at``
    instant; ``deadline`` instant or NO_DATE; ``fixed`` with ``fixed_start``/``fixed_finish``
    (manual or finished tasks); ``started`` with ``actual_start``/``remaining`` (in progress);
    ``parent`` node or -1; ``level``.

    Link arrays (length ``m``): ``pred``, ``succ``, ``link_type`` (0 FS, 1 SS, 2 FF, 3 SF),
    ``lag`` seconds, ``lag_elapsed``.
    """

    plan: Plan
    table: CalendarTable
    task_count: int
    uids: IntArray
    cal: IntArray
    duration: IntArray
    elapsed: BoolArray
    rollup: BoolArray
    constraint: IntArray
    constraint_at: IntArray
    deadline: IntArray
    fixed: BoolArray
    fixed_start: IntArray
    fixed_finish: IntArray
    started: BoolArray
    actual_start: IntArray
    remaining: IntArray
    parent: IntArray
    level: IntArray
    pred: IntArray
    succ: IntArray
    link_type: IntArray
    lag: IntArray
    lag_elapsed: BoolArray
    project_start: int
    status_floor: int

    @property
    def size(self) -> int:
        """Number of nodes (tasks and hidden resource spans)."""
        return len(self.cal)


def _instants(values: list[datetime | None]) -> IntArray:
    """Naive date-times (``None`` allowed) to engine seconds, ``NO_DATE`` for ``None``."""
    out = np.full(len(values), NO_DATE, dtype=np.int64)
    present = [i for i, v in enumerate(values) if v is not None]
    if present:
        out[present] = [to_instant(values[i]) for i in present]  # type: ignore[arg-type]
    return out


# Enum members hash in Python code; looking codes up by id() keeps compilation fast.
_LINK_BY_ID = {id(k): v for k, v in LINK_CODES.items()}
_CONSTRAINT_BY_ID = {id(k): v for k, v in CONSTRAINT_CODES.items()}


def build_network(plan: Plan) -> Network:
    """Compile ``plan`` into arrays.

    Raises:
        PlanError: on duplicate uids, unknown parents/links/calendars.
        CycleError: if links (or a link between a summary and its own tasks) form a cycle.
    """
    tasks = plan.tasks
    task_count = len(tasks)
    position = {t.uid: i for i, t in enumerate(tasks)}
    if len(position) != task_count:
        raise PlanError("task uids are not unique")

    cal_keys = list(plan.calendars)
    if plan.calendar not in plan.calendars:
        raise PlanError(f"project calendar {plan.calendar!r} is not in the plan's calendars")
    cal_index = {key: i for i, key in enumerate(cal_keys)}
    table = CalendarTable([compile_calendar(plan.calendars[k]) for k in cal_keys])
    project_cal = cal_index[plan.calendar]

    def calendar_of(task: Task, key: str | None) -> int:
        if key is None:
            return project_cal
        if key not in cal_index:
            raise PlanError(f"task {task.uid}: unknown calendar {key!r}")
        return cal_index[key]

    parent = np.full(task_count, -1, dtype=np.int64)
    has_children = np.zeros(task_count, dtype=bool)
    parent_uids = [t.parent for t in tasks]
    try:
        parent[:] = [-1 if u is None else position[u] for u in parent_uids]
    except KeyError as exc:
        raise PlanError(f"a task names an unknown parent {exc.args[0]}") from exc
    has_children[parent[parent >= 0]] = True

    # Per-task columns, read in one C-level pass (attrgetter + zip transpose).
    fields = [
        "calendar",
        "duration",
        "split_seconds",
        "duration_elapsed",
        "constraint",
        "constraint_date",
        "deadline",
        "actual_start",
        "actual_finish",
        "manual",
        "start",
        "finish",
        "remaining_duration",
        "percent_complete",
        "resource_spans",
    ]
    columns = dict(zip(fields, zip(*map(attrgetter(*fields), tasks), strict=True), strict=True))
    if not tasks:
        columns = dict.fromkeys(fields, ())
    cal = np.array(
        [project_cal if c is None else cal_index.get(c, -1) for c in columns["calendar"]],
        dtype=np.int64,
    )
    if (cal < 0).any():
        bad = tasks[int(np.nonzero(cal < 0)[0][0])]
        raise PlanError(f"task {bad.uid}: unknown calendar {bad.calendar!r}")
    raw_duration = np.array(columns["duration"], dtype=np.int64)
    duration = raw_duration + np.array(columns["split_seconds"], dtype=np.int64)
    elapsed = np.array(columns["duration_elapsed"], dtype=bool)
    constraint = np.array([_CONSTRAINT_BY_ID[id(c)] for c in columns["constraint"]], dtype=np.int64)
    constraint_at = _instants(list(columns["constraint_date"]))
    deadline = _instants(list(columns["deadline"]))
    actual_start = _instants(list(columns["actual_start"]))
    actual_finish = _instants(list(columns["actual_finish"]))
    done = actual_finish != NO_DATE
    manual = np.array(columns["manual"], dtype=bool) & ~has_children
    fixed = (manual | done) & ~has_children
    fixed_start = np.where(done, actual_start, _instants(list(columns["start"])))
    fixed_finish = np.where(done, actual_finish, _instants(list(columns["finish"])))
    fixed_start = np.where(fixed_start == NO_DATE, fixed_finish, fixed_start)
    started = (actual_start != NO_DATE) & ~fixed & ~has_children
    given = [r if r is not None else -1 for r in columns["remaining_duration"]]
    remaining = np.array(given, dtype=np.int64)
    percent = np.array(columns["percent_complete"], dtype=np.float64)
    derived = np.round(raw_duration * (1 - percent / 100)).astype(np.int64)
    remaining = np.where(remaining < 0, derived, remaining)

    # Hidden nodes for resource spans of leaf tasks that the scheduler moves.
    span_parent: list[int] = []
    span_cal: list[int] = []
    span_duration: list[int] = []
    for i in [i for i, spans in enumerate(columns["resource_spans"]) if spans]:
        task = tasks[i]
        if not has_children[i] and not fixed[i] and not started[i]:
            for span in task.resource_spans:
                span_parent.append(i)
                span_cal.append(calendar_of(task, span.calendar))
                span_duration.append(span.work_seconds + task.split_seconds)
    spans = len(span_parent)
    rollup = np.concatenate((has_children, np.zeros(spans, dtype=bool)))
    if spans:
        rollup[np.unique(span_parent)] = True

    def extend(column: IntArray | BoolArray, fill: object) -> npt.NDArray[np.generic]:
        return np.concatenate((column, np.full(spans, fill, dtype=column.dtype)))

    span_parent_arr = np.array(span_parent, dtype=np.int64)
    cal = np.concatenate((cal, np.array(span_cal, dtype=np.int64)))
    duration = np.concatenate((duration, np.array(span_duration, dtype=np.int64)))
    elapsed = extend(elapsed, False).astype(bool)
    constraint = np.concatenate((constraint, constraint[span_parent_arr]))
    constraint_at = np.concatenate((constraint_at, constraint_at[span_parent_arr]))
    deadline = extend(deadline, NO_DATE).astype(np.int64)
    fixed = extend(fixed, False).astype(bool)
    fixed_start = extend(fixed_start, NO_DATE).astype(np.int64)
    fixed_finish = extend(fixed_finish, NO_DATE).astype(np.int64)
    started = extend(started, False).astype(bool)
    actual_start = extend(actual_start, NO_DATE).astype(np.int64)
    remaining = np.concatenate((remaining, np.array(span_duration, dtype=np.int64)))
    parent = np.concatenate((parent, span_parent_arr))
    node_count = task_count + spans

    children: dict[int, list[int]] = defaultdict(list)
    for node, up in enumerate(parent.tolist()):
        if up >= 0:
            children[up].append(node)

    leaves_cache: dict[int, list[int]] = {}

    def leaves(node: int) -> list[int]:
        if not rollup[node]:
            return [node]
        cached = leaves_cache.get(node)
        if cached is None:
            cached = []
            stack = list(children[node])
            while stack:
                child = stack.pop()
                if rollup[child]:
                    stack.extend(children[child])
                else:
                    cached.append(child)
            leaves_cache[node] = cached
        return cached

    links = plan.links
    try:
        pred = np.array([position[link.pred] for link in links], dtype=np.int64)
        succ = np.array([position[link.succ] for link in links], dtype=np.int64)
    except KeyError as exc:
        raise PlanError(f"a link names an unknown task {exc.args[0]}") from exc
    if (pred == succ).any():
        p = int(pred[pred == succ][0])
        raise CycleError((tasks[p].uid,), (tasks[p].name,))
    link_type = np.array([_LINK_BY_ID[id(link.type)] for link in links], dtype=np.int64)
    lag = np.array([link.lag for link in links], dtype=np.int64)
    lag_kind = [link.lag_kind for link in links]
    lag_elapsed = np.array([k is LagKind.ELAPSED for k in lag_kind], dtype=bool)
    percent = np.array([k is LagKind.PERCENT for k in lag_kind], dtype=bool)
    if percent.any():
        base = np.array([t.duration for t in tasks], dtype=np.int64)[pred[percent]]
        lag[percent] = np.round(base * lag[percent] / 100).astype(np.int64)
    into_rollup = rollup[succ]
    if into_rollup.any():
        # A link into a summary (or a resource-driven task) applies to every leaf below it.
        keep = np.nonzero(~into_rollup)[0].tolist()
        expanded = [i for i in np.nonzero(into_rollup)[0].tolist() for _ in leaves(int(succ[i]))]
        targets = [
            leaf for i in np.nonzero(into_rollup)[0].tolist() for leaf in leaves(int(succ[i]))
        ]
        order = np.array(keep + expanded, dtype=np.int64)
        pred, link_type, lag, lag_elapsed = (
            pred[order],
            link_type[order],
            lag[order],
            lag_elapsed[order],
        )
        succ = np.concatenate((succ[keep], np.array(targets, dtype=np.int64)))
    child_nodes = np.nonzero(parent >= 0)[0]
    level = _levels(
        node_count,
        np.concatenate((pred, child_nodes)),
        np.concatenate((succ, parent[child_nodes])),
        plan,
        task_count,
        parent,
    )

    project_start = to_instant(plan.start)
    status_floor = NO_DATE
    if plan.status_date is not None and plan.reschedule_after_status:
        status_floor = to_instant(plan.status_date)
    return Network(
        plan=plan,
        table=table,
        task_count=task_count,
        uids=np.array([t.uid for t in tasks], dtype=np.int64),
        cal=cal,
        duration=duration,
        elapsed=elapsed,
        rollup=rollup,
        constraint=constraint,
        constraint_at=constraint_at,
        deadline=deadline,
        fixed=fixed,
        fixed_start=fixed_start,
        fixed_finish=fixed_finish,
        started=started,
        actual_start=actual_start,
        remaining=remaining,
        parent=parent,
        level=level,
        pred=pred,
        succ=succ,
        link_type=link_type,
        lag=lag,
        lag_elapsed=lag_elapsed,
        project_start=project_start,
        status_floor=status_floor,
    )


def _levels(
    node_count: int,
    src: IntArray,
    dst: IntArray,
    plan: Plan,
    task_count: int,
    parent: IntArray,
) -> IntArray:
    """Topological level of every node (Kahn's algorithm, one numpy step per level).

    Raises:
        CycleError: naming the tasks of one cycle if the graph is not acyclic.
    """
    order = np.argsort(src, kind="stable")
    src_sorted, dst_sorted = src[order], dst[order]
    indptr = np.searchsorted(src_sorted, np.arange(node_count + 1))
    indegree = np.bincount(dst, minlength=node_count).astype(np.int64)
    level = np.full(node_count, -1, dtype=np.int64)
    frontier = np.nonzero(indegree == 0)[0]
    depth = 0
    while frontier.size:
        level[frontier] = depth
        first = indptr[frontier]
        counts = indptr[frontier + 1] - first
        total = int(counts.sum())
        if total == 0:
            break
        offsets = np.repeat(first - (np.cumsum(counts) - counts), counts)
        targets = dst_sorted[offsets + np.arange(total)]
        touched, hits = np.unique(targets, return_counts=True)
        indegree[touched] -= hits
        frontier = touched[indegree[touched] == 0]
        depth += 1
    if (level < 0).any():
        cycle = _find_cycle(np.nonzero(level < 0)[0], src, dst)
        tasks = plan.tasks
        as_tasks: list[int] = []
        for node in cycle:
            task_node = node if node < task_count else int(parent[node])
            if not as_tasks or as_tasks[-1] != task_node:
                as_tasks.append(task_node)
        raise CycleError(
            tuple(tasks[n].uid for n in as_tasks), tuple(tasks[n].name for n in as_tasks)
        )
    return level


def _find_cycle(stuck: IntArray, src: IntArray, dst: IntArray) -> list[int]:
    """One cycle among the nodes Kahn's algorithm could not order (iterative DFS)."""
    stuck_set = set(stuck.tolist())
    out: dict[int, list[int]] = defaultdict(list)
    for a, b in zip(src.tolist(), dst.tolist(), strict=True):
        if a in stuck_set and b in stuck_set:
            out[a].append(b)
    state: dict[int, int] = {}
    for root in sorted(stuck_set):
        if root in state:
            continue
        path = [root]
        iters = [iter(out[root])]
        state[root] = 1
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(out[nxt]))
    return sorted(stuck_set)[:1]
