"""Plausibility of new KPI values: the reasons to ask "are you sure?" before saving one.

Three questions, each answered from the KPI's own history:

* ``FUTURE_DATE``: the value is dated after today (a measurement records what already happened).
* ``UNIT_SCALE``: the value is about 100x, 1000x, 1/100 or 1/1000 of the typical level (the
  median of the reference values), with the same sign: the signature of a percentage entered as a
  fraction (0.028 for 2.8 %) or of grams for kilograms. Checked before the range, and when it
  fires the range question is not asked too (one clear reason is better than two).
* ``OUT_OF_RANGE``: the value lies beyond the lowest or highest value ever seen by more than
  ``spreads`` times the process spread, where the spread is the width of the XmR natural process
  limits (``upper - lower``, i.e. 5.32 x the average moving range) of the reference values; for a
  pooled reference (below) the limits come from the median moving range (6.29 x it), which the
  wild values being judged cannot widen.

The reference is the KPI's history when it has at least ``MIN_REFERENCE`` values. With less
history (a first bulk import), the reference is the history plus the new values together; the
range of "ever seen" then leaves out the value being judged, so one wild value in a file is
still caught. With fewer than ``MIN_REFERENCE`` values in all, only the date is judged; so is a
history without variation (its spread is 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from twofold.engine.control_charts import xmr_chart

__all__ = [
    "MIN_REFERENCE",
    "SCALE_FACTORS",
    "SCALE_TOLERANCE",
    "Concern",
    "ConcernKind",
    "Reference",
    "concerns_for",
    "reference_from",
]

MIN_REFERENCE = 5
"""Fewer values than this say too little about a process to judge a new one by its range."""

SCALE_FACTORS = (100.0, 1000.0, 0.01, 0.001)
"""Ratios to the typical level that look like a unit or scale mix-up."""

SCALE_TOLERANCE = 1.5
"""A ratio within this factor of one of ``SCALE_FACTORS`` counts as that mix-up."""


class ConcernKind(StrEnum):
    FUTURE_DATE = "future_date"
    UNIT_SCALE = "unit_scale"
    OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True)
class Concern:
    """One reason to ask. ``field`` is ``"date"`` or ``"value"``; the numbers explain it:
    for ``UNIT_SCALE`` ``factor`` is the mix-up's ratio and ``level`` the typical value; for
    ``OUT_OF_RANGE`` ``low``/``high`` the range seen and ``spread`` the process spread."""

    kind: ConcernKind
    field: str
    factor: float = 0.0
    level: float = 0.0
    low: float = 0.0
    high: float = 0.0
    spread: float = 0.0


@dataclass(frozen=True)
class Reference:
    """What a new value is judged against: the values (in date order) and the XmR spread."""

    values: tuple[float, ...]
    spread: float
    typical: float
    pooled: bool
    """True when the new values are part of the reference (too little history alone)."""


MEDIAN_LIMIT_FACTOR = 3.145
"""Natural process limits from the median moving range are the centre +/- this times it."""


def _spread(values: Sequence[float], limits: tuple[float, float] | None, pooled: bool) -> float:
    if limits is not None:
        return max(0.0, limits[1] - limits[0])
    if pooled:
        # The values being judged are part of a pooled reference: one wild value would widen
        # average-moving-range limits enough to hide itself, so use the median moving range
        # (Wheeler's robust alternative), which one or two wild values barely move.
        ranges = np.abs(np.diff(np.asarray(values, dtype=np.float64)))
        return float(2 * MEDIAN_LIMIT_FACTOR * np.median(ranges))
    chart = xmr_chart(values)
    return chart.upper_natural_process_limit - chart.lower_natural_process_limit


def reference_from(
    history: Sequence[float],
    new_values: Sequence[float] = (),
    *,
    limits: tuple[float, float] | None = None,
) -> Reference | None:
    """The reference for judging ``new_values`` against ``history`` (both in date order).

    ``limits`` are the KPI's own natural process limits (lower, upper) when it has a chart; they
    are used when the history alone is the reference. None when there is too little to judge by.
    """
    if len(history) >= MIN_REFERENCE:
        values = tuple(float(v) for v in history)
        pooled = False
    elif len(history) + len(new_values) >= MIN_REFERENCE:
        values = tuple(float(v) for v in (*history, *new_values))
        pooled, limits = True, None
    else:
        return None
    return Reference(
        values=values,
        spread=_spread(values, limits, pooled),
        typical=float(np.median(np.asarray(values, dtype=np.float64))),
        pooled=pooled,
    )


def _seen_range(reference: Reference, value: float) -> tuple[float, float]:
    """Lowest and highest value seen; for a pooled reference, leaving ``value`` itself out once."""
    values = list(reference.values)
    if reference.pooled and value in values:
        values.remove(value)
    return (min(values), max(values)) if values else (value, value)


def _scale_factor(value: float, typical: float) -> float | None:
    if typical == 0 or value == 0 or (value > 0) != (typical > 0):
        return None
    ratio = abs(value / typical)
    for factor in SCALE_FACTORS:
        if factor / SCALE_TOLERANCE <= ratio <= factor * SCALE_TOLERANCE:
            return factor
    return None


def concerns_for(
    day: dt.date,
    value: float,
    *,
    today: dt.date,
    reference: Reference | None,
    spreads: float,
) -> list[Concern]:
    """The reasons to ask about ``value`` on ``day`` (empty when it looks plausible).

    ``spreads`` is how many process spreads beyond the range seen a value may lie unasked
    (must be > 0; ``ValueError`` otherwise).
    """
    if not spreads > 0:
        raise ValueError(f"spreads must be positive, got {spreads}")
    found: list[Concern] = []
    if day > today:
        found.append(Concern(ConcernKind.FUTURE_DATE, "date"))
    if reference is None:
        return found
    factor = _scale_factor(value, reference.typical)
    if factor is not None:
        found.append(
            Concern(ConcernKind.UNIT_SCALE, "value", factor=factor, level=reference.typical)
        )
        return found
    if reference.spread <= 0:
        return found
    low, high = _seen_range(reference, value)
    margin = spreads * reference.spread
    if value < low - margin or value > high + margin:
        found.append(
            Concern(
                ConcernKind.OUT_OF_RANGE,
                "value",
                low=low,
                high=high,
                spread=reference.spread,
            )
        )
    return found
