"""XmR (individuals and moving range) control charts with run rules.

The chart follows Wheeler's "process behaviour chart" conventions:

* centre line = mean of the baseline points;
* average moving range (mR-bar) = mean of ``|x[i] - x[i-1]|`` over consecutive baseline points;
* natural process limits = centre line +/- 2.66 x mR-bar;
* upper range limit (moving-range chart) = 3.268 x mR-bar;
* sigma (used for the 1- and 2-sigma zones) = mR-bar / 1.128.

Limits come from a baseline (by default every point); the rules are then evaluated over the whole
series, so later points are judged against the baseline's voice of the process.

Rules (all directional, "same side" means all involved points are above, or all below, the centre
line):

* ``BEYOND_LIMITS``: one point strictly outside the natural process limits.
* ``RUN_OF_EIGHT``: 8 consecutive points strictly on the same side of the centre line. A point
  exactly on the centre line belongs to neither side and breaks a run.
* ``TWO_OF_THREE_BEYOND_TWO_SIGMA``: at least 2 of 3 consecutive points strictly beyond
  centre +/- 2 sigma on the same side (a point beyond the limits counts too).
* ``FOUR_OF_FIVE_BEYOND_ONE_SIGMA``: at least 4 of 5 consecutive points strictly beyond
  centre +/- 1 sigma on the same side.
* ``TREND_OF_SIX``: 6 consecutive points each strictly greater (or each strictly smaller) than the
  one before, i.e. 5 steps in the same direction (Nelson's rule 3). A repeated value breaks a trend.
* ``MOVING_RANGE_ABOVE_LIMIT``: a moving range strictly above the upper range limit (a sudden
  jump between two consecutive points); the signal names both points.

Overlapping windows that fire the same rule in the same direction are merged into one signal, so a
long run of 12 points above the centre line is one ``RUN_OF_EIGHT`` signal naming all 12 points.
For the "k of n" rules the signal names only the points that are beyond the zone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

__all__ = [
    "ALL_RULES",
    "LIMIT_FACTOR",
    "RANGE_LIMIT_FACTOR",
    "SIGMA_DIVISOR",
    "ChartRule",
    "Direction",
    "Signal",
    "XmrChart",
    "tolerance",
    "xmr_chart",
]

LIMIT_FACTOR = 2.66
"""Natural process limits are the centre line +/- this times the average moving range."""

RANGE_LIMIT_FACTOR = 3.268
"""The upper range limit is this times the average moving range."""

SIGMA_DIVISOR = 1.128
"""d2 for subgroups of 2: sigma is estimated as the average moving range divided by this."""

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.intp]


class ChartRule(StrEnum):
    """A detection rule; the value is a stable identifier suitable for storage and display."""

    BEYOND_LIMITS = "beyond_limits"
    RUN_OF_EIGHT = "run_of_eight"
    TWO_OF_THREE_BEYOND_TWO_SIGMA = "two_of_three_beyond_two_sigma"
    FOUR_OF_FIVE_BEYOND_ONE_SIGMA = "four_of_five_beyond_one_sigma"
    TREND_OF_SIX = "trend_of_six"
    MOVING_RANGE_ABOVE_LIMIT = "moving_range_above_limit"


ALL_RULES: frozenset[ChartRule] = frozenset(ChartRule)


class Direction(StrEnum):
    """Which way a signal points: above the centre line / increasing, or below / decreasing."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class Signal:
    """One detected signal: the rule, the 0-based point indices involved, and its direction."""

    rule: ChartRule
    indices: tuple[int, ...]
    direction: Direction


@dataclass(frozen=True, eq=False)
class XmrChart:
    """An XmR chart: limits (in the unit of the values) and the signals found over all points.

    ``values`` and ``moving_ranges`` are read-only float64 arrays; ``moving_ranges[i]`` is
    ``|values[i + 1] - values[i]|``. ``baseline`` is the normalised slice of points the limits
    were computed from. When the baseline has no variation the average moving range is 0 and all
    limits collapse onto the centre line (``has_zero_variation``); any later point that differs from
    the centre line is then beyond the limits.
    """

    values: FloatArray
    moving_ranges: FloatArray
    baseline: slice
    centre_line: float
    average_moving_range: float
    sigma: float
    lower_natural_process_limit: float
    upper_natural_process_limit: float
    upper_range_limit: float
    signals: tuple[Signal, ...]

    @property
    def has_zero_variation(self) -> bool:
        """True when every baseline point is equal, so the limits sit on the centre line."""
        return self.average_moving_range == 0.0

    def signals_for(self, rule: ChartRule) -> tuple[Signal, ...]:
        """The signals raised by one rule, in order of their first point."""
        return tuple(signal for signal in self.signals if signal.rule is rule)


