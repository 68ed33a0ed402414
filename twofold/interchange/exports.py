"""Exports as CSV or XLSX: task lists, the portfolio, risks, requests, KPI values and history.

Each export is a sheet (title, header, rows) built by one function here and written by
``twofold.interop.spreadsheet`` (formula-like text neutralised, numbers as numbers, dates as
dates). Every member of the organisation may export what the pages show them (as the existing
CSV reports); rows come from the organisation's own data only. ``spreadsheet_response`` is
the helper other apps' exports (costs) can call with their own sheets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.core.errors import NotFound
from twofold.core.history import name_references, readable_changes
from twofold.core.models import HistoryEntry
from twofold.interop.spreadsheet import csv_text, xlsx_bytes
from twofold.operations.models import Measurement, Request
from twofold.projects import selectors as project_selectors
from twofold.projects.models import Task
from twofold.risks.models import Risk

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return tz.localtime(moment).replace(tzinfo=None) if moment else None


def task_sheet(organisation: Organisation, project_id: int | None = None) -> Sheet:
    tasks = Task.objects.filter(organisation=organisation).select_related("project", "assignee")
    if project_id is not None:
        tasks = tasks.filter(project_id=project_id)
    tasks = tasks.order_by("project__code", "position")

    def rows() -> Iterator[list[Any]]:
        for t in tasks.iterator(chunk_size=2000):
            yield [
                t.project.code,
                t.name,
                "milestone" if t.is_milestone else "summary" if t.is_summary else "task",
                round(t.duration_minutes / 480, 2),
                t.assignee.email if t.assignee else "",
                t.get_status_display(),
                t.percent_complete,
                _local(t.start),
                _local(t.finish),
                round(t.total_float_minutes / 480, 1),
                t.is_critical,
            ]

    header = [
        "Project", "Task", "Kind", "Duration (days)", "Assignee", "Status", "% complete",
        "Start", "Finish", "Total float (days)", "Critical",
    ]  # fmt: skip
    return ("Tasks", header, rows())


def portfolio_sheet(organisation: Organisation) -> Sheet:
    cards = project_selectors.portfolio(organisation, sparklines=False)
    rows = (
        [
            c.project.code,
            c.project.name,
            c.project.programme.name if c.project.programme else "",
            c.project.get_phase_display(),
            c.project.manager.email if c.project.manager else "",
            round(c.percent_complete, 1),
            round(c.percent_planned, 1),
            c.health.level.value,
            "; ".join(c.health.reasons),
            c.project.target_start,
            c.project.target_finish,
        ]
        for c in cards
    )
    header = [
        "Code", "Project", "Programme", "Phase", "Manager", "% complete", "% planned",
        "Health", "Reasons", "Target start", "Target finish",
    ]  # fmt: skip
    return ("Portfolio", header, rows)


def risk_sheet(organisation: Organisation) -> Sheet:
    risks = (
        Risk.objects.filter(organisation=organisation)
        .select_related("project", "owner")
        .order_by("project__code", "-score", "pk")
    )
    rows = (
        [
            r.project.code,
            r.title,
            r.get_category_display(),
            r.owner.email if r.owner else "",
            r.probability,
            r.impact,
            r.score,
            r.get_status_display(),
            r.get_response_display(),
            r.mitigation,
            r.due_date,
        ]
        for r in risks.iterator(chunk_size=2000)
    )
    header = [
        "Project", "Risk", "Category", "Owner", "Probability", "Impact", "Score", "Status",
        "Response", "Mitigation", "Due",
    ]  # fmt: skip
    return ("Risks", header, rows)


def request_sheet(organisation: Organisation) -> Sheet:
    requests = (
        Request.objects.filter(organisation=organisation)
        .select_related("queue", "requester", "assignee")
        .order_by("queue__name", "created_at", "pk")
    )
    rows = (
        [
            r.queue.name,
            r.pk,
            r.title,
            r.get_priority_display(),
            r.get_status_display(),
            r.requester.email if r.requester else "",
            r.assignee.email if r.assignee else "",
            _local(r.created_at),
            _local(r.first_response_at),
            _local(r.resolved_at),
        ]
        for r in requests.iterator(chunk_size=2000)
    )
    header = [
        "Queue", "Number", "Request", "Priority", "Status", "Requester", "Assignee", "Created",
        "First response", "Resolved",
    ]  # fmt: skip
    return ("Requests", header, rows)


def kpi_value_sheet(organisation: Organisation) -> Sheet:
    values = (
        Measurement.objects.filter(organisation=organisation)
        .select_related("kpi__process")
        .order_by("kpi__process__name", "kpi__name", "measured_on")
    )
    rows = (
        [m.kpi.process.name, m.kpi.name, m.kpi.unit, m.measured_on, m.value, m.note]
        for m in values.iterator(chunk_size=5000)
    )
    return ("KPI values", ["Process", "KPI", "Unit", "Date", "Value", "Note"], rows)


def history_sheet(organisation: Organisation, project_id: int | None = None) -> Sheet:
    """The history as the activity pages show it: every change (and comment) to the kinds of
    object a feed lists, newest first, leaving out objects in the trash; ``project_id``
    narrows it to one project's objects (the project, its tasks, risks, gates, …)."""
    from twofold.activity.scopes import feed_kinds

    kinds = {}
    wanted = Q(pk__in=[])
    for kind in feed_kinds():
        model = kind.model
        live = model._default_manager.all()
        if project_id is not None:
            if kind.project is None:
                continue
            path = "pk" if kind.project == "id" else kind.project
            live = live.filter(**{path: project_id})
        ct = ContentType.objects.get_for_model(model)
        kinds[ct.pk] = kind.noun
        wanted |= Q(content_type_id=ct.pk, object_id__in=live.values("pk"))
    entries = (
        HistoryEntry.objects.filter(wanted, organisation=organisation)
        .select_related("actor")
        .order_by("-at", "-id")
    )

    def rows() -> Iterator[list[Any]]:
        for e in _named_in_chunks(entries.iterator(chunk_size=2000), 2000):
            changes = "; ".join(f"{c.label}: {c.before} → {c.after}" for c in readable_changes(e))
            yield [
                _local(e.at),
                e.actor.display_name if e.actor else "",
                e.actor.email if e.actor else "",
                kinds.get(e.content_type_id, ""),
                e.object_repr,
                e.action,
                e.summary,
                changes,
            ]

    header = ["When", "Person", "E-mail", "Kind", "Object", "Action", "Summary", "Changes"]
    return ("History", header, rows())


EXPORTS = {
    "tasks": task_sheet,
    "portfolio": portfolio_sheet,
    "risks": risk_sheet,
    "requests": request_sheet,
    "kpi-values": kpi_value_sheet,
    "history": history_sheet,
}


def sheet_of(organisation: Organisation, what: str) -> Sheet:
    builder = EXPORTS.get(what)
    if builder is None:
        raise NotFound("No such export.")
    return builder(organisation)


def spreadsheet_response(sheet: Sheet, fmt: str, name: str) -> HttpResponse:
    """``sheet`` as a CSV or XLSX download named ``name-<date>.<fmt>``."""
    title, header, rows = sheet
    file_name = f"twofold-{name}-{tz.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(xlsx_bytes([(title, header, rows)]), content_type=XLSX)
    elif fmt == "csv":
        response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    else:
        raise NotFound("No such format.")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _named_in_chunks(entries: Iterator[HistoryEntry], size: int) -> Iterator[HistoryEntry]:
    """``entries`` as they stream, with the names of their references read per chunk of
    ``size`` (one query per kind of object and chunk) instead of per entry."""
    chunk: list[HistoryEntry] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == size:
            yield from name_references(chunk)
            chunk = []
    yield from name_references(chunk)
