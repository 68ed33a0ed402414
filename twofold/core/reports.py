"""Reports: a cross-cutting view over projects and operations, and CSV exports.

Reads only, through each context's models scoped to the user's organisation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from twofold.core.csv_export import csv_response
from twofold.core.web import organisation_of, organisation_required
from twofold.operations.models import Kpi, Measurement
from twofold.projects import selectors as project_selectors
from twofold.projects.health import LABELS, Level
from twofold.projects.models import Phase, Task


@organisation_required
def reports(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    cards = project_selectors.portfolio(organisation, sparklines=False)
    by_health = Counter(card.health.level.value for card in cards)
    by_phase = Counter(card.project.phase for card in cards)
    kpis = list(
        Kpi.objects.filter(organisation=organisation)
        .select_related("process")
        .order_by("process__name", "name")
    )
    kpi_states = Counter(k.state_label for k in kpis)
    return render(
        request,
        "core/pages/reports.html",
        {
            "section": "reports",
            "cards": cards,
            "by_health": [
                (level.value, LABELS[level], by_health[level.value])
                for level in Level
                if by_health[level.value]
            ],
            "phases": [(label, by_phase.get(value, 0)) for value, label in Phase.choices],
            "kpis": kpis,
            "kpi_states": sorted(kpi_states.items()),
        },
    )


@organisation_required
def export_projects(request: HttpRequest) -> StreamingHttpResponse:
    organisation = organisation_of(request)
    cards = project_selectors.portfolio(organisation, sparklines=False)
    rows = (
        [
            c.project.code,
            c.project.name,
            c.project.programme.name if c.project.programme else "",
            c.project.get_phase_display(),
            c.project.manager.display_name if c.project.manager else "",
            round(c.percent_complete, 1),
            round(c.percent_planned, 1),
            c.health.level.value,
            "; ".join(c.health.reasons),
            c.next_milestone,
            c.next_milestone_date,
            c.project.target_finish,
        ]
        for c in cards
    )
    header = [
        "Code", "Project", "Programme", "Phase", "Manager", "% complete", "% planned",
        "Health", "Reasons", "Next milestone", "Milestone date", "Target finish",
    ]  # fmt: skip
    return csv_response(_name("projects"), header, rows)


@organisation_required
def export_tasks(request: HttpRequest) -> StreamingHttpResponse:
    organisation = organisation_of(request)
    tasks = (
        Task.objects.filter(organisation=organisation)
        .select_related("project", "assignee")
        .order_by("project__code", "position")
        .only(
            "project__code", "name", "is_milestone", "is_summary", "assignee__full_name",
            "assignee__email", "status", "percent_complete", "start", "finish",
            "total_float_minutes", "is_critical",
        )
    )  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        for t in tasks.iterator(chunk_size=2000):
            yield [
                t.project.code,
                t.name,
                "milestone" if t.is_milestone else "summary" if t.is_summary else "task",
                t.assignee.display_name if t.assignee else "",
                t.get_status_display(),
                t.percent_complete,
                timezone.localtime(t.start).date() if t.start else None,
                timezone.localtime(t.finish).date() if t.finish else None,
                round(t.total_float_minutes / 480, 1),
                t.is_critical,
            ]

    header = [
        "Project", "Task", "Kind", "Assignee", "Status", "% complete", "Start", "Finish",
        "Total float (days)", "Critical",
    ]  # fmt: skip
    return csv_response(_name("tasks"), header, rows())


@organisation_required
def export_measurements(request: HttpRequest) -> StreamingHttpResponse:
    organisation = organisation_of(request)
    measurements = (
        Measurement.objects.filter(organisation=organisation)
        .select_related("kpi__process")
        .order_by("kpi__process__name", "kpi__name", "measured_on")
    )
    rows = (
        [m.kpi.process.name, m.kpi.name, m.kpi.unit, m.measured_on, m.value, m.note]
        for m in measurements.iterator(chunk_size=5000)
    )
    return csv_response(
        _name("kpi-measurements"), ["Process", "KPI", "Unit", "Date", "Value", "Note"], rows
    )


def _name(what: str) -> str:
    return f"twofold-{what}-{timezone.localdate():%Y-%m-%d}.csv"
