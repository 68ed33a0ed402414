"""Attachments: files uploaded to tasks and projects, stored under a random name."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation


class TargetKind(models.TextChoices):
    PROJECT = "project", "Project"
    TASK = "task", "Task"


class Attachment(models.Model):
    """One uploaded file. ``file`` has a random name; ``original_name`` is only ever shown escaped."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    target_kind = models.CharField(max_length=10, choices=TargetKind.choices)
    target_id = models.PositiveBigIntegerField()
    file = models.FileField(upload_to="attachments/", max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=tz.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["target_kind", "target_id"])]

    def __str__(self) -> str:
        return self.original_name
