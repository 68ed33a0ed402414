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

from twofold.engine.cal_table import SPAN, CalendarTable
from twofold.engine.calendars import (
    FIRST_INSTANT,
    HORIZON_END,
    HORIZON_START,
    LAST_INSTANT,
    CalendarRangeError,
    from_instant,
)
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
    if not HORIZON_START <= plan.start.date() < HORIZON_END:
        raise CalendarRangeError(
            f"the project start {plan.start:%Y-%m-%d} is outside the calendars' years "
            f"({HORIZON_START}..{HORIZON_END})"
        )
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


def _segments(sorted_keys: IntArray, bounds: IntArray) -> tuple[IntArray, IntArray]:
    """Start of each run of equal keys, and the run range per level (``bounds`` = item range)."""
    if len(sorted_keys):
        first = np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1]))
    else:
        first = np.zeros(0, dtype=bool)
    seg_first = np.flatnonzero(first)
    return seg_first, np.searchsorted(seg_first, bounds)


def _level_flags(mask: BoolArray, bounds: IntArray) -> list[bool]:
    """For each level (item range ``bounds[l]:bounds[l+1]``), whether ``mask`` has a True."""
    counts = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    return (counts[bounds[1:]] > counts[bounds[:-1]]).tolist()  # type: ignore[no-any-return]


def _summary_starts_to_earliest_task(
    net: Network, es: IntArray, pred: IntArray, kind: IntArray
) -> IntArray:
    """Predecessors for the backward pass: an SS/SF link from a summary task is moved to the
    summary's earliest-starting task (ties: the first in plan order)."""
    k = net.task_count
    parents = net.parent[:k]
    summary = np.zeros(len(net.parent), dtype=bool)
    summary[parents[parents >= 0]] = True
    moved = np.flatnonzero(summary[pred] & ((kind == SS) | (kind == SF)))
    if not moved.size:
        return pred
    children: dict[int, list[int]] = {}
    for node, up in enumerate(parents.tolist()):
        if up >= 0:
            children.setdefault(up, []).append(node)

    def tasks_below(node: int) -> list[int]:
        found: list[int] = []
        for child in children.get(node, []):
            found.extend(tasks_below(child) if summary[child] else [child])
        return found

    out = pred.copy()
    for i in moved.tolist():
        below = tasks_below(int(pred[i]))
        if below:
            out[i] = min(below, key=lambda node: (int(es[node]), node))
    return out


def schedule_network(net: Network, critical_threshold: int = 0) -> ScheduleResult:
    """Schedule an already compiled :class:`Network` (see :func:`schedule`).

    Raises:
        CalendarRangeError: an early or scheduled date (a constraint or work far out) falls
            outside the calendars' years, or any date past their last day. The calendar tables cover only those
            years: before this check a date past them raised ``IndexError`` and one before them
            was read from the wrong table (a start in 1877, a finish before its start).
    """
    try:
        result = _schedule_network(net, critical_threshold)
    except IndexError as exc:
        raise CalendarRangeError(
            f"the schedule runs past the calendars' last day ({HORIZON_END})"
        ) from exc
    # Late dates may fall before the first day (a deadline in 1980 on a plan of 2024: negative
    # float, as Project shows it); scheduled and early dates may not.
    for name in ("start", "finish", "early_start", "early_finish"):
        values: IntArray = getattr(result, name)
        outside = np.flatnonzero((values < FIRST_INSTANT) | (values > LAST_INSTANT))
        if outside.size:
            when = "before the first" if values[outside[0]] < FIRST_INSTANT else "past the last"
            raise CalendarRangeError(
                f"task {result.uids[int(outside[0])]}: its {name.replace('_', ' ')} falls "
                f"{when} day the calendars cover ({HORIZON_START}..{HORIZON_END})"
            )
    return result


