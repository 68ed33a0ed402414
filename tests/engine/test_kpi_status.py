"""KPI traffic-light status against a target, in both good directions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twofold.engine.kpi_status import GoodDirection, KpiStatus, KpiTarget, kpi_status

GREEN, AMBER, RED = KpiStatus.GREEN, KpiStatus.AMBER, KpiStatus.RED


@pytest.mark.parametrize(
    ("value", "expected"),
    [(96.0, GREEN), (95.0, GREEN), (92.0, AMBER), (90.0, AMBER), (89.9, RED), (0.0, RED)],
)
def test_higher_is_better_with_amber_at_the_target(value: float, expected: KpiStatus) -> None:
    assert (
        kpi_status(value, target=95.0, good_direction=GoodDirection.UP, red_threshold=90.0)
        is expected
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.0, GREEN), (5.0, GREEN), (6.0, GREEN), (7.0, AMBER), (10.0, AMBER), (10.5, RED)],
)
def test_lower_is_better_with_a_separate_amber_threshold(value: float, expected: KpiStatus) -> None:
    # Lead time target 5 days; up to 6 is still fine, beyond 10 is red.
    target = KpiTarget(5.0, GoodDirection.DOWN, red_threshold=10.0, amber_threshold=6.0)
    assert target.status(value) is expected


def test_status_values_are_stable_strings() -> None:
    assert [s.value for s in KpiStatus] == ["green", "amber", "red"]


def test_thresholds_on_the_wrong_side_are_refused() -> None:
    with pytest.raises(ValueError, match="at or below the target"):
        KpiTarget(95.0, GoodDirection.UP, red_threshold=97.0)
    with pytest.raises(ValueError, match="at or above the target"):
        KpiTarget(5.0, GoodDirection.DOWN, red_threshold=4.0)
    with pytest.raises(ValueError, match="red no better than amber"):
        KpiTarget(95.0, GoodDirection.UP, red_threshold=93.0, amber_threshold=92.0)


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError, match="target must be a finite number"):
        KpiTarget(math.nan, GoodDirection.UP, red_threshold=0.0)
    with pytest.raises(ValueError, match="value must be a finite number"):
        KpiTarget(1.0, GoodDirection.UP, red_threshold=0.0).status(math.nan)


finite = st.floats(-1e9, 1e9, allow_nan=False)


@given(finite, finite, finite, finite)
def test_mirroring_the_direction_mirrors_the_status(
    value: float, a: float, b: float, c: float
) -> None:
    red, amber, target = sorted((a, b, c))
    up = KpiTarget(target, GoodDirection.UP, red_threshold=red, amber_threshold=amber)
    down = KpiTarget(-target, GoodDirection.DOWN, red_threshold=-red, amber_threshold=-amber)
    assert up.status(value) is down.status(-value)


@given(finite, finite, finite, finite, finite)
def test_a_better_value_never_gets_a_worse_status(
    low: float, high: float, a: float, b: float, c: float
) -> None:
    low, high = sorted((low, high))
    red, amber, target = sorted((a, b, c))
    rank = {GREEN: 0, AMBER: 1, RED: 2}
    up = KpiTarget(target, GoodDirection.UP, red_threshold=red, amber_threshold=amber)
    assert rank[up.status(high)] <= rank[up.status(low)]
