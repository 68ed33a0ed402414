"""Traffic-light status of a KPI value against its target.

A KPI has a target, a good direction (higher is better, or lower is better) and two thresholds on
the "worse" side of the target, all in the KPI's own unit:

* green: the value is at least as good as the amber threshold (which defaults to the target, so
  "on target or better" is green);
* amber: worse than the amber threshold but at least as good as the red threshold;
* red: worse than the red threshold.

A value exactly on a threshold takes the better status. Example: on-time delivery, target 95 %,
good direction up, red threshold 90: 96 -> green, 95 -> green, 92 -> amber, 89.9 -> red.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["GoodDirection", "KpiStatus", "KpiTarget", "kpi_status"]


class GoodDirection(StrEnum):
    """Which way a KPI improves."""

    UP = "up"
    DOWN = "down"


class KpiStatus(StrEnum):
    """Traffic-light status; the value is a stable identifier for storage and CSS classes."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True)
class KpiTarget:
    """A target with its good direction and thresholds (see the module docstring).

    Raises ``ValueError`` when a number is NaN or infinite, or when the thresholds are out of
    order: for ``UP`` it must hold that red <= amber <= target; for ``DOWN`` red >= amber >= target.
    """

    target: float
    good_direction: GoodDirection
    red_threshold: float
    amber_threshold: float | None = None

    def __post_init__(self) -> None:
        for name in ("target", "red_threshold", "amber_threshold"):
            number = getattr(self, name)
            if number is not None and not math.isfinite(number):
                raise ValueError(f"KPI {name} must be a finite number, got {number}")
        amber = self.effective_amber_threshold
        ordered = (
            self.red_threshold <= amber <= self.target
            if self.good_direction is GoodDirection.UP
            else self.red_threshold >= amber >= self.target
        )
        if not ordered:
            worse = "below" if self.good_direction is GoodDirection.UP else "above"
            raise ValueError(
                f"with good direction {self.good_direction.value!r} the thresholds must lie at or "
                f"{worse} the target, red no better than amber: target={self.target}, "
                f"amber={amber}, red={self.red_threshold}"
            )

    @property
    def effective_amber_threshold(self) -> float:
        """The amber threshold, or the target when none was given."""
        return self.target if self.amber_threshold is None else self.amber_threshold

    def status(self, value: float) -> KpiStatus:
        """The status of ``value``; raises ``ValueError`` if it is NaN or infinite."""
        if not math.isfinite(value):
            raise ValueError(f"a KPI value must be a finite number, got {value}")
        sign = 1.0 if self.good_direction is GoodDirection.UP else -1.0
        # Multiplying by the sign turns "at least as good as" into ">=" for both directions.
        if sign * value >= sign * self.effective_amber_threshold:
            return KpiStatus.GREEN
        if sign * value >= sign * self.red_threshold:
            return KpiStatus.AMBER
        return KpiStatus.RED


def kpi_status(
    value: float,
    *,
    target: float,
    good_direction: GoodDirection,
    red_threshold: float,
    amber_threshold: float | None = None,
) -> KpiStatus:
    """Shortcut for ``KpiTarget(...).status(value)``; raises ``ValueError`` as they do."""
    return KpiTarget(target, good_direction, red_threshold, amber_threshold).status(value)
