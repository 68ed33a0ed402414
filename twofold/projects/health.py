"""Project health as a pure function of a few schedule facts (no Django, no database).

Rules (the worst level found wins, every reason that fired is listed):

* finish slip against the baseline: more than 10 working days red, more than 3 amber;
* float to the target finish (working days between the scheduled finish and the charter's target
  finish): negative red, under 5 amber;
* overdue milestones (planned before today, not done): two or more red, one amber;
* progress behind plan (percent planned today minus percent complete): over 20 points red,
  over 10 amber;
* open high risks (risks not closed whose probability × impact is 15 or more, counted by
  ``risks.selectors.open_high_risk_counts``): two or more red, one amber;
* affects a process whose KPI is in signal (the project is linked to an operations process, and
  one of its live KPIs shows an unusual change on its control chart): amber, naming the
  processes;
* nothing else fired and no task is scheduled: "Not planned" (not "On track": reports count it
  apart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    # A project with nothing scheduled has no health to judge: it is neither on nor off track.
    NOT_PLANNED = "not_planned"


_RANK = {Level.NOT_PLANNED: -1, Level.GREEN: 0, Level.AMBER: 1, Level.RED: 2}
LABELS = {
    Level.GREEN: "On track",
    Level.AMBER: "At risk",
    Level.RED: "Off track",
    Level.NOT_PLANNED: "Not planned",
}
NOT_PLANNED = "No tasks planned yet"


@dataclass(frozen=True)
class Facts:
    planned: bool = True  # False: the project has no scheduled task yet
    slip_days: float | None = None  # working days the finish moved after the baseline finish
    target_float_days: float | None = None  # working days from scheduled to target finish
    overdue_milestones: int = 0
    percent_complete: float = 0.0
    percent_planned: float = 0.0
    open_high_risks: int = 0
    signal_processes: tuple[str, ...] = ()  # processes it changes with a KPI in signal


@dataclass(frozen=True)
class Health:
    """The overall level with its reasons, and the level of each area the rules look at:
    ``schedule`` (slip, float, milestones, progress), ``risk`` (open high risks, processes in
    signal) and ``cost`` (set by the cost hook of ``evm``; None while cost is not known)."""

    level: Level
    reasons: tuple[str, ...] = field(default=())
    schedule: Level | None = None
    risk: Level | None = None
    cost: Level | None = None

    @property
    def label(self) -> str:
        return LABELS[self.level]


def _days(n: float) -> str:
    n = round(n, 1)
    text = f"{n:g}"
    return f"{text} working day{'' if text == '1' else 's'}"


def assess(facts: Facts) -> Health:
    """Green, amber or red with the reasons that decided it; "Not planned" when nothing is
    scheduled yet (open high risks still make it amber or red: they need attention anyway)."""
    found: list[tuple[Level, str]] = []
    risky: list[tuple[Level, str]] = []
    if facts.slip_days is not None and facts.slip_days > 3:
        level = Level.RED if facts.slip_days > 10 else Level.AMBER
        found.append((level, f"Finish {_days(facts.slip_days)} later than baseline"))
    if facts.target_float_days is not None:
        if facts.target_float_days < 0:
            found.append(
                (Level.RED, f"Finish {_days(-facts.target_float_days)} after the target date")
            )
        elif facts.target_float_days < 5:
            found.append(
                (Level.AMBER, f"Only {_days(facts.target_float_days)} of float to the target date")
            )
    if facts.overdue_milestones:
        n = facts.overdue_milestones
        level = Level.RED if n >= 2 else Level.AMBER
        found.append((level, f"{n} overdue milestone{'s' if n != 1 else ''}"))
    gap = facts.percent_planned - facts.percent_complete
    if gap > 10:
        level = Level.RED if gap > 20 else Level.AMBER
        # One decimal, as the days above: the figure that decided the level (10.4 points is
        # amber, "over 10"; rounded to 10 it read as if the rule were wrong).
        found.append((level, f"Progress {round(gap, 1):g} points behind plan"))
    if facts.open_high_risks:
        n = facts.open_high_risks
        level = Level.RED if n >= 2 else Level.AMBER
        risky.append((level, f"{n} open high risk{'s' if n != 1 else ''}"))
    if facts.signal_processes:
        names = ", ".join(facts.signal_processes)
        risky.append((Level.AMBER, f"Affects a process whose KPI is in signal: {names}"))
    idle = Level.GREEN if facts.planned else Level.NOT_PLANNED
    schedule = worst_of([lvl for lvl, _ in found], idle)
    risk = worst_of([lvl for lvl, _ in risky], Level.GREEN)
    found += risky
    if not found:
        if not facts.planned:
            return Health(Level.NOT_PLANNED, (NOT_PLANNED,), schedule=schedule, risk=risk)
        return Health(Level.GREEN, ("On schedule",), schedule=schedule, risk=risk)
    worst = max((lvl for lvl, _ in found), key=_RANK.__getitem__)
    return Health(worst, tuple(reason for _, reason in found), schedule=schedule, risk=risk)


def worst_of(levels: list[Level], otherwise: Level) -> Level:
    """The worst of ``levels``, or ``otherwise`` when none fired."""
    return max(levels, key=_RANK.__getitem__) if levels else otherwise
