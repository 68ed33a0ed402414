"""The capacity model's engine: demand spread over days, what operations leave, earliest fit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.engine import capacity as cap
from twofold.engine.availability import AbsenceSpan, PatternPeriod, daily_availability
from twofold.engine.levelling import level
from twofold.engine.levelling_problem import Activity, LevellingProblem, Resource

MONDAY = dt.date(2025, 3, 3)  # a Monday


def test_a_hand_made_week_available_minus_operational_demand() -> None:
    # Given a 5 × 8 h person, off on Friday (holiday), a half day of training on Thursday,
    daily = daily_availability(
        PatternPeriod(MONDAY, (8, 8, 8, 8, 8, 0, 0)),
        [
            AbsenceSpan(
                MONDAY + dt.timedelta(days=3), MONDAY + dt.timedelta(days=3), "training", True
            )
        ],
        {MONDAY + dt.timedelta(days=4)},
        MONDAY,
        MONDAY + dt.timedelta(days=6),
    )
    available = daily.available[None, :]
    assert available.tolist() == [[8, 8, 8, 4, 0, 0, 0]]
    holidays = {MONDAY + dt.timedelta(days=4)}
    # a routine of 2 h due Wednesday, request work of 0.5 h a working day, 25 % on call,
    routines = cap.spread([cap.Load(0, 2, 2, 2.0)], 1, MONDAY, 7, holidays)
    requests = cap.spread([cap.Load(0, 0, 6, 0.5, daily=True)], 1, MONDAY, 7, holidays)
    reserved = cap.reserved_hours(np.full((1, 7), 0.25), available)
    operational = routines + requests + reserved
    # then the hours left for project work are, day by day:
    free = cap.free_hours(available, operational)
    assert free.tolist() == [[5.5, 5.5, 3.5, 2.5, 0.0, 0.0, 0.0]]
    assert cap.weekly(free).tolist() == [[17.0]]
    # and the weekly demand is each source's hours that week.
    assert cap.weekly(routines).tolist() == [[2.0]]
    assert cap.weekly(requests).tolist() == [[2.0]]  # four working days (Friday is a holiday)
    assert cap.weekly(reserved).tolist() == [[7.0]]  # 25 % of 28 h


def test_a_task_spreads_over_its_working_days_and_is_clipped_to_the_window() -> None:
    # 30 h from Wednesday to the next Tuesday: five working days, 6 h each.
    load = cap.Load(0, 2, 8, 30.0)
    hours = cap.spread([load], 1, MONDAY, 7, set())
    assert hours.tolist() == [[0, 0, 6, 6, 6, 0, 0]]
    # Seen from a window that starts the Monday after: only that part.
    later = cap.spread([cap.Load(0, 2 - 7, 8 - 7, 30.0)], 1, MONDAY + dt.timedelta(days=7), 7, ())
    assert later.tolist() == [[6, 6, 0, 0, 0, 0, 0]]


def test_a_load_without_a_working_day_lands_on_its_first_day() -> None:
    hours = cap.spread([cap.Load(0, 5, 5, 1.5)], 1, MONDAY, 7, set())  # a Saturday routine
    assert hours.tolist() == [[0, 0, 0, 0, 0, 1.5, 0]]


def test_reservations_take_a_share_of_available_hours_capped_at_all_of_them() -> None:
    available = np.array([[8.0, 4.0, 0.0]])
    assert cap.reserved_hours(np.array([[0.3, 0.3, 0.3]]), available).tolist() == [
        [pytest.approx(2.4), 1.2, 0.0]
    ]
    assert cap.reserved_hours(np.array([[1.5, 0, 0]]), available).tolist() == [[8.0, 0, 0]]
    with pytest.raises(cap.CapacityInputError):
        cap.reserved_hours(np.array([[-0.1, 0, 0]]), available)


def test_bad_loads_are_refused() -> None:
    with pytest.raises(cap.CapacityInputError):
        cap.Load(0, 3, 2, 1.0)
    with pytest.raises(cap.CapacityInputError):
        cap.Load(0, 1, 2, -1.0)
    with pytest.raises(cap.CapacityInputError):
        cap.spread([cap.Load(2, 0, 1, 1.0)], 1, MONDAY, 7, set())


def test_added_overload_counts_only_what_the_extra_work_adds() -> None:
    capacity = np.array([[40.0, 40.0, 40.0]])
    committed = np.array([[30.0, 45.0, 40.0]])
    extra = np.array([[20.0, 5.0, 0.0]])
    assert cap.added_overload(capacity, committed, extra).tolist() == [[10.0, 5.0, 0.0]]


def test_earliest_fit_slides_the_proposal_to_the_first_week_with_room() -> None:
    # Two teams, eight weeks; team 0 is full in weeks 0-2, team 1 in week 4.
    capacity = np.full((2, 8), 100.0)
    committed = np.zeros((2, 8))
    committed[0, 0:3] = 90.0
    committed[1, 4] = 100.0
    proposal = np.array([[20.0, 20.0], [0.0, 5.0]])
    fit = cap.earliest_fit(capacity, committed, proposal)
    # Start 3: team 0 weeks 3-4 have room; team 1 is asked 5 h in week 4, which is full → no.
    # Start 4: team 1 is asked in week 5 → fits.
    assert fit.offset == 4
    assert fit.overload[0].tolist() == [10.0, 10.0, 0, 0, 0, 0, 0, 0]
    none = cap.earliest_fit(np.full((1, 3), 10.0), np.zeros((1, 3)), np.array([[11.0]]))
    assert none.offset is None


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.lists(st.integers(0, 6), min_size=3, max_size=20),
    committed=st.lists(st.integers(0, 6), min_size=20, max_size=20),
    proposal=st.lists(st.integers(0, 6), min_size=1, max_size=3),
)
def test_where_earliest_fit_says_it_fits_nothing_goes_over(
    capacity: list[int], committed: list[int], proposal: list[int]
) -> None:
    horizon = len(capacity)
    if len(proposal) > horizon:
        return
    cap_a = np.asarray([capacity], dtype=float)
    com_a = np.asarray([committed[:horizon]], dtype=float)
    prop = np.asarray([proposal], dtype=float)
    fit = cap.earliest_fit(cap_a, com_a, prop)
    for shift in range(horizon - len(proposal) + 1):
        placed = np.zeros_like(cap_a)
        placed[:, shift : shift + len(proposal)] = prop
        adds = cap.added_overload(cap_a, com_a, placed).sum()
        if fit.offset is not None and shift == fit.offset:
            assert adds == 0
        if fit.offset is None or shift < fit.offset:
            assert adds > 0


@settings(max_examples=40, deadline=None)
@given(
    free=st.lists(st.integers(0, 32), min_size=5, max_size=15),
    tasks=st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 32), st.integers(0, 4)),
        min_size=1,
        max_size=6,
    ),
)
def test_levelling_never_plans_a_person_beyond_availability_minus_reservations(
    free: list[int], tasks: list[tuple[int, int, int]]
) -> None:
    """Capacity per day is what availability minus operational demand leaves (quarter hours,
    as ``capacity.levelling`` builds it); whatever levelling does, no day goes over it."""
    tail = max(max(free), max(t[1] for t in tasks))
    problem = LevellingProblem(
        activities=tuple(
            Activity(name=f"t{i}", duration=d, demands=(q,), release=r)
            for i, (d, q, r) in enumerate(tasks)
        ),
        resources=(Resource(name="Jonas Berg", capacity=(*free, tail)),),
    )
    result = level(problem, method="heuristic", time_limit_s=0.2, seed=0)
    horizon = max(s + d for s, (d, _, _) in zip(result.starts, tasks, strict=True))
    for day in range(horizon):
        used = sum(q for s, (d, q, _) in zip(result.starts, tasks, strict=True) if s <= day < s + d)
        allowed = free[day] if day < len(free) else tail
        assert used <= allowed
    # Two tasks share a day when the hours allow.
    two = LevellingProblem(
        activities=(Activity("a", 2, (16,)), Activity("b", 2, (16,))),
        resources=(Resource("Jonas Berg", (32, 32, 32)),),
    )
    assert level(two, method="heuristic", time_limit_s=0.2, seed=0).starts == (0, 0)
