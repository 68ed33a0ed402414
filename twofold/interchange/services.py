"""Writes for interchange: create and revoke calendar feeds."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.core import history
from twofold.core.errors import Invalid, NotFound
from twofold.core.policy import Action, require
from twofold.interchange.models import CalendarFeed, FeedKind
from twofold.interchange.selectors import hash_secret
from twofold.projects.models import Project

MAX_FEEDS = 50


def create_feed(
    *, actor: Any, organisation: Organisation, kind: str, project: Project | None = None
) -> tuple[CalendarFeed, str]:
    """A new feed and its secret (shown to the person once; only its hash is kept)."""
    require(actor, Action.VIEW, organisation)
    if kind not in FeedKind.values:
        raise Invalid(field="kind", message=f"Choose one of: {', '.join(FeedKind.values)}.")
    if kind == FeedKind.PROJECT:
        if project is None:
            raise Invalid(
                field="project", message="Choose the project whose milestones and gates to follow."
            )
        if project.organisation_id != organisation.pk:
            raise NotFound("Project not found.")
        require(actor, Action.VIEW, project)
    else:
        project = None
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        live = CalendarFeed.objects.filter(
            owner=actor, organisation=organisation, revoked_at__isnull=True
        ).count()
        if live >= MAX_FEEDS:
            raise Invalid(
                field="kind",
                message=f"You have {live} feeds; revoke one first (at most {MAX_FEEDS}).",
            )
        feed = CalendarFeed.objects.create(
            organisation=organisation,
            owner=actor,
            kind=kind,
            project=project,
            secret_hash=hash_secret(secret),
            prefix=secret[:6],
        )
        history.record(
            actor=actor, obj=feed, action="created", summary=f"Calendar feed: {feed.label}"
        )
    return feed, secret


def revoke_feed(*, actor: Any, feed: CalendarFeed) -> CalendarFeed:
    """Revoke a feed: its URL answers 404 from now on."""
    if feed.owner_id != actor.pk:
        raise NotFound("Feed not found.")
    with transaction.atomic():
        if feed.revoked_at is None:
            feed.revoked_at = tz.now()
            feed.save(update_fields=["revoked_at"])
            history.record(
                actor=actor, obj=feed, action="revoked", summary=f"Calendar feed: {feed.label}"
            )
    return feed


def revoke_all_of(person: Any, organisation: Organisation | None) -> int:
    """Revoke every live feed of ``person`` (their password changed:
    ``accounts.services.revoke_credentials``), or those of one organisation they left; how
    many."""
    feeds = CalendarFeed.objects.filter(owner=person, revoked_at__isnull=True)
    if organisation is not None:
        feeds = feeds.filter(organisation=organisation)
    return feeds.update(revoked_at=tz.now())
