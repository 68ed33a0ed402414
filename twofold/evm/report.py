"""Earned-value reports: one project (figures, control accounts, weekly S-curve) and many
(programme and portfolio roll-ups), each in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from twofold.calendars.working_time import project_specs, spec_for
from twofold.engine import evm
from twofold.engine.evm import ZERO, CurvePoint, Metrics
from twofold.evm import budget, sources
from twofold.evm.days import working_days
from twofold.evm.models import BudgetLine, CostCategory
from twofold.projects.models import ProgressSnapshot, Project
from twofold.projects.services import tz_of


def status_date_of(project: Project) -> dt.date:
    """The project's status date, else today in the organisation's time zone."""
    if project.status_date:
        return project.status_date
    return timezone.localtime(timezone.now(), tz_of(project.organisation)).date()


@dataclass(frozen=True)
class AccountRow:
    uid: int | None
    name: str
    metrics: Metrics


@dataclass(frozen=True)
class ProjectEvm:
    project: Project
    status_date: dt.date
    metrics: Metrics
    accounts: list[AccountRow]
    categories: list[tuple[str, Decimal]]
    curve: list[CurvePoint]
    labour_rate: Decimal
    lines: list[BudgetLine]


def project_evm(project: Project, status_date: dt.date | None = None) -> ProjectEvm:
    """Everything the project's earned-value page shows (nine queries, whatever its size: the calendar one of them)."""
    status = status_date or status_date_of(project)
    rows = budget.task_rows(project)
    lines = list(BudgetLine.objects.filter(project=project).select_related("account"))
    costing = budget.costing(project, rows, lines)
    actual = sources.actual_costs(project, status)
    ac = sum((a.cost for a in actual), ZERO)
    days = _days_of(spec_for(project.organisation_id, project.calendar_id), costing, status)
    metrics = evm.metrics(costing.packages, status, ac, days)
    cost_by_account: dict[int | None, Decimal] = {}
    daily: dict[dt.date, Decimal] = {}
    for a in actual:
        account = costing.account_of.get(a.task_id) if a.task_id is not None else None
        cost_by_account[account] = cost_by_account.get(account, ZERO) + a.cost
        daily[a.day] = daily.get(a.day, ZERO) + a.cost
    per_account = evm.by_account(costing.packages, status, cost_by_account, days)
    accounts = [
        AccountRow(uid, costing.accounts.get(uid, "Outside any summary"), m)
        for uid, m in per_account.items()
    ]
    accounts.sort(key=lambda r: (r.uid is None, r.name))
    labels = dict(CostCategory.choices)
    categories = [(labels.get(k, k), v) for k, v in costing.by_category.items()]
    curve: list[CurvePoint] = []
    if costing.packages:
        first = min(p.start for p in costing.packages)
        last = max(max(p.finish for p in costing.packages), status)
        if actual:
            first = min(first, min(a.day for a in actual))
        # EV is budget-weighted (each package's percent complete × its budget), but the
        # snapshots hold only the project's duration-weighted percent complete: each is scaled
        # by EV ÷ today's percent, so that today's percent is today's EV and the history joins
        # the status-date point without a step; never above BAC, as EV itself.
        now_pc = Decimal(str(project.percent_complete or 0))
        history = [
            (
                day,
                min(evm.cents(metrics.ev * Decimal(str(pc)) / now_pc), metrics.bac)
                if now_pc
                else metrics.ev,
            )
            for day, pc in ProgressSnapshot.objects.filter(project=project, date__lt=status)
            .order_by("date")
            .values_list("date", "percent_complete")
        ]
        # The weeks, and the status date itself: EV and AC end there, not at its week's end.
        weeks = evm.week_ends(first, last, project.organisation.week_start)
        if first <= status <= weeks[-1]:
            weeks = sorted({*weeks, status})
        curve = evm.s_curve(costing.packages, weeks, status, daily, history, days)
    return ProjectEvm(
        project=project,
        status_date=status,
        metrics=metrics,
        accounts=accounts,
        categories=categories,
        curve=curve,
        labour_rate=costing.labour_rate,
        lines=lines,
    )


def _days_of(spec: Any, costing: budget.Costing, status: dt.date) -> evm.WorkingDays:
    """The project calendar's working days over its packages' span (and the status date)."""
    if not costing.packages:
        return evm.WorkingDays()
    first = min(min(p.start for p in costing.packages), status)
    last = max(max(p.finish for p in costing.packages), status)
    return working_days(spec, first, last)


def projects_evm(projects: Sequence[Project], today: dt.date) -> dict[int, Metrics]:
    """Metrics per project at each one's status date (else ``today``), in seven queries."""
    if not projects:
        return {}
    tzinfo = tz_of(projects[0].organisation)
    rows = budget.rows_by_project(projects, tzinfo)
    rates = budget.labour_rates([p.pk for p in projects])
    lines: dict[int, list[BudgetLine]] = {p.pk: [] for p in projects}
    for line in BudgetLine.objects.filter(project_id__in=[p.pk for p in projects]):
        lines[line.project_id].append(line)
    org_id = projects[0].organisation_id
    actual = sources.actual_costs_by_project(
        org_id, {p.pk: p.status_date or today for p in projects}
    )
    starts = [r.start for rs in rows.values() for r in rs if r.start] or [today]
    lookup = sources.rate_lookup(
        org_id, budget.people_of([r for rs in rows.values() for r in rs]), min(starts), max(starts)
    )
    specs = project_specs(org_id)
    out: dict[int, Metrics] = {}
    for p in projects:
        status = p.status_date or today
        costing = budget.costing(p, rows[p.pk], lines[p.pk], rates.get(p.pk, ZERO), lookup)
        days = _days_of(specs.get(p.calendar_id, specs[None]), costing, status)
        out[p.pk] = evm.metrics(costing.packages, status, actual.get(p.pk, ZERO), days)
    return out
