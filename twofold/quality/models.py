"""Quality records: nonconformances and their corrective and preventive actions (CAPA).

A nonconformance is opened by a deviation found in operations (a reading outside a step's
limits, a failed check, a missed occurrence of a critical routine, a breached SLA on a queue
that asks for it) or by a person. It is contained at once, its root cause is found, actions
with an owner and a due date correct it and prevent it from coming back, the process owner
verifies that they worked and closes it. Every row carries ``organisation`` for the policy.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.operations.models import Occurrence, Process, Request, Routine, RoutineStep


class Severity(models.TextChoices):
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


SEVERITY_BADGE = {Severity.MINOR: "", Severity.MAJOR: "amber", Severity.CRITICAL: "red"}


class Source(models.TextChoices):
    OUT_OF_LIMITS = "out_of_limits", "Reading outside limits"
    FAILED_CHECK = "failed_check", "Failed check"
    MISSED_ROUTINE = "missed_routine", "Critical routine missed"
    SLA_BREACH = "sla_breach", "SLA breached"
    MANUAL = "manual", "Raised by hand"


class NcStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Nonconformance(models.Model):
    """A deviation from a requirement, followed up until its actions are verified effective.

    ``source_key`` names the record that produced it ("occurrence:12:step:5", "request:7"), so
    that the same deviation reported twice (a rerun, a second worker) opens one, not two.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="nonconformances"
    )
    number = models.PositiveIntegerField(editable=False)
    process = models.ForeignKey(
        Process, null=True, blank=True, on_delete=models.SET_NULL, related_name="nonconformances"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MINOR)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    source_key = models.CharField(max_length=80, blank=True, editable=False)
    occurrence = models.ForeignKey(
        Occurrence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step = models.ForeignKey(
        RoutineStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    routine = models.ForeignKey(
        Routine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request = models.ForeignKey(
        Request, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reading = models.FloatField(null=True, blank=True, editable=False)
    raised_at = models.DateTimeField(default=tz.now)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    containment = models.TextField("containment action", blank=True)
    root_cause = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=NcStatus.choices, default=NcStatus.OPEN)
    verified_on = models.DateField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verification = models.TextField("verification result", blank=True)
    effective = models.BooleanField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="nc_unique_number"),
            models.UniqueConstraint(
                fields=["organisation", "source_key"],
                condition=~Q(source_key=""),
                name="nc_unique_source",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status", "process"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        return f"NC-{self.number:04d}"

    @property
    def is_open(self) -> bool:
        return self.status == NcStatus.OPEN

    @property
    def severity_badge(self) -> str:
        return SEVERITY_BADGE.get(Severity(self.severity), "")

    @property
    def verification_state(self) -> str:
        """not_verified, effective, not_effective, or needed_again (an action was added,
        reopened or done after the last verification, which stays on record)."""
        if self.verified_on is None:
            return "not_verified"
        if self.effective is None:
            return "needed_again"
        return "effective" if self.effective else "not_effective"


class ActionKind(models.TextChoices):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class CapaAction(models.Model):
    """A corrective or preventive action of a nonconformance, with an owner and a due date."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    nonconformance = models.ForeignKey(
        Nonconformance, on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(
        max_length=10, choices=ActionKind.choices, default=ActionKind.CORRECTIVE
    )
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=6, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    done_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=tz.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = "CAPA action"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} action: {self.description}"

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN
