"""Keeping the index current: one object after each recorded change, or a whole rebuild.

Services never call this module: ``core.history.record`` tells ``on_recorded_change`` after
the commit (registered in ``SearchConfig.ready``). The full-text side (FTS5 table or
``tsvector`` column) follows the ``search_document`` rows by itself (triggers, generated column).
"""

from __future__ import annotations

import functools
import logging
from itertools import islice
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat

from twofold.core import bulk
from twofold.operations.models import Process, Queue
from twofold.projects.models import Project, Task
from twofold.search.documents import (
    CHILDREN_OF_LABEL,
    DOCUMENT_COLUMNS,
    KIND_OF_LABEL,
    SCOPE_FIELD,
    SOURCES,
)
from twofold.search.models import Kind, SearchDocument

log = logging.getLogger(__name__)
BATCH = 2000
_COMPARED = ("organisation_id", "scope_id", "title", "body", "context", "url", "min_rank")


def on_recorded_change(
    label: str, pk: Any, organisation_id: int, fields: frozenset[str] | None = None
) -> None:
    """The history listener: re-index the object (and its children's context line).

    A plain update that changed none of the fields the object's document is made of (a task's
    status, dates or board position) leaves the document as it is: nothing to read or write.
    """
    kind = KIND_OF_LABEL.get(label)
    skip = fields is not None and kind is not None and label not in CHILDREN_OF_LABEL
    if skip and not fields & indexed_fields(kind):  # type: ignore[operator]
        return
    if kind is not None:
        index_object(kind, int(pk))
    if label in CHILDREN_OF_LABEL:
        refresh_context(label, int(pk))
    if label == "projects.project":
        index_new_tasks(int(pk))


@functools.cache
def indexed_fields(kind: Kind) -> frozenset[str]:
    """The model fields (and foreign keys) whose change can change ``kind``'s documents."""
    roots = {c.split("__")[0].removesuffix("_id") for c in SOURCES[kind].columns}
    return frozenset(roots | {f"{r}_id" for r in roots} | {"organisation", "organisation_id"})


def index_new_tasks(project_id: int) -> None:
    """Index the project's tasks that have no document yet.

    A project made from a template inserts its tasks in bulk and records one history entry, for
    the project: its tasks are indexed here, in one insert, when that entry is heard.
    """
    known = SearchDocument.objects.filter(kind=Kind.TASK, scope_id=project_id).values("object_id")
    new = Task.objects.filter(project_id=project_id).exclude(pk__in=known).order_by()
    documents = list(SOURCES[Kind.TASK].values(new))
    if documents:
        # Written as plain rows (an imported plan brings 10,000 tasks: bulk_create's
        # per-value preparation cost seconds).
        with transaction.atomic():
            ids = bulk.allocate_ids(SearchDocument, len(documents))
            bulk.insert(
                SearchDocument,
                ("id", *DOCUMENT_COLUMNS),
                ((pk, *values) for pk, values in zip(ids, documents, strict=True)),
                ignore_conflicts=True,
            )


def index_object(kind: Kind, pk: int) -> None:
    """Write, update or delete the document of one object so it matches the object now."""
    source = SOURCES[kind]
    fresh = next(source.rows(source.model._default_manager.filter(pk=pk)), None)
    stored = SearchDocument.objects.filter(kind=kind, object_id=pk).first()
    if fresh is None:
        if stored is not None:
            stored.delete()
            if kind == Kind.TASK and stored.scope_id is not None:
                _drop_deleted_tasks(stored.scope_id)
        return
    if stored is None:
        try:
            with transaction.atomic():
                fresh.save()
        except IntegrityError:  # another process indexed it a moment ago: update that row
            index_object(kind, pk)
        return
    changed = {f: getattr(fresh, f) for f in _COMPARED if getattr(fresh, f) != getattr(stored, f)}
    if changed:
        SearchDocument.objects.filter(pk=stored.pk).update(**changed)


def _drop_deleted_tasks(project_id: int) -> None:
    """Deleting a summary task deletes its subtree, which recorded no history of its own."""
    alive = Task.objects.filter(project_id=project_id).values("pk")
    SearchDocument.objects.filter(kind=Kind.TASK, scope_id=project_id).exclude(
        object_id__in=alive
    ).delete()


def refresh_context(label: str, pk: int) -> None:
    """A renamed project, queue or process: its children's documents show the new name."""
    name: Any
    if label == "projects.project":
        name = Project.objects.filter(pk=pk).values_list(
            Concat(F("code"), Value(" "), F("name")), flat=True
        )
    elif label == "operations.queue":
        name = Queue.objects.filter(pk=pk).values_list("name", flat=True)
    else:
        name = Process.objects.filter(pk=pk).values_list("name", flat=True)
    current = name.first()
    if current is None:
        return
    SearchDocument.objects.filter(kind__in=CHILDREN_OF_LABEL[label], scope_id=pk).exclude(
        context=current[:300]
    ).update(context=current[:300])


def reindex(organisation_id: int | None = None) -> int:
    """Rebuild the documents of one organisation (or all) in bulk. Returns how many there are."""
    count = 0
    with transaction.atomic():
        stale = SearchDocument.objects.all()
        if organisation_id is not None:
            stale = stale.filter(organisation_id=organisation_id)
        stale.delete()
        for source in SOURCES.values():
            objects = source.model._default_manager.all()
            if organisation_id is not None:
                objects = objects.filter(organisation_id=organisation_id)
            rows = source.rows(objects.order_by())
            while batch := list(islice(rows, BATCH)):
                SearchDocument.objects.bulk_create(batch)
                count += len(batch)
    log.info("search index rebuilt: %d documents", count)
    return count


def on_trash_change(changed: dict[str, list[int]], in_trash: bool) -> None:
    """The trash listener: drop the documents of a batch that went, write those that came back.

    The children of a parent in the batch go and come with it too, though the batch may not
    name them (a lesson is hidden with its project, not put in the trash itself)."""
    for label, pks in changed.items():
        kind = KIND_OF_LABEL.get(label)
        if kind is None:
            continue
        children = CHILDREN_OF_LABEL.get(label, ())
        if in_trash:
            SearchDocument.objects.filter(kind=kind, object_id__in=pks).delete()
            SearchDocument.objects.filter(kind__in=children, scope_id__in=pks).delete()
            continue
        sources = [(SOURCES[kind], {"pk__in": pks})]
        sources += [(SOURCES[c], {f"{SCOPE_FIELD[c]}__in": pks}) for c in children]
        for source, where in sources:
            rows = source.rows(source.model._default_manager.filter(**where).order_by())
            while batch := list(islice(rows, BATCH)):
                SearchDocument.objects.bulk_create(batch, ignore_conflicts=True)
