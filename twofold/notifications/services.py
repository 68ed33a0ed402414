"""Writes of the notifications app: telling people (``notify``), following, reading, e-mail settings.

The seam other apps call (stable signatures):

* ``notify(recipients=..., kind=..., actor=..., target=..., summary=..., url=None,
  event_key=None)`` — tell each recipient who may see ``target`` (a model instance with an
  ``organisation_id``), except the actor; queues their e-mail in the same transaction.
* ``withdraw(target=..., summaries={event_key: summary})`` — take back what the notifications
  of those events told (a deleted comment's text), with their e-mails not sent yet;
  ``withdraw_events(organisation_id=..., summaries=...)`` the same for events on objects of any
  kind (comments purged with their object).
* ``revise(target=..., summaries={event_key: summary})`` — what those events tell now (an edited
  comment's text); e-mails not sent yet are rendered again from it.
* ``follow(user, target, reason=...)`` / ``unfollow(user, target)`` / ``followers(target)`` —
  who hears of comments on an object. ``notify_followers(...)`` tells them.

Kinds come from ``notifications.kinds`` (``register_kind("key", "label")`` adds one).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from functools import reduce
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from twofold.accounts.models import Membership, User
from twofold.core.errors import Invalid, NotFound
from twofold.core.policy import Action, can, organisation_id_of
from twofold.notifications import emails, selectors
from twofold.notifications.kinds import ALL_KINDS, kind_of
from twofold.notifications.links import link_for
from twofold.notifications.models import (
    Delivery,
    EmailPreference,
    Follow,
    FollowReason,
    Notification,
    OutboxEmail,
    OutboxStatus,
)

SUMMARY_MAX = 300


def _user_id(person: Any) -> int | None:
    if person is None:
        return None
    if isinstance(person, int):
        return person
    pk = getattr(person, "pk", None)
    return int(pk) if pk is not None else None


def target_url(target: models.Model) -> str:
    """The page of ``target`` (see ``notifications.links``), or "" when it has none."""
    return link_for(target)


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    actor: Any,
    target: models.Model,
    summary: str,
    url: str | None = None,
    event_key: str | None = None,
) -> list[Notification]:
    """Tell ``recipients`` (users or user ids) about an event on ``target``; returns the new rows.

    Skipped: the actor (nobody is told of their own doing), people who are not members of the
    target's organisation (they may not see it) and, with an ``event_key``, people already told
    of that event (a unique constraint decides, so concurrent workers tell each person once).
    ``url`` defaults to the target's page. E-mail follows each recipient's preference for the
    kind: queued in the outbox now (immediate), kept for the daily digest, or none. Call it inside
    the writing service's transaction so the notification commits (or not) with the change.
    Raises ``KeyError`` for an unregistered kind.
    """
    kind_of(kind)  # unknown kinds fail loudly in development
    organisation_id = organisation_id_of(target)
    actor_id = _user_id(actor)
    wanted = {uid for uid in (_user_id(r) for r in recipients) if uid and uid != actor_id}
    if not wanted:
        return []
    members = set(
        Membership.objects.filter(organisation_id=organisation_id, user_id__in=wanted).values_list(
            "user_id", flat=True
        )
    )
    people = sorted(wanted & members)
    if not people:
        return []
    deliveries = email_deliveries(people, kind)
    content_type = ContentType.objects.get_for_model(type(target))
    link = target_url(target) if url is None else url
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=uid,
            organisation_id=organisation_id,
            kind=kind,
            actor_id=actor_id,
            target_type=content_type,
            target_id=target.pk,
            summary=summary[:SUMMARY_MAX],
            url=link[:500],
            event_key=(event_key or "")[:200],
            created_at=now,
            digest_pending=deliveries[uid] == Delivery.DIGEST,
        )
        for uid in people
    ]
    with transaction.atomic():
        if event_key:
            created = [row for row in rows if _insert_once(row)]
        else:
            created = Notification.objects.bulk_create(rows)
        immediate = [n for n in created if deliveries[n.recipient_id] == Delivery.IMMEDIATE]
        if immediate:
            emails.queue_immediate(immediate)
    return created


def _insert_once(row: models.Model) -> bool:
    """Insert ``row`` unless its (recipient, event_key) exists; True when this call inserted it."""
    try:
        with transaction.atomic():  # a savepoint: a clash must not break the outer transaction
            row.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def email_deliveries(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """How each person gets e-mail of ``kind``: "off" if they stopped all e-mails, else their
    preference, else the kind's default (one query)."""
    ids = list(user_ids)
    chosen: dict[int, str] = {}
    stopped: set[int] = set()
    for uid, key, delivery in EmailPreference.objects.filter(
        user_id__in=ids, kind__in=[kind, ALL_KINDS]
    ).values_list("user_id", "kind", "delivery"):
        if key == ALL_KINDS:
            if delivery == Delivery.OFF:
                stopped.add(uid)
        else:
            chosen[uid] = delivery
    default = kind_of(kind).email
    return {uid: Delivery.OFF if uid in stopped else chosen.get(uid, default) for uid in ids}


