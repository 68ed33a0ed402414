"""A deleted project takes the comments on it, its tasks and its risks with it."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db.models import CASCADE, Q, QuerySet

from twofold.comments import kinds, notify
from twofold.comments.models import Comment
from twofold.projects.lifecycle import DeletePart, register_delete_part
from twofold.projects.models import Project


def _of(project: Project) -> QuerySet[Comment]:
    """Comments on the project and on every commentable row that goes with it: each kind whose
    model's ``project`` is deleted with the project (tasks, risks, handovers, change requests;
    handovers' and change requests' comments were left behind until 2026-12-05)."""
    found = Q(target_kind="project", target_id=project.pk)
    for kind in kinds.all_kinds():
        model = kind.model
        try:
            field = model._meta.get_field("project")
        except FieldDoesNotExist:
            continue
        if getattr(field.remote_field, "on_delete", None) is not CASCADE:
            continue  # kept when the project goes (an improvement item): so are its comments
        rows = model._base_manager.filter(project=project).values("pk")
        found |= Q(target_kind=kind.slug, target_id__in=rows)
    return Comment.objects.filter(found, organisation_id=project.organisation_id)


def _delete(project: Project) -> None:
    comments = _of(project)
    notify.comments_removed(comments)  # their text leaves the notifications that quoted it
    comments.delete()


def register() -> None:
    register_delete_part(
        DeletePart(
            label="comments",
            count=lambda p: _of(p).filter(deleted_at__isnull=True).count(),
            delete=_delete,
        )
    )
