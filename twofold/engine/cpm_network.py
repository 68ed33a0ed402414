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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from operator import attrgetter, is_not, ne
from typing import Any

import numpy as np
import numpy.typing as npt

from twofold.engine.cal_table import CalendarTable, calendar_table
from twofold.engine.calendars import compile_calendar, to_instant
from twofold.engine.plan import ConstraintType, LagKind, LinkType, Plan, Task

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NO_DATE = np.iinfo(np.int64).min // 4
"""Stands for "no date" in instant arrays; far below any real instant."""
FAR_FUTURE = np.iinfo(np.int64).max // 4

LINK_CODES = {LinkType.FS: 0, LinkType.SS: 1, LinkType.FF: 2, LinkType.SF: 3}
CONSTRAINT_CODES = {c: i for i, c in enumerate(ConstraintType)}
LAG_CODES = {k: i for i, k in enumerate(LagKind)}
_RARE = {
    "deadline": None,
    "actual_start": None,
    "actual_finish": None,
    "start": None,
    "finish": None,
    "remaining_duration": None,
    "resource_spans": (),
    "manual": False,
    "duration_elapsed": False,
    "split_seconds": 0,
    "splits": (),
    "percent_complete": 0.0,
}
_RARE_FIELDS = attrgetter(*_RARE)
_RARE_DEFAULTS = tuple(_RARE.values())
ASAP, ALAP, SNET, SNLT, FNET, FNLT, MSO, MFO = range(8)


def _split_total(task: Any) -> int:
    """Working seconds of a task's pauses inside its work (``split_seconds`` without positions)."""
    if not task.splits:
        return int(task.split_seconds)
    return sum(sp.seconds for sp in task.splits if 0 < sp.at < task.duration)


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


def _column(items: Sequence[object], name: str) -> list[Any]:
    """One attribute of every item, read at C speed."""
    return list(map(attrgetter(name), items))


def _ints(items: Sequence[object], name: str) -> IntArray:
    return np.fromiter(map(attrgetter(name), items), dtype=np.int64, count=len(items))


def _bools(items: Sequence[object], name: str) -> BoolArray:
    return np.fromiter(map(attrgetter(name), items), dtype=bool, count=len(items))


def _present(values: list[Any]) -> IntArray:
    """Indices of the values that are not ``None``."""
    if values.count(None) == len(values):
        return np.zeros(0, dtype=np.int64)
    mask = np.fromiter(map(is_not, values, repeat(None)), dtype=bool, count=len(values))
    return np.flatnonzero(mask)


def _instants(values: list[datetime | None]) -> IntArray:
    """Naive date-times (``None`` allowed) to engine seconds, ``NO_DATE`` for ``None``."""
    out = np.full(len(values), NO_DATE, dtype=np.int64)
    present = _present(values)
    if present.size:
        out[present] = [to_instant(values[i]) for i in present.tolist()]
    return out


def _codes(members: list[Any], codes: Mapping[Any, int]) -> IntArray:
    """Enum members to integer codes, compared by identity in numpy."""
    ids = np.fromiter(map(id, members), dtype=np.int64, count=len(members))
    out = np.full(len(members), -1, dtype=np.int64)
    for member, code in codes.items():
        out[ids == id(member)] = code
    return out


class _UidIndex:
    """Maps task uids to positions with one vectorised binary search."""

    def __init__(self, uids: IntArray) -> None:
        self.order = np.argsort(uids, kind="stable")
        self.sorted = uids[self.order]
        self.unique = bool(len(uids) < 2 or (self.sorted[1:] != self.sorted[:-1]).all())

    def positions(self, wanted: IntArray, what: str) -> IntArray:
        """Positions of ``wanted`` uids.

        Raises:
            PlanError: naming the first unknown uid.
        """
        if not len(self.sorted):
            if len(wanted):
                raise PlanError(f"{what} {int(wanted[0])}")
            return np.zeros(0, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.sorted, wanted), len(self.sorted) - 1)
        missing = self.sorted[at] != wanted
        if missing.any():
            raise PlanError(f"{what} {int(wanted[np.flatnonzero(missing)[0]])}")
        found: IntArray = self.order[at]
        return found


