"""Routine recurrence: RRULEs across month ends and DST, shifted to working days."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.operations.recurrence import Shift, due_dates, due_instants, parse_rule


def weekday(day: dt.date) -> bool:
    return day.weekday() < 5


def test_weekly_on_two_days():
    days = due_dates(
        "FREQ=WEEKLY;BYDAY=MO,WE", dt.date(2025, 1, 1), dt.date(2025, 1, 1), dt.date(2025, 1, 15)
    )
    assert days == [
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 6),
        dt.date(2025, 1, 8),
        dt.date(2025, 1, 13),
        dt.date(2025, 1, 15),
    ]


def test_last_day_of_month_across_month_ends_and_leap_year():
    days = due_dates(
        "FREQ=MONTHLY;BYMONTHDAY=-1", dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 4, 30)
    )
    assert days == [
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 31),
        dt.date(2024, 4, 30),
    ]


def test_last_working_day_shifts_back_from_the_weekend():
    # 31 Aug 2025 is a Sunday, 31 May 2025 a Saturday.
    days = due_dates(
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        dt.date(2025, 5, 1),
        dt.date(2025, 5, 1),
        dt.date(2025, 8, 31),
        shift=Shift.PREVIOUS,
        is_working_day=weekday,
    )
    assert days == [
        dt.date(2025, 5, 30),
        dt.date(2025, 6, 30),
        dt.date(2025, 7, 31),
        dt.date(2025, 8, 29),
    ]


def test_shift_next_across_a_month_end():
    days = due_dates(
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        dt.date(2025, 5, 1),
        dt.date(2025, 6, 1),
        dt.date(2025, 6, 10),
        shift=Shift.NEXT,
        is_working_day=weekday,
    )
    assert days == [dt.date(2025, 6, 2)]  # Sat 31 May moves into June


def test_due_time_stays_local_across_dst():
    instants = due_instants(
        "FREQ=WEEKLY;BYDAY=MO",
        dt.date(2025, 3, 1),
        dt.time(9, 0),
        dt.date(2025, 3, 24),
        dt.date(2025, 3, 31),
        "Europe/London",
    )
    assert [i.astimezone(dt.UTC).hour for i in instants] == [9, 8]  # GMT, then BST
    assert [i.hour for i in instants] == [9, 9]


def test_bad_rules_are_explained():
    with pytest.raises(ValueError, match="needs a FREQ"):
        parse_rule("BYDAY=MO", dt.date(2025, 1, 1))
    with pytest.raises(ValueError, match="Not a valid recurrence rule"):
        parse_rule("FREQ=SOMETIMES", dt.date(2025, 1, 1))
    with pytest.raises(ValueError, match="only the RRULE"):
        parse_rule("DTSTART:20250101\nRRULE:FREQ=DAILY", dt.date(2025, 1, 1))


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0 is not allowed: use 1 to 31, or -1 to -31"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,0", "BYMONTHDAY=0 is not allowed"),
        ("FREQ=MONTHLY;BYMONTHDAY=-32", "BYMONTHDAY=-32 is not allowed"),
        ("FREQ=YEARLY;BYYEARDAY=0", "BYYEARDAY=0 is not allowed: use 1 to 366"),
        ("FREQ=YEARLY;BYWEEKNO=0", "BYWEEKNO=0 is not allowed"),
    ],
)
def test_a_zero_by_value_is_refused_not_run_daily(rule, message):
    """BYMONTHDAY=0 (forbidden by RFC 5545) was taken and the "monthly" rule ran daily until
    2026-12-05."""
    with pytest.raises(ValueError, match=message):
        parse_rule(rule, dt.date(2026, 12, 1))
    assert due_dates(
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 31),
    ) == [dt.date(2026, 12, 31), dt.date(2027, 1, 31)]


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=DAILY", "Daily"),
        ("RRULE:FREQ=DAILY;INTERVAL=3", "Every 3 days"),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday"),
        ("FREQ=WEEKLY;BYDAY=TH,MO", "Every Monday and Thursday"),
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "Every Monday, Wednesday and Friday"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "Every 2 weeks on Friday"),
        ("FREQ=WEEKLY", "Weekly"),
        ("FREQ=MONTHLY;BYDAY=1MO", "Monthly on the first Monday"),
        ("FREQ=MONTHLY;BYDAY=+2TU", "Monthly on the second Tuesday"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "Monthly on the last Friday"),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "Monthly on the last weekday"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "Monthly on the 15th"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,22", "Monthly on the 1st and the 22nd"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "Monthly on the last day"),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1", "Every 3 months on the 1st"),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=31", "Yearly on the 31st of March"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=4", "Every Monday, 4 times"),
        ("FREQ=DAILY;UNTIL=20251231", "Daily, until 31 December 2025"),
        ("FREQ=DAILY;BYMONTH=6,7", "Daily, in June and July"),
        ("FREQ=YEARLY;BYWEEKNO=20", "On a custom schedule"),
        ("FREQ=HOURLY", "On a custom schedule"),
        ("not a rule", "On a custom schedule"),
        ("", "On a custom schedule"),
    ],
)
def test_describe_says_the_rule_in_words(rule, words):
    from twofold.operations.recurrence import describe

    assert describe(rule) == words
