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
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from twofold.accounts.models import Organisation
from twofold.core.fastread import FastRows, Read
from twofold.costs.models import Rate
from twofold.engine import evm
from twofold.engine.evm import ZERO, Metrics
from twofold.evm.models import BudgetLine, ProjectBudget
from twofold.evm.report import projects_evm
from twofold.projects import health
from twofold.projects.health import Level
from twofold.projects.models import Project
from twofold.projects.services import tz_of

THRESHOLDS = {
    "cpi_red": Decimal("0.90"),
    "cpi_amber": Decimal("0.95"),
    "spent_red": Decimal(100),
    "spent_amber": Decimal(90),
}
CACHE_SECONDS = 15 * 60


def _shown(value: Decimal, places: int) -> Decimal:
    """``value`` as the pages show it (rounded half up to ``places`` decimals). The rules judge
    this figure, so a reason's figure is always on the side of the threshold its level says (a
    CPI of 0.8996 read "Over cost: CPI 0.90", red, where 0.90 is amber; and the figures panel
    shows the same 0.90)."""
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def cost_reasons(m: Metrics) -> list[tuple[Level, str]]:
    """The cost reasons that fire for ``m`` (empty when cost is on track or not yet known)."""
    found: list[tuple[Level, str]] = []
    if m.cpi is not None and m.ev > 0:
        cpi = _shown(m.cpi, 2)
        if cpi < THRESHOLDS["cpi_red"]:
            found.append((Level.RED, f"Over cost: CPI {cpi}"))
        elif cpi < THRESHOLDS["cpi_amber"]:
            found.append((Level.AMBER, f"Running over cost: CPI {cpi}"))
    if m.bac > 0 and m.ac > 0:
        spent = _shown(m.ac * 100 / m.bac, 0)
        earned = _shown(m.ev * 100 / m.bac, 0)
        # Spent the whole budget with work still to earn: red. Once all of it is earned the
        # CPI judges the overrun (a delivered project 2 % over read red, "Budget spent: 102 %
        # of BAC at 100 % earned", next to its CPI of 0.98).
        if spent >= THRESHOLDS["spent_red"] and earned < 100:
            found.append((Level.RED, f"Budget spent: {spent} % of BAC at {earned} % earned"))
        elif spent >= THRESHOLDS["spent_amber"] and earned < THRESHOLDS["spent_amber"]:
            found.append((Level.AMBER, f"{spent} % of budget spent at {earned} % earned"))
    elif m.ac > 0:
        # No budget (BAC 0, or below) but money spent: more than 100 % of BAC, so red, as the
        # spent rule says; it showed green until 2026-12-05 (the percentage divided by zero).
        found.append((Level.RED, "Spending without a budget: cost recorded, BAC 0"))
    return found


_RANK = {Level.NOT_PLANNED: -1, Level.GREEN: 0, Level.AMBER: 1, Level.RED: 2}


def cost_known(m: Metrics) -> bool:
    """Whether ``m`` knows any cost: a budget or a cost recorded. With BAC and AC both 0 the
    health's ``cost`` is None, "no cost known" (``HealthOut``), not green: it read green for a
    project with neither as soon as anything else in its organisation cost money."""
    return m.bac != 0 or m.ac != 0


def with_cost(
    h: health.Health, extra: list[tuple[Level, str]], *, known: bool = True
) -> health.Health:
    """``h`` with the cost reasons added (the worst level wins; "On schedule" gives way).
    Without reasons, cost is green when ``known`` (see :func:`cost_known`), else None."""
    if not extra:
        return dataclasses.replace(h, cost=Level.GREEN if known else None)
    reasons = [r for r in h.reasons if h.level not in (Level.GREEN, Level.NOT_PLANNED)]
    worst = max([h.level, *(lvl for lvl, _ in extra)], key=_RANK.__getitem__)
    return dataclasses.replace(
        h,
        level=worst,
        reasons=tuple(reasons + [text for _, text in extra]),
        cost=health.worst_of([lvl for lvl, _ in extra], Level.GREEN),
    )


