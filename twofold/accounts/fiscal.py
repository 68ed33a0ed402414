"""An organisation's fiscal years (its ``fiscal_year_start_month``): shared by the costs
(process budgets by fiscal year) and operations (the process page's budget) apps."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from twofold.accounts.models import Organisation
from twofold.core import dates


def fiscal_year_of(organisation: Organisation, day: dt.date) -> int:
    """The fiscal year ``day`` falls in, named by the calendar year it starts in."""
    start_month = organisation.fiscal_year_start_month or 1
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year_bounds(organisation: Organisation, fiscal_year: int) -> tuple[dt.date, dt.date]:
    """First and last day of the fiscal year that starts in ``fiscal_year``."""
    start_month = organisation.fiscal_year_start_month or 1
    start = dt.date(fiscal_year, start_month, 1)
    end = dt.date(fiscal_year + 1, start_month, 1) - dt.timedelta(days=1)
    return start, end


def fiscal_year_label(organisation: Organisation, fiscal_year: int) -> str:
    """``2026`` for a calendar fiscal year, ``2026/27`` when it straddles two years."""
    if (organisation.fiscal_year_start_month or 1) == 1:
        return str(fiscal_year)
    return f"{fiscal_year}/{(fiscal_year + 1) % 100:02d}"


def today_of(organisation: Organisation, now: dt.datetime | None = None) -> dt.date:
    """``now`` (default: the present) as a date in the organisation's time zone."""
    zone = dates.zone_or_none(organisation.timezone) or dt.UTC
    return (now or timezone.now()).astimezone(zone).date()


def current_fiscal_year(organisation: Organisation, now: dt.datetime | None = None) -> int:
    """The fiscal year of today (or of ``now``) in the organisation's time zone."""
    return fiscal_year_of(organisation, today_of(organisation, now))
