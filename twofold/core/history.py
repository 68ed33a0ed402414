"""Writing and reading the history of changes (services call ``record``)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from twofold.core.models import HistoryEntry
from twofold.core.policy import organisation_id_of


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


# Called after commit with (model label, pk, organisation id) for every recorded change; a feature
# app that keeps derived data (the search index) registers one in its AppConfig.ready, so core
# imports no feature app and every service that records history keeps that data current.
ChangeListener = Callable[[str, Any, int], None]
_listeners: list[ChangeListener] = []


def on_change(listener: ChangeListener) -> None:
    """Call ``listener(label, pk, organisation_id)`` after the commit of each recorded change."""
    if listener not in _listeners:
        _listeners.append(listener)


def _notify(label: str, pk: Any, organisation_id: int) -> None:
    for listener in _listeners:
        listener(label, pk, organisation_id)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields``, ready to diff after a change."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [from, to]}`` for each field whose value changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def record(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    changes: Mapping[str, list[Any]] | None = None,
    summary: str = "",
) -> HistoryEntry:
    """Append one history entry for ``obj``; call inside the service's transaction.

    After the commit, the registered change listeners hear of it (``on_change``); one that fails
    is logged and never undoes the write (``robust``).
    """
    organisation_id = organisation_id_of(obj)
    if _listeners:
        label, pk = obj._meta.label_lower, obj.pk
        transaction.on_commit(lambda: _notify(label, pk, organisation_id), robust=True)
    return HistoryEntry.objects.create(
        organisation_id=organisation_id,
        actor=actor if getattr(actor, "pk", None) else None,
        content_type=ContentType.objects.get_for_model(obj._meta.model),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        action=action,
        changes=dict(changes or {}),
        summary=summary[:300],
    )


def history_for(obj: models.Model, limit: int = 50) -> list[HistoryEntry]:
    """The newest entries for ``obj`` with their actors, in one query."""
    ct = ContentType.objects.get_for_model(obj._meta.model)
    return list(
        HistoryEntry.objects.filter(content_type=ct, object_id=obj.pk).select_related("actor")[
            :limit
        ]
    )