def _key(p: Project, org: Organisation, today: dt.date) -> str:
    """The cache key of a project's figures: a hash of what they depend on. Besides the project
    row's own fields, the stamps moved by every change that can move a figure (``evm.stamps``:
    the plan's, the project's costs' and the organisation's rates'), so a change to any of it
    is a new key; ``created_at`` tells a project apart from a deleted one whose id SQLite gave
    again."""
    key_parts = (
        p.pk, p.created_at, p.percent_complete, p.scheduled_start, p.scheduled_finish,
        p.status_date or today, p.target_start, p.plan_stamp, p.cost_stamp, org.rates_stamp,
    )  # fmt: skip
    return "evm2:" + hashlib.sha1(repr(key_parts).encode(), usedforsecurity=False).hexdigest()


def _pack(m: Metrics) -> tuple[str, str, str, str]:
    return (str(m.bac), str(m.pv), str(m.ev), str(m.ac))


def _cached_metrics(org: Organisation, projects: Sequence[Project]) -> dict[int, Metrics]:
    """Each project's figures from the cache, computed (and kept) for those missing."""
    today = timezone.localtime(timezone.now(), tz_of(org)).date()
    keys = {p.pk: _key(p, org, today) for p in projects}
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


def metrics_of(org: Organisation, projects: Sequence[Project]) -> dict[int, Metrics]:
    """Earned-value figures per project of ``org`` (cached; seven statements for the projects
    whose figures changed, none when every figure is cached)."""
    if not projects:
        return {}
    return _cached_metrics(org, [p for p in projects if p.organisation_id == org.pk])


# Whether anything in the organisation costs money yet (a rate, a planned labour rate, a budget
# line): without any, every BAC and AC is 0 and no card has a cost reason. One statement,
# compiled once per connection; its parameters: each ``EXISTS``'s ``SELECT 1``, the planned
# rate's 0, the organisation's id.
_MONEY_PARAMS = (1, 1, Decimal(0), 1)
_HAS_MONEY = FastRows(
    Organisation,
    lambda *params: (
        Organisation.objects.filter(pk=params[-1])
        .annotate(
            money=Q(Exists(Rate.objects.filter(organisation_id=OuterRef("pk"))))
            | Q(
                Exists(
                    ProjectBudget.objects.filter(
                        organisation_id=OuterRef("pk"), labour_rate__gt=params[2]
                    )
                )
            )
            | Q(Exists(BudgetLine.objects.filter(organisation_id=OuterRef("pk"))))
        )
        .values_list("money")
    ),
)


def _has_money(organisation_id: int) -> bool:
    rows = _HAS_MONEY.rows(*_MONEY_PARAMS, organisation_id)
    return bool(rows and rows[0][0])


def has_money(organisation_id: int) -> bool:
    """Whether anything in the organisation costs money yet (one statement): without it every
    BAC, PV, EV and AC is 0, and the figures need not be computed."""
    return _has_money(organisation_id)


def cost_health_reads(project: Project) -> list[Read]:
    """:func:`_one_card`'s read, to read ahead (``core.readahead``, panel ``cost_health``)."""
    return [(_HAS_MONEY, [*_MONEY_PARAMS, project.organisation_id])]


def _one_card(organisation: Organisation, card: Any) -> None:
    """The cost reasons of one card: one statement, then the cached figures (computed and kept
    when missing)."""
    p = card.project
    if not _has_money(organisation.pk):
        return
    m = _cached_metrics(organisation, [p])[p.pk]
    card.health = with_cost(card.health, cost_reasons(m), known=cost_known(m))


def add_cost_health(organisation: Organisation, cards: list[Any]) -> None:
    """Portfolio hook: add the cost reasons to each card's health (one statement, then the
    cached figures)."""
    if len(cards) == 1:
        _one_card(organisation, cards[0])
        return
    if not cards:
        return
    if not _has_money(organisation.pk):
        return  # without anything that costs money every BAC and AC is 0: no cost reason
    figures = _cached_metrics(organisation, [c.project for c in cards])
    for card in cards:
        m = figures.get(card.project.pk)
        if m is not None:
            card.health = with_cost(card.health, cost_reasons(m), known=cost_known(m))


_UNUSED_FIELDS = (
    "planned_curve", "objectives", "success_criteria", "scope", "exclusions", "assumptions",
    "constraints", "wip_limits",
)  # fmt: skip


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
    # Not the stored planned curve nor the charter's texts: parsing 300 curves was most of the
    # roll-up's reading time on the large demo.
    projects = list(
        Project.objects.filter(organisation=org, archived_at__isnull=True)
        .select_related("programme")
        .defer(*_UNUSED_FIELDS)
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
