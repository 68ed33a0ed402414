"""Change control: change requests on a project, their requested changes, and the change board."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.core.trash import AllRows, LiveChildManager
from twofold.projects.models import Project, Task


class ChangeStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ItemKind(models.TextChoices):
    ADD = "add", "Add a task"
    REMOVE = "remove", "Remove a task"
    RESIZE = "resize", "Resize a task"
    LINK = "link", "Add a dependency"


class ChangeBoardMember(models.Model):
    """A person on the organisation's change board: when the board has members, they (and not
    each project's sponsor) decide change requests."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=tz.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "person"], name="change_board_unique_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} on the change board"


class ChangeRequest(models.Model):
    """A request to change a project's plan: what, why, and (once decided) by whom.

    ``impact`` keeps the diff computed when it was raised (finish, critical path, work, cost,
    BAC before/after), so a decided request shows what was decided on.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    scope_text = models.TextField(blank=True, help_text="Scope statement to append, if any.")
    target_finish = models.DateField(null=True, blank=True)
    budget_change = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PROPOSED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    baseline_number = models.PositiveSmallIntegerField(null=True, blank=True)
    impact = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    # Hidden with its project in the trash, as every page, list, feed and API promises (it
    # stayed readable, commentable and decidable; approving it answered 500), back with a restore.
    objects = LiveChildManager("project")
    all_objects = AllRows()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="change_unique_number")
        ]

    def __str__(self) -> str:
        return f"CR-{self.number} {self.title}"

    @property
    def code(self) -> str:
        return f"CR-{self.number}"


class ChangeItem(models.Model):
    """One requested change: add a task, remove one, resize one, or add a dependency."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=8, choices=ItemKind.choices)
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True)
    parent = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    predecessor = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    days = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name or self.task}"

    @property
    def organisation_id(self) -> int:
        return int(self.change.organisation_id)
