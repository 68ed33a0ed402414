"""Monte Carlo throughput forecasts: exact cases, the asymmetric levels, monotonicity."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.engine.forecast import (
    DateLevel,
    ItemsLevel,
    forecast_how_many,
    forecast_how_many_by,
    forecast_when,
)


def test_a_constant_history_gives_an_exact_forecast() -> None:
    how_many = forecast_how_many([2, 2, 2], 10, trials=100, seed=1)
    assert how_many.totals.tolist() == [20] * 100
    assert how_many.levels == (ItemsLevel(50, 20), ItemsLevel(85, 20), ItemsLevel(95, 20))
    when = forecast_when([2], 7, start="2025-01-01", trials=100, seed=1)
    # 2, 4, 6, 8 items after days 1..4: the 7th item is done on day 4, 2025-01-04.
    assert when.days_needed.tolist() == [4] * 100
    assert when.level(85) == DateLevel(85, 4, np.datetime64("2025-01-04"))


def test_how_many_levels_are_the_number_reached_in_at_least_that_share_of_trials() -> None:
    # One day; 10 items with probability 3/4, else none.
    forecast = forecast_how_many([10, 10, 10, 0], 1, trials=10_000, seed=7)
    share_of_tens = float(np.mean(forecast.totals == 10))
    assert 0.73 < share_of_tens < 0.77
    # 10 is reached in ~75 % of trials: enough for 50 %, not for 85 % or 95 %.
    assert forecast.levels == (ItemsLevel(50, 10), ItemsLevel(85, 0), ItemsLevel(95, 0))
    assert forecast.items_at(50) == 10


def test_when_levels_are_the_day_by_which_that_share_of_trials_finished() -> None:
    # One item at 3/4 a day: done on day 1 in 75 %, by day 2 in 93.75 %, by day 3 in 98.4 %.
    forecast = forecast_when([1, 1, 1, 0], 1, start=dt.date(2025, 3, 1), trials=10_000, seed=7)
    assert forecast.levels == (
        DateLevel(50, 1, np.datetime64("2025-03-01")),
        DateLevel(85, 2, np.datetime64("2025-03-02")),
        DateLevel(95, 3, np.datetime64("2025-03-03")),
    )


def test_the_simulated_mean_matches_the_history_mean() -> None:
    history = [0, 1, 3, 0, 5, 2, 0, 1]  # mean 1.5 a day
    forecast = forecast_how_many(history, 20, trials=10_000, seed=3)
    assert forecast.totals.mean() == pytest.approx(30.0, rel=0.02)


def test_how_many_by_counts_both_days() -> None:
    forecast = forecast_how_many_by([1], "2025-01-01", dt.date(2025, 1, 10), trials=10, seed=0)
    assert forecast.horizon_days == 10
    assert forecast.items_at(95) == 10
    assert forecast_how_many_by([1], "2025-01-01", "2024-12-31", trials=10).items_at(50) == 0


def test_a_seed_makes_a_forecast_reproducible() -> None:
    history = [0, 1, 3, 0, 5]
    first = forecast_when(history, 40, trials=500, seed=11)
    again = forecast_when(history, 40, trials=500, seed=np.random.default_rng(11))
    assert first.days_needed.tolist() == again.days_needed.tolist()


def test_trials_that_never_finish_within_the_maximum_leave_late_levels_open() -> None:
    forecast = forecast_when([0, 0, 0, 1], 1, trials=1_000, seed=2, max_days=2)
    # P(done within 2 days) = 1 - (3/4)^2 = 43.75 %: not even the 50 % level is reached.
    assert forecast.levels == (DateLevel(50, None, None), DateLevel(85, None, None),
                               DateLevel(95, None, None))  # fmt: skip
    finished = forecast.days_needed[forecast.days_needed > 0]
    assert set(finished.tolist()) <= {1, 2}
    assert 0.40 < finished.size / 1_000 < 0.48


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([], "non-empty"),
        ([1, -1], "whole numbers"),
        ([1, 0.5], "whole numbers"),
        ([1, float("nan")], "NaN"),
        ([[1, 2]], "1-D"),
    ],
)
def test_bad_histories_are_refused(history: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        forecast_how_many(history, 5)


def test_bad_runs_are_refused() -> None:
    with pytest.raises(ValueError, match="no finished items"):
        forecast_when([0, 0], 3)
    with pytest.raises(ValueError, match="at least 1, got 0"):
        forecast_when([1], 0)
    with pytest.raises(ValueError, match="horizon"):
        forecast_how_many([1], -1)
    with pytest.raises(ValueError, match="trial"):
        forecast_how_many([1], 1, trials=0)
    with pytest.raises(ValueError, match="1 to 99"):
        forecast_how_many([1], 1, levels=[100])
    with pytest.raises(KeyError):
        forecast_how_many([1], 1, trials=5).items_at(70)


histories = st.lists(st.integers(0, 6), min_size=1, max_size=20).filter(lambda h: sum(h) > 0)


@settings(max_examples=40, deadline=None)
@given(histories, st.integers(0, 60), st.integers(0, 60), st.integers(0, 2**32))
def test_more_days_never_forecast_fewer_items(
    history: list[int], days_a: int, days_b: int, seed: int
) -> None:
    short, long = sorted((days_a, days_b))
    fewer = forecast_how_many(history, short, trials=300, seed=seed)
    more = forecast_how_many(history, long, trials=300, seed=seed)
    assert (more.totals >= fewer.totals).all()
    for low, high in zip(fewer.levels, more.levels, strict=True):
        assert high.items >= low.items
    items = [level.items for level in more.levels]
    assert items == sorted(items, reverse=True)  # 50 % >= 85 % >= 95 %
    for level in more.levels:
        assert np.mean(more.totals >= level.items) >= level.confidence / 100
        assert np.mean(more.totals >= level.items + 1) < level.confidence / 100


@settings(max_examples=40, deadline=None)
@given(histories, st.integers(1, 80), st.integers(1, 80), st.integers(0, 2**32))
def test_more_items_never_finish_earlier_and_95_is_not_before_50(
    history: list[int], items_a: int, items_b: int, seed: int
) -> None:
    fewer_items, more_items = sorted((items_a, items_b))
    sooner = forecast_when(history, fewer_items, trials=300, seed=seed, start="2025-01-01")
    later = forecast_when(history, more_items, trials=300, seed=seed, start="2025-01-01")
    finished = (sooner.days_needed > 0) & (later.days_needed > 0)
    assert (later.days_needed[finished] >= sooner.days_needed[finished]).all()
    for forecast in (sooner, later):
        days = [level.days for level in forecast.levels]
        known = [d for d in days if d is not None]
        assert known == sorted(known)
        assert None not in days[: len(known)]  # only the latest levels can be open
        for level in forecast.levels:
            if level.days is not None:
                done_by = (forecast.days_needed > 0) & (forecast.days_needed <= level.days)
                assert np.mean(done_by) >= level.confidence / 100
                done_before = (forecast.days_needed > 0) & (forecast.days_needed < level.days)
                assert np.mean(done_before) < level.confidence / 100
