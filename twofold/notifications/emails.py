"""Notification e-mails: rendered (HTML and text) into the outbox, never sent from a request.

Links point at ``settings.TWOFOLD_BASE_URL``. Each e-mail carries an unsubscribe link for its
kind (RFC 8058 one-click headers too), which works without signing in.

Each e-mail records the notifications it tells of (``OutboxEmail.rendered_from``), and the
outbox renders it again from them just before sending (:func:`refresh`): what a notification
tells then (an edited comment's new text) is what goes, and a notification withdrawn since (a
deleted or purged comment) or whose object was deleted since is left out. An e-mail left with
nothing to tell is not sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.urls import reverse

from twofold.accounts.models import User
from twofold.notifications.kinds import kind_of
from twofold.notifications.models import Notification, OutboxEmail, OutboxStatus
from twofold.notifications.tokens import ALL_KINDS, make_unsubscribe_token

logger = logging.getLogger(__name__)


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


def notification_email(user: User, note: Notification) -> OutboxEmail:
    """The e-mail of one notification (its actor loaded) to ``user``, not saved."""
    mail = _email(
        user=user,
        organisation_id=note.organisation_id,
        subject=note.summary,
        template="notification",
        context={"item": _item(note)},
        unsubscribe_kind=note.kind,
    )
    mail.rendered_from = {"notifications": [note.pk]} if note.pk else {}
    return mail


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
        mails.append(notification_email(user, note))
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
    mail = _email(
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
    mail.rendered_from = {"notifications": [n.pk for n in notes], "day": day.isoformat()}
    return mail


def still_to_tell(ids: Iterable[int]) -> dict[int, Notification]:
    """The notifications of ``ids`` still worth an e-mail, by id (with actor and organisation):
    not withdrawn, and their object still there (not deleted, not in the trash: the object's
    default manager, which hides trashed rows, still finds it). One query, plus one per kind of
    object."""
    notes = list(
        Notification.objects.filter(pk__in=list(ids), withdrawn=False).select_related(
            "actor", "organisation"
        )
    )
    wanted: dict[int, set[int]] = {}
    for note in notes:
        if note.target_type_id is not None and note.target_id is not None:
            wanted.setdefault(note.target_type_id, set()).add(note.target_id)
    present: set[tuple[int, int]] = set()
    for type_id, target_ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue  # the model is gone from the code: so is the object
        present.update(
            (type_id, pk)
            for pk in model._default_manager.filter(pk__in=target_ids).values_list("pk", flat=True)
        )
    return {
        note.pk: note
        for note in notes
        if note.target_type_id is None or (note.target_type_id, note.target_id) in present
    }


RENDERED_FIELDS = ("to", "subject", "body_text", "body_html", "headers", "rendered_from")
"""What rendering an e-mail again rewrites."""


def render_again(mails: Sequence[OutboxEmail]) -> tuple[list[OutboxEmail], set[int]]:
    """Render each notification e-mail of ``mails`` again from its notifications as they are now,
    in place (not saved). Returns those rendered again, and the ids of those not to be sent: left
    with nothing to tell, or whose rendering failed while a notification they tell of was
    withdrawn (or its object deleted) since, so that what was written would tell of it.

    An e-mail without ``rendered_from`` (an account e-mail, or one queued before it existed) is
    left as it was written; so is one whose rendering failed (logged) when all it tells of is
    still there. One query for the notifications of all ``mails``, one per kind of object, one for
    the recipients."""
    ours = [m for m in mails if (m.rendered_from or {}).get("notifications")]
    if not ours:
        return [], set()
    alive = still_to_tell({pk for m in ours for pk in m.rendered_from["notifications"]})
    users = User.objects.in_bulk({m.recipient_id for m in ours if m.recipient_id})
    fresh_mails: list[OutboxEmail] = []
    drop: set[int] = set()
    for mail in ours:
        told = mail.rendered_from["notifications"]
        notes = [alive[pk] for pk in told if pk in alive]
        user = users.get(mail.recipient_id) if mail.recipient_id else None
        if not notes or user is None or not user.email:
            drop.add(mail.pk)
            continue
        try:
            day = mail.rendered_from.get("day")
            fresh = (
                digest_email(user, notes, dt.date.fromisoformat(day))
                if day
                else notification_email(user, notes[0])
            )
        except Exception:  # a template error must not stop the outbox
            if len(notes) < len(told):
                # What was written tells of a notification taken back since: not sent.
                logger.exception("outbox: could not render e-mail %s again; dropped", mail.pk)
                drop.add(mail.pk)
            else:
                logger.exception("outbox: could not render e-mail %s again; as written", mail.pk)
            continue
        for name in RENDERED_FIELDS:
            setattr(mail, name, getattr(fresh, name))
        fresh_mails.append(mail)
    return fresh_mails, drop


def refresh(mails: Sequence[OutboxEmail], *, worker: str) -> set[int]:
    """Render the notification e-mails of ``mails``, claimed by ``worker``, again just before
    they are sent (:func:`render_again`), and save them; returns the ids of those not to be sent.

    The rendered rows are written with one bulk update (a few for a batch larger than the
    database takes parameters for), only while they are still this worker's to send and still
    hold their text: a row another worker claimed since, or one a withdraw just cleared
    (``services.withdraw``), is left as it is."""
    fresh, drop = render_again(mails)
    if fresh:
        OutboxEmail.objects.filter(status=OutboxStatus.SENDING, worker=worker).exclude(
            body_text=""
        ).bulk_update(fresh, list(RENDERED_FIELDS))
    return drop
