"""The trash: soft delete, restore and purge for any model an app registers (feature-agnostic).

How it works:

* A trashable model inherits :class:`Trashable` (``deleted_at``, ``deleted_by``,
  ``trash_batch``). Its default manager ``objects`` hides rows in the trash, so every page,
  list, export, search source, board, schedule and API that reads through ``objects`` or a
  related manager (``project.tasks``) no longer sees them; ``all_objects`` sees everything (the
  trash itself, purge). Forward foreign keys (``task.project``) and ``save()`` use Django's base
  manager, which sees everything too.
* A model that is not trashable but hangs off one (links, comments, occurrences, measurements)
  uses :class:`LiveChildManager` naming the path(s) to its trashable parent, so it disappears
  with that parent.
* The owning app registers a :class:`TrashKind` in its ``AppConfig.ready``: what goes to the
  trash with the object (its live descendants), its trashable parent (restore refuses while the
  parent is in the trash), hooks after trash/restore (reschedule, board keys) and before purge
  (rows the cascade cannot reach, such as attachments, and the stored files to remove).
* :func:`move_to_trash` marks the object and its live descendants with one new batch id and
  writes a :class:`~twofold.core.models.TrashEntry`; :func:`restore` brings back exactly that
  batch (something trashed earlier on its own keeps its own entry); :func:`purge_entry` deletes
  the batch for good; :func:`purge_due` is the worker's pass over entries older than the
  retention (``settings.TWOFOLD_TRASH_DAYS``), claiming each with ``SELECT … FOR UPDATE SKIP
  LOCKED`` on PostgreSQL (SQLite serialises writers; a purge of something already gone is a
  no-op), so several workers can run at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from twofold.core import history
from twofold.core.errors import Conflict, Invalid, NotFound
from twofold.core.models import TrashEntry
from twofold.core.policy import Action, require
from twofold.core.uploads import remove_stored

_M = TypeVar("_M", bound=models.Model)


class LiveManager(models.Manager[_M]):
    """The default manager of a trashable model: rows in the trash are not there."""

    def get_queryset(self) -> QuerySet[_M]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class LiveChildQuerySet(QuerySet[_M]):
    """Rows whose trashable parent is live. The filter joins the parent, and a plain ``FOR
    UPDATE`` would lock the parent's row too (serialising unrelated writes to it): lock only
    this table's rows unless the caller names others."""

    def select_for_update(
        self,
        nowait: bool = False,
        skip_locked: bool = False,
        of: Sequence[str] = (),
        no_key: bool = False,
    ) -> LiveChildQuerySet[_M]:
        return super().select_for_update(
            nowait=nowait, skip_locked=skip_locked, of=tuple(of) or ("self",), no_key=no_key
        )


class LiveChildManager(models.Manager[_M]):
    """The default manager of a row that lives under a trashable one (``paths`` lead to it)."""

    def __init__(self, *paths: str) -> None:
        super().__init__()
        self.paths = paths

    def get_queryset(self) -> QuerySet[_M]:
        live = {f"{path}__deleted_at__isnull": True for path in self.paths}
        return LiveChildQuerySet(self.model, using=self._db).filter(**live)


class AllRows(models.Manager[_M]):
    """``all_objects``: every row, in the trash or not (the trash itself, purge, restore)."""


class Trashable(models.Model):
    """A model whose rows go to the trash before they are deleted for good."""

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    trash_batch = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    objects = LiveManager()
    all_objects = AllRows()

    class Meta:
        abstract = True

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


def _nothing(obj: Any) -> Iterable[QuerySet[Any]]:
    return ()


def _no_parent(obj: Any) -> Any:
    return None


def _no_text(obj: Any) -> str:
    return ""


def _no_files(obj: Any) -> list[str]:
    return []


@dataclass(frozen=True)
class TrashKind:
    """How one trashable model goes to the trash, comes back and is purged."""

    model: type[models.Model]
    noun: str  # "task", "request queue"
    action: Action  # the role needed to move one to the trash (restore needs an admin)
    url: Callable[[Any], str]  # the object's page once restored
    # Live querysets (through ``objects``) of trashable rows that go with it.
    descendants: Callable[[Any], Iterable[QuerySet[Any]]] = _nothing
    # The nearest trashable parent (read through ``all_objects``/the base manager) or None.
    parent: Callable[[Any], Any] = _no_parent
    context: Callable[[Any], str] = _no_text  # "in P-1 Rollout" for the Trash page
    describe: Callable[[Any], str] = _no_text  # "with 2 subtasks and 1 file"
    after_trash: Callable[[Any], None] | None = None
    after_restore: Callable[[Any, uuid.UUID], None] | None = None
    # Delete rows the cascade does not reach (attachments); return the stored files to remove.
    before_purge: Callable[[Any], list[str]] = _no_files
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.model._meta.label_lower


