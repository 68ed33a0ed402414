"""The levelling problem compiled to flat lists for the solvers, with its time window analysis.

A :class:`Network` holds, per activity, the start-to-start distances to its predecessors and the
window ``[lower, upper]`` its start must lie in (release, project start, fixed start, deadline,
all propagated along the links without resources: the classic early/late start). It can be
mirrored in time (:meth:`Network.mirrored`), which turns right-justification into the same
forward scheduling the serial schedule generation scheme does.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from twofold.engine.levelling_problem import LevellingProblem

__all__ = ["NO_LIMIT", "InfeasibleProblemError", "Network", "compile_network"]

NO_LIMIT = 1 << 40
"""Stands for "no latest start" in the integer windows."""


class InfeasibleProblemError(ValueError):
    """The hard constraints contradict each other even without resource limits."""


@dataclass(frozen=True)
class Network:
    """Activities as flat lists (index = activity).

    Attributes:
        durations: periods per activity.
        demands: per activity, its demand on each resource.
        predecessors: per activity, ``(predecessor, minimum start distance)`` pairs.
        successors: per activity, ``(successor, minimum start distance)`` pairs.
        lower: earliest allowed start (time window analysis, no resources).
        upper: latest allowed start, or ``NO_LIMIT``.
        order: a topological order of the link graph.
        capacities: per resource, capacity of periods ``0 .. len-1``; later periods use ``tails``.
        tails: per resource, the capacity after the end of ``capacities``.
        fixed: activities whose window is a single period (placed before everything else).
    """

    durations: tuple[int, ...]
    demands: tuple[tuple[int, ...], ...]
    predecessors: tuple[tuple[tuple[int, int], ...], ...]
    successors: tuple[tuple[tuple[int, int], ...], ...]
    lower: tuple[int, ...]
    upper: tuple[int, ...]
    order: tuple[int, ...]
    capacities: tuple[tuple[int, ...], ...]
    tails: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of activities."""
        return len(self.durations)

    @property
    def fixed(self) -> tuple[int, ...]:
        """Activities with exactly one allowed start."""
        return tuple(index for index in range(self.size) if self.lower[index] == self.upper[index])

    def makespan_lower_bound(self) -> int:
        """Largest early finish (critical path bound ignoring resources), in periods."""
        return max(
            (low + duration for low, duration in zip(self.lower, self.durations, strict=True)),
            default=0,
        )

    def latest_starts(self, horizon: int) -> list[int]:
        """Late starts if everything must finish by ``horizon`` (capped by ``upper``)."""
        latest = [
            min(self.upper[index], horizon - self.durations[index]) for index in range(self.size)
        ]
        for index in reversed(self.order):
            for successor, delta in self.successors[index]:
                latest[index] = min(latest[index], latest[successor] - delta)
        return latest

    def mirrored(self, horizon: int) -> Network:
        """The same network with time reversed about ``horizon`` (the makespan to keep).

        Activity ``j`` starting at ``r`` in the mirror starts at ``horizon - r - duration[j]`` in
        this network; links are reversed and every bound is mapped accordingly, so a schedule
        feasible in one is feasible in the other (within ``horizon``).
        """
        size = self.size
        durations = self.durations
        reversed_predecessors: list[list[tuple[int, int]]] = [[] for _ in range(size)]
        for successor in range(size):
            for predecessor, delta in self.predecessors[successor]:
                mirrored_delta = delta + durations[successor] - durations[predecessor]
                reversed_predecessors[predecessor].append((successor, mirrored_delta))
        reversed_successors: list[list[tuple[int, int]]] = [[] for _ in range(size)]
        for activity, pairs in enumerate(reversed_predecessors):
            for predecessor, delta in pairs:
                reversed_successors[predecessor].append((activity, delta))
        lower = tuple(
            0 if self.upper[index] >= NO_LIMIT else max(0, horizon - self.upper[index] - duration)
            for index, duration in enumerate(durations)
        )
        upper = tuple(
            horizon - self.lower[index] - duration for index, duration in enumerate(durations)
        )
        capacities = tuple(
            tuple(_capacity(profile, tail, horizon - 1 - period) for period in range(horizon))
            if profile
            else ()
            for profile, tail in zip(self.capacities, self.tails, strict=True)
        )
        return Network(
            durations=durations,
            demands=self.demands,
            predecessors=tuple(tuple(pairs) for pairs in reversed_predecessors),
            successors=tuple(tuple(pairs) for pairs in reversed_successors),
            lower=lower,
            upper=upper,
            order=tuple(reversed(self.order)),
            capacities=capacities,
            tails=self.tails,
        )


def _capacity(profile: tuple[int, ...], tail: int, period: int) -> int:
    if period < 0:
        return tail
    return profile[period] if period < len(profile) else tail


def compile_network(problem: LevellingProblem) -> Network:
    """Compile and analyse ``problem``.

    Raises:
        InfeasibleProblemError: the links form a cycle, or release dates, fixed starts, deadlines
            and links cannot all hold even with unlimited resources.
    """
    size = len(problem.activities)
    durations = tuple(activity.duration for activity in problem.activities)
    predecessors: list[list[tuple[int, int]]] = [[] for _ in range(size)]
    successors: list[list[tuple[int, int]]] = [[] for _ in range(size)]
    for before, after, delta in problem.start_deltas():
        predecessors[after].append((before, delta))
        successors[before].append((after, delta))
    order = _topological_order(successors, [len(pairs) for pairs in predecessors])

    lower = [0] * size
    upper = [NO_LIMIT] * size
    for index, activity in enumerate(problem.activities):
        lower[index] = max(0, activity.release)
        if activity.deadline is not None:
            upper[index] = activity.deadline - activity.duration
        if activity.fixed_start is not None:
            lower[index] = max(lower[index], activity.fixed_start)
            upper[index] = min(upper[index], activity.fixed_start)
    for index in order:
        for successor, delta in successors[index]:
            lower[successor] = max(lower[successor], lower[index] + delta)
    for index in reversed(order):
        for successor, delta in successors[index]:
            if upper[successor] < NO_LIMIT:
                upper[index] = min(upper[index], upper[successor] - delta)
    for index, activity in enumerate(problem.activities):
        if lower[index] > upper[index]:
            raise InfeasibleProblemError(
                f"{activity.name!r} cannot start before {lower[index]} yet must start by "
                f"{upper[index]} (links, release dates, deadlines and fixed starts conflict)"
            )
    return Network(
        durations=durations,
        demands=tuple(activity.demands for activity in problem.activities),
        predecessors=tuple(tuple(pairs) for pairs in predecessors),
        successors=tuple(tuple(pairs) for pairs in successors),
        lower=tuple(lower),
        upper=tuple(upper),
        order=order,
        capacities=tuple(
            () if isinstance(resource.capacity, int) else resource.capacity
            for resource in problem.resources
        ),
        tails=tuple(resource.tail_capacity for resource in problem.resources),
    )


def _topological_order(
    successors: list[list[tuple[int, int]]], in_degree: list[int]
) -> tuple[int, ...]:
    remaining = list(in_degree)
    ready = [index for index, degree in enumerate(remaining) if degree == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for successor, _ in successors[index]:
            remaining[successor] -= 1
            if remaining[successor] == 0:
                heapq.heappush(ready, successor)
    if len(order) != len(successors):
        raise InfeasibleProblemError("the links form a cycle")
    return tuple(order)
