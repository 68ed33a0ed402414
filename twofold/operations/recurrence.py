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

__all__ = ["Shift", "describe", "due_dates", "due_instants", "falls_due_after", "parse_rule"]

MAX_SHIFT_DAYS = 31
MAX_INTERVAL = 1000
FIRST_DUE_WITHIN_YEARS = 5
"""A rule must fall due at least once within this many years of its start date."""
CYCLE_YEARS = 400
"""The Gregorian calendar repeats exactly every 400 years (146 097 days, 20 871 weeks)."""
LAST_YEAR = 9999  # datetime.MAXYEAR
FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
REFUSED_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND", "BYEASTER")
NONZERO_LIMITS = {"BYMONTHDAY": 31, "BYYEARDAY": 366, "BYWEEKNO": 53}
"""RFC 5545 ranges (3.3.10): each value is ±1 to the limit, never 0 (dateutil checks BYSETPOS
itself). dateutil takes BYMONTHDAY=0 and drops the filter, so a "monthly" rule ran daily until 2026-12-05."""


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
    try:
        _check_bounded(text, rule, start)
    except OverflowError:  # a start within a few years of 9999: the probe runs past the calendar
        raise ValueError(
            "The rule cannot be worked out from a start date that late: choose an earlier one."
        ) from None
    return rule


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        key, _, value = chunk.partition("=")
        parts[key.strip().upper()] = value.strip()
    return parts


def _check_ranges(parts: dict[str, str]) -> None:
    for key, limit in NONZERO_LIMITS.items():
        if key not in parts:
            continue
        try:
            values = [int(value) for value in parts[key].split(",")]
        except ValueError:
            raise ValueError(
                f"{key} takes whole numbers from 1 to {limit} or -1 to -{limit}."
            ) from None
        for value in values:
            if value == 0 or abs(value) > limit:
                raise ValueError(
                    f"{key}={value} is not allowed: use 1 to {limit}, or -1 to -{limit} to count "
                    "from the end (RFC 5545)."
                )


def _check_bounded(text: str, rule: rrule, start: datetime) -> None:
    """Refuse rules whose generation would never end or would scan for centuries.

    dateutil steps period by period (a day for DAILY) and only checks UNTIL on a date it yields,
    so a rule that never falls due scans every period up to the year 9999: seconds to hours.
    """
    parts = _parts(text)
    if parts.get("FREQ", "").upper() not in FREQUENCIES:
        raise ValueError(
            "A routine repeats at most daily: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY "
            "(the time of day is the due time)."
        )
    for key in REFUSED_PARTS:
        if key in parts:
            reason = "the time of day is the due time" if key != "BYEASTER" else "not RFC 5545"
            raise ValueError(f"{key} cannot be used: {reason}.")
    _check_ranges(parts)
    try:
        interval = int(parts.get("INTERVAL", "1"))
        count = int(parts.get("COUNT", "1"))
    except ValueError:  # pragma: no cover - rrulestr has parsed them already
        raise ValueError("INTERVAL and COUNT are whole numbers.") from None
    if not 1 <= interval <= MAX_INTERVAL:
        raise ValueError(f"INTERVAL must be a whole number from 1 to {MAX_INTERVAL}.")
    if count < 1:
        raise ValueError("COUNT must be at least 1.")
    # Look for the first date in the same calendar shifted to just before the year 9999, so the
    # scan for a rule that never falls due stops within about 400 years instead of 8000.
    shift = _cycles_before(start.year, LAST_YEAR - FIRST_DUE_WITHIN_YEARS - 1)
    probe = _shifted(rule, start, shift, keep_count=False)
    first = probe.after(_add_years(start, shift), inc=True)
    horizon = _add_years(start, shift) + timedelta(days=366 * FIRST_DUE_WITHIN_YEARS)
    if first is None or first > horizon:
        raise ValueError(
            f"The rule never falls due in the {FIRST_DUE_WITHIN_YEARS} years after the start date."
        )


