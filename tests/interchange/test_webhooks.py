"""Webhooks: endpoints registered by admins, deliveries queued after the commit of the writes
they announce, signed, sent by the worker to a local receiver, retried with backoff, and the
endpoint switched off (with a notice) after repeated failures."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from tests.receiver import Receiver, running_receiver
from twofold.accounts.models import Role
from twofold.core.errors import Forbidden, Invalid
from twofold.interchange.webhooks import delivery as sender
from twofold.interchange.webhooks import services
from twofold.interchange.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from twofold.notifications.models import Notification
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    with running_receiver() as running:
        yield running


@pytest.fixture
def endpoint(org: Any, owner: Any, receiver: Receiver) -> tuple[WebhookEndpoint, str]:
    return services.create_endpoint(
        actor=owner,
        organisation=org,
        url=receiver.url,
        event_types=["task.created", "task.changed", "project.created"],
        description="Local receiver",
    )


def _verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (docs/interchange.md)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def test_writes_queue_signed_deliveries_after_commit_and_the_worker_sends_them(
    org: Any,
    owner: Any,
    receiver: Receiver,
    endpoint: tuple[WebhookEndpoint, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    _hook, secret = endpoint
    with django_capture_on_commit_callbacks(execute=True):
        project = project_services.create_project(
            actor=owner, organisation=org, name="Press line", code="PL"
        )
        task, _ = project_services.create_task(actor=owner, project=project, name="Weld jig")
    queued = list(WebhookDelivery.objects.order_by("id"))
    assert [d.event_type for d in queued] == ["project.created", "task.created"]
    assert all(d.status == DeliveryStatus.QUEUED for d in queued)

    assert sender.send_due("w1") == (2, 0)

    assert len(receiver.received) == 2
    got = receiver.received[1]
    assert got.headers["x-twofold-event"] == "task.created"
    assert got.headers["x-twofold-delivery"] == str(queued[1].event_id)
    assert got.headers["content-type"] == "application/json"
    assert _verify(secret, got.headers["x-twofold-signature"], got.body)
    assert not _verify("whsec_wrong", got.headers["x-twofold-signature"], got.body)
    payload = json.loads(got.body)
    assert set(payload) == {"id", "type", "occurred_at", "organisation", "object"}
    assert (payload["id"], payload["type"]) == (str(queued[1].event_id), "task.created")
    assert payload["organisation"] == {"id": org.pk}
    obj = payload["object"]
    assert (obj["id"], obj["type"], obj["name"], obj["project_id"]) == (
        task.pk,
        "task",
        "Weld jig",
        project.pk,
    )
    assert obj["url"] == f"http://127.0.0.1:8000/projects/{project.pk}/tasks/{task.pk}/"
    assert [d.status for d in WebhookDelivery.objects.order_by("id")] == ["succeeded"] * 2
    log = WebhookAttempt.objects.order_by("id").last()
    assert log is not None
    assert (log.number, log.status_code, log.error, log.succeeded) == (1, 200, "", True)


def test_a_rolled_back_write_and_unsubscribed_types_queue_nothing(
    org: Any, owner: Any, endpoint: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        project = project_services.create_project(
            actor=owner, organisation=org, name="Press line", code="PL"
        )
    WebhookDelivery.objects.all().delete()

    def fails() -> None:
        with transaction.atomic():
            project_services.create_task(actor=owner, project=project, name="Gone")
            raise RuntimeError("roll back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        fails()
    assert WebhookDelivery.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        project_services.update_project(  # project.changed: not subscribed
            actor=owner, project=project, expected_version=project.version, name="Press line 2"
        )
        project_services.create_task(actor=owner, project=project, name="Kept")
    assert [
        (d.event_type, json.loads(d.body)["object"]["name"]) for d in WebhookDelivery.objects.all()
    ] == [("task.created", "Kept")]


def test_a_savepoint_rolled_back_inside_a_kept_write_takes_its_events_with_it(
    org: Any, owner: Any, endpoint: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The outer write commits, the inner savepoint rolls back: only the outer event goes
    ("task.created" for a task that never existed was sent until 2026-12-05)."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        project = project_services.create_project(
            actor=owner, organisation=org, name="Press line", code="PL"
        )
        try:
            with transaction.atomic():
                project_services.create_task(actor=owner, project=project, name="Ghost")
                raise RuntimeError("roll back the savepoint")
        except RuntimeError:
            pass
        project_services.create_task(actor=owner, project=project, name="Kept")
    assert sorted(
        (d.event_type, json.loads(d.body)["object"]["name"]) for d in WebhookDelivery.objects.all()
    ) == [("project.created", "Press line"), ("task.created", "Kept")]


def test_events_go_to_their_own_organisation_s_active_subscribed_endpoints(
    make_org: Any, member: Any
) -> None:
    """One organisation (the compiled read) and several in one batch (the general read)."""
    from twofold.interchange.webhooks.events import Event

    first, second = make_org("First"), make_org("Second")
    hooks = {}
    for org, name, types, active in [
        (first, "a", ["task.created", "task.changed"], True),
        (first, "b", ["task.changed"], True),
        (first, "off", ["task.created"], False),
        (second, "c", ["task.created"], True),
    ]:
        hooks[name] = WebhookEndpoint.objects.create(
            organisation=org,
            url=f"https://hooks.example.com/{name}",
            event_types=types,
            active=active,
        )

    def event(org: Any, kind: str) -> Event:
        return Event(org.pk, kind, uuid.uuid4(), timezone.now(), {"id": 1, "type": "task"})

    def queued() -> list[tuple[str, str]]:
        rows = WebhookDelivery.objects.order_by("id").values_list("endpoint__url", "event_type")
        found = [(url.rsplit("/", 1)[1], kind) for url, kind in rows]
        WebhookDelivery.objects.all().delete()
        return found

    assert services.queue_events([event(first, "task.created")]) == 1
    assert queued() == [("a", "task.created")]
    assert services.queue_events([event(first, "task.changed")]) == 2
    assert queued() == [("a", "task.changed"), ("b", "task.changed")]
    assert services.queue_events([event(first, "project.created")]) == 0
    batch = [event(second, "task.created"), event(first, "task.created")]
    assert services.queue_events(batch) == 2
    assert queued() == [("c", "task.created"), ("a", "task.created")]
    assert services.queue_events([event(second, "task.changed")]) == 0
    assert queued() == []


def test_a_failed_attempt_is_retried_with_exponential_backoff_for_a_day(
    receiver: Receiver, endpoint: tuple[WebhookEndpoint, str], owner: Any
) -> None:
    receiver.answers = [(500, b"boom", {})]
    hook, _secret = endpoint
    delivery = services.send_test_event(actor=owner, endpoint=hook)
    before = timezone.now()
    assert sender.send_due("w1") == (0, 1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("queued", 1, 500)
    assert delivery.last_error == "HTTP 500"
    wait = delivery.next_attempt_at - before
    assert dt.timedelta(seconds=59) < wait < dt.timedelta(seconds=62)
    assert sender.send_due("w1") == (0, 0)  # not due yet
    assert [sender.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 9, 20)] == [
        1,
        2,
        4,
        8,
        240,
        240,
    ]

    # The next attempt that would fall past a day after the event gives up.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now(),
        created_at=timezone.now() - dt.timedelta(hours=23, minutes=59),
    )
    receiver.answers = [(503, b"", {})]
    assert sender.send_due("w1") == (0, 1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 2, 503)
    assert list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("number")
        .values_list("number", "status_code")
    ) == [(1, 500), (2, 503)]


def test_repeated_failures_switch_the_endpoint_off_and_tell_the_admins(
    settings: Any,
    org: Any,
    owner: Any,
    member: Any,
    receiver: Receiver,
    endpoint: tuple[WebhookEndpoint, str],
) -> None:
    settings.TWOFOLD_WEBHOOK_DISABLE_AFTER = 3
    admin = member(org, Role.ADMIN)
    worker = member(org, Role.MEMBER)
    receiver.answers = [(500, b"", {})]
    hook, _secret = endpoint
    rows = [
        WebhookDelivery.objects.create(endpoint=hook, event_type="task.changed", body="{}")
        for _ in range(4)
    ]
    assert sender.send_due("w1", limit=3) == (0, 3)
    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures) == (False, 3)
    assert hook.disabled_reason.startswith("Switched off after 3 failed attempts in a row")
    rows[3].refresh_from_db()
    assert (rows[3].status, rows[3].last_error) == ("failed", "The endpoint was switched off.")
    told = Notification.objects.filter(kind="webhook_disabled")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([owner.pk, admin.pk])
    assert worker.pk not in told.values_list("recipient_id", flat=True)
    assert told.first().url == f"/settings/webhooks/{hook.pk}/"  # type: ignore[union-attr]

    # Switching it on again starts a fresh count.
    services.update_endpoint(
        actor=owner,
        endpoint=hook,
        expected_version=hook.version,
        url=hook.url,
        event_types=hook.event_types,
        active=True,
    )
    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures, hook.disabled_at) == (True, 0, None)


def test_the_address_is_checked_again_at_send_time(
    settings: Any, receiver: Receiver, endpoint: tuple[WebhookEndpoint, str], owner: Any
) -> None:
    hook, _secret = endpoint
    delivery = services.send_test_event(actor=owner, endpoint=hook)
    settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS = []
    assert sender.send_due("w1") == (0, 1)
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused: 127.0.0.1 is a loopback address")
    assert receiver.received == []


def test_two_workers_never_claim_the_same_delivery(
    endpoint: tuple[WebhookEndpoint, str], owner: Any
) -> None:
    hook, _secret = endpoint
    for _ in range(3):
        services.send_test_event(actor=owner, endpoint=hook)
    first = sender.claim("w1", limit=2)
    second = sender.claim("w2")
    assert len(first) == 2 and len(second) == 1
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert sender.claim("w3") == []


def test_registration_refuses_internal_urls_and_members(
    org: Any, owner: Any, member: Any, settings: Any
) -> None:
    settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS = []
    with pytest.raises(Invalid) as refused:
        services.create_endpoint(
            actor=owner, organisation=org, url="http://[::1]:8080/", event_types=["task.created"]
        )
    assert refused.value.field == "url"
    with pytest.raises(Invalid) as unknown:
        services.create_endpoint(
            actor=owner, organisation=org, url="https://93.184.216.34/", event_types=["task.eaten"]
        )
    assert unknown.value.field == "event_types"
    with pytest.raises(Forbidden):
        services.create_endpoint(
            actor=member(org, Role.MEMBER),
            organisation=org,
            url="https://93.184.216.34/",
            event_types=["task.created"],
        )
    assert WebhookEndpoint.objects.count() == 0


def test_the_api_shows_the_secret_once_rotates_it_and_redelivers(
    org: Any, owner: Any, api: Any, receiver: Receiver, settings: Any
) -> None:
    client = api(owner)
    base = f"/api/organisations/{org.pk}/webhooks"
    created = client.post(
        base, {"url": receiver.url, "event_types": ["request.created", "task.deleted"]}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and body["secret_prefix"] == secret[:10]
    pk = body["id"]
    assert "secret" not in client.get(f"{base}/{pk}").json()
    assert all("secret" not in e for e in client.get(base).json())

    rotated = client.post(f"{base}/{pk}/rotate-secret").json()["secret"]
    assert rotated != secret
    assert WebhookEndpoint.objects.get(pk=pk).secret == rotated

    test = client.post(f"{base}/{pk}/test")
    assert test.status_code == 202 and test.json()["event_type"] == "ping"
    assert sender.send_due("w1") == (1, 0)
    assert _verify(
        rotated, receiver.received[0].headers["x-twofold-signature"], receiver.received[0].body
    )
    attempts = client.get(f"{base}/{pk}/attempts").json()
    assert [(a["event_type"], a["status_code"], a["succeeded"]) for a in attempts] == [
        ("ping", 200, True)
    ]
    again = client.post(f"{base}/{pk}/deliveries/{test.json()['id']}/redeliver")
    assert again.status_code == 202
    assert again.json()["event_id"] == test.json()["event_id"]
    assert again.json()["id"] != test.json()["id"]

    settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS = []
    bad = client.patch(f"{base}/{pk}", {"url": "http://169.254.169.254/", "version": 1})
    assert bad.status_code == 422
    assert bad.json()["field"] == "url"
    stale = client.patch(f"{base}/{pk}", {"description": "x", "version": 99})
    assert stale.status_code == 409
    assert client.delete(f"{base}/{pk}").status_code == 204
    assert WebhookDelivery.objects.count() == 0


def test_the_pages_register_an_endpoint_show_its_log_with_constant_queries(
    org: Any,
    owner: Any,
    signed_in: Any,
    receiver: Receiver,
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(owner)
    page = client.post(
        "/settings/webhooks/",
        {
            "url": receiver.url,
            "event_types": ["task.created", "kpi_signal.created"],
            "active": "on",
        },
    )
    assert page.status_code == 200
    hook = WebhookEndpoint.objects.get()
    assert hook.secret in page.content.decode()
    assert hook.secret not in client.get("/settings/webhooks/").content.decode()
    refused = client.post(
        "/settings/webhooks/", {"url": "gopher://example.com/", "event_types": ["task.created"]}
    )
    assert refused.status_code == 422
    assert "Only http:// and https:// URLs can be used." in refused.content.decode()

    for _ in range(3):
        client.post(f"/settings/webhooks/{hook.pk}/test/")
    sender.send_due("w1")
    with django_assert_max_num_queries(12):
        detail = client.get(f"/settings/webhooks/{hook.pk}/")
    assert detail.content.decode().count("<td>200") + detail.content.decode().count(">200<") >= 3
    for _ in range(3):
        client.post(f"/settings/webhooks/{hook.pk}/test/")
    sender.send_due("w1")
    with django_assert_max_num_queries(12):
        client.get(f"/settings/webhooks/{hook.pk}/")
    with django_assert_max_num_queries(10):
        client.get("/settings/webhooks/")


def test_a_kpi_in_signal_after_new_values_is_a_kpi_signal_event() -> None:
    from twofold.interchange.webhooks.events import event_for
    from twofold.operations.models import Kpi

    kpi = Kpi(pk=5, name="Scrap rate", state="signal", latest_value=9.5, target=2.0, unit="%")
    kpi.process_id = 3
    event = event_for(kpi, "measurements added", organisation_id=1)
    assert event is not None and event.type == "kpi_signal.created"
    assert event.object == {
        "id": 5,
        "type": "kpi",
        "name": "Scrap rate",
        "action": "measurements added",
        "process_id": 3,
        "state": "signal",
        "latest_value": 9.5,
        "target": 2.0,
        "unit": "%",
    }
    assert event_for(kpi, "updated", organisation_id=1) is None
    kpi.state = "in control"
    assert event_for(kpi, "measurements added", organisation_id=1) is None


def test_a_batch_that_outlasts_its_claim_sends_each_delivery_once(
    endpoint: tuple[WebhookEndpoint, str], owner: Any, monkeypatch: Any
) -> None:
    """Slow receivers: worker 1's batch takes longer than STALE_CLAIM, worker 2 takes the rest
    back and sends it. Worker 1 must not send those too (16 of 50 went twice until
    2026-12-05)."""
    hook, _secret = endpoint
    for _ in range(3):
        services.send_test_event(actor=owner, endpoint=hook)
    sent: list[tuple[str, int]] = []
    real = sender.attempt

    def slow(delivery: WebhookDelivery) -> WebhookAttempt:
        sent.append((delivery.worker, delivery.pk))
        if len(sent) == 1:  # the rest of worker 1's batch waits past its claim
            waiting = WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING)
            waiting.exclude(pk=delivery.pk).update(
                claimed_at=timezone.now() - sender.STALE_CLAIM - dt.timedelta(seconds=1)
            )
            assert sender.send_due("w2") == (2, 0)
        return real(delivery)

    monkeypatch.setattr(sender, "attempt", slow)
    assert sender.send_due("w1") == (1, 0)
    first = sent[0][1]
    assert sorted(pk for _w, pk in sent) == sorted({pk for _w, pk in sent})  # none twice
    assert [w for w, pk in sent if pk == first] == ["w1"] and len(sent) == 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_a_test_event_and_a_redelivery_are_recorded_in_the_endpoint_s_history(
    org: Any, owner: Any, endpoint: tuple[WebhookEndpoint, str]
) -> None:
    from twofold.core.models import HistoryEntry

    hook, _secret = endpoint
    test = services.send_test_event(actor=owner, endpoint=hook)
    again = services.redeliver(actor=owner, delivery=test)

    entries = HistoryEntry.objects.filter(object_id=hook.pk, content_type__model="webhookendpoint")
    assert list(entries.order_by("pk").values_list("action", "summary", "actor")) == [
        ("created", f"Webhook to {hook.url}", owner.pk),
        ("test event sent", f"Test event {test.event_id} queued for {hook.url}", owner.pk),
        ("redelivered", f"Event ping {test.event_id} queued again (delivery {test.pk})", owner.pk),
    ]
    assert again.event_id == test.event_id and again.pk != test.pk
