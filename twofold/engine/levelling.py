"""Resource levelling: move activities so that no resource is over-allocated.

Entry point :func:`level`. Two methods:

* ``"heuristic"`` — serial schedule generation with priority rules and forward-backward
  improvement (:mod:`twofold.engine.levelling_sgs`), then, within the time limit and a budget of
  schedules, a random-key genetic algorithm on the compiled SGS
  (:mod:`twofold.engine.levelling_kernel`) or, for plans with priorities, deadlines, fixed
  starts or calendars, biased random sampling, every schedule decoded and justified by the
  compiled SGS; the rules alone take milliseconds (2,000 tasks: ~0.15 s), so a small
  ``time_limit_s`` suits interactive use (the call keeps to it: a quarter of it is left for the
  explanations and the independent check);
* ``"optimise"`` — for plans the compiled search takes (no deadlines, fixed starts, per-period
  capacities or differing priorities), a genetic search with restarts for the whole time
  limit, and beside it a short CP-SAT probe, then more CP-SAT when the probe raised the lower
  bound, or else (from 50 activities) the genetic search decodes on the second core too
  (``genetic_workers``; below, a second genetic search runs there), sharing the best
  schedule; from 50 activities the genetic search hands its last 30 % of the time to a local
  search that walks the plateaus around the best schedule (``local_share``); for other
  plans, the heuristic for part of the time (each improvement reported as it is found),
  then OR-Tools CP-SAT started from its schedule and asked for a shorter project (:mod:`twofold.engine.levelling_cpsat`).
  A ``progress`` callback sees the best makespan a few times a second and can stop the run.

User priorities order the heuristic (higher first). The genetic search and CP-SAT minimise the
makespan only, so they are what ``"optimise"`` adds; with differing priorities the heuristic
keeps to priority order.

Either way the result never breaks a link, a release date, a deadline or a fixed start (it is
checked by the independent :func:`~twofold.engine.levelling_check.check_feasible` before being
returned), is left-justified (nothing is later than it needs to be for its order), and comes
with, for every delayed activity, the reason: the delayed predecessor that pushed it, or the
resource that was over-allocated at its original time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from twofold.engine.levelling_check import (
    Violation,
    ViolationKind,
    capacity_profile,
    check_feasible,
)
from twofold.engine.levelling_cpsat import energy_bound, optimise_schedule
from twofold.engine.levelling_kernel import GeneticSearch, LocalSearch, supports
from twofold.engine.levelling_network import (
    NO_LIMIT,
    InfeasibleProblemError,
    Network,
    compile_network,
)
from twofold.engine.levelling_problem import (
    Activity,
    LevellingInputError,
    LevellingProblem,
    Link,
    LinkType,
    Resource,
)
from twofold.engine.levelling_sgs import heuristic_schedule, makespan, priority_order, serial_sgs

__all__ = [
    "Activity",
    "DelayCause",
    "DelayReason",
    "InfeasibleProblemError",
    "LevellingFailedError",
    "LevellingInputError",
    "LevellingProblem",
    "LevellingResult",
    "Link",
    "LinkType",
    "Resource",
    "Violation",
    "ViolationKind",
    "check_feasible",
    "level",
]

Method = Literal["heuristic", "optimise"]

_SEARCH_SHARE = 0.75
"""Share of a "heuristic" call's time left for its search (2,000 tasks: explanations and the
independent check take about a tenth of a second)."""

_LARGE_NETWORK = 80
_LARGE_POPULATION = 120
_LARGE_GENETIC: dict[str, Any] = {"restart_after": 60}
"""The side-by-side genetic search on networks of more than ``_LARGE_NETWORK`` activities: 120
individuals, a restart after 60 generations without a better population best (2026-12-02,
under load, on the twelve j90 instances of every 8th that missed the best known at 3 s: 3.80 %
and 3.18 % above it against 5.07 % and 4.40 % with 200 and 30, runs alternated; on j60's hard
groups 29, 13 and 45 at 2 s: 3.08 % and 3.13 % against 3.07 % and 3.96 %). A smaller population
runs more generations in the CPU time a loaded machine gives. Smaller networks keep 200 and 30:
on the sixteen j30 instances that missed the optimum at 1 s under load, 120/60 gave 1.18 %
above it (2.0 % with split decoding too) against 0.70 % with 200/30."""

_SPLIT_FROM = 50
"""Networks of at least this many activities split the genetic search's decoding over both
cores after the CP-SAT probe (``genetic_workers``); smaller ones run a second, independent
genetic search (on the sixteen j30 misses, one run under load: 0.86 % above the optimum split
against 0.70 % with two searches; a j30 generation takes about a millisecond, so the hand-over
between threads weighs more)."""

_PROBE_SHARE = 0.05
"""The CP-SAT probe's share of the time beside the genetic search (see ``probe_share``)."""

