"""Fast levelling heuristic: serial schedule generation with priority rules and justification.

The serial schedule generation scheme (SGS) takes activities one by one in a precedence-feasible
order and puts each at the earliest period where its links, its window and every resource allow
it. Orders come from classic priority rules (latest finish, latest start, most total successors,
greatest rank positional weight, resource load) and from regret-biased random sampling around the
latest-finish rule. Every schedule is then improved by forward-backward improvement (double
justification: shift everything right as far as the makespan allows, then left again), which is
what makes simple SGS competitive (Valls, Ballestin and Quintanilla, EJOR 165, 2005).

All functions work on a compiled :class:`~twofold.engine.levelling_network.Network`; starts are
integer periods. A ``None`` schedule means the order could not respect a latest start (a
deadline or fixed start), never that a link or capacity was broken.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from twofold.engine.levelling_kernel import (
    INFEASIBLE,
    GeneticSearch,
    KernelNetwork,
    horizon_bound,
    supports,
)
from twofold.engine.levelling_network import NO_LIMIT, Network

__all__ = [
    "heuristic_schedule",
    "justify",
    "makespan",
    "priority_order",
    "rule_keys",
    "serial_sgs",
]

Schedule = list[int]

_POPULATION = 48
"""Individuals per generation of the genetic algorithm."""


def makespan(network: Network, starts: Sequence[int]) -> int:
    """Largest finish period of ``starts`` (0 for no activities)."""
    return max((s + d for s, d in zip(starts, network.durations, strict=True)), default=0)


def priority_order(network: Network, keys: Sequence[float | tuple[float, ...]]) -> list[int]:
    """Precedence-feasible order that always takes the eligible activity with the smallest key."""
    remaining = [len(pairs) for pairs in network.predecessors]
    ready = [(keys[index], index) for index in range(network.size) if remaining[index] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        _, index = heapq.heappop(ready)
        order.append(index)
        for successor, _ in network.successors[index]:
            remaining[successor] -= 1
            if remaining[successor] == 0:
                heapq.heappush(ready, (keys[successor], successor))
    return order


def serial_sgs(network: Network, order: Sequence[int]) -> Schedule | None:
    """Schedule ``order`` (precedence-feasible) with the serial SGS.

    Activities with a one-period window are placed first. Returns the start period of every
    activity, or None when some activity would have to start after its latest allowed start.
    """
    size = network.size
    durations = network.durations
    lower = network.lower
    upper = network.upper
    tails = network.tails
    residual = [list(profile) for profile in network.capacities]
    uses = [
        [(resource, demand) for resource, demand in enumerate(row) if demand]
        for row in network.demands
    ]
    start = [-1] * size

    def place(activity: int, at: int) -> None:
        end = at + durations[activity]
        for resource, demand in uses[activity]:
            profile = residual[resource]
            for period in range(at, end):
                profile[period] -= demand
        start[activity] = at

    def grow(end: int) -> None:
        for resource, profile in enumerate(residual):
            if len(profile) < end:
                profile.extend([tails[resource]] * (end - len(profile)))

    for activity in network.fixed:
        at = lower[activity]
        grow(at + durations[activity])
        if any(
            residual[r][p] < q
            for r, q in uses[activity]
            for p in range(at, at + durations[activity])
        ):
            return None
        place(activity, at)

    for activity in order:
        if start[activity] >= 0:
            continue
        at = lower[activity]
        for predecessor, delta in network.predecessors[activity]:
            candidate = start[predecessor] + delta
            if candidate > at:
                at = candidate
        duration = durations[activity]
        needs = uses[activity]
        if duration and needs:
            while True:
                end = at + duration
                grow(end)
                blocked = -1
                for resource, demand in needs:
                    profile = residual[resource]
                    for period in range(end - 1, at - 1, -1):
                        if profile[period] < demand:
                            blocked = max(blocked, period)
                            break
                if blocked < 0:
                    break
                at = blocked + 1
                if at > upper[activity]:
                    return None
        if at > upper[activity]:
            return None
        place(activity, at)
    return start


def justify(
    network: Network,
    starts: Schedule,
    mirror_of: Callable[[int], Network] | None = None,
    rounds: int = 4,
) -> Schedule:
    """Forward-backward improvement: right-justify within the makespan, then left-justify.

    Repeats while the makespan shrinks (at most ``rounds`` times). Never returns a worse
    schedule than ``starts``; ``mirror_of(horizon)`` may supply cached mirrored networks.
    """
    mirror = mirror_of or network.mirrored
    best = starts
    best_makespan = makespan(network, starts)
    durations = network.durations
    for _ in range(rounds):
        horizon = best_makespan
        mirrored = mirror(horizon)
        # In the mirror, take activities by how late they finish now (latest first).
        mirrored_keys = [
            (horizon - best[index] - durations[index], -best[index])
            for index in range(network.size)
        ]
        right = serial_sgs(mirrored, priority_order(mirrored, mirrored_keys))
        if right is None:
            break
        right_starts = [horizon - right[index] - durations[index] for index in range(network.size)]
        left_keys = [(right_starts[index], index) for index in range(network.size)]
        left = serial_sgs(network, priority_order(network, left_keys))
        if left is None:
            break
        left_makespan = makespan(network, left)
        if left_makespan >= best_makespan:
            if left_makespan == best_makespan:
                best = left
            break
        best, best_makespan = left, left_makespan
    return best


def rule_keys(network: Network, priorities: Sequence[int]) -> dict[str, list[tuple[float, ...]]]:
    """Sort keys (smaller first) for each classic priority rule, user priority first.

    Rules: LFT (latest finish), LST (latest start), MTS (most total successors), GRPW (greatest
    rank positional weight), MSLK (minimum slack), WRUP-like resource load.
    """
    size = network.size
    durations = network.durations
    horizon = network.makespan_lower_bound()
    latest = network.latest_starts(horizon)
    reach = [0] * size
    for index in reversed(network.order):
        bits = 0
        for successor, _ in network.successors[index]:
            bits |= reach[successor] | (1 << successor)
        reach[index] = bits
    total_successors = [bin(bits).count("1") for bits in reach]
    capacities = [max(tail, 1) for tail in network.tails]
    load = [
        durations[index]
        * sum(demand / capacities[r] for r, demand in enumerate(network.demands[index]))
        for index in range(size)
    ]
    rank = [
        durations[index] + sum(durations[successor] for successor, _ in network.successors[index])
        for index in range(size)
    ]
    rules: dict[str, list[float]] = {
        "LFT": [latest[index] + durations[index] for index in range(size)],
        "LST": [float(latest[index]) for index in range(size)],
        "MTS": [-float(total_successors[index]) for index in range(size)],
        "GRPW": [-float(rank[index]) for index in range(size)],
        "MSLK": [float(latest[index] - network.lower[index]) for index in range(size)],
        "WRUP": [-(0.7 * total_successors[index] + 0.3 * load[index]) for index in range(size)],
    }
    return {
        name: [(-float(priorities[index]), values[index], float(index)) for index in range(size)]
        for name, values in rules.items()
    }


def _rank_keys(keys: Sequence[tuple[float, ...]]) -> list[float]:
    """Float keys giving the same order as the tuple keys (their rank)."""
    ranked = sorted(range(len(keys)), key=keys.__getitem__)
    out = [0.0] * len(keys)
    for rank, index in enumerate(ranked):
        out[index] = float(rank)
    return out


_SAMPLING_BATCH = 8
"""Orders decoded per call of the compiled decoder while sampling (the clock is read between)."""

_NOISE = (0.05, 0.1, 0.2, 0.4)
"""Spreads of the random term of the biased sampling, as shares of the LFT range."""


def heuristic_schedule(
    network: Network,
    priorities: Sequence[int],
    *,
    seed: int,
    schedule_budget: int = 200,
    time_budget_s: float = 1.0,
    lower_bound: int = 0,
    initial: Sequence[Schedule] = (),
    population: int = _POPULATION,
    should_stop: Callable[[], bool] | None = None,
    on_improve: Callable[[Schedule], None] | None = None,
) -> Schedule | None:
    """Best schedule found by the priority rules, then a search, each schedule justified.

    ``initial`` schedules (feasible ones, e.g. from the optimiser) join the rules' schedules as
    starting points. Every schedule comes from the compiled serial SGS of
    :mod:`~twofold.engine.levelling_kernel` (any plan: deadlines, fixed starts and per-period
    capacities included) and is justified forward-backward.

    The search is the random-key genetic algorithm of
    :mod:`~twofold.engine.levelling_kernel` when the network suits it (no deadlines, fixed
    starts or per-period capacities) and all priorities are equal, else biased random sampling
    around the latest-finish rule (user priority first; a random term of a spread drawn per
    order, in the spirit of Kolisch's regret-biased sampling).
    Stops after about ``schedule_budget`` generated schedules, after ``time_budget_s`` seconds
    of wall time, when ``should_stop()`` answers True, or as soon as the makespan reaches
    ``lower_bound``. For the same inputs and seed the result is the same unless the time budget
    cuts the search short. ``on_improve`` is called with each schedule shorter than every one
    before it (an ``initial`` one included), as it is found, so a caller can report progress
    during a long search. Returns None if no order respected every latest start (deadlines,
    fixed starts).
    """
    deadline = time.perf_counter() + time_budget_s
    best: Schedule | None = None
    best_makespan = NO_LIMIT
    bound = max(lower_bound, network.makespan_lower_bound())
    for schedule in initial:
        length = makespan(network, schedule)
        if length < best_makespan:
            best, best_makespan = list(schedule), length
    if best is not None and on_improve is not None:
        on_improve(best)
    if best_makespan <= bound or network.size == 0:
        return best if network.size else []
    kernel = KernelNetwork(network, horizon_bound(network))
    # Forward-backward improvement orders activities by their dates alone: with user
    # priorities it delayed an urgent task behind a normal one to shorten the plan. Where
    # priorities differ the schedules stay as the priority-first order places them.
    rounds = 4 if len(set(priorities)) <= 1 else 0

    def consider(keys: npt.NDArray[np.float64]) -> bool:
        nonlocal best, best_makespan
        starts, spans = kernel.decode(keys, rounds=rounds)
        row = int(np.argmin(spans))
        if spans[row] < INFEASIBLE and spans[row] < best_makespan:
            best, best_makespan = [int(value) for value in starts[row]], int(spans[row])
            if on_improve is not None:
                on_improve(best)
        return best_makespan <= bound

    keys = rule_keys(network, priorities)
    # One plain decode first, so that the timing below does not count loading the compiled
    # kernel (~0.5 s on a process's first levelling, which then skipped the genetic search).
    kernel.decode(np.zeros((1, network.size)), rounds=0)
    ruled = time.perf_counter()
    if consider(np.asarray([_rank_keys(rule) for rule in keys.values()], dtype=np.float64)):
        return best
    # What one schedule costs here, so that no batch of the search starts that the time left
    # cannot pay for (the genetic search decodes its whole population when it is made: 2.2 s
    # for 2,000 tasks, which a 0.1 s budget once waited for).
    each = (time.perf_counter() - ruled) / len(keys)
    # The genetic search looks at the makespan only, so it is kept for plans where user
    # priorities do not order the activities (priorities come first otherwise).
    if (
        best is not None
        and schedule_budget >= population
        and len(set(priorities)) <= 1
        and supports(network)
        and time.perf_counter() + each * population < deadline
    ):
        search = GeneticSearch(network, [best], seed=seed, population=population)
        while (
            search.schedules < schedule_budget
            and search.best_makespan > bound
            and time.perf_counter() < deadline
            and not (should_stop and should_stop())
        ):
            search.step()
            found = search.best
            if (
                on_improve is not None
                and found is not None
                and search.best_makespan < best_makespan
            ):
                best, best_makespan = found, search.best_makespan
                on_improve(found)
        if search.best is not None and search.best_makespan < best_makespan:
            best = search.best
        return best
    # Biased random sampling (priorities, deadlines, fixed starts, per-period capacities).
    lft = np.asarray([key[1] for key in keys["LFT"]], dtype=np.float64)
    spread = max(float(lft.max() - lft.min()), 1.0)
    level = np.asarray(priorities, dtype=np.float64)
    # A higher priority always comes first: its offset exceeds any LFT plus noise.
    offset = (level.max(initial=0.0) - level) * (spread * 4 + float(np.abs(lft).max()) + 1)
    rng = np.random.default_rng(seed)
    done = 0
    while done < schedule_budget:
        if time.perf_counter() > deadline or (should_stop and should_stop()):
            break
        affordable = int((deadline - time.perf_counter()) / max(each, 1e-9))
        rows = min(_SAMPLING_BATCH, schedule_budget - done, affordable)
        if rows <= 0:
            break
        noise = rng.choice(_NOISE, size=(rows, 1)) * spread
        sampled = offset + lft + rng.random((rows, network.size)) * noise
        done += rows
        if consider(sampled):
            break
    return best
