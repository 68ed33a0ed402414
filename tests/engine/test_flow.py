"""Flow metrics: throughput, cycle times, ageing WIP and cumulative flow on hand-made items."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.engine.flow import (
    PercentileLine,
    ageing_wip,
    as_timestamps,
    cumulative_flow,
    cycle_times,
    throughput_per_day,
    throughput_per_week,
)


def stamps(*values: str | None) -> np.ndarray:
    return np.array(values, dtype="datetime64[s]")


# --- throughput -------------------------------------------------------------------------------


def test_weekly_throughput_counts_iso_weeks_including_empty_ones() -> None:
    finished = stamps(
        "2024-12-29T23:59:59",  # Sunday: last day of 2024-W52, before the range
        "2024-12-30T00:00:00",  # Monday: 2025-W01
        "2025-01-05T23:00:00",  # Sunday: still 2025-W01
        "2025-01-20T08:00:00",  # 2025-W04
        None,  # still in progress
        "2025-03-01T00:00:00",  # after the range
    )
    weekly = throughput_per_week(finished, dt.date(2025, 1, 1), "2025-01-21")
    assert weekly.week_starts.astype(str).tolist() == [
        "2024-12-30",
        "2025-01-06",
        "2025-01-13",
        "2025-01-20",
    ]
    assert weekly.counts.tolist() == [2, 0, 0, 1]
    assert weekly.iso_labels == ("2025-W01", "2025-W02", "2025-W03", "2025-W04")


def test_weekly_labels_across_a_53_week_year_and_before_1970() -> None:
    weekly = throughput_per_week(stamps("2020-12-31T12:00"), "2020-12-28", "2021-01-04")
    assert weekly.iso_labels == ("2020-W53", "2021-W01")
    assert weekly.counts.tolist() == [1, 0]
    old = throughput_per_week(stamps("1969-12-31T12:00", "1970-01-05"), "1969-12-29", "1970-01-05")
    assert old.week_starts.astype(str).tolist() == ["1969-12-29", "1970-01-05"]
    assert old.counts.tolist() == [1, 1]


def test_daily_throughput_includes_zero_days_and_ignores_open_items() -> None:
    finished = stamps("2025-02-01T09:00", "2025-02-01T17:00", "2025-02-03T00:00", None)
    daily = throughput_per_day(finished, "2025-02-01", "2025-02-04")
    assert daily.days.astype(str).tolist() == [
        "2025-02-01",
        "2025-02-02",
        "2025-02-03",
        "2025-02-04",
    ]
    assert daily.counts.tolist() == [2, 0, 1, 0]


def test_throughput_refuses_a_reversed_range_and_non_dates() -> None:
    with pytest.raises(ValueError, match="before the first day"):
        throughput_per_day(stamps(), "2025-02-02", "2025-02-01")
    with pytest.raises(ValueError, match="must be datetimes"):
        throughput_per_day(["not a date"], "2025-02-01", "2025-02-02")
    with pytest.raises(ValueError, match="one-dimensional"):
        throughput_per_week(np.zeros((2, 2), dtype="datetime64[s]"), "2025-02-01", "2025-02-02")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.datetimes(dt.datetime(2023, 12, 1), dt.datetime(2025, 2, 1)), max_size=40),
    st.dates(dt.date(2024, 1, 1), dt.date(2024, 6, 1)),
    st.integers(0, 200),
)
def test_weekly_throughput_matches_python_isocalendar(
    finishes: list[dt.datetime], first: dt.date, length: int
) -> None:
    last = first + dt.timedelta(days=length)
    weekly = throughput_per_week(as_timestamps(finishes), first, last)
    expected: dict[str, int] = dict.fromkeys(weekly.iso_labels, 0)
    for finish in finishes:
        year, week, _ = finish.isocalendar()
        label = f"{year}-W{week:02d}"
        if label in expected:
            expected[label] += 1
    assert dict(zip(weekly.iso_labels, weekly.counts.tolist(), strict=True)) == expected
    assert weekly.week_starts[0] <= np.datetime64(first) < weekly.week_starts[0] + 7
    assert weekly.week_starts[-1] <= np.datetime64(last) < weekly.week_starts[-1] + 7
    assert all(day.weekday() == 0 for day in weekly.week_starts.tolist())


# --- cycle times ------------------------------------------------------------------------------


def test_cycle_times_in_days_with_percentile_lines() -> None:
    start = np.datetime64("2025-01-01T00:00:00")
    durations = np.arange(1, 21) * np.timedelta64(1, "D")
    starts = np.concatenate(([start] * 20, [start, np.datetime64("NaT")]))
    finishes = np.concatenate((start + durations, [np.datetime64("NaT"), start]))
    times = cycle_times(starts, finishes)
    assert times.item_indices.tolist() == list(range(20))
    assert times.days.tolist() == [float(d) for d in range(1, 21)]
    # Inverted CDF: the smallest cycle time within which at least p % of items finished.
    assert times.percentile_lines == (
        PercentileLine(50, 10.0),
        PercentileLine(70, 14.0),
        PercentileLine(85, 17.0),
        PercentileLine(95, 19.0),
    )
    assert times.percentile(85) == 17.0


def test_cycle_times_are_fractional_days() -> None:
    times = cycle_times(stamps("2025-01-01T00:00"), stamps("2025-01-02T12:00"))
    assert times.days.tolist() == [1.5]
    assert times.percentile(50) == 1.5


def test_cycle_times_of_nothing_finished_have_no_lines() -> None:
    times = cycle_times(stamps("2025-01-01"), stamps(None))
    assert times.days.size == 0
    assert times.percentile_lines == ()
    with pytest.raises(KeyError):
        times.percentile(50)


def test_cycle_times_refuse_bad_items() -> None:
    with pytest.raises(ValueError, match="item 1 finished before it started"):
        cycle_times(stamps("2025-01-01", "2025-01-05"), stamps("2025-01-02", "2025-01-04"))
    with pytest.raises(ValueError, match="same items"):
        cycle_times(stamps("2025-01-01"), stamps())


# --- ageing WIP -------------------------------------------------------------------------------


def test_ageing_wip_ages_open_items_against_finished_history() -> None:
    starts = stamps(
        "2025-01-01",  # finished after 2 days
        "2025-01-01",  # finished after 4 days
        "2025-01-02",  # finished after the as-of moment: still open then, age 8
        "2025-01-09T12:00",  # open, age 0.5
        "2025-01-07",  # open, age 3
        "2025-01-11",  # not started yet at as-of
        None,  # never started
    )
    finishes = stamps("2025-01-03", "2025-01-05", "2025-01-12", None, None, None, None)
    wip = ageing_wip(starts, finishes, dt.datetime(2025, 1, 10))
    assert wip.as_of == np.datetime64("2025-01-10T00:00:00")
    assert wip.item_indices.tolist() == [2, 3, 4]
    assert wip.ages_days.tolist() == [8.0, 0.5, 3.0]
    # History: cycle times 2 and 4 -> p50 = 2, p70/p85/p95 = 4.
    assert [line.days for line in wip.percentile_lines] == [2.0, 4.0, 4.0, 4.0]
    assert wip.exceeded_level.tolist() == [95, 0, 50]


def test_an_age_equal_to_a_line_does_not_exceed_it() -> None:
    wip = ageing_wip(stamps("2025-01-01", "2025-01-08"), stamps("2025-01-03", None), "2025-01-10")
    assert wip.ages_days.tolist() == [2.0]
    assert wip.exceeded_level.tolist() == [0]


def test_ageing_wip_without_history_has_no_lines() -> None:
    wip = ageing_wip(stamps("2025-01-01"), stamps(None), dt.date(2025, 1, 2))
    assert wip.ages_days.tolist() == [1.0]
    assert wip.percentile_lines == ()
    assert wip.exceeded_level.tolist() == [0]


# --- cumulative flow --------------------------------------------------------------------------


def test_cumulative_flow_counts_each_state_per_day() -> None:
    entered = stamps(
        # arrived, started, done
        "2025-03-01T10:00", "2025-03-02T10:00", "2025-03-04T10:00",
        "2025-02-20T10:00", None, None,  # arrived before the range, never started
        "2025-03-02T10:00", None, "2025-03-03T10:00",  # skipped "started"
        None, None, None,  # an item with no history at all
        "2025-03-03T10:00", "2025-03-09T10:00", None,  # started after the range
    ).reshape(5, 3)  # fmt: skip
    flow = cumulative_flow(entered, ["arrived", "started", "done"], "2025-03-01", "2025-03-04")
    assert flow.state_names == ("arrived", "started", "done")
    assert flow.days.astype(str).tolist() == [
        "2025-03-01",
        "2025-03-02",
        "2025-03-03",
        "2025-03-04",
    ]
    assert flow.cumulative.tolist() == [
        [2, 0, 0],
        [3, 1, 0],
        [4, 2, 1],
        [4, 2, 2],
    ]
    assert flow.in_state.tolist() == [
        [2, 0, 0],
        [2, 1, 0],
        [2, 1, 1],
        [2, 0, 2],
    ]


def test_cumulative_flow_refuses_a_shape_that_does_not_match_the_states() -> None:
    with pytest.raises(ValueError, match="shape"):
        cumulative_flow(stamps("2025-01-01", "2025-01-02"), ["a", "b"], "2025-01-01", "2025-01-02")
    with pytest.raises(ValueError, match="shape"):
        cumulative_flow(np.zeros((2, 3), "datetime64[s]"), ["a", "b"], "2025-01-01", "2025-01-02")


optional_day = st.one_of(st.none(), st.integers(0, 60))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(optional_day, min_size=4, max_size=4), max_size=30), st.integers(5, 50))
def test_cumulative_flow_bands_are_non_negative_and_done_never_falls(
    offsets: list[list[int | None]], first_offset: int
) -> None:
    base = np.datetime64("2025-01-01T06:00:00")
    entered = np.full((len(offsets), 4), np.datetime64("NaT"), dtype="datetime64[s]")
    for i, row in enumerate(offsets):
        for k, offset in enumerate(row):
            if offset is not None:
                entered[i, k] = base + np.timedelta64(offset, "D")
    first = base.astype("datetime64[D]") + first_offset
    flow = cumulative_flow(entered, ["a", "b", "c", "d"], first, first + 20)
    assert (flow.in_state >= 0).all()
    assert (np.diff(flow.cumulative, axis=0) >= 0).all()  # every line, "done" included
    assert (np.diff(flow.cumulative, axis=1) <= 0).all()
    assert (flow.in_state.sum(axis=1) == flow.cumulative[:, 0]).all()
    # Brute force: an item counts in state k on day d once it entered k or a later state.
    for d, day in enumerate(flow.days):
        for k in range(4):
            expected = sum(
                any(o is not None and base.astype("datetime64[D]") + o <= day for o in row[k:])
                for row in offsets
            )
            assert flow.cumulative[d, k] == expected
