"""XmR charts: worked-example limits, each rule on hand-made series, bad input, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from twofold.engine.control_charts import (
    ALL_RULES,
    ChartRule,
    Direction,
    Signal,
    XmrChart,
    xmr_chart,
)

UP, DOWN = Direction.UP, Direction.DOWN


def only(rule: ChartRule, values: list[float], **kwargs: object) -> list[Signal]:
    return list(xmr_chart(values, rules={rule}, **kwargs).signals)  # type: ignore[arg-type]


# --- limits -----------------------------------------------------------------------------------


def test_limits_of_a_worked_example() -> None:
    chart = xmr_chart([10, 12, 11, 13, 12])
    # Mean 58 / 5 = 11.6; moving ranges 2, 1, 2, 1 -> average 1.5.
    assert chart.centre_line == pytest.approx(11.6)
    assert chart.average_moving_range == pytest.approx(1.5)
    assert chart.upper_natural_process_limit == pytest.approx(11.6 + 2.66 * 1.5)
    assert chart.lower_natural_process_limit == pytest.approx(11.6 - 2.66 * 1.5)
    assert chart.upper_natural_process_limit == pytest.approx(15.59)
    assert chart.lower_natural_process_limit == pytest.approx(7.61)
    assert chart.upper_range_limit == pytest.approx(3.268 * 1.5)
    assert chart.sigma == pytest.approx(1.5 / 1.128)
    assert chart.moving_ranges.tolist() == [2.0, 1.0, 2.0, 1.0]
    assert chart.baseline == slice(0, 5, 1)
    assert chart.signals == ()
    assert not chart.has_zero_variation


def test_limits_come_from_the_baseline_only_but_rules_cover_every_point() -> None:
    values = [10, 12, 11, 13, 12, 30, 31]
    chart = xmr_chart(values, baseline=slice(0, 5))
    assert chart.centre_line == pytest.approx(11.6)
    assert chart.average_moving_range == pytest.approx(1.5)
    beyond = chart.signals_for(ChartRule.BEYOND_LIMITS)
    assert beyond == (
        Signal(ChartRule.BEYOND_LIMITS, (5,), UP),
        Signal(ChartRule.BEYOND_LIMITS, (6,), UP),
    )
    # With every point as baseline the centre line and limits move towards the shift.
    assert xmr_chart(values).centre_line == pytest.approx(17.0)


def test_negative_baseline_bounds_work_like_python_slices() -> None:
    chart = xmr_chart([100, 100, 1, 2, 3], baseline=slice(-3, None))
    assert chart.baseline == slice(2, 5, 1)
    assert chart.centre_line == 2.0
    assert chart.average_moving_range == 1.0


# --- each rule --------------------------------------------------------------------------------


def test_a_point_beyond_the_limits_in_each_direction() -> None:
    values = [0.0] * 20 + [1.0, -1.0] * 10
    values[10] = 50.0
    values[30] = -50.0
    signals = only(ChartRule.BEYOND_LIMITS, values)
    assert signals == [
        Signal(ChartRule.BEYOND_LIMITS, (10,), UP),
        Signal(ChartRule.BEYOND_LIMITS, (30,), DOWN),
    ]


def test_a_point_exactly_on_a_limit_is_not_beyond_it() -> None:
    # Mean 0, average moving range 1 -> limits +/- 2.66; the test builds a point right on it.
    chart = xmr_chart([1.0, 0.0, 1.0, 0.0, -1.0, 0.0, -1.0, 0.0])
    assert chart.centre_line == 0.0
    assert chart.average_moving_range == 1.0
    assert only(ChartRule.BEYOND_LIMITS, [*chart.values, 2.66], baseline=slice(0, 8)) == []
    assert only(ChartRule.BEYOND_LIMITS, [*chart.values, 2.67], baseline=slice(0, 8)) == [
        Signal(ChartRule.BEYOND_LIMITS, (8,), UP)
    ]


def test_run_of_eight_needs_eight_and_merges_a_longer_run() -> None:
    base = [1.0, -1.0] * 6  # mean 0
    seven_above = [*base, *([0.5] * 7), -1.0, *base]
    assert only(ChartRule.RUN_OF_EIGHT, seven_above) == []
    # 10 points above and then 8 below: the 10 are one signal, not three overlapping windows.
    runs = [*base, *([4.0] * 10), *([-5.0] * 8), *base]
    mean = float(np.mean(runs))
    assert mean == 0.0
    assert only(ChartRule.RUN_OF_EIGHT, runs) == [
        Signal(ChartRule.RUN_OF_EIGHT, tuple(range(12, 22)), UP),
        Signal(ChartRule.RUN_OF_EIGHT, tuple(range(22, 30)), DOWN),
    ]


def test_a_point_on_the_centre_line_breaks_a_run() -> None:
    base = [1.0, -1.0] * 6
    broken = [*base, *([1.0] * 4), 0.0, *([1.0] * 4), *([-1.0] * 8), *base]
    assert float(np.mean(broken)) == 0.0
    assert only(ChartRule.RUN_OF_EIGHT, broken) == [
        Signal(ChartRule.RUN_OF_EIGHT, tuple(range(21, 29)), DOWN)
    ]


def two_sigma_baseline() -> list[float]:
    # Mean 0, average moving range 1.128 (so sigma is exactly 1).
    return [0.564, -0.564] * 10


def test_two_of_three_beyond_two_sigma_on_the_same_side() -> None:
    base = two_sigma_baseline()
    chart = xmr_chart(base)
    assert chart.centre_line == pytest.approx(0.0)
    assert chart.sigma == pytest.approx(1.0)
    fires = [*base, 2.2, 0.0, 2.3, *base]
    assert only(ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA, fires, baseline=slice(0, 20)) == [
        Signal(ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA, (20, 22), UP)
    ]
    # Opposite sides do not combine; two beyond 2 sigma four apart are not "2 of 3".
    assert (
        only(ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA, [*base, 2.2, -2.3], baseline=slice(0, 20))
        == []
    )
    assert (
        only(
            ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA, [*base, 2.2, 0, 0, 2.3], baseline=slice(0, 20)
        )
        == []
    )
    assert only(
        ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA, [*base, -2.2, -2.3], baseline=slice(0, 20)
    ) == [Signal(ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA, (20, 21), DOWN)]


def test_four_of_five_beyond_one_sigma_on_the_same_side() -> None:
    base = two_sigma_baseline()
    fires = [*base, 1.5, 1.2, 0.0, 1.1, 1.9, *base]
    assert only(ChartRule.FOUR_OF_FIVE_BEYOND_ONE_SIGMA, fires, baseline=slice(0, 20)) == [
        Signal(ChartRule.FOUR_OF_FIVE_BEYOND_ONE_SIGMA, (20, 21, 23, 24), UP)
    ]
    three_of_five = [*base, 1.5, 1.2, 0.0, 0.0, 1.9, *base]
    assert only(ChartRule.FOUR_OF_FIVE_BEYOND_ONE_SIGMA, three_of_five, baseline=slice(0, 20)) == []
    down = [*base, -1.5, -1.2, -1.3, -1.1]
    assert only(ChartRule.FOUR_OF_FIVE_BEYOND_ONE_SIGMA, down, baseline=slice(0, 20)) == [
        Signal(ChartRule.FOUR_OF_FIVE_BEYOND_ONE_SIGMA, (20, 21, 22, 23), DOWN)
    ]


def test_trend_of_six_points_steadily_rising_or_falling() -> None:
    assert only(ChartRule.TREND_OF_SIX, [5, 1, 2, 3, 4, 5, 6, 2]) == [
        Signal(ChartRule.TREND_OF_SIX, (1, 2, 3, 4, 5, 6), UP)
    ]
    assert only(ChartRule.TREND_OF_SIX, [9, 8, 7, 6, 5, 4, 3, 7]) == [
        Signal(ChartRule.TREND_OF_SIX, (0, 1, 2, 3, 4, 5, 6), DOWN)
    ]
    # Five rising points are not enough, and a repeated value breaks the trend.
    assert only(ChartRule.TREND_OF_SIX, [1, 2, 3, 4, 5, 0, 1]) == []
    assert only(ChartRule.TREND_OF_SIX, [1, 2, 3, 3, 4, 5, 6, 0]) == []


def test_moving_range_above_the_upper_range_limit() -> None:
    values = [0.0, 1.0] * 10 + [20.0]
    # Baseline average moving range 1 -> upper range limit 3.268; the jump 1 -> 20 exceeds it.
    assert only(ChartRule.MOVING_RANGE_ABOVE_LIMIT, values, baseline=slice(0, 20)) == [
        Signal(ChartRule.MOVING_RANGE_ABOVE_LIMIT, (19, 20), UP)
    ]


def test_all_rules_are_on_by_default() -> None:
    assert frozenset(ChartRule) == ALL_RULES
    values = [0.0, 1.0] * 10 + [20.0, 2, 3, 4, 5, 6, 7, 8]
    rules_seen = {signal.rule for signal in xmr_chart(values, baseline=slice(0, 20)).signals}
    assert rules_seen == ALL_RULES


def test_signals_are_ordered_by_first_point_and_filtered_by_rule() -> None:
    chart = xmr_chart([5, 1, 2, 3, 4, 5, 6, 2])
    assert [s.indices[0] for s in chart.signals] == sorted(s.indices[0] for s in chart.signals)
    assert chart.signals_for(ChartRule.TREND_OF_SIX) == (
        Signal(ChartRule.TREND_OF_SIX, (1, 2, 3, 4, 5, 6), UP),
    )


# --- degenerate input -------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[], [3.0]])
def test_fewer_than_two_points_is_refused(values: list[float]) -> None:
    with pytest.raises(ValueError, match="at least 2 points"):
        xmr_chart(values)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="point 1"):
        xmr_chart([1.0, bad, 2.0])


def test_bad_shapes_and_baselines_are_refused() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        xmr_chart([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="baseline must select at least 2"):
        xmr_chart([1, 2, 3], baseline=slice(2, 3))
    with pytest.raises(ValueError, match="step 1"):
        xmr_chart([1, 2, 3, 4], baseline=slice(0, 4, 2))


def test_zero_variation_collapses_limits_and_raises_no_signal_on_a_constant_series() -> None:
    chart = xmr_chart([0.1] * 30)
    assert chart.has_zero_variation
    assert chart.centre_line == 0.1
    assert chart.lower_natural_process_limit == chart.upper_natural_process_limit == 0.1
    assert chart.sigma == 0.0
    assert chart.upper_range_limit == 0.0
    assert chart.signals == ()


def test_zero_variation_baseline_flags_any_later_change() -> None:
    chart = xmr_chart([2.0] * 5 + [2.5], baseline=slice(0, 5), rules={ChartRule.BEYOND_LIMITS})
    assert chart.signals == (Signal(ChartRule.BEYOND_LIMITS, (5,), UP),)


def test_result_arrays_are_read_only() -> None:
    chart = xmr_chart([1, 2, 3])
    with pytest.raises(ValueError, match="read-only"):
        chart.values[0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        chart.moving_ranges[0] = 5.0


# --- cross-check against a plain-Python reading of the rules ------------------------------------


def naive_involved_points(
    values: list[float], chart: XmrChart
) -> set[tuple[ChartRule, int, Direction]]:
    """Every (rule, point, direction) a firing window involves, by brute force over windows."""
    found: set[tuple[ChartRule, int, Direction]] = set()
    centre, sigma = chart.centre_line, chart.sigma
    half = chart.upper_natural_process_limit - centre
    windowed = (
        (ChartRule.RUN_OF_EIGHT, 8, 8, 0.0),
        (ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA, 3, 2, 2 * sigma),
        (ChartRule.FOUR_OF_FIVE_BEYOND_ONE_SIGMA, 5, 4, sigma),
    )
    for sign, direction in ((1.0, UP), (-1.0, DOWN)):
        dev = [sign * (v - centre) for v in values]
        for end in range(len(values)):
            if dev[end] > half:
                found.add((ChartRule.BEYOND_LIMITS, end, direction))
            for rule, window, minimum, threshold in windowed:
                points = range(end - window + 1, end + 1)
                if end + 1 >= window and sum(dev[k] > threshold for k in points) >= minimum:
                    found.update((rule, k, direction) for k in points if dev[k] > threshold)
            steps = range(end - 4, end + 1)
            if end >= 5 and all(sign * (values[k] - values[k - 1]) > 0 for k in steps):
                found.update(
                    (ChartRule.TREND_OF_SIX, k, direction) for k in range(end - 5, end + 1)
                )
    return found


CHECKED_RULES = set(ChartRule) - {ChartRule.MOVING_RANGE_ABOVE_LIMIT}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-20, 20), min_size=2, max_size=60))
def test_signals_name_exactly_the_points_a_brute_force_check_finds(ints: list[int]) -> None:
    values = [float(v) for v in ints]
    chart = xmr_chart(values, rules=CHECKED_RULES)
    named = [
        (signal.rule, index, signal.direction)
        for signal in chart.signals
        for index in signal.indices
    ]
    assert len(named) == len(set(named)), "a point is named twice by one rule and direction"
    assert set(named) == naive_involved_points(values, chart)


# --- properties -------------------------------------------------------------------------------


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=50))
def test_limits_are_symmetric_about_the_centre_line(values: list[float]) -> None:
    chart = xmr_chart(values)
    upper_gap = chart.upper_natural_process_limit - chart.centre_line
    lower_gap = chart.centre_line - chart.lower_natural_process_limit
    assert upper_gap == pytest.approx(lower_gap, rel=1e-9, abs=1e-6)
    assert upper_gap == pytest.approx(2.66 * chart.average_moving_range, rel=1e-9, abs=1e-6)


def boundaries(chart: XmrChart) -> list[float]:
    c, s = chart.centre_line, chart.sigma
    return [
        c,
        c + s,
        c - s,
        c + 2 * s,
        c - 2 * s,
        chart.upper_natural_process_limit,
        chart.lower_natural_process_limit,
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(-50, 50), min_size=2, max_size=40),
    st.sampled_from([0.25, 0.5, 2.0, 8.0, 1024.0]),
    st.integers(-1000, 1000),
)
def test_scaling_and_shifting_moves_the_limits_and_keeps_the_signals(
    ints: list[int], scale: float, shift: int
) -> None:
    values = np.array(ints, dtype=np.float64)
    chart = xmr_chart(values)
    # Points lying (within rounding) on a boundary may legitimately flip; keep clear cases only.
    for boundary in boundaries(chart):
        assume(np.min(np.abs(values - boundary)) > 1e-6)

    moved = xmr_chart(values * scale + shift)
    assert moved.centre_line == pytest.approx(chart.centre_line * scale + shift)
    assert moved.average_moving_range == pytest.approx(chart.average_moving_range * scale)
    assert moved.upper_natural_process_limit == pytest.approx(
        chart.upper_natural_process_limit * scale + shift
    )
    assert moved.lower_natural_process_limit == pytest.approx(
        chart.lower_natural_process_limit * scale + shift
    )
    assert moved.signals == chart.signals

    flipped = xmr_chart(-values)
    mirror = {UP: DOWN, DOWN: UP}
    assert flipped.signals == tuple(
        sorted(
            (Signal(s.rule, s.indices, mirror[s.direction]) for s in chart.signals),
            key=lambda s: (s.indices[0], RULE_ORDER.index(s.rule), s.direction),
        )
    )


RULE_ORDER = list(ChartRule)  # signals sharing a first point are listed in this order


@given(
    st.lists(st.integers(-100, 100), min_size=4, max_size=40),
    st.integers(0, 38),
    st.integers(2, 40),
)
def test_baseline_limits_equal_the_limits_of_the_baseline_alone(
    ints: list[int], start: int, length: int
) -> None:
    assume(start + 2 <= len(ints))
    window = slice(start, min(len(ints), start + length))
    whole = xmr_chart(ints, baseline=window)
    alone = xmr_chart(ints[window])
    assert whole.centre_line == alone.centre_line
    assert whole.average_moving_range == alone.average_moving_range
    assert whole.upper_natural_process_limit == alone.upper_natural_process_limit
    assert whole.moving_ranges.size == len(ints) - 1


def test_points_on_the_centre_line_are_on_neither_side_despite_rounding() -> None:
    """The mean of 1.1 and 1.3 repeated is 1.2000000000000002: eight points of 1.2 read as a run
    below the centre line (a review found it; through a KPI it turned the state to "Unusual
    change")."""
    chart = xmr_chart([1.1, 1.3] * 4 + [1.2] * 8, baseline=slice(0, 8))
    assert chart.centre_line != 1.2  # the rounding is real
    assert chart.signals == ()
    # Just off the line is off it: 1.2 + 1e-6 eight times is a run above.
    above = xmr_chart([1.1, 1.3] * 4 + [1.200001] * 8, baseline=slice(0, 8))
    assert [(s.rule, s.direction, s.indices) for s in above.signals] == [
        (ChartRule.RUN_OF_EIGHT, Direction.UP, tuple(range(7, 16)))  # 1.3 at 7 is above too
    ]
