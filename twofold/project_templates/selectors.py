"""Reads for project templates, scoped to the organisation."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from twofold.accounts.models import Organisation
from twofold.core.errors import NotFound
from twofold.core.policy import Action, can
from twofold.project_templates.models import ProjectTemplate


def templates_of(organisation: Organisation) -> QuerySet[ProjectTemplate]:
    return ProjectTemplate.objects.filter(organisation=organisation).select_related("created_by")


def get_template(user: Any, organisation: Organisation, template_id: int) -> ProjectTemplate:
    template = (
        ProjectTemplate.objects.filter(pk=template_id, organisation=organisation)
        .select_related("organisation")
        .first()
    )
    if template is None or not can(user, Action.VIEW, template):
        raise NotFound("Template not found.")
    return template
