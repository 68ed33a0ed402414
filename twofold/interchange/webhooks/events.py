"""What webhooks announce: the event types, the payload, the signature, and the one seam
(``core.history.on_record``) through which every service's writes become queued deliveries.

Every service records its writes with ``core.history.record``; :func:`heard` sees each one
inside the writing transaction, keeps the event (the object is at hand, even one being
deleted) and, once the transaction commits, :func:`_flush` writes one delivery per subscribed
active endpoint with a single query for the endpoints and one bulk insert. A rolled-back write
queues nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

OBJECT_TYPES: dict[str, str] = {
    "projects.project": "project",
    "projects.task": "task",
    "operations.request": "request",
    "improvement.handover": "handover",
    "improvement.improvementitem": "improvement_item",
}
"""Model label → the ``object.type`` of its events."""

OBJECT_LABELS = {
    "project": "Project",
    "task": "Task",
    "request": "Request",
    "kpi_signal": "KPI signal",
    "handover": "Handover",
    "improvement_item": "Improvement item",
}
VERBS = {"created": "created", "changed": "changed", "deleted": "deleted"}

VERB_OF = {"created": "created", "deleted": "deleted", "moved to trash": "deleted"}
"""History actions that are not "changed" (a trashed object is deleted for receivers; its
restoring is a change)."""

EVENT_TYPES: list[tuple[str, str]] = [
    (f"{kind}.{verb}", f"{label} {verb}")
    for kind, label in OBJECT_LABELS.items()
    for verb in VERBS
    if kind != "kpi_signal" or verb == "created"
]
"""Every event type an endpoint may subscribe to, with its label. A KPI signal is an event,
not an object that changes: only ``kpi_signal.created`` exists."""
EVENT_TYPE_KEYS = frozenset(key for key, _label in EVENT_TYPES)
TEST_EVENT = "ping"

FIELDS: dict[str, tuple[str, ...]] = {
    "project": ("code", "name", "phase", "target_start", "target_finish", "archived_at"),
    "task": ("project_id", "name", "status", "start", "finish", "percent_complete"),
    "request": ("queue_id", "title", "status", "priority"),
    "handover": ("project_id", "status"),
    "improvement_item": ("title", "status"),
    "kpi_signal": ("process_id", "state", "latest_value", "target", "unit"),
}
"""The small representation of each object in a payload (fields the row holds itself)."""


@dataclass(frozen=True)
class Event:
    """One event, ready to become deliveries. The URL and the JSON body are built only when an
    endpoint wants the event (:meth:`body`), so a write nobody subscribed to costs a dict."""

    organisation_id: int
    type: str
    event_id: uuid.UUID
    occurred_at: dt.datetime
    object: dict[str, Any]
    source: models.Model | None = None

    def body(self) -> str:
        represented = {**self.object, "url": _url(self.source) if self.source else ""}
        return body_of(
            event_id=self.event_id,
            event_type=self.type,
            occurred_at=self.occurred_at,
            organisation_id=self.organisation_id,
            obj=represented,
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _url(obj: models.Model) -> str:
    from twofold.notifications.links import link_for

    path = link_for(obj)
    return f"{settings.TWOFOLD_BASE_URL}{path}" if path else ""


def body_of(
    *,
    event_id: uuid.UUID,
    event_type: str,
    occurred_at: dt.datetime,
    organisation_id: int,
    obj: dict[str, Any],
) -> str:
    """The JSON body receivers get (keys sorted, so the same event always reads the same)."""
    payload = {
        "id": str(event_id),
        "type": event_type,
        "occurred_at": occurred_at.isoformat(),
        "organisation": {"id": organisation_id},
        "object": obj,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def event_for(obj: models.Model, action: str, organisation_id: int) -> Event | None:
    """The webhook event a recorded change makes, or None when it announces nothing."""
    label = obj._meta.label_lower
    kind = OBJECT_TYPES.get(label)
    if kind is not None:
        verb = VERB_OF.get(action, "changed")
    elif label == "operations.kpi" and getattr(obj, "state", "") == "signal":
        if not action.startswith("measurement"):
            return None
        kind, verb = "kpi_signal", "created"
    else:
        return None
    fields = {name: _plain(getattr(obj, name, None)) for name in FIELDS[kind]}
    represented = {
        "id": obj.pk,
        "type": "kpi" if kind == "kpi_signal" else kind,
        "name": str(obj)[:200],
        "action": action,
        **fields,
    }
    deleted = f"{kind}.{verb}" == f"{kind}.deleted"
    return Event(
        organisation_id=organisation_id,
        type=f"{kind}.{verb}",
        event_id=uuid.uuid4(),
        occurred_at=timezone.now(),
        object=represented,
        source=None if deleted else copy.copy(obj),
    )


def signature(secret: str, timestamp: int, body: str) -> str:
    """The ``X-Twofold-Signature`` header: ``t=<timestamp>,v1=<hex HMAC-SHA256>`` over
    ``"<timestamp>.<body>"`` with the endpoint's secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


# --- From recorded changes to queued deliveries, once per transaction -------------------------

_pending = threading.local()


def _queue(events: list[Event]) -> None:
    from twofold.interchange.webhooks.services import queue_events

    queue_events(events)


def _flush(events: list[Event]) -> None:
    if events:
        _queue(list(events))
        events.clear()


def _still_registered(token: Callable[[], None]) -> bool:
    index = getattr(_pending, "index", -1)
    hooks = connection.run_on_commit
    return 0 <= index < len(hooks) and hooks[index][1] is token


def heard(obj: models.Model, action: str, organisation_id: int) -> None:
    """The ``core.history.on_record`` listener: keep the event for after the commit.

    Events of one transaction share one after-commit flush, per savepoint: the flush is found
    again by its place in the connection's on-commit list and joined only from the savepoint it
    was registered in. When it is gone (the transaction or its savepoint rolled back, or it
    already ran), or the event comes from another savepoint, a new batch starts in the event's
    own savepoint, so a savepoint that rolls back takes its events with it (an event from an
    inner savepoint used to join the outer batch and was sent after its rollback).
    """
    if obj._meta.label_lower not in OBJECT_TYPES and obj._meta.label_lower != "operations.kpi":
        return
    event = event_for(obj, action, organisation_id)
    if event is None:
        return
    token = getattr(_pending, "token", None)
    here = tuple(connection.savepoint_ids)
    if (
        token is not None
        and connection.in_atomic_block
        and _still_registered(token)
        and getattr(_pending, "savepoints", None) == here
    ):
        _pending.events.append(event)
        return
    events = [event]

    def flush() -> None:
        if getattr(_pending, "token", None) is flush:
            _pending.token = None  # spent: later events start a new batch
        _flush(events)

    _pending.events, _pending.token, _pending.savepoints = events, flush, here
    _pending.index = len(connection.run_on_commit)
    transaction.on_commit(flush, robust=True)