def build_network(plan: Plan) -> Network:
    """Compile ``plan`` into arrays.

    Raises:
        PlanError: on duplicate uids, unknown parents/links/calendars.
        CycleError: if links (or a link between a summary and its own tasks) form a cycle.
    """
    tasks = plan.tasks
    task_count = len(tasks)
    uids = _ints(tasks, "uid")
    index = _UidIndex(uids)
    if not index.unique:
        raise PlanError("task uids are not unique")

    cal_keys = list(plan.calendars)
    if plan.calendar not in plan.calendars:
        raise PlanError(f"project calendar {plan.calendar!r} is not in the plan's calendars")
    cal_index = {key: i for i, key in enumerate(cal_keys)}
    table = calendar_table(tuple(compile_calendar(plan.calendars[k]) for k in cal_keys))
    project_cal = cal_index[plan.calendar]

    def calendar_of(task: Task, key: str | None) -> int:
        if key is None:
            return project_cal
        if key not in cal_index:
            raise PlanError(f"task {task.uid}: unknown calendar {key!r}")
        return cal_index[key]

    # Per-task columns: one C-level pass per attribute (no per-task tuples to allocate).
    parent = np.full(task_count, -1, dtype=np.int64)
    parent_uids = _column(tasks, "parent")
    with_parent = _present(parent_uids)
    if with_parent.size:
        wanted = np.array([parent_uids[i] for i in with_parent.tolist()], dtype=np.int64)
        parent[with_parent] = index.positions(wanted, "a task names an unknown parent")
    has_children = np.zeros(task_count, dtype=bool)
    has_children[parent[parent >= 0]] = True

    cal_column = _column(tasks, "calendar")
    cal = np.full(task_count, project_cal, dtype=np.int64)
    with_cal = _present(cal_column)
    if with_cal.size:
        cal[with_cal] = [cal_index.get(cal_column[i], -1) for i in with_cal.tolist()]
    if (cal < 0).any():
        bad = tasks[int(np.nonzero(cal < 0)[0][0])]
        raise PlanError(f"task {bad.uid}: unknown calendar {bad.calendar!r}")
    raw_duration = _ints(tasks, "duration")
    constraint = _codes(_column(tasks, "constraint"), CONSTRAINT_CODES)
    # Progress, manual dates, elapsed durations, splits and resources are rare: one pass finds
    # the tasks that have any of them and only those are read field by field.
    unusual = np.flatnonzero(
        np.fromiter(
            map(ne, map(_RARE_FIELDS, tasks), repeat(_RARE_DEFAULTS)), dtype=bool, count=task_count
        )
    )
    odd = [tasks[i] for i in unusual.tolist()]

    def spread(values: npt.NDArray[Any], fill: object) -> npt.NDArray[Any]:
        out = np.full(task_count, fill, dtype=values.dtype)
        out[unusual] = values
        return out

    # Splits by position: a pause counts when it sits inside the work (0 < at < duration).
    # ``split_seconds`` (no positions) is used when a task gives no ``splits``.
    split_odd = _ints(odd, "split_seconds")
    for k, task in enumerate(odd):
        if task.splits:
            split_odd[k] = _split_total(task)
    duration = raw_duration + spread(split_odd, 0)
    elapsed = spread(_bools(odd, "duration_elapsed"), False)
    constraint_at = _instants(_column(tasks, "constraint_date"))
    deadline = spread(_instants(_column(odd, "deadline")), NO_DATE)
    actual_start = spread(_instants(_column(odd, "actual_start")), NO_DATE)
    actual_finish = spread(_instants(_column(odd, "actual_finish")), NO_DATE)
    done = actual_finish != NO_DATE
    manual = spread(_bools(odd, "manual"), False) & ~has_children
    fixed = (manual | done) & ~has_children
    fixed_start = np.where(done, actual_start, spread(_instants(_column(odd, "start")), NO_DATE))
    fixed_finish = np.where(done, actual_finish, spread(_instants(_column(odd, "finish")), NO_DATE))
    fixed_start = np.where(fixed_start == NO_DATE, fixed_finish, fixed_start)
    # A finish before its start (an actual finish typed before the actual start, a manual task's
    # dates swapped) is read as the start: a task never ends before it begins.
    fixed_finish = np.where(
        (fixed_start != NO_DATE) & (fixed_finish < fixed_start), fixed_start, fixed_finish
    )
    started = (actual_start != NO_DATE) & ~fixed & ~has_children
    remaining_column = _column(odd, "remaining_duration")
    remaining_odd = np.full(len(odd), -1, dtype=np.int64)
    given = _present(remaining_column)
    if given.size:
        remaining_odd[given] = [remaining_column[i] for i in given.tolist()]
    remaining = spread(remaining_odd, -1)
    # Progress is 0-100 % (150 % once made the remaining work negative and a task finish
    # before its predecessor; NaN counts as none).
    percent_done = spread(
        np.clip(
            np.nan_to_num(
                np.fromiter(
                    map(attrgetter("percent_complete"), odd), dtype=np.float64, count=len(odd)
                ),
                nan=0.0,
            ),
            0.0,
            100.0,
        ),
        0.0,
    )
    derived = np.round(raw_duration * (1 - percent_done / 100)).astype(np.int64)
    remaining = np.where(remaining < 0, derived, remaining)
    # A started task's remaining span holds the pauses that sit after its done work (the done
    # part holds the others): without positions, every pause counts in the done part.
    for k, task in enumerate(odd):
        if task.splits:
            i = int(unusual[k])
            done_work = int(raw_duration[i]) - int(remaining[i])
            remaining[i] += sum(
                sp.seconds for sp in task.splits if done_work <= sp.at < task.duration
            )

    # Hidden nodes for resource spans of leaf tasks that the scheduler moves.
    span_parent: list[int] = []
    span_cal: list[int] = []
    span_duration: list[int] = []
    spans_column = _column(odd, "resource_spans")
    with_spans = unusual[np.fromiter(map(bool, spans_column), dtype=bool, count=len(odd))]
    for i in with_spans.tolist():
        task = tasks[i]
        if not has_children[i] and not fixed[i] and not started[i]:
            for span in task.resource_spans:
                span_parent.append(i)
                span_cal.append(calendar_of(task, span.calendar))
                span_duration.append(span.work_seconds + _split_total(task))

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

    links = plan.links
    pred = index.positions(_ints(links, "pred"), "a link names an unknown task")
    succ = index.positions(_ints(links, "succ"), "a link names an unknown task")
    if (pred == succ).any():
        p = int(pred[pred == succ][0])
        raise CycleError((tasks[p].uid,), (tasks[p].name,))
    link_type = _codes(_column(links, "type"), LINK_CODES)
    lag = _ints(links, "lag")
    lag_kind = _codes(_column(links, "lag_kind"), LAG_CODES)
    lag_elapsed = lag_kind == LAG_CODES[LagKind.ELAPSED]
    percent = lag_kind == LAG_CODES[LagKind.PERCENT]
    if percent.any():
        base = raw_duration[pred[percent]]
        lag[percent] = np.round(base * lag[percent] / 100).astype(np.int64)
    into_rollup = rollup[succ]
    if into_rollup.any():
        # A link into a summary (or a resource-driven task) applies to every leaf below it.
        leaves = _leaf_finder(parent, rollup)
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
        uids=uids,
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


