"""When routines fall due: RFC 5545 recurrence rules (python-dateutil), shifted to working days.

Pure functions, no Django. Rules and times are in **naive local time** (the organisation's wall
clock): a routine "every Monday at 09:00" is due at 09:00 local time whether or not summer time is
in force; :func:`due_instants` attaches the time zone last, so across a DST change the UTC instant
moves by an hour and the local time stays 09:00. A local time that does not exist (skipped by the
spring change) resolves forward via ``zoneinfo``'s ``fold=0`` rule.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

__all__ = ["Shift", "due_dates", "due_instants", "parse_rule"]

MAX_SHIFT_DAYS = 31


class Shift(StrEnum):
    """What to do when a rule lands on a non-working day."""

    NONE = "none"
    NEXT = "next"  # move to the next working day
    PREVIOUS = "previous"  # move to the previous working day (e.g. "last working day of month")


def parse_rule(text: str, dtstart: date) -> rrule:
    """The rule for ``text`` (an RRULE value such as ``FREQ=WEEKLY;BYDAY=MO,WE``).

    Raises ``ValueError`` with a readable message when the rule cannot be used.
    """
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "FREQ=" not in text.upper():
        raise ValueError("A recurrence rule needs a FREQ, e.g. FREQ=WEEKLY;BYDAY=MO.")
    if "DTSTART" in text.upper() or "\n" in text:
        raise ValueError("Give only the RRULE part; the start date is a separate field.")
    start = datetime.combine(dtstart, time())
    try:
        rule = rrulestr(text, dtstart=start)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Not a valid recurrence rule: {exc}") from None
    if not isinstance(rule, rrule):  # pragma: no cover - rrulestr returns a set only for EXDATEs
        raise ValueError("Give a single RRULE.")
    return rule


def due_dates(
    text: str,
    dtstart: date,
    first: date,
    last: date,
    *,
    shift: Shift = Shift.NONE,
    is_working_day: Callable[[date], bool] | None = None,
) -> list[date]:
    """Dates from ``first`` to ``last`` (inclusive) on which the rule falls due, after shifting.

    Shifting moves a date on a non-working day to the next or previous working day (up to 31 days;
    beyond that the date is dropped); two rule dates shifted onto the same day give one due date.
    """
    rule = parse_rule(text, dtstart)
    # Look a little beyond the window so a date shifted into it is not lost.
    margin = timedelta(days=MAX_SHIFT_DAYS if shift is not Shift.NONE else 0)
    lo = datetime.combine(first - margin, time())
    hi = datetime.combine(last + margin, time())
    found: set[date] = set()
    for moment in rule.between(lo, hi, inc=True):
        day = moment.date()
        if shift is not Shift.NONE and is_working_day is not None:
            step = timedelta(days=1 if shift is Shift.NEXT else -1)
            for _ in range(MAX_SHIFT_DAYS):
                if is_working_day(day):
                    break
                day += step
            else:
                continue
        if first <= day <= last:
            found.add(day)
    return sorted(found)


def due_instants(
    text: str,
    dtstart: date,
    due_time: time,
    first: date,
    last: date,
    zone: str,
    *,
    shift: Shift = Shift.NONE,
    is_working_day: Callable[[date], bool] | None = None,
) -> list[datetime]:
    """Aware due date-times: each due date at ``due_time`` local time in ``zone``."""
    tz = ZoneInfo(zone)
    return [
        datetime.combine(day, due_time).replace(tzinfo=tz)
        for day in due_dates(text, dtstart, first, last, shift=shift, is_working_day=is_working_day)
    ]
