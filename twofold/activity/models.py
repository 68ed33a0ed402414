"""Activity: per-person Atom feeds (secret URLs) and the change counters behind live pages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation


class LiveVersion(models.Model):
    """A counter per live page subject (``project-12``, ``queue-3``, ``request-40``), raised after
    each recorded change to it. Open pages poll it with ``If-None-Match``: one indexed read."""

    key = models.CharField(max_length=40, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class ActivityFeed(models.Model):
    """A person's Atom feed of their organisation's activity. Only a hash of its secret is kept:
    the URL is shown once; revoking it makes the URL answer 404."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_feeds"
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
        return f"Activity feed {self.prefix}…"
