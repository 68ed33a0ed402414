"""A project's attachments (on the project and its tasks), for the project delete hook."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from twofold.attachments.models import Attachment, TargetKind
from twofold.projects.lifecycle import DeletePart, register_delete_part
from twofold.projects.models import Project, Task


def _of(project: Project) -> QuerySet[Attachment]:
    tasks = Task.objects.filter(project=project).values("pk")
    return Attachment.objects.filter(
        Q(target_kind=TargetKind.PROJECT, target_id=project.pk)
        | Q(target_kind=TargetKind.TASK, target_id__in=tasks),
        organisation_id=project.organisation_id,
    )


def _delete(project: Project) -> None:
    rows = list(_of(project))
    files = [a.file for a in rows if a.file]
    Attachment.objects.filter(pk__in=[a.pk for a in rows]).delete()

    def remove_files() -> None:
        for f in files:
            if f.name:
                f.storage.delete(f.name)

    transaction.on_commit(remove_files)


def register() -> None:
    register_delete_part(
        DeletePart(label="attachments", count=lambda p: _of(p).count(), delete=_delete)
    )
