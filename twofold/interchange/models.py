"""Interchange: calendar feed subscriptions (secret URLs a calendar app polls) and Microsoft
Project (MSPDI) uploads with the link from an imported project to its file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.projects.models import Project


class FeedKind(models.TextChoices):
    PERSON = "person", "My work"
    PROJECT = "project", "Project milestones and gates"


class CalendarFeed(models.Model):
    """An iCalendar subscription URL. Only a hash of its secret is kept: the URL is shown once."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    kind = models.CharField(max_length=8, choices=FeedKind.choices)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=tz.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "organisation"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} feed {self.prefix}…"

    @property
    def label(self) -> str:
        return self.project.name if self.project_id and self.project else "My work"


class UploadStatus(models.TextChoices):
    PREVIEWING = "previewing", "Reading the file"
    READY = "ready", "Ready to import"
    FAILED = "failed", "Cannot be imported"
    IMPORTING = "importing", "Importing"
    IMPORTED = "imported", "Imported"


class MspdiUpload(models.Model):
    """A Microsoft Project (MSPDI) file a person uploaded: its preview, then its import.

    ``data`` is the file, zlib-compressed (kept until the import is applied or abandoned);
    ``preview`` is what the page shows before anything is created (see ``mspdi_import``).
    Only the person who uploaded it sees it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mspdi_uploads"
    )
    file_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    data = models.BinaryField(editable=False)
    guid = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=10, choices=UploadStatus.choices, default=UploadStatus.PREVIEWING
    )
    preview = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "organisation", "-created_at"])]

    def __str__(self) -> str:
        return self.file_name


class ImportedProject(models.Model):
    """Where a project came from: the MSPDI file's GUID and each file task UID's task.

    A later upload of a file with the same GUID updates this project (tasks matched by UID).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="mspdi_source")
    guid = models.CharField(max_length=64, blank=True)
    file_name = models.CharField(max_length=200)
    calendar = models.ForeignKey(
        "calendars.Calendar", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uid_map = models.JSONField(default=dict, help_text="File task UID (text) → task id.")
    updated_at = models.DateTimeField(default=tz.now)

    class Meta:
        indexes = [models.Index(fields=["organisation", "guid"])]

    def __str__(self) -> str:
        return f"{self.project_id} from {self.file_name}"


class SheetUpload(models.Model):
    """A spreadsheet (CSV or XLSX) of tasks a person uploaded: its columns, the mapping of
    columns to task fields they chose, then its import into a project.

    ``data`` is the table read from the file (JSON, zlib-compressed; emptied once imported); ``project`` is the project
    the tasks are appended to, or None for a new project. Only the person who uploaded it sees it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sheet_uploads"
    )
    file_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    data = models.BinaryField(editable=False)
    columns = models.JSONField(default=list, help_text="The header row's names.")
    mapping = models.JSONField(default=dict, help_text="Task field → column index (or null).")
    row_count = models.PositiveIntegerField(default=0)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    imported_project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=tz.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "organisation", "-created_at"])]

    def __str__(self) -> str:
        return self.file_name


# Webhooks live in their own module; importing them here registers them with the app.
from twofold.interchange.webhooks.models import (  # noqa: E402, F401
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
