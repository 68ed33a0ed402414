"""Reads for calendars, scoped to what the user may see (others' calendars answer 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from twofold.accounts.models import Organisation
from twofold.calendars.models import Calendar, Holiday
from twofold.core.errors import NotFound
from twofold.core.policy import Action, can


def calendars_of(organisation: Organisation) -> QuerySet[Calendar]:
    """The organisation's calendars with their base and holiday counts (one query)."""
    return (
        Calendar.objects.filter(organisation=organisation)
        .select_related("base")
        .annotate(holiday_count=Count("holidays"))
        .order_by("-is_default", "name")
    )


def calendars_with_holidays(organisation: Organisation) -> QuerySet[Calendar]:
    """As :func:`calendars_of`, with the holidays prefetched (two queries)."""
    return calendars_of(organisation).prefetch_related(
        Prefetch("holidays", queryset=Holiday.objects.order_by("start", "name"))
    )


def get_calendar(user: Any, pk: int) -> Calendar:
    """One calendar the user may see, with its organisation and base."""
    calendar = Calendar.objects.select_related("organisation", "base").filter(pk=pk).first()
    if calendar is None or not can(user, Action.VIEW, calendar):
        raise NotFound("Calendar not found.")
    return calendar


def get_holiday(user: Any, pk: int) -> Holiday:
    holiday = (
        Holiday.objects.select_related("calendar", "calendar__organisation").filter(pk=pk).first()
    )
    if holiday is None or not can(user, Action.VIEW, holiday):
        raise NotFound("Holiday not found.")
    return holiday


def holidays_of(calendar: Calendar) -> list[Holiday]:
    return list(calendar.holidays.all())
