"""Date filters in the organisation's format and the viewer's zone (built in to every template).

``{{ d|day }}`` 31 Dec 2026 · ``{{ d|day_short }}`` 31 Dec · ``{{ d|day_or_short }}`` 31 Dec this
year, 7 Jan 2027 outside it · ``{{ t|daytime }}`` 31 Dec 2026, 14:05
· ``{{ d|month }}`` Dec 2026. ``"weekday"`` as argument prefixes the day name: ``|day:"weekday"``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from twofold.core import dates

register = template.Library()

_DATE_TYPES = (dt.date, dt.datetime)


def _ok(value: Any) -> bool:
    return isinstance(value, _DATE_TYPES)


@register.filter
def day(value: Any, arg: str = "") -> str:
    return dates.format_day(value, weekday=arg == "weekday") if _ok(value) else ""


@register.filter
def iso_day(value: Any) -> str:
    """A date, or an ISO date or date-time text (kept in JSON results), as ``day`` writes it:
    pages showed "2027-02-01" where the organisation writes "1 Feb 2027"."""
    if value is None or value == "":
        return ""
    if _ok(value):
        return day(value)
    try:
        parsed = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return dates.format_day(parsed)


@register.filter
def day_short(value: Any, arg: str = "") -> str:
    return dates.format_day_short(value, weekday=arg == "weekday") if _ok(value) else ""


@register.filter
def day_or_short(value: Any, arg: str = "") -> str:
    """``day_short`` in the current year, ``day`` (with the year) outside it."""
    return dates.format_day_or_short(value, weekday=arg == "weekday") if _ok(value) else ""


@register.filter
def daytime(value: Any, arg: str = "") -> str:
    if isinstance(value, dt.datetime):
        return dates.format_daytime(value, weekday=arg == "weekday")
    return dates.format_day(value, weekday=arg == "weekday") if _ok(value) else ""


@register.filter
def month(value: Any) -> str:
    return dates.format_month(value) if _ok(value) else ""


@register.simple_tag
def date_format_js() -> str:
    return dates.date_format_js()
