"""Availability: pattern minus holidays minus absences, exact days and invariants."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.engine.availability import (
    STANDARD_WEEK,
    AbsenceSpan,
    AvailabilityInputError,
    PatternPeriod,
    daily_availability,
    pattern_hours,
    weekly_totals,
)

MONDAY = dt.date(2025, 3, 3)
FOUR_DAYS = (8.0, 8.0, 8.0, 8.0, 0.0, 0.0, 0.0)


def day(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


def test_standard_week_when_no_pattern_is_set() -> None:
    hours = pattern_hours([], MONDAY, day(13))
    assert hours.tolist() == list(STANDARD_WEEK) * 2


def test_pattern_starts_on_any_weekday() -> None:
    hours = pattern_hours(PatternPeriod(MONDAY, FOUR_DAYS), day(3), day(8))
    # Thursday, Friday, Saturday, Sunday, Monday, Tuesday
    assert hours.tolist() == [8.0, 0.0, 0.0, 0.0, 8.0, 8.0]


def test_a_later_pattern_takes_over_on_its_date_and_the_first_holds_before() -> None:
    part_time = PatternPeriod(day(7), (6.0, 6.0, 6.0, 6.0, 6.0, 0.0, 0.0))
    full = PatternPeriod(day(2), STANDARD_WEEK)
    hours = pattern_hours([part_time, full], MONDAY, day(13))
    assert hours.tolist() == [8, 8, 8, 8, 8, 0, 0, 6, 6, 6, 6, 6, 0, 0]


def test_two_day_holiday_of_a_forty_hour_person_leaves_twenty_four() -> None:
    absence = AbsenceSpan(day(1), day(2), kind="holiday")
    result = daily_availability([], [absence], set(), MONDAY, day(6))
    assert result.available.tolist() == [8, 0, 0, 8, 8, 0, 0]
    assert weekly_totals(result.available, MONDAY).tolist() == [24.0]
    assert result.absence.sum() == 16.0
    assert result.absence_days["holiday"].sum() == 2.0


def test_half_day_takes_half_of_that_days_pattern() -> None:
    pattern = PatternPeriod(MONDAY, (8.0, 6.0, 8.0, 8.0, 8.0, 0.0, 0.0))
    half = AbsenceSpan(day(1), day(1), kind="sickness", half_day=True)
    result = daily_availability(pattern, [half], set(), MONDAY, day(6))
    assert result.available.tolist() == [8, 3, 8, 8, 8, 0, 0]
    assert result.absence_days["sickness"].tolist() == [0, 0.5, 0, 0, 0, 0, 0]


def test_holiday_takes_the_day_and_an_absence_over_it_takes_nothing_more() -> None:
    holidays = {day(0)}
    leave = AbsenceSpan(MONDAY, day(6), kind="holiday")
    result = daily_availability(PatternPeriod(MONDAY, FOUR_DAYS), [leave], holidays, MONDAY, day(6))
    assert result.holiday.tolist() == [8, 0, 0, 0, 0, 0, 0]
    assert result.absence.tolist() == [0, 8, 8, 8, 0, 0, 0]
    assert result.available.sum() == 0.0
    # Only the three working days that were not a holiday count as days of leave.
    assert result.absence_days["holiday"].sum() == 3.0


def test_overlapping_absences_do_not_add_up() -> None:
    a = AbsenceSpan(MONDAY, day(2), kind="holiday")
    b = AbsenceSpan(day(2), day(2), kind="training", half_day=True)
    result = daily_availability([], [a, b], set(), MONDAY, day(4))
    assert result.available.tolist() == [0, 0, 0, 8, 8]


def test_absences_and_holidays_outside_the_range_are_ignored() -> None:
    before = AbsenceSpan(day(-10), day(-1))
    after = AbsenceSpan(day(7), day(20))
    result = daily_availability([], [before, after], {day(-3), day(9)}, MONDAY, day(6))
    assert result.available.tolist() == list(STANDARD_WEEK)
    assert result.on(day(4)) == 8.0


def test_bad_inputs_say_what_is_wrong() -> None:
    with pytest.raises(AvailabilityInputError, match="end before it starts"):
        AbsenceSpan(day(2), day(1))
    with pytest.raises(AvailabilityInputError, match="half day is a single day"):
        AbsenceSpan(day(1), day(2), half_day=True)
    with pytest.raises(AvailabilityInputError, match="between 0 and 24"):
        PatternPeriod(MONDAY, (25.0, 0, 0, 0, 0, 0, 0))
    with pytest.raises(AvailabilityInputError, match="7 days"):
        PatternPeriod(MONDAY, (8.0,) * 5)
    with pytest.raises(AvailabilityInputError, match="range ends before"):
        daily_availability([], [], set(), day(2), day(1))
    with pytest.raises(AvailabilityInputError, match="Monday"):
        weekly_totals(np.zeros(7), day(1))


def test_weekly_totals_pad_a_short_last_week() -> None:
    assert weekly_totals(np.ones(9), MONDAY).tolist() == [7.0, 2.0]


# --- invariants ------------------------------------------------------------------------------

hours_st = st.lists(
    st.sampled_from([0.0, 2.5, 4.0, 6.0, 7.5, 8.0, 12.0, 24.0]), min_size=7, max_size=7
).map(tuple)
offset_st = st.integers(min_value=-10, max_value=40)


@st.composite
def absences_st(draw: st.DrawFn) -> list[AbsenceSpan]:
    out = []
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        a = draw(offset_st)
        half = draw(st.booleans())
        length = 0 if half else draw(st.integers(min_value=0, max_value=10))
        kind = draw(st.sampled_from(["holiday", "sickness", "training"]))
        out.append(AbsenceSpan(day(a), day(a + length), kind=kind, half_day=half))
    return out


@settings(max_examples=150, deadline=None)
@given(
    hours=hours_st,
    absences=absences_st(),
    holidays=st.sets(offset_st.map(day), max_size=6),
    first=st.integers(min_value=0, max_value=10),
    length=st.integers(min_value=0, max_value=30),
)
def test_available_is_between_zero_and_the_pattern(
    hours: tuple[float, ...],
    absences: list[AbsenceSpan],
    holidays: set[dt.date],
    first: int,
    length: int,
) -> None:
    result = daily_availability(
        PatternPeriod(MONDAY, hours), absences, holidays, day(first), day(first + length)
    )
    assert (result.available >= 0).all()
    assert (result.available <= result.pattern).all()
    assert np.allclose(result.pattern - result.holiday - result.absence, result.available)
    for shares in result.absence_days.values():
        assert ((shares == 0) | (shares == 0.5) | (shares == 1)).all()


@settings(max_examples=150, deadline=None)
@given(
    hours=hours_st,
    start=st.integers(min_value=0, max_value=20),
    length=st.integers(min_value=0, max_value=8),
    half=st.booleans(),
)
def test_one_absence_removes_exactly_its_hours_and_a_half_day_half(
    hours: tuple[float, ...], start: int, length: int, half: bool
) -> None:
    pattern = PatternPeriod(MONDAY, hours)
    span = AbsenceSpan(day(start), day(start + (0 if half else length)), half_day=half)
    without = daily_availability(pattern, [], set(), MONDAY, day(34))
    with_it = daily_availability(pattern, [span], set(), MONDAY, day(34))
    covered = pattern_hours(pattern, span.start, span.end)
    expected = covered.sum() * (0.5 if half else 1.0)
    assert without.available.sum() - with_it.available.sum() == pytest.approx(expected)
    inside = slice(start, start + len(covered))
    assert np.allclose(with_it.available[inside], covered * (0.5 if half else 0.0))
    outside = np.ones(35, dtype=bool)
    outside[inside] = False
    assert np.array_equal(with_it.available[outside], without.available[outside])
