"""A deleted project takes the comments on it, its tasks and its risks with it."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from twofold.comments.models import Comment
from twofold.projects.lifecycle import DeletePart, register_delete_part
from twofold.projects.models import Project, Task


def _of(project: Project) -> QuerySet[Comment]:
    from twofold.risks.models import Risk

    tasks = Task.all_objects.filter(project=project).values("pk")
    risks = Risk.all_objects.filter(project=project).values("pk")
    return Comment.objects.filter(
        Q(target_kind="project", target_id=project.pk)
        | Q(target_kind="task", target_id__in=tasks)
        | Q(target_kind="risk", target_id__in=risks),
        organisation_id=project.organisation_id,
    )


def _delete(project: Project) -> None:
    _of(project).delete()


def register() -> None:
    register_delete_part(
        DeletePart(
            label="comments",
            count=lambda p: _of(p).filter(deleted_at__isnull=True).count(),
            delete=_delete,
        )
    )
