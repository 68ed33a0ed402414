"""Comments: one thread per object (project, task, request, risk, KPI, …), with mentions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation


class Comment(models.Model):
    """One comment on one object (``target_kind`` names a registered kind, ``kinds.py``).

    Markdown text, rendered and sanitised on display. Edited within a window by its author
    (``edited_at`` shows "edited"); deleting keeps the row (``deleted_at``) and hides the text.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    target_kind = models.CharField(max_length=24)
    target_id = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=tz.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["target_kind", "target_id", "created_at"]),
            models.Index(fields=["organisation", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.body[:40]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Mention(models.Model):
    """A member named in a comment (``@Full Name`` or ``@email``); only members are ever linked."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_mentions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="mention_once_per_comment")
        ]
        indexes = [models.Index(fields=["user", "organisation"])]

    def __str__(self) -> str:
        return f"mention of {self.user_id} in {self.comment_id}"
