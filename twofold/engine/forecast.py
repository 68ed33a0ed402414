"""Monte Carlo throughput forecasts: "how many items by a date" and "when will N items be done".

Each trial replays the future one day at a time, drawing each day's throughput with replacement
from the history of daily counts (zero days included: they are part of the history). All trials
run at once as numpy arrays.

The confidence levels mean different things for the two questions:

* "how many by day D": the 85 % level is the number of items reached in at least 85 % of the
  trials, i.e. the 15th percentile of the simulated totals (a cautious, low number);
* "when will N be done": the 85 % level is the day by which at least 85 % of the trials had
  finished, i.e. the 85th percentile of the simulated durations (a cautious, late date).

Days are counted from the first forecast day as day 1, so a horizon of 10 days covers day 1 to
day 10 inclusive, and a "when" result of 3 days on a start of Monday means done by the end of
Wednesday. The history may equally be weekly counts; then read "day" as "week" (the date helpers
assume days).

Simulation detail: every trial's day ``d`` uses the same random draw whatever is asked, so with
a fixed seed a longer horizon never yields fewer items and more items never finish earlier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "FORECAST_LEVELS",
    "DateLevel",
    "HowManyForecast",
    "ItemsLevel",
    "WhenForecast",
    "forecast_how_many",
    "forecast_how_many_by",
    "forecast_when",
]

FORECAST_LEVELS: tuple[int, ...] = (50, 85, 95)
"""Default confidence levels, in percent."""

DEFAULT_TRIALS = 10_000
DEFAULT_MAX_DAYS = 3_650
_BLOCK_DAYS = 128  # days simulated per step: bounds memory at trials x 128 values
_FIRST_BLOCK_DAYS = 512  # the first step of "when" may be longer (most trials finish in it)

DateLike = dt.date | np.datetime64 | str
Seed = int | np.random.Generator | None
Counts = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ItemsLevel:
    """At least ``items`` items were finished in ``confidence`` % of the trials."""

    confidence: int
    items: int


@dataclass(frozen=True)
class DateLevel:
    """``confidence`` % of the trials finished within ``days`` days (on ``date``, if a start
    was given). ``days`` is None when that share of trials did not finish within the maximum."""

    confidence: int
    days: int | None
    date: np.datetime64 | None


@dataclass(frozen=True, eq=False)
class HowManyForecast:
    """Items finished within ``horizon_days``: one simulated total per trial, and the levels."""

    horizon_days: int
    totals: Counts
    levels: tuple[ItemsLevel, ...]

    def items_at(self, confidence: int) -> int:
        """Items reached in at least ``confidence`` % of trials; raises ``KeyError`` if absent."""
        for level in self.levels:
            if level.confidence == confidence:
                return level.items
        raise KeyError(f"no {confidence} % level; levels: {[lv.confidence for lv in self.levels]}")


@dataclass(frozen=True, eq=False)
class WhenForecast:
    """Days needed to finish ``items`` items: one per trial, and the levels.

    ``days_needed[t]`` is 0 for a trial that did not finish within ``max_days``.
    """

    items: int
    start: np.datetime64 | None
    max_days: int
    days_needed: Counts
    levels: tuple[DateLevel, ...]

    def level(self, confidence: int) -> DateLevel:
        """The level for ``confidence`` %; raises ``KeyError`` if absent."""
        for level in self.levels:
            if level.confidence == confidence:
                return level
        raise KeyError(f"no {confidence} % level; levels: {[lv.confidence for lv in self.levels]}")


def forecast_how_many(
    daily_history: npt.ArrayLike,
    horizon_days: int,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: Seed = None,
    levels: Sequence[int] = FORECAST_LEVELS,
) -> HowManyForecast:
    """How many items will be finished within the next ``horizon_days`` days.

    ``daily_history`` holds non-negative whole numbers of items finished per day. ``seed`` is an
    int or a numpy ``Generator`` (None: fresh entropy). Raises ``ValueError`` on an empty or
    invalid history, a negative horizon, fewer than 1 trial, or a level outside 1..99.
    """
    history = _validated_history(daily_history)
    _validate_run(trials, levels)
    if horizon_days < 0:
        raise ValueError(f"the horizon must be 0 days or more, got {horizon_days}")
    totals = np.zeros(trials, dtype=np.int64)
    rng = np.random.default_rng(seed)
    for block in _daily_throughput_blocks(history, trials, rng, horizon_days, _BLOCK_DAYS):
        totals += block.sum(axis=0)
    ordered = np.sort(totals)
    # "Reached in at least p % of trials": the value at rank floor(T x (100 - p) / 100).
    item_levels = tuple(
        ItemsLevel(level, int(ordered[(trials * (100 - level)) // 100])) for level in levels
    )
    return HowManyForecast(horizon_days=horizon_days, totals=totals, levels=item_levels)


def forecast_how_many_by(
    daily_history: npt.ArrayLike,
    start: DateLike,
    last_day: DateLike,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: Seed = None,
    levels: Sequence[int] = FORECAST_LEVELS,
) -> HowManyForecast:
    """How many items will be finished from ``start`` to ``last_day``, both days included.

    Raises ``ValueError`` as :func:`forecast_how_many` does, or if ``last_day`` is more than
    one day before ``start`` (the day before ``start`` means a horizon of 0 days).
    """
    horizon = int((_as_day(last_day) - _as_day(start)).astype(np.int64)) + 1
    return forecast_how_many(daily_history, horizon, trials=trials, seed=seed, levels=levels)


def forecast_when(
    daily_history: npt.ArrayLike,
    items: int,
    *,
    start: DateLike | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: Seed = None,
    levels: Sequence[int] = FORECAST_LEVELS,
    max_days: int = DEFAULT_MAX_DAYS,
) -> WhenForecast:
    """How many days (and, given ``start``, by which date) until ``items`` more items are done.

    Trials still unfinished after ``max_days`` count as later than every finished one; a level
    that falls among them has ``days`` None. Raises ``ValueError`` on an invalid history (or one
    with no finished items, which could never finish anything), ``items`` < 1, ``max_days`` < 1,
    fewer than 1 trial, or a level outside 1..99.
    """
    history = _validated_history(daily_history)
    _validate_run(trials, levels)
    if items < 1:
        raise ValueError(f"the number of items to finish must be at least 1, got {items}")
    if max_days < 1:
        raise ValueError(f"max_days must be at least 1, got {max_days}")
    if history.sum() == 0:
        raise ValueError("the history has no finished items, so no completion date can be forecast")
    first_day = None if start is None else _as_day(start)

    days_needed = np.zeros(trials, dtype=np.int64)
    finished_so_far = np.zeros(trials, dtype=np.int64)
    days_done = 0
    # Size the first block to cover most trials in one step; stragglers get further blocks.
    # At most _FIRST_BLOCK_DAYS: a thin history and many items would otherwise simulate ten
    # years in one block (3,650 x 10,000 trials: 1.4 GB with its running sums).
    likely_days = min(int(np.ceil(1.5 * items / history.mean())) + 8, _FIRST_BLOCK_DAYS)
    rng = np.random.default_rng(seed)
    for block in _daily_throughput_blocks(history, trials, rng, max_days, likely_days):
        running = finished_so_far + np.cumsum(block, axis=0)
        reached = running >= items
        newly_done = (days_needed == 0) & reached[-1]
        # argmax finds the first day (within the block) on which each trial reached the goal.
        days_needed[newly_done] = days_done + 1 + np.argmax(reached[:, newly_done], axis=0)
        finished_so_far = running[-1]
        days_done += block.shape[0]
        if np.all(days_needed > 0):
            break

    unfinished_rank = np.where(days_needed > 0, days_needed, max_days + 1)
    ordered = np.sort(unfinished_rank)
    date_levels = []
    for level in levels:
        # "Finished by day d in at least p % of trials": the value at rank ceil(T x p / 100) - 1.
        days = int(ordered[-(-trials * level // 100) - 1])
        if days > max_days:
            date_levels.append(DateLevel(level, None, None))
        else:
            date = None if first_day is None else first_day + np.timedelta64(days - 1, "D")
            date_levels.append(DateLevel(level, days, date))
    return WhenForecast(
        items=items,
        start=first_day,
        max_days=max_days,
        days_needed=days_needed,
        levels=tuple(date_levels),
    )


def _daily_throughput_blocks(
    history: Counts, trials: int, rng: np.random.Generator, total_days: int, first_block: int
) -> Iterator[Counts]:
    """Blocks of simulated days, shape (days, trials), drawn from ``history``: ``total_days``.

    The first block has ``first_block`` days (at most), later ones ``_BLOCK_DAYS``. One uniform
    float per (day, trial) in day-major order keeps day ``d`` of trial ``t`` the same draw however
    the days are split into blocks.
    """
    size = history.size
    days_done = 0
    block_days = max(1, first_block)
    while days_done < total_days:
        days = min(block_days, total_days - days_done)
        uniforms = rng.random((days, trials))
        picks = np.minimum((uniforms * size).astype(np.intp), size - 1)
        yield history[picks]
        days_done += days
        block_days = _BLOCK_DAYS


def _validated_history(daily_history: npt.ArrayLike) -> Counts:
    values = np.asarray(daily_history, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"the throughput history must be a non-empty 1-D list, got {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("the throughput history contains NaN or infinity")
    if (values < 0).any() or (values != np.round(values)).any():
        raise ValueError("the throughput history must hold whole numbers of items, 0 or more")
    return values.astype(np.int64)


def _validate_run(trials: int, levels: Sequence[int]) -> None:
    if trials < 1:
        raise ValueError(f"at least 1 trial is needed, got {trials}")
    for level in levels:
        if not 1 <= level <= 99:
            raise ValueError(f"confidence levels are whole percentages from 1 to 99, got {level}")


def _as_day(value: DateLike) -> np.datetime64:
    day: np.datetime64 = np.asarray([value], dtype="datetime64[D]")[0]
    if np.isnat(day):
        raise ValueError(f"expected a date, got {value!r}")
    return day
