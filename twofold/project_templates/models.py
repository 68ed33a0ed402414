"""Project templates: a reusable plan (WBS, links, durations, calendar, gate checklists, risks).

A template is a *snapshot* held in one JSON document, not a ``Project`` flagged as a template:
a flagged project would show up in every query that reads projects (portfolio, reports, My
work, capacity, search, health) unless each of them remembered to exclude it, and it would carry
a schedule, progress and people that mean nothing for a template. The snapshot has none of that
and cannot leak into reports.

``content`` (see ``services.snapshot_of``)::

    {"calendar_id": 3, "progress_rule": "override",   # the source project's (null: default)
     "tasks": [{"key": 0, "parent": null, "name": "…", "description": "…",
                "duration_minutes": 480, "effort_minutes": 0, "is_milestone": false,
                "priority": "normal", "task_type": "fixed_units", "effort_driven": false,
                "constraint_type": "asap",
                "constraint_offset_days": null, "checklist": ["…"]}, …],   # in WBS order
     "links": [{"pred": 0, "succ": 1, "type": "FS", "lag": 2, "lag_unit": "d"}, …],
     "gates": {"initiation": ["…"], "planning": ["…"], "execution": ["…"]},
     "risks": [{"title": "…", "description": "…", "category": "supplier", "probability": 3,
                "impact": 4, "response": "mitigate", "mitigation": "…"}, …]}
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation


class ProjectTemplate(models.Model):
    """A named plan an organisation starts new projects from."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="project_templates"
    )
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    content = models.JSONField(default=dict, blank=True)
    source_name = models.CharField(
        max_length=200, blank=True, help_text="The project it came from."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="template_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def task_count(self) -> int:
        return len(self.content.get("tasks", []))

    @property
    def link_count(self) -> int:
        return len(self.content.get("links", []))

    @property
    def risk_count(self) -> int:
        return len(self.content.get("risks", []))
