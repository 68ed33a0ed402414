"""Durations and their units, converted to the engine's integer seconds.

The engine keeps every duration and lag as an integer number of **seconds**: *working* seconds for
working-time units (minutes, hours, days, weeks, months of the project's working time) and
*elapsed* (wall-clock) seconds for the elapsed units. Microsoft Project stores durations in tenths
of a minute and real files hold values such as ``PT57H8M24S``, so whole minutes would lose data;
seconds are exact for every value Project can store.

Working days, weeks and months are converted with the project's settings
(:class:`DurationSettings`: minutes per day, minutes per week, days per month), exactly as
Microsoft Project does: "1 day" means ``minutes_per_day`` working minutes whatever the calendar.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

SECONDS_PER_MINUTE = 60
ELAPSED_DAY_SECONDS = 24 * 3600
ELAPSED_WEEK_SECONDS = 7 * ELAPSED_DAY_SECONDS
ELAPSED_MONTH_SECONDS = 30 * ELAPSED_DAY_SECONDS  # Microsoft Project's elapsed month is 30 days.


class DurationUnit(enum.Enum):
    """Unit of a duration or lag as a user enters it."""

    MINUTES = "m"
    HOURS = "h"
    DAYS = "d"
    WEEKS = "w"
    MONTHS = "mo"
    ELAPSED_MINUTES = "em"
    ELAPSED_HOURS = "eh"
    ELAPSED_DAYS = "ed"
    ELAPSED_WEEKS = "ew"
    ELAPSED_MONTHS = "emo"

    @property
    def is_elapsed(self) -> bool:
        """True for wall-clock units (counted through nights, weekends and holidays)."""
        return self.value.startswith("e")


@dataclass(frozen=True, slots=True)
class DurationSettings:
    """The project's conversion factors from days/weeks/months to working minutes.

    Defaults are Microsoft Project's: 480 minutes per day (8 h), 2400 per week (40 h), 20 days per
    month.
    """

    minutes_per_day: int = 480
    minutes_per_week: int = 2400
    days_per_month: int = 20

    def __post_init__(self) -> None:
        if self.minutes_per_day <= 0 or self.minutes_per_week <= 0 or self.days_per_month <= 0:
            raise ValueError("duration settings must be positive")


DEFAULT_SETTINGS = DurationSettings()


@dataclass(frozen=True, slots=True)
class Duration:
    """A duration as entered: an amount (may be fractional or negative, for lags) and a unit."""

    amount: float
    unit: DurationUnit = DurationUnit.DAYS

    @property
    def is_elapsed(self) -> bool:
        """True if the amount counts wall-clock time rather than working time."""
        return self.unit.is_elapsed

    def to_seconds(self, settings: DurationSettings = DEFAULT_SETTINGS) -> int:
        """Return the duration in seconds (working seconds, or elapsed seconds if elapsed).

        Rounded to the nearest second.
        """
        return round(self.amount * unit_seconds(self.unit, settings))


def unit_seconds(unit: DurationUnit, settings: DurationSettings = DEFAULT_SETTINGS) -> int:
    """Return how many seconds one ``unit`` is worth under ``settings``."""
    minute = SECONDS_PER_MINUTE
    table = {
        DurationUnit.MINUTES: minute,
        DurationUnit.HOURS: 60 * minute,
        DurationUnit.DAYS: settings.minutes_per_day * minute,
        DurationUnit.WEEKS: settings.minutes_per_week * minute,
        DurationUnit.MONTHS: settings.days_per_month * settings.minutes_per_day * minute,
        DurationUnit.ELAPSED_MINUTES: minute,
        DurationUnit.ELAPSED_HOURS: 60 * minute,
        DurationUnit.ELAPSED_DAYS: ELAPSED_DAY_SECONDS,
        DurationUnit.ELAPSED_WEEKS: ELAPSED_WEEK_SECONDS,
        DurationUnit.ELAPSED_MONTHS: ELAPSED_MONTH_SECONDS,
    }
    return table[unit]


def from_seconds(
    seconds: int, unit: DurationUnit, settings: DurationSettings = DEFAULT_SETTINGS
) -> Duration:
    """Express ``seconds`` (working or elapsed, matching ``unit``) as a :class:`Duration`."""
    return Duration(seconds / unit_seconds(unit, settings), unit)


def working_days(seconds: int, settings: DurationSettings = DEFAULT_SETTINGS) -> float:
    """Return working seconds as project days (``minutes_per_day`` minutes each)."""
    return seconds / (settings.minutes_per_day * SECONDS_PER_MINUTE)
