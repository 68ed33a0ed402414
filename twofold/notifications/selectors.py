"""Reads of the notifications app: the bell's count, the inbox page, the outbox for admins."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from twofold.accounts.models import Membership
from twofold.core.errors import NotFound
from twofold.core.policy import Action, can
from twofold.notifications.models import Notification, OutboxEmail, OutboxStatus

BELL_CAP = 100
"""The bell counts up to this many unread notifications ("99+" beyond): a bounded COUNT."""

PAGE_SIZE = 50


def of_recipient(user_id: int) -> QuerySet[Notification]:
    """``user_id``'s notifications in the organisations they are still a member of: someone
    removed from one kept reading its notifications (comment text included) in the inbox, the
    API and the bell count."""
    return Notification.objects.filter(
        recipient_id=user_id,
        organisation_id__in=Membership.objects.filter(user_id=user_id).values("organisation_id"),
    )


def unread_count(user_id: int, cap: int = BELL_CAP) -> int:
    """Unread notifications of ``user_id`` (at most ``cap``): one COUNT on a partial index."""
    return of_recipient(user_id).filter(read_at__isnull=True)[:cap].count()


def bell_text(count: int) -> str:
    return "99+" if count >= BELL_CAP else str(count)


@dataclass
class InboxPage:
    items: list[Notification]
    next_cursor: str  # "" on the last page
    unread: int


def _cursor(note: Notification) -> str:
    return f"{note.created_at.timestamp():.6f}_{note.pk}"


def _parse_cursor(raw: str) -> tuple[dt.datetime, int] | None:
    try:
        stamp, pk = raw.split("_", 1)
        return dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC), int(pk)
    except (ValueError, OverflowError, OSError):
        return None


def inbox(
    user_id: int,
    *,
    unread_only: bool = False,
    kind: str = "",
    before: str = "",
    limit: int = PAGE_SIZE,
) -> InboxPage:
    """A page of ``user_id``'s notifications, newest first (keyset: constant time on any page).

    Two queries whatever the page: the rows (with actor and organisation) and the unread count.
    """
    qs = of_recipient(user_id)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    cursor = _parse_cursor(before) if before else None
    if cursor is not None:
        at, pk = cursor
        qs = qs.filter(models.Q(created_at__lt=at) | models.Q(created_at=at, id__lt=pk))
    rows = list(
        qs.select_related("actor", "organisation", "target_type").order_by("-created_at", "-id")[
            : limit + 1
        ]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(
        items=rows,
        next_cursor=_cursor(rows[-1]) if more and rows else "",
        unread=unread_count(user_id),
    )


_FOLLOWABLE: set[str] = set()


def register_followable(model_label: str) -> None:
    """Let people follow objects of ``model_label`` ("projects.Task") by hand: the kinds whose
    pages show them to everyone who may see them (the comments app registers its kinds)."""
    _FOLLOWABLE.add(model_label.lower())


def follow_key(obj: models.Model) -> str:
    """``app_label.model`` of ``obj``, as the follow routes take it (no query)."""
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def resolve_target(user: Any, target_type: str, target_id: int) -> models.Model:
    """The object ``app_label.model`` #``target_id`` if ``user`` may see it; else ``NotFound``.

    Only the registered kinds (:func:`register_followable`) can be followed by hand: any model
    with an organisation answered, with its follower count, for a colleague's expense or
    timesheet that its page hides (and 404 for an id that does not exist).
    """
    try:
        app_label, model_name = target_type.split(".", 1)
        model = apps.get_model(app_label, model_name)
    except (ValueError, LookupError):
        raise NotFound("Not found.") from None
    if model._meta.label_lower not in _FOLLOWABLE or not 0 < target_id < 2**63:
        raise NotFound("Not found.")
    obj = model._default_manager.filter(pk=target_id).first()
    if obj is None or not can(user, Action.VIEW, obj):
        raise NotFound("Not found.")
    found: models.Model = obj
    return found


def target_type_key(obj: models.Model) -> str:
    """``app_label.model`` of ``obj`` (what the follow routes take)."""
    content_type = ContentType.objects.get_for_model(type(obj))
    return f"{content_type.app_label}.{content_type.model}"


def outbox(organisation_id: int, *, limit: int = 100) -> list[OutboxEmail]:
    """The organisation's e-mails not sent yet (queued, sending, given up), newest first."""
    return list(
        OutboxEmail.objects.filter(organisation_id=organisation_id)
        .exclude(status=OutboxStatus.SENT)
        .order_by("-created_at", "-id")[:limit]
    )


def outbox_counts(organisation_id: int) -> dict[str, int]:
    rows = (
        OutboxEmail.objects.filter(organisation_id=organisation_id)
        .values("status")
        .annotate(n=models.Count("id"))
        .values_list("status", "n")
    )
    counts = dict.fromkeys(OutboxStatus.values, 0)
    counts.update(dict(rows))
    return counts
