"""Custom fields: definitions per organisation (for projects or tasks) and their typed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models

from twofold.accounts.models import Organisation
from twofold.core.dates import format_day


class Kind(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"


class AppliesTo(models.TextChoices):
    PROJECT = "project", "Projects"
    TASK = "task", "Tasks"


class FieldDefinition(models.Model):
    """A field an organisation adds to its projects or tasks, e.g. "Customer" or "Cost centre"."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="field_definitions"
    )
    applies_to = models.CharField(max_length=10, choices=AppliesTo.choices)
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    order = models.IntegerField(default=0)
    show_on_cards = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["applies_to", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "applies_to", "name"], name="fielddef_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FieldValue(models.Model):
    """The value of one field on one project or task (one typed column is used per kind)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    definition = models.ForeignKey(FieldDefinition, on_delete=models.CASCADE, related_name="values")
    target_kind = models.CharField(max_length=10, choices=AppliesTo.choices)
    target_id = models.PositiveBigIntegerField()
    text_value = models.TextField(blank=True)
    number_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    date_value = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["definition", "target_id"], name="fieldvalue_unique")
        ]
        indexes = [models.Index(fields=["target_kind", "target_id"])]

    def __str__(self) -> str:
        return f"{self.definition_id}={self.display}"

    @property
    def value(self) -> str | Decimal | dt.date | None:
        kind = self.definition.kind
        if kind == Kind.NUMBER:
            return self.number_value
        if kind == Kind.DATE:
            return self.date_value
        return self.text_value or None

    @property
    def display(self) -> str:
        value = self.value
        if value is None:
            return ""
        if isinstance(value, Decimal):
            text = format(value.normalize(), "f")
            return text
        if isinstance(value, dt.date):
            return format_day(value)
        return str(value)
