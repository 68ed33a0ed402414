"""Continuous improvement: items raised from operations signals or ideas, and handovers of
finished projects to the operations processes that will run their results.

Every model carries ``organisation`` so ``core.policy`` can check it directly; editable models
carry ``version`` for optimistic concurrency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.core.trash import AllRows, LiveChildManager, Trashable

if TYPE_CHECKING:
    from twofold.projects.models import Project


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


class ImprovementItem(Trashable):
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
    # PDCA / A3 record (the problem statement above is "Plan: problem").
    root_cause = models.TextField(blank=True)
    countermeasure = models.TextField(blank=True)
    check_notes = models.TextField("check", blank=True, help_text="What the data showed.")
    act = models.TextField(blank=True, help_text="Standardise, adjust or abandon.")
    # The day the countermeasure went live on the process: its KPIs get a change point there.
    go_live = models.DateField(null=True, blank=True)
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

    @property
    def live_project(self) -> Project | None:
        """The item's project unless it is in the trash: pages and the API neither show nor
        link a project in the trash (its page answers 404). ``project_id`` keeps it, so the
        item still has a project (and gets it back with a restore)."""
        if self.project_id is None:
            return None
        project = self.project
        return project if project is not None and project.deleted_at is None else None


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
    # Empty while the handover goes to a process that does not exist yet: the ``new_process_*``
    # fields hold its draft, and acceptance creates it and sets ``process``.
    process = models.ForeignKey(
        "operations.Process",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="handovers",
    )
    new_process_name = models.CharField(max_length=120, blank=True)
    new_process_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    new_process_description = models.TextField(blank=True)
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

    # Hidden with a project in the trash, as every page, list and feed promises (they stayed in
    # My work, the activity feed and the handover page until 2026-12-05); and with a receiving
    # process in the trash, as a project's process links are (a handover to a new process, not
    # created yet, has none and stays).
    objects = LiveChildManager("project", "process")
    all_objects = AllRows()

    class Meta:
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"Handover of {self.project.name} to {self.receiving_name}"

    @property
    def creates_process(self) -> bool:
        """The handover goes (or went) to a process it creates on acceptance."""
        return bool(self.new_process_name)

    @property
    def receiving_name(self) -> str:
        """The receiving process's name, or the drafted new one's ("Kitting (new process)")."""
        if self.process_id is not None:
            return self.process.name  # type: ignore[union-attr]
        return f"{self.new_process_name or 'a new process'} (new process)"

    @property
    def receiving_owner_id(self) -> int | None:
        """Who accepts as process owner: the process's owner, or the new process's."""
        if self.process_id is not None:
            return self.process.owner_id  # type: ignore[union-attr]
        return self.new_process_owner_id

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


class ProcessChange(models.Model):
    """A project that changes an operations process, going live on it on ``go_live``.

    On go-live the process's KPIs get a change point (``operations.ChangePoint``, source
    "project"), so their charts compare the process before and after the project.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="process_changes"
    )
    process = models.ForeignKey(
        "operations.Process", on_delete=models.CASCADE, related_name="project_changes"
    )
    go_live = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)

    # Hidden while its project or process is in the trash (the API still answered a trashed
    # project's link, and the process page listed it), back with a restore.
    objects = LiveChildManager("project", "process")
    all_objects = AllRows()

    class Meta:
        ordering = ["go_live", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "process"], name="process_change_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} changes {self.process_id}"
