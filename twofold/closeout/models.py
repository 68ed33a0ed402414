"""Project close-out: what a handover builds in operations, hypercare, and lessons learned.

This app sits above ``improvement`` (handovers), ``operations``, ``projects``, ``risks`` and
``project_templates``: it writes to each only through their services. Every model carries
``organisation`` so ``core.policy`` can check it directly; editable models carry ``version``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.core.trash import AllRows, LiveChildManager


class PartKind(models.TextChoices):
    """What a handover delivers to operations, in the order the handover page shows them."""

    PROCESS = "process", "Process change"
    ROUTINE = "routine", "Routine"
    KPI = "kpi", "KPI"
    QUEUE = "queue", "Request queue"
    DOCUMENT = "document", "Document"


class DocumentKind(models.TextChoices):
    RUNBOOK = "runbook", "Runbook"
    TRAINING = "training", "Training record"
    OTHER = "other", "Other document"


class HandoverPart(models.Model):
    """One operational deliverable drafted on a handover, built in operations on acceptance.

    ``spec`` holds the values the operations service takes (JSON: dates as ISO text, steps as
    ``[{"text", "evidence"}]``, SLA hours per priority). ``existing_id`` names a routine, KPI or
    queue of the receiving process to change instead of creating a new one. ``result_id`` is the
    operations object made or changed when the handover was accepted.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    handover = models.ForeignKey(
        "improvement.Handover", on_delete=models.CASCADE, related_name="parts"
    )
    kind = models.CharField(max_length=10, choices=PartKind.choices)
    name = models.CharField(max_length=160)
    spec = models.JSONField(default=dict, blank=True)
    existing_id = models.PositiveBigIntegerField(null=True, blank=True)
    attachment = models.ForeignKey(
        "attachments.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)

    # Hidden with its handover's project in the trash, as the handover is (the API still
    # changed and removed them until 2026-12-06).
    objects = LiveChildManager("handover__project")
    all_objects = AllRows()

    class Meta:
        ordering = ["handover_id", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class OriginAction(models.TextChoices):
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    DOCUMENT = "document", "Document handed over"


class Origin(models.Model):
    """Where an operations object came from: "Created by handover of <project>".

    A generic link (content type + id) so ``operations`` keeps no foreign key to projects.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    handover = models.ForeignKey(
        "improvement.Handover", on_delete=models.CASCADE, related_name="origins"
    )
    part = models.ForeignKey(
        HandoverPart, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=10, choices=OriginAction.choices)
    at = models.DateTimeField(default=tz.now)

    # Hidden with its project in the trash: the operations pages and the API said "Created by
    # handover of <a project in the trash>" until 2026-12-06.
    objects = LiveChildManager("project")
    all_objects = AllRows()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "part"], name="closeout_origin_once_per_part"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by handover of {self.project_id}"


class Hypercare(models.Model):
    """The weeks after go-live when requests on the handed-over queue also concern the project
    team. ``queue`` is set on acceptance (the queue the handover created or changed)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    handover = models.OneToOneField(
        "improvement.Handover", on_delete=models.CASCADE, related_name="hypercare"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    queue = models.ForeignKey(
        "operations.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    # Hidden with its handover's project in the trash: that project's team kept being told of
    # new requests on the queue (and its badge kept showing) until 2026-12-06.
    objects = LiveChildManager("handover__project")
    all_objects = AllRows()

    def __str__(self) -> str:
        return f"Hypercare {self.starts_on}–{self.ends_on}"


class Lesson(models.Model):
    """A lesson a project learned, and what the organisation did with it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=160)
    worked = models.TextField("what worked", blank=True)
    did_not_work = models.TextField("what did not work", blank=True)
    recommendation = models.TextField(blank=True)
    process = models.ForeignKey(
        "operations.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    template = models.ForeignKey(
        "project_templates.ProjectTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    improvement_item = models.ForeignKey(
        "improvement.ImprovementItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    risk = models.ForeignKey(
        "risks.Risk", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    template_change = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)

    # Hidden with a project in the trash (it stayed in search until 2026-12-05).
    objects = LiveChildManager("project")
    all_objects = AllRows()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def outcomes(self) -> list[str]:
        """What the lesson became, in words (empty while it is only recorded)."""
        out = []
        if self.improvement_item_id:
            out.append("Improvement item")
        if self.risk_id:
            out.append("Risk")
        if self.template_change:
            out.append("Template checklist")
        return out
