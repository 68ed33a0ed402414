"""Cost joins health, and the earned-value roll-up per programme and portfolio.

Cost reasons on a project's health (documented in docs/earned-value.md):

* cost performance: CPI below 0.90 is red, below 0.95 amber (judged once some cost is recorded
  and some value earned);
* budget use: actual cost at or above the BAC is red; 90 % of the BAC spent while less than 90 %
  of it is earned is amber.

The reasons name ratios, not amounts: the portfolio is shown to members, who never see money.

Figures per project are cached (keyed by what they depend on: progress, schedule, baseline,
budget, actual cost, status date and day), so the portfolio stays fast on hundreds of projects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from twofold.accounts.models import Organisation
from twofold.core.fastread import FastRows, Read
from twofold.costs.models import EntryStatus, Expense, Rate, TimeEntry
from twofold.engine import evm
from twofold.engine.evm import ZERO, Metrics
from twofold.evm import sources
from twofold.evm.models import BudgetLine, ProjectBudget
from twofold.evm.report import projects_evm
from twofold.projects import health
from twofold.projects.health import Level
from twofold.projects.models import Baseline, Project
from twofold.projects.services import tz_of

THRESHOLDS = {
    "cpi_red": Decimal("0.90"),
    "cpi_amber": Decimal("0.95"),
    "spent_red": Decimal(100),
    "spent_amber": Decimal(90),
}
CACHE_SECONDS = 15 * 60


def cost_reasons(m: Metrics) -> list[tuple[Level, str]]:
    """The cost reasons that fire for ``m`` (empty when cost is on track or not yet known)."""
    found: list[tuple[Level, str]] = []
    cpi = m.cpi
    if cpi is not None and m.ev > 0:
        if cpi < THRESHOLDS["cpi_red"]:
            found.append((Level.RED, f"Over cost: CPI {cpi:.2f}"))
        elif cpi < THRESHOLDS["cpi_amber"]:
            found.append((Level.AMBER, f"Running over cost: CPI {cpi:.2f}"))
    if m.bac > 0 and m.ac > 0:
        spent = m.ac * 100 / m.bac
        earned = m.ev * 100 / m.bac
        if spent >= THRESHOLDS["spent_red"]:
            found.append(
                (Level.RED, f"Budget spent: {spent:.0f} % of BAC at {earned:.0f} % earned")
            )
        elif spent >= THRESHOLDS["spent_amber"] and earned < THRESHOLDS["spent_amber"]:
            found.append((Level.AMBER, f"{spent:.0f} % of budget spent at {earned:.0f} % earned"))
    return found


_RANK = {Level.NOT_PLANNED: -1, Level.GREEN: 0, Level.AMBER: 1, Level.RED: 2}


def with_cost(h: health.Health, extra: list[tuple[Level, str]]) -> health.Health:
    """``h`` with the cost reasons added (the worst level wins; "On schedule" gives way)."""
    if not extra:
        return dataclasses.replace(h, cost=Level.GREEN)
    reasons = [r for r in h.reasons if h.level not in (Level.GREEN, Level.NOT_PLANNED)]
    worst = max([h.level, *(lvl for lvl, _ in extra)], key=_RANK.__getitem__)
    return dataclasses.replace(
        h,
        level=worst,
        reasons=tuple(reasons + [text for _, text in extra]),
        cost=health.worst_of([lvl for lvl, _ in extra], Level.GREEN),
    )


def _signatures(org: Organisation, projects: Sequence[Project], today: dt.date) -> dict[int, str]:
    """What each project's figures depend on, hashed: a change to any of it is a new cache key."""
    ids = [p.pk for p in projects]
    budgets = dict(
        ProjectBudget.objects.filter(project_id__in=ids).values_list("project_id", "version")
    )
    lines = {
        pid: (n, total)
        for pid, n, total in BudgetLine.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .values_list("project_id", "n", "total")
    }
    costs = sources.actual_cost_signatures(ids)
    baselines = dict(
        Baseline.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(last=Max("created_at"))
        .values_list("project_id", "last")
    )
    out = {}
    for p in projects:
        parts = (
            p.pk, p.percent_complete, p.scheduled_start, p.scheduled_finish, p.status_date or today,
            budgets.get(p.pk), lines.get(p.pk), costs.get(p.pk), baselines.get(p.pk), p.target_start,
            p.plan_stamp, org.rates_stamp,
        )  # fmt: skip
        out[p.pk] = "evm:" + hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()
    return out


