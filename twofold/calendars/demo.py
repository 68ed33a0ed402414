"""Demo working time: the organisation's default calendar with the UK (England and Wales)
public holidays for 2026 and 2027 (Halvorsen Precision is in the UK), and a recurring
Christmas shutdown day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from twofold.accounts.models import Organisation
from twofold.calendars.models import Calendar, Holiday, Repeat
from twofold.calendars.services import ensure_default_calendar

NAME = "Standard (UK)"

UK_HOLIDAYS = [
    ("New Year's Day", dt.date(2026, 1, 1)),
    ("Good Friday", dt.date(2026, 4, 3)),
    ("Easter Monday", dt.date(2026, 4, 6)),
    ("Early May bank holiday", dt.date(2026, 5, 4)),
    ("Spring bank holiday", dt.date(2026, 5, 25)),
    ("Summer bank holiday", dt.date(2026, 8, 31)),
    ("Christmas Day", dt.date(2026, 12, 25)),
    ("Boxing Day (substitute day)", dt.date(2026, 12, 28)),
    ("New Year's Day", dt.date(2027, 1, 1)),
    ("Good Friday", dt.date(2027, 3, 26)),
    ("Easter Monday", dt.date(2027, 3, 29)),
    ("Early May bank holiday", dt.date(2027, 5, 3)),
    ("Spring bank holiday", dt.date(2027, 5, 31)),
    ("Summer bank holiday", dt.date(2027, 8, 30)),
    ("Christmas Day (substitute day)", dt.date(2027, 12, 27)),
    ("Boxing Day (substitute day)", dt.date(2027, 12, 28)),
]
"""gov.uk's bank holidays for England and Wales, 2026-2027."""


def load(organisation: Organisation, people: Any = None) -> str:
    """Make the organisation's default calendar the UK standard week with its holidays."""
    calendar = ensure_default_calendar(organisation)
    if not Calendar.objects.filter(organisation=organisation, name=NAME).exists():
        calendar.name = NAME
        calendar.save(update_fields=["name"])
    rows = [
        Holiday(organisation=organisation, calendar=calendar, name=name, start=day, end=day)
        for name, day in UK_HOLIDAYS
    ]
    rows.append(
        Holiday(
            organisation=organisation,
            calendar=calendar,
            name="Christmas Eve (site closed)",
            start=dt.date(2026, 12, 24),
            end=dt.date(2026, 12, 24),
            repeat=Repeat.YEARLY,
        )
    )
    Holiday.objects.bulk_create(rows)
    return f"calendar {calendar.name} with {len(rows)} holidays"
