"""Writing webhooks: endpoints (create, change, rotate the secret, delete), test events,
redeliveries, and the deliveries that recorded changes queue (see ``events``)."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Organisation
from twofold.core import history
from twofold.core.concurrency import delete_versioned, save_versioned
from twofold.core.errors import Invalid
from twofold.core.fastread import FastRows
from twofold.core.outbound import Refused, check_url
from twofold.core.policy import Action, require
from twofold.interchange.webhooks.events import EVENT_TYPE_KEYS, TEST_EVENT, Event, body_of
from twofold.interchange.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

MAX_ENDPOINTS = 20
"""Endpoints per organisation: each event becomes one delivery per subscribed endpoint."""
SECRET_PREFIX = "whsec_"  # noqa: S105 (a label before the random part, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def clean_url(url: str) -> str:
    """``url`` stripped, or ``Invalid`` naming ``url`` when outbound requests may not go there."""
    url = (url or "").strip()
    try:
        check_url(url)
    except Refused as exc:
        raise Invalid(exc.message, field="url") from exc
    if len(url) > 500:
        raise Invalid("The URL is longer than 500 characters.", field="url")
    return url


def clean_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(t) for t in event_types))
    unknown = [t for t in chosen if t not in EVENT_TYPE_KEYS]
    if unknown:
        raise Invalid(f"Unknown event types: {', '.join(unknown)}.", field="event_types")
    if not chosen:
        raise Invalid("Choose at least one event type.", field="event_types")
    return sorted(chosen)


def create_endpoint(
    *,
    actor: Any,
    organisation: Organisation,
    url: str,
    event_types: Iterable[str],
    description: str = "",
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (to show once). Admins and owners only."""
    require(actor, Action.MANAGE, organisation)
    url = clean_url(url)
    types = clean_event_types(event_types)
    secret = new_secret()
    with transaction.atomic():
        count = WebhookEndpoint.objects.filter(organisation=organisation).count()
        if count >= MAX_ENDPOINTS:
            raise Invalid(
                f"This organisation has {count} endpoints; delete one first.", field="url"
            )
        endpoint = WebhookEndpoint.objects.create(
            organisation=organisation,
            url=url,
            description=description.strip()[:200],
            event_types=types,
            active=active,
            secret=secret,
            secret_prefix=secret[: len(SECRET_PREFIX) + 4],
            created_by=actor,
        )
        history.record(actor=actor, obj=endpoint, action="created", summary=f"Webhook to {url}")
    return endpoint, secret


