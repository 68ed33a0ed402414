"""The viewer's dates: one organisation date format and the viewer's time zone, per request.

``DateFormatMiddleware`` activates, for each request, the viewer's time zone (their own, else
their organisation's) and the organisation's date format. Templates then write
``{{ value|day }}``, ``|day_short``, ``|daytime``, ``|month`` (built-in filters, see
``core.templatetags.twofold_dates``) and Python writes ``format_day(value)``; charts read the
same patterns from ``date_format_js()``.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.utils import dateformat, timezone, translation

DEFAULT_FORMAT = "d_mon_y"


@dataclass(frozen=True)
class DatePatterns:
    """Django ``date`` filter patterns for one organisation format."""

    day: str  # a full date: 31 Dec 2026
    day_short: str  # a date in a known year (lists, axes): 31 Dec
    month: str  # a month: Dec 2026
    js: str  # tokens for the chart scripts: d, dd, mm, mon, yyyy


PATTERNS: dict[str, DatePatterns] = {
    "d_mon_y": DatePatterns("j M Y", "j M", "M Y", "d mon yyyy"),
    "dd/mm/yyyy": DatePatterns("d/m/Y", "d/m", "m/Y", "dd/mm/yyyy"),
    "mm/dd/yyyy": DatePatterns("m/d/Y", "m/d", "m/Y", "mm/dd/yyyy"),
    "yyyy-mm-dd": DatePatterns("Y-m-d", "m-d", "Y-m", "yyyy-mm-dd"),
}
TIME = "H:i"

_active: ContextVar[str] = ContextVar("twofold_date_format", default=DEFAULT_FORMAT)


def activate_format(name: str) -> None:
    """Use ``name`` (a ``DateFormat`` value) for the rest of this request or thread."""
    _active.set(name if name in PATTERNS else DEFAULT_FORMAT)


def active_format() -> str:
    return _active.get()


def patterns() -> DatePatterns:
    return PATTERNS[_active.get()]


def zone_or_none(name: str) -> zoneinfo.ZoneInfo | None:
    """The time zone called ``name``, or None for blank or unknown names (cached by zoneinfo)."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _local(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _weekday(value: dt.date | dt.datetime, text: str, weekday: bool) -> str:
    return f"{dateformat.format(value, 'D')} {text}" if weekday else text


def format_day(value: dt.date | dt.datetime | None, weekday: bool = False) -> str:
    """A date in the organisation's format (an aware datetime: its local date)."""
    if value is None:
        return ""
    return _day(_local_date(value), patterns().day, translation.get_language(), weekday)


def format_day_short(value: dt.date | dt.datetime | None, weekday: bool = False) -> str:
    """A date without its year, in the organisation's order (for lists within one year)."""
    if value is None:
        return ""
    return _day(_local_date(value), patterns().day_short, translation.get_language(), weekday)


def format_day_or_short(value: dt.date | dt.datetime | None, weekday: bool = False) -> str:
    """A date without its year when it falls in the current year, else with it (for long
    plans: "Mon 28 Sep" this year, "Thu 7 Jan 2027" the next)."""
    if value is None:
        return ""
    local = _local_date(value)
    if local.year == timezone.localdate().year:
        return format_day_short(local, weekday)
    return format_day(local, weekday)


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    local = _local(value)
    return local.date() if isinstance(local, dt.datetime) else local


@functools.lru_cache(maxsize=8192)
def _day(day: dt.date, pattern: str, language: str | None, weekday: bool) -> str:
    """A day's text (the day patterns use only the date): formatted once per process."""
    del language  # part of the key: dateformat reads the active language itself
    return _weekday(day, dateformat.format(day, pattern), weekday)


def format_daytime(value: dt.datetime | None, weekday: bool = False) -> str:
    """A moment: local date in the organisation's format and the 24-hour local time."""
    if value is None:
        return ""
    value = _local(value)  # type: ignore[assignment]
    if isinstance(value, dt.datetime):
        # The text depends only on the local wall-clock minute, the pattern and the language
        # (month and weekday names): each such moment is formatted once per process, not on
        # every page that lists it (a history of 20 entries spent ~1 ms here).
        wall = value.replace(tzinfo=None, second=0, microsecond=0)
        return _daytime(wall, patterns().day, translation.get_language(), weekday)
    text = f"{dateformat.format(value, patterns().day)}, {dateformat.format(value, TIME)}"
    return _weekday(value, text, weekday)


def moment_writer() -> Callable[[dt.datetime], tuple[str, str]]:
    """For a list of moments in one request: ``write(value)`` gives the ISO text of the local
    moment (what ``|date:'c'`` writes) and :func:`format_daytime`'s text, with the time zone,
    pattern and language read once instead of per moment."""
    zone = timezone.get_current_timezone()
    text = daytime_writer()

    def write(value: dt.datetime) -> tuple[str, str]:
        if value.utcoffset() is not None:
            value = value.astimezone(zone)
        return value.isoformat(), text(value)

    return write


def daytime_writer(weekday: bool = False) -> Callable[[dt.datetime], str]:
    """For a list of moments in one request: :func:`format_daytime` with the time zone,
    pattern and language read once instead of per moment."""
    zone = timezone.get_current_timezone()
    pattern = patterns().day
    language = translation.get_language()

    def write(value: dt.datetime) -> str:
        if value.utcoffset() is not None:
            value = value.astimezone(zone)
        wall = value.replace(tzinfo=None, second=0, microsecond=0)
        return _daytime(wall, pattern, language, weekday)

    return write


@functools.lru_cache(maxsize=8192)
def _daytime(wall: dt.datetime, pattern: str, language: str | None, weekday: bool) -> str:
    del language  # part of the key: dateformat reads the active language itself
    text = f"{dateformat.format(wall, pattern)}, {dateformat.format(wall, TIME)}"
    return _weekday(wall, text, weekday)


def format_month(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return dateformat.format(_local(value), patterns().month)


def date_format_js() -> str:
    """The active format as tokens the chart scripts understand (``data-date-format``)."""
    return patterns().js


def require_day_in_range(value: dt.date | None, field: str) -> None:
    """Refuse a day outside the years the calendars cover (1980-2149), naming ``field``: the
    rule every service applies, so a page, a CSV import and the API agree (until 2026-12-05
    several pages took year 1 or 9999 where the API refused it; an expense in year 1 made a
    project's earned-value curve 105,714 weeks long)."""
    from twofold.core.errors import Invalid
    from twofold.engine.calendars import HORIZON_END, HORIZON_START

    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not HORIZON_START <= day < HORIZON_END:
        last = HORIZON_END - dt.timedelta(days=1)
        raise Invalid(
            f"Choose a date between {format_day(HORIZON_START)} and {format_day(last)}.",
            field=field,
        )
