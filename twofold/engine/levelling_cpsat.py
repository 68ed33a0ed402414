"""Levelling optimiser: minimum makespan with OR-Tools CP-SAT, started from the heuristic.

Model: one interval per activity, one cumulative constraint per resource (per-period capacity
below the peak is modelled as fixed blocking intervals), each link as a start-to-start distance.
What it adds to that plain model:

* the heuristic schedule as a complete hint and as the horizon; by default (``improve_only``)
  the makespan must be at least one period shorter than the hint's, so the whole search,
  windows included, is about improving on it, and an infeasible model proves the hint optimal
  (measured on the hard j30 groups 13, 25, 29, 45 at 1 s: 28/40 at the optimum with
  ``makespan <= hint``, 29-33/40 over nine runs of variants with ``makespan <= hint - 1``);
* lower bounds on the makespan: the critical path and, per resource, the energy bound
  (total work / capacity), and on each activity its window from the time analysis;
* redundant disjunctions: activities that can never run together on some resource (their
  demands add up to more than its capacity) are put in no-overlap constraints, found as greedy
  cliques, which prune much more than the cumulative does on its own;
* CP-SAT's default search (its scheduling LNS neighbourhoods do most of the improving); the
  stronger cumulative propagators (edge finding, overload checker) were measured slower here,
  and a decision strategy on the starts in the hint's order (``start_order_search``, with or
  without ``FIXED_SEARCH``), ``repair_hint``, ``linearization_level=0``, ``use_lns_only`` and
  a third worker made no measurable difference (kept as options for experiments).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from twofold.engine.levelling_network import NO_LIMIT, Network

__all__ = ["OptimiserOutcome", "energy_bound", "optimise_schedule"]


@dataclass(frozen=True)
class OptimiserOutcome:
    """What CP-SAT returned.

    Attributes:
        starts: best schedule found (start period per activity), or None if none was found.
        proven_optimal: True when the makespan is proven minimal.
        lower_bound: best proven lower bound on the makespan, in periods.
        infeasible: True when CP-SAT proved that no schedule exists within the horizon.
    """

    starts: tuple[int, ...] | None
    proven_optimal: bool
    lower_bound: int
    infeasible: bool = False


def energy_bound(network: Network) -> int:
    """Largest over resources of ceil(total work / peak capacity): a makespan lower bound."""
    bound = 0
    for resource, tail in enumerate(network.tails):
        capacity = max([tail, *network.capacities[resource]])
        if capacity <= 0:
            continue
        energy = sum(
            duration * demands[resource]
            for duration, demands in zip(network.durations, network.demands, strict=True)
        )
        bound = max(bound, -(-energy // capacity))
    return bound


_CLIQUE_WORK = 40_000_000
"""Budget of the greedy clique search, in clash-matrix elements read (about 0.1 s here): the
cliques found within it are kept. j30-j90 instances take 1-4 ms and stay far below it; random
networks of 300 and 1,000 activities with dense demands took 0.4 s and 15 s without it (the
15 s on a thread left running past the caller's time limit)."""

_STEP_WORK = 2_000
"""What one step of the greedy search counts against :data:`_CLIQUE_WORK` besides the matrix
elements it reads (a Python round of a few microseconds)."""

_CLIQUE_MAX_ACTIVITIES = 5000
"""Above this many activities no redundant disjunctions are looked for (the clash matrix alone
would be tens of megabytes; the cumulative constraints hold the model on their own)."""


def _incompatible_cliques(network: Network, work: int = _CLIQUE_WORK) -> list[list[int]]:
    """Greedy cliques of activities that pairwise cannot overlap on some resource.

    Deterministic: the search stops after ``work`` candidate visits (see :data:`_CLIQUE_WORK`),
    never after a wall-clock time, so a given network always gets the same model.
    """
    size = network.size
    active = [index for index in range(size) if network.durations[index] > 0]
    if len(active) < 2 or len(active) > _CLIQUE_MAX_ACTIVITIES or not network.tails:
        return []
    peaks = np.array(
        [
            max([tail, *profile])
            for tail, profile in zip(network.tails, network.capacities, strict=True)
        ],
        dtype=np.int64,
    )
    demands = np.array([network.demands[index] for index in active], dtype=np.int64)
    clashes = np.zeros((len(active), len(active)), dtype=bool)
    for resource, peak in enumerate(peaks):
        # Only activities using the resource can clash on it (a demand is at most the peak).
        users = np.flatnonzero(demands[:, resource])
        work -= users.size * users.size
        if work <= 0:
            return []  # the matrix alone is over the budget: no redundant constraints
        column = demands[users, resource]
        clashes[np.ix_(users, users)] |= column[:, None] > peak - column[None, :]
    np.fill_diagonal(clashes, False)
    local = np.arange(len(active))
    degrees = clashes.sum(axis=1)
    covered = np.zeros_like(clashes)
    cliques: list[list[int]] = []
    # Seed a clique from every clashing pair not yet covered, largest neighbourhoods first, and
    # grow it by the candidate clashing with most of the other candidates (ties: lowest index).
    for seed in np.lexsort((local, -degrees)):
        partners = np.flatnonzero(clashes[seed])
        partners = partners[np.lexsort((partners, -degrees[partners]))]
        while True:
            open_pairs = ~covered[seed, partners]
            if not open_pairs.any():
                break
            partner = int(partners[int(np.argmax(open_pairs))])
            clique = [int(seed), partner]
            candidates = clashes[seed] & clashes[partner]
            work -= partners.size + _STEP_WORK
            while candidates.any():
                among = np.flatnonzero(candidates)
                chosen = int(among[int(np.argmax(clashes[np.ix_(among, among)].sum(axis=1)))])
                clique.append(chosen)
                candidates &= clashes[chosen]
                work -= among.size * among.size + _STEP_WORK
            covered[np.ix_(clique, clique)] = True
            cliques.append([active[index] for index in clique])
            if work <= 0:
                return cliques
    return cliques


def optimise_schedule(
    network: Network,
    *,
    hint: Sequence[int] | None,
    time_limit_s: float,
    seed: int,
    workers: int = 2,
    work_limit: float | None = None,
    redundant_disjunctions: bool = True,
    improve_only: bool = True,
    start_order_search: bool | str = False,
    parameter_overrides: Mapping[str, float | int | bool | str] | None = None,
    on_solver: Callable[[cp_model.CpSolver], None] | None = None,
) -> OptimiserOutcome:
    """Minimise the makespan of ``network`` with CP-SAT within ``time_limit_s`` seconds.

    ``hint`` (a feasible schedule) bounds the horizon; without it the horizon is the sum of all
    durations and distances past the latest window start. With ``work_limit`` (CP-SAT
    deterministic time units) the search is run in CP-SAT's interleaved, reproducible mode, so a
    given seed gives the same schedule whatever the machine load, as long as the wall-clock limit
    does not cut in first.

    ``improve_only`` asks for a makespan below the hint's (see the module docstring);
    ``start_order_search`` adds a decision strategy on the starts in the hint's order
    (``"lowest"``: smallest lower bound first); ``parameter_overrides`` sets CP-SAT parameters
    by name (enumerated values by name too, e.g. ``search_branching="FIXED_SEARCH"``).
    ``on_solver`` receives the solver before it starts, so that another thread can stop it
    (``stop_search``); the outcome is then the best found so far.
    """
    size = network.size
    durations = network.durations
    critical_path = network.makespan_lower_bound()
    lower_bound = max(critical_path, energy_bound(network))
    if hint is not None:
        horizon = max((s + d for s, d in zip(hint, durations, strict=True)), default=0)
    else:
        horizon = max(
            max((low for low in network.lower), default=0) + sum(durations),
            max(
                (up + d for up, d in zip(network.upper, durations, strict=True) if up < NO_LIMIT),
                default=0,
            ),
        )
        horizon += sum(max(0, delta) for pairs in network.predecessors for _, delta in pairs)
    if hint is not None and horizon <= lower_bound:
        return OptimiserOutcome(tuple(hint), True, horizon)
    # Only improvements are searched for: an infeasible model then proves the hint optimal.
    improving = hint is not None and improve_only
    hint_span = horizon
    if improving:
        horizon -= 1

    model = cp_model.CpModel()
    latest = network.latest_starts(horizon)
    starts = []
    intervals = []
    for index in range(size):
        low, high = network.lower[index], latest[index]
        if high < low:
            if improving and hint is not None:
                return OptimiserOutcome(tuple(hint), True, hint_span)
            return OptimiserOutcome(None, False, lower_bound, infeasible=True)
        start = model.new_int_var(low, high, f"s{index}")
        starts.append(start)
        intervals.append(model.new_fixed_size_interval_var(start, durations[index], f"i{index}"))
    for index in range(size):
        for predecessor, delta in network.predecessors[index]:
            model.add(starts[index] >= starts[predecessor] + delta)

    for resource, tail in enumerate(network.tails):
        profile = network.capacities[resource]
        peak = max([tail, *profile])
        members = [i for i in range(size) if network.demands[i][resource] and durations[i]]
        if not members:
            continue
        resource_intervals = [intervals[i] for i in members]
        resource_demands = [network.demands[i][resource] for i in members]
        # A per-period capacity below the peak becomes a fixed interval using up the difference.
        period = 0
        while period < len(profile):
            gap = peak - profile[period]
            run_end = period
            while run_end < len(profile) and peak - profile[run_end] == gap:
                run_end += 1
            if gap > 0:
                resource_intervals.append(
                    model.new_fixed_size_interval_var(
                        period, run_end - period, f"b{resource}_{period}"
                    )
                )
                resource_demands.append(gap)
            period = run_end
        if tail < peak and horizon > len(profile):
            # After the profile the tail holds (a capacity that fell after an earlier peak).
            resource_intervals.append(
                model.new_fixed_size_interval_var(
                    len(profile), horizon - len(profile), f"b{resource}_tail"
                )
            )
            resource_demands.append(peak - tail)
        if sum(resource_demands) > peak:
            model.add_cumulative(resource_intervals, resource_demands, peak)

    for clique in _incompatible_cliques(network) if redundant_disjunctions else []:
        model.add_no_overlap([intervals[index] for index in clique])

    finish = model.new_int_var(lower_bound, horizon, "makespan")
    for index in range(size):
        # Every activity, milestones with successors too: a negative lag can put one after them.
        model.add(finish >= starts[index] + durations[index])
    model.minimize(finish)
    if hint is not None:
        for index in range(size):
            model.add_hint(starts[index], int(hint[index]))
        if not improving:
            model.add_hint(finish, horizon)
        if start_order_search:
            ranked = sorted(range(size), key=lambda index: (hint[index], index))
            model.add_decision_strategy(
                [starts[index] for index in ranked],
                cp_model.CHOOSE_LOWEST_MIN
                if start_order_search == "lowest"
                else cp_model.CHOOSE_FIRST,
                cp_model.SELECT_MIN_VALUE,
            )

    solver = cp_model.CpSolver()
    parameters = solver.parameters
    parameters.num_workers = max(1, workers)
    parameters.random_seed = seed
    parameters.max_time_in_seconds = max(0.01, time_limit_s)
    if work_limit is not None:
        parameters.interleave_search = True
        parameters.max_deterministic_time = work_limit
    for name, value in (parameter_overrides or {}).items():
        # Enumerated parameters may be given by name, e.g. search_branching="FIXED_SEARCH".
        setattr(
            parameters, name, getattr(type(parameters), value) if isinstance(value, str) else value
        )
    if on_solver is not None:
        on_solver(solver)
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = tuple(int(solver.value(start)) for start in starts)
        bound = max(lower_bound, int(solver.best_objective_bound))
        return OptimiserOutcome(found, status == cp_model.OPTIMAL, bound)
    if status == cp_model.INFEASIBLE:
        if improving and hint is not None:
            return OptimiserOutcome(tuple(hint), True, hint_span)
        return OptimiserOutcome(None, False, lower_bound, infeasible=True)
    return OptimiserOutcome(tuple(hint) if hint is not None else None, False, lower_bound)
