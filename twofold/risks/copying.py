"""Risks as plain rows, and risks created from such rows: what project templates copy.

Templates live above ``projects`` and ``risks`` (``project_templates``), so they call these
two functions; ``projects`` itself never imports ``risks``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from twofold.accounts.models import User
from twofold.core import history
from twofold.core.errors import Invalid
from twofold.core.policy import Action, require
from twofold.projects.models import Project
from twofold.risks.models import Category, Response, Risk

ROW_FIELDS = ("title", "description", "category", "probability", "impact", "response", "mitigation")


def risk_rows(project: Project) -> list[dict[str, Any]]:
    """The project's open and mitigating risks as rows (closed ones are history, not a plan)."""
    return list(
        Risk.objects.filter(project=project)
        .exclude(status="closed")
        .order_by("-score", "title")
        .values(*ROW_FIELDS)
    )


def clean_rows(rows: Any) -> list[dict[str, Any]]:
    """Rows with known fields and values; ``Invalid`` names the first bad one (field ``risks``)."""
    if not isinstance(rows, list):
        raise Invalid("Send the risks as a list.", field="risks")
    clean = []
    for row in rows:
        if not isinstance(row, dict):
            raise Invalid("Each risk is an object.", field="risks")
        title = " ".join(str(row.get("title", "")).split())[:200]
        if not title:
            raise Invalid("Every risk needs a title.", field="risks")
        values = {
            "title": title,
            "description": str(row.get("description", "")),
            "category": row.get("category", Category.TECHNICAL),
            "probability": row.get("probability", 3),
            "impact": row.get("impact", 3),
            "response": row.get("response", Response.MITIGATE),
            "mitigation": str(row.get("mitigation", "")),
        }
        if values["category"] not in Category.values:
            raise Invalid(f"Unknown risk category in “{title}”.", field="risks")
        if values["response"] not in Response.values:
            raise Invalid(f"Unknown risk response in “{title}”.", field="risks")
        for name in ("probability", "impact"):
            value = values[name]
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                raise Invalid(f"The {name} of “{title}” is between 1 and 5.", field="risks")
        clean.append(values)
    return clean


@transaction.atomic
def create_risks_from_rows(*, actor: User, project: Project, rows: Any) -> list[Risk]:
    """Raise one open risk per row on ``project`` (in one insert) and record each in history."""
    require(actor, Action.EDIT, project)
    risks = [
        Risk(
            organisation_id=project.organisation_id,
            project=project,
            score=row["probability"] * row["impact"],
            **row,
        )
        for row in clean_rows(rows)
    ]
    Risk.objects.bulk_create(risks)
    for risk in risks:
        history.record(
            actor=actor,
            obj=risk,
            action="created",
            changes={"score": [None, risk.score]},
            summary=f"Raised risk “{risk.title}” on {project.code} (from a template)",
        )
    return risks
