"""Atom feed URLs: create (the secret is shown once) and revoke. Same shape as the calendar
feeds (``interchange``): a random secret, only its SHA-256 kept, at most a few per person."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.activity.models import ActivityFeed
from twofold.core.errors import Invalid, NotFound
from twofold.core.policy import Action, require

MAX_FEEDS = 5


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_feed(*, actor: Any, organisation: Organisation) -> tuple[ActivityFeed, str]:
    """A new Atom feed URL of the organisation's activity for ``actor`` and its secret."""
    require(actor, Action.VIEW, organisation)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        live = ActivityFeed.objects.filter(
            owner=actor, organisation=organisation, revoked_at__isnull=True
        ).count()
        if live >= MAX_FEEDS:
            raise Invalid(
                f"You have {live} activity feeds; revoke one first (at most {MAX_FEEDS}).",
                field="feed",
            )
        feed = ActivityFeed.objects.create(
            organisation=organisation,
            owner=actor,
            secret_hash=hash_secret(secret),
            prefix=secret[:6],
        )
    return feed, secret


def revoke_feed(*, actor: Any, feed: ActivityFeed) -> ActivityFeed:
    """Revoke a feed: its URL answers 404 from now on."""
    if feed.owner_id != actor.pk:
        raise NotFound("Feed not found.")
    if feed.revoked_at is None:
        feed.revoked_at = tz.now()
        feed.save(update_fields=["revoked_at"])
    return feed


def touch(feed: ActivityFeed) -> None:
    """Note when a feed reader last fetched it (at most once a minute: no write per poll)."""
    now = tz.now()
    if feed.last_used_at is None or (now - feed.last_used_at).total_seconds() > 60:
        ActivityFeed.objects.filter(pk=feed.pk).update(last_used_at=now)


def revoke_all_of(person: Any, organisation: Organisation | None) -> int:
    """Revoke every live feed of ``person`` (their password changed:
    ``accounts.services.revoke_credentials``), or those of one organisation they left; how
    many."""
    feeds = ActivityFeed.objects.filter(owner=person, revoked_at__isnull=True)
    if organisation is not None:
        feeds = feeds.filter(organisation=organisation)
    return feeds.update(revoked_at=tz.now())