def email_deliveries_for(user_id: int, kinds: Iterable[str]) -> dict[str, str]:
    """How ``user_id`` chose to get e-mail of each kind in ``kinds`` (one query): the choices
    the settings show, kept while all e-mails are stopped (:func:`email_stopped`)."""
    keys = list(kinds)
    chosen = dict(
        EmailPreference.objects.filter(user_id=user_id, kind__in=keys).values_list(
            "kind", "delivery"
        )
    )
    return {key: chosen.get(key, kind_of(key).email) for key in keys}


def email_stopped(user_id: int) -> bool:
    """Whether ``user_id`` stopped all notification e-mails (their master switch)."""
    return EmailPreference.objects.filter(
        user_id=user_id, kind=ALL_KINDS, delivery=Delivery.OFF
    ).exists()


def stopped_among(user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who stopped all notification e-mails (one query)."""
    return set(
        EmailPreference.objects.filter(
            user_id__in=list(user_ids), kind=ALL_KINDS, delivery=Delivery.OFF
        ).values_list("user_id", flat=True)
    )


def withdraw(*, target: models.Model, summaries: dict[str, str]) -> int:
    """Take back what the notifications of some events on ``target`` told (a deleted comment's
    text): each one keyed ``event_key`` in ``summaries`` gets that summary instead and is marked
    withdrawn, and its e-mail is dropped if not sent yet (a digest not sent yet leaves it out),
    or kept without its text if sent. Call it inside the writing service's transaction. Returns
    how many notifications were rewritten.

    An e-mail is matched by the notifications it was rendered from (``rendered_from``; one
    queued before that was recorded: by its recipient, its organisation, its subject, the
    notification's summary, and its body's link to the notification's object). A digest not sent
    yet is rendered again without the notification; a sent one keeps no text."""
    if not summaries:
        return 0
    content_type, target_id = _target_key(target)
    return _withdraw(
        Notification.objects.filter(
            organisation_id=organisation_id_of(target),
            target_type=content_type,
            target_id=target_id,
        ),
        summaries,
    )


def withdraw_events(*, organisation_id: int, summaries: dict[str, str]) -> int:
    """:func:`withdraw` for events on objects of any kind in one organisation (the comments
    purged with the objects they were on: their keys name them, whatever their objects)."""
    if not summaries:
        return 0
    return _withdraw(Notification.objects.filter(organisation_id=organisation_id), summaries)


WITHDRAW_CHUNK = 200


UNSENT = (OutboxStatus.QUEUED, OutboxStatus.FAILED)


def _withdraw(scope: models.QuerySet[Notification], summaries: dict[str, str]) -> int:
    keys = list(summaries)
    found = [
        note
        for start in range(0, len(keys), WITHDRAW_CHUNK)
        for note in scope.filter(event_key__in=keys[start : start + WITHDRAW_CHUNK])
    ]
    if not found:
        return 0
    # The e-mails are found before the summaries change (one queued before e-mails recorded
    # what they were rendered from is matched by its subject, the summary it was written with).
    built = [
        row
        for start in range(0, len(found), WITHDRAW_CHUNK)
        for row in _emails_of(found[start : start + WITHDRAW_CHUNK])
    ]
    for note in found:
        note.summary = summaries[note.event_key][:SUMMARY_MAX]
        note.withdrawn = True
    Notification.objects.bulk_update(found, ["summary", "withdrawn"], batch_size=WITHDRAW_CHUNK)
    drop: set[int] = set()
    cleared: dict[str | None, set[int]] = {}  # new subject (None: the digest's own) -> e-mails
    digests_unsent: set[int] = set()
    for pk, status, is_digest, note in built:
        if status in UNSENT:
            (digests_unsent if is_digest else drop).add(pk)
        else:
            # Sent (or being sent): what went cannot be called back; the copy here keeps no text.
            cleared.setdefault(None if is_digest else note.summary[:300], set()).add(pk)
    if drop:
        OutboxEmail.objects.filter(pk__in=drop, status__in=UNSENT).delete()
    for subject, pks in cleared.items():
        OutboxEmail.objects.filter(pk__in=pks).exclude(status__in=UNSENT).update(
            body_text="", body_html="", **({"subject": subject} if subject is not None else {})
        )
    # A digest not sent yet leaves the notification out now, not only when it is sent.
    _render_unsent(digests_unsent - drop)
    return len(found)


def _emails_of(notes: list[Notification]) -> list[tuple[int, str, bool, Notification]]:
    """The e-mails told of ``notes`` that still hold text, as ``(id, status, is a digest,
    notification)``: those whose ``rendered_from`` names one of them (their recipients' e-mails
    of their organisations are read, and matched here: a JSON lookup differs across databases),
    and those queued before e-mails recorded it, matched as ``emails.queue_immediate`` wrote them
    (recipient, organisation, subject: the summary, and the link to the object). Two queries."""
    if not notes:
        return []
    by_pk = {note.pk: note for note in notes}
    people = reduce(
        operator.or_,
        (
            Q(organisation_id=o, recipient_id=r)
            for o, r in {(n.organisation_id, n.recipient_id) for n in notes}
        ),
    )
    holding_text = OutboxEmail.objects.exclude(body_text="", body_html="")
    rows: list[tuple[int, str, bool, Notification]] = []
    for pk, status, rendered_from in (
        holding_text.filter(people)
        .exclude(rendered_from={})
        .values_list("pk", "status", "rendered_from")
    ):
        told = (rendered_from or {}).get("notifications") or []
        note = next((by_pk[n] for n in told if n in by_pk), None)
        if note is not None:
            rows.append((pk, status, bool(rendered_from.get("day")), note))
    legacy = {
        note.pk: Q(
            organisation_id=note.organisation_id,
            recipient_id=note.recipient_id,
            subject=note.summary[:300],
            body_text__contains=f"{emails.link_of(note)}\n",
        )
        for note in notes
    }
    for pk, status, subject, body_text, recipient_id in holding_text.filter(
        reduce(operator.or_, legacy.values()), rendered_from={}
    ).values_list("pk", "status", "subject", "body_text", "recipient_id"):
        mine = [n for n in notes if n.recipient_id == recipient_id and n.summary[:300] == subject]
        note = next((n for n in mine if f"{emails.link_of(n)}\n" in body_text), None)
        if note is None and mine:
            note = mine[0]  # the database matched the link (case aside)
        if note is None:
            continue
        rows.append((pk, status, False, note))
    return rows


def _render_unsent(mail_ids: set[int]) -> None:
    """Render the e-mails ``mail_ids`` not sent yet again from their notifications as they are
    now (``emails.render_again``), saved in one bulk update; one left with nothing to tell is
    dropped. One still being sent is the worker's (``emails.refresh``)."""
    if not mail_ids:
        return
    mails = list(
        OutboxEmail.objects.filter(pk__in=mail_ids, status__in=UNSENT).only(
            "pk", "recipient", "rendered_from", "status"
        )
    )
    fresh, drop = emails.render_again(mails)
    if fresh:
        OutboxEmail.objects.filter(status__in=UNSENT).bulk_update(
            fresh, list(emails.RENDERED_FIELDS)
        )
    if drop:
        OutboxEmail.objects.filter(pk__in=drop, status__in=UNSENT).delete()


def revise(*, target: models.Model, summaries: dict[str, str]) -> int:
    """What the notifications of some events on ``target`` tell now (an edited comment's new
    text): each one keyed ``event_key`` in ``summaries``, unless withdrawn, gets that summary,
    and their e-mails not sent yet (queued, or failed) are rendered again from it at once, so
    they tell the new text (and are rendered once more when they go: ``emails.refresh``). Call
    it inside the writing service's transaction; returns how many notifications changed."""
    if not summaries:
        return 0
    content_type, target_id = _target_key(target)
    found = [
        note
        for note in Notification.objects.filter(
            organisation_id=organisation_id_of(target),
            target_type=content_type,
            target_id=target_id,
            event_key__in=list(summaries),
            withdrawn=False,
        )
        if note.summary != summaries[note.event_key][:SUMMARY_MAX]
    ]
    if not found:
        return 0
    built = [
        pk
        for start in range(0, len(found), WITHDRAW_CHUNK)
        for pk, status, _digest, _note in _emails_of(found[start : start + WITHDRAW_CHUNK])
        if status in UNSENT
    ]
    for note in found:
        note.summary = summaries[note.event_key][:SUMMARY_MAX]
    Notification.objects.bulk_update(found, ["summary"])
    _render_unsent(set(built))
    return len(found)


# --- Following --------------------------------------------------------------------------------


def _target_key(target: models.Model) -> tuple[ContentType, int]:
    return ContentType.objects.get_for_model(type(target)), int(target.pk)


def follow(user: Any, target: models.Model, *, reason: str = FollowReason.MANUAL) -> bool:
    """Make ``user`` follow ``target``; True when they follow it afterwards.

    A ``manual`` follow (the button, the API) always follows; an automatic one (created,
    assigned, mentioned, commented) never overrides an explicit unfollow. Someone who may not see
    the target is not made a follower (``NotFound`` for a manual follow, False otherwise).
    """
    if not can(user, Action.VIEW, target):
        if reason == FollowReason.MANUAL:
            raise NotFound("Not found.")
        return False
    content_type, target_id = _target_key(target)
    existing = Follow.objects.filter(
        user_id=user.pk, target_type=content_type, target_id=target_id
    ).first()
    if existing is not None:
        if reason == FollowReason.MANUAL and not existing.active:
            existing.active, existing.reason = True, FollowReason.MANUAL
            existing.save(update_fields=["active", "reason"])
        return existing.active or reason == FollowReason.MANUAL
    try:
        with transaction.atomic():
            Follow.objects.create(
                user_id=user.pk,
                organisation_id=organisation_id_of(target),
                target_type=content_type,
                target_id=target_id,
                reason=reason,
            )
    except IntegrityError:  # a concurrent follow of the same object won: same outcome
        pass
    return True


def unfollow(user: Any, target: models.Model) -> None:
    """Stop ``user`` following ``target`` (remembered: automatic follows do not undo it)."""
    if not can(user, Action.VIEW, target):
        raise NotFound("Not found.")
    content_type, target_id = _target_key(target)
    updated = Follow.objects.filter(
        user_id=user.pk, target_type=content_type, target_id=target_id
    ).update(active=False)
    if not updated:
        try:
            with transaction.atomic():
                Follow.objects.create(
                    user_id=user.pk,
                    organisation_id=organisation_id_of(target),
                    target_type=content_type,
                    target_id=target_id,
                    reason=FollowReason.MANUAL,
                    active=False,
                )
        except IntegrityError:
            Follow.objects.filter(
                user_id=user.pk, target_type=content_type, target_id=target_id
            ).update(active=False)


def is_following(user: Any, target: models.Model) -> bool:
    content_type, target_id = _target_key(target)
    return Follow.objects.filter(
        user_id=user.pk, target_type=content_type, target_id=target_id, active=True
    ).exists()


def followers(target: models.Model) -> list[int]:
    """Ids of the people following ``target`` who are still members of its organisation."""
    content_type, target_id = _target_key(target)
    members = Membership.objects.filter(organisation_id=organisation_id_of(target)).values(
        "user_id"
    )
    return list(
        Follow.objects.filter(
            target_type=content_type, target_id=target_id, active=True, user_id__in=members
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def notify_followers(
    *,
    kind: str,
    actor: Any,
    target: models.Model,
    summary: str,
    url: str | None = None,
    event_key: str | None = None,
    exclude: Iterable[Any] = (),
) -> list[Notification]:
    """``notify`` every follower of ``target`` (but the actor and ``exclude``, e.g. people
    already told they were mentioned in the same comment)."""
    skip = {_user_id(p) for p in exclude}
    return notify(
        recipients=[uid for uid in followers(target) if uid not in skip],
        kind=kind,
        actor=actor,
        target=target,
        summary=summary,
        url=url,
        event_key=event_key,
    )


# --- Reading ----------------------------------------------------------------------------------


def mark_read(*, user: User, notification_id: int, read: bool = True) -> Notification:
    """Mark one of ``user``'s notifications read (or unread again); another's answers 404."""
    note = selectors.of_recipient(user.pk).filter(pk=notification_id).first()
    if note is None:
        raise NotFound("Not found.")
    value = (note.read_at or timezone.now()) if read else None
    if value != note.read_at:
        note.read_at = value
        note.save(update_fields=["read_at"])
    return note


def mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    return (
        selectors.of_recipient(user.pk).filter(read_at__isnull=True).update(read_at=timezone.now())
    )


# --- E-mail settings --------------------------------------------------------------------------


def set_email_delivery(*, user: User, kind: str, delivery: str) -> EmailPreference:
    """Choose how ``user`` gets e-mail of ``kind`` (immediate, digest or off)."""
    try:
        kind_of(kind)
    except KeyError:
        raise Invalid(f"There is no kind of notification called {kind!r}.", field="kind") from None
    if delivery not in Delivery.values:
        raise Invalid("Choose immediate, digest or off.", field="delivery")
    with transaction.atomic():
        pref, _ = EmailPreference.objects.update_or_create(
            user_id=user.pk,
            kind=kind,
            defaults={"delivery": delivery, "updated_at": timezone.now()},
        )
        if delivery == Delivery.OFF:
            # What waited for the digest leaves it too: "off" (an unsubscribe) means no e-mail.
            # (Switched to "immediate", it still goes in the next digest rather than nowhere.)
            Notification.objects.filter(
                recipient_id=user.pk, kind=kind, digest_pending=True
            ).update(digest_pending=False)
    return pref


def stop_all_email(*, user: User, stop: bool) -> bool:
    """Turn ``user``'s master switch: ``stop`` True stops every notification e-mail (of every
    kind, those a later version adds too; what waited for the digest leaves it, and e-mails
    still queued are not sent: ``outbox.send_pending``); False lets the per-kind choices, which
    stopping kept, apply again. Returns whether all e-mails are stopped now."""
    with transaction.atomic():
        if stop:
            EmailPreference.objects.update_or_create(
                user_id=user.pk,
                kind=ALL_KINDS,
                defaults={"delivery": Delivery.OFF, "updated_at": timezone.now()},
            )
            Notification.objects.filter(recipient_id=user.pk, digest_pending=True).update(
                digest_pending=False
            )
        else:
            EmailPreference.objects.filter(user_id=user.pk, kind=ALL_KINDS).delete()
    return stop
