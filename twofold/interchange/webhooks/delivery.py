"""Sending webhook deliveries: what ``twofold worker`` calls on every pass.

Claiming takes due deliveries for one worker: on PostgreSQL the rows are locked with
``SELECT ... FOR UPDATE SKIP LOCKED`` (two workers never wait on each other), elsewhere (SQLite)
one conditional UPDATE (queued → sending, stamped with the worker and the moment) decides, like
the e-mail outbox; either way each delivery goes to exactly one worker. A claim older than
:data:`STALE_CLAIM` belongs to a worker that died and is queued again.

A delivery succeeds on a 2xx answer. Anything else (another status, a timeout, a refused
connection, an address the outbound client refuses) is logged as an attempt and retried with
exponential backoff (1, 2, 4 ... minutes, at most :data:`MAX_BACKOFF`) for :data:`RETRY_FOR`
after the event; then the delivery fails for good. An endpoint whose attempts failed
``TWOFOLD_WEBHOOK_DISABLE_AFTER`` times in a row (default :data:`DISABLE_AFTER`) is switched off
and the organisation's admins are told.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from twofold.core import outbound
from twofold.interchange.webhooks.events import signature
from twofold.interchange.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

BATCH = 50
STALE_CLAIM = dt.timedelta(minutes=5)
RETRY_FOR = dt.timedelta(days=1)
MAX_BACKOFF = dt.timedelta(hours=4)
DISABLE_AFTER = 20


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt after ``attempts`` failures: 1, 2, 4 ... minutes, ≤ 4 h."""
    return min(MAX_BACKOFF, dt.timedelta(minutes=2 ** max(0, attempts - 1)))


def disable_after() -> int:
    return int(getattr(settings, "TWOFOLD_WEBHOOK_DISABLE_AFTER", DISABLE_AFTER))


def claim(
    worker: str, *, limit: int = BATCH, now: dt.datetime | None = None
) -> list[WebhookDelivery]:
    """Take up to ``limit`` due deliveries for ``worker`` (each goes to exactly one worker)."""
    moment = now or timezone.now()
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=moment - STALE_CLAIM
    ).update(status=DeliveryStatus.QUEUED)
    due = WebhookDelivery.objects.filter(
        status=DeliveryStatus.QUEUED, next_attempt_at__lte=moment
    ).order_by("next_attempt_at", "id")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        else:
            ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        WebhookDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SENDING, worker=worker, claimed_at=moment
        )
    return list(
        WebhookDelivery.objects.filter(
            pk__in=ids, status=DeliveryStatus.SENDING, worker=worker, claimed_at=moment
        )
        .select_related("endpoint")
        .order_by("id")
    )


def headers_for(delivery: WebhookDelivery, secret: str, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Twofold-Event": delivery.event_type,
        "X-Twofold-Delivery": str(delivery.event_id),
        "X-Twofold-Signature": signature(secret, timestamp, delivery.body),
    }


def attempt(delivery: WebhookDelivery) -> WebhookAttempt:
    """Send ``delivery`` once and log the attempt (the caller updates the delivery's state)."""
    endpoint = delivery.endpoint
    timestamp = int(time.time())
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        answer = outbound.send(
            endpoint.url,
            body=delivery.body.encode(),
            headers=headers_for(delivery, endpoint.secret, timestamp),
        )
    except outbound.Refused as exc:
        error = f"Refused: {exc.message}"
    except Exception as exc:  # timeouts, refused connections, TLS, malformed answers
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    else:
        status_code = answer.status
        if not 200 <= answer.status < 300:
            error = f"HTTP {answer.status}"
    return WebhookAttempt(
        delivery=delivery,
        endpoint=endpoint,
        number=delivery.attempts + 1,
        at=timezone.now(),
        status_code=status_code,
        duration_ms=int((time.monotonic() - started) * 1000),
        error=error[:500],
        succeeded=not error,
    )


def _still_mine(delivery: WebhookDelivery) -> bool:
    """Renew this worker's claim on ``delivery`` just before sending it; False when the claim
    went stale meanwhile (a batch of slow receivers outlasts ``STALE_CLAIM``) and another worker
    took the delivery back, which then sends it: each delivery is sent by one worker."""
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, worker=delivery.worker
        ).update(claimed_at=timezone.now())
    )


def _finish(delivery: WebhookDelivery, log: WebhookAttempt) -> None:
    now = log.at
    attempts = delivery.attempts + 1
    if log.succeeded:
        status, next_at = DeliveryStatus.SUCCEEDED, delivery.next_attempt_at
    else:
        next_at = now + backoff(attempts)
        gave_up = next_at > delivery.created_at + RETRY_FOR
        status = DeliveryStatus.FAILED if gave_up else DeliveryStatus.QUEUED
    with transaction.atomic():
        log.save()
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, worker=delivery.worker
        ).update(
            status=status,
            attempts=attempts,
            next_attempt_at=next_at,
            finished_at=now if status != DeliveryStatus.QUEUED else None,
            last_status_code=log.status_code,
            last_error=log.error,
        )
        if delivery.event_type == "ping":
            return  # a test event tells about the receiver, not the endpoint's track record
        if log.succeeded:
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(consecutive_failures=0)
            return
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        switched_off = WebhookEndpoint.objects.filter(
            pk=delivery.endpoint_id,
            active=True,
            consecutive_failures__gte=disable_after(),
        ).update(
            active=False,
            disabled_at=now,
            disabled_reason=f"Switched off after {disable_after()} failed attempts in a row "
            f"(last: {log.error[:200]}).",
        )
        if switched_off:
            _disabled(delivery.endpoint_id)


def _disabled(endpoint_id: int) -> None:
    """Fail what the switched-off endpoint still had queued and tell the admins."""
    from twofold.accounts.models import Membership, Role
    from twofold.interchange.webhooks.notices import WEBHOOK_DISABLED
    from twofold.notifications.services import notify

    WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.FAILED,
        finished_at=timezone.now(),
        last_error="The endpoint was switched off.",
    )
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    admins = Membership.objects.filter(
        organisation_id=endpoint.organisation_id, role__in=[Role.ADMIN, Role.OWNER]
    ).values_list("user_id", flat=True)
    notify(
        recipients=list(admins),
        kind=WEBHOOK_DISABLED,
        actor=None,
        target=endpoint,
        summary=f"Webhook to {endpoint.url} was switched off after repeated failures",
        url=reverse("interchange:webhook", args=[endpoint.pk]),
        event_key=f"webhook-disabled:{endpoint.pk}:{endpoint.disabled_at:%Y%m%d%H%M%S}",
    )


def send_due(worker: str, *, limit: int = BATCH) -> tuple[int, int]:
    """Send one batch of due deliveries; returns (delivered, failed attempts)."""
    delivered = failed = 0
    for delivery in claim(worker, limit=limit):
        if not delivery.endpoint.active and delivery.event_type != "ping":
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.FAILED,
                finished_at=timezone.now(),
                last_error="The endpoint is switched off.",
            )
            continue
        if not _still_mine(delivery):
            continue
        log = attempt(delivery)
        _finish(delivery, log)
        if log.succeeded:
            delivered += 1
        else:
            failed += 1
    return delivered, failed
