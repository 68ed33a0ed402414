"""Independent feasibility check of a levelled schedule.

Deliberately shares no code with the heuristic or the optimiser: it re-reads every link from its
type and lag and rebuilds the per-period resource usage from scratch, so a bug in a solver's
model cannot hide itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from twofold.engine.levelling_problem import LevellingProblem, LinkType

__all__ = ["Violation", "ViolationKind", "check_feasible"]


class ViolationKind(StrEnum):
    """What a schedule breaks."""

    LINK = "link"
    CAPACITY = "capacity"
    BEFORE_PROJECT_START = "before-project-start"
    RELEASE = "release"
    DEADLINE = "deadline"
    FIXED_START = "fixed-start"
    SHAPE = "shape"


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Attributes:
        kind: which rule.
        activity: the activity at fault (the successor for a link), or -1 for the whole schedule.
        message: a sentence for people.
        period: the first period concerned (capacity: first over-allocated period), or None.
        resource: resource index for a capacity violation, else None.
    """

    kind: ViolationKind
    activity: int
    message: str
    period: int | None = None
    resource: int | None = None


def check_feasible(problem: LevellingProblem, starts: Sequence[int]) -> list[Violation]:
    """Every rule that the schedule ``starts`` (period per activity) breaks; empty if feasible.

    Checks links (all four types, with lags), release dates, deadlines, fixed starts, start >= 0
    and per-period capacity of every resource. Never raises for a bad schedule; a ``starts`` of
    the wrong length gives one SHAPE violation.
    """
    activities = problem.activities
    if len(starts) != len(activities):
        return [
            Violation(
                ViolationKind.SHAPE, -1, f"{len(starts)} starts for {len(activities)} activities"
            )
        ]
    start = [int(value) for value in starts]
    finish = [start[index] + activity.duration for index, activity in enumerate(activities)]
    violations: list[Violation] = []

    for link in problem.links:
        before, after = link.predecessor, link.successor
        if link.type is LinkType.FINISH_TO_START:
            gap = start[after] - finish[before]
        elif link.type is LinkType.START_TO_START:
            gap = start[after] - start[before]
        elif link.type is LinkType.FINISH_TO_FINISH:
            gap = finish[after] - finish[before]
        else:
            gap = finish[after] - start[before]
        if gap < link.lag:
            violations.append(
                Violation(
                    ViolationKind.LINK,
                    after,
                    f"{link.type.value} link {activities[before].name!r} -> "
                    f"{activities[after].name!r} needs lag {link.lag}, got {gap}",
                )
            )

    for index, activity in enumerate(activities):
        if start[index] < 0:
            violations.append(
                Violation(ViolationKind.BEFORE_PROJECT_START, index, f"{activity.name!r} < 0")
            )
        if start[index] < activity.release:
            violations.append(
                Violation(
                    ViolationKind.RELEASE,
                    index,
                    f"{activity.name!r} starts {start[index]} before its release "
                    f"{activity.release}",
                )
            )
        if activity.deadline is not None and finish[index] > activity.deadline:
            violations.append(
                Violation(
                    ViolationKind.DEADLINE,
                    index,
                    f"{activity.name!r} finishes {finish[index]} after its deadline "
                    f"{activity.deadline}",
                )
            )
        if activity.fixed_start is not None and start[index] != activity.fixed_start:
            violations.append(
                Violation(
                    ViolationKind.FIXED_START,
                    index,
                    f"{activity.name!r} starts {start[index]}, must start {activity.fixed_start}",
                )
            )

    if problem.resources and activities:
        violations.extend(_capacity_violations(problem, start, finish))
    return violations


def capacity_profile(capacity: int | tuple[int, ...], first: int, end: int) -> np.ndarray:
    """Units available in periods ``first .. end - 1`` (a per-period capacity's last value holds
    for every later period)."""
    if isinstance(capacity, int):
        return np.full(end - first, capacity, dtype=np.int64)
    values = np.asarray(capacity, dtype=np.int64)
    return values[np.minimum(np.arange(first, end), len(values) - 1)]


def _capacity_violations(
    problem: LevellingProblem, start: list[int], finish: list[int]
) -> list[Violation]:
    first = max(0, min(start))
    end = max(max(finish), first + 1)
    violations: list[Violation] = []
    demands = np.asarray([activity.demands for activity in problem.activities], dtype=np.int64)
    begins = np.maximum(np.asarray(start, dtype=np.int64), first) - first
    # Periods before 0 are not counted (a start there is reported on its own): an activity
    # that finishes before period 0 uses nothing, instead of wrapping round the array's end.
    ends = np.maximum(np.asarray(finish, dtype=np.int64), first) - first
    running = np.asarray([activity.duration > 0 for activity in problem.activities])
    for resource_index, resource in enumerate(problem.resources):
        # Usage per period from a difference array: +demand at start, -demand at finish.
        column = demands[:, resource_index]
        users = np.flatnonzero((column != 0) & running)
        change = np.zeros(end - first + 1, dtype=np.int64)
        np.add.at(change, begins[users], column[users])
        np.add.at(change, ends[users], -column[users])
        usage = np.cumsum(change)[:-1]
        capacity = capacity_profile(resource.capacity, first, end)
        over = np.flatnonzero(usage > capacity)
        if over.size:
            period = first + int(over[0])
            culprit = next(
                index
                for index, activity in enumerate(problem.activities)
                if activity.demands[resource_index] and start[index] <= period < finish[index]
            )
            violations.append(
                Violation(
                    ViolationKind.CAPACITY,
                    culprit,
                    f"{resource.name!r} over-allocated in {over.size} period(s), first {period}: "
                    f"{int(usage[over[0]])} > {int(capacity[over[0]])}",
                    period=period,
                    resource=resource_index,
                )
            )
    return violations