def _schedule_network(net: Network, critical_threshold: int) -> ScheduleResult:
    """The passes of :func:`schedule_network`.

    The passes work in *rank* space: nodes sorted by (level, roll-up last, node), so that one
    level's leaves and roll-ups are contiguous slices and per-node data are read as views. Links
    are sorted by the rank of the node they feed (forward) or leave (backward), and everything
    that does not depend on dates is gathered once before the level loops.
    """
    tb = net.table
    n = net.size
    levels = int(net.level.max()) + 1 if n else 0
    cal = net.cal
    offset = cal * SPAN
    dur = net.duration.copy()
    elapsed = net.elapsed
    milestone = (dur == 0) & ~elapsed
    con = net.constraint
    has_con = np.isin(con, (SNET, SNLT, FNET, FNLT, MSO, MFO))
    honor = net.plan.honor_constraints
    rollup = net.rollup

    # Rank space.
    order = np.lexsort((np.arange(n), rollup, net.level))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    bounds = np.searchsorted(net.level[order], np.arange(levels + 1))
    leaf_end = bounds[:-1] + np.bincount(net.level[~rollup], minlength=levels)[:levels]
    bounds_l, leaf_end_l = bounds.tolist(), leaf_end.tolist()

    # Per-node constants (constraint dates only where there is a constraint).
    per_cal_start = tb.next_working(
        np.arange(len(tb.calendars)), np.full(len(tb.calendars), net.project_start)
    )
    floor = np.where(milestone, net.project_start, per_cal_start[cal])
    # Project's rule (as MPXJ reproduces it): the project start is the floor of a task without
    # predecessors, and a start- or finish-no-earlier-than date replaces it (old files keep tasks
    # constrained before a later project start). A task's FS/SS/SF links alone decide its start
    # (a lead may place it before the project start), but a start counted back from an FF link
    # is floored at the project start.
    has_pred = np.zeros(n, dtype=bool)
    has_pred[net.succ] = True
    has_ff = np.zeros(n, dtype=bool)
    has_ff[net.succ[net.link_type == FF]] = True
    free = has_pred | np.isin(con, (SNET, FNET))
    floor = np.where(free & ~has_ff, NO_DATE, floor)
    if net.status_floor != NO_DATE:
        status = np.full(n, net.status_floor, dtype=np.int64)
        floor = np.maximum(floor, np.where(milestone, status, tb.next_working(cal, status)))
    c_at = np.where(has_con, net.constraint_at, net.project_start)
    c_start = np.full(n, net.project_start, dtype=np.int64)
    c_start_of_finish = np.full(n, net.project_start, dtype=np.int64)
    cn = np.flatnonzero(has_con)
    if cn.size:
        c_start[cn] = np.where(milestone[cn], c_at[cn], tb.next_working(cal[cn], c_at[cn]))
        c_start_of_finish[cn] = _start_from_finish(tb, cal[cn], c_at[cn], dur[cn], elapsed[cn])
    progress_finish = np.full(n, NO_DATE, dtype=np.int64)
    resume_at = np.full(n, NO_DATE, dtype=np.int64)
    if net.started.any():
        s_nodes = np.nonzero(net.started)[0]
        s_cal, s_start = cal[s_nodes], net.actual_start[s_nodes]
        done = np.maximum(dur[s_nodes] - net.remaining[s_nodes], 0)
        resume = _finish_from_start(tb, s_cal, s_start, done, elapsed[s_nodes])
        if net.status_floor != NO_DATE:
            resume = np.maximum(
                resume, tb.next_working(s_cal, np.full_like(resume, net.status_floor))
            )
        resume_at[s_nodes] = resume
        progress_finish[s_nodes] = _finish_from_start(
            tb, s_cal, resume, net.remaining[s_nodes], elapsed[s_nodes]
        )

    # Forward constants in rank order. Constraints become bounds on the start: ``lo`` (SNET,
    # FNET, and MSO/MFO) and ``hi`` (SNLT/FNLT when honoured, and MSO/MFO); a start pulled
    # below its links' start, or forced, drops the links' finish candidate (MFO keeps its date).
    lo = np.full(n, NO_DATE, dtype=np.int64)
    hi = np.full(n, FAR_FUTURE, dtype=np.int64)
    for code, value in ((SNET, c_start), (FNET, c_start_of_finish)):
        lo = np.where(con == code, value, lo)
    lo = np.maximum(lo, floor)
    for code, value in ((MSO, c_start), (MFO, c_start_of_finish)):
        lo = np.where(con == code, value, lo)
        hi = np.where(con == code, value, hi)
    if honor:
        for code, value in ((SNLT, c_start), (FNLT, c_start_of_finish)):
            hi = np.where(con == code, value, hi)
    force = (con == MSO) | (con == MFO)
    forced_finish = np.where(con == MFO, c_at, NO_DATE)
    override = net.fixed | net.started
    override_start = np.where(net.fixed, net.fixed_start, net.actual_start)
    override_finish = np.where(net.fixed, net.fixed_finish, progress_finish)
    plain = (dur != 0) & ~elapsed
    lo_r, hi_r = lo[order], hi[order]
    force_r, forced_finish_r = force[order], forced_finish[order]
    dur_r, off_r, plain_r = dur[order], offset[order], plain[order]
    override_r = override[order]
    override_start_r, override_finish_r = override_start[order], override_finish[order]
    con_flags = _level_flags((has_con & ~rollup)[order], bounds)
    override_flags = _level_flags(override_r & ~rollup[order], bounds)
    # Retained logic: a started task's remaining work also waits for its links.
    retained = net.started & ~rollup if net.plan.retained_logic else np.zeros(n, dtype=bool)
    retained_r, resume_r, remaining_r = retained[order], resume_at[order], net.remaining[order]
    elapsed_r = elapsed[order]
    retained_flags = _level_flags(retained_r, bounds)

    # Roll-ups: children sorted by their parent's rank (a roll-up's children are all on lower
    # levels, and every roll-up has at least one child).
    kids = np.flatnonzero(net.parent >= 0)
    kids = kids[np.argsort(rank[net.parent[kids]], kind="stable")]
    kid_parent_rank = rank[net.parent[kids]]
    kids_r = rank[kids]
    kid_bounds = np.searchsorted(net.level[net.parent[kids]], np.arange(levels + 1))
    kid_seg, kid_level_segs = _segments(kid_parent_rank, kid_bounds)
    rollup_levels = [lvl for lvl in range(levels) if kid_bounds[lvl + 1] > kid_bounds[lvl]]

    # Forward link constants, links sorted by successor rank. A link gives the successor a
    # start candidate at ``position = W(anchor) + lag`` on the successor's calendar: for
    # FS/SS the start there; for FF/SF a finish candidate (the anchor itself with no lag or an
    # elapsed lag, else the finish at ``position``) and the start counted back by the duration.
    p_all, s_all = net.pred, net.succ
    kind_all = net.link_type
    lag_el_all = net.lag_elapsed
    fwd = np.argsort(rank[s_all], kind="stable")
    p, s, kind, lag, lag_el = p_all[fwd], s_all[fwd], kind_all[fwd], net.lag[fwd], lag_el_all[fwd]
    f_target = rank[s]
    f_bounds = np.searchsorted(net.level[s], np.arange(levels + 1))
    f_seg, f_level_segs = _segments(f_target, f_bounds)
    from_finish = (kind == FS) | (kind == FF)
    start_target = ((kind == FS) | (kind == SS)) & ~milestone[s]
    f_anchor = rank[p] + np.where(from_finish, n, 0)
    f_off = offset[s]
    f_lag_instant = np.where(lag_el, lag, 0)
    f_lag_work = np.where(lag_el, 0, lag)
    f_keep = (lag == 0) | lag_el
    f_back = np.where(start_target, 0, dur[s])
    f_use_start = start_target | (plain[s])
    f_sub = np.where(start_target | ~elapsed[s], 0, dur[s])
    f_lag_any = bool(lag_el.any())
    f_bounds_l = f_bounds.tolist()

    early = np.full(2 * n, NO_DATE, dtype=np.int64)  # [early start | early finish] by rank
    es_r, ef_r = early[:n], early[n:]
    cand_es = np.full(n, NO_DATE, dtype=np.int64)
    cand_ef = np.full(n, NO_DATE, dtype=np.int64)
    position_of_key, start_key_at, finish_key_at = (
        tb.position_of_key,
        tb.start_key_at,
        tb.finish_key_at,
    )
    maximum, minimum, where = np.maximum, np.minimum, np.where
    # As late as possible (Project's rule, as MPXJ reproduces it): after the backward pass the
    # forward pass runs again with each ALAP task at its late start, so its successors follow it.
    alap = (con == ALAP) & ~net.fixed & ~net.started & ~rollup
    alap_r = alap[order]
    alap_flags = _level_flags(alap_r, bounds)

    def forward(alap_late_r: IntArray | None = None) -> None:
        """The forward pass; with ``alap_late_r`` (late starts, rank space) ALAP leaves move."""
        for lvl in range(levels):
            lo_i, hi_i = f_bounds_l[lvl], f_bounds_l[lvl + 1]
            if hi_i > lo_i:
                anchor = early[f_anchor[lo_i:hi_i]]
                if f_lag_any:
                    anchor = anchor + f_lag_instant[lo_i:hi_i]
                off = f_off[lo_i:hi_i]
                position = position_of_key(anchor + off) + f_lag_work[lo_i:hi_i]
                at_start = start_key_at(position - f_back[lo_i:hi_i]) - off
                at_finish = where(f_keep[lo_i:hi_i], anchor, finish_key_at(position) - off)
                start_cand = where(f_use_start[lo_i:hi_i], at_start, at_finish - f_sub[lo_i:hi_i])
                finish_cand = where(start_target[lo_i:hi_i], NO_DATE, at_finish)
                g0, g1 = f_level_segs[lvl], f_level_segs[lvl + 1]
                segments = f_seg[g0:g1]
                targets = f_target[segments]
                segments = segments - lo_i
                cand_es[targets] = np.maximum.reduceat(start_cand, segments)
                cand_ef[targets] = np.maximum.reduceat(finish_cand, segments)

            a, m = bounds_l[lvl], leaf_end_l[lvl]
            if m > a:
                start = maximum(cand_es[a:m], lo_r[a:m])
                finish_cand = cand_ef[a:m]
                if con_flags[lvl]:
                    linked = start
                    start = minimum(start, hi_r[a:m])
                    pulled = (start < linked) | force_r[a:m]
                    finish_cand = where(pulled, forced_finish_r[a:m], finish_cand)
                off = off_r[a:m]
                d = dur_r[a:m]
                reached = finish_key_at(position_of_key(start + off) + d) - off
                finish = maximum(where(plain_r[a:m], reached, start + d), finish_cand)
                if override_flags[lvl]:
                    ov = override_r[a:m]
                    if retained_flags[lvl]:
                        keep = retained_r[a:m]
                        resumed = maximum(resume_r[a:m], cand_es[a:m])
                        rest = remaining_r[a:m]
                        resumed_end = where(
                            elapsed_r[a:m],
                            resumed + rest,
                            finish_key_at(position_of_key(resumed + off) + rest) - off,
                        )
                        resumed_end = where(rest == 0, resumed, resumed_end)
                        finish = where(keep, maximum(resumed_end, cand_ef[a:m]), finish)
                        ov = ov & ~keep
                        start = where(keep, override_start_r[a:m], start)
                    start = where(ov, override_start_r[a:m], start)
                    finish = where(ov, override_finish_r[a:m], finish)
                if alap_late_r is not None and alap_flags[lvl]:
                    moved = alap_r[a:m]
                    late_start = maximum(start, alap_late_r[a:m])
                    late_end = where(
                        plain_r[a:m],
                        finish_key_at(position_of_key(late_start + off) + d) - off,
                        late_start + d,
                    )
                    start = where(moved, late_start, start)
                    finish = where(moved, maximum(late_end, finish), finish)
                es_r[a:m] = start
                ef_r[a:m] = finish

            b = bounds_l[lvl + 1]
            if b > m:
                k0, k1 = kid_level_segs[lvl], kid_level_segs[lvl + 1]
                segments = kid_seg[k0:k1] - kid_bounds[lvl]
                members = kids_r[kid_bounds[lvl] : kid_bounds[lvl + 1]]
                es_r[m:b] = np.minimum.reduceat(es_r[members], segments)
                ef_r[m:b] = np.maximum.reduceat(ef_r[members], segments)

    forward()
    es, ef = es_r[rank], ef_r[rank]
    first_pass = (es.copy(), ef.copy())
    # Roll-ups have no duration of their own: use their rolled-up span for the backward pass.
    rolled = np.nonzero(rollup)[0]
    if rolled.size:
        r_cal = cal[rolled]
        dur[rolled] = tb.working_before(r_cal, ef[rolled]) - tb.working_before(r_cal, es[rolled])
        milestone[rolled] = dur[rolled] == 0
        plain = (dur != 0) & ~elapsed

    project_finish = int(ef.max()) if n else net.project_start
    # Backward-pass instants are kept as the *latest* instant of their working position (Monday
    # 08:00 rather than Friday 17:00) so that crossing to another calendar loses no float; they
    # are shown as the end of the previous working period at the very end.
    # Late-finish bounds: the project finish, SNLT/FNLT, deadlines; MSO/MFO force their date.
    has_deadline = net.deadline != NO_DATE
    deadline_at = np.full(n, FAR_FUTURE, dtype=np.int64)
    dn = np.flatnonzero(has_deadline)
    if dn.size:
        deadline_at[dn] = tb.previous_working_end(cal[dn], net.deadline[dn])
    late_hi = np.minimum(deadline_at, project_finish)
    forced_late = np.full(n, FAR_FUTURE, dtype=np.int64)
    if cn.size:
        c_finish_of_start = _finish_from_start(tb, cal[cn], c_start[cn], dur[cn], elapsed[cn])
        c_finish = np.where(milestone[cn], c_at[cn], tb.previous_working_end(cal[cn], c_at[cn]))
        kind_cn = con[cn]
        bound = np.where(kind_cn == SNLT, c_finish_of_start, FAR_FUTURE)
        bound = np.where(kind_cn == FNLT, c_finish, bound)
        late_hi[cn] = np.minimum(late_hi[cn], bound)
        forced = np.where(kind_cn == MSO, c_finish_of_start, FAR_FUTURE)
        forced = np.where(kind_cn == MFO, c_finish, forced)
        forced_late[cn] = np.minimum(forced, deadline_at[cn])
    late_hi_r = late_hi[order]
    forced_late_r = forced_late[order]
    # Retained logic: a started task's latest resume point is its late finish less the remaining
    # work (not the whole duration), which is what its predecessors must allow.
    dur_back = np.where(retained, net.remaining, dur) if retained.any() else dur
    dur_r, plain_r = dur_back[order], ((dur_back != 0) & ~elapsed)[order]
    force_flags = _level_flags(force[order], bounds)
    # Parent's late finish: index into ``late`` below (``2 n`` is a FAR_FUTURE slot).
    parent_r = np.where(net.parent >= 0, n + rank[np.maximum(net.parent, 0)], 2 * n)[order]

    # Backward link constants, links sorted by predecessor rank. The latest instant a link
    # allows is at ``W(anchor) - lag`` on the successor's calendar (the start of the working
    # period there); for SS/SF it is a start, the predecessor's late finish counted on from it.
    # A summary's own SS/SF link binds, going backward, its earliest task (Project's rule, as
    # MPXJ reproduces it), not the whole summary; FS/FF bind every task through the summary's
    # late finish, which its children inherit.
    p_back = _summary_starts_to_earliest_task(net, es, p_all, kind_all)
    bwd = np.argsort(rank[p_back], kind="stable")
    p, s, kind, lag, lag_el = p_back[bwd], s_all[bwd], kind_all[bwd], net.lag[bwd], lag_el_all[bwd]
    b_target = rank[p]
    b_bounds = np.searchsorted(net.level[p], np.arange(levels + 1))
    b_seg, b_level_segs = _segments(b_target, b_bounds)
    to_finish = (kind == FS) | (kind == FF)
    b_anchor = rank[s] + np.where((kind == FS) | (kind == SS), 0, n)
    b_off_s, b_off_p = offset[s], offset[p]
    b_lag_work = np.where(lag_el, 0, lag)
    b_lag_instant = np.where(lag_el, lag, 0)
    b_keep = (lag == 0) | lag_el
    b_dur_p, b_plain_p = dur[p], plain[p]
    b_bounds_l = b_bounds.tolist()
    b_start_flags = _level_flags(~to_finish, b_bounds)

    late = np.full(2 * n + 1, FAR_FUTURE, dtype=np.int64)  # [late start | late finish | FAR]
    ls_r, lf_r = late[:n], late[n : 2 * n]
    cand_lf = np.full(n, FAR_FUTURE, dtype=np.int64)
    for lvl in range(levels - 1, -1, -1):
        lo_i, hi_i = b_bounds_l[lvl], b_bounds_l[lvl + 1]
        if hi_i > lo_i:
            anchor = late[b_anchor[lo_i:hi_i]]
            off = b_off_s[lo_i:hi_i]
            position = position_of_key(anchor + off) - b_lag_work[lo_i:hi_i]
            back = where(
                b_keep[lo_i:hi_i],
                anchor - b_lag_instant[lo_i:hi_i],
                start_key_at(position) - off,
            )
            if b_start_flags[lvl]:
                off_p = b_off_p[lo_i:hi_i]
                d = b_dur_p[lo_i:hi_i]
                counted = start_key_at(position_of_key(back + off_p) + d) - off_p
                from_start = where(b_plain_p[lo_i:hi_i], counted, back + d)
                back = where(to_finish[lo_i:hi_i], back, from_start)
            g0, g1 = b_level_segs[lvl], b_level_segs[lvl + 1]
            segments = b_seg[g0:g1]
            targets = b_target[segments]
            cand_lf[targets] = np.minimum.reduceat(back, segments - lo_i)

        a, b = bounds_l[lvl], bounds_l[lvl + 1]
        finish = minimum(minimum(cand_lf[a:b], late_hi_r[a:b]), late[parent_r[a:b]])
        if force_flags[lvl]:
            finish = where(force_r[a:b], forced_late_r[a:b], finish)
        lf_r[a:b] = finish
        off = off_r[a:b]
        d = dur_r[a:b]
        counted = start_key_at(position_of_key(finish + off) - d) - off
        ls_r[a:b] = where(plain_r[a:b], counted, finish - d)

    for lvl in rollup_levels:
        m, b = leaf_end_l[lvl], bounds_l[lvl + 1]
        k0, k1 = kid_level_segs[lvl], kid_level_segs[lvl + 1]
        segments = kid_seg[k0:k1] - kid_bounds[lvl]
        members = kids_r[kid_bounds[lvl] : kid_bounds[lvl + 1]]
        ls_r[m:b] = np.minimum.reduceat(ls_r[members], segments)
        lf_r[m:b] = np.maximum.reduceat(lf_r[members], segments)

    ls, lf = ls_r[rank], lf_r[rank]
    scheduled: tuple[IntArray, IntArray] | None = None
    if alap.any():
        forward(ls_r.copy())
        scheduled = (es_r[rank].copy(), ef_r[rank].copy())
        # ALAP tasks (and resource-driven tasks whose spans are ALAP) report the early dates of
        # the first pass; their successors and summaries report the second pass's.
        own = alap | (rollup & (con == ALAP) & ~net.fixed & ~net.started)
        es = np.where(own, first_pass[0], scheduled[0])
        ef = np.where(own, first_pass[1], scheduled[1])
    w_es, w_ef = tb.working_before(cal, es), tb.working_before(cal, ef)
    w_ls, w_lf = tb.working_before(cal, ls), tb.working_before(cal, lf)
    # Late finishes are shown at the end of the previous working period (same position).
    lf = np.where(milestone | elapsed, lf, tb.instant_at_finish(cal, w_lf))
    total_float = np.minimum(w_ls - w_es, w_lf - w_ef)

    # Free float: how far each link's predecessor could slip before moving the successor. The
    # successor's candidate from a link sits at working position ``W(anchor) + lag`` (see the
    # forward pass), so the slack is the successor's own position minus that one.
    per_cal_finish = tb.working_before(
        np.arange(len(tb.calendars)), np.full(len(tb.calendars), project_finish)
    )
    free_float = per_cal_finish[cal] - w_ef
    if len(p_all):
        s_cal = cal[s_all]
        anchor = np.where((kind_all == FS) | (kind_all == FF), ef[p_all], es[p_all])
        anchor = anchor + np.where(lag_el_all, net.lag, 0)
        position = tb.working_before(s_cal, anchor) + np.where(lag_el_all, 0, net.lag)
        starts_from = ((kind_all == FS) | (kind_all == SS)) & ~milestone[s_all]
        slack = np.where(starts_from, w_es[s_all], w_ef[s_all]) - position
        np.minimum.at(free_float, p_all, slack)
    free_float = np.minimum(free_float, total_float)

    start, finish = scheduled if scheduled is not None else (es.copy(), ef.copy())

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
