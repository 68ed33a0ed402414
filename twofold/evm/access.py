"""Who sees money: admins and owners of the organisation, and a project's manager and sponsor
for that project (one rule, ``costs.selectors.sees_project_money``). Other members see hours and
progress, never rates, costs or budgets."""

from __future__ import annotations

from typing import Any

from twofold.core.errors import Forbidden, NotFound
from twofold.core.policy import Action, can
from twofold.costs.selectors import sees_all_money as costs_sees_all_money
from twofold.costs.selectors import sees_project_money
from twofold.projects.models import Project


def sees_money(user: Any, project: Project) -> bool:
    """The rule is ``costs.selectors.sees_project_money`` (one rule for every money page)."""
    return sees_project_money(user, project)


def sees_all_money(user: Any, organisation_id: int) -> bool:
    """Portfolio-wide figures: admins and owners."""
    return costs_sees_all_money(user, organisation_id)


def require_money(user: Any, project: Project) -> None:
    """``NotFound`` outside the organisation, ``Forbidden`` for those who may not see money."""
    if not can(user, Action.VIEW, project):
        raise NotFound("Project not found.")
    if not sees_money(user, project):
        raise Forbidden(
            "Budgets and costs are for the project's manager and sponsor and for admins."
        )
