"""Timing of the Monte Carlo schedule risk simulation on a synthetic network.

    .venv/bin/python benchmarks/risk.py --iterations 10000 --activities 1000

The network is random but seeded: each activity links to 1-3 of the 50 activities before it
(80 % FS, the rest SS/FF/SF, lags -1 day .. +1 day), estimates of 1-20 working days, a
``--pert-share`` of PERT-beta estimates (the rest triangular), 20 risk events touching 5
activities each, and 10 correlated groups of 20 activities. The timed part is one
``simulate`` call (sampling, forward pass, criticality backward pass, percentiles, dates and
Spearman sensitivity); the best of ``--repeat`` runs is reported, as other processes share the
machine. Last line::

    RESULT iterations=<n> activities=<n> seconds=<t>
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twofold.engine.risk import (
    CorrelationGroup,
    RiskEvent,
    RiskNetwork,
    simulate,
)

DAY = 480.0


def synthetic_network(activities: int, pert_share: float, seed: int) -> RiskNetwork:
    rng = np.random.default_rng(seed)
    most_likely = rng.integers(1, 21, activities) * DAY
    minimum = most_likely * rng.uniform(0.6, 1.0, activities)
    maximum = most_likely * rng.uniform(1.0, 2.0, activities)
    distribution = (rng.random(activities) < pert_share).astype(np.int64)
    predecessors: list[int] = []
    successors: list[int] = []
    for task in range(1, activities):
        count = min(task, int(rng.integers(1, 4)))
        for before in rng.choice(np.arange(max(0, task - 50), task), count, replace=False):
            predecessors.append(int(before))
            successors.append(task)
    links = len(predecessors)
    link_type = np.where(rng.random(links) < 0.8, 0, rng.integers(1, 4, links)).astype(np.int64)
    link_lag = rng.integers(-1, 2, links) * DAY
    events = tuple(
        RiskEvent(
            probability=float(rng.uniform(0.05, 0.3)),
            tasks=tuple(int(t) for t in rng.choice(activities, 5, replace=False)),
            delay_minutes=tuple(float(d) for d in rng.integers(1, 6, 5) * DAY),
            name=f"risk {number}",
        )
        for number in range(20 if activities >= 100 else 0)
    )
    groups = tuple(
        CorrelationGroup(tuple(int(t) for t in rng.choice(activities, 20, replace=False)), 0.5)
        for _ in range(10 if activities >= 200 else 0)
    )
    return RiskNetwork(
        minimum=minimum,
        most_likely=most_likely,
        maximum=maximum,
        distribution=distribution,
        link_predecessor=np.asarray(predecessors, dtype=np.int64),
        link_successor=np.asarray(successors, dtype=np.int64),
        link_type=link_type,
        link_lag=link_lag.astype(np.float64),
        milestones=(activities // 2, activities - 1),
        events=events,
        groups=groups,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=1_000)
    parser.add_argument("--pert-share", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args(argv)

    network = synthetic_network(arguments.activities, arguments.pert_share, arguments.seed)
    timings = []
    result = None
    for _ in range(max(1, arguments.repeat)):
        began = time.perf_counter()
        result = simulate(network, iterations=arguments.iterations, seed=arguments.seed)
        timings.append(time.perf_counter() - began)
    assert result is not None
    print(
        f"# links={network.link_predecessor.size} pert_share={arguments.pert_share} "
        f"events={len(network.events)} groups={len(network.groups)} "
        f"runs={[round(t, 3) for t in timings]}"
    )
    print(
        f"# P10={result.project_finish_dates[0]} P50={result.project_finish_dates[4]} "
        f"P95={result.project_finish_dates[-1]} mean_finish_days="
        f"{result.mean_project_finish / DAY:.1f} top_tornado={list(result.tornado[:5])}"
    )
    print(
        f"RESULT iterations={arguments.iterations} activities={arguments.activities} "
        f"seconds={min(timings):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
