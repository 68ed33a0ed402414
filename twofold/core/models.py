"""Cross-cutting records: the append-only history of changes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class HistoryEntry(models.Model):
    """One change to one object: who, when, what, and each field's value before and after.

    Append-only: services write entries through ``core.history.record``; saving an existing
    entry or deleting one raises.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="history"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # No index on the time alone: with one, PostgreSQL answered "this object's newest entry"
    # (the synced lists' fingerprint) by walking the whole history backwards from the newest
    # entry when the history was concentrated on a few objects (docs/benchmarks-web.md).
    at = models.DateTimeField(default=timezone.now)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(max_length=200)
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"]),
            # The organisation's feeds, newest first (the activity feed, a person's changes).
            models.Index(fields=["organisation", "-at", "-id"], name="core_history_org_at_idx"),
        ]
        verbose_name_plural = "history entries"

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("History is append-only: an entry cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("History is append-only: an entry cannot be deleted.")

    @property
    def readable_changes(self) -> list[Any]:
        """The changes in words (field labels, choice labels, lists as text) for pages."""
        from twofold.core.history import readable_changes

        return readable_changes(self)


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class Job(models.Model):
    """A long computation run by ``twofold worker`` in the background (see ``core.jobs``).

    ``kind`` names a registered handler; ``subject`` (type and id) is the object it works on,
    which decides who may see the job. The worker claims a queued job with a conditional
    UPDATE, reports ``progress`` (0..1) and ``message`` and refreshes ``heartbeat`` while it
    runs, and stops early when ``cancel_requested`` is set. ``result`` is JSON for the page or
    the API; a cancelled job may still carry the best result found so far. ``attempts`` counts
    the runs started: a job of a kind safe to repeat whose worker died is queued again up to
    ``core.jobs.MAX_ATTEMPTS`` runs.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=200, blank=True)
    cancel_requested = models.BooleanField(default=False)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Runs started by a worker (not one given back at an orderly stop)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["subject_type", "subject_id", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def elapsed_seconds(self) -> float:
        """Seconds since the worker started it (until it finished), or 0 while queued."""
        if self.started_at is None:
            return 0.0
        end = self.finished_at or timezone.now()
        return max(0.0, (end - self.started_at).total_seconds())

    @property
    def waiting_seconds(self) -> float:
        """Seconds it has been waiting for a worker (0 once started)."""
        if self.status != JobStatus.QUEUED:
            return 0.0
        return max(0.0, (timezone.now() - self.created_at).total_seconds())


class TrashEntry(models.Model):
    """One thing a person moved to the trash, with everything that went with it.

    The object and each descendant trashed with it carry ``trash_batch == batch`` (see
    ``core.trash``); restoring the entry brings back exactly that batch, purging it deletes it
    for good. ``version`` is the object's version once in the trash (restore checks it).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=60)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    label = models.CharField(max_length=300)
    summary = models.CharField(max_length=300, blank=True)
    batch = models.UUIDField(unique=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(default=timezone.now)
    purge_after = models.DateTimeField(db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-deleted_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-deleted_at"])]
        verbose_name_plural = "trash entries"

    def __str__(self) -> str:
        return self.label