def _cycles_before(year: int, last: int) -> int:
    """Years (a multiple of 400) to add to ``year`` to come as close to ``last`` as possible."""
    return max(0, (last - year) // CYCLE_YEARS) * CYCLE_YEARS


def _add_years(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)  # a multiple of 400 keeps Feb 29 valid


def _shifted(rule: rrule, start: datetime, years: int, *, keep_count: bool) -> rrule:
    """``rule`` started ``years`` (a multiple of 400) later: the same dates, ``years`` later."""
    until: datetime | None = getattr(rule, "_until", None)
    if until is not None:
        until = _add_years(until, years) if until.year + years <= LAST_YEAR else None
    shifted = _add_years(start, years)
    if keep_count:
        return rule.replace(dtstart=shifted, until=until)
    return rule.replace(dtstart=shifted, until=until, count=None)


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
    # dateutil stops only at the first date past ``hi``; for a rule due rarely that may be
    # centuries of periods away. Run the rule 400-year cycles later, near the year 9999, so the
    # scan ends there at the latest, and move the dates back.
    years = _cycles_before(max(hi.year, dtstart.year), LAST_YEAR - 1)
    start = datetime.combine(dtstart, time())
    bounded = _shifted(rule, start, years, keep_count=True)
    found: set[date] = set()
    for moment in bounded.between(_add_years(lo, years), _add_years(hi, years), inc=True):
        day = _add_years(moment, -years).date()
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


def falls_due_after(text: str, dtstart: date, day: date) -> bool:
    """Whether the rule falls due on a date after ``day`` (before shifting).

    Only a rule with COUNT or UNTIL ends; any other answers True without expanding the rule.
    Raises ``ValueError`` for a rule :func:`parse_rule` refuses.
    """
    parts = _parts(text.strip().removeprefix("RRULE:").removeprefix("rrule:"))
    if "COUNT" not in parts and "UNTIL" not in parts:
        return True
    rule = parse_rule(text, dtstart)
    return rule.after(datetime.combine(day, time.max)) is not None


# --- In words ---------------------------------------------------------------------------------

DAY_NAMES = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
DAY_ORDER = list(DAY_NAMES)
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
GENERIC = "On a custom schedule"
"""What :func:`describe` says of a rule it cannot put into plain words (never the raw rule)."""


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


COUNTED_BACK = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _suffixed(number: int) -> str:
    """1st, 2nd, 11th, 23rd."""
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _ordinal_day(number: int) -> str:
    """A BYMONTHDAY as words. Negative days count back from the month's end, -1 being its last
    day: -2 falls due on the second-to-last day (30 January), one day before the month ends."""
    if number == -1:
        return "the last day"
    if number < 0:
        back = COUNTED_BACK.get(-number) or _suffixed(-number)
        return f"the {back}-to-last day"
    return f"day {number}" if number > 31 else f"the {_suffixed(number)}"


def _byday(value: str) -> list[tuple[int | None, str]] | None:
    """``+2TU,-1FR`` as ``[(2, "TU"), (-1, "FR")]``; None if a part is not a weekday."""
    days: list[tuple[int | None, str]] = []
    for part in value.split(","):
        part = part.strip().upper()
        code, number = part[-2:], part[:-2]
        if code not in DAY_NAMES:
            return None
        if number in ("", "+"):
            days.append((None, code))
        else:
            try:
                days.append((int(number), code))
            except ValueError:
                return None
    return days


def describe(text: str) -> str:
    """A rule in plain words: "Every weekday", "Every Monday and Thursday", "Monthly on the
    first Monday", "Every 2 weeks on Friday", "Daily".

    Engine-free and total: a rule it cannot phrase (or an invalid one) reads "On a custom
    schedule"; the raw RRULE text is never returned.
    """
    raw = text.strip()
    if raw.upper().startswith("RRULE:"):
        raw = raw[6:]
    try:
        parts = {k: v.upper() for k, v in _parts(raw).items() if k}
    except ValueError:  # pragma: no cover - _parts never raises; defensive
        return GENERIC
    freq = parts.pop("FREQ", "")
    if freq not in UNITS:
        return GENERIC
    try:
        interval = int(parts.pop("INTERVAL", "1") or "1")
    except ValueError:
        return GENERIC
    parts.pop("WKST", None)
    tail = ""
    if "COUNT" in parts:
        count = parts.pop("COUNT")
        tail = f", {count} times" if count.isdecimal() else ""
    if "UNTIL" in parts:
        until = parts.pop("UNTIL")[:8]
        if until.isdecimal() and len(until) == 8 and 1 <= int(until[4:6]) <= 12:
            month = MONTH_NAMES[int(until[4:6]) - 1]
            tail += f", until {int(until[6:])} {month} {until[:4]}"
    days = _byday(parts.pop("BYDAY")) if "BYDAY" in parts else []
    if days is None:
        return GENERIC
    monthdays: list[int] = []
    if "BYMONTHDAY" in parts:
        try:
            monthdays = [int(d) for d in parts.pop("BYMONTHDAY").split(",")]
        except ValueError:
            return GENERIC
    months: list[int] = []
    if "BYMONTH" in parts:
        try:
            months = [int(m) for m in parts.pop("BYMONTH").split(",")]
        except ValueError:
            return GENERIC
        if not all(1 <= m <= 12 for m in months):
            return GENERIC
    setpos = parts.pop("BYSETPOS", None)
    if parts:  # anything else (BYWEEKNO, BYYEARDAY, ...) is for experts
        return GENERIC
    unit = UNITS[freq]
    every = "Every" if interval == 1 else f"Every {interval} {unit}s"
    plain_days = [code for n, code in days if n is None]
    numbered = [(n, code) for n, code in days if n is not None]
    phrase = ""
    if freq == "DAILY" and not days and not monthdays:
        phrase = "Daily" if interval == 1 else f"Every {interval} days"
    elif freq in ("DAILY", "WEEKLY") and plain_days and not numbered and not monthdays:
        ordered = sorted(set(plain_days), key=DAY_ORDER.index)
        if freq == "DAILY" and interval != 1:
            return GENERIC
        if ordered == DAY_ORDER[:5]:
            phrase = "Every weekday" if interval == 1 else f"{every} on weekdays"
        elif ordered == DAY_ORDER:
            phrase = "Daily" if interval == 1 else f"{every}, every day"
        else:
            names = _and([DAY_NAMES[c] for c in ordered])
            phrase = f"Every {names}" if interval == 1 else f"{every} on {names}"
    elif freq == "WEEKLY" and not days and not monthdays:
        phrase = "Weekly" if interval == 1 else every
    elif freq in ("MONTHLY", "YEARLY") and not plain_days and (numbered or monthdays):
        if numbered and monthdays:
            return GENERIC
        if numbered:
            if not all(n in ORDINALS for n, _ in numbered):
                return GENERIC
            on = _and([f"the {ORDINALS[n]} {DAY_NAMES[c]}" for n, c in numbered if n is not None])
        else:
            on = _and([_ordinal_day(d) for d in monthdays])
        if freq == "YEARLY" and monthdays and not months:
            # Days of the month with no month named fall due in every month of the year (RFC
            # 5545 expands them so): monthly, and in every month of each n-th year.
            if interval != 1:
                return GENERIC
            freq = "MONTHLY"
        if freq == "MONTHLY":
            lead = "Monthly" if interval == 1 else f"Every {interval} months"
            phrase = f"{lead} on {on}"
        else:
            lead = "Yearly" if interval == 1 else f"Every {interval} years"
            of = f" of {_and([MONTH_NAMES[m - 1] for m in months])}" if months else ""
            phrase = f"{lead} on {on}{of}"
    elif freq == "MONTHLY" and plain_days and setpos and not numbered and not monthdays:
        try:
            position = int(setpos)
        except ValueError:
            return GENERIC
        ordered = sorted(set(plain_days), key=DAY_ORDER.index)
        if position not in ORDINALS:
            return GENERIC
        lead = "Monthly" if interval == 1 else f"Every {interval} months"
        if ordered == DAY_ORDER[:5]:
            phrase = f"{lead} on the {ORDINALS[position]} weekday"
        elif len(ordered) == 1:
            phrase = f"{lead} on the {ORDINALS[position]} {DAY_NAMES[ordered[0]]}"
        else:
            return GENERIC
    elif freq == "MONTHLY" and not days and not monthdays and not months:
        phrase = "Monthly" if interval == 1 else every
    elif freq == "YEARLY" and not days and not monthdays:
        lead = "Yearly" if interval == 1 else every
        phrase = f"{lead} in {_and([MONTH_NAMES[m - 1] for m in months])}" if months else lead
    else:
        return GENERIC
    if months and freq != "YEARLY":
        phrase += f", in {_and([MONTH_NAMES[m - 1] for m in months])}"
    return phrase + tail
