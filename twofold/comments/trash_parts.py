"""Purging an object from the trash takes the comments on it (and on everything purged in its
batch) with it: comments point at objects without a foreign key, so no cascade reaches them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from twofold.comments import kinds, notify
from twofold.comments.models import Comment
from twofold.core import trash


def _comments_of_batch(obj: Any) -> None:
    batch = getattr(obj, "trash_batch", None)
    for kind in kinds.all_kinds():
        model = kind.model
        manager = getattr(model, "all_objects", None)
        if manager is None or not hasattr(model, "trash_batch"):
            continue  # not trashable itself (a row that only hides with its project)
        if batch is not None:
            ids = manager.filter(trash_batch=batch).values("pk")
            _remove(Comment.objects.filter(target_kind=kind.slug, target_id__in=ids))
    own = kinds.kind_for(obj)
    if own is not None:
        _remove(Comment.objects.filter(target_kind=own.slug, target_id=obj.pk))
    if obj._meta.label == "projects.Project":
        from twofold.comments.project_parts import _of

        _remove(_of(obj))


def _remove(comments: QuerySet[Comment]) -> None:
    notify.comments_removed(comments)  # their text leaves the notifications that quoted it
    comments.delete()


def _also_comments(inner: Callable[[Any], list[str]]) -> Callable[[Any], list[str]]:
    def before_purge(obj: Any) -> list[str]:
        _comments_of_batch(obj)
        return inner(obj)

    return before_purge


def register() -> None:
    """Wrap the ``before_purge`` of every trashable kind that takes comments."""
    labels = {k.model_label.lower() for k in kinds.all_kinds()}
    for name, kind in list(trash.kinds().items()):
        if name in labels and not getattr(kind.before_purge, "_comments", False):
            wrapped = _also_comments(kind.before_purge)
            wrapped._comments = True  # type: ignore[attr-defined]
            trash.register(dataclasses.replace(kind, before_purge=wrapped))