def xmr_chart(
    values: npt.ArrayLike,
    *,
    baseline: slice | None = None,
    rules: Collection[ChartRule] = ALL_RULES,
) -> XmrChart:
    """Compute an XmR chart's limits from ``baseline`` and evaluate ``rules`` over all ``values``.

    ``values`` is a 1-D sequence of finite numbers in time order (any unit). ``baseline`` is a
    slice of point positions (step 1; negative bounds allowed, as in Python); it must select at
    least 2 points. Signals are ordered by first index, then by rule.

    Raises ``ValueError`` if ``values`` is not 1-D, has fewer than 2 points, contains NaN or
    infinity, or if ``baseline`` has a step other than 1 or selects fewer than 2 points.
    """
    points = np.array(values, dtype=np.float64)
    if points.ndim != 1:
        raise ValueError(f"XmR values must be one-dimensional, got shape {points.shape}")
    if points.size < 2:
        raise ValueError(f"an XmR chart needs at least 2 points, got {points.size}")
    if not np.isfinite(points).all():
        bad = int(np.flatnonzero(~np.isfinite(points))[0])
        raise ValueError(f"XmR values must be finite numbers; point {bad} is {points[bad]}")
    points.setflags(write=False)

    base = _normalise_baseline(baseline, points.size)
    base_points = points[base]
    if base_points.size < 2:
        raise ValueError(f"the baseline must select at least 2 points, got {base_points.size}")

    if np.all(base_points == base_points[0]):
        # Taking the value itself (not a float mean) keeps a constant series exactly on its
        # centre line, so it raises no spurious run signals through rounding.
        centre = float(base_points[0])
        average_moving_range = 0.0
    else:
        centre = float(np.mean(base_points))
        average_moving_range = float(np.mean(np.abs(np.diff(base_points))))
    sigma = average_moving_range / SIGMA_DIVISOR
    half_width = LIMIT_FACTOR * average_moving_range

    moving_ranges = np.abs(np.diff(points))
    moving_ranges.setflags(write=False)
    chart_limits = _Limits(
        centre=centre,
        lower=centre - half_width,
        upper=centre + half_width,
        half_width=half_width,
        sigma=sigma,
        upper_range=RANGE_LIMIT_FACTOR * average_moving_range,
        tolerance=tolerance(centre, average_moving_range),
    )
    signals = _evaluate_rules(points, moving_ranges, chart_limits, frozenset(rules))
    return XmrChart(
        values=points,
        moving_ranges=moving_ranges,
        baseline=base,
        centre_line=centre,
        average_moving_range=average_moving_range,
        sigma=sigma,
        lower_natural_process_limit=chart_limits.lower,
        upper_natural_process_limit=chart_limits.upper,
        upper_range_limit=chart_limits.upper_range,
        signals=signals,
    )


@dataclass(frozen=True)
class _Limits:
    centre: float
    lower: float
    upper: float
    half_width: float
    sigma: float
    upper_range: float
    tolerance: float


_RELATIVE_TOLERANCE = 1e-9


def tolerance(centre: float, average_moving_range: float) -> float:
    """How far from a line a point may lie and still count as on it.

    The centre line is a floating-point mean: the mean of 1.1 and 1.3 repeated is
    1.2000000000000002, so a point of 1.2 would read as below it and eight of them as a run on
    one side. Differences within a billionth of the larger of the centre line and the average
    moving range are rounding, not data.
    """
    return _RELATIVE_TOLERANCE * max(abs(centre), average_moving_range)


def _normalise_baseline(baseline: slice | None, size: int) -> slice:
    if baseline is None:
        return slice(0, size, 1)
    start, stop, step = baseline.indices(size)
    if step != 1:
        raise ValueError(f"the baseline must be a contiguous slice (step 1), got step {step}")
    return slice(start, max(start, stop), 1)


_RUN_LENGTH = 8
_TREND_POINTS = 6


