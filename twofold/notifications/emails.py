"""Notification e-mails: rendered (HTML and text) into the outbox, never sent from a request.

Links point at ``settings.TWOFOLD_BASE_URL``. Each e-mail carries an unsubscribe link for its
kind (RFC 8058 one-click headers too), which works without signing in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from twofold.accounts.models import User
from twofold.notifications.kinds import kind_of
from twofold.notifications.models import Notification, OutboxEmail
from twofold.notifications.tokens import ALL_KINDS, make_unsubscribe_token


def absolute(path: str) -> str:
    """``path`` on the configured base URL (a full URL stays as it is)."""
    if path.startswith(("http://", "https://")):
        return path
    base = settings.TWOFOLD_BASE_URL.rstrip("/")
    return f"{base}{path if path.startswith('/') else '/' + path}"


def unsubscribe_url(user_id: int, kind: str) -> str:
    token = make_unsubscribe_token(user_id, kind)
    return absolute(reverse("notifications:unsubscribe", args=[token]))


def _kind_label(key: str) -> str:
    try:
        return kind_of(key).label
    except KeyError:
        return key


def link_of(note: Notification) -> str:
    """The link an e-mail about ``note`` carries: its object's page, else the inbox."""
    return absolute(note.url) if note.url else absolute(reverse("notifications:inbox"))


def _item(note: Notification) -> dict[str, Any]:
    actor = note.actor.display_name if note.actor_id and note.actor else ""
    return {
        "summary": note.summary,
        "actor": actor,
        "kind": _kind_label(note.kind),
        "link": link_of(note),
        "created_at": note.created_at,
    }


def _email(
    *,
    user: User,
    organisation_id: int | None,
    subject: str,
    template: str,
    context: dict[str, Any],
    unsubscribe_kind: str,
) -> OutboxEmail:
    unsubscribe = unsubscribe_url(int(user.pk), unsubscribe_kind)
    full = {
        **context,
        "user": user,
        "unsubscribe_url": unsubscribe,
        "unsubscribe_all_url": unsubscribe_url(int(user.pk), ALL_KINDS),
        "settings_url": absolute(reverse("notifications:settings")),
        "inbox_url": absolute(reverse("notifications:inbox")),
        "base_url": settings.TWOFOLD_BASE_URL,
    }
    return OutboxEmail(
        organisation_id=organisation_id,
        recipient_id=user.pk,
        to=user.email,
        subject=subject[:300],
        body_text=render_to_string(f"notifications/emails/{template}.txt", full),
        body_html=render_to_string(f"notifications/emails/{template}.html", full),
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def queue_immediate(notes: Sequence[Notification]) -> list[OutboxEmail]:
    """One e-mail per notification, into the outbox (the caller's transaction)."""
    users = User.objects.in_bulk(
        {n.recipient_id for n in notes} | {n.actor_id for n in notes if n.actor_id}
    )
    mails = []
    for note in notes:
        user = users.get(note.recipient_id)
        if user is None or not user.email or not user.is_active:
            continue
        note.actor = users.get(note.actor_id) if note.actor_id else None
        mails.append(
            _email(
                user=user,
                organisation_id=note.organisation_id,
                subject=note.summary,
                template="notification",
                context={"item": _item(note)},
                unsubscribe_kind=note.kind,
            )
        )
    return OutboxEmail.objects.bulk_create(mails)


def digest_email(user: User, notes: Sequence[Notification], day: dt.date) -> OutboxEmail:
    """The daily digest of ``notes`` (newest first, all of one organisation) for ``user``.

    The e-mail is that organisation's (the outbox gives it up if ``user`` leaves it before it
    is sent), so notes of several organisations are refused rather than mislabelled."""
    if not notes:
        raise ValueError("A digest needs at least one notification.")
    organisation_ids = {n.organisation_id for n in notes}
    if len(organisation_ids) != 1:
        raise ValueError("A digest holds the notifications of one organisation.")
    organisation = notes[0].organisation
    count = len(notes)
    return _email(
        user=user,
        organisation_id=organisation.pk,
        subject=(
            f"Twofold · {organisation.name}: {count} notification{'s' if count != 1 else ''}"
            f" for {day:%d %b %Y}"
        ),
        template="digest",
        context={
            "items": [_item(n) for n in notes],
            "day": day,
            "count": count,
            "organisation": organisation.name,
        },
        unsubscribe_kind=ALL_KINDS,
    )
