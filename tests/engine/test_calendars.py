"""Calendar arithmetic: exact values on the Standard calendar, derived calendars, recurrences."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.engine.cal_recurrence import LAST, Recurrence, RecurrenceKind
from twofold.engine.calendars import (
    CalendarException,
    CalendarRangeError,
    CalendarSpec,
    NoWorkingTimeError,
    TimeRange,
    add_working_minutes,
    compile_calendar,
    is_working_day,
    last_working_day_of_month,
    make_calendar,
    next_working_instant,
    previous_working_instant,
    working_minutes_between,
)
from twofold.engine.durations import Duration, DurationSettings, DurationUnit

STANDARD = compile_calendar(CalendarSpec())


def test_working_minutes_over_a_weekend() -> None:
    # Friday 16:00 -> Monday 09:00: one hour each side of the weekend.
    assert (
        working_minutes_between(STANDARD, datetime(2024, 1, 5, 16), datetime(2024, 1, 8, 9)) == 120
    )
    assert (
        working_minutes_between(STANDARD, datetime(2024, 1, 8, 9), datetime(2024, 1, 5, 16)) == -120
    )


def test_lunch_break_is_not_working_time() -> None:
    assert (
        working_minutes_between(STANDARD, datetime(2024, 1, 8, 11), datetime(2024, 1, 8, 14)) == 120
    )


def test_add_working_minutes_finishes_at_end_of_work() -> None:
    # A full day from Friday 08:00 ends Friday 17:00, not Monday 08:00.
    assert add_working_minutes(STANDARD, datetime(2024, 1, 5, 8), 480) == datetime(2024, 1, 5, 17)
    assert add_working_minutes(STANDARD, datetime(2024, 1, 5, 16), 120) == datetime(2024, 1, 8, 9)
    assert add_working_minutes(STANDARD, datetime(2024, 1, 8, 9), -120) == datetime(2024, 1, 5, 16)
    assert add_working_minutes(STANDARD, datetime(2024, 1, 6, 10), 0) == datetime(2024, 1, 6, 10)


def test_next_and_previous_working_instant() -> None:
    assert next_working_instant(STANDARD, datetime(2024, 1, 5, 17)) == datetime(2024, 1, 8, 8)
    assert next_working_instant(STANDARD, datetime(2024, 1, 8, 12, 30)) == datetime(2024, 1, 8, 13)
    assert next_working_instant(STANDARD, datetime(2024, 1, 8, 9)) == datetime(2024, 1, 8, 9)
    assert previous_working_instant(STANDARD, datetime(2024, 1, 8, 7)) == datetime(2024, 1, 5, 17)


def test_holidays_and_last_working_day() -> None:
    cal = compile_calendar(make_calendar(None, [(date(2024, 3, 29), date(2024, 4, 1))]))
    assert not is_working_day(cal, date(2024, 3, 29))
    assert is_working_day(cal, date(2024, 3, 28))
    assert last_working_day_of_month(cal, 2024, 3) == date(2024, 3, 28)
    assert add_working_minutes(cal, datetime(2024, 3, 28, 8), 960) == datetime(2024, 4, 2, 17)


def test_changed_working_time_exception() -> None:
    cal = compile_calendar(
        make_calendar(None, [(date(2024, 1, 6), date(2024, 1, 6), [("09:00", "12:00")])])
    )
    assert cal.day_intervals(date(2024, 1, 6)) == [
        (datetime(2024, 1, 6, 9), datetime(2024, 1, 6, 12))
    ]


def test_derived_calendar_inherits_base_holidays_and_overrides_days() -> None:
    base = make_calendar(None, [(date(2024, 12, 25), date(2024, 12, 25))], name="Base")
    night = make_calendar({5: [("08:00", "12:00")]}, base=base, name="Works Saturdays")
    cal = compile_calendar(night)
    assert is_working_day(cal, date(2024, 12, 21))  # a Saturday, own pattern
    assert is_working_day(cal, date(2024, 12, 23))  # Monday from the base
    assert not is_working_day(cal, date(2024, 12, 25))  # base holiday
    assert not is_working_day(cal, date(2024, 12, 22))  # Sunday from the base


def test_night_shift_across_midnight() -> None:
    cal = compile_calendar(make_calendar({0: [("22:00", "24:00")], 1: [("00:00", "06:00")]}))
    # 8 h from Monday 22:00 runs through midnight without a break.
    assert add_working_minutes(cal, datetime(2024, 1, 8, 22), 480) == datetime(2024, 1, 9, 6)


def test_empty_calendar_and_range_errors() -> None:
    with pytest.raises(NoWorkingTimeError):
        compile_calendar(make_calendar({}, name="Never"))
    with pytest.raises(CalendarRangeError):
        working_minutes_between(STANDARD, datetime(1900, 1, 1), datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="empty or reversed"):
        TimeRange(time(12), time(8))


def test_recurrences() -> None:
    second_tuesday = Recurrence(
        RecurrenceKind.MONTHLY_BY_WEEKDAY,
        date(2024, 1, 1),
        occurrences=3,
        weekdays=frozenset({1}),
        week_of_month=2,
    )
    assert second_tuesday.dates() == (date(2024, 1, 9), date(2024, 2, 13), date(2024, 3, 12))
    last_friday = Recurrence(
        RecurrenceKind.YEARLY_BY_WEEKDAY,
        date(2024, 1, 1),
        occurrences=2,
        month=5,
        weekdays=frozenset({4}),
        week_of_month=LAST,
    )
    assert last_friday.dates() == (date(2024, 5, 31), date(2025, 5, 30))
    every_other_week = Recurrence(
        RecurrenceKind.WEEKLY,
        date(2024, 1, 3),
        end=date(2024, 1, 31),
        period=2,
        weekdays=frozenset({0, 2}),
    )
    assert every_other_week.dates() == (
        date(2024, 1, 3),
        date(2024, 1, 15),
        date(2024, 1, 17),
        date(2024, 1, 29),
        date(2024, 1, 31),
    )
    cal = compile_calendar(
        CalendarSpec(
            exceptions=(
                CalendarException(date(2024, 1, 1), date(2024, 12, 31), recurrence=second_tuesday),
            )
        )
    )
    assert not is_working_day(cal, date(2024, 2, 13))
    assert is_working_day(cal, date(2024, 2, 20))


def test_durations_use_project_settings() -> None:
    six_hour_days = DurationSettings(minutes_per_day=360, minutes_per_week=1800)
    assert Duration(2, DurationUnit.DAYS).to_seconds(six_hour_days) == 2 * 360 * 60
    assert Duration(1, DurationUnit.WEEKS).to_seconds() == 2400 * 60
    assert Duration(1, DurationUnit.ELAPSED_DAYS).to_seconds() == 86400
    assert Duration(1, DurationUnit.MONTHS).to_seconds() == 20 * 480 * 60


instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1))


@settings(max_examples=200, deadline=None)
@given(instants, st.integers(min_value=1, max_value=500_000))
def test_adding_then_measuring_round_trips(start: datetime, minutes: int) -> None:
    finish = add_working_minutes(STANDARD, start, minutes)
    assert working_minutes_between(STANDARD, start, finish) == minutes
    # The finish is the earliest such instant: one second earlier is short of the amount.
    assert working_minutes_between(STANDARD, start, finish.replace(microsecond=0)) == minutes


def test_default_day_reads_a_day_left_to_the_base_from_the_base_chain() -> None:
    """Shared by the earned-value working days and the MSPDI elapsed-time share (each walked
    the base chain itself before)."""
    night = (TimeRange(time(22), time(0)),)
    base = CalendarSpec(name="Base", week=((), night, (), (), (), (), ()))
    middle = CalendarSpec(name="Middle", week=(None,) * 7, base=base)
    own = CalendarSpec(name="Own", week=(None, None, night, None, None, (), None), base=middle)
    assert [len(own.default_day(d)) for d in range(7)] == [0, 1, 1, 0, 0, 0, 0]
    assert own.default_day(1)[0].end_seconds == 24 * 3600
