"""Reads for change control, scoped to the user's organisation, constant in query count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from twofold.accounts.models import Organisation
from twofold.changes.models import ChangeRequest, ChangeStatus
from twofold.core.errors import NotFound
from twofold.core.policy import Action, can
from twofold.projects.models import Baseline, Project


def get_project(user: Any, organisation: Organisation, project_id: int) -> Project:
    project = (
        Project.objects.filter(pk=project_id, organisation=organisation)
        .select_related("organisation", "manager", "sponsor", "programme")
        .first()
    )
    if project is None or not can(user, Action.VIEW, project):
        raise NotFound("Project not found.")
    return project


def get_change(user: Any, organisation: Organisation, change_id: int) -> ChangeRequest:
    change = (
        ChangeRequest.objects.filter(pk=change_id, organisation=organisation)
        .select_related(
            "project__organisation",
            "project__sponsor",
            "project__manager",
            "project__programme",
            "requested_by",
            "decided_by",
        )
        .first()
    )
    if change is None or not can(user, Action.VIEW, change):
        raise NotFound("Change request not found.")
    return change


def changes_of(project: Project) -> QuerySet[ChangeRequest]:
    return (
        ChangeRequest.objects.filter(project=project)
        .select_related("requested_by", "decided_by")
        .order_by("-number")
    )


@dataclass(frozen=True)
class Effect:
    """The approved changes' cumulative effect since the first baseline."""

    first_baseline: str | None
    first_finish: dt.date | None
    finish_days: int
    work_hours: Decimal
    bac: Decimal
    approved: int
    rejected: int
    proposed: int


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def cumulative_effect(project: Project, changes: list[ChangeRequest]) -> Effect:
    """Sum of the approved changes' impact (finish days, work, BAC), and the first baseline."""
    first = (
        Baseline.objects.filter(project=project)
        .order_by("created_at", "number")
        .values_list("name", "finish")
        .first()
    )
    days = 0
    work = bac = Decimal(0)
    for change in changes:
        if change.status != ChangeStatus.APPROVED:
            continue
        impact = change.impact or {}
        days += impact.get("finish_days") or 0
        before, after = impact.get("before", {}), impact.get("after", {})
        work += _dec(after.get("work_hours")) - _dec(before.get("work_hours"))
        bac += _dec(after.get("bac")) - _dec(before.get("bac"))
    return Effect(
        first_baseline=first[0] if first else None,
        first_finish=first[1].date() if first and first[1] else None,
        finish_days=days,
        work_hours=work,
        bac=bac,
        approved=sum(1 for c in changes if c.status == ChangeStatus.APPROVED),
        rejected=sum(1 for c in changes if c.status == ChangeStatus.REJECTED),
        proposed=sum(1 for c in changes if c.status == ChangeStatus.PROPOSED),
    )
