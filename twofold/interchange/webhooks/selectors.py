"""Reading webhooks: an organisation's endpoints with their latest delivery state, one
endpoint, its delivery log. Admins and owners only (members get ``Forbidden``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from twofold.accounts.models import Organisation
from twofold.core.errors import NotFound
from twofold.core.policy import Action, require
from twofold.interchange.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

LOG_LIMIT = 50


def endpoints_of(user: Any, organisation: Organisation) -> QuerySet[WebhookEndpoint]:
    """The organisation's endpoints, each with ``waiting`` (queued deliveries) and
    ``last_attempt_at``, in one query."""
    require(user, Action.MANAGE, organisation)
    return WebhookEndpoint.objects.filter(organisation=organisation).annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.QUEUED)),
        last_attempt_at=Max("log__at"),
    )


def get_endpoint(user: Any, organisation: Organisation, pk: int) -> WebhookEndpoint:
    require(user, Action.MANAGE, organisation)
    endpoint = WebhookEndpoint.objects.filter(organisation=organisation, pk=pk).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def log_of(endpoint: WebhookEndpoint, limit: int = LOG_LIMIT) -> list[WebhookAttempt]:
    """The newest attempts to send to ``endpoint``, with their deliveries, in one query."""
    return list(WebhookAttempt.objects.filter(endpoint=endpoint).select_related("delivery")[:limit])


def deliveries_of(endpoint: WebhookEndpoint, limit: int = LOG_LIMIT) -> list[WebhookDelivery]:
    """The newest deliveries of ``endpoint`` (without their bodies), in one query."""
    return list(WebhookDelivery.objects.filter(endpoint=endpoint).defer("body")[:limit])


def get_delivery(endpoint: WebhookEndpoint, pk: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.filter(endpoint=endpoint, pk=pk).select_related("endpoint").first()
    )
    if delivery is None:
        raise NotFound("Delivery not found.")
    return delivery
