"""The webhooks API: the same services and rules as the settings pages (admins and owners)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictInt, StrictStr

from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.web import actor_of
from twofold.interchange.webhooks import selectors, services
from twofold.interchange.webhooks.events import EVENT_TYPES
from twofold.interchange.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])

EVENT_TYPES_TEXT = ", ".join(key for key, _label in EVENT_TYPES)
LIST = {**READ, 403: WRITE[403]}


class WebhookEndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    secret_prefix: str = Field(..., description="The first characters of the secret.")
    consecutive_failures: int
    disabled_at: dt.datetime | None
    disabled_reason: str
    created_at: dt.datetime
    version: int


class WebhookEndpointCreatedOut(WebhookEndpointOut):
    secret: str = Field(..., description="The signing secret. Shown once; rotate to get a new one.")


class WebhookSecretOut(Schema):
    secret: str = Field(..., description="The new signing secret. Shown once.")


class WebhookEndpointIn(BodyIn):
    url: StrictStr = Field(..., max_length=500, description="An http(s) URL on a public address.")
    event_types: list[StrictStr] = Field(..., description=f"Any of: {EVENT_TYPES_TEXT}.")
    description: StrictStr = Field("", max_length=200)
    active: StrictBool = True


class WebhookEndpointPatch(BodyIn):
    url: StrictStr | None = Field(None, max_length=500)
    event_types: list[StrictStr] | None = None
    description: StrictStr | None = Field(None, max_length=200)
    active: StrictBool | None = Field(None, description="true switches a disabled endpoint on.")
    version: StrictInt = Field(..., description="The version you read (a stale one answers 409).")


class WebhookDeliveryOut(Schema):
    id: int
    event_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    finished_at: dt.datetime | None
    last_status_code: int | None
    last_error: str


class WebhookAttemptOut(Schema):
    delivery_id: int
    event_id: uuid.UUID
    event_type: str
    number: int
    at: dt.datetime
    status_code: int | None
    duration_ms: int
    error: str
    succeeded: bool


def _out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "active": endpoint.active,
        "secret_prefix": endpoint.secret_prefix,
        "consecutive_failures": endpoint.consecutive_failures,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at,
        "version": endpoint.version,
    }


def _delivery_out(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "created_at": d.created_at,
        "next_attempt_at": d.next_attempt_at,
        "finished_at": d.finished_at,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
    }


def _attempt_out(a: WebhookAttempt) -> dict[str, Any]:
    return {
        "delivery_id": a.delivery_id,
        "event_id": a.delivery.event_id,
        "event_type": a.delivery.event_type,
        "number": a.number,
        "at": a.at,
        "status_code": a.status_code,
        "duration_ms": a.duration_ms,
        "error": a.error,
        "succeeded": a.succeeded,
    }


def _endpoint(request: HttpRequest, org_id: int, pk: int) -> WebhookEndpoint:
    org = get_organisation(request.user, org_id)
    return selectors.get_endpoint(request.user, org, pk)


@router.get("/organisations/{org_id}/webhooks", response={200: list[WebhookEndpointOut], **LIST})
def list_webhooks(request: HttpRequest, org_id: int) -> list[dict[str, Any]]:
    """The organisation's webhook endpoints (admins and owners)."""
    org = get_organisation(request.user, org_id)
    return [_out(e) for e in selectors.endpoints_of(request.user, org)]


@router.post("/organisations/{org_id}/webhooks", response={201: WebhookEndpointCreatedOut, **WRITE})
def create_webhook(
    request: HttpRequest, org_id: int, payload: WebhookEndpointIn
) -> Status[dict[str, Any]]:
    """Register an endpoint; the answer holds its signing secret, shown this once."""
    org = get_organisation(request.user, org_id)
    endpoint, secret = services.create_endpoint(
        actor=actor_of(request),
        organisation=org,
        url=payload.url,
        event_types=payload.event_types,
        description=payload.description,
        active=payload.active,
    )
    return Status(201, {**_out(endpoint), "secret": secret})


