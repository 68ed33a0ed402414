"""Webhook settings pages: the organisation's endpoints, one endpoint with its delivery log,
and its actions (rotate the secret, send a test event, redeliver, delete). Admins and owners."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from twofold.core.errors import Conflict, Forbidden, NotFound, ServiceError
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    render_page,
    whole_number,
)
from twofold.interchange.webhooks import selectors, services
from twofold.interchange.webhooks.forms import WebhookEndpointForm, event_grid
from twofold.interchange.webhooks.models import WebhookEndpoint


def _refused(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc
    return forbidden_page(request, "Only the organisation's admins and owners manage webhooks.")


def _endpoint(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    return selectors.get_endpoint(request.user, organisation_of(request), endpoint_id)


@organisation_required
def webhooks(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    try:
        endpoints = list(selectors.endpoints_of(request.user, org))
    except (Forbidden, NotFound) as exc:
        return _refused(request, exc)
    form = WebhookEndpointForm(request.POST or None)
    created: tuple[WebhookEndpoint, str] | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.create_endpoint(
                    actor=actor_of(request),
                    organisation=org,
                    url=data["url"],
                    event_types=data["event_types"],
                    description=data["description"],
                    active=data["active"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                endpoints.insert(0, created[0])
                form = WebhookEndpointForm()
        else:
            status = 400
    return render_page(
        request,
        "interchange/pages/webhooks.html",
        {
            "endpoints": endpoints,
            "form": form,
            "event_grid": event_grid(form),
            "created": created[0] if created else None,
            "new_secret": created[1] if created else None,
            "section": "settings",
        },
        status=status,
    )


def _page(
    request: HttpRequest,
    endpoint: WebhookEndpoint,
    form: WebhookEndpointForm | None = None,
    *,
    new_secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    form = form or WebhookEndpointForm(
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "active": endpoint.active,
            "version": endpoint.version,
        }
    )
    return render_page(
        request,
        "interchange/pages/webhook.html",
        {
            "endpoint": endpoint,
            "form": form,
            "event_grid": event_grid(form),
            "new_secret": new_secret,
            "deliveries": selectors.deliveries_of(endpoint),
            "log": selectors.log_of(endpoint),
            "section": "settings",
        },
        status=status,
    )


@organisation_required
def webhook(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    try:
        endpoint = _endpoint(request, endpoint_id)
    except (Forbidden, NotFound) as exc:
        return _refused(request, exc)
    if request.method != "POST":
        return _page(request, endpoint)
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _page(request, endpoint, form, status=400)
    data = form.cleaned_data
    try:
        services.update_endpoint(
            actor=actor_of(request),
            endpoint=endpoint,
            expected_version=data["version"],
            url=data["url"],
            event_types=data["event_types"],
            description=data["description"],
            active=data["active"],
        )
    except ServiceError as exc:
        status = apply_service_error(form, exc)
        return _page(request, _endpoint(request, endpoint_id), form, status=status)
    messages.success(request, "The webhook endpoint was saved.")
    return redirect("interchange:webhook", endpoint_id=endpoint.pk)


def _action(request: HttpRequest, endpoint_id: int, act: Any) -> HttpResponse:
    try:
        endpoint = _endpoint(request, endpoint_id)
        return act(endpoint)  # type: ignore[no-any-return]
    except (Forbidden, NotFound) as exc:
        return _refused(request, exc)
    except Conflict as exc:  # changed since the page was drawn: 409, the page as it is now
        messages.error(request, exc.message)
        response = _page(request, _endpoint(request, endpoint_id))
        response.status_code = 409
        return response


@require_POST
@organisation_required
def webhook_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    def act(endpoint: WebhookEndpoint) -> HttpResponse:
        secret = services.rotate_secret(actor=actor_of(request), endpoint=endpoint)
        return _page(request, endpoint, new_secret=secret)

    return _action(request, endpoint_id, act)


@require_POST
@organisation_required
def webhook_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    def act(endpoint: WebhookEndpoint) -> HttpResponse:
        services.send_test_event(actor=actor_of(request), endpoint=endpoint)
        messages.success(request, "A test event is queued; the worker sends it within seconds.")
        return redirect("interchange:webhook", endpoint_id=endpoint.pk)

    return _action(request, endpoint_id, act)


@require_POST
@organisation_required
def webhook_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    def act(endpoint: WebhookEndpoint) -> HttpResponse:
        services.delete_endpoint(
            actor=actor_of(request),
            endpoint=endpoint,
            expected_version=whole_number(request.POST.get("version")),
        )
        messages.success(request, f"The webhook to {endpoint.url} was deleted.")
        return redirect("interchange:webhooks")

    return _action(request, endpoint_id, act)


@require_POST
@organisation_required
def webhook_redeliver(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    def act(endpoint: WebhookEndpoint) -> HttpResponse:
        delivery = selectors.get_delivery(endpoint, delivery_id)
        services.redeliver(actor=actor_of(request), delivery=delivery)
        messages.success(request, f"The {delivery.event_type} event is queued again.")
        return redirect("interchange:webhook", endpoint_id=endpoint.pk)

    return _action(request, endpoint_id, act)