_kinds: dict[str, TrashKind] = {}
# Called after commit with ({model label: [pks]}, in_trash) for every batch that went or came
# back: derived data (the search index) follows without core importing the feature app.
TrashListener = Callable[[dict[str, list[int]], bool], None]
_listeners: list[TrashListener] = []


def register(kind: TrashKind) -> None:
    """Make ``kind.model`` trashable (call from the owning app's ``AppConfig.ready``)."""
    _kinds[kind.name] = kind


def on_trash_change(listener: TrashListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def kinds() -> dict[str, TrashKind]:
    return dict(_kinds)


def kind_of(obj: models.Model) -> TrashKind:
    return _kinds[obj._meta.label_lower]


def retention_days() -> int:
    """Days a trashed thing can be restored before the worker deletes it for good."""
    return int(getattr(settings, "TWOFOLD_TRASH_DAYS", 30))


def _notify(changed: dict[str, list[int]], in_trash: bool) -> None:
    for listener in _listeners:
        listener(changed, in_trash)


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def move_to_trash(*, actor: Any, obj: Any, expected_version: int | None = None) -> TrashEntry:
    """Move ``obj`` and its live descendants to the trash (one batch) and record it.

    A stale ``expected_version`` refuses (409); something already in the trash is 404.
    """
    kind = kind_of(obj)
    require(actor, kind.action, obj)
    with transaction.atomic():
        model = kind.model
        current = model.objects.select_for_update().filter(pk=obj.pk).first()  # type: ignore[attr-defined]
        if current is None:
            raise NotFound("Not found.")
        if expected_version is not None and current.version != expected_version:
            raise Conflict(
                "Someone else changed this since you opened it. Reload to see their change, "
                "then decide again."
            )
        describe = kind.describe(obj)
        now, batch, by = timezone.now(), uuid.uuid4(), _actor(actor)
        changed: dict[str, list[int]] = {}
        for queryset in kind.descendants(obj):
            pks = list(queryset.values_list("pk", flat=True))
            if pks:
                label = queryset.model._meta.label_lower
                changed.setdefault(label, []).extend(pks)
                queryset.model.all_objects.filter(pk__in=pks).update(
                    deleted_at=now, deleted_by=by, trash_batch=batch
                )
        model.all_objects.filter(pk=obj.pk).update(  # type: ignore[attr-defined]
            deleted_at=now, deleted_by=by, trash_batch=batch, version=F("version") + 1
        )
        obj.deleted_at, obj.deleted_by, obj.trash_batch = now, by, batch
        obj.version = current.version + 1
        changed.setdefault(kind.name, []).append(obj.pk)
        context = kind.context(obj)
        entry = TrashEntry.objects.create(
            organisation_id=obj.organisation_id,
            kind=kind.name,
            content_type=ContentType.objects.get_for_model(model),
            object_id=obj.pk,
            label=f"{kind.noun[0].upper()}{kind.noun[1:]} “{obj}”"[:300],
            summary=" ".join(part for part in (context, describe) if part)[:300],
            batch=batch,
            deleted_by=by,
            deleted_at=now,
            purge_after=now + timedelta(days=retention_days()),
            version=obj.version,
        )
        history.record(
            actor=actor,
            obj=obj,
            action="moved to trash",
            summary=f"Moved {kind.noun} {obj} to the trash" + (f" {describe}" if describe else ""),
        )
        if kind.after_trash is not None:
            kind.after_trash(obj)
        if _listeners:
            transaction.on_commit(lambda: _notify(changed, True), robust=True)
    return entry


def entries(organisation: Any) -> QuerySet[TrashEntry]:
    """The organisation's trash, newest first (read by admins only: see ``require_admin``)."""
    return TrashEntry.objects.filter(organisation=organisation).select_related("deleted_by")


def deleted_rows(
    organisation: Any, since: datetime | None = None, kind: str | None = None
) -> QuerySet[Any]:
    """Tombstones for API sync: ``(kind, id, deleted_at)`` of every row of the organisation in
    the trash (each kind's rows, descendants trashed with their parent included), oldest first;
    only those trashed at or after ``since`` when given. One query (a UNION ALL), however many
    kinds are registered; a purged row is gone from it."""
    parts: list[QuerySet[Any]] = []
    for name, registered in sorted(_kinds.items()):
        if kind is not None and name != kind:
            continue
        rows = registered.model.all_objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, deleted_at__isnull=False
        )
        if since is not None:
            rows = rows.filter(deleted_at__gte=since)
        parts.append(
            rows.order_by()
            .annotate(kind=models.Value(name, output_field=models.CharField()))
            .values_list("kind", "id", "deleted_at")
        )
    if not parts:
        return TrashEntry.objects.none()
    first, *rest = parts
    combined = first.union(*rest, all=True) if rest else first
    return combined.order_by("deleted_at", "kind", "id")


