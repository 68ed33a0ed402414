"""Working time: the organisation's calendars, shared by projects and operations.

A :class:`Calendar` is a weekly pattern of working periods plus :class:`Holiday` rows (single
days, ranges, and yearly recurring dates); it may derive from a base calendar, inheriting the
weekdays it does not define and every holiday of the base. ``twofold.calendars.working_time``
is the one adapter from these rows to the engine's ``CalendarSpec``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from twofold.accounts.models import Organisation


class Calendar(models.Model):
    """A working-time calendar of an organisation (one of them is the default).

    ``hours`` maps weekday ("0" = Monday .. "6" = Sunday) to ``[["08:00", "12:00"], ...]``; an
    empty list is a day off. In a derived calendar (``base`` set) a weekday missing from
    ``hours`` is as in the base.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="calendars"
    )
    name = models.CharField(max_length=80)
    hours = models.JSONField(default=dict)
    base = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived"
    )
    is_default = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    # New on every change of what the calendar means (its hours, holidays or base, or its base's):
    # compiled calendars are cached per process under (id, revision).
    revision = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="calendar_unique_name"),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(is_default=True),
                name="calendar_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Repeat(models.TextChoices):
    """How a holiday recurs."""

    ONCE = "once", "Once"
    YEARLY = "yearly", "Every year on the same date"
    YEARLY_WEEKDAY = "yearly_weekday", "Every year on the same weekday of the month"


class Holiday(models.Model):
    """Days off (or days with other working hours) of a calendar: ``start``..``end`` inclusive.

    ``repeat`` makes it recur every year from ``start`` (until ``until`` if set): on the same
    date (25 Dec), or on the same weekday of the month (``week_of_month`` 1-4, or 5 = the last:
    "last Monday of May"). ``hours`` empty means no work on those days; otherwise they are the
    working periods of those days (a short day before a holiday).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    name = models.CharField(max_length=120)
    start = models.DateField()
    end = models.DateField()
    repeat = models.CharField(max_length=16, choices=Repeat.choices, default=Repeat.ONCE)
    week_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    hours = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["start", "name"]

    def __str__(self) -> str:
        return self.name
