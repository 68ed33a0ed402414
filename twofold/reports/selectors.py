"""Reads for the reports page and its exports, scoped to one organisation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from twofold.accounts.models import Organisation
from twofold.operations.models import Kpi, Measurement
from twofold.projects import selectors as project_selectors
from twofold.projects.health import LABELS, Level
from twofold.projects.models import Phase, Task


@dataclass(frozen=True)
class Overview:
    """The portfolio and the KPIs of an organisation, counted for the reports page."""

    cards: list[Any]
    by_health: list[tuple[str, str, int]]
    phases: list[tuple[str, int]]
    kpis: list[Kpi]
    kpi_states: list[tuple[str, int]]


def overview(organisation: Organisation) -> Overview:
    cards = project_selectors.portfolio(organisation, sparklines=False)
    by_health = Counter(card.health.level.value for card in cards)
    by_phase = Counter(card.project.phase for card in cards)
    kpis = list(
        Kpi.objects.filter(organisation=organisation)
        .select_related("process")
        .order_by("process__name", "name")
    )
    return Overview(
        cards=cards,
        by_health=[
            (level.value, str(LABELS[level]), by_health[level.value])
            for level in Level
            if by_health[level.value]
        ],
        phases=[(str(label), by_phase.get(value, 0)) for value, label in Phase.choices],
        kpis=kpis,
        kpi_states=sorted(Counter(k.state_label for k in kpis).items()),
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