def require_admin(actor: Any, organisation: Any) -> None:
    """The trash is for admins and owners; others get 403 (members) or 404 (outsiders)."""
    require(actor, Action.MANAGE, organisation)


def _locked_entry(organisation: Any, entry_id: int) -> TrashEntry:
    entry = (
        TrashEntry.objects.select_for_update()
        .filter(pk=entry_id, organisation_id=organisation.pk)
        .first()
    )
    if entry is None:
        raise NotFound("This is no longer in the trash: it was restored or deleted for good.")
    return entry


def restore(
    *, actor: Any, organisation: Any, entry_id: int, expected_version: int | None = None
) -> Any:
    """Bring back the entry's object with everything trashed together with it.

    Refuses (422) while its trashable parent is still in the trash: restore the parent first.
    """
    require_admin(actor, organisation)
    with transaction.atomic():
        entry = _locked_entry(organisation, entry_id)
        kind = _kinds[entry.kind]
        model: Any = kind.model
        obj = model.all_objects.filter(pk=entry.object_id).first()
        if obj is None:  # went with a purged parent; the next purge drops the entry
            raise NotFound("This is no longer in the trash: it was deleted for good.")
        if expected_version is not None and obj.version != expected_version:
            raise Conflict(
                "Someone else changed this since you opened the trash. Reload to see it now."
            )
        parent = kind.parent(obj)
        if parent is not None and parent.deleted_at is not None:
            noun = kind_of(parent).noun
            raise Invalid(
                f"Its {noun} “{parent}” is in the trash too: restore the {noun} first.",
                field="parent",
            )
        changed: dict[str, list[int]] = {}
        for other in _kinds.values():
            rows = other.model.all_objects.filter(  # type: ignore[attr-defined]
                trash_batch=entry.batch, organisation_id=entry.organisation_id
            )
            pks = list(rows.values_list("pk", flat=True))
            if pks:
                changed[other.name] = pks
                rows.update(deleted_at=None, deleted_by=None, trash_batch=None)
        model.all_objects.filter(pk=obj.pk).update(version=F("version") + 1)
        obj.refresh_from_db()
        entry.delete()
        history.record(
            actor=actor,
            obj=obj,
            action="restored",
            summary=f"Restored {kind.noun} {obj} from the trash",
        )
        if kind.after_restore is not None:
            kind.after_restore(obj, entry.batch)
        if _listeners:
            transaction.on_commit(lambda: _notify(changed, False), robust=True)
    return obj


def purge_entry(entry: TrashEntry) -> None:
    """Delete the entry's batch for good (call in a transaction holding the entry's lock).

    Idempotent: an object already gone (purged with its parent) only loses its entry.
    """
    kind = _kinds.get(entry.kind)
    files: list[str] = []
    if kind is not None:
        model: Any = kind.model
        obj = model.all_objects.filter(pk=entry.object_id, trash_batch=entry.batch).first()
        if obj is not None:
            files = kind.before_purge(obj)
            model.all_objects.filter(pk=obj.pk).delete()
    TrashEntry.objects.filter(pk=entry.pk).delete()
    _drop_stale_entries(entry.organisation_id)
    if files:
        transaction.on_commit(lambda: remove_stored(files))


def _drop_stale_entries(organisation_id: int) -> None:
    """Entries of things that went with a purged parent (trashed earlier on their own)."""
    for kind in _kinds.values():
        alive = kind.model.all_objects.filter(  # type: ignore[attr-defined]
            organisation_id=organisation_id
        ).values("pk")
        TrashEntry.objects.filter(organisation_id=organisation_id, kind=kind.name).exclude(
            object_id__in=alive
        ).delete()


def purge_now(*, actor: Any, organisation: Any, entry_id: int) -> TrashEntry:
    """An admin's "Delete now": the entry's batch is deleted for good at once."""
    require_admin(actor, organisation)
    with transaction.atomic():
        entry = _locked_entry(organisation, entry_id)
        history.record(
            actor=actor,
            obj=organisation,
            action="deleted from trash",
            summary=f"Deleted {entry.label} from the trash for good",
        )
        purge_entry(entry)
    return entry


def purge_due(now: datetime | None = None, limit: int = 200) -> int:
    """The worker's pass: purge entries past their retention, one transaction each.

    Several workers at once: on PostgreSQL each claims an entry with ``FOR UPDATE SKIP LOCKED``
    (another worker takes the next one); SQLite runs one writer at a time and a second purge of
    the same entry finds nothing. Returns how many entries this worker purged.
    """
    moment = now or timezone.now()
    skip_locked = connection.features.has_select_for_update_skip_locked
    done = 0
    while done < limit:
        with transaction.atomic():
            due = TrashEntry.objects.filter(purge_after__lte=moment).order_by("purge_after", "pk")
            if skip_locked:
                due = due.select_for_update(skip_locked=True)
            entry = due.first()
            if entry is None:
                break
            purge_entry(entry)
        done += 1
    return done
