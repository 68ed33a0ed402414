"""Exports as CSV or XLSX: task lists, the portfolio, risks, requests, KPI values and history.

Each export is a sheet (title, header, rows) built by one function here and written by
``twofold.interop.spreadsheet`` (formula-like text neutralised, numbers as numbers, dates as
dates). Every member of the organisation may export what the pages show them (as the existing
CSV reports); rows come from the organisation's own data only. ``spreadsheet_response`` is
the helper other apps' exports (costs) can call with their own sheets.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import groupby
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.core.errors import NotFound
from twofold.core.history import MoneyFilter, name_references, readable_changes
from twofold.core.models import HistoryEntry
from twofold.core.uploads import content_disposition
from twofold.interop.spreadsheet import csv_text, xlsx_bytes
from twofold.operations.models import Measurement, Request
from twofold.projects import selectors as project_selectors
from twofold.projects.models import Link, Task
from twofold.risks.models import Risk

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return tz.localtime(moment).replace(tzinfo=None) if moment else None


def _days(minutes: int) -> float:
    """Working minutes as days of 8 hours, to six decimals: the import (``round(days × 480)``)
    gives back every whole minute (to two decimals 60 minutes came back as 58)."""
    return round(minutes / 480, 6)


def _in_outline(tasks: list[Task]) -> list[tuple[Task, str]]:
    """One project's tasks in the order of its task table, with their outline numbers."""
    children: dict[int | None, list[Task]] = defaultdict(list)
    known = {t.pk for t in tasks}
    for t in tasks:  # in position order
        children[t.parent_id if t.parent_id in known else None].append(t)
    out: list[tuple[Task, str]] = []
    # Depth first with an explicit stack: an outline may be deeper than Python's recursion
    # limit (the sheet import accepts any depth). Each frame is the children still to number
    # under one parent and that parent's outline prefix.
    stack: list[tuple[Iterator[tuple[int, Task]], str]] = [
        (enumerate(children.get(None, ()), 1), "")
    ]
    while stack:
        siblings, prefix = stack[-1]
        step = next(siblings, None)
        if step is None:
            stack.pop()
            continue
        i, t = step
        number = f"{prefix}{i}"
        out.append((t, number))
        stack.append((enumerate(children.get(t.pk, ()), 1), number + "."))
    return out


def task_sheet(organisation: Organisation, project_id: int | None = None) -> Sheet:
    """Every task, a project at a time in the order of its task table, with the columns the
    spreadsheet import reads back (ID, outline number, duration in days, predecessors as
    ``3FS+2d`` by ID, assignee e-mail): an export imported as a new project gives the same tree
    and links. The scheduled dates are headed "Scheduled start/finish" so that the import does
    not turn them into "start no earlier than" constraints."""
    tasks = Task.objects.filter(organisation=organisation).select_related("project", "assignee")
    links = Link.objects.filter(organisation=organisation)
    if project_id is not None:
        tasks = tasks.filter(project_id=project_id)
        links = links.filter(project_id=project_id)
    tasks = tasks.order_by("project__code", "project_id", "position")

    def rows() -> Iterator[list[Any]]:
        into: dict[int, list[tuple[int, str, int, str]]] = defaultdict(list)
        for pred, succ, kind, lag, unit in links.order_by("pk").values_list(
            "pred_id", "succ_id", "type", "lag", "lag_unit"
        ):
            into[succ].append((pred, kind, lag, unit))
        for _project, group in groupby(tasks.iterator(chunk_size=2000), key=lambda t: t.project_id):
            ordered = _in_outline(list(group))
            ids = {t.pk: i for i, (t, _n) in enumerate(ordered, 1)}
            for t, number in ordered:
                predecessors = ", ".join(
                    f"{ids[pred]}{kind}{f'{lag:+d}{unit}' if lag else ''}"
                    for pred, kind, lag, unit in into.get(t.pk, ())
                    if pred in ids
                )
                yield [
                    t.project.code,
                    ids[t.pk],
                    number,
                    t.name,
                    "milestone" if t.is_milestone else "summary" if t.is_summary else "task",
                    None if t.is_summary else _days(t.duration_minutes),
                    predecessors,
                    t.assignee.email if t.assignee else "",
                    t.get_status_display(),
                    t.percent_complete,
                    _local(t.start),
                    _local(t.finish),
                    round(t.total_float_minutes / 480, 1),
                    t.is_critical,
                ]

    header = [
        "Project", "ID", "Outline number", "Task", "Kind", "Duration (days)", "Predecessors",
        "Assignee", "Status", "% complete", "Scheduled start", "Scheduled finish",
        "Total float (days)", "Critical",
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
    # Voided and corrected values say so, as in the reports' export (reports.views
    # .export_measurements): the KPI pages leave a voided value out of its status and limits,
    # and this export listed it as plain data.
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
        for m in values.iterator(chunk_size=5000)
    )
    header = [
        "Process", "KPI", "Unit", "Date", "Value", "Note", "Status", "Reason", "Original value",
    ]  # fmt: skip
    return ("KPI values", header, rows)


def history_sheet(
    organisation: Organisation, project_id: int | None = None, *, viewer: Any
) -> Sheet:
    """The history as the activity pages show it: every change (and comment) to the kinds of
    object a feed lists, newest first, leaving out objects in the trash; ``project_id``
    narrows it to one project's objects (the project, its tasks, risks, gates, …). Amounts
    only for those the money rule names (``core.history.MoneyFilter``)."""
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

    readable = MoneyFilter(viewer, organisation.pk)

    def rows() -> Iterator[list[Any]]:
        for entry in _named_in_chunks(entries.iterator(chunk_size=2000), 2000):
            e = readable(entry)
            if e is None:
                continue
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


EXPORTS: dict[str, Callable[..., Sheet]] = {
    "tasks": task_sheet,
    "portfolio": portfolio_sheet,
    "risks": risk_sheet,
    "requests": request_sheet,
    "kpi-values": kpi_value_sheet,
    "history": history_sheet,
}


def sheet_of(organisation: Organisation, what: str, *, viewer: Any) -> Sheet:
    builder = EXPORTS.get(what)
    if builder is None:
        raise NotFound("No such export.")
    if builder is history_sheet:
        return history_sheet(organisation, viewer=viewer)  # amounts as the viewer may read
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
    # A project code in the name may hold a CR, a LF or a quote (a 500, or a broken header).
    response["Content-Disposition"] = content_disposition(file_name)
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
