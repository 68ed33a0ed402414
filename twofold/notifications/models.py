"""Notifications: the inbox of each person, what they follow, how they want e-mail, the outbox.

A :class:`Notification` tells one person about one event on one object (the *target*, generic
by content type and id). ``event_key`` makes producers idempotent: the worker's scans (SLA,
due dates, missed routines, ...) name each event, and a unique constraint on
(recipient, event_key) keeps a second worker, or the same worker after a restart, from telling
anyone twice. E-mails are written to :class:`OutboxEmail` in the same transaction as the
notification and sent by ``twofold worker`` with retries, so a mail server outage loses nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz

from twofold.accounts.models import Organisation


class Notification(models.Model):
    """One event told to one person: shown in their inbox, counted by the bell until read."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    event_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=tz.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Waiting for the person's daily digest e-mail (their preference for this kind is "digest").
    digest_pending = models.BooleanField(default=False)
    # What it told was taken back (its comment was deleted or purged: ``services.withdraw``):
    # the summary keeps no text, and no e-mail not sent yet tells of it any more.
    withdrawn = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"],
                condition=~Q(event_key=""),
                name="notification_unique_event",
            )
        ]
        indexes = [
            # The inbox: newest first, keyset-paginated.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            # The bell: an index-only COUNT of the unread rows of one person.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(
                fields=["recipient"], condition=Q(digest_pending=True), name="notification_digest"
            ),
            models.Index(fields=["target_type", "target_id"], name="notification_target"),
            # The worker's scans ask which of the events they found were told already.
            models.Index(
                fields=["event_key"], condition=~Q(event_key=""), name="notification_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.summary}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def kind_label(self) -> str:
        from twofold.notifications.kinds import all_kinds

        return next((k.label for k in all_kinds() if k.key == self.kind), self.kind)


class FollowReason(models.TextChoices):
    MANUAL = "manual", "Followed"
    CREATED = "created", "Created it"
    ASSIGNED = "assigned", "Assigned"
    MENTIONED = "mentioned", "Mentioned"
    COMMENTED = "commented", "Commented"


class Follow(models.Model):
    """A person following an object (generic): they hear of its comments.

    ``active`` False records an explicit unfollow, which an automatic follow (being assigned,
    mentioned, commenting) does not undo; only pressing Follow again does.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=10, choices=FollowReason.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id", "user"], name="follow_unique_user"
            )
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="follow_by_user")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.target_type_id}:{self.target_id}"


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "E-mail at once"
    DIGEST = "digest", "Daily digest"
    OFF = "off", "No e-mail"


class EmailPreference(models.Model):
    """How one person wants e-mail about one kind of notification (no row: the kind's default).

    The row of kind ``kinds.ALL_KINDS`` ("*") is the person's master switch: "off" stops every
    notification e-mail, of every kind, those added by a later version too, whatever the kinds'
    own rows or defaults say; the kinds' rows are kept, and apply again once the switch row is
    gone ("stop all e-mails" turned back off: ``services.stop_all_email``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    updated_at = models.DateTimeField(default=tz.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_preference_unique_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up"


class OutboxEmail(models.Model):
    """One e-mail waiting to be sent (or sent, or given up on) by ``twofold worker``.

    A worker claims a batch with a conditional UPDATE (queued → sending), so several workers never
    send one e-mail twice; a failed attempt goes back to queued with ``last_error`` and a later
    ``next_attempt_at``; after :data:`~twofold.notifications.outbox.MAX_ATTEMPTS` it is "failed"
    and stays listed for the organisation's admins, who can queue it again.
    """

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=tz.now)
    last_error = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=tz.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What a notification e-mail was rendered from, to render it again when it is sent:
    # ``{"notifications": [ids]}`` (an immediate e-mail: one id), plus ``"day": "YYYY-MM-DD"``
    # for a digest. Empty for account e-mails (and those queued before 2026-12-06).
    rendered_from = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["organisation", "status", "-created_at"], name="outbox_by_org"),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject} ({self.status})"


class DigestRun(models.Model):
    """The daily digest of one person for one (local) day: its row makes the send idempotent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_unique_day")]

    def __str__(self) -> str:
        return f"digest {self.user_id} {self.day}"


class ScanMark(models.Model):
    """How far a worker scan has read an append-only source (e.g. the history's last id)."""

    name = models.CharField(max_length=40, primary_key=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"
