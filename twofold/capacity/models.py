"""Capacity: people's availability (working patterns and absences), per organisation.

How the hours are counted lives in ``twofold.engine.availability``; these rows are its input.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from twofold.accounts.models import Organisation
from twofold.core import dates

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOUR_FIELDS = tuple(f"{d}_hours" for d in WEEKDAYS)

_HOURS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(24))]


def _hours(default: int) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal(default), validators=_HOURS
    )


class WorkingPattern(models.Model):
    """A person's hours per weekday in one organisation, from ``effective_from`` on.

    Part-time is a pattern with fewer hours (4 × 8 h, or 5 × 6 h). A later pattern takes over
    on its date; before a person's first pattern, the first one holds; a person with none works
    the standard week (8 h Monday to Friday).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_patterns"
    )
    effective_from = models.DateField()
    mon_hours = _hours(8)
    tue_hours = _hours(8)
    wed_hours = _hours(8)
    thu_hours = _hours(8)
    fri_hours = _hours(8)
    sat_hours = _hours(0)
    sun_hours = _hours(0)
    note = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["person_id", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "person", "effective_from"],
                name="pattern_unique_start",
            )
        ]

    def __str__(self) -> str:
        return f"Working pattern from {dates.format_day(self.effective_from)}"

    @property
    def hours(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, name)) for name in HOUR_FIELDS)

    @property
    def weekly_hours(self) -> float:
        return sum(self.hours)


class AbsenceKind(models.TextChoices):
    HOLIDAY = "holiday", "Holiday"
    SICKNESS = "sickness", "Sickness"
    TRAINING = "training", "Training"
    OTHER = "other", "Other"


class Absence(models.Model):
    """A person away from ``start`` to ``end`` (both included); a half day is one date only."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    kind = models.CharField(max_length=16, choices=AbsenceKind.choices, default=AbsenceKind.HOLIDAY)
    start = models.DateField()
    end = models.DateField()
    half_day = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [
            models.Index(fields=["organisation", "person", "start"], name="absence_by_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.span_label}"

    @property
    def span_label(self) -> str:
        if self.start == self.end:
            return f"{dates.format_day(self.start)}" + (" (half day)" if self.half_day else "")
        return f"{dates.format_day_short(self.start)} – {dates.format_day(self.end)}"

    @property
    def calendar_days(self) -> int:
        return (self.end - self.start).days + 1

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end
