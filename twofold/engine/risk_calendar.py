"""Default working-time calendar for schedule risk: a fixed weekly pattern, vectorised.

The Monte Carlo simulation works in *working minutes* from the project start; this converts
offsets to calendar datetimes. The calendar engine can replace it with any callable of the same
shape (``numpy float array of working minutes -> numpy datetime64[m] array``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

__all__ = ["OffsetToDatetime", "WeeklyCalendar"]

OffsetToDatetime = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.datetime64]]
"""Maps working-minute offsets (finish offsets) to datetimes, element-wise."""


@dataclass(frozen=True)
class WeeklyCalendar:
    """Working time: the same hours on the same weekdays every week, no holidays.

    Attributes:
        start: project start; must be a working moment (a working day, inside the hours).
        working_weekdays: Monday = 0 ... Sunday = 6.
        day_start_minute: first working minute of a day (e.g. 9:00 is 540).
        day_minutes: working minutes per working day (e.g. 480 for 9:00-17:00).

    Raises (on construction):
        ValueError: no working day, a day outside 0-6, hours beyond midnight, or a start that
            is not inside working time.
    """

    start: datetime
    working_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    day_start_minute: int = 9 * 60
    day_minutes: int = 8 * 60

    def __post_init__(self) -> None:
        days = sorted(set(self.working_weekdays))
        if not days or days[0] < 0 or days[-1] > 6:
            raise ValueError("working_weekdays must name days 0..6")
        if self.day_minutes <= 0 or self.day_start_minute + self.day_minutes > 24 * 60:
            raise ValueError("working hours must lie within one day")
        minute = self.start.hour * 60 + self.start.minute
        if self.start.weekday() not in days or not (
            self.day_start_minute <= minute < self.day_start_minute + self.day_minutes
        ):
            raise ValueError(f"project start {self.start} is not working time")

    def __call__(self, offsets: npt.NDArray[np.float64]) -> npt.NDArray[np.datetime64]:
        """Datetimes (minute resolution) of finish offsets in working minutes.

        A finish exactly at the end of a working day is shown at that day's end, not the next
        morning. Fractions of a minute are rounded up.
        """
        days = sorted(set(self.working_weekdays))
        start_day = np.datetime64(self.start.date(), "D")
        start_minute = self.start.hour * 60 + self.start.minute - self.day_start_minute
        # Count from the start of the start's working day, in working minutes.
        total = np.ceil(np.asarray(offsets, dtype=np.float64)).astype(np.int64) + start_minute
        week_minutes = len(days) * self.day_minutes
        # Rank of the start weekday in the working week; offsets are shifted to count from the
        # Monday of that week so that whole weeks divide cleanly.
        start_weekday = self.start.weekday()
        rank = days.index(start_weekday)
        total = total + rank * self.day_minutes
        finishing = np.maximum(total - 1, 0)
        weeks, within = np.divmod(finishing, week_minutes)
        day_rank, minute_in_day = np.divmod(within, self.day_minutes)
        weekday = np.asarray(days, dtype=np.int64)[day_rank]
        calendar_day = weeks * 7 + weekday - start_weekday
        minutes = self.day_start_minute + minute_in_day + 1
        result: npt.NDArray[np.datetime64] = (
            start_day + calendar_day.astype("timedelta64[D]")
        ).astype("datetime64[m]") + minutes.astype("timedelta64[m]")
        # A zero offset is the start itself (nothing has been worked yet).
        return np.where(total <= 0, np.datetime64(self.start, "m"), result)
