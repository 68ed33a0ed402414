"""Reads for interchange: a person's calendar feeds, a feed found by its secret, and a
person's Microsoft Project uploads with their previews."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db.models import QuerySet

from twofold.accounts.models import Membership, Organisation
from twofold.core import dates
from twofold.core.errors import NotFound
from twofold.core.policy import Action, can
from twofold.interchange.models import CalendarFeed, MspdiUpload, SheetUpload


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feeds_of(user: Any, organisation: Organisation) -> QuerySet[CalendarFeed]:
    return CalendarFeed.objects.filter(owner=user, organisation=organisation).select_related(
        "project"
    )


def get_feed(user: Any, organisation: Organisation, feed_id: int) -> CalendarFeed:
    feed = feeds_of(user, organisation).filter(pk=feed_id).first()
    if feed is None:
        raise NotFound("Feed not found.")
    return feed


def feed_by_secret(secret: str) -> CalendarFeed:
    """The active feed with this secret whose owner is still a member, else ``NotFound``; a
    project feed's project must not be in the trash (its URL answers as if it never existed,
    and again once the project is restored)."""
    if not secret or len(secret) > 100:
        raise NotFound("Feed not found.")
    feed = (
        CalendarFeed.objects.filter(secret_hash=hash_secret(secret), revoked_at__isnull=True)
        .select_related("owner", "organisation", "project")
        .first()
    )
    if feed is None or not feed.owner.is_active:
        raise NotFound("Feed not found.")
    if not Membership.objects.filter(user=feed.owner, organisation=feed.organisation).exists():
        raise NotFound("Feed not found.")
    if feed.project is not None and feed.project.deleted_at is not None:
        raise NotFound("Feed not found.")
    return feed


def uploads_of(user: Any, organisation: Organisation) -> QuerySet[MspdiUpload]:
    """The person's own MSPDI uploads in ``organisation``, newest first (without the files)."""
    return (
        MspdiUpload.objects.filter(owner_id=user.pk, organisation=organisation)
        .defer("data", "preview")
        .select_related("project")
    )


def get_upload(user: Any, organisation: Organisation, upload_id: int) -> MspdiUpload:
    """An upload of ``user`` (only its owner sees it), else ``NotFound``."""
    upload = (
        MspdiUpload.objects.filter(pk=upload_id, organisation=organisation, owner_id=user.pk)
        .select_related("organisation", "owner", "project")
        .first()
    )
    if upload is None or not can(user, Action.VIEW, organisation):
        raise NotFound("Upload not found.")
    return upload


def preview_rows(preview: dict[str, Any]) -> list[dict[str, Any]]:
    """The preview's task rows with their dates as the organisation writes them."""
    rows = []
    for row in preview.get("tasks", []):
        moments = {
            key: dates.format_daytime(dt.datetime.fromisoformat(row[key]))
            for key in ("start", "finish", "file_start", "file_finish")
        }
        rows.append({**row, **{f"{k}_text": v for k, v in moments.items()}})
    return rows


def unlike_rows(preview: dict[str, Any]) -> list[dict[str, Any]]:
    """The tasks whose dates, computed from the file, differ from the ones Project stored."""
    return [
        {
            **row,
            **{
                f"{key}_text": dates.format_daytime(dt.datetime.fromisoformat(row[key]))
                for key in ("start", "finish", "stored_start", "stored_finish")
            },
        }
        for row in preview.get("unlike_project", [])
    ]


def sheet_uploads_of(user: Any, organisation: Organisation) -> QuerySet[SheetUpload]:
    """The person's spreadsheet uploads (nobody else sees them), newest first; no file data."""
    return (
        SheetUpload.objects.filter(owner=user, organisation=organisation)
        .defer("data")
        .select_related("project", "imported_project")
    )


def get_sheet_upload(user: Any, organisation: Organisation, upload_id: int) -> SheetUpload:
    upload = (
        SheetUpload.objects.filter(owner=user, organisation=organisation, pk=upload_id)
        .select_related("organisation", "project", "imported_project")
        .first()
    )
    if upload is None or not can(user, Action.VIEW, organisation):
        raise NotFound("Upload not found.")
    return upload
