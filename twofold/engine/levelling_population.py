"""Population levelling heuristic: a serial SGS run for many priority vectors at once (numpy).

Each individual is a vector of random keys (one per activity; smaller goes first among the
activities whose predecessors are placed). :class:`PopulationDecoder` runs the serial schedule
generation scheme for a whole population in lock step, one numpy operation over
``[individuals, resources, periods]`` per step, which is an order of magnitude cheaper per
schedule than the one-at-a-time Python SGS. On top of it, :func:`evolve` is a biased random-key
genetic algorithm (elite kept, biased uniform crossover, fresh mutants; Goncalves, Mendes and
Resende, 2008) whose every child is improved by forward-backward justification, with the
justified start times written back into its keys.

Only used for networks without latest-start limits (no deadlines, no fixed starts); the
one-at-a-time SGS handles those.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twofold.engine.levelling_network import NO_LIMIT, Network

__all__ = ["PopulationDecoder", "evolve"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_UNSET = -(1 << 40)
_RESTART_AFTER = 12
"""Generations without a better makespan before the population is renewed."""


@dataclass(frozen=True)
class _Links:
    predecessor_index: IntArray  # [n, k], padded with n
    predecessor_delta: IntArray  # [n, k]
    successor_count: IntArray  # [n, n]: links i -> j
    predecessor_count: IntArray  # [n]


def _links(predecessors: tuple[tuple[tuple[int, int], ...], ...]) -> _Links:
    size = len(predecessors)
    width = max((len(pairs) for pairs in predecessors), default=0) or 1
    index = np.full((size, width), size, dtype=np.int64)
    delta = np.zeros((size, width), dtype=np.int64)
    successors = np.zeros((size, size), dtype=np.int64)
    for activity, pairs in enumerate(predecessors):
        for slot, (predecessor, distance) in enumerate(pairs):
            index[activity, slot] = predecessor
            delta[activity, slot] = distance
            successors[predecessor, activity] += 1
    return _Links(index, delta, successors, successors.sum(axis=0))


class PopulationDecoder:
    """Serial SGS for a population of key vectors, forward or mirrored in time.

    ``horizon`` (periods) bounds every schedule; an individual that cannot fit an activity
    before it is reported infeasible.

    Raises:
        ValueError: the network has latest-start limits or a per-period capacity.
    """

    def __init__(self, network: Network, horizon: int) -> None:
        if any(limit < NO_LIMIT for limit in network.upper) or any(network.capacities):
            raise ValueError("population decoding needs no deadlines and constant capacities")
        self.size = network.size
        self.horizon = horizon
        self.durations = np.asarray(network.durations, dtype=np.int64)
        self.demands = np.asarray(network.demands, dtype=np.int64).reshape(
            self.size, len(network.tails)
        )
        self.capacity = np.asarray(network.tails, dtype=np.int64)
        self.lower = np.asarray(network.lower, dtype=np.int64)
        self.forward_links = _links(network.predecessors)
        self.backward_links = _links(network.mirrored(0).predecessors)

    def decode(self, keys: FloatArray, *, mirrored: bool = False) -> tuple[IntArray, BoolArray]:
        """Start per individual and activity ``[P, n]`` and a feasibility flag ``[P]``.

        Mirrored decoding schedules the reversed network (no release dates: every mirrored
        activity may start at 0); its starts are mirrored-time starts.
        """
        links = self.backward_links if mirrored else self.forward_links
        population = keys.shape[0]
        size, horizon = self.size, self.horizon
        rows = np.arange(population)
        periods = np.arange(horizon)
        starts = np.full((population, size + 1), _UNSET, dtype=np.int64)
        residual = np.broadcast_to(
            self.capacity[None, :, None], (population, self.capacity.size, horizon)
        ).copy()
        remaining = np.broadcast_to(links.predecessor_count, (population, size)).copy()
        pending = np.ones((population, size), dtype=bool)
        feasible = np.ones(population, dtype=bool)
        lower = np.zeros(size, dtype=np.int64) if mirrored else self.lower
        for _ in range(size):
            eligible = pending & (remaining == 0)
            activity = np.where(eligible, keys, np.inf).argmin(axis=1)
            earliest = np.maximum(
                lower[activity],
                (
                    starts[rows[:, None], links.predecessor_index[activity]]
                    + links.predecessor_delta[activity]
                ).max(axis=1),
            )
            duration = self.durations[activity]
            demand = self.demands[activity]
            free = (residual >= demand[:, :, None]).all(axis=1)
            blocked_at = np.where(free, horizon, periods)
            next_blocked = np.minimum.accumulate(blocked_at[:, ::-1], axis=1)[:, ::-1]
            fits = (periods >= earliest[:, None]) & (next_blocked - periods >= duration[:, None])
            start = fits.argmax(axis=1)
            feasible &= fits[rows, start]
            starts[rows, activity] = start
            running = (periods >= start[:, None]) & (periods < (start + duration)[:, None])
            residual -= demand[:, :, None] * running[:, None, :]
            pending[rows, activity] = False
            remaining -= links.successor_count[activity]
        return starts[:, :size], feasible

    def justify(self, starts: IntArray) -> tuple[IntArray, BoolArray]:
        """Forward-backward improvement of each schedule (never worse for a feasible one)."""
        finishes = starts + self.durations
        right, right_ok = self.decode(-finishes.astype(np.float64), mirrored=True)
        right_span = (right + self.durations).max(axis=1, keepdims=True)
        right_starts = right_span - right - self.durations
        left, left_ok = self.decode(right_starts.astype(np.float64))
        return left, right_ok & left_ok


def evolve(
    network: Network,
    seed_schedules: list[list[int]],
    *,
    seed: int,
    time_budget_s: float,
    generations: int,
    population: int = 48,
    lower_bound: int = 0,
) -> list[int] | None:
    """Best schedule of a random-key GA seeded with ``seed_schedules`` (starts per activity).

    Stops after ``generations`` generations, ``time_budget_s`` seconds, or at ``lower_bound``.
    Returns None if the network does not suit population decoding or nothing feasible came out.
    """
    deadline = time.perf_counter() + time_budget_s
    if not seed_schedules:
        return None
    durations = np.asarray(network.durations, dtype=np.int64)
    best_known = min(int((np.asarray(s) + durations).max()) for s in seed_schedules)
    try:
        decoder = PopulationDecoder(network, horizon=best_known + int(durations.max()) + 1)
    except ValueError:
        return None
    rng = np.random.default_rng(seed)
    size = network.size
    scale = float(best_known + 1)

    def keys_of(starts: IntArray) -> FloatArray:
        # Start time first; a little noise breaks ties differently in each child.
        noise: FloatArray = rng.random(starts.shape) * 0.5
        return (starts + noise) / scale

    seeds = np.asarray(seed_schedules, dtype=np.int64)
    keys = np.concatenate([keys_of(seeds), rng.random((population - len(seeds), size))])[
        :population
    ]
    starts, feasible = decoder.decode(keys)
    starts, justified_ok = decoder.justify(starts)
    feasible &= justified_ok
    spans = np.where(feasible, (starts + durations).max(axis=1), NO_LIMIT)
    keys = keys_of(starts)
    elite_count = max(2, population // 5)
    mutant_count = max(1, population // 6)
    best_span = int(spans.min())
    stalled = 0
    for _ in range(generations):
        if spans.min() <= lower_bound or time.perf_counter() > deadline:
            break
        order = np.argsort(spans, kind="stable")
        if stalled >= _RESTART_AFTER:
            # The population has converged: keep the best and start the rest afresh.
            keys[order[1:]] = rng.random((population - 1, size))
            spans[order[1:]] = NO_LIMIT
            stalled = 0
        elite = keys[order[:elite_count]]
        others = keys[order[elite_count:]]
        children_count = population - elite_count - mutant_count
        mothers = elite[rng.integers(0, elite_count, children_count)]
        fathers = others[rng.integers(0, len(others), children_count)]
        inherit = rng.random((children_count, size)) < 0.7
        children = np.where(inherit, mothers, fathers)
        mutants = rng.random((mutant_count, size))
        fresh = np.concatenate([children, mutants])
        fresh_starts, fresh_ok = decoder.decode(fresh)
        fresh_starts, justified_ok = decoder.justify(fresh_starts)
        fresh_ok &= justified_ok
        fresh_spans = np.where(fresh_ok, (fresh_starts + durations).max(axis=1), NO_LIMIT)
        keys = np.concatenate([elite, keys_of(fresh_starts)])
        starts = np.concatenate([starts[order[:elite_count]], fresh_starts])
        spans = np.concatenate([spans[order[:elite_count]], fresh_spans])
        if spans.min() < best_span:
            best_span, stalled = int(spans.min()), 0
        else:
            stalled += 1
    best = int(np.argmin(spans))
    if spans[best] >= NO_LIMIT:
        return None
    return [int(value) for value in starts[best]]
