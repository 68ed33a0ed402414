"""Risks in the trash: alone, or with their project (registered from ``RisksConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from twofold.core import trash
from twofold.core.policy import Action
from twofold.projects.models import Project
from twofold.projects.trash import add_project_part
from twofold.risks.models import Risk


def _risks_of(project: Project) -> QuerySet[Any]:
    return Risk.objects.filter(project=project)


def register() -> None:
    trash.register(
        trash.TrashKind(
            model=Risk,
            noun="risk",
            action=Action.EDIT,
            url=lambda r: reverse("risks:detail", args=[r.pk]),
            parent=lambda r: Project.all_objects.get(pk=r.project_id),
            context=lambda r: f"in {Project.all_objects.get(pk=r.project_id)}",
        )
    )
    add_project_part(_risks_of)
