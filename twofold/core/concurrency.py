"""Optimistic concurrency: every editable row carries ``version``; a stale edit is a Conflict."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import models
from django.db.models import F

from twofold.core.errors import Conflict, NotFound


def save_versioned(obj: models.Model, *, expected_version: int | None, fields: list[str]) -> None:
    """Save ``fields`` of ``obj`` only if its stored version is still ``expected_version``.

    The check and the write are one UPDATE, so two writers cannot both win. On success
    ``obj.version`` is incremented; on a stale version ``Conflict`` is raised and nothing is written.
    ``expected_version=None`` means the caller has no version (e.g. a background job): last write wins.
    """
    model = obj._meta.model
    values: dict[str, Any] = {name: getattr(obj, name) for name in fields}
    # Foreign keys are set through their attname so the UPDATE gets ids, not instances.
    for field in model._meta.concrete_fields:
        if field.name in values and field.attname != field.name:
            related = values.pop(field.name)
            values[field.attname] = related.pk if related is not None else None
    queryset = model._default_manager.filter(pk=obj.pk)
    if expected_version is not None:
        queryset = queryset.filter(version=expected_version)
    updated = queryset.update(version=F("version") + 1, **values)
    if updated == 0:
        _as_stored(obj, fields)
        raise Conflict(STALE)
    if expected_version is not None:
        # The UPDATE matched the row at exactly ``expected_version`` and added one, atomically.
        obj.version = expected_version + 1  # type: ignore[attr-defined]
    else:
        obj.refresh_from_db(fields=["version"])


STALE = (
    "Someone else changed this since you opened it. Reload to see their change, "
    "then make yours again."
)


def require_current(obj: models.Model, *, expected_version: int | None) -> None:
    """``Conflict`` when ``obj``'s stored version is no longer ``expected_version`` (None: no
    check). For an edit that turns out to change nothing: a stale one is refused all the same,
    as a real change would be, instead of answering 200 over someone else's edit."""
    if expected_version is None:
        return
    model = obj._meta.model
    if not model._default_manager.filter(pk=obj.pk, version=expected_version).exists():
        raise Conflict(STALE)


def lock_rows(rows: models.QuerySet[Any]) -> list[int]:
    """Lock ``rows`` until the transaction ends, in id order (two lockers never wait on each
    other crosswise); their ids. ``NO KEY UPDATE`` on PostgreSQL: rows pointing at them can
    still be inserted meanwhile. SQLite ignores it (its IMMEDIATE transactions take the whole
    database's write lock). Pass a manager's rows without joins (``all_objects``), or the
    joined tables' rows are locked too."""
    return list(rows.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))


def _as_stored(obj: models.Model, fields: list[str]) -> None:
    """Nothing was written: ``obj`` takes the stored values of what it tried to write (and the
    stored version), so a page answering 409 shows the object as it is now, not the refused
    edit as if it were saved (an occurrence showed "done" and no checklist, hence no message)."""
    with contextlib.suppress(obj.DoesNotExist):  # type: ignore[attr-defined]  # deleted: as it was
        obj.refresh_from_db(fields=[*fields, "version"])


def delete_versioned(obj: models.Model, *, expected_version: int | None, what: str) -> None:
    """Delete ``obj`` only if its stored version is still ``expected_version`` (None: whatever
    it is now), checked in the DELETE itself: someone's change since is a Conflict naming
    ``what`` and nothing is deleted; a row already gone is NotFound. Cascades as ``delete()``."""
    model = obj._meta.model
    found = model._default_manager.filter(pk=obj.pk)
    if expected_version is not None:
        found = found.filter(version=expected_version)
    deleted, _ = found.delete()
    if deleted:
        return
    if model._default_manager.filter(pk=obj.pk).exists():
        raise Conflict(f"Someone changed {what} since you read it: look again before deleting it.")
    raise NotFound("Not found.")