@router.get("/organisations/{org_id}/webhooks/{pk}", response={200: WebhookEndpointOut, **LIST})
def get_webhook(request: HttpRequest, org_id: int, pk: int) -> dict[str, Any]:
    """One endpoint (without its secret)."""
    return _out(_endpoint(request, org_id, pk))


@router.patch("/organisations/{org_id}/webhooks/{pk}", response={200: WebhookEndpointOut, **WRITE})
def update_webhook(
    request: HttpRequest, org_id: int, pk: int, payload: WebhookEndpointPatch
) -> dict[str, Any]:
    """Change an endpoint (fields left out keep their value); ``active: true`` switches a
    disabled one back on."""
    endpoint = _endpoint(request, org_id, pk)
    endpoint = services.update_endpoint(
        actor=actor_of(request),
        endpoint=endpoint,
        expected_version=payload.version,
        url=endpoint.url if payload.url is None else payload.url,
        event_types=endpoint.event_types if payload.event_types is None else payload.event_types,
        description=endpoint.description if payload.description is None else payload.description,
        active=endpoint.active if payload.active is None else payload.active,
    )
    return _out(endpoint)


@router.delete("/organisations/{org_id}/webhooks/{pk}", response={204: None, **WRITE})
def delete_webhook(
    request: HttpRequest, org_id: int, pk: int, version: int | None = None
) -> Status[None]:
    """Delete an endpoint with its deliveries and log. ``version``: as you read it (409 if the
    endpoint changed since)."""
    services.delete_endpoint(
        actor=actor_of(request), endpoint=_endpoint(request, org_id, pk), expected_version=version
    )
    return Status(204, None)


@router.post(
    "/organisations/{org_id}/webhooks/{pk}/rotate-secret",
    response={200: WebhookSecretOut, **WRITE},
)
def rotate_webhook_secret(request: HttpRequest, org_id: int, pk: int) -> dict[str, str]:
    """A new signing secret (shown this once); the old one stops signing at once."""
    secret = services.rotate_secret(
        actor=actor_of(request), endpoint=_endpoint(request, org_id, pk)
    )
    return {"secret": secret}


@router.post(
    "/organisations/{org_id}/webhooks/{pk}/test", response={202: WebhookDeliveryOut, **WRITE}
)
def test_webhook(request: HttpRequest, org_id: int, pk: int) -> Status[dict[str, Any]]:
    """Queue a ``ping`` event for the endpoint (the worker sends it at its next pass)."""
    delivery = services.send_test_event(
        actor=actor_of(request), endpoint=_endpoint(request, org_id, pk)
    )
    return Status(202, _delivery_out(delivery))


@router.get(
    "/organisations/{org_id}/webhooks/{pk}/deliveries",
    response={200: list[WebhookDeliveryOut], **LIST},
)
def list_webhook_deliveries(request: HttpRequest, org_id: int, pk: int) -> list[dict[str, Any]]:
    """The endpoint's newest 50 deliveries."""
    return [_delivery_out(d) for d in selectors.deliveries_of(_endpoint(request, org_id, pk))]


@router.get(
    "/organisations/{org_id}/webhooks/{pk}/attempts",
    response={200: list[WebhookAttemptOut], **LIST},
)
def list_webhook_attempts(request: HttpRequest, org_id: int, pk: int) -> list[dict[str, Any]]:
    """The delivery log: the newest 50 attempts (status code, duration, error)."""
    return [_attempt_out(a) for a in selectors.log_of(_endpoint(request, org_id, pk))]


@router.post(
    "/organisations/{org_id}/webhooks/{pk}/deliveries/{delivery_id}/redeliver",
    response={202: WebhookDeliveryOut, **WRITE},
)
def redeliver_webhook(
    request: HttpRequest, org_id: int, pk: int, delivery_id: int
) -> Status[dict[str, Any]]:
    """Queue a delivery's event again (same event id and body) as a new delivery."""
    endpoint = _endpoint(request, org_id, pk)
    delivery = selectors.get_delivery(endpoint, delivery_id)
    return Status(
        202, _delivery_out(services.redeliver(actor=actor_of(request), delivery=delivery))
    )
