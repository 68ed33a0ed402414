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
    # The most a person can be assigned to one task, in percent of their day (MS Project's
    # "max units"): 100 for most, 50 for someone who gives half their time to the pool.
    max_units = models.PositiveIntegerField(
        default=100, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
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


class Reservation(models.Model):
    """A standing share of people's time held back, e.g. "30 % on-call for Line 2".

    For one person, or for every member of a team, from ``start`` to ``end`` (both included; no
    end: open-ended). It takes ``percent`` of each day's *available* hours (after holidays and
    absences), so it shrinks with a part-time pattern and vanishes on leave. The reservations a
    person is under never add up to more than 100 % on any day.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="capacity_reservations",
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="capacity_reservations",
    )
    label = models.CharField(max_length=120)
    percent = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) ^ models.Q(team__isnull=False),
                name="reservation_person_or_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.percent} % {self.label}"

    @property
    def span_label(self) -> str:
        if self.end is None:
            return f"from {dates.format_day(self.start)}"
        return f"{dates.format_day_short(self.start)} – {dates.format_day(self.end)}"


class QueueWorkload(models.Model):
    """The mean handling time of one request of a queue (operations), for the capacity model.

    The queue's expected load is its forecast arrivals × this time, shared by its process's team.
    A queue without a row counts :data:`DEFAULT_HANDLING_MINUTES`.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    queue = models.OneToOneField(
        "operations.Queue", on_delete=models.CASCADE, related_name="capacity_workload"
    )
    handling_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.handling_minutes} min a request"


DEFAULT_HANDLING_MINUTES = 30


class DataStamp(models.Model):
    """One row whose ``value`` database triggers re-draw on every change to an input of the
    capacity model (see ``capacity.stamp``): the key under which computed grids are kept."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Capacity data stamp {self.value}"
