"""Monte Carlo schedule risk."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.engine.risk import (
    CorrelationGroup,
    Distribution,
    RiskEvent,
    RiskInputError,
    RiskLinkType,
    RiskNetwork,
    WeeklyCalendar,
    deterministic_finishes,
    simulate,
)

MONDAY = datetime(2025, 1, 6, 9, 0)


def network(
    estimates: list[tuple[float, float, float]],
    links: list[tuple[int, int, RiskLinkType, float]],
    kind: Distribution = Distribution.TRIANGULAR,
    **extra: object,
) -> RiskNetwork:
    values = np.asarray(estimates, dtype=np.float64).reshape(-1, 3)
    return RiskNetwork(
        minimum=values[:, 0],
        most_likely=values[:, 1],
        maximum=values[:, 2],
        distribution=np.full(len(estimates), int(kind), dtype=np.int64),
        link_predecessor=np.asarray([link[0] for link in links], dtype=np.int64),
        link_successor=np.asarray([link[1] for link in links], dtype=np.int64),
        link_type=np.asarray([int(link[2]) for link in links], dtype=np.int64),
        link_lag=np.asarray([link[3] for link in links], dtype=np.float64),
        **extra,  # type: ignore[arg-type]
    )


def fixed(duration: float) -> tuple[float, float, float]:
    return (duration, duration, duration)


def test_zero_spread_equals_the_deterministic_schedule() -> None:
    # a(480) -FS+60-> b(240); a -SS+120-> c(960); b -FF+0-> d(600); c -SF+1000-> e(30)
    mixed = network(
        [fixed(480), fixed(240), fixed(960), fixed(600), fixed(30)],
        [
            (0, 1, RiskLinkType.FS, 60),
            (0, 2, RiskLinkType.SS, 120),
            (1, 3, RiskLinkType.FF, 0),
            (2, 4, RiskLinkType.SF, 1000),
        ],
        milestones=(1, 4),
    )
    # b: 540..780; c: 120..1080; d: finish >= 780 -> 180..780 (start 180); e: finish >= 1120
    expected = np.array([480.0, 780.0, 1080.0, 780.0, 1120.0])
    np.testing.assert_array_equal(deterministic_finishes(mixed), expected)
    result = simulate(mixed, iterations=500, seed=4, to_datetime=WeeklyCalendar(MONDAY))
    np.testing.assert_array_equal(result.project_finish, np.full(10, 1120.0))
    np.testing.assert_array_equal(result.milestone_finish, [[780.0] * 10, [1120.0] * 10])
    assert str(result.project_finish_dates[0]) == "2025-01-08T11:40"
    np.testing.assert_array_equal(result.criticality, [1.0, 0.0, 1.0, 0.0, 1.0])
    assert result.tornado == ()


def test_chain_of_triangular_tasks_matches_the_analytic_mean() -> None:
    rng = np.random.default_rng(7)
    estimates = []
    for _ in range(40):
        low = float(rng.uniform(100, 500))
        mode = low + float(rng.uniform(0, 300))
        estimates.append((low, mode, mode + float(rng.uniform(10, 900))))
    chain = network(estimates, [(i, i + 1, RiskLinkType.FS, 0.0) for i in range(39)])
    analytic = sum((a + b + c) / 3 for a, b, c in estimates)
    result = simulate(chain, iterations=20_000, seed=11)
    assert abs(result.mean_project_finish - analytic) / analytic < 0.01
    np.testing.assert_array_equal(result.criticality, np.ones(40))


def test_chain_of_pert_tasks_matches_the_analytic_mean() -> None:
    estimates = [(100.0, 150.0, 400.0), (50.0, 60.0, 70.0), (10.0, 10.0, 300.0)] * 5
    chain = network(
        estimates, [(i, i + 1, RiskLinkType.FS, 0.0) for i in range(14)], Distribution.PERT
    )
    analytic = sum((a + 4 * b + c) / 6 for a, b, c in estimates)
    result = simulate(chain, iterations=20_000, seed=2)
    assert abs(result.mean_project_finish - analytic) / analytic < 0.01


def test_single_task_percentiles_follow_the_triangular_quantiles() -> None:
    result = simulate(network([(0.0, 0.0, 100.0)], []), iterations=50_000, seed=5)
    # Quantile of triangular(0, 0, 100): 100 * (1 - sqrt(1 - p)).
    expected = [100 * (1 - np.sqrt(1 - p / 100)) for p in result.percentiles]
    np.testing.assert_allclose(result.project_finish, expected, atol=1.0)


def test_criticality_and_tornado_pick_the_longer_branch() -> None:
    # Start -> long risky branch (task 1) or short branch (task 2) -> end.
    diamond = network(
        [fixed(0), (900, 1000, 1500), (100, 200, 300), fixed(0)],
        [
            (0, 1, RiskLinkType.FS, 0),
            (0, 2, RiskLinkType.FS, 0),
            (1, 3, RiskLinkType.FS, 0),
            (2, 3, RiskLinkType.FS, 0),
        ],
    )
    result = simulate(diamond, iterations=5_000, seed=1)
    np.testing.assert_array_equal(result.criticality, [1.0, 1.0, 0.0, 1.0])
    assert result.tornado[0] == 1
    assert result.sensitivity[1] == pytest.approx(1.0, abs=0.01)
    assert abs(result.sensitivity[2]) < 0.05


def test_certain_risk_event_adds_its_delay() -> None:
    event = RiskEvent(1.0, (0,), (120.0,), "supplier late")
    base = network([fixed(480)], [], events=(event,))
    assert simulate(base, iterations=100, seed=0).mean_project_finish == 600.0
    rare = network([fixed(480)], [], events=(RiskEvent(0.25, (0,), (400.0,)),))
    mean = simulate(rare, iterations=40_000, seed=0).mean_project_finish
    assert mean == pytest.approx(480 + 0.25 * 400, rel=0.01)


def test_correlated_group_widens_the_spread_of_a_sum() -> None:
    estimates = [(100.0, 200.0, 300.0)] * 10
    links = [(i, i + 1, RiskLinkType.FS, 0.0) for i in range(9)]
    independent = simulate(network(estimates, links), iterations=20_000, seed=3)
    group = CorrelationGroup(tuple(range(10)), 0.8)
    correlated = simulate(network(estimates, links, groups=(group,)), iterations=20_000, seed=3)
    # Same means; the variance of a sum of 10 equicorrelated terms grows by (1 + 9 rho'),
    # rho' being the Pearson correlation the copula induces (about 0.79 here).
    assert correlated.mean_project_finish == pytest.approx(independent.mean_project_finish, 0.01)
    ratio = np.var(correlated.project_finish_samples) / np.var(independent.project_finish_samples)
    assert 6.5 < ratio < 9.0


def test_same_seed_same_result() -> None:
    chain = network([(1, 2, 9), (3, 4, 5)], [(0, 1, RiskLinkType.FS, 0)])
    first = simulate(chain, iterations=1000, seed=9)
    second = simulate(chain, iterations=1000, seed=9)
    np.testing.assert_array_equal(first.project_finish_samples, second.project_finish_samples)


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(RiskInputError, match="most likely"):
        simulate(network([(5, 4, 6)], []))
    with pytest.raises(RiskInputError, match="cycle"):
        simulate(
            network(
                [fixed(1), fixed(1)],
                [(0, 1, RiskLinkType.FS, 0), (1, 0, RiskLinkType.FS, 0)],
            )
        )
    with pytest.raises(RiskInputError, match="missing"):
        simulate(network([fixed(1)], [(0, 3, RiskLinkType.FS, 0)]))
    with pytest.raises(RiskInputError):
        simulate(network([fixed(1)], []), iterations=0)


def test_weekly_calendar_maps_working_minutes_to_dates() -> None:
    calendar = WeeklyCalendar(MONDAY)
    dates = calendar(np.array([0.0, 480.0, 481.0, 2400.0, 2401.0]))
    assert [str(date) for date in dates] == [
        "2025-01-06T09:00",
        "2025-01-06T17:00",
        "2025-01-07T09:01",
        "2025-01-10T17:00",
        "2025-01-13T09:01",
    ]
    with pytest.raises(ValueError, match="not working time"):
        WeeklyCalendar(datetime(2025, 1, 4, 10, 0))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)),
        min_size=1,
        max_size=8,
    ),
    st.data(),
)
def test_samples_never_beat_the_optimistic_schedule(
    raw: list[tuple[int, int, int]], data: st.DataObject
) -> None:
    estimates = [(float(a), float(a + b), float(a + b + c)) for a, b, c in raw]
    links = [
        (before, after, data.draw(st.sampled_from(list(RiskLinkType))), 0.0)
        for after in range(1, len(raw))
        for before in data.draw(st.sets(st.integers(0, after - 1), max_size=2))
    ]
    optimistic = network([fixed(a) for a, _, _ in estimates], links)
    pessimistic = network([fixed(c) for _, _, c in estimates], links)
    result = simulate(network(estimates, links), iterations=200, seed=1)
    low = deterministic_finishes(optimistic).max()
    high = deterministic_finishes(pessimistic).max()
    samples = result.project_finish_samples
    # Every task runs after period 0, so no finish beats the longest minimum duration.
    assert samples.min() >= max(a for a, _, _ in estimates) - 1e-9
    # With FS/SS links only, longer durations never finish earlier: the samples lie between the
    # all-minimum and all-maximum schedules. (An FF/SF successor that runs longer may start
    # earlier, so the bounds do not hold there.)
    if all(kind in (RiskLinkType.FS, RiskLinkType.SS) for _, _, kind, _ in links):
        assert samples.min() >= low - 1e-9
        assert samples.max() <= high + 1e-9
    assert np.all(result.criticality >= 0)
    # In every iteration some task ends the project with zero float.
    assert result.criticality.sum() >= 1.0 - 1e-12


# ----- progress, cancel and chunks


def _chain_with_event() -> RiskNetwork:
    return network(
        [(400.0, 480.0, 700.0), (900.0, 960.0, 1500.0), (200.0, 240.0, 300.0)],
        [(0, 1, RiskLinkType.FS, 0.0), (1, 2, RiskLinkType.FS, 0.0)],
        events=(RiskEvent(probability=0.3, tasks=(1,), delay_minutes=(480.0,)),),
        milestones=(2,),
    )


def test_progress_is_reported_per_chunk_and_stopping_keeps_the_iterations_done() -> None:
    seen: list[tuple[float, int]] = []

    def progress(fraction: float, done: int) -> bool:
        seen.append((fraction, done))
        return done < 4_000

    result = simulate(_chain_with_event(), iterations=10_000, chunk=2_000, progress=progress)
    assert seen == [(0.2, 2_000), (0.4, 4_000)]
    assert result.stopped_early and result.iterations == 4_000
    assert result.project_finish_samples.shape == (4_000,)
    assert result.milestone_finish.shape == (1, len(result.percentiles))


def test_one_chunk_with_progress_is_the_one_pass_result() -> None:
    net = _chain_with_event()
    plain = simulate(net, iterations=3_000, seed=7)
    watched = simulate(net, iterations=3_000, seed=7, progress=lambda f, n: True)
    assert not watched.stopped_early
    np.testing.assert_array_equal(plain.project_finish_samples, watched.project_finish_samples)
    np.testing.assert_array_equal(plain.sensitivity, watched.sensitivity)


def test_chunks_agree_with_one_pass_up_to_sampling_noise() -> None:
    net = _chain_with_event()
    whole = simulate(net, iterations=40_000, seed=3)
    chunked = simulate(net, iterations=40_000, seed=3, chunk=5_000)
    assert chunked.iterations == 40_000 and not chunked.stopped_early
    np.testing.assert_allclose(chunked.project_finish, whole.project_finish, rtol=0.01)
    np.testing.assert_allclose(chunked.criticality, whole.criticality, atol=0.01)
    np.testing.assert_allclose(chunked.sensitivity, whole.sensitivity, atol=0.03)
    assert chunked.tornado == whole.tornado
    again = simulate(net, iterations=40_000, seed=3, chunk=5_000)
    np.testing.assert_array_equal(again.project_finish_samples, chunked.project_finish_samples)


def test_a_chunk_must_hold_an_iteration() -> None:
    with pytest.raises(RiskInputError):
        simulate(_chain_with_event(), iterations=10, chunk=0)