_SMALL_PROBE_SHARE = 0.1
"""The probe's share below ``_SPLIT_FROM`` activities, where CP-SAT proves most optima quickly:
j30 at 1 s, quiet machine, 2026-12-03: 480/480 at the optimum with 10 % and with 30 % (two
runs), 479/480 with 5 % (``j3029_1``: 86 against 85, which a 10 % probe proves optimal)."""

_LOCAL_SHARE = 0.3
"""Share of a genetic search's time given, from ``_SPLIT_FROM`` activities, to a local search
(:class:`~twofold.engine.levelling_kernel.LocalSearch`) from the best schedule so far: the
population converges within a few hundred milliseconds and then mostly restarts, where a walk
on the plateaus around the best keeps improving it. j90's hard groups 29 and 13 at 3 s: 3.05 %
above the best known without (two runs), 2.89 % with 20 % (two runs), 2.85 % with 30 %; j60's
five hard groups at 2 s: 1.25-1.27 % without, 1.25 % with 30 %. Below ``_SPLIT_FROM``
activities (j30 at 1 s: every optimum found) it stays off."""

_HEURISTIC_POPULATION = 200
"""Population of the genetic search otherwise (and of the heuristic's, within its budget)."""

_FINISHING_S = 0.03
"""Seconds kept back from the optimiser for the work after it (measured 5-20 ms on j60)."""


Progress = Callable[[float, int | None], bool]
"""``progress(fraction_of_time_used, best_makespan_so_far) -> keep_going``: called a few times a
second on the caller's thread during an "optimise" run; answering False stops the search, and
:func:`level` returns the best schedule found so far (still checked and feasible)."""


class LevellingFailedError(RuntimeError):
    """No schedule meeting every hard constraint was found (or exists) within the time limit."""


class DelayCause(StrEnum):
    """Why an activity starts later than its unlevelled early start."""

    NONE = "none"
    PREDECESSOR = "predecessor"
    RESOURCE = "resource"