def _evaluate_rules(
    points: FloatArray,
    moving_ranges: FloatArray,
    limits: _Limits,
    rules: frozenset[ChartRule],
) -> tuple[Signal, ...]:
    found: list[tuple[int, int, Signal]] = []
    rule_order = {rule: position for position, rule in enumerate(ChartRule)}

    def add(rule: ChartRule, direction: Direction, groups: list[tuple[int, ...]]) -> None:
        for indices in groups:
            found.append((indices[0], rule_order[rule], Signal(rule, indices, direction)))

    # A point within rounding of the centre line is on it (on neither side); one within rounding
    # of a limit or a zone's edge is not beyond it.
    slack = limits.tolerance
    deviation = points - limits.centre
    deviation[np.abs(deviation) <= slack] = 0.0
    for direction, sign in ((Direction.UP, 1.0), (Direction.DOWN, -1.0)):
        # Working on the signed deviation makes every test "strictly greater than a threshold".
        signed = sign * deviation
        if ChartRule.BEYOND_LIMITS in rules:
            beyond = signed > limits.half_width + slack
            add(ChartRule.BEYOND_LIMITS, direction, [(int(i),) for i in np.flatnonzero(beyond)])
        if ChartRule.RUN_OF_EIGHT in rules:
            above = signed > 0.0
            add(ChartRule.RUN_OF_EIGHT, direction, _windows(above, _RUN_LENGTH, _RUN_LENGTH))
        if ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA in rules:
            beyond_two = signed > 2.0 * limits.sigma + slack
            add(ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA, direction, _windows(beyond_two, 3, 2))
        if ChartRule.FOUR_OF_FIVE_BEYOND_ONE_SIGMA in rules:
            beyond_one = signed > limits.sigma + slack
            add(ChartRule.FOUR_OF_FIVE_BEYOND_ONE_SIGMA, direction, _windows(beyond_one, 5, 4))
        if ChartRule.TREND_OF_SIX in rules:
            add(ChartRule.TREND_OF_SIX, direction, _trends(sign * np.diff(points)))
    if ChartRule.MOVING_RANGE_ABOVE_LIMIT in rules:
        jumps = np.flatnonzero(moving_ranges > limits.upper_range + slack)
        direction_of_jump = np.diff(points)[jumps] > 0
        for jump, rising in zip(jumps.tolist(), direction_of_jump.tolist(), strict=True):
            signal = Signal(
                ChartRule.MOVING_RANGE_ABOVE_LIMIT,
                (jump, jump + 1),
                Direction.UP if rising else Direction.DOWN,
            )
            found.append((jump, rule_order[ChartRule.MOVING_RANGE_ABOVE_LIMIT], signal))

    found.sort(key=lambda entry: (entry[0], entry[1], entry[2].direction))
    return tuple(entry[2] for entry in found)


def _window_counts(condition: BoolArray, window: int) -> IndexArray:
    """Count of true values in each window of ``window`` points, indexed by the window's end."""
    running = np.concatenate(([0], np.cumsum(condition, dtype=np.intp)))
    return running[window:] - running[:-window]


def _merged_spans(window_ends: IndexArray, window: int) -> list[tuple[int, int]]:
    """Merge overlapping firing windows (given by end index) into inclusive (first, last) spans."""
    if window_ends.size == 0:
        return []
    new_group = np.flatnonzero(np.diff(window_ends) >= window) + 1
    starts = np.concatenate(([0], new_group))
    ends = np.concatenate((new_group - 1, [window_ends.size - 1]))
    firsts = window_ends[starts] - (window - 1)
    lasts = window_ends[ends]
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


def _windows(condition: BoolArray, window: int, minimum: int) -> list[tuple[int, ...]]:
    """Signals for "at least ``minimum`` of ``window`` consecutive points meet ``condition``"."""
    if condition.size < window:
        return []
    firing = np.flatnonzero(_window_counts(condition, window) >= minimum) + (window - 1)
    groups = []
    for first, last in _merged_spans(firing, window):
        involved = np.flatnonzero(condition[first : last + 1]) + first
        groups.append(tuple(involved.tolist()))
    return groups


def _trends(steps: FloatArray) -> list[tuple[int, ...]]:
    """Signals for ``_TREND_POINTS`` points in a row, each strictly above the one before.

    ``steps[i]`` is ``x[i + 1] - x[i]`` (already signed for the direction being tested).
    """
    step_count = _TREND_POINTS - 1
    rising = steps > 0.0
    if rising.size < step_count:
        return []
    # The window of rising steps m .. m + 4 covers points m .. m + 5: it ends at point m + 5.
    window_counts = _window_counts(rising, step_count)
    last_points = np.flatnonzero(window_counts == step_count) + step_count
    return [
        tuple(range(first, last + 1)) for first, last in _merged_spans(last_points, _TREND_POINTS)
    ]