def _pack(m: Metrics) -> tuple[str, str, str, str]:
    return (str(m.bac), str(m.pv), str(m.ev), str(m.ac))


def metrics_of(org: Organisation, projects: Sequence[Project]) -> dict[int, Metrics]:
    """Earned-value figures per project (cached; five queries plus six for the projects whose
    figures changed)."""
    if not projects:
        return {}
    today = timezone.localtime(timezone.now(), tz_of(org)).date()
    keys = _signatures(org, projects, today)
    cached: dict[str, Any] = cache.get_many(list(keys.values()))
    out: dict[int, Metrics] = {}
    missing = []
    for p in projects:
        hit = cached.get(keys[p.pk])
        if hit is None:
            missing.append(p)
        else:
            out[p.pk] = Metrics(*(Decimal(v) for v in hit))
    if missing:
        for p in missing:
            p.organisation = org
        fresh = projects_evm(missing, today)
        cache.set_many({keys[pk]: _pack(m) for pk, m in fresh.items()}, CACHE_SECONDS)
        out.update(fresh)
    return out


def _has_money(organisation: Organisation) -> bool:
    """Whether anything could cost money yet: a rate, a planned labour rate or a planned expense
    (one query). Without any, every BAC and AC is 0 and no cost reason can fire."""
    from django.db.models import Exists, OuterRef

    row = (
        Organisation.objects.filter(pk=organisation.pk)
        .annotate(
            rates=Exists(Rate.objects.filter(organisation=OuterRef("pk"))),
            planned=Exists(
                ProjectBudget.objects.filter(organisation=OuterRef("pk"), labour_rate__gt=0)
            ),
            lines=Exists(BudgetLine.objects.filter(organisation=OuterRef("pk"))),
        )
        .values_list("rates", "planned", "lines")
        .first()
    )
    return bool(row and any(row))


def _of_project(model: Any, value: Any, **filters: Any) -> Subquery:
    """One aggregate over ``model``'s rows of the outer project, as a scalar subquery (``NULL``
    when it has none)."""
    rows = model.objects.filter(project_id=OuterRef("pk"), **filters).order_by()
    return Subquery(rows.values("project_id").annotate(v=value).values("v"))


# One project's card (its overview page): ``_has_money`` and everything ``_signatures`` reads,
# in one statement compiled once per connection. Parameters in the order they are compiled
# (``_ONE_PARAMS``, then the project's id): each ``EXISTS``'s ``SELECT 1`` and the planned rate's
# 0, the approved status for each of five aggregates.
_ONE_COLUMNS = (
    "money", "budget_version", "lines_n", "lines_total", "time_n", "time_h", "time_top",
    "spent_n", "spent_total", "last_baseline",
)  # fmt: skip
_ONE_PARAMS = (1, 1, Decimal(0), 1, *[str(EntryStatus.APPROVED.value)] * 5)
_ONE_PROJECT = FastRows(
    Project,
    lambda *params: (
        Project.objects.filter(pk=params[-1])
        .order_by()
        .annotate(
            money=Q(Exists(Rate.objects.filter(organisation_id=OuterRef("organisation_id"))))
            | Q(
                Exists(
                    ProjectBudget.objects.filter(
                        organisation_id=OuterRef("organisation_id"), labour_rate__gt=params[2]
                    )
                )
            )
            | Q(Exists(BudgetLine.objects.filter(organisation_id=OuterRef("organisation_id")))),
            budget_version=Subquery(
                ProjectBudget.objects.filter(project_id=OuterRef("pk")).values("version")[:1]
            ),
            lines_n=_of_project(BudgetLine, Count("pk")),
            lines_total=_of_project(BudgetLine, Sum("amount")),
            time_n=_of_project(TimeEntry, Count("pk"), status=params[4]),
            time_h=_of_project(TimeEntry, Sum("hours"), status=params[5]),
            time_top=_of_project(TimeEntry, Max("decided_at"), status=params[6]),
            spent_n=_of_project(Expense, Count("pk"), status=params[7]),
            spent_total=_of_project(Expense, Sum("amount"), status=params[8]),
            last_baseline=_of_project(Baseline, Max("created_at")),
        )
        .values_list(*_ONE_COLUMNS)
    ),
)