def update_endpoint(
    *,
    actor: Any,
    endpoint: WebhookEndpoint,
    expected_version: int | None,
    url: str,
    event_types: Iterable[str],
    description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    """Change an endpoint; switching it on again clears its failure count and disabling."""
    require(actor, Action.MANAGE, endpoint)
    fields = ["url", "event_types", "description", "active"]
    before = history.snapshot(endpoint, fields)
    if url.strip() != endpoint.url:  # an unchanged URL is checked again when sending
        endpoint.url = clean_url(url)
    endpoint.event_types = clean_event_types(event_types)
    endpoint.description = description.strip()[:200]
    if active and not endpoint.active:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    endpoint.active = active
    with transaction.atomic():
        save_versioned(
            endpoint,
            expected_version=expected_version,
            fields=[*fields, "consecutive_failures", "disabled_at", "disabled_reason"],
        )
        changes = history.diff(before, history.snapshot(endpoint, fields))
        if changes:
            history.record(actor=actor, obj=endpoint, action="updated", changes=changes)
    return endpoint


def rotate_secret(*, actor: Any, endpoint: WebhookEndpoint) -> str:
    """A new secret for ``endpoint`` (the old one stops signing at once); returns it."""
    require(actor, Action.MANAGE, endpoint)
    secret = new_secret()
    endpoint.secret = secret
    endpoint.secret_prefix = secret[: len(SECRET_PREFIX) + 4]
    endpoint.secret_rotated_at = timezone.now()
    with transaction.atomic():
        save_versioned(
            endpoint,
            expected_version=None,
            fields=["secret", "secret_prefix", "secret_rotated_at"],
        )
        history.record(actor=actor, obj=endpoint, action="secret rotated")
    return secret


def delete_endpoint(
    *, actor: Any, endpoint: WebhookEndpoint, expected_version: int | None = None
) -> None:
    """Delete an endpoint with its deliveries and their log. ``expected_version``: as read (an
    endpoint changed since is a Conflict, nothing deleted)."""
    require(actor, Action.MANAGE, endpoint)
    with transaction.atomic():
        history.record(actor=actor, obj=endpoint, action="deleted", summary=endpoint.url)
        delete_versioned(endpoint, expected_version=expected_version, what="this endpoint")


def send_test_event(*, actor: Any, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ``ping`` event for ``endpoint`` (sent at the worker's next pass, even when the
    endpoint is switched off, so a receiver can be checked before it is switched on)."""
    require(actor, Action.MANAGE, endpoint)
    event_id = uuid.uuid4()
    body = body_of(
        event_id=event_id,
        event_type=TEST_EVENT,
        occurred_at=timezone.now(),
        organisation_id=endpoint.organisation_id,
        obj={"id": endpoint.pk, "type": "webhook_endpoint", "name": str(endpoint), "url": ""},
    )
    with transaction.atomic():
        queued = WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=event_id, event_type=TEST_EVENT, body=body
        )
        history.record(
            actor=actor,
            obj=endpoint,
            action="test event sent",
            summary=f"Test event {event_id} queued for {endpoint.url}",
        )
    return queued


def redeliver(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue ``delivery``'s event again, same event id and body, as a new delivery."""
    endpoint = delivery.endpoint
    require(actor, Action.MANAGE, endpoint)
    with transaction.atomic():
        queued = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            body=delivery.body,
        )
        history.record(
            actor=actor,
            obj=endpoint,
            action="redelivered",
            summary=f"Event {delivery.event_type} {delivery.event_id} queued again "
            f"(delivery {delivery.pk})",
        )
    return queued


# An organisation's active endpoints (id, organisation, event types), compiled once
# (core/fastread.py): every recorded write of a watched object reads them after its commit.
def _endpoints(**where: Any) -> Any:
    return (
        WebhookEndpoint.objects.filter(active=True, **where)
        .order_by("pk")
        .values_list("pk", "organisation_id", "event_types")
    )


_ACTIVE_ENDPOINTS_OF = FastRows(
    WebhookEndpoint, lambda organisation_id: _endpoints(organisation_id=organisation_id)
)


def _active_endpoints(organisations: set[int]) -> list[tuple[int, int, list[str]]]:
    """(id, organisation id, event types) of the active endpoints of ``organisations``."""
    if len(organisations) == 1:
        rows: list[Any] = _ACTIVE_ENDPOINTS_OF.rows(next(iter(organisations)))
    else:
        rows = list(_endpoints(organisation_id__in=organisations))
    # The driver's JSON: text on SQLite (and as Django loads it on PostgreSQL), else a list.
    return [(pk, org, json.loads(t) if isinstance(t, str) else t) for pk, org, t in rows]


def queue_events(events: list[Event]) -> int:
    """One delivery per (event, active endpoint subscribed to its type); returns how many.

    Called after the commit of the write that made the events (``events._flush``): one query
    for the endpoints of the organisations concerned (compiled once for one organisation, the
    usual case), and one insert when some endpoint wants an event.
    """
    endpoints = _active_endpoints({e.organisation_id for e in events})
    if not endpoints:
        return 0
    now = timezone.now()
    rows: list[WebhookDelivery] = []
    for event in events:
        wanted = [
            pk
            for pk, organisation_id, types in endpoints
            if organisation_id == event.organisation_id and event.type in types
        ]
        body = event.body() if wanted else ""
        rows.extend(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_id=event.event_id,
                event_type=event.type,
                body=body,
                created_at=now,
                next_attempt_at=now,
                status=DeliveryStatus.QUEUED,
            )
            for endpoint_id in wanted
        )
    WebhookDelivery.objects.bulk_create(rows)
    return len(rows)
