"""Vectorised working-time arithmetic over several calendars at once.

The critical-path passes process thousands of tasks per step, each on its own calendar. A
:class:`CalendarTable` concatenates the compiled calendars into one sorted table by giving
calendar ``c`` the key range ``[c * SPAN, (c + 1) * SPAN)``; one ``numpy.searchsorted`` then
answers a whole batch of (calendar, instant) questions.

Working-time positions ("W") returned here are *global*: they include the ``c * SPAN`` offset
of their calendar, so they are only meaningful relative to other positions on the same calendar
(differences are working seconds). All instants are engine seconds (see
:func:`twofold.engine.calendars.to_instant`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from twofold.engine.calendars import Calendar

IntArray = npt.NDArray[np.int64]

SPAN = np.int64(1 << 33)
"""Key space per calendar: 2**33 s is about 272 years, more than the horizon."""


class CalendarTable:
    """Several compiled calendars answering batched working-time questions.

    Args:
        calendars: compiled calendars; a calendar's index in this sequence is its id.
    """

    def __init__(self, calendars: Sequence[Calendar]) -> None:
        starts, ends, cumulative = [], [], []
        for index, cal in enumerate(calendars):
            offset = np.int64(index) * SPAN
            # A zero-length sentinel interval opens every block so searches never fall into
            # the previous calendar's block.
            starts.append(np.concatenate(([offset], cal.starts + offset)))
            ends.append(np.concatenate(([offset], cal.ends + offset)))
            cumulative.append(np.concatenate(([offset], cal.cumulative + offset)))
        self.calendars = tuple(calendars)
        self.starts: IntArray = np.concatenate(starts).astype(np.int64)
        self.ends: IntArray = np.concatenate(ends).astype(np.int64)
        self.cumulative: IntArray = np.concatenate(cumulative).astype(np.int64)
        self.cumulative_end: IntArray = self.cumulative + (self.ends - self.starts)
        # Shifted copies for the key-space primitives below: index ``i`` of a ``side="right"``
        # search reads entry ``i - 1`` without a subtraction.
        zero = np.zeros(1, dtype=np.int64)
        self._before_minus_start: IntArray = np.concatenate((zero, self.cumulative - self.starts))
        self._ends_shifted: IntArray = np.concatenate((zero, self.ends))
        self._start_minus_before: IntArray = np.concatenate((zero, self.starts - self.cumulative))
        self._end_minus_before: IntArray = self.ends - self.cumulative_end

    # Key-space primitives for the scheduling passes: ``key = cal * SPAN + instant`` (callers
    # keep ``cal * SPAN`` per task), positions global as above. Same results as the methods
    # below with fewer numpy operations.

    def position_of_key(self, key: IntArray) -> IntArray:
        """Global working position of each key (``working_before`` in key space)."""
        k = np.searchsorted(self.starts, key, side="right")
        found: IntArray = self._before_minus_start[k] + np.minimum(key, self._ends_shifted[k])
        return found

    def start_key_at(self, working: IntArray) -> IntArray:
        """Key of the instant where work resumes at ``working`` (``instant_at_start``)."""
        k = np.searchsorted(self.cumulative, working, side="right")
        found: IntArray = self._start_minus_before[k] + working
        return found

    def finish_key_at(self, working: IntArray) -> IntArray:
        """Key of the instant where work reaches ``working`` (``instant_at_finish``)."""
        k = np.searchsorted(self.cumulative_end, working, side="left")
        found: IntArray = self._end_minus_before[k] + working
        return found

    def working_before(self, cal: IntArray, instant: IntArray) -> IntArray:
        """Global working position of each ``instant`` on calendar ``cal``."""
        key = cal * SPAN + instant
        k = np.searchsorted(self.starts, key, side="right") - 1
        found: IntArray = self.cumulative[k] + np.minimum(key, self.ends[k]) - self.starts[k]
        return found

    def instant_at_start(self, cal: IntArray, working: IntArray) -> IntArray:
        """Instant where work resumes at global position ``working`` (next period's start)."""
        k = np.searchsorted(self.cumulative, working, side="right") - 1
        found: IntArray = self.starts[k] + (working - self.cumulative[k]) - cal * SPAN
        return found

    def instant_at_finish(self, cal: IntArray, working: IntArray) -> IntArray:
        """Instant where work reaches global position ``working`` (previous period's end)."""
        k = np.searchsorted(self.cumulative_end, working, side="left")
        found: IntArray = self.ends[k] - (self.cumulative_end[k] - working) - cal * SPAN
        return found

    def next_working(self, cal: IntArray, instant: IntArray) -> IntArray:
        """``instant`` if working, else the start of the next working period."""
        return self.instant_at_start(cal, self.working_before(cal, instant))

    def previous_working_end(self, cal: IntArray, instant: IntArray) -> IntArray:
        """``instant`` if working, else the end of the previous working period."""
        return self.instant_at_finish(cal, self.working_before(cal, instant))


@lru_cache(maxsize=64)
def calendar_table(calendars: tuple[Calendar, ...]) -> CalendarTable:
    """The :class:`CalendarTable` of ``calendars``, cached: compiled calendars are immutable and
    themselves cached by spec, so rescheduling a plan reuses its table."""
    return CalendarTable(calendars)
