"""The compiled SGS agrees with the one-at-a-time SGS; justification and the GA stay feasible."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twofold.engine.levelling import (
    Activity,
    InfeasibleProblemError,
    LevellingFailedError,
    LevellingProblem,
    Link,
    LinkType,
    Resource,
    check_feasible,
    level,
)
from twofold.engine.levelling_kernel import (
    INFEASIBLE,
    GeneticSearch,
    KernelNetwork,
    LocalSearch,
    horizon_bound,
    justify,
    mirrorable,
    warm_up,
)
from twofold.engine.levelling_network import compile_network
from twofold.engine.levelling_sgs import justify as python_justify
from twofold.engine.levelling_sgs import makespan, priority_order, serial_sgs


@st.composite
def plain_problems(draw: st.DrawFn) -> LevellingProblem:
    """Problems without deadlines, fixed starts or per-period capacity."""
    size = draw(st.integers(1, 10))
    capacities = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    activities = tuple(
        Activity(
            f"t{index}",
            draw(st.integers(0, 6)),
            tuple(draw(st.integers(0, value)) for value in capacities),
            release=draw(st.integers(0, 3)),
        )
        for index in range(size)
    )
    links = [
        Link(before, after, draw(st.sampled_from(list(LinkType))), draw(st.integers(-2, 3)))
        for after in range(1, size)
        for before in draw(st.sets(st.integers(0, after - 1), max_size=2))
    ]
    resources = tuple(Resource(f"r{index}", value) for index, value in enumerate(capacities))
    return LevellingProblem(activities, resources, tuple(links))


def _horizon(problem: LevellingProblem) -> int:
    network = compile_network(problem)
    positive = sum(max(0, delta) for _, _, delta in problem.start_deltas())
    return max(network.lower, default=0) + sum(network.durations) + positive + 1


def _variants(network: Any, horizon: int) -> tuple[KernelNetwork, KernelNetwork]:
    """The network's kernel as it is built (few resources: the dense variant) and forced into
    the sparse variant the large plans use; both must decode every key row alike."""
    from twofold.engine import levelling_kernel

    built = KernelNetwork(network, horizon)
    with mock.patch.object(levelling_kernel, "_DENSE_UP_TO", 0):
        sparse = KernelNetwork(network, horizon)
    assert not sparse.dense and built.dense == bool(len(network.tails))
    return built, sparse


def _same_in_both(network: Any, horizon: int, keys: Any, rounds: int) -> tuple[Any, Any]:
    built, sparse = _variants(network, horizon)
    starts, spans = built.decode(keys, rounds=rounds)
    other_starts, other_spans = sparse.decode(keys, rounds=rounds)
    assert (starts == other_starts).all() and (spans == other_spans).all()
    return starts, spans


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_problems(), st.integers(0, 1000))
def test_compiled_decoding_equals_the_serial_sgs(problem: LevellingProblem, seed: int) -> None:
    network = compile_network(problem)
    keys = np.random.default_rng(seed).random((6, network.size))
    starts, spans = _same_in_both(network, _horizon(problem), keys, rounds=0)
    _same_in_both(network, _horizon(problem), keys, rounds=4)
    assert (spans == [makespan(network, row) for row in starts.tolist()]).all()
    for row in range(keys.shape[0]):
        expected = serial_sgs(network, priority_order(network, list(keys[row])))
        assert expected is not None
        assert starts[row].tolist() == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_problems(), st.integers(0, 1000))
def test_justification_keeps_schedules_feasible(problem: LevellingProblem, seed: int) -> None:
    network = compile_network(problem)
    kernel = KernelNetwork(network, _horizon(problem))
    starts, _ = kernel.decode(np.random.default_rng(seed).random((4, network.size)))
    for row in starts.tolist():
        justified = justify(network, row, _horizon(problem))
        assert check_feasible(problem, justified) == []
        assert makespan(network, justified) <= makespan(network, row)
        reference = python_justify(network, row)
        if not any(activity.release for activity in problem.activities):
            # The one-at-a-time justification gives the same schedule. With release dates the
            # two may differ and both be right: in the mirror a release is a latest finish, and
            # the Python SGS places activities whose window is one period wide first, while the
            # kernel's mirror pass orders by key alone (hypothesis found t2 (2 periods, release
            # 1) on a 3-period span); the forward pass then restores every release either way.
            assert justified == reference


def test_genetic_search_never_returns_worse_than_its_seed() -> None:
    # Six tasks, each needing the whole crew of 3 or part of it; a chain in the middle.
    demands = [3, 1, 2, 2, 1, 3]
    durations = [2, 4, 3, 3, 4, 1]
    problem = LevellingProblem(
        tuple(Activity(f"t{i}", durations[i], (demands[i],)) for i in range(len(demands))),
        (Resource("crew", 3),),
        (Link(1, 2), Link(2, 5)),
    )
    network = compile_network(problem)
    seed_schedule = serial_sgs(network, list(range(network.size)))
    assert seed_schedule is not None
    search = GeneticSearch(network, [seed_schedule], seed=2)
    for _ in range(20):
        search.step()
    best = search.best
    assert best is not None and search.schedules >= 20 * 48
    assert check_feasible(problem, best) == []
    assert makespan(network, best) <= makespan(network, seed_schedule)
    # Work bound: 6 + 4 + 6 + 6 + 4 + 3 = 29 crew-periods over 3 -> at least 10 periods.
    assert makespan(network, best) >= 10


def test_only_a_network_that_reads_the_same_backwards_is_mirrored() -> None:
    tasks = (Activity("a", 2, (1,)), Activity("b", 3, (1,)), Activity("c", 1, (1,)))
    links = (Link(0, 1), Link(1, 2, LinkType.START_TO_START, 1))
    crew = (Resource("crew", 1),)

    def network(*activities: Activity, resources: tuple[Resource, ...] = crew) -> Any:
        return compile_network(LevellingProblem(activities, resources, links))

    assert mirrorable(network(*tasks))
    # A release the links already imply (b starts at 2 at the earliest) changes nothing.
    assert mirrorable(network(tasks[0], replace(tasks[1], release=2), tasks[2]))
    # A later release, a deadline, a fixed start or a calendar has no mirror image.
    assert not mirrorable(network(tasks[0], replace(tasks[1], release=3), tasks[2]))
    assert not mirrorable(network(tasks[0], tasks[1], replace(tasks[2], deadline=30)))
    assert not mirrorable(network(replace(tasks[0], fixed_start=0), tasks[1], tasks[2]))
    assert not mirrorable(network(*tasks, resources=(Resource("crew", (1, 1, 0, 1)),)))


def test_genetic_search_alternates_direction_and_keeps_its_best_in_forward_time() -> None:
    # Three chains of five with start-to-start and finish-to-finish ties between them on one
    # crew of 3: a schedule of the reversed network read as a forward one breaks the chains.
    size = 15
    links = [Link(i, i + 3) for i in range(size - 3)]
    links += [Link(1, 5, LinkType.START_TO_START, 2), Link(6, 11, LinkType.FINISH_TO_FINISH, 1)]
    problem = LevellingProblem(
        tuple(Activity(f"t{i}", 1 + i % 4, (1 + (i * 7) % 3,)) for i in range(size)),
        (Resource("crew", 3),),
        tuple(links),
    )
    network = compile_network(problem)
    search = GeneticSearch(network, [], seed=4, population=24, restart_after=1)
    assert len(search.kernels) == 2
    directions, taken_backwards = set(), 0
    for _ in range(40):
        before = search.best
        search.step()
        directions.add(search.direction)
        assert search.best is not None and check_feasible(problem, search.best) == []
        assert makespan(network, search.best) == search.best_makespan
        taken_backwards += search.direction == 1 and search.best != before
    assert directions == {0, 1} and taken_backwards > 0
    # A schedule found elsewhere (CP-SAT) is flipped into the reversed run's time and back.
    for _ in range(50):
        if search.direction == 1:
            break
        search.step()
    other = GeneticSearch(network, [], seed=9, population=24, alternate=False)
    other.step(3)
    assert search.direction == 1 and other.best is not None
    worst = int(np.argmax(search.spans))
    search.inject(other.best)
    assert search.starts[worst].tolist() != other.best
    assert search._flip(search.starts[worst]).tolist() == other.best
    assert search.spans[worst] == other.best_makespan
    # Without the mirror, or for a network that has none, it only ever runs forwards.
    forward = GeneticSearch(network, [], seed=4, population=24, restart_after=1, alternate=False)
    forward.step(10)
    assert len(forward.kernels) == 1 and forward.direction == 0
    late = replace(
        problem, activities=(replace(problem.activities[0], release=5), *problem.activities[1:])
    )
    assert not mirrorable(compile_network(late))
    unmirrored = GeneticSearch(compile_network(late), [], seed=4, population=24, restart_after=1)
    unmirrored.step(10)
    assert len(unmirrored.kernels) == 1 and unmirrored.direction == 0
    assert check_feasible(late, unmirrored.best or []) == []


def test_of_two_schedules_of_one_length_the_more_compact_ranks_first() -> None:
    problem = LevellingProblem((Activity("long", 4, ()), Activity("short", 1, ())))
    network = compile_network(problem)
    search = GeneticSearch(network, [], seed=0, population=4)
    starts = np.asarray([[0, 0], [0, 3], [0, 4]], dtype=np.int64)
    spans = np.asarray([4, 4, 5], dtype=np.int64)
    # The makespan, then the mean finish over (makespan + 1): (4 + 1) / 2 / 5 = 0.5, then 0.8.
    assert search._fitness(starts, spans).tolist() == pytest.approx(
        [4 + 0.5 * 0.999, 4 + 0.8 * 0.999, 5 + 4.5 / 6 * 0.999]
    )
    plain = GeneticSearch(network, [], seed=0, population=4, compact_ties=False)
    assert plain._fitness(starts, spans).tolist() == [4.0, 4.0, 5.0]


def test_decoding_split_between_threads_gives_the_same_schedules() -> None:
    # 40 activities in 4 chains on 2 resources: each row is decoded and justified on its own,
    # so splitting the rows between threads changes nothing.
    size = 40
    problem = LevellingProblem(
        tuple(Activity(f"t{i}", 1 + i % 5, (1 + i % 3, 2 - i % 2)) for i in range(size)),
        (Resource("crew", 3), Resource("rig", 2)),
        tuple(Link(i, i + 4) for i in range(size - 4)),
    )
    network = compile_network(problem)
    kernel = KernelNetwork(network, horizon_bound(network))
    keys = np.random.default_rng(7).random((64, size))
    alone, alone_spans = kernel.decode(keys, rounds=4)
    split, split_spans = kernel.decode(keys, rounds=4, workers=3)
    assert (split == alone).all() and (split_spans == alone_spans).all()
    for row in split.tolist():
        assert check_feasible(problem, row) == []
    # The genetic search's result does not depend on how its decoding is split.
    first = GeneticSearch(network, [], seed=5, population=48)
    second = GeneticSearch(network, [], seed=5, population=48, workers=2)
    first.step(5)
    second.step(5)
    assert first.best == second.best and first.best_makespan == second.best_makespan


def test_local_search_improves_a_poor_schedule_and_never_worsens_it() -> None:
    # 12 tasks on one crew of 3, three chains of four; the index order stacks the two
    # crew-hungry tasks of each chain behind one another.
    size = 12
    problem = LevellingProblem(
        tuple(Activity(f"t{i}", 2 + i % 3, (1 + (i // 3) % 3,)) for i in range(size)),
        (Resource("crew", 3),),
        tuple(Link(i, i + 3) for i in range(size - 3)),
    )
    network = compile_network(problem)
    poor = serial_sgs(network, list(range(size)))
    assert poor is not None
    kernel = KernelNetwork(network, makespan(network, poor) + 5)
    walk = LocalSearch(kernel, poor, seed=3, offspring=8)
    assert walk.sigma == 5.5 * (sum(network.durations) / size)  # in mean durations
    current = []
    for _ in range(60):
        walk.step()
        current.append(walk.makespan)  # the schedule it stands on, not only the best
        assert check_feasible(problem, walk.starts.tolist()) == []
        assert walk.makespan == makespan(network, walk.starts.tolist())
    assert current == sorted(current, reverse=True)  # never moves to a longer schedule
    assert walk.best_makespan == walk.makespan < makespan(network, poor) == 25
    assert check_feasible(problem, walk.best) == []
    assert walk.schedules == 60 * 8 * 3
    # Work bound: 63 crew-periods over 3 -> at least 21 periods.
    assert walk.best_makespan >= 21
    # A shorter schedule found elsewhere is adopted; a longer or equal one is not.
    again = LocalSearch(kernel, poor, seed=4, offspring=8)
    again.adopt(walk.best)
    assert again.makespan == again.best_makespan == walk.best_makespan
    assert again.starts.tolist() == again.best == walk.best
    again.adopt(poor)
    assert again.makespan == walk.best_makespan and again.best == walk.best


def test_local_search_walks_a_plateau_of_equal_makespan() -> None:
    # Eight independent unit tasks on a crew of one: every order takes 8 periods, so only a
    # walk that accepts equal neighbours leaves the first order.
    problem = LevellingProblem(
        tuple(Activity(f"t{i}", 1, (1,)) for i in range(8)), (Resource("crew", 1),), ()
    )
    network = compile_network(problem)
    first = serial_sgs(network, list(range(8)))
    assert first == list(range(8))
    walk = LocalSearch(KernelNetwork(network, 9), first, seed=1, offspring=4)
    for _ in range(20):
        walk.step()
    assert walk.makespan == walk.best_makespan == 8
    assert sorted(walk.starts.tolist()) == list(range(8))
    assert walk.starts.tolist() != first
    # Another schedule of the same length found elsewhere is not adopted.
    walk.adopt(list(range(8))[::-1])
    assert walk.makespan == 8 and walk.starts.tolist() != list(range(8))[::-1]


def test_level_hands_the_end_of_the_genetic_search_to_the_local_search() -> None:
    # 60 activities (from ``_SPLIT_FROM``, 50): the walk runs unless ``local_share`` is 0.
    size = 60
    problem = LevellingProblem(
        tuple(Activity(f"t{i}", 1 + i % 4, (1 + i % 3, 2 - i % 2)) for i in range(size)),
        (Resource("crew", 3), Resource("rig", 2)),
        tuple(Link(i, i + 6) for i in range(size - 6)),
    )
    warm_up()  # the kernel loaded first: its first load alone can take the 0.6 s below
    steps = LocalSearch.step
    for share, walked in ((None, True), (0.0, False)):
        with mock.patch.object(LocalSearch, "step", autospec=True, side_effect=steps) as spy:
            result = level(
                problem, method="optimise", time_limit_s=0.6, local_share=share, probe_share=0.0
            )
        assert check_feasible(problem, result.starts) == []
        # Without the CP-SAT probe the bound stays the energy bound, 105, below any schedule
        # (CP-SAT can prove 120 optimal): no early proof ends the search before the walk.
        assert not result.proven_optimal
        assert (spy.call_count > 0) is walked


@st.composite
def constrained_problems(draw: st.DrawFn) -> LevellingProblem:
    """Problems with deadlines, fixed starts, per-period capacities and priorities too."""
    size = draw(st.integers(1, 9))
    tails = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    capacities: list[int | tuple[int, ...]] = [
        draw(
            st.one_of(
                st.just(tail),
                st.lists(st.integers(0, tail), min_size=1, max_size=10).map(
                    lambda row, tail=tail: (*row, tail)
                ),
            )
        )
        for tail in tails
    ]
    activities = []
    for index in range(size):
        duration = draw(st.integers(0, 5))
        activities.append(
            Activity(
                f"t{index}",
                duration,
                tuple(draw(st.integers(0, tail)) for tail in tails),
                priority=draw(st.integers(0, 2)),
                release=draw(st.integers(0, 3)),
                deadline=draw(st.none() | st.integers(duration, duration + 25)),
                fixed_start=draw(st.none() | st.integers(0, 8)),
            )
        )
    links = [
        Link(before, after, draw(st.sampled_from(list(LinkType))), draw(st.integers(-2, 3)))
        for after in range(1, size)
        for before in draw(st.sets(st.integers(0, after - 1), max_size=2))
    ]
    resources = tuple(Resource(f"r{index}", value) for index, value in enumerate(capacities))
    return LevellingProblem(tuple(activities), resources, tuple(links))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(constrained_problems(), st.integers(0, 1000))
def test_compiled_decoding_keeps_deadlines_fixed_starts_and_calendars(
    problem: LevellingProblem, seed: int
) -> None:
    # The compiled SGS places the same activities at the same periods as the one-at-a-time SGS,
    # fails exactly when it fails (a latest start it cannot keep), and its justified schedules
    # never exceed a capacity or break a link, a release, a deadline or a fixed start.
    try:
        network = compile_network(problem)
    except InfeasibleProblemError:
        return
    keys = np.random.default_rng(seed).random((4, network.size))
    starts, spans = _same_in_both(network, horizon_bound(network), keys, rounds=0)
    justified, justified_spans = _same_in_both(network, horizon_bound(network), keys, rounds=4)
    for row in range(keys.shape[0]):
        expected = serial_sgs(network, priority_order(network, list(keys[row])))
        if expected is None:
            assert spans[row] == INFEASIBLE
            continue
        assert starts[row].tolist() == expected
        assert justified_spans[row] <= spans[row]
        assert check_feasible(problem, justified[row].tolist()) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(constrained_problems(), st.integers(0, 5))
def test_a_levelled_schedule_never_exceeds_capacity_nor_breaks_a_link(
    problem: LevellingProblem, seed: int
) -> None:
    try:
        result = level(problem, seed=seed, time_limit_s=0.5, schedule_budget=16)
    except (InfeasibleProblemError, LevellingFailedError):
        return
    assert check_feasible(problem, result.starts) == []
    assert result.makespan >= result.lower_bound