def cost_health_reads(project: Project) -> list[Read]:
    """:func:`_one_card`'s read, to read ahead (``core.readahead``, panel ``cost_health``)."""
    return [(_ONE_PROJECT, [*_ONE_PARAMS, project.pk])]


def _one_card(organisation: Organisation, card: Any) -> None:
    """The cost reasons of one card: one statement, then the cached figures (computed and kept
    when missing)."""
    p = card.project
    money, budget, *parts = _ONE_PROJECT.rows(*_ONE_PARAMS, p.pk)[0]
    if not money:
        return
    today = timezone.localtime(timezone.now(), tz_of(organisation)).date()
    lines_n, lines_total, time_n, time_h, time_top, spent_n, spent_total, baseline = parts
    key_parts = (
        p.pk, p.percent_complete, p.scheduled_start, p.scheduled_finish, p.status_date or today,
        budget, (lines_n, lines_total), (time_n, time_h, time_top), (spent_n, spent_total),
        baseline, p.target_start, p.plan_stamp, organisation.rates_stamp,
    )  # fmt: skip
    # Another spelling of the same facts than ``_signatures`` (driver values, not the ORM's):
    # its own cache entry, never another project's or another state's.
    key = "evm1:" + hashlib.sha1(repr(key_parts).encode(), usedforsecurity=False).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        m = Metrics(*(Decimal(v) for v in hit))
    else:
        p.organisation = organisation
        m = projects_evm([p], today)[p.pk]
        cache.set(key, _pack(m), CACHE_SECONDS)
    card.health = with_cost(card.health, cost_reasons(m))


def add_cost_health(organisation: Organisation, cards: list[Any]) -> None:
    """Portfolio hook: add the cost reasons to each card's health."""
    if len(cards) == 1:
        _one_card(organisation, cards[0])
        return
    if not cards or not _has_money(organisation):
        return
    figures = metrics_of(organisation, [c.project for c in cards])
    for card in cards:
        m = figures.get(card.project.pk)
        if m is not None:
            card.health = with_cost(card.health, cost_reasons(m))


@dataclass(frozen=True)
class RollupRow:
    project: Project
    metrics: Metrics


@dataclass(frozen=True)
class RollupGroup:
    name: str
    rows: list[RollupRow]
    total: Metrics


@dataclass(frozen=True)
class Rollup:
    groups: list[RollupGroup]
    total: Metrics


def rollup(org: Organisation) -> Rollup:
    """Per project, per programme (the sum of its projects) and for the portfolio (the sum of
    the programmes), live projects only."""
    projects = list(
        Project.objects.filter(organisation=org, archived_at__isnull=True)
        .select_related("programme")
        .order_by("name")
    )
    figures = metrics_of(org, projects)
    groups: dict[str, list[RollupRow]] = {}
    for p in projects:
        key = p.programme.name if p.programme else ""
        groups.setdefault(key, []).append(
            RollupRow(p, figures.get(p.pk, Metrics(ZERO, ZERO, ZERO, ZERO)))
        )
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] == "", kv[0]))
    out = [
        RollupGroup(
            name or "Projects outside a programme", rows, evm.roll_up(r.metrics for r in rows)
        )
        for name, rows in ordered
    ]
    return Rollup(out, evm.roll_up(g.total for g in out))
