"""SLA clocks in business time, paused while a request waits on someone else.

All date-times are **naive local date-times** (wall-clock time where the service desk works, as in
:mod:`twofold.engine.calendars`); the web layer converts stored UTC instants to the organisation's
time zone and drops the zone before calling. Working time comes from a compiled
:class:`~twofold.engine.calendars.Calendar`, so nights, weekends and holidays do not count.

A clock starts at ``start`` and runs in working time until ``stopped_at`` (e.g. the first response,
or the resolution) or, while still open, until ``now``. ``pauses`` are ``(paused_at, resumed_at)``
intervals (``resumed_at`` None: still paused); working time inside them does not count. Pauses may
overlap or reach outside the clock's span: only their union inside the span is excluded.

States: ``MET`` (stopped within target), ``BREACHED`` (stopped late, or open and past target),
``WARNING`` (open, less than ``warn_fraction`` of the target left), ``ON_TRACK`` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from twofold.engine.calendars import (
    Calendar,
    CalendarRangeError,
    add_working_minutes,
    working_minutes_between,
)

__all__ = [
    "DEFAULT_WARN_FRACTION",
    "SlaClock",
    "SlaState",
    "pauses_from_changes",
    "sla_clock",
    "working_minutes_excluding",
]

DEFAULT_WARN_FRACTION = 0.25
"""An open clock with less than this share of its target left is a warning (amber)."""

Pause = tuple[datetime, datetime | None]


class SlaState(StrEnum):
    """Where a clock stands; the value is stable for storage and CSS."""

    ON_TRACK = "on_track"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"


@dataclass(frozen=True)
class SlaClock:
    """One SLA clock: business minutes used and left, whether it is paused, when it falls due.

    ``due_at`` is the instant the target will be reached if the clock keeps running from ``now``
    (None when stopped, paused, already past target, or when the calendar has too little working
    time left in its horizon to reach the target: the clock then has no breach time). ``fraction_left`` is ``remaining /
    target`` (negative once breached).
    """

    target_minutes: float
    elapsed_minutes: float
    remaining_minutes: float
    fraction_left: float
    paused: bool
    stopped: bool
    state: SlaState
    due_at: datetime | None


def pauses_from_changes(changes: Sequence[tuple[datetime, bool]]) -> list[Pause]:
    """Pause intervals from time-ordered ``(at, waiting)`` status changes.

    ``waiting`` says whether the status entered at ``at`` stops the clock. Consecutive changes
    with the same flag extend the current interval. Raises ``ValueError`` if out of order.
    """
    pauses: list[Pause] = []
    paused_at: datetime | None = None
    previous: datetime | None = None
    for at, waiting in changes:
        if previous is not None and at < previous:
            raise ValueError(f"status changes must be in time order: {at} after {previous}")
        previous = at
        if waiting and paused_at is None:
            paused_at = at
        elif not waiting and paused_at is not None:
            pauses.append((paused_at, at))
            paused_at = None
    if paused_at is not None:
        pauses.append((paused_at, None))
    return pauses


def working_minutes_excluding(
    cal: Calendar, start: datetime, end: datetime, pauses: Sequence[Pause] = ()
) -> float:
    """Working minutes from ``start`` to ``end`` minus the working time inside ``pauses``.

    Returns 0.0 when ``end`` is not after ``start``. Open pauses run to ``end``.
    """
    if end <= start:
        return 0.0
    clipped = sorted(
        (max(a, start), min(b if b is not None else end, end))
        for a, b in pauses
        if a < end and (b is None or b > start)
    )
    merged: list[tuple[datetime, datetime]] = []
    for a, b in clipped:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    total = working_minutes_between(cal, start, end)
    for a, b in merged:
        total -= working_minutes_between(cal, a, b)
    return total


def _due_at(cal: Calendar, now: datetime, remaining: float) -> datetime | None:
    """When ``remaining`` working minutes from ``now`` run out; None if the calendar's horizon
    ends first (a target of 10,000 h on a calendar with ten minutes of work a week)."""
    if remaining <= 0:
        return now
    try:
        return add_working_minutes(cal, now, remaining)
    except CalendarRangeError:
        return None


def sla_clock(
    cal: Calendar,
    *,
    start: datetime,
    now: datetime,
    target_minutes: float,
    pauses: Sequence[Pause] = (),
    stopped_at: datetime | None = None,
    warn_fraction: float = DEFAULT_WARN_FRACTION,
    adjust_minutes: float = 0.0,
) -> SlaClock:
    """The state of one SLA clock at ``now`` (see the module docstring).

    ``adjust_minutes`` is added to the working minutes the wall clock gives: the caller's
    correction where the clocks changed inside the span (the hour skipped in spring is not
    worked, the hour repeated in autumn is worked twice), which naive times cannot show.

    Raises ``ValueError`` if ``target_minutes`` is not positive or ``warn_fraction`` is outside
    0..1.
    """
    if target_minutes <= 0:
        raise ValueError(f"an SLA target must be positive, got {target_minutes}")
    if not 0.0 <= warn_fraction <= 1.0:
        raise ValueError(f"warn_fraction must be between 0 and 1, got {warn_fraction}")
    end = stopped_at if stopped_at is not None else now
    elapsed = working_minutes_excluding(cal, start, end, pauses) + adjust_minutes
    remaining = target_minutes - elapsed
    fraction = remaining / target_minutes
    paused = stopped_at is None and any(a <= now and (b is None or b > now) for a, b in pauses)
    due_at: datetime | None = None
    if stopped_at is not None:
        state = SlaState.MET if remaining >= 0 else SlaState.BREACHED
    elif remaining < 0:
        state = SlaState.BREACHED
    else:
        state = SlaState.WARNING if fraction < warn_fraction else SlaState.ON_TRACK
        if not paused:
            due_at = _due_at(cal, now, remaining)
    return SlaClock(
        target_minutes=float(target_minutes),
        elapsed_minutes=elapsed,
        remaining_minutes=remaining,
        fraction_left=fraction,
        paused=paused,
        stopped=stopped_at is not None,
        state=state,
        due_at=due_at,
    )
