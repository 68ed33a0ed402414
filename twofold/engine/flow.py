"""Flow metrics for a stream of work items: throughput, cycle time, ageing WIP, cumulative flow.

Representation: timestamps are numpy ``datetime64[s]`` arrays (anything ``numpy.asarray`` can turn
into one is accepted: ``datetime`` objects, ISO strings, other ``datetime64`` units). A missing
timestamp is ``NaT`` (``None`` in a list becomes ``NaT``): an item with no finish is still in
progress. Timestamps are naive wall-clock times in whichever time zone the caller wants days and
weeks counted in; convert (e.g. to the organisation's zone) before calling. A "day" is the
calendar day of a timestamp, weeks are ISO weeks (Monday to Sunday), and durations are reported
in days as floats (elapsed seconds / 86,400, so 36 hours is 1.5 days).

Item ``i`` is described by position ``i`` in every array; results name items by that position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "PERCENTILE_LEVELS",
    "AgeingWip",
    "CumulativeFlow",
    "CycleTimes",
    "DailyThroughput",
    "PercentileLine",
    "WeeklyThroughput",
    "ageing_wip",
    "as_timestamps",
    "cumulative_flow",
    "cycle_times",
    "throughput_per_day",
    "throughput_per_week",
]

PERCENTILE_LEVELS: tuple[int, ...] = (50, 70, 85, 95)
"""Percentile lines drawn on cycle-time scatter plots and ageing charts."""

SECONDS_PER_DAY = 86_400
_EPOCH_WEEKDAY_OFFSET = 3  # 1970-01-01 was a Thursday: 3 days after the Monday starting its week.

DateLike = dt.date | np.datetime64 | str
TimestampsLike = npt.ArrayLike | Sequence[dt.date | np.datetime64 | str | None]
"""Anything :func:`as_timestamps` accepts: a datetime64 array, or a list of datetimes/dates."""
Timestamps = npt.NDArray[np.datetime64]
Days = npt.NDArray[np.datetime64]
Counts = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class PercentileLine:
    """``level`` % of the finished items took at most ``days`` days."""

    level: int
    days: float


@dataclass(frozen=True, eq=False)
class DailyThroughput:
    """Items finished on each calendar day of a range; days without finishes count 0."""

    days: Days
    counts: Counts


@dataclass(frozen=True, eq=False)
class WeeklyThroughput:
    """Items finished in each ISO week of a range; ``week_starts`` are the weeks' Mondays."""

    week_starts: Days
    counts: Counts

    @property
    def iso_labels(self) -> tuple[str, ...]:
        """The weeks as ISO labels such as ``"2025-W01"``."""
        labels = []
        for monday in self.week_starts.tolist():
            year, week, _ = monday.isocalendar()
            labels.append(f"{year}-W{week:02d}")
        return tuple(labels)


@dataclass(frozen=True, eq=False)
class CycleTimes:
    """Cycle times (days) of the finished items, with percentile lines.

    ``item_indices[j]`` is the item whose cycle time is ``days[j]``. Items without a start or a
    finish are left out. ``percentile_lines`` is empty when no item has finished.
    """

    item_indices: IndexArray
    days: FloatArray
    percentile_lines: tuple[PercentileLine, ...]

    def percentile(self, level: int) -> float:
        """The cycle time (days) of one percentile line; raises ``KeyError`` if absent."""
        for line in self.percentile_lines:
            if line.level == level:
                return line.days
        raise KeyError(f"no {level}th percentile line (levels: {PERCENTILE_LEVELS}, or no data)")


@dataclass(frozen=True, eq=False)
class AgeingWip:
    """Age (days) of each item in progress at ``as_of``, against the cycle-time percentiles.

    ``percentile_lines`` come from the items finished at or before ``as_of``.
    ``exceeded_level[j]`` is the highest percentile level whose cycle time ``ages_days[j]``
    strictly exceeds, or 0 when it exceeds none (or there are no lines yet).
    """

    as_of: np.datetime64
    item_indices: IndexArray
    ages_days: FloatArray
    exceeded_level: npt.NDArray[np.int64]
    percentile_lines: tuple[PercentileLine, ...]


@dataclass(frozen=True, eq=False)
class CumulativeFlow:
    """A cumulative flow diagram, one row per calendar day.

    ``cumulative[d, k]`` counts items that had reached state ``k`` or a later one by the end of
    ``days[d]``; it never decreases along ``d`` and never increases along ``k``.
    ``in_state[d, k]`` is the band height: items in state ``k`` at the end of the day (for the
    last state, every item that reached it).
    """

    state_names: tuple[str, ...]
    days: Days
    cumulative: npt.NDArray[np.int64]
    in_state: npt.NDArray[np.int64]


