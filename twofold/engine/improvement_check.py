"""Did a change to a process really improve it? A before/after test on an XmR chart.

A KPI's points are split at a change point (the day an improvement went live) into a *before*
phase (the baseline: the voice of the process as it was) and an *after* phase. The verdict uses
the run rules of ``control_charts`` against the old limits, in the KPI's better direction:

1. **Eight in a row on the better side**: the engine's ``RUN_OF_EIGHT`` rule, evaluated with the
   before phase as the baseline, fires in the better direction over at least 8 consecutive
   *after* points (a run that began before the change counts only its after points).
2. **New limits inside the old ones**: with at least ``MIN_AFTER_POINTS`` after points, the after
   phase's own natural process limits lie entirely inside the before phase's limits (strictly
   narrower on at least one side) and its centre line is not on the worse side of the old one:
   the process became more predictable without getting worse.

Verdicts:

* ``CONFIRMED``: a rule held (the first that held is reported);
* ``NOT_YET``: fewer than ``MIN_AFTER_POINTS`` after points and no rule held yet; the check
  says how many more points are needed;
* ``NO_CHANGE``: enough after points and neither rule held. ``worse`` is set when the run rule
  fired in the worse direction instead (the change made things worse).

Values are in the KPI's own unit; only their order matters (one point per period).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from twofold.engine.control_charts import ChartRule, Direction, XmrChart, tolerance, xmr_chart

__all__ = [
    "MIN_AFTER_POINTS",
    "MIN_BEFORE_POINTS",
    "DecisionRule",
    "ImprovementCheck",
    "PhaseLimits",
    "Verdict",
    "check_improvement",
]

MIN_BEFORE_POINTS = 2
"""An XmR chart needs two points for a moving range; fewer before points raise ``ValueError``."""

MIN_AFTER_POINTS = 8
"""After points needed before "no change" can be said (the run rule needs eight)."""


class Verdict(StrEnum):
    """The outcome; the value is the phrase shown to people."""

    CONFIRMED = "improvement confirmed"
    NOT_YET = "not yet"
    NO_CHANGE = "no change"


class DecisionRule(StrEnum):
    """Which rule decided; the value is a stable identifier."""

    RUN_ON_BETTER_SIDE = "run_on_better_side"
    LIMITS_INSIDE = "limits_inside"


RULE_TEXT = {
    DecisionRule.RUN_ON_BETTER_SIDE: (
        "8 points in a row on the better side of the old centre line"
    ),
    DecisionRule.LIMITS_INSIDE: ("the new limits lie inside the old ones, centre line no worse"),
}


@dataclass(frozen=True)
class PhaseLimits:
    """One phase's XmR limits (in the KPI's unit) and how many points they come from."""

    points: int
    centre_line: float
    lower_limit: float
    upper_limit: float

    @classmethod
    def of(cls, chart: XmrChart) -> PhaseLimits:
        base = chart.baseline
        return cls(
            points=base.stop - base.start,
            centre_line=chart.centre_line,
            lower_limit=chart.lower_natural_process_limit,
            upper_limit=chart.upper_natural_process_limit,
        )


@dataclass(frozen=True)
class ImprovementCheck:
    """The verdict with the evidence behind it.

    ``after`` is None with fewer than 2 after points (no limits yet). ``points_needed`` is how
    many more after points a "not yet" needs before the check can decide (0 otherwise).
    ``run_length`` is the longest streak of after points on the better side of the old centre.
    """

    verdict: Verdict
    rule: DecisionRule | None
    before: PhaseLimits
    after: PhaseLimits | None
    after_points: int
    points_needed: int
    run_length: int
    worse: bool

    @property
    def rule_text(self) -> str:
        return RULE_TEXT[self.rule] if self.rule is not None else ""

    @property
    def explanation(self) -> str:
        """One sentence saying what was found, in words for the item page."""
        if self.verdict is Verdict.CONFIRMED:
            return f"Improvement confirmed: {self.rule_text}."
        if self.verdict is Verdict.NOT_YET:
            more = self.points_needed
            return (
                f"Not yet: {self.after_points} point{'s' if self.after_points != 1 else ''} "
                f"since go-live; {more} more needed to decide."
            )
        if self.worse:
            return "No improvement: 8 points in a row on the worse side of the old centre line."
        return (
            "No change: no run of 8 on the better side, and the new limits are not inside "
            "the old ones."
        )


def _longest_run(flags: Sequence[bool]) -> int:
    best = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        best = max(best, current)
    return best


def _after_run(chart: XmrChart, start: int, direction: Direction) -> bool:
    """True when a run-of-eight signal in ``direction`` covers 8 or more points from ``start``."""
    for signal in chart.signals_for(ChartRule.RUN_OF_EIGHT):
        after = sum(1 for i in signal.indices if i >= start)
        if signal.direction is direction and after >= MIN_AFTER_POINTS:
            return True
    return False


def check_improvement(
    before: Sequence[float], after: Sequence[float], *, higher_is_better: bool
) -> ImprovementCheck:
    """Judge whether the ``after`` points show an improvement over the ``before`` points.

    ``before`` is the baseline (the limits come from it; at least ``MIN_BEFORE_POINTS``), ``after``
    the points since go-live (any number, including none). Raises ``ValueError`` when ``before``
    has fewer than 2 points or any value is NaN or infinite (as ``xmr_chart`` does).
    """
    if len(before) < MIN_BEFORE_POINTS:
        raise ValueError(
            f"the before phase needs at least {MIN_BEFORE_POINTS} points, got {len(before)}"
        )
    series = [*before, *after]
    start = len(before)
    chart = xmr_chart(series, baseline=slice(0, start), rules={ChartRule.RUN_OF_EIGHT})
    old = PhaseLimits.of(chart)
    better = Direction.UP if higher_is_better else Direction.DOWN
    worse_direction = Direction.DOWN if higher_is_better else Direction.UP
    sign = 1.0 if higher_is_better else -1.0
    slack = tolerance(old.centre_line, chart.average_moving_range)
    run_length = _longest_run([sign * (v - old.centre_line) > slack for v in after])
    new = PhaseLimits.of(xmr_chart(after)) if len(after) >= 2 else None

    rule: DecisionRule | None = None
    if _after_run(chart, start, better):
        rule = DecisionRule.RUN_ON_BETTER_SIDE
    elif new is not None and len(after) >= MIN_AFTER_POINTS and _inside(new, old, sign, slack):
        rule = DecisionRule.LIMITS_INSIDE
    if rule is not None:
        verdict, needed = Verdict.CONFIRMED, 0
    elif len(after) < MIN_AFTER_POINTS:
        verdict, needed = Verdict.NOT_YET, MIN_AFTER_POINTS - len(after)
    else:
        verdict, needed = Verdict.NO_CHANGE, 0
    worse = verdict is Verdict.NO_CHANGE and _after_run(chart, start, worse_direction)
    return ImprovementCheck(
        verdict=verdict,
        rule=rule,
        before=old,
        after=new,
        after_points=len(after),
        points_needed=needed,
        run_length=run_length,
        worse=worse,
    )


def _inside(new: PhaseLimits, old: PhaseLimits, sign: float, slack: float) -> bool:
    # Differences within ``slack`` are floating-point rounding (see ``tolerance``), not data.
    within = (
        old.lower_limit <= new.lower_limit + slack and new.upper_limit <= old.upper_limit + slack
    )
    narrower = (
        old.lower_limit < new.lower_limit - slack or new.upper_limit < old.upper_limit - slack
    )
    not_worse = sign * (new.centre_line - old.centre_line) >= -slack
    return within and narrower and not_worse
