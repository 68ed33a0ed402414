"""Sending the outbox: what ``twofold worker`` calls every pass.

Claiming is a conditional UPDATE (queued and due → sending, stamped with the worker's name),
so several workers share the outbox without sending an e-mail twice. A batch goes through one
connection of the configured backend (``EMAIL_BACKEND``: SMTP in production, the file backend
under ``var/mail`` locally). A failure puts the e-mail back in the queue with the error and a
later attempt (backing off 1, 2, 4 ... minutes, at most an hour); after :data:`MAX_ATTEMPTS`
it is marked failed and stays listed for the organisation's admins, who may queue it again.

Just before sending, a notification e-mail is rendered again from its notifications
(``emails.refresh``): one left with nothing to tell (its comments deleted, its objects deleted
since) is dropped, not sent; one to a person who has stopped all notification e-mails since it
was queued is given up on, as one to a person who has left the organisation.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone

from twofold.accounts.models import Membership
from twofold.notifications import emails
from twofold.notifications.models import OutboxEmail, OutboxStatus
from twofold.notifications.services import stopped_among

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 200
STALE_CLAIM = dt.timedelta(minutes=10)
"""A claim older than this belongs to a worker that died mid-batch: the e-mail is queued again."""


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt after ``attempts`` failures: 1, 2, 4 ... 60 minutes."""
    return dt.timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def claim(worker: str, *, limit: int = BATCH, now: dt.datetime | None = None) -> list[OutboxEmail]:
    """Take up to ``limit`` due e-mails for ``worker`` (each goes to exactly one worker)."""
    moment = now or timezone.now()
    OutboxEmail.objects.filter(
        status=OutboxStatus.SENDING, claimed_at__lt=moment - STALE_CLAIM
    ).update(status=OutboxStatus.QUEUED)
    ids = list(
        OutboxEmail.objects.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=moment)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    OutboxEmail.objects.filter(pk__in=ids, status=OutboxStatus.QUEUED).update(
        status=OutboxStatus.SENDING, worker=worker, claimed_at=moment
    )
    return list(
        OutboxEmail.objects.filter(pk__in=ids, status=OutboxStatus.SENDING, worker=worker)
        .filter(claimed_at=moment)
        .order_by("id")
    )


def _message(mail: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        # One line of printable text: a CR, a vertical tab or a separator character in a task's
        # name made Django refuse the header, and the e-mail was retried until it failed.
        subject=" ".join(mail.subject.split()),
        body=mail.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        headers={str(k): str(v) for k, v in (mail.headers or {}).items()},
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    return message


def _failed(mail: OutboxEmail, error: str, now: dt.datetime) -> None:
    attempts = mail.attempts + 1
    gave_up = attempts >= MAX_ATTEMPTS
    OutboxEmail.objects.filter(pk=mail.pk, status=OutboxStatus.SENDING, worker=mail.worker).update(
        status=OutboxStatus.FAILED if gave_up else OutboxStatus.QUEUED,
        attempts=attempts,
        last_error=error[:2000],
        next_attempt_at=now + backoff(attempts),
    )


def _no_longer_member(mail: OutboxEmail) -> bool:
    """An organisation's e-mail to a person who has left it since it was queued."""
    if mail.organisation_id is None or mail.recipient_id is None:
        return False
    return not Membership.objects.filter(
        organisation_id=mail.organisation_id, user_id=mail.recipient_id
    ).exists()


def send_pending(worker: str, *, limit: int = BATCH) -> tuple[int, int]:
    """Send one batch of due e-mails; returns (sent, failed attempts)."""
    batch = claim(worker, limit=limit)
    if not batch:
        return 0, 0
    stopped = stopped_among(
        {m.recipient_id for m in batch if m.organisation_id is not None and m.recipient_id}
    )
    nothing_left = emails.refresh(batch, worker=worker)
    now = timezone.now()
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("outbox: cannot reach the mail server: %s", error)
        for mail in batch:
            _failed(mail, error, now)
        return 0, len(batch)
    sent = failed = 0
    try:
        for mail in batch:
            # Renew the claim before each e-mail: a batch on a slow mail server can outlast
            # STALE_CLAIM, and an e-mail another worker took back is theirs to send.
            mine = OutboxEmail.objects.filter(
                pk=mail.pk, status=OutboxStatus.SENDING, worker=worker
            ).update(claimed_at=timezone.now())
            if not mine:
                continue
            if _no_longer_member(mail):
                # Queued before the person left the organisation: it would tell them about it
                # (a comment's text) after they lost access. Given up on, never sent.
                failed += 1
                OutboxEmail.objects.filter(pk=mail.pk, worker=worker).update(
                    status=OutboxStatus.FAILED,
                    last_error="Not sent: the recipient is no longer a member of the organisation.",
                )
                continue
            if mail.organisation_id is not None and mail.recipient_id in stopped:
                # Queued before the person stopped all notification e-mails.
                failed += 1
                OutboxEmail.objects.filter(pk=mail.pk, worker=worker).update(
                    status=OutboxStatus.FAILED,
                    last_error="Not sent: the recipient has stopped all notification e-mails.",
                )
                continue
            if mail.pk in nothing_left:
                # Everything it told of was taken back (a deleted comment) or its object was
                # deleted since it was queued: there is nothing to send.
                OutboxEmail.objects.filter(pk=mail.pk, worker=worker).delete()
                continue
            try:
                connection.send_messages([_message(mail)])
            except Exception as exc:
                failed += 1
                _failed(mail, f"{type(exc).__name__}: {exc}", now)
            else:
                sent += 1  # marked at once: a worker dying later in the batch never resends it
                # An account e-mail (no organisation) carries a live reset or sign-up link:
                # once sent, its body is not kept (backups would hold the link).
                cleared = {"body_text": "", "body_html": ""} if mail.organisation_id is None else {}
                OutboxEmail.objects.filter(pk=mail.pk, worker=worker).update(
                    status=OutboxStatus.SENT, sent_at=timezone.now(), last_error="", **cleared
                )
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("outbox: closing the mail connection failed", exc_info=True)
    return sent, failed


def retry(mail: OutboxEmail) -> None:
    """Queue an e-mail that failed (or waits for a later attempt) to go at the next pass."""
    OutboxEmail.objects.filter(
        pk=mail.pk, status__in=[OutboxStatus.FAILED, OutboxStatus.QUEUED]
    ).update(
        status=OutboxStatus.QUEUED,
        next_attempt_at=timezone.now(),
        attempts=F("attempts") if mail.status == OutboxStatus.QUEUED else 0,
    )


def enqueue_message(message: EmailMultiAlternatives, recipient: Any = None) -> OutboxEmail:
    """Queue an e-mail built elsewhere (an account e-mail: ``accounts.mail``) for the worker."""
    html = next(
        (content for content, mimetype in message.alternatives if mimetype == "text/html"), ""
    )
    return OutboxEmail.objects.create(
        organisation=None,
        recipient=recipient if getattr(recipient, "pk", None) else None,
        to=message.to[0],
        subject=message.subject[:300],
        body_text=str(message.body),
        body_html=str(html),
    )
