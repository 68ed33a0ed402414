"""Reports: a cross-cutting view over projects and operations, and CSV exports.

Thin views over :mod:`twofold.reports.selectors` (reads only, scoped to the organisation).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from twofold.core.csv_export import csv_response
from twofold.core.web import organisation_of, organisation_required
from twofold.projects import selectors as project_selectors
from twofold.projects.dates import finish_day
from twofold.reports import selectors
from twofold.reports.charts import Point, clipped, performance_chart
from twofold.reports.rows import kpi_rows, process_rows, project_rows

# The spreadsheet downloads of ``interchange`` (``/exports/<what>.<csv|xlsx>``) the page offers.
SHEETS = (
    ("portfolio", "Portfolio", "each project's phase, progress, health and its reasons"),
    ("tasks", "Tasks", "every task with the columns the spreadsheet import reads back"),
    ("risks", "Risks", "the register: probability, impact, score, response, owner"),
    ("requests", "Requests", "every request of every queue with its response and resolution"),
    ("kpi-values", "KPI values", "every measurement with its note and corrections"),
    ("history", "History", "every change and comment, as the activity pages show it"),
)


@organisation_required
def reports(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    overview = selectors.overview(organisation)
    project_url = reverse("projects:detail", args=[0]).removesuffix("0/")
    process_url = reverse("operations:process", args=[0]).removesuffix("0/")
    kpi_url = reverse("operations:kpi", args=[0]).removesuffix("0/")
    points = [
        Point(
            code=row.card.project.code,
            name=row.card.project.name,
            spi=row.spi,
            cpi=row.cpi,
            level=row.card.health.level.value,
            url=f"{project_url}{row.card.project.pk}/",
        )
        for row in overview.rows
        if row.spi is not None and row.cpi is not None and row.card.project.archived_at is None
    ]
    return render(
        request,
        "reports/pages/reports.html",
        {
            "section": "reports",
            "rows": overview.rows,
            "project_rows": project_rows(overview.rows, project_url),
            "process_rows": process_rows(overview.processes, process_url, kpi_url),
            "kpi_rows": kpi_rows(overview.kpis, kpi_url),
            "by_health": overview.by_health,
            "phases": overview.phases,
            "processes": overview.processes,
            "kpis": overview.kpis,
            "kpi_states": overview.kpi_states,
            "improvement": overview.improvement,
            "chart": performance_chart(points),
            "charted": len(points),
            "chart_clipped": any(clipped(p.spi) or clipped(p.cpi) for p in points),
            "live_projects": sum(
                1 for row in overview.rows if row.card.project.archived_at is None
            ),
            "sheets": SHEETS,
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
    tasks = selectors.tasks_for_export(organisation)
    # Read now: the rows are written after the view returns, when the middleware has put the
    # viewer's zone away (dates came out in the server's zone: a day off in Auckland).
    zone = timezone.get_current_timezone()

    def rows() -> Iterator[list[Any]]:
        for t in tasks.iterator(chunk_size=2000):
            yield [
                t.project.code,
                t.name,
                "milestone" if t.is_milestone else "summary" if t.is_summary else "task",
                t.assignee.display_name if t.assignee else "",
                t.get_status_display(),
                t.percent_complete,
                timezone.localtime(t.start, zone).date() if t.start else None,
                finish_day(t.finish, zone, start=t.start),  # as the pages show a finish
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
    measurements = selectors.measurements_for_export(organisation)
    # Voided and corrected values say so: the KPI pages leave a voided value out of its status
    # and limits, and an export read as plain data counted it (until 2026-12-05).
    rows = (
        [
            m.kpi.process.name,
            m.kpi.name,
            m.kpi.unit,
            m.measured_on,
            m.value,
            m.note,
            "voided" if m.voided_at else "corrected" if m.corrected_at else "",
            m.void_reason or m.correction_reason,
            m.original_value if m.corrected_at else None,
        ]
        for m in measurements.iterator(chunk_size=5000)
    )
    header = [
        "Process", "KPI", "Unit", "Date", "Value", "Note", "Status", "Reason", "Original value",
    ]  # fmt: skip
    return csv_response(_name("kpi-measurements"), header, rows)


def _name(what: str) -> str:
    return f"twofold-{what}-{timezone.localdate():%Y-%m-%d}.csv"