def as_timestamps(values: TimestampsLike, name: str = "timestamps") -> Timestamps:
    """Convert ``values`` to a ``datetime64[s]`` array; raises ``ValueError`` if impossible."""
    try:
        stamps = np.asarray(values, dtype="datetime64[s]")
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} must be datetimes (numpy datetime64 or datetime): {error}"
        ) from None
    return stamps


def throughput_per_day(
    finished_at: TimestampsLike, first_day: DateLike, last_day: DateLike
) -> DailyThroughput:
    """Count finishes per calendar day from ``first_day`` to ``last_day`` inclusive.

    Missing finishes and finishes outside the range are ignored. Raises ``ValueError`` if the
    timestamps are not 1-D datetimes or ``last_day`` is before ``first_day``.
    """
    first, count = _day_range(first_day, last_day)
    finish_days = _day_numbers(_one_dimensional(finished_at, "finished_at"))
    offsets = finish_days[_present(finish_days)] - first
    counts = np.bincount(offsets[(offsets >= 0) & (offsets < count)], minlength=count)
    days = np.arange(first, first + count).astype("datetime64[D]")
    return DailyThroughput(days=days, counts=counts.astype(np.int64))


def throughput_per_week(
    finished_at: TimestampsLike, first_day: DateLike, last_day: DateLike
) -> WeeklyThroughput:
    """Count finishes per ISO week, for every week touching ``first_day`` .. ``last_day``.

    The range is widened to whole weeks (Monday of ``first_day``'s week to Sunday of
    ``last_day``'s week); weeks without finishes count 0. Raises ``ValueError`` as
    :func:`throughput_per_day` does.
    """
    first, count = _day_range(first_day, last_day)
    first_week = (first + _EPOCH_WEEKDAY_OFFSET) // 7
    week_count = (first + count - 1 + _EPOCH_WEEKDAY_OFFSET) // 7 - first_week + 1
    finish_days = _day_numbers(_one_dimensional(finished_at, "finished_at"))
    offsets = _week_number(finish_days[_present(finish_days)]) - first_week
    counts = np.bincount(offsets[(offsets >= 0) & (offsets < week_count)], minlength=week_count)
    mondays = (np.arange(first_week, first_week + week_count) * 7 - _EPOCH_WEEKDAY_OFFSET).astype(
        "datetime64[D]"
    )
    return WeeklyThroughput(week_starts=mondays, counts=counts.astype(np.int64))


def cycle_times(started_at: TimestampsLike, finished_at: TimestampsLike) -> CycleTimes:
    """Cycle time in days (finish - start) of every item with both timestamps.

    Percentile lines use the inverted-CDF definition: the p-th line is the smallest observed cycle
    time such that at least p % of the items took no longer. Raises ``ValueError`` if the arrays
    differ in length, are not datetimes, or an item finished before it started.
    """
    starts, finishes = _paired(started_at, finished_at)
    done = ~np.isnat(starts) & ~np.isnat(finishes)
    indices = np.flatnonzero(done)
    days = _elapsed_days(starts[indices], finishes[indices])
    if days.size and days.min() < 0:
        bad = int(indices[np.argmin(days)])
        raise ValueError(f"item {bad} finished before it started ({starts[bad]} > {finishes[bad]})")
    return CycleTimes(item_indices=indices, days=days, percentile_lines=_percentile_lines(days))


def ageing_wip(
    started_at: TimestampsLike, finished_at: TimestampsLike, as_of: DateLike | dt.datetime
) -> AgeingWip:
    """Age in days at ``as_of`` of each item started but not finished by then.

    ``as_of`` is a timestamp; a plain date means midnight at its start. An item is in progress
    when its start is at or before ``as_of`` and its finish is missing or after ``as_of``.
    Raises ``ValueError`` as :func:`cycle_times` does.
    """
    starts, finishes = _paired(started_at, finished_at)
    moment = _scalar_timestamp(as_of, "as_of")
    started = ~np.isnat(starts) & (starts <= moment)
    finished_by_then = ~np.isnat(finishes) & (finishes <= moment)
    open_items = np.flatnonzero(started & ~finished_by_then)
    ages = _elapsed_days(starts[open_items], np.full(open_items.size, moment))

    history = started & finished_by_then
    history_days = _elapsed_days(starts[history], finishes[history])
    if history_days.size and history_days.min() < 0:
        bad = int(np.flatnonzero(history)[np.argmin(history_days)])
        raise ValueError(f"item {bad} finished before it started ({starts[bad]} > {finishes[bad]})")
    lines = _percentile_lines(history_days)
    line_days = np.array([line.days for line in lines])
    levels = np.array((0, *(line.level for line in lines)), dtype=np.int64)
    # Lines are non-decreasing, so the count of lines strictly below an age picks its level.
    exceeded = levels[np.searchsorted(line_days, ages, side="left")]
    return AgeingWip(
        as_of=moment,
        item_indices=open_items,
        ages_days=ages,
        exceeded_level=exceeded,
        percentile_lines=lines,
    )


