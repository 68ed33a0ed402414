"""The resource-levelling problem: activities, links, hard constraints and renewable resources.

Time is counted in integer *periods* of the plan's unit (working hours, days...), from period 0,
the project start. An activity that starts at ``s`` with duration ``d`` occupies periods
``s, s+1, ..., s+d-1`` and finishes at ``s+d``. Nothing may start before period 0.

Every link, whatever its type, is a minimum distance between two starts
(``start[successor] >= start[predecessor] + delta``), see :meth:`Link.start_delta`; that is how
the heuristic, the optimiser and the feasibility checker all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

__all__ = [
    "MAX_SPAN",
    "Activity",
    "LevellingInputError",
    "LevellingProblem",
    "Link",
    "LinkType",
    "Resource",
]


MAX_SPAN = 1_000_000
"""Most periods a plan may span (durations and lags added up, or its latest release, deadline
or fixed start): the search keeps arrays as long as the span (over 2,700 years of days)."""


class LevellingInputError(ValueError):
    """The problem is malformed (bad index, negative duration, demand above every capacity...)."""


class LinkType(StrEnum):
    """Dependency type, named predecessor-end then successor-end as in MS Project."""

    FINISH_TO_START = "FS"
    START_TO_START = "SS"
    FINISH_TO_FINISH = "FF"
    START_TO_FINISH = "SF"


@dataclass(frozen=True)
class Link:
    """A dependency ``predecessor -> successor`` (activity indices) with a lag in periods.

    The lag may be negative (a lead). ``FS`` with lag 2 means the successor starts at least two
    periods after the predecessor finishes.
    """

    predecessor: int
    successor: int
    type: LinkType = LinkType.FINISH_TO_START
    lag: int = 0

    def start_delta(self, predecessor_duration: int, successor_duration: int) -> int:
        """Minimum ``start[successor] - start[predecessor]`` in periods that this link demands."""
        if self.type is LinkType.FINISH_TO_START:
            return predecessor_duration + self.lag
        if self.type is LinkType.START_TO_START:
            return self.lag
        if self.type is LinkType.FINISH_TO_FINISH:
            return predecessor_duration + self.lag - successor_duration
        return self.lag - successor_duration


@dataclass(frozen=True)
class Activity:
    """One activity to place.

    Attributes:
        name: shown in explanations.
        duration: periods of work (>= 0); activities are not interrupted.
        demands: units needed in every period it runs, one per problem resource (same order).
        priority: higher is levelled first, i.e. is less likely to be delayed (as MS Project).
        release: start no earlier than this period (>= 0 in effect).
        deadline: hard "finish no later than" period, or None.
        fixed_start: hard "must start on" period, or None.
    """

    name: str
    duration: int
    demands: tuple[int, ...] = ()
    priority: int = 0
    release: int = 0
    deadline: int | None = None
    fixed_start: int | None = None


@dataclass(frozen=True)
class Resource:
    """A renewable resource.

    Attributes:
        name: shown in explanations.
        capacity: units available per period: one constant, or one value per period from period 0
            (for calendars and holidays); after the end of the tuple its last value holds.
    """

    name: str
    capacity: int | tuple[int, ...]

    def capacity_at(self, period: int) -> int:
        """Units available in ``period`` (>= 0)."""
        if isinstance(self.capacity, int):
            return self.capacity
        return self.capacity[min(period, len(self.capacity) - 1)]

    @property
    def tail_capacity(self) -> int:
        """Units available in every period after the end of a per-period capacity."""
        return self.capacity if isinstance(self.capacity, int) else self.capacity[-1]

    @property
    def peak_capacity(self) -> int:
        """The largest capacity of any period."""
        return self.capacity if isinstance(self.capacity, int) else max(self.capacity)


@dataclass(frozen=True)
class LevellingProblem:
    """Activities, links and resources; validated on construction.

    Raises:
        LevellingInputError: a link names a missing activity or itself, a duration or demand is
            negative, an activity's demand list does not match the resources, a capacity is
            negative or empty, or a demand exceeds the capacity that holds forever (the activity
            could never be placed).
    """

    activities: tuple[Activity, ...]
    resources: tuple[Resource, ...] = ()
    links: tuple[Link, ...] = field(default=())

    def __post_init__(self) -> None:
        count = len(self.activities)
        self._check_numbers()
        for resource in self.resources:
            values = (
                (resource.capacity,) if isinstance(resource.capacity, int) else resource.capacity
            )
            if not values or min(values) < 0:
                raise LevellingInputError(f"resource {resource.name!r}: capacity empty or < 0")
        for activity in self.activities:
            if activity.duration < 0:
                raise LevellingInputError(f"{activity.name!r}: negative duration")
            if len(activity.demands) != len(self.resources):
                raise LevellingInputError(
                    f"{activity.name!r}: {len(activity.demands)} demands for "
                    f"{len(self.resources)} resources"
                )
            for demand, resource in zip(activity.demands, self.resources, strict=True):
                if demand < 0:
                    raise LevellingInputError(f"{activity.name!r}: negative demand")
                if activity.duration > 0 and demand > resource.tail_capacity:
                    raise LevellingInputError(
                        f"{activity.name!r} needs {demand} of {resource.name!r}, which has "
                        f"only {resource.tail_capacity} in the long run"
                    )
        for link in self.links:
            if not (0 <= link.predecessor < count and 0 <= link.successor < count):
                raise LevellingInputError(f"link {link} names a missing activity")
            if link.predecessor == link.successor:
                raise LevellingInputError(f"link {link} joins an activity to itself")

    def _check_numbers(self) -> None:
        """Whole numbers of periods everywhere (a float lag once produced an infeasible plan, a
        plain string link type was read as start-to-finish), and a span the period-indexed
        arrays can hold (a duration of 10⁹ asked for gigabytes)."""

        def whole(value: object, what: str) -> int:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise LevellingInputError(f"{what}: {value!r} is not a whole number of periods")
            return int(value)

        span = 0
        for activity in self.activities:
            name = repr(activity.name)
            span += abs(whole(activity.duration, f"{name} duration"))
            whole(activity.priority, f"{name} priority")
            for value, what in (
                (activity.release, "release"),
                (activity.deadline, "deadline"),
                (activity.fixed_start, "fixed start"),
            ):
                if value is not None:
                    span = max(span, abs(whole(value, f"{name} {what}")))
            for demand in activity.demands:
                whole(demand, f"{name} demand")
        for resource in self.resources:
            values = (
                resource.capacity if isinstance(resource.capacity, tuple) else (resource.capacity,)
            )
            for value in values:
                whole(value, f"resource {resource.name!r} capacity")
            if not isinstance(resource.capacity, (int, tuple)):
                raise LevellingInputError(
                    f"resource {resource.name!r}: capacity must be a whole number or a tuple"
                )
        for link in self.links:
            whole(link.predecessor, f"link {link}")
            whole(link.successor, f"link {link}")
            if not isinstance(link.type, LinkType):
                raise LevellingInputError(
                    f"link {link}: type must be a LinkType, not {link.type!r}"
                )
            span += abs(whole(link.lag, f"link {link} lag"))
        if span > MAX_SPAN:
            raise LevellingInputError(
                f"the plan spans up to {span:,} periods; at most {MAX_SPAN:,} can be levelled"
            )

    def start_deltas(self) -> list[tuple[int, int, int]]:
        """Each link as ``(predecessor, successor, minimum start difference in periods)``."""
        durations = [activity.duration for activity in self.activities]
        return [
            (
                link.predecessor,
                link.successor,
                link.start_delta(durations[link.predecessor], durations[link.successor]),
            )
            for link in self.links
        ]
