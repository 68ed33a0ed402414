"""Costs: the organisation's currency, cost rates, timesheets (time entries), a running timer,
expenses and process budgets per fiscal year.

Money is a ``Decimal`` with two places in the organisation's currency (``CostSettings``). Time is
logged as hours per day on a *line*: a project task, a routine occurrence, a request or a process
("process: general"). An entry's ``project``/``process`` is denormalised from its line so that
approval queues and actuals need no joins through tasks, routines or queues.

Approved entries are locked: a change to an approved day is a new *correction* entry (its hours
may be negative, the day's total may not) that goes through approval again.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz

from twofold.accounts.models import Organisation


class CostSettings(models.Model):
    """An organisation's currency (ISO 4217) and the locale its amounts are written in."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="cost_settings"
    )
    currency = models.CharField(max_length=3, default="EUR")
    locale = models.CharField(max_length=10, default="en-GB")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "cost settings"

    def __str__(self) -> str:
        return f"{self.currency} ({self.locale})"


class Rate(models.Model):
    """An hourly cost rate of a person, or of a role (everyone whose job title is ``role``),
    in force from ``effective_from`` until the next rate of the same person or role.

    Hours beyond a person's working day on an overtime line cost ``hourly × overtime_factor``.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(max_length=120, blank=True, help_text="A job title, e.g. “Engineer”.")
    hourly = models.DecimalField("hourly rate", max_digits=10, decimal_places=2)
    overtime_factor = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("1.00"), help_text="e.g. 1.5"
    )
    effective_from = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["role", "person_id", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(role=""))
                | (Q(person__isnull=True) & ~Q(role="")),
                name="rate_person_or_role",
            ),
            models.UniqueConstraint(
                fields=["organisation", "person", "effective_from"],
                condition=Q(person__isnull=False),
                name="rate_unique_person_date",
            ),
            models.UniqueConstraint(
                fields=["organisation", "role", "effective_from"],
                condition=Q(person__isnull=True),
                name="rate_unique_role_date",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "effective_from"])]

    def __str__(self) -> str:
        who = self.role or f"person {self.person_id}"
        return f"{who}: {self.hourly}/h from {self.effective_from}"


class EntryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned"


class LineKind(models.TextChoices):
    TASK = "task", "Project task"
    OCCURRENCE = "occurrence", "Routine occurrence"
    REQUEST = "request", "Request"
    PROCESS = "process", "Process: general"


class Timesheet(models.Model):
    """One person's week (``week_start`` is the organisation's first day of the week)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="timesheets"
    )
    week_start = models.DateField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "person", "week_start"], name="timesheet_unique_week"
            )
        ]

    def __str__(self) -> str:
        return f"Timesheet of person {self.person_id}, week of {self.week_start}"


class TimeEntry(models.Model):
    """Hours on one day of one line of a timesheet.

    ``corrects`` is set on a correction of an approved entry (hours may then be negative).
    Deleting for good the task, routine occurrence or request an entry is on keeps the entry on
    its project or process (``SET_NULL``): hours worked and their cost are not lost with it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    timesheet = models.ForeignKey(Timesheet, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    task = models.ForeignKey(
        "projects.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurrence = models.ForeignKey(
        "operations.Occurrence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request = models.ForeignKey(
        "operations.Request", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    process = models.ForeignKey(
        "operations.Process", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    overtime = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.DRAFT)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="corrections"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["day", "id"]
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(fields=["timesheet", "day"]),
            models.Index(fields=["project", "status", "day"]),
            models.Index(fields=["process", "status", "day"]),
            models.Index(fields=["person", "day"]),
            models.Index(fields=["organisation", "status"]),
            # Covers the portfolio's per-project actuals signature (count, hours, latest
            # decision of the approved entries) without reading the rows: 48 -> 20 ms on the
            # large demo's 102,307 entries.
            models.Index(
                fields=["project", "status", "hours", "decided_at"], name="costs_te_project_actuals"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=False) | Q(process__isnull=False),
                name="time_entry_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.hours} h on {self.day} ({self.kind})"

    @property
    def line_key(self) -> str:
        """``kind:id`` of the line (``task:12``, ``process:3``) the grid groups entries by."""
        target = {
            LineKind.TASK: self.task_id,
            LineKind.OCCURRENCE: self.occurrence_id,
            LineKind.REQUEST: self.request_id,
            LineKind.PROCESS: self.process_id,
        }[LineKind(self.kind)]
        return f"{self.kind}:{target or 0}"  # 0: what it was on is deleted (see TimeEntry)


class Timer(models.Model):
    """A person's running timer on a task or a request (one at a time)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(
        "projects.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    request = models.ForeignKey(
        "operations.Request", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField(default=tz.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "person"], name="timer_one_per_person")
        ]

    def __str__(self) -> str:
        return f"Timer of person {self.person_id} since {self.started_at:%H:%M}"


class ExpenseCategory(models.TextChoices):
    MATERIALS = "materials", "Materials"
    EQUIPMENT = "equipment", "Equipment"
    SERVICES = "services", "Services and contractors"
    SOFTWARE = "software", "Software and licences"
    TRAVEL = "travel", "Travel"
    TRAINING = "training", "Training"
    OTHER = "other", "Other"


class Expense(models.Model):
    """Money spent on a project (optionally on one of its tasks) or on a process."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        "projects.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    process = models.ForeignKey(
        "operations.Process", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    spent_on = models.DateField("date")
    category = models.CharField(max_length=12, choices=ExpenseCategory.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    supplier = models.CharField(max_length=160, blank=True)
    description = models.CharField(max_length=200)
    attachment = models.FileField(upload_to="expenses/%Y/%m/", blank=True, max_length=255)
    attachment_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=EntryStatus.choices, default=EntryStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-spent_on", "-id"]
        indexes = [
            models.Index(fields=["project", "status", "spent_on"]),
            models.Index(fields=["process", "status", "spent_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(project__isnull=False) & Q(process__isnull=True))
                | (Q(project__isnull=True) & Q(process__isnull=False)),
                name="expense_project_or_process",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.amount})"


class ProcessBudget(models.Model):
    """A process's budget for one fiscal year (``fiscal_year`` = the year it starts in)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    process = models.ForeignKey(
        "operations.Process", on_delete=models.CASCADE, related_name="fiscal_budgets"
    )
    fiscal_year = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "fiscal_year"], name="process_budget_unique_year"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="process_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year}: {self.amount}"