def cumulative_flow(
    entered_at: TimestampsLike,
    state_names: Sequence[str],
    first_day: DateLike,
    last_day: DateLike,
) -> CumulativeFlow:
    """Cumulative flow per day from each item's entry time into each ordered state.

    ``entered_at`` has shape (items, states): ``entered_at[i, k]`` is when item ``i`` first
    entered state ``k`` (NaT if it never did); states run in ``state_names`` order, e.g.
    ``("arrived", "started", "done")`` with ``numpy.column_stack((arrived, started, done))``.
    Reaching a later state implies having passed the earlier ones, so an item that skipped a
    state counts in it from the time it entered the later one. Entries before ``first_day``
    count from the first day. Raises ``ValueError`` if the shape does not match the names, there
    are no states, or the day range is reversed.
    """
    names = tuple(state_names)
    stamps = as_timestamps(entered_at, "entered_at")
    if stamps.ndim != 2 or stamps.shape[1] != len(names) or not names:
        raise ValueError(
            f"entered_at must have shape (items, {len(names)}) for states {names}, "
            f"got {stamps.shape}"
        )
    first, count = _day_range(first_day, last_day)
    state_count = len(names)
    seconds = stamps.view(np.int64)  # NaT is the minimum int64
    never = np.iinfo(np.int64).max
    by_state = np.where(seconds == np.iinfo(np.int64).min, never, seconds).T
    arrivals = np.empty((count, state_count), dtype=np.int64)
    earliest = np.full(stamps.shape[0], never, dtype=np.int64)
    # Scanning from the last state, keep each item's earliest entry into this or a later state.
    for state in reversed(range(state_count)):
        earliest = np.minimum(earliest, by_state[state])
        offsets = earliest // SECONDS_PER_DAY - first  # flooring keeps pre-1970 days right
        in_range = offsets[offsets < count]  # also drops "never"
        arrivals[:, state] = np.bincount(np.maximum(in_range, 0), minlength=count)
    cumulative = np.cumsum(arrivals, axis=0, dtype=np.int64)
    in_state = cumulative.copy()
    in_state[:, :-1] -= cumulative[:, 1:]
    days = np.arange(first, first + count).astype("datetime64[D]")
    return CumulativeFlow(state_names=names, days=days, cumulative=cumulative, in_state=in_state)


def _one_dimensional(values: TimestampsLike, name: str) -> Timestamps:
    stamps = as_timestamps(values, name)
    if stamps.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {stamps.shape}")
    return stamps


def _scalar_timestamp(value: DateLike | dt.datetime, name: str) -> np.datetime64:
    moment: np.datetime64 = as_timestamps([value], name)[0]
    if np.isnat(moment):
        raise ValueError(f"{name} must be a date or time, got {value!r}")
    return moment


def _paired(
    started_at: TimestampsLike, finished_at: TimestampsLike
) -> tuple[Timestamps, Timestamps]:
    starts = _one_dimensional(started_at, "started_at")
    finishes = _one_dimensional(finished_at, "finished_at")
    if starts.shape != finishes.shape:
        raise ValueError(
            f"started_at and finished_at must describe the same items: "
            f"{starts.size} starts, {finishes.size} finishes"
        )
    return starts, finishes


def _day_range(first_day: DateLike, last_day: DateLike) -> tuple[int, int]:
    """The first day (days since 1970-01-01) and the number of days, inclusive."""
    first = int(_scalar_timestamp(first_day, "first_day").astype("datetime64[D]").astype(np.int64))
    last = int(_scalar_timestamp(last_day, "last_day").astype("datetime64[D]").astype(np.int64))
    if last < first:
        raise ValueError(f"the last day {last_day} is before the first day {first_day}")
    return first, last - first + 1


def _day_numbers(stamps: Timestamps) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 (flooring, so times before midnight stay on their day)."""
    return stamps.astype("datetime64[D]").astype(np.int64)


def _present(day_numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    present: npt.NDArray[np.bool_] = day_numbers != np.iinfo(np.int64).min  # NaT is the min
    return present


def _week_number(day_numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """ISO weeks since the week of 1970-01-01 (which started Monday 1969-12-29)."""
    return (day_numbers + _EPOCH_WEEKDAY_OFFSET) // 7


def _elapsed_days(starts: Timestamps, finishes: Timestamps) -> FloatArray:
    seconds = (finishes - starts).astype(np.int64)
    return seconds / SECONDS_PER_DAY


def _percentile_lines(days: FloatArray) -> tuple[PercentileLine, ...]:
    if days.size == 0:
        return ()
    values = np.percentile(days, PERCENTILE_LEVELS, method="inverted_cdf")
    return tuple(
        PercentileLine(level, float(value))
        for level, value in zip(PERCENTILE_LEVELS, values.tolist(), strict=True)
    )
