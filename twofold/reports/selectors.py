"""Reads for the reports page, its API twin and its exports, scoped to one organisation.

The page and ``GET /api/organisations/{id}/report`` read the same :class:`Overview`: the
portfolio's cards (progress against plan, health by area, slip, next milestone) with each
project's schedule and cost performance indices, the operations processes' service figures,
the KPIs and the improvement pipeline. Ratios only, never amounts: every member reads it, and
members never see money (as on the portfolio cards, whose cost reasons name the CPI).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, QuerySet

from twofold.accounts.models import Organisation
from twofold.evm.portfolio import THRESHOLDS, has_money, metrics_of
from twofold.improvement.models import ImprovementItem, ItemStatus
from twofold.operations import selectors as operations_selectors
from twofold.operations.models import Kpi, Measurement
from twofold.operations.selectors import ProcessCard
from twofold.projects import selectors as project_selectors
from twofold.projects.health import LABELS, Level
from twofold.projects.models import Phase, Task


@dataclass(frozen=True)
class ProjectRow:
    """A portfolio card with its performance indices (None until there is something to
    compare: no planned value yet for the SPI, no cost yet for the CPI)."""

    card: Any
    spi: Decimal | None
    cpi: Decimal | None

    @property
    def spi_badge(self) -> str:
        return _index_badge(self.spi)

    @property
    def cpi_badge(self) -> str:
        return _index_badge(self.cpi)


@dataclass(frozen=True)
class Overview:
    """The portfolio, the operations and the improvement pipeline of an organisation."""

    rows: list[ProjectRow]
    by_health: list[tuple[str, str, int]]
    phases: list[tuple[str, int]]
    phase_counts: dict[str, int]
    processes: list[ProcessCard]
    kpis: list[Kpi]
    kpi_states: list[tuple[str, int]]
    improvement: list[tuple[str, str, int]]

    @property
    def cards(self) -> list[Any]:
        return [row.card for row in self.rows]


def _index(value: Decimal | None) -> Decimal | None:
    """An index as the pages show it: two decimals, rounded half up (the health rules judge the
    same figure)."""
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _index_badge(value: Decimal | None) -> str:
    """Green from 0.95, amber from 0.90, red below: the cost rule's thresholds
    (``evm.portfolio.THRESHOLDS``), applied to both indices."""
    if value is None:
        return ""
    if value >= THRESHOLDS["cpi_amber"]:
        return "green"
    return "amber" if value >= THRESHOLDS["cpi_red"] else "red"


def overview(organisation: Organisation) -> Overview:
    """Everything the reports page shows, in a constant number of queries."""
    cards = project_selectors.portfolio(organisation, sparklines=False)
    # Without anything that costs money every figure is 0: no index, nothing to compute.
    figures = (
        metrics_of(organisation, [c.project for c in cards]) if has_money(organisation.pk) else {}
    )
    rows = []
    for card in cards:
        m = figures.get(card.project.pk)
        rows.append(
            ProjectRow(
                card,
                # Not before a schedule: a budget's planned value beside no work read SPI 0.00.
                spi=_index(m.spi) if m is not None and card.project.scheduled_finish else None,
                cpi=_index(m.cpi) if m is not None and m.ev > 0 else None,
            )
        )
    by_health = Counter(card.health.level.value for card in cards)
    by_phase = Counter(card.project.phase for card in cards)
    kpis = list(
        Kpi.objects.filter(organisation=organisation)
        .select_related("process")
        .order_by("process__name", "name")
    )
    counts = dict(
        ImprovementItem.objects.filter(organisation=organisation)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return Overview(
        rows=rows,
        by_health=[
            (level.value, str(LABELS[level]), by_health[level.value])
            for level in Level
            if by_health[level.value]
        ],
        phases=[(str(label), by_phase.get(value, 0)) for value, label in Phase.choices],
        phase_counts={value: by_phase.get(value, 0) for value in Phase.values},
        processes=operations_selectors.overview(organisation),
        kpis=kpis,
        kpi_states=sorted(Counter(k.state_label for k in kpis).items()),
        improvement=[
            (value, str(label), counts.get(value, 0)) for value, label in ItemStatus.choices
        ],
    )


def tasks_for_export(organisation: Organisation) -> QuerySet[Task]:
    return (
        Task.objects.filter(organisation=organisation)
        .select_related("project", "assignee")
        .order_by("project__code", "position")
        .only(
            "project__code", "name", "is_milestone", "is_summary", "assignee__full_name",
            "assignee__email", "status", "percent_complete", "start", "finish",
            "total_float_minutes", "is_critical",
        )
    )  # fmt: skip


def measurements_for_export(organisation: Organisation) -> QuerySet[Measurement]:
    return (
        Measurement.objects.filter(organisation=organisation)
        .select_related("kpi__process")
        .order_by("kpi__process__name", "kpi__name", "measured_on")
    )
