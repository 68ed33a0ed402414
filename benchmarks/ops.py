"""Benchmark of the operations computations: XmR rules, flow metrics, Monte Carlo forecasts.

Run standalone: ``.venv/bin/python benchmarks/ops.py``. Each figure is the best of a few runs
(wall clock, milliseconds). Each engine figure is compared in the same run with a simple peer: a
plain-Python loop for the run rules and the forecasts, pandas (when installed) for flow metrics.
Budget: every RESULT must be <= 100 ms.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from twofold.engine.control_charts import ChartRule, xmr_chart
from twofold.engine.flow import (
    ageing_wip,
    cumulative_flow,
    cycle_times,
    throughput_per_week,
)
from twofold.engine.forecast import forecast_how_many, forecast_when

POINTS = 100_000
ITEMS = 100_000
TRIALS = 10_000
HORIZON_DAYS = 90
WHEN_ITEMS = 200
RUNS = 5
BUDGET_MS = 100.0


def best_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000.0


# --- XmR ------------------------------------------------------------------------------------------


def xmr_series() -> np.ndarray:
    rng = np.random.default_rng(42)
    values = rng.normal(50.0, 5.0, POINTS)
    values[30_000:30_400] += 6.0  # a shift for the run rules to find
    values[70_000:70_010] += np.arange(10) * 4.0  # a trend
    return values


def python_rule_windows(values: list[float], centre: float, sigma: float, half: float) -> int:
    """Peer: the same five rules as one plain-Python pass; returns the firing windows."""
    firing = 0
    for sign in (1.0, -1.0):
        dev = [sign * (v - centre) for v in values]
        run = trend = 0
        for end, d in enumerate(dev):
            firing += d > half
            run = run + 1 if d > 0 else 0
            firing += run >= 8
            if end >= 2:
                firing += sum(x > 2 * sigma for x in dev[end - 2 : end + 1]) >= 2
            if end >= 4:
                firing += sum(x > sigma for x in dev[end - 4 : end + 1]) >= 4
            if end >= 1:
                trend = trend + 1 if sign * (values[end] - values[end - 1]) > 0 else 0
                firing += trend >= 5
    return firing


def bench_xmr() -> tuple[str, float]:
    values = xmr_series()
    rules = set(ChartRule) - {ChartRule.MOVING_RANGE_ABOVE_LIMIT}
    chart = xmr_chart(values, baseline=slice(0, 20_000), rules=rules)
    engine_ms = best_ms(lambda: xmr_chart(values, baseline=slice(0, 20_000), rules=set(ChartRule)))
    as_list = values.tolist()
    half = chart.upper_natural_process_limit - chart.centre_line
    peer_ms = best_ms(
        lambda: python_rule_windows(as_list, chart.centre_line, chart.sigma, half), runs=1
    )
    print(
        f"xmr: {POINTS} points, {len(chart.signals)} signals; plain-Python rule loop "
        f"{peer_ms:.0f} ms -> engine is {peer_ms / engine_ms:.0f}x faster"
    )
    return "xmr_rules_100k", engine_ms


# --- flow -----------------------------------------------------------------------------------------


def work_items() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    origin = np.datetime64("2023-01-01T00:00:00")
    arrived_s = np.sort(rng.integers(0, 730 * 86_400, ITEMS))
    started_s = arrived_s + rng.exponential(3 * 86_400, ITEMS).astype(np.int64)
    finished_s = started_s + rng.lognormal(np.log(5 * 86_400), 0.8, ITEMS).astype(np.int64)
    arrived = origin + arrived_s.astype("timedelta64[s]")
    started = origin + started_s.astype("timedelta64[s]")
    finished = origin + finished_s.astype("timedelta64[s]")
    finished[rng.random(ITEMS) < 0.05] = np.datetime64("NaT")  # some still in progress
    return arrived, started, finished


def engine_flow(arrived: np.ndarray, started: np.ndarray, finished: np.ndarray) -> None:
    throughput_per_week(finished, "2023-01-01", "2024-12-31")
    cycle_times(started, finished)
    ageing_wip(started, finished, np.datetime64("2024-12-31T12:00:00"))
    cumulative_flow(
        np.column_stack((arrived, started, finished)),
        ("arrived", "started", "done"),
        "2023-01-01",
        "2024-12-31",
    )


def pandas_flow(arrived: np.ndarray, started: np.ndarray, finished: np.ndarray) -> None:
    import pandas as pd

    frame = pd.DataFrame({"arrived": arrived, "started": started, "finished": finished})
    weeks = pd.date_range("2022-12-26", "2024-12-30", freq="W-MON")
    frame["finished"].dropna().dt.to_period("W-SUN").value_counts().reindex(
        weeks.to_period("W-SUN"), fill_value=0
    )
    cycle = (frame["finished"] - frame["started"]).dt.total_seconds().dropna() / 86_400
    cycle.quantile([0.5, 0.7, 0.85, 0.95], interpolation="higher")
    as_of = pd.Timestamp("2024-12-31T12:00:00")
    done_by = frame["finished"] <= as_of
    open_items = frame[(frame["started"] <= as_of) & ~done_by]
    (as_of - open_items["started"]).dt.total_seconds() / 86_400
    days = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    for column in ("arrived", "started", "finished"):
        column_days = frame[column].dropna().dt.floor("D").value_counts()
        column_days.reindex(days, fill_value=0).cumsum()


def bench_flow() -> tuple[str, float]:
    arrived, started, finished = work_items()
    engine_ms = best_ms(lambda: engine_flow(arrived, started, finished))
    try:
        import pandas  # noqa: F401
    except ImportError:
        print("flow: pandas not installed, no peer")
    else:
        peer_ms = best_ms(lambda: pandas_flow(arrived, started, finished), runs=3)
        print(
            f"flow: {ITEMS} items (weekly throughput, cycle times, ageing WIP, 3-state CFD "
            f"over 2 years); pandas {peer_ms:.0f} ms -> engine is {peer_ms / engine_ms:.1f}x faster"
        )
    return "flow_100k", engine_ms


# --- forecasts ------------------------------------------------------------------------------------


def python_how_many(history: list[int], trials: int, days: int) -> list[int]:
    chooser = random.Random(1)
    return sorted(sum(chooser.choices(history, k=days)) for _ in range(trials))


def bench_forecasts() -> list[tuple[str, float]]:
    history = np.random.default_rng(3).poisson(2.5, 180)
    how_ms = best_ms(lambda: forecast_how_many(history, HORIZON_DAYS, trials=TRIALS, seed=1))
    when_ms = best_ms(
        lambda: forecast_when(history, WHEN_ITEMS, trials=TRIALS, seed=1, start="2025-01-01")
    )
    peer_ms = best_ms(lambda: python_how_many(history.tolist(), TRIALS, HORIZON_DAYS), runs=1)
    print(
        f"forecast: {TRIALS} trials, how many in {HORIZON_DAYS} days; plain-Python "
        f"random.choices loop {peer_ms:.0f} ms -> engine is {peer_ms / how_ms:.0f}x faster"
    )
    return [("forecast_how_many_10k", how_ms), ("forecast_when_10k", when_ms)]


def main() -> int:
    results = [bench_xmr(), bench_flow(), *bench_forecasts()]
    print(f"(best of {RUNS} runs each; budget {BUDGET_MS:.0f} ms)")
    for name, ms in results:
        print(f"RESULT name={name} ms={ms:.1f}")
    return 0 if all(ms <= BUDGET_MS for _, ms in results) else 1


if __name__ == "__main__":
    sys.exit(main())
