"""Continuous improvement: items raised from operations signals or ideas, and handovers of
finished projects to the operations processes that will run their results.

Every model carries ``organisation`` so ``core.policy`` can check it directly; editable models
carry ``version`` for optimistic concurrency.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation


class Source(models.TextChoices):
    KPI_SIGNAL = "kpi", "KPI needs attention"
    SLA_TREND = "sla", "Queue missing its SLA"
    ROUTINE_MISSES = "routine", "Routine done late or missed"
    IDEA = "idea", "Idea"


class Effort(models.TextChoices):
    SMALL = "S", "Small"
    MEDIUM = "M", "Medium"
    LARGE = "L", "Large"


EFFORT_WEIGHT = {Effort.SMALL: 1, Effort.MEDIUM: 2, Effort.LARGE: 4}


class ItemStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected"


OPEN_STATUSES = (ItemStatus.NEW, ItemStatus.TRIAGED, ItemStatus.IN_PROGRESS)
# Which status may follow which (the services refuse any other move).
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    ItemStatus.NEW: (ItemStatus.TRIAGED, ItemStatus.REJECTED),
    ItemStatus.TRIAGED: (ItemStatus.IN_PROGRESS, ItemStatus.REJECTED, ItemStatus.NEW),
    ItemStatus.IN_PROGRESS: (ItemStatus.DONE, ItemStatus.TRIAGED, ItemStatus.REJECTED),
    ItemStatus.DONE: (),
    ItemStatus.REJECTED: (ItemStatus.NEW,),
}


class ImprovementItem(models.Model):
    """Something to improve: its problem, where it came from, the evidence when it was raised."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="improvement_items"
    )
    title = models.CharField(max_length=160)
    problem = models.TextField("problem statement")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.IDEA)
    kpi = models.ForeignKey(
        "operations.Kpi", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queue = models.ForeignKey(
        "operations.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    routine = models.ForeignKey(
        "operations.Routine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence = models.TextField(blank=True, help_text="What the signal showed when raised.")
    raised_value = models.FloatField(null=True, blank=True)
    process = models.ForeignKey(
        "operations.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expected_benefit = models.TextField(blank=True)
    benefit = models.PositiveSmallIntegerField(default=3, help_text="1 (little) to 5 (a lot)")
    effort = models.CharField(max_length=1, choices=Effort.choices, default=Effort.MEDIUM)
    status = models.CharField(max_length=12, choices=ItemStatus.choices, default=ItemStatus.NEW)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.TextField(blank=True)
    result_value = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def score(self) -> float:
        """Priority: benefit (1-5) over effort (S=1, M=2, L=4), scaled to 0-100."""
        return round(self.benefit * 20 / EFFORT_WEIGHT[Effort(self.effort)], 1)

    @property
    def score_badge(self) -> str:
        return "green" if self.score >= 40 else "amber" if self.score >= 15 else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class HandoverStatus(models.TextChoices):
    PROPOSED = "proposed", "Awaiting acceptance"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Sent back"


DEFAULT_DELIVERABLES = [
    "Documents and work instructions handed over",
    "Training done",
    "Spare parts stocked",
    "KPIs and SLAs set up in operations",
]


class Handover(models.Model):
    """A project hands its results to an operations process; the process owner accepts them.

    ``deliverables`` is a checklist: ``[{"text": "Training done", "done": true}, ...]``.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="handovers"
    )
    process = models.ForeignKey(
        "operations.Process", on_delete=models.CASCADE, related_name="handovers"
    )
    deliverables = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=HandoverStatus.choices, default=HandoverStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(default=tz.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"Handover of {self.project.name} to {self.process.name}"

    @property
    def status_badge(self) -> str:
        return {"accepted": "green", "returned": "red", "proposed": "amber"}[self.status]

    @property
    def done_count(self) -> int:
        return sum(1 for d in self.deliverables if d.get("done"))


class DeliverableSetting(models.Model):
    """The organisation's handover deliverables: new handovers start with this checklist.

    ``items`` is a list of strings in order; an organisation without a row uses
    ``DEFAULT_DELIVERABLES`` (see ``services.default_deliverables``).
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="handover_deliverables"
    )
    items = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Handover deliverables of {self.organisation_id}"