@dataclass(frozen=True)
class DelayReason:
    """Explanation of one activity's delay.

    Attributes:
        activity: activity index.
        delay: periods later than the unlevelled early start (0 if not delayed).
        cause: predecessor push, resource over-allocation, or none.
        predecessor: for PREDECESSOR, the delayed predecessor whose link fixes the start.
        resource: for RESOURCE, the resource over-allocated at the original time.
        competitors: for RESOURCE, activities that use it during the original time.
        message: one sentence for people.
    """

    activity: int
    delay: int
    cause: DelayCause
    predecessor: int | None = None
    resource: int | None = None
    competitors: tuple[int, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class LevellingResult:
    """A levelled schedule (all in periods).

    Attributes:
        starts: start period per activity.
        finishes: finish period per activity (start + duration).
        early_starts: the unlevelled early starts (links, releases and fixed starts only).
        delays: ``starts - early_starts`` per activity.
        reasons: why each activity is delayed (one per activity, cause NONE when not delayed).
        makespan: finish of the last activity.
        lower_bound: a proven lower bound on the makespan (critical path, or CP-SAT's bound).
        proven_optimal: True when the optimiser proved the makespan minimal.
        method: the method that produced ``starts`` ("heuristic" or "optimise").
    """

    starts: tuple[int, ...]
    finishes: tuple[int, ...]
    early_starts: tuple[int, ...]
    delays: tuple[int, ...]
    reasons: tuple[DelayReason, ...]
    makespan: int
    lower_bound: int
    proven_optimal: bool
    method: Method


def level(
    problem: LevellingProblem,
    *,
    time_limit_s: float = 1.0,
    seed: int = 0,
    method: Method = "heuristic",
    probe_share: float | None = None,
    heuristic_share: float = 0.7,
    schedule_budget: int = 5000,
    workers: int = 2,
    work_limit: float | None = None,
    optimiser_options: Mapping[str, Any] | None = None,
    population: int | None = None,
    concurrent: bool = False,
    progress: Progress | None = None,
    genetic_options: Mapping[str, Any] | None = None,
    keep_proving: bool = True,
    genetic_workers: int | None = None,
    local_share: float | None = None,
    local_options: Mapping[str, Any] | None = None,
) -> LevellingResult:
    """Level ``problem`` within about ``time_limit_s`` seconds of wall time.

    Args:
        problem: activities, links and resources.
        time_limit_s: wall-clock budget for the whole call.
        seed: random seed of the heuristic search and of CP-SAT. Same seed and inputs give
            the same result unless the wall-clock limit cuts a search short; for results that
            do not depend on machine load, bound the work instead (``schedule_budget`` for the
            heuristic, ``work_limit`` for CP-SAT) and give a generous ``time_limit_s``.
        method: "heuristic" or "optimise" (see the module docstring).
        probe_share: with "optimise" and two searches side by side, the fraction of the time
            the second search spends in a first CP-SAT probe; by default 5 %, and 10 % below
            ``_SPLIT_FROM`` activities (:data:`_SMALL_PROBE_SHARE`). j60 at 2 s: 10.59 % and
            10.60 % at 5 %, 10.61-10.63 % at 10 %; hard subset 0.65 % above the best known at
            5 %, 0.74-0.87 % at 10 %, 0.90 % at 25 %, 1.03 % without a probe.
        heuristic_share: with "optimise" one search after the other (deadlines, per-period
            capacities, priorities, ``work_limit``), the fraction of the time for the
            heuristic search before CP-SAT.
        schedule_budget: most schedules the heuristic generates after its rules (the search
            stops earlier at its time share or when it meets the lower bound).
        workers: CP-SAT worker threads.
        work_limit: CP-SAT deterministic time limit (reproducible interleaved search).
        optimiser_options: extra keyword arguments for
            :func:`~twofold.engine.levelling_cpsat.optimise_schedule` (experiments, benchmarks).
        population: individuals per generation of the genetic search (default: 120 for the
            search side by side with CP-SAT on networks of more than 80 activities, with a
            restart after 60 generations without progress instead of 30; 200 otherwise).
        concurrent: with two searches side by side, give the second one to CP-SAT for the
            whole time rather than a ``probe_share`` probe then more CP-SAT or a second genetic
            search (``keep_proving``). Off by default: the probe policy measured better on
            j30 too (480/480 at 1 s against 478/480 with CP-SAT the whole time).
        progress: see :data:`Progress`.
        genetic_options: extra keyword arguments for
            :class:`~twofold.engine.levelling_kernel.GeneticSearch` in the side-by-side
            searches (experiments, benchmarks).
        keep_proving: with two searches side by side on a larger network, let CP-SAT go on
            after its probe (instead of the second genetic search) when the probe raised the
            lower bound, a sign that it is closing in on a proof (full j60 at 2 s with a 10 %
            probe: 10.61 % and 432 at best with it, 10.62 % and 429 without).
        genetic_workers: threads the genetic search splits each generation's decoding between
            while CP-SAT is not running beside it. With 2 (the default from 50 activities),
            after the CP-SAT probe the one genetic search uses both cores; with 1 (the default
            below), the second core runs a second, independent genetic search (the behaviour
            before 2026-12-02). At the same CPU time, one search twice as long beats two
            independent ones on the hard j90 instances (see docs/benchmarks-levelling.md).
        local_share: share of each genetic search's time spent, after it, in a local search
            from the best schedule so far (default :data:`_LOCAL_SHARE` from ``_SPLIT_FROM``
            activities, 0 below).
        local_options: extra keyword arguments for
            :class:`~twofold.engine.levelling_kernel.LocalSearch` (experiments, benchmarks).

    Raises:
        InfeasibleProblemError: the hard constraints contradict each other even without
            resource limits, or the links form a cycle.
        LevellingFailedError: no schedule respecting every hard constraint was found in time
            (for "heuristic", deadlines or fixed starts left no room; try "optimise").
    """
    began = time.perf_counter()
    if method not in ("heuristic", "optimise"):
        raise LevellingInputError(f"method must be 'heuristic' or 'optimise', not {method!r}")
    if population is not None and population < 2:
        raise LevellingInputError(f"population must be at least 2, not {population}")
    seed = int(seed) % _SEED_RANGE  # numpy takes no negative seed, CP-SAT none of 2**31 or more
    network = compile_network(problem)
    priorities = [activity.priority for activity in problem.activities]
    lower_bound = network.makespan_lower_bound()
    if method == "heuristic":
        starts = heuristic_schedule(
            network,
            priorities,
            seed=seed,
            schedule_budget=schedule_budget,
            # Leave room for the explanations and the independent check after the search.
            time_budget_s=(time_limit_s - (time.perf_counter() - began)) * _SEARCH_SHARE,
        )
        if starts is None and len(set(priorities)) > 1:
            # Priorities are soft, deadlines and fixed starts hard: when putting the urgent
            # first leaves a deadline no room, the rules try again without priorities.
            starts = _without_priorities(
                network, seed, time_limit_s - (time.perf_counter() - began)
            )
        proven = starts is not None and makespan(network, starts) <= lower_bound
        if progress is not None:
            progress(1.0, makespan(network, starts) if starts is not None else None)
        return _result(problem, network, starts, lower_bound, proven, "heuristic")

    search = _Search(network, seed, workers, work_limit, began, time_limit_s, progress)
    search.options = dict(optimiser_options or {})
    large = len(problem.activities) > _LARGE_NETWORK
    search.genetic_options = {**(_LARGE_GENETIC if large else {}), **(genetic_options or {})}
    side_population = (
        population
        if population is not None
        else (_LARGE_POPULATION if large else _HEURISTIC_POPULATION)
    )
    search.keep_proving = keep_proving
    if genetic_workers is None:
        genetic_workers = 2 if len(problem.activities) >= _SPLIT_FROM else 1
    if probe_share is None:
        small = len(problem.activities) < _SPLIT_FROM
        probe_share = _SMALL_PROBE_SHARE if small else _PROBE_SHARE
    search.genetic_workers = max(1, genetic_workers)
    if local_share is None:
        local_share = _LOCAL_SHARE if len(problem.activities) >= _SPLIT_FROM else 0.0
    search.local_share = min(1.0, max(0.0, local_share))
    search.local_options = dict(local_options or {})
    search.offer(heuristic_schedule(network, priorities, seed=seed, schedule_budget=0))
    finish_by = search.deadline - _FINISHING_S
    if search.proven:
        pass  # the rules' schedule meets the lower bound
    elif work_limit is None and supports(network) and len(set(priorities)) <= 1:
        # Two searches side by side (the compiled genetic search and CP-SAT both release the
        # GIL): a genetic search, and beside it a short CP-SAT probe from the rules' schedule
        # (which settles easy cases with a proof), then more CP-SAT if the probe raised the
        # lower bound, else the genetic search splits its decoding over both cores (one
        # search twice as fast beat two independent ones on j90 and j60's hard groups; with
        # genetic_workers=1 the second core runs a second, independent genetic search). This
        # thread only watches: it reports progress and passes on a request to stop.
        probe_until = finish_by if concurrent else began + time_limit_s * probe_share
        search.watch(
            threading.Thread(target=search.genetic, args=(seed, finish_by, side_population)),
            threading.Thread(
                target=search.probe_then_genetic,
                args=(probe_until, finish_by, side_population),
            ),
        )
    else:
        # Deadlines, per-period capacities, priorities, or a reproducible run: the heuristic
        # search (with its budget), then CP-SAT from its best schedule for the rest.
        initial = [search.starts] if search.starts is not None else []
        ranked = len(set(priorities)) > 1
        search.watch(
            threading.Thread(
                target=search.heuristic,
                args=(
                    priorities,
                    # With priorities the sampling is the whole search: bounded by the time
                    # (a reproducible run, ``work_limit``, keeps the budget).
                    schedule_budget if not ranked or work_limit is not None else 10**9,
                    time_limit_s * (0.9 if ranked else heuristic_share),
                    initial,
                    population if population is not None else _HEURISTIC_POPULATION,
                ),
            )
        )
        if ranked and search.starts is None:  # (even when stopped at the deadline)
            # The priority-first search found no schedule: a priority is soft, a deadline or
            # fixed start hard (as for "heuristic" above). Only now, so that a schedule keeping
            # the priorities, found by the sampling, is never beaten by a shorter one without.
            # Its own share of the time, even past the limit: otherwise the answer is "none".
            left = max(search.deadline - time.perf_counter(), time_limit_s * _FALLBACK_SHARE)
            search.offer(_without_priorities(network, seed, left))
        # CP-SAT shortens the plan whatever the priorities: with user priorities it would
        # delay an urgent task behind a normal one, so the priority-first search has the time
        # (unless no schedule was found at all).
        if not search.proven and not search.stop.is_set() and (not ranked or search.starts is None):
            seconds = search.deadline - time.perf_counter() - _FINISHING_S
            search.watch(threading.Thread(target=search.optimise, args=(seconds,)))
    if search.starts is None and search.infeasible:
        raise LevellingFailedError("no schedule meets every deadline and fixed start")
    search.report(final=True)
    return _result(
        problem, network, search.starts, search.lower_bound, search.proven, search.method
    )


def _without_priorities(network: Network, seed: int, seconds: float) -> list[int] | None:
    """A schedule by the rules and a short sampling with every priority equal: the fallback when
    putting the higher priorities first left a deadline or fixed start no room (priorities are
    soft, those hard)."""
    return heuristic_schedule(
        network,
        [0] * network.size,
        seed=seed,
        schedule_budget=_FALLBACK_SCHEDULES,
        time_budget_s=max(0.0, seconds) * _SEARCH_SHARE,
    )


_SEED_RANGE = 2**31
"""Seeds are taken modulo this (CP-SAT's seed is a 32-bit signed integer)."""

_FALLBACK_SHARE = 0.2
"""Least share of the time limit the fallback without priorities gets in "optimise", run after
the priority-first search has used its time and found nothing."""

_FALLBACK_SCHEDULES = 200
"""Most schedules the fallback without priorities samples after the rules."""

_REPORT_EVERY_S = 0.2
"""How often the watching thread calls ``progress``."""

_GRACE_S = 0.3
"""How long after the time limit a search that has been asked to stop is waited for."""


class _Search:
    """Best schedule and bound so far, shared by the searches of one :func:`level` call."""

    def __init__(
        self,
        network: Network,
        seed: int,
        workers: int,
        work_limit: float | None,
        began: float,
        time_limit_s: float,
        progress: Progress | None,
    ) -> None:
        self.network = network
        self.seed = seed
        self.workers = workers
        self.work_limit = work_limit
        self.began = began
        self.time_limit_s = time_limit_s
        self.deadline = began + time_limit_s
        self.progress = progress
        self.starts: list[int] | None = None
        self.best_makespan = NO_LIMIT
        self.lower_bound = max(network.makespan_lower_bound(), energy_bound(network))
        self.method: Method = "heuristic"
        self.infeasible = False
        self.options: dict[str, Any] = {}
        self.genetic_options: dict[str, Any] = {}
        self.keep_proving = True
        self.genetic_workers = 1
        self.local_share = 0.0
        self.local_options: dict[str, Any] = {}
        self.solving = threading.Event()
        """Set while CP-SAT runs beside the genetic search (which then decodes on one thread)."""
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._solvers: list[Any] = []
        self._failures: list[BaseException] = []

    @property
    def proven(self) -> bool:
        return self.starts is not None and self.best_makespan <= self.lower_bound

    def offer(self, starts: list[int] | None, method: Method = "heuristic") -> None:
        if starts is None:
            return
        length = makespan(self.network, starts)
        with self._lock:
            if self.starts is None or length < self.best_makespan:
                self.starts, self.method, self.best_makespan = list(starts), method, length
        if self.proven:
            self.request_stop()

    def raise_bound(self, bound: int) -> None:
        with self._lock:
            self.lower_bound = max(self.lower_bound, bound)
        if self.proven:
            self.request_stop()

    def request_stop(self) -> None:
        self.stop.set()
        with self._lock:
            solvers = list(self._solvers)
        for solver in solvers:
            solver.stop_search()

    def _register(self, solver: Any) -> None:
        with self._lock:
            self._solvers.append(solver)
        if self.stop.is_set():
            solver.stop_search()

    def report(self, *, final: bool = False) -> None:
        if self.progress is None or (self.stop.is_set() and not final):
            return
        used = (time.perf_counter() - self.began) / max(self.time_limit_s, 1e-9)
        best = self.best_makespan if self.starts is not None else None
        if not self.progress(1.0 if final else min(1.0, used), best) and not final:
            self.request_stop()

    def watch(self, *threads: threading.Thread) -> None:
        """Run ``threads``; meanwhile report progress on this thread and pass on a stop."""
        self.report()
        for thread in threads:
            thread.daemon = True
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(_REPORT_EVERY_S)
                self.report()
                overdue = time.perf_counter() - self.deadline
                if overdue > 0:
                    # A solver past the time limit (CP-SAT still building a large model, which
                    # its own limit does not cover) is asked to stop, and after a grace period
                    # left behind: the call returns its best schedule on time.
                    self.request_stop()
                    if overdue > _GRACE_S:
                        break
        if self._failures:
            raise self._failures[0]

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # re-raised on the watching thread
            self._failures.append(exc)
            self.request_stop()

    def genetic(self, seed: int, until: float, population: int) -> None:
        """Compiled random-key genetic search, then (``local_share`` of the time) a local search
        from its best schedule, until ``until``, a stop, or the lower bound."""

        def run() -> None:
            seeds = [self.starts] if self.starts is not None else []
            ga = GeneticSearch(
                self.network, seeds, seed=seed, population=population, **self.genetic_options
            )
            walk_from = until - (until - time.perf_counter()) * self.local_share
            while not self.stop.is_set() and time.perf_counter() < walk_from:
                ga.workers = 1 if self.solving.is_set() else self.genetic_workers
                ga.step()
                if ga.best is not None and ga.best_makespan < self.best_makespan:
                    self.offer(ga.best)
                elif self.method == "optimise" and self.best_makespan < ga.best_makespan:
                    # CP-SAT found better: let the population build on it.
                    assert self.starts is not None
                    ga.inject(self.starts)
            self.offer(ga.best)
            if (
                self.local_share <= 0
                or self.stop.is_set()
                or self.starts is None
                or time.perf_counter() >= until
            ):
                return
            walk = LocalSearch(ga.kernel, self.starts, seed=seed, **self.local_options)
            while not self.stop.is_set() and time.perf_counter() < until:
                walk.workers = 1 if self.solving.is_set() else self.genetic_workers
                walk.step()
                if walk.best_makespan < self.best_makespan:
                    self.offer(walk.best)
                elif self.best_makespan < walk.makespan:
                    # Found better elsewhere (CP-SAT, the other search): walk from there.
                    assert self.starts is not None
                    walk.adopt(self.starts)
            self.offer(walk.best)

        self._guarded(run)

    def probe_then_genetic(self, probe_until: float, until: float, population: int) -> None:
        """One-worker CP-SAT from the best schedule until ``probe_until``, then a genetic search
        (or more CP-SAT, see ``keep_proving`` in :func:`level`)."""
        seconds = probe_until - time.perf_counter()
        bound_before = self.lower_bound
        self.solving.set()
        try:
            if seconds > 0.02:
                self.optimise(seconds, workers=1)
            if self.stop.is_set() or until - time.perf_counter() <= 0.02:
                return
            if self.lower_bound > bound_before and self.keep_proving:
                # CP-SAT is closing in on a proof (its bound rose above the critical path and
                # energy bounds): let it go on; on the hard cases its bound does not move.
                self.optimise(until - time.perf_counter(), workers=1)
                return
        finally:
            self.solving.clear()
        if self.genetic_workers == 1:
            self.genetic(self.seed + 1, until, population)
        # Otherwise the first genetic search now decodes on this core too.

    def heuristic(
        self,
        priorities: list[int],
        schedule_budget: int,
        seconds: float,
        initial: list[list[int]],
        population: int,
    ) -> None:
        def run() -> None:
            found = heuristic_schedule(
                self.network,
                priorities,
                seed=self.seed,
                schedule_budget=schedule_budget,
                time_budget_s=seconds,
                lower_bound=self.lower_bound,
                initial=initial,
                population=population,
                should_stop=self.stop.is_set,
                # Each improvement as it is found, so progress shows it during a long search.
                on_improve=self.offer,
            )
            self.offer(found)

        self._guarded(run)

    def optimise(self, seconds: float, workers: int | None = None) -> None:
        def run() -> None:
            outcome = optimise_schedule(
                self.network,
                hint=self.starts,
                time_limit_s=max(seconds, 0.05),
                seed=self.seed,
                workers=workers or self.workers,
                work_limit=self.work_limit,
                on_solver=self._register,
                **self.options,
            )
            self.infeasible = self.infeasible or outcome.infeasible
            if outcome.starts is not None:
                self.offer(_left_justified(self.network, list(outcome.starts)), "optimise")
            self.raise_bound(outcome.lower_bound)
            if outcome.proven_optimal and self.starts is not None:
                self.raise_bound(self.best_makespan)

        self._guarded(run)


def _result(
    problem: LevellingProblem,
    network: Network,
    starts: list[int] | None,
    lower_bound: int,
    proven: bool,
    method: Method,
) -> LevellingResult:
    if starts is None:
        raise LevellingFailedError(
            "the heuristic found no schedule meeting every deadline and fixed start"
        )
    violations = check_feasible(problem, starts)
    if violations:
        raise AssertionError(f"levelling produced an infeasible schedule: {violations[:3]}")
    early = network.lower
    return LevellingResult(
        starts=tuple(starts),
        finishes=tuple(s + d for s, d in zip(starts, network.durations, strict=True)),
        early_starts=early,
        delays=tuple(start - low for start, low in zip(starts, early, strict=True)),
        reasons=explain_delays(problem, network, starts),
        makespan=makespan(network, starts),
        lower_bound=lower_bound,
        proven_optimal=proven,
        method=method,
    )


def _left_justified(network: Network, starts: list[int]) -> list[int]:
    """Shift every activity as early as the order of ``starts`` allows, if that is no later."""
    order = priority_order(network, [(start, index) for index, start in enumerate(starts)])
    shifted = serial_sgs(network, order)
    if shifted is None or any(new > old for new, old in zip(shifted, starts, strict=True)):
        return starts
    return shifted


def explain_delays(
    problem: LevellingProblem, network: Network, starts: list[int]
) -> tuple[DelayReason, ...]:
    """One :class:`DelayReason` per activity of the schedule ``starts``."""
    activities = problem.activities
    early = network.lower
    usage: _Usage | None = None
    reasons: list[DelayReason] = []
    for index, activity in enumerate(activities):
        delay = starts[index] - early[index]
        if delay <= 0:
            reasons.append(DelayReason(index, 0, DelayCause.NONE))
            continue
        pusher = next(
            (
                predecessor
                for predecessor, distance in network.predecessors[index]
                if starts[predecessor] + distance == starts[index]
                and starts[predecessor] > early[predecessor]
            ),
            None,
        )
        if pusher is not None:
            reasons.append(
                DelayReason(
                    index,
                    delay,
                    DelayCause.PREDECESSOR,
                    predecessor=pusher,
                    message=f"{activity.name!r} follows {activities[pusher].name!r}, which was "
                    f"delayed by {starts[pusher] - early[pusher]}",
                )
            )
            continue
        usage = usage or _Usage(problem, starts)
        reasons.append(_resource_reason(problem, usage, starts, index, delay, early[index]))
    return tuple(reasons)


class _Usage:
    """Per resource, the units the schedule uses in each period and the activities using it."""

    def __init__(self, problem: LevellingProblem, starts: list[int]) -> None:
        activities = problem.activities
        longest = max((activity.duration for activity in activities), default=0)
        end = max((s + a.duration for s, a in zip(starts, activities, strict=True)), default=0)
        self.end = end + longest + 2
        self.used: list[npt.NDArray[np.int64]] = []
        self.users: list[npt.NDArray[np.int64]] = []
        """Per resource, the activities using it, in index order."""
        self.starts = np.maximum(np.asarray(starts, dtype=np.int64), 0)
        self.finishes = self.starts + np.asarray([a.duration for a in activities], dtype=np.int64)
        self.capacity: list[npt.NDArray[np.int64]] = []
        demands = np.asarray([a.demands for a in activities], dtype=np.int64).reshape(
            len(activities), len(problem.resources)
        )
        running = self.finishes > self.starts
        for resource_index, resource in enumerate(problem.resources):
            column = demands[:, resource_index]
            users = np.flatnonzero((column != 0) & running)
            change = np.zeros(self.end + 1, dtype=np.int64)
            np.add.at(change, self.starts[users], column[users])
            np.add.at(change, self.finishes[users], -column[users])
            self.used.append(np.cumsum(change)[: self.end])
            self.users.append(users)
            self.capacity.append(capacity_profile(resource.capacity, 0, self.end))


def _resource_reason(
    problem: LevellingProblem,
    usage: _Usage,
    starts: list[int],
    index: int,
    delay: int,
    original: int,
) -> DelayReason:
    activity = problem.activities[index]
    first, stop = original, min(original + max(activity.duration, 1), usage.end)
    own_start, own_finish = starts[index], starts[index] + activity.duration
    periods = np.arange(first, stop)
    own = (periods >= own_start) & (periods < own_finish)
    for resource_index, resource in enumerate(problem.resources):
        demand = activity.demands[resource_index]
        if not demand or first >= stop:
            continue
        # Units the other activities use in each period of the original window.
        used = usage.used[resource_index][first:stop] - np.where(own, demand, 0)
        over = np.flatnonzero(used + demand > usage.capacity[resource_index][first:stop])
        if not over.size:
            continue
        period = first + int(over[0])
        users = usage.users[resource_index]
        running = (usage.starts[users] <= period) & (period < usage.finishes[users])
        others = [int(other) for other in users[running] if other != index]
        available = int(usage.capacity[resource_index][period])
        return DelayReason(
            index,
            delay,
            DelayCause.RESOURCE,
            resource=resource_index,
            competitors=tuple(others),
            message=f"{resource.name!r} would be over-allocated at period {period}: "
            f"{int(used[over[0]])} in use by {len(others)} other activities, {demand} more "
            f"needed, {available} available",
        )
    return DelayReason(
        index,
        delay,
        DelayCause.RESOURCE,
        message=f"{activity.name!r} was placed after activities that levelling put first",
    )
