"""Critical path scheduling: forward and backward passes, float, critical path.

Entry point: :func:`schedule` (``Plan -> ScheduleResult``). The passes work level by level on the
array form built by :mod:`twofold.engine.cpm_network`, with every calendar computation vectorised
over the level (see :mod:`twofold.engine.cal_table`).

Date semantics follow Microsoft Project:

* a task starts at the next working instant (Monday 08:00, not Friday 17:00) and finishes at the
  end of its last working minute (Friday 17:00);
* a milestone sits exactly where its predecessor puts it (a finish-to-start milestone after a
  task ending Friday 17:00 is at Friday 17:00);
* a finish set by a link (FF, SF) is kept as that instant, the start counted back from it;
* lags count on the successor's calendar; elapsed lags in wall-clock time;
* float is counted in working seconds on the task's calendar, ``min(LS - ES, LF - EF)``.

Known simplifications are listed in ``docs/scheduling.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from twofold.engine.cal_table import CalendarTable
from twofold.engine.calendars import from_instant
from twofold.engine.cpm_network import (
    ALAP,
    FAR_FUTURE,
    FNET,
    FNLT,
    MFO,
    MSO,
    NO_DATE,
    SNET,
    SNLT,
    CycleError,
    Network,
    PlanError,
    build_network,
)
from twofold.engine.plan import Plan

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

__all__ = ["CycleError", "PlanError", "ScheduleResult", "TaskDates", "schedule"]

FS, SS, FF, SF = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class TaskDates:
    """Scheduled dates of one task (naive date-times) and its float in working seconds."""

    uid: int
    start: datetime
    finish: datetime
    early_start: datetime
    early_finish: datetime
    late_start: datetime
    late_finish: datetime
    total_float: int
    free_float: int
    critical: bool


@dataclass(frozen=True, eq=False)
class ScheduleResult:
    """Schedule of every task, as arrays aligned with ``plan.tasks`` (index ``i`` = task ``i``).

    Instants are engine seconds (:func:`twofold.engine.calendars.from_instant` converts one,
    ``array.astype("datetime64[s]")`` converts all); floats are working seconds on the task's
    calendar and may be negative when constraints or deadlines cannot be met.

    Attributes:
        uids: task uid per index.
        start, finish: the dates to show (early dates; late dates for ALAP; kept dates for
            manual and finished tasks).
        early_start, early_finish, late_start, late_finish: CPM dates.
        total_float, free_float: working seconds.
        critical: total float <= ``critical_threshold`` seconds.
        project_finish: latest finish in the plan.
    """

    uids: IntArray
    start: IntArray
    finish: IntArray
    early_start: IntArray
    early_finish: IntArray
    late_start: IntArray
    late_finish: IntArray
    total_float: IntArray
    free_float: IntArray
    critical: BoolArray
    project_finish: int

    def index_of(self, uid: int) -> int:
        """Array index of task ``uid``.

        Raises:
            KeyError: if no task has that uid.
        """
        hits = np.nonzero(self.uids == uid)[0]
        if not hits.size:
            raise KeyError(uid)
        return int(hits[0])

    def task(self, uid: int) -> TaskDates:
        """Dates of task ``uid`` as date-times.

        Raises:
            KeyError: if no task has that uid.
        """
        i = self.index_of(uid)
        return TaskDates(
            uid=uid,
            start=from_instant(int(self.start[i])),
            finish=from_instant(int(self.finish[i])),
            early_start=from_instant(int(self.early_start[i])),
            early_finish=from_instant(int(self.early_finish[i])),
            late_start=from_instant(int(self.late_start[i])),
            late_finish=from_instant(int(self.late_finish[i])),
            total_float=int(self.total_float[i]),
            free_float=int(self.free_float[i]),
            critical=bool(self.critical[i]),
        )

    def near_critical(self, threshold_seconds: int) -> BoolArray:
        """Tasks whose total float is at most ``threshold_seconds`` working seconds."""
        return self.total_float <= threshold_seconds


def schedule(plan: Plan, critical_threshold: int = 0) -> ScheduleResult:
    """Schedule ``plan`` forward from its start and compute late dates and float.

    Args:
        plan: the plan.
        critical_threshold: total float (working seconds) at or below which a task is critical.

    Raises:
        CycleError: if the links form a cycle (the message names its tasks).
        PlanError: if the plan refers to unknown tasks or calendars.
        twofold.engine.calendars.CalendarRangeError: if dates leave the calendar horizon.
    """
    return schedule_network(build_network(plan), critical_threshold)


def _finish_from_start(
    tb: CalendarTable,
    cal: IntArray,
    start: IntArray,
    dur: IntArray,
    elapsed: BoolArray,
    latest: bool = False,
) -> IntArray:
    """Finish of work ``dur`` begun at ``start``; ``latest`` picks the latest equivalent instant
    (start of the next working period), as the backward pass needs."""
    position = tb.working_before(cal, start) + dur
    pick = tb.instant_at_start if latest else tb.instant_at_finish
    out = pick(cal, position)
    out = np.where(elapsed, start + dur, out)
    return np.where(dur == 0, start, out)


def _start_from_finish(
    tb: CalendarTable, cal: IntArray, finish: IntArray, dur: IntArray, elapsed: BoolArray
) -> IntArray:
    out = tb.instant_at_start(cal, tb.working_before(cal, finish) - dur)
    out = np.where(elapsed, finish - dur, out)
    return np.where(dur == 0, finish, out)


@dataclass(frozen=True)
class _Groups:
    """Items sorted by (level of key node, key node) with per-level and per-node segments."""

    order: IntArray  # item indices in processing order
    level_items: IntArray  # item range per level: [level_items[l], level_items[l+1])
    seg_first: IntArray  # first sorted position of each key-node segment
    seg_node: IntArray  # key node of each segment
    level_segs: IntArray  # segment range per level


def _group(key_node: IntArray, level: IntArray, levels: int, size: int) -> _Groups:
    order = np.argsort(level[key_node] * size + key_node, kind="stable")
    sorted_nodes = key_node[order]
    sorted_levels = level[sorted_nodes]
    bounds = np.arange(levels + 1)
    level_items = np.searchsorted(sorted_levels, bounds)
    if len(sorted_nodes):
        first = np.concatenate(([True], sorted_nodes[1:] != sorted_nodes[:-1]))
    else:
        first = np.zeros(0, dtype=bool)
    seg_first = np.nonzero(first)[0]
    seg_node = sorted_nodes[seg_first]
    level_segs = np.searchsorted(sorted_levels[seg_first], bounds)
    return _Groups(order, level_items, seg_first, seg_node, level_segs)


def schedule_network(net: Network, critical_threshold: int = 0) -> ScheduleResult:
    """Schedule an already compiled :class:`Network` (see :func:`schedule`)."""
    tb = net.table
    n = net.size
    levels = int(net.level.max()) + 1 if n else 0
    cal = net.cal
    dur = net.duration.copy()
    elapsed = net.elapsed
    milestone = (dur == 0) & ~elapsed
    con = net.constraint
    has_con = np.isin(con, (SNET, SNLT, FNET, FNLT, MSO, MFO))
    honor = net.plan.honor_constraints

    node_order = np.argsort(net.level, kind="stable")
    node_bounds = np.searchsorted(net.level[node_order], np.arange(levels + 1))
    links_in = _group(net.succ, net.level, levels, n)
    links_out = _group(net.pred, net.level, levels, n)
    children = np.nonzero(net.parent >= 0)[0]
    rollups = _group(net.parent[children], net.level, levels, n)

    # Per-node constants.
    start_at = np.full(n, net.project_start, dtype=np.int64)
    floor = np.where(milestone, start_at, tb.next_working(cal, start_at))
    if net.status_floor != NO_DATE:
        status = np.full(n, net.status_floor, dtype=np.int64)
        floor = np.maximum(floor, np.where(milestone, status, tb.next_working(cal, status)))
    c_at = np.where(has_con, net.constraint_at, net.project_start)
    c_start = np.where(milestone, c_at, tb.next_working(cal, c_at))
    c_start_of_finish = _start_from_finish(tb, cal, c_at, dur, elapsed)
    progress_finish = np.full(n, NO_DATE, dtype=np.int64)
    if net.started.any():
        s_nodes = np.nonzero(net.started)[0]
        s_cal, s_start = cal[s_nodes], net.actual_start[s_nodes]
        done = np.maximum(dur[s_nodes] - net.remaining[s_nodes], 0)
        resume = _finish_from_start(tb, s_cal, s_start, done, elapsed[s_nodes])
        if net.status_floor != NO_DATE:
            resume = np.maximum(
                resume, tb.next_working(s_cal, np.full_like(resume, net.status_floor))
            )
        progress_finish[s_nodes] = _finish_from_start(
            tb, s_cal, resume, net.remaining[s_nodes], elapsed[s_nodes]
        )

    es = np.full(n, NO_DATE, dtype=np.int64)
    ef = np.full(n, NO_DATE, dtype=np.int64)
    cand_es = np.full(n, NO_DATE, dtype=np.int64)
    cand_ef = np.full(n, NO_DATE, dtype=np.int64)
    any_elapsed_lag = bool(net.lag_elapsed.any())

    def link_candidates(items: IntArray) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
        """For links ``items``: successor start candidate, finish candidate, succ, start flag."""
        p, s = net.pred[items], net.succ[items]
        kind, lag = net.link_type[items], net.lag[items]
        cs = cal[s]
        anchor = np.where((kind == FS) | (kind == FF), ef[p], es[p])
        start_target = ((kind == FS) | (kind == SS)) & ~milestone[s]
        position = tb.working_before(cs, anchor) + lag
        at_start = tb.instant_at_start(cs, position)
        at_finish = np.where(lag == 0, anchor, tb.instant_at_finish(cs, position))
        if any_elapsed_lag:
            lag_el = net.lag_elapsed[items]
            moved = anchor + lag
            at_start = np.where(lag_el, tb.next_working(cs, moved), at_start)
            at_finish = np.where(lag_el, moved, at_finish)
        start_cand = np.where(
            start_target, at_start, _start_from_finish(tb, cs, at_finish, dur[s], elapsed[s])
        )
        finish_cand = np.where(start_target, NO_DATE, at_finish)
        return start_cand, finish_cand, s, start_target

    for lvl in range(levels):
        lo, hi = links_in.level_items[lvl], links_in.level_items[lvl + 1]
        if hi > lo:
            items = links_in.order[lo:hi]
            start_cand, finish_cand, _, _ = link_candidates(items)
            g0, g1 = links_in.level_segs[lvl], links_in.level_segs[lvl + 1]
            segments = links_in.seg_first[g0:g1] - lo
            targets = links_in.seg_node[g0:g1]
            cand_es[targets] = np.maximum.reduceat(start_cand, segments)
            cand_ef[targets] = np.maximum.reduceat(finish_cand, segments)

        nodes = node_order[node_bounds[lvl] : node_bounds[lvl + 1]]
        leaf = nodes[~net.rollup[nodes]]
        if leaf.size:
            start = np.maximum(floor[leaf], cand_es[leaf])
            finish_cand = cand_ef[leaf]
            if has_con[leaf].any():
                kind = con[leaf]
                linked = start
                start = np.where(kind == SNET, np.maximum(start, c_start[leaf]), start)
                start = np.where(kind == FNET, np.maximum(start, c_start_of_finish[leaf]), start)
                if honor:
                    start = np.where(kind == SNLT, np.minimum(start, c_start[leaf]), start)
                    start = np.where(
                        kind == FNLT, np.minimum(start, c_start_of_finish[leaf]), start
                    )
                start = np.where(kind == MSO, c_start[leaf], start)
                start = np.where(kind == MFO, c_start_of_finish[leaf], start)
                pulled = (start < linked) | (kind == MSO) | (kind == MFO)
                finish_cand = np.where(pulled, NO_DATE, finish_cand)
                finish_cand = np.where(kind == MFO, c_at[leaf], finish_cand)
            finish = np.maximum(
                _finish_from_start(tb, cal[leaf], start, dur[leaf], elapsed[leaf]), finish_cand
            )
            fixed = net.fixed[leaf]
            start = np.where(fixed, net.fixed_start[leaf], start)
            finish = np.where(fixed, net.fixed_finish[leaf], finish)
            started = net.started[leaf]
            start = np.where(started, net.actual_start[leaf], start)
            finish = np.where(started, progress_finish[leaf], finish)
            es[leaf], ef[leaf] = start, finish

        lo, hi = rollups.level_items[lvl], rollups.level_items[lvl + 1]
        if hi > lo:
            kids = children[rollups.order[lo:hi]]
            g0, g1 = rollups.level_segs[lvl], rollups.level_segs[lvl + 1]
            segments = rollups.seg_first[g0:g1] - lo
            targets = rollups.seg_node[g0:g1]
            es[targets] = np.minimum.reduceat(es[kids], segments)
            ef[targets] = np.maximum.reduceat(ef[kids], segments)

    # Roll-ups have no duration of their own: use their rolled-up span for the backward pass.
    rolled = np.nonzero(net.rollup)[0]
    if rolled.size:
        r_cal = cal[rolled]
        dur[rolled] = tb.working_before(r_cal, ef[rolled]) - tb.working_before(r_cal, es[rolled])
        milestone[rolled] = dur[rolled] == 0

    project_finish = int(ef.max()) if n else net.project_start
    finish_all = np.full(n, project_finish, dtype=np.int64)
    # Backward-pass instants are kept as the *latest* instant of their working position (Monday
    # 08:00 rather than Friday 17:00) so that crossing to another calendar loses no float; they
    # are shown as the end of the previous working period at the very end.
    late_floor = finish_all
    c_finish_of_start = _finish_from_start(tb, cal, c_start, dur, elapsed)
    c_finish = np.where(milestone, c_at, tb.previous_working_end(cal, c_at))
    has_deadline = net.deadline != NO_DATE
    deadline_at = np.where(
        has_deadline,
        tb.previous_working_end(cal, np.where(has_deadline, net.deadline, net.project_start)),
        FAR_FUTURE,
    )

    ls = np.full(n, FAR_FUTURE, dtype=np.int64)
    lf = np.full(n, FAR_FUTURE, dtype=np.int64)
    cand_lf = np.full(n, FAR_FUTURE, dtype=np.int64)
    for lvl in range(levels - 1, -1, -1):
        lo, hi = links_out.level_items[lvl], links_out.level_items[lvl + 1]
        if hi > lo:
            items = links_out.order[lo:hi]
            p, s = net.pred[items], net.succ[items]
            kind, lag = net.link_type[items], net.lag[items]
            cs, cp = cal[s], cal[p]
            anchor = np.where((kind == FS) | (kind == SS), ls[s], lf[s])
            position = tb.working_before(cs, anchor) - lag
            # The latest instant whose lagged position still fits: the *start* of the working
            # period at that position, so non-working gaps on the successor's calendar do not
            # cut float on a predecessor with another calendar.
            back_start = np.where(lag == 0, anchor, tb.instant_at_start(cs, position))
            back_finish = back_start
            if any_elapsed_lag:
                lag_el = net.lag_elapsed[items]
                back_finish = np.where(lag_el, anchor - lag, back_finish)
                back_start = np.where(lag_el, anchor - lag, back_start)
            finish_target = (kind == FS) | (kind == FF)
            from_finish = back_finish
            from_start = _finish_from_start(tb, cp, back_start, dur[p], elapsed[p], latest=True)
            late = np.where(finish_target, from_finish, from_start)
            g0, g1 = links_out.level_segs[lvl], links_out.level_segs[lvl + 1]
            segments = links_out.seg_first[g0:g1] - lo
            cand_lf[links_out.seg_node[g0:g1]] = np.minimum.reduceat(late, segments)

        nodes = node_order[node_bounds[lvl] : node_bounds[lvl + 1]]
        finish = np.minimum(late_floor[nodes], cand_lf[nodes])
        up = net.parent[nodes]
        finish = np.where(up >= 0, np.minimum(finish, lf[np.maximum(up, 0)]), finish)
        if has_con[nodes].any():
            kind = con[nodes]
            finish = np.where(kind == MSO, c_finish_of_start[nodes], finish)
            finish = np.where(kind == MFO, c_finish[nodes], finish)
            finish = np.where(kind == SNLT, np.minimum(finish, c_finish_of_start[nodes]), finish)
            finish = np.where(kind == FNLT, np.minimum(finish, c_finish[nodes]), finish)
        finish = np.minimum(finish, deadline_at[nodes])
        lf[nodes] = finish
        ls[nodes] = _start_from_finish(tb, cal[nodes], finish, dur[nodes], elapsed[nodes])

    for lvl in range(levels):
        lo, hi = rollups.level_items[lvl], rollups.level_items[lvl + 1]
        if hi > lo:
            kids = children[rollups.order[lo:hi]]
            g0, g1 = rollups.level_segs[lvl], rollups.level_segs[lvl + 1]
            segments = rollups.seg_first[g0:g1] - lo
            targets = rollups.seg_node[g0:g1]
            ls[targets] = np.minimum.reduceat(ls[kids], segments)
            lf[targets] = np.maximum.reduceat(lf[kids], segments)

    lf = np.where(milestone | elapsed, lf, tb.previous_working_end(cal, lf))
    w_es, w_ef = tb.working_before(cal, es), tb.working_before(cal, ef)
    total_float = np.minimum(tb.working_before(cal, ls) - w_es, tb.working_before(cal, lf) - w_ef)

    # Free float: how far each link's predecessor could slip before moving the successor.
    free_float = tb.working_before(cal, late_floor) - w_ef
    if len(net.pred):
        every = np.arange(len(net.pred))
        start_cand, finish_cand, s, start_target = link_candidates(every)
        cs = cal[s]
        slack = np.where(
            start_target,
            tb.working_before(cs, es[s]) - tb.working_before(cs, start_cand),
            tb.working_before(cs, ef[s]) - tb.working_before(cs, finish_cand),
        )
        np.minimum.at(free_float, net.pred, slack)
    free_float = np.minimum(free_float, total_float)

    start, finish = es.copy(), ef.copy()
    alap = (con == ALAP) & ~net.fixed & ~net.started & ~net.rollup
    if alap.any():
        # As late as possible without delaying any successor: slide by the free float.
        a = np.nonzero(alap)[0]
        shift = np.maximum(free_float[a], 0)
        start[a] = tb.instant_at_start(cal[a], w_es[a] + shift)
        finish[a] = _finish_from_start(tb, cal[a], start[a], dur[a], elapsed[a])

    k = net.task_count
    return ScheduleResult(
        uids=net.uids,
        start=start[:k],
        finish=finish[:k],
        early_start=es[:k],
        early_finish=ef[:k],
        late_start=ls[:k],
        late_finish=lf[:k],
        total_float=total_float[:k],
        free_float=free_float[:k],
        critical=total_float[:k] <= critical_threshold,
        project_finish=project_finish,
    )
