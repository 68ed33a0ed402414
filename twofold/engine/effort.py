"""Microsoft Project's task types and effort-driven scheduling: duration, work and units.

A task has a duration ``D`` (working minutes), people on it (assignments) with units ``u``
(percent of their day, 100 = full time) and work ``w`` (minutes), and a *task type* saying which
of the three stays put when another changes. With every assignment spanning the task (flat
contour), ``W = D × U / 100`` where ``W`` is the task's work (sum of its assignments' work) and
``U`` its total units.

=============== ===================== ===================== =====================
you change      fixed units           fixed duration        fixed work
=============== ===================== ===================== =====================
duration        work follows          work follows          units follow
work            duration follows      units follow          duration follows
units (a person) duration follows     work follows          duration follows
=============== ===================== ===================== =====================

Adding or removing a person (effort-driven on; fixed work is always effort-driven): the task's
work stays and is shared by units; fixed units and fixed work: ``D = W × 100 / U``; fixed
duration: the duration stays and every person's units scale so that ``U`` stays. Effort-driven
off: the duration stays and the person's own work (``D × u``) is added or removed. The first
person on a task keeps its duration (``W = D × u``); removing the last one keeps the duration
and leaves no work.

Pure: no Django, integers in and out (minutes rounded half up, work shared by largest
remainder so that the task's work is exactly the sum of its assignments'; units whole percent,
at least 1). See docs/scheduling.md ("Task types and effort-driven scheduling").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = [
    "Resourcing",
    "Share",
    "TaskType",
    "add_person",
    "remove_person",
    "set_duration",
    "set_task_type",
    "set_units",
    "set_work",
]


class TaskType(StrEnum):
    FIXED_UNITS = "fixed_units"
    FIXED_DURATION = "fixed_duration"
    FIXED_WORK = "fixed_work"


@dataclass(frozen=True)
class Share:
    """One person on the task: ``units`` percent, ``work`` minutes."""

    person: int
    units: int
    work: int


@dataclass(frozen=True)
class Resourcing:
    """A task's duration (working minutes), type, effort-driven flag and people."""

    duration: int
    task_type: TaskType = TaskType.FIXED_UNITS
    effort_driven: bool = False
    shares: tuple[Share, ...] = ()

    def __post_init__(self) -> None:
        if self.duration < 0:
            raise ValueError("duration must be 0 or more")
        if self.task_type is TaskType.FIXED_WORK and not self.effort_driven:
            object.__setattr__(self, "effort_driven", True)
        for s in self.shares:
            if s.units <= 0 or s.work < 0:
                raise ValueError("units must be above 0 and work 0 or more")

    @property
    def work(self) -> int:
        return sum(s.work for s in self.shares)

    @property
    def units(self) -> int:
        return sum(s.units for s in self.shares)

    def share(self, person: int) -> Share | None:
        return next((s for s in self.shares if s.person == person), None)


def _div(a: int, b: int) -> int:
    """``a / b`` rounded half up (non-negative integers)."""
    return (2 * a + b) // (2 * b)