def _leaf_finder(parent: IntArray, rollup: BoolArray) -> Callable[[int], list[int]]:
    """``leaves(node)``: the leaf nodes below ``node`` (itself if it is a leaf), cached."""
    children: dict[int, list[int]] = defaultdict(list)
    for node, up in enumerate(parent.tolist()):
        if up >= 0:
            children[up].append(node)
    cache: dict[int, list[int]] = {}

    def leaves(node: int) -> list[int]:
        if not rollup[node]:
            return [node]
        cached = cache.get(node)
        if cached is None:
            cached = []
            stack = list(children[node])
            while stack:
                child = stack.pop()
                if rollup[child]:
                    stack.extend(children[child])
                else:
                    cached.append(child)
            cache[node] = cached
        return cached

    return leaves


_LEVELS: dict[tuple[int, bytes, bytes], IntArray] = {}
"""The last levels computed, by their whole input (node count, edge sources, edge targets)."""
_LEVELS_KEPT = 16


def _levels(
    node_count: int,
    src: IntArray,
    dst: IntArray,
    plan: Plan,
    task_count: int,
    parent: IntArray,
) -> IntArray:
    """Topological level of every node (Kahn's algorithm, one numpy step per level).

    The levels depend on the edges alone, which an edit of a duration or a date leaves as they
    were: the last few results are kept by their whole input (~2 ms of a 2,000-task schedule;
    the key is the edges' bytes, so a changed edge computes afresh). A copy is returned.

    Raises:
        CycleError: naming the tasks of one cycle if the graph is not acyclic.
    """
    src = np.ascontiguousarray(src, dtype=np.int64)
    dst = np.ascontiguousarray(dst, dtype=np.int64)
    key = (node_count, src.tobytes(), dst.tobytes())
    kept = _LEVELS.get(key)
    if kept is None:
        kept = _compute_levels(node_count, src, dst, plan, task_count, parent)
        if len(_LEVELS) >= _LEVELS_KEPT:
            _LEVELS.clear()
        _LEVELS[key] = kept
    return kept.copy()


def _compute_levels(
    node_count: int,
    src: IntArray,
    dst: IntArray,
    plan: Plan,
    task_count: int,
    parent: IntArray,
) -> IntArray:
    order = np.argsort(src, kind="stable")
    src_sorted, dst_sorted = src[order], dst[order]
    indptr = np.searchsorted(src_sorted, np.arange(node_count + 1))
    indegree = np.bincount(dst, minlength=node_count).astype(np.int64)
    level = np.full(node_count, -1, dtype=np.int64)
    stamp = np.zeros(node_count, dtype=np.int64)
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
        np.subtract.at(indegree, targets, 1)
        ready = targets[indegree[targets] == 0]
        # Each ready node once (a node reached by several links appears several times): the
        # last write of each node's stamp wins, so one copy of it matches its stamp.
        rank = np.arange(len(ready))
        stamp[ready] = rank
        frontier = ready[stamp[ready] == rank]
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
