"""SLA clocks in business time: nights, weekends, holidays and pauses (naive local times)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from twofold.engine.calendars import compile_calendar, make_calendar
from twofold.engine.sla import (
    SlaState,
    pauses_from_changes,
    sla_clock,
    working_minutes_excluding,
)

# Mon-Fri 09:00-17:00; Monday 5 May 2025 is a holiday.
CAL = compile_calendar(
    make_calendar(
        {d: [("09:00", "17:00")] for d in range(5)}, [(date(2025, 5, 5), date(2025, 5, 5))]
    )
)


def test_overnight_counts_only_working_hours():
    # Tue 16:00 -> Wed 10:00: 60 + 60 minutes.
    assert working_minutes_excluding(CAL, datetime(2025, 5, 6, 16), datetime(2025, 5, 7, 10)) == 120


def test_weekend_and_holiday_are_skipped():
    # Fri 2 May 16:00 -> Tue 6 May 10:00: Sat, Sun and the Monday holiday do not count.
    assert working_minutes_excluding(CAL, datetime(2025, 5, 2, 16), datetime(2025, 5, 6, 10)) == 120


def test_pause_excludes_its_working_time_and_overlaps_merge():
    start, end = datetime(2025, 5, 6, 9), datetime(2025, 5, 6, 17)
    pauses = [
        (datetime(2025, 5, 6, 10), datetime(2025, 5, 6, 12)),
        (datetime(2025, 5, 6, 11), datetime(2025, 5, 6, 13)),
    ]
    assert working_minutes_excluding(CAL, start, end, pauses) == 480 - 180


def test_pause_over_a_night_only_removes_working_time():
    start, end = datetime(2025, 5, 6, 9), datetime(2025, 5, 7, 17)
    pauses = [(datetime(2025, 5, 6, 16), datetime(2025, 5, 7, 10))]
    assert working_minutes_excluding(CAL, start, end, pauses) == 960 - 120


def test_pauses_from_status_changes():
    changes = [
        (datetime(2025, 5, 6, 9), False),
        (datetime(2025, 5, 6, 10), True),
        (datetime(2025, 5, 6, 11), True),
        (datetime(2025, 5, 6, 12), False),
        (datetime(2025, 5, 6, 15), True),
    ]
    assert pauses_from_changes(changes) == [
        (datetime(2025, 5, 6, 10), datetime(2025, 5, 6, 12)),
        (datetime(2025, 5, 6, 15), None),
    ]
    with pytest.raises(ValueError, match="time order"):
        pauses_from_changes([(datetime(2025, 5, 6, 10), False), (datetime(2025, 5, 6, 9), True)])


def test_clock_states_warning_breach_met_and_due():
    start = datetime(2025, 5, 6, 9)
    on_track = sla_clock(CAL, start=start, now=datetime(2025, 5, 6, 11), target_minutes=240)
    assert (on_track.state, on_track.remaining_minutes, on_track.due_at) == (
        SlaState.ON_TRACK,
        120,
        datetime(2025, 5, 6, 13),
    )
    warning = sla_clock(CAL, start=start, now=datetime(2025, 5, 6, 12, 30), target_minutes=240)
    assert warning.state is SlaState.WARNING and warning.fraction_left == 0.125
    breached = sla_clock(CAL, start=start, now=datetime(2025, 5, 6, 14), target_minutes=240)
    assert breached.state is SlaState.BREACHED and breached.remaining_minutes == -60
    met = sla_clock(
        CAL,
        start=start,
        now=datetime(2025, 5, 9, 9),
        stopped_at=datetime(2025, 5, 6, 12),
        target_minutes=240,
    )
    assert met.state is SlaState.MET and met.stopped and met.due_at is None


def test_clock_paused_does_not_run_and_due_moves_over_the_weekend():
    start = datetime(2025, 5, 2, 15)  # Friday
    pauses = [(datetime(2025, 5, 2, 16), None)]
    paused = sla_clock(
        CAL, start=start, now=datetime(2025, 5, 7, 12), target_minutes=120, pauses=pauses
    )
    assert paused.paused and paused.elapsed_minutes == 60 and paused.due_at is None
    assert paused.state is SlaState.ON_TRACK
    running = sla_clock(CAL, start=start, now=datetime(2025, 5, 2, 16), target_minutes=120)
    # 60 minutes left at Friday 16:00 -> Friday 17:00.
    assert running.due_at == datetime(2025, 5, 2, 17)
    over = sla_clock(CAL, start=start, now=datetime(2025, 5, 2, 16, 30), target_minutes=180)
    # 90 minutes left: 30 on Friday, then (weekend, Monday holiday) 60 on Tuesday.
    assert over.due_at == datetime(2025, 5, 6, 10)


def test_bad_targets_are_refused():
    with pytest.raises(ValueError, match="positive"):
        sla_clock(CAL, start=datetime(2025, 5, 6, 9), now=datetime(2025, 5, 6, 9), target_minutes=0)


def test_a_target_beyond_the_calendar_horizon_has_no_due_time():
    """Ten minutes a week never reach 10,000 h before the horizon ends: no breach time, no
    CalendarRangeError (the pages showing such a clock answered 500)."""
    sparse = compile_calendar(make_calendar({0: [("08:00", "08:10")]}, []))
    clock = sla_clock(
        sparse,
        start=datetime(2026, 12, 7, 8),
        now=datetime(2026, 12, 7, 8, 5),
        target_minutes=600_000,
    )
    assert (clock.state, clock.elapsed_minutes, clock.due_at) == (SlaState.ON_TRACK, 5.0, None)