def _shared(work: int, units: list[int]) -> list[int]:
    """``work`` split in proportion to ``units``, largest remainder, summing exactly to it."""
    total = sum(units)
    exact = [work * u for u in units]
    parts = [e // total for e in exact]
    left = work - sum(parts)
    order = sorted(range(len(units)), key=lambda i: (-(exact[i] % total), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def _with(
    r: Resourcing, people: list[int], units: list[int], work: int, duration: int
) -> Resourcing:
    parts = _shared(work, units) if people else []
    shares = tuple(Share(p, u, w) for p, u, w in zip(people, units, parts, strict=True))
    return replace(r, duration=duration, shares=shares)


def _scaled(units: list[int], numerator: int, denominator: int) -> list[int]:
    return [max(1, _div(u * numerator, denominator)) for u in units]


def _work_of(duration: int, units: int) -> int:
    return _div(duration * units, 100)


def _duration_of(work: int, units: int) -> int:
    return _div(work * 100, units)


def _check_units(units: int) -> None:
    if units <= 0:
        raise ValueError("units must be above 0")


def set_task_type(
    r: Resourcing, task_type: TaskType, effort_driven: bool | None = None
) -> Resourcing:
    """Change the type (and the effort-driven flag); nothing is recalculated (as Project)."""
    flag = r.effort_driven if effort_driven is None else effort_driven
    return replace(r, task_type=task_type, effort_driven=flag or task_type is TaskType.FIXED_WORK)


def set_duration(r: Resourcing, duration: int) -> Resourcing:
    """A new duration: work follows (fixed units, fixed duration) or units follow (fixed work)."""
    if duration < 0:
        raise ValueError("duration must be 0 or more")
    if not r.shares:
        return replace(r, duration=duration)
    people = [s.person for s in r.shares]
    units = [s.units for s in r.shares]
    if r.task_type is TaskType.FIXED_WORK:
        if duration == 0:
            raise ValueError("a fixed-work task with work cannot have no duration")
        new_units = _scaled(units, r.duration, duration) if r.duration else units
        return replace(
            r,
            duration=duration,
            shares=tuple(
                Share(s.person, u, s.work) for s, u in zip(r.shares, new_units, strict=True)
            ),
        )
    return replace(
        r,
        duration=duration,
        shares=tuple(
            Share(p, u, _work_of(duration, u)) for p, u in zip(people, units, strict=True)
        ),
    )


def set_work(r: Resourcing, work: int) -> Resourcing:
    """New task work: duration follows (fixed units, fixed work) or units follow (fixed duration)."""
    if work < 0:
        raise ValueError("work must be 0 or more")
    if not r.shares:
        raise ValueError("work needs a person on the task")
    people = [s.person for s in r.shares]
    units = [s.units for s in r.shares]
    if r.task_type is TaskType.FIXED_DURATION:
        if r.duration == 0:
            raise ValueError("a task without duration has no work")
        # Units follow: U' = W' × 100 / D, in the current proportions.
        target = _duration_of(work, r.duration)  # W × 100 / D is a units total
        new_units = _scaled(units, max(target, 1), sum(units))
        return _with(r, people, new_units, work, r.duration)
    return _with(r, people, units, work, _duration_of(work, sum(units)))


def set_units(r: Resourcing, person: int, units: int) -> Resourcing:
    """A person's new units: duration follows (fixed units, fixed work), work (fixed duration)."""
    _check_units(units)
    if r.share(person) is None:
        raise KeyError(person)
    people = [s.person for s in r.shares]
    new_units = [units if s.person == person else s.units for s in r.shares]
    if r.task_type is TaskType.FIXED_DURATION:
        return replace(
            r,
            shares=tuple(
                Share(p, u, _work_of(r.duration, u)) for p, u in zip(people, new_units, strict=True)
            ),
        )
    work = r.work
    return _with(r, people, new_units, work, _duration_of(work, sum(new_units)))


def add_person(r: Resourcing, person: int, units: int) -> Resourcing:
    """Put ``person`` on the task at ``units`` (Project's effort-driven rule when it applies)."""
    _check_units(units)
    if r.share(person) is not None:
        raise ValueError("that person is already on the task")
    if not r.shares:
        return replace(r, shares=(Share(person, units, _work_of(r.duration, units)),))
    people = [*(s.person for s in r.shares), person]
    old_units = [s.units for s in r.shares]
    if not r.effort_driven:
        return replace(r, shares=(*r.shares, Share(person, units, _work_of(r.duration, units))))
    work = r.work
    if r.task_type is TaskType.FIXED_DURATION:
        total = sum(old_units)
        new_units = _scaled([*old_units, units], total, total + units)
        return _with(r, people, new_units, work, r.duration)
    all_units = [*old_units, units]
    return _with(r, people, all_units, work, _duration_of(work, sum(all_units)))


def remove_person(r: Resourcing, person: int) -> Resourcing:
    """Take ``person`` off the task (Project's effort-driven rule when it applies)."""
    gone = r.share(person)
    if gone is None:
        raise KeyError(person)
    rest = [s for s in r.shares if s.person != person]
    if not rest:
        return replace(r, shares=())
    if not r.effort_driven:
        return replace(r, shares=tuple(rest))
    people = [s.person for s in rest]
    units = [s.units for s in rest]
    work = r.work
    if r.task_type is TaskType.FIXED_DURATION:
        new_units = _scaled(units, r.units, sum(units))
        return _with(r, people, new_units, work, r.duration)
    return _with(r, people, units, work, _duration_of(work, sum(units)))
