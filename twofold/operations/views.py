"""Operations pages: overview, processes, KPIs and control charts, queues, requests, routines, flow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from twofold.accounts.fiscal import current_fiscal_year, fiscal_year_bounds, fiscal_year_label
from twofold.core import panels, readahead
from twofold.core.errors import Forbidden, Invalid, ServiceError
from twofold.core.fastread import Read, one_round_trip
from twofold.core.history import entries_read, history_for
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    posted_version,
    render_page,
    whole_number,
)
from twofold.operations import csv_stash, evidence_files, flowdata, selectors, services
from twofold.operations.forms import (
    AssignForm,
    BaselineForm,
    ChangePointForm,
    CompleteForm,
    CsvForm,
    KpiEditForm,
    KpiForm,
    MeasurementForm,
    PriorityForm,
    ProcessForm,
    QueueForm,
    RequestForm,
    RoutineForm,
    SpendForm,
    StatusForm,
    StepFormSet,
    step_specs,
)
from twofold.operations.html_rows import (
    TicketActions,
    measurement_rows,
    occurrence_rows,
    queue_list_rows,
    queue_tickets,
    signal_rows,
)
from twofold.operations.models import (
    BOARD_STATUSES,
    Evidence,
    Kpi,
    OccurrenceStatus,
    Priority,
    Process,
    Queue,
    Request,
    Routine,
    Status,
)
from twofold.operations.services import ALLOWED_MOVES, MeasurementsInvalid, StepInput
from twofold.operations.views_records import measurement_changes, value_changes_read

SECTION = "operations"
BOARD_RESOLVED_DAYS = 14
"""The queue board shows open requests and those resolved in the last this-many days."""
BOARD_TICKETS = 25
"""A board column shows this many requests (the most urgent) and counts the rest."""


def _in_org(request: HttpRequest, obj: Any) -> Any:
    """Objects of another organisation than the one being worked in answer 404 too."""
    if obj.organisation_id != organisation_of(request).pk:
        raise Http404("Not found.")
    return obj


def _get(request: HttpRequest, getter: Any, pk: int) -> Any:
    try:
        return _in_org(request, getter(request.user, pk))
    except ServiceError as exc:
        raise Http404(exc.message) from exc


@organisation_required
def overview(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    show_archived = request.GET.get("archived") == "1"
    cards = selectors.overview(org)
    # The other side (projects changing each process, open improvement items), from the joins.
    extras = panels.render_each("operations.process_card", request, [c.process.pk for c in cards])
    for card in cards:
        card.extras = extras.get(card.process.pk, "")
        card.sees_money = selectors.sees_process_money(request.user, card.process)
    return render_page(
        request,
        "operations/pages/overview.html",
        {
            "cards": cards,
            "show_archived": show_archived,
            "archived_processes": (
                list(selectors.processes_of(org, archived=True)) if show_archived else []
            ),
            "archived_queues": (
                list(selectors.queues_of(org, archived=True)) if show_archived else []
            ),
            # URL prefixes reversed once, not once per card and KPI badge.
            "process_url": reverse("operations:process", args=[0]).removesuffix("0/"),
            "kpi_url": reverse("operations:kpi", args=[0]).removesuffix("0/"),
            "queues": selectors.with_open_counts(selectors.queues_of(org)),
            "can_manage": can(request.user, Action.MANAGE, org),
            "section": SECTION,
        },
    )


@organisation_required
def process_new(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    _admin_only(request, org)
    form = ProcessForm(request.POST or None, organisation=org)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                process = services.create_process(
                    actor=actor_of(request), organisation=org, **form.values()
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Process {process.name} created.")
                return redirect("operations:process", process.pk)
        else:
            status = 400
    return render_page(
        request,
        "operations/pages/form.html",
        {
            "form": form,
            "title": "New process",
            "intro": "A repeating piece of work with an owner, a budget, KPIs, routines and queues.",
            "submit": "Create process",
            "back": ("Processes", "operations:overview", None),
            "section": SECTION,
        },
        status=status,
    )


def _this_fiscal_year(
    request: HttpRequest, now: dt.datetime
) -> tuple[str, tuple[dt.date, dt.date]]:
    """The label and first and last day of the organisation's current fiscal year: the budget
    on the process page is that year's (``costs.budget_sync``), and so is the spend beside it."""
    org = organisation_of(request)
    year = current_fiscal_year(org, now)
    return fiscal_year_label(org, year), fiscal_year_bounds(org, year)


@organisation_required
def process_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The process page (GET: on PostgreSQL its parts are read in one round trip, as if the
    process were live; an archived one reads them again with its archived children)."""
    now = timezone.now()
    reads: list[Read] = []
    if request.method == "GET":
        show_archived = request.GET.get("archived") == "1"
        process = Process(pk=pk, organisation=organisation_of(request))
        fiscal_bounds = _this_fiscal_year(request, now)[1]
        reads = [
            selectors.process_read(request.user, pk),
            *selectors.process_part_reads(
                pk, archived_too=show_archived, spend_between=fiscal_bounds, now=now
            ),
            selectors.archived_children_read(pk),
            entries_read(process, 10),
            # the panels of other apps the page shows (core.readahead)
            *readahead.reads(process, "origins", "money", "comments"),
            # the budget and the other apps' costs beside it, for this fiscal year
            *readahead.reads((process, *fiscal_bounds), "process_costs"),
        ]
    with one_round_trip(reads):
        return _process_detail(request, pk, now)


def _process_detail(request: HttpRequest, pk: int, now: dt.datetime) -> HttpResponse:
    process = _get(request, selectors.get_process, pk)
    spend_form = SpendForm(request.POST if "spend" in request.POST else None)
    kpi_form = KpiForm(request.POST if "kpi" in request.POST else None)
    status = 200
    if request.method == "POST":
        form = spend_form if "spend" in request.POST else kpi_form
        if form.is_valid():
            try:
                if form is spend_form:
                    services.add_spend(
                        actor=actor_of(request), process=process, **form.cleaned_data
                    )
                    messages.success(request, "Spend recorded.")
                else:
                    kpi = services.create_kpi(
                        actor=actor_of(request), process=process, **form.cleaned_data
                    )
                    messages.success(request, f"KPI {kpi.name} created.")
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                return redirect("operations:process", process.pk)
        else:
            status = 400
    show_archived = request.GET.get("archived") == "1"
    # An archived process shows everything it had; a live one hides archived KPIs, routines
    # and queues unless asked ("Show archived").
    archived_too = show_archived or process.archived
    fiscal_label, fiscal_bounds = _this_fiscal_year(request, now)
    parts = selectors.process_parts(
        process.pk, archived_too=archived_too, spend_between=fiscal_bounds, now=now
    )
    recorded = sum((s.amount for s in parts.spend), start=Decimal(0))
    # All the process cost this fiscal year (time × rates and expenses from the joining apps,
    # plus the spend recorded here): the budget is compared with all of it, as on the
    # fiscal-year page.
    other = selectors.other_costs_between(
        organisation_of(request), [process.pk], *fiscal_bounds
    ).get(process.pk, Decimal(0))
    spent = recorded + other
    budget = selectors.budgets_between(organisation_of(request), [process.pk], *fiscal_bounds).get(
        process.pk, process.annual_budget
    )
    return render_page(
        request,
        "operations/pages/process.html",
        {
            "process": process,
            # from the rollup stored on each KPI, as the processes overview: no measurements read
            "kpis": parts.kpis,
            "routines": parts.routines,
            "queues": parts.queues,
            "show_archived": show_archived,
            "archived_count": 0 if archived_too else selectors.archived_children(process),
            "spend": parts.spend,
            "spent": spent,
            "recorded": recorded,
            "budget": budget,
            "other_costs": other,
            "budget_use": float(spent / budget) if budget else None,
            "fiscal_label": fiscal_label,
            "fiscal_bounds": fiscal_bounds,
            "spend_form": spend_form,
            "kpi_form": kpi_form,
            "can_edit": can(request.user, Action.EDIT, process),
            "can_manage": can(request.user, Action.MANAGE, process),
            # budget panel, annual budget and the spend form: the one money rule (no guests)
            "sees_money": selectors.sees_process_money(request.user, process),
            "history": history_for(process, limit=10, viewer=request.user),
            "section": SECTION,
        },
        status=status,
    )


@organisation_required
def kpi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The KPI page (GET: on PostgreSQL the KPI, its values, change points and value changes
    are read in one round trip)."""
    reads: list[Read] = []
    if request.method == "GET":
        reads = [
            *selectors.kpi_page_reads(request.user, pk),
            value_changes_read(pk),
            *readahead.reads(Kpi(pk=pk), "origins", "comments"),
        ]
    with one_round_trip(reads):
        return _kpi_detail(request, pk)


def _kpi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = _get(request, selectors.get_kpi, pk)
    action = request.POST.get("action", "")
    measure_form = MeasurementForm(request.POST if action == "measure" else None)
    uploading = action in ("csv", "csv_confirm")
    csv_form = CsvForm(request.POST if uploading else None, request.FILES if uploading else None)
    if action == "csv_confirm":  # the file checked before is stashed; none is uploaded now
        csv_form.fields["file"].required = False
    baseline_form = BaselineForm(
        request.POST if action == "baseline" else None,
        initial={
            "baseline_start": kpi.baseline_start,
            "baseline_end": kpi.baseline_end,
            "version": kpi.version,
        },
    )
    row_errors: list[services.RowError] = []
    doubts: list[Any] = []
    csv_token = ""
    status = 200
    if request.method == "POST":
        actor = actor_of(request)
        form: Any = {
            "measure": measure_form,
            "csv": csv_form,
            "csv_confirm": csv_form,
            "baseline": baseline_form,
        }.get(action)
        if form is None:
            raise Http404("Unknown action.")
        if form.is_valid():
            data = b""
            try:
                if action == "measure":
                    values = dict(form.cleaned_data)
                    confirmed = bool(values.pop("confirm", False))
                    services.add_measurement(actor=actor, kpi=kpi, confirmed=confirmed, **values)
                    messages.success(request, "Measurement saved.")
                elif action in ("csv", "csv_confirm"):
                    csv_token = request.POST.get("token", "")
                    if action == "csv":
                        data = form.cleaned_data["file"].read()
                        csv_token = ""
                    else:
                        data = csv_stash.take(kpi, actor.pk, csv_token) or b""
                        if not data:
                            raise Invalid(
                                "That checked file is gone (after a day, or already "
                                "imported): upload it again.",
                                field="file",
                            )
                    saved = services.import_measurements_csv(
                        actor=actor, kpi=kpi, data=data, confirmed=action == "csv_confirm"
                    )
                    if csv_token:
                        csv_stash.drop(kpi, actor.pk, csv_token)
                    messages.success(request, f"{len(saved)} measurements imported.")
                else:
                    services.update_kpi(
                        actor=actor,
                        kpi=kpi,
                        expected_version=form.cleaned_data["version"],
                        baseline_start=form.cleaned_data["baseline_start"],
                        baseline_end=form.cleaned_data["baseline_end"],
                    )
                    messages.success(request, "Limits recomputed from the new baseline.")
            except services.MeasurementsImplausible as exc:
                doubts = exc.warnings
                status = 422
                if action == "csv":
                    try:
                        csv_token = csv_stash.stash(kpi, actor.pk, data)
                    except ServiceError as kept:  # not kept (too large, a full disk)
                        status = apply_service_error(form, kept)
            except MeasurementsInvalid as exc:
                row_errors, doubts = exc.errors, exc.warnings
                form.add_error(None, exc.message)
                status = 422
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                return redirect("operations:kpi", kpi.pk)
        else:
            status = 400
    view = selectors.kpi_page_view(kpi)
    every = sorted([*view.measurements, *view.voided], key=lambda m: m.measured_on, reverse=True)
    show_all = request.GET.get("all") == "1"
    recent = every if show_all else every[:12]
    return render_page(
        request,
        "operations/pages/kpi.html",
        {
            "kpi": kpi,
            "view": view,
            "chart_data": {
                **view.chart_data(),
                "measurement_url": reverse("operations:measurement", args=[0]),
            },
            "recent": recent,
            "value_rows": measurement_rows(recent, kpi.unit),
            "signal_rows": signal_rows(view.signals),
            "value_count": len(every),
            "show_all": show_all,
            "corrected_count": sum(1 for m in every if m.corrected),
            "voided_count": len(view.voided),
            "changes": measurement_changes(kpi, limit=10),
            "measure_form": measure_form,
            "csv_form": csv_form,
            "baseline_form": baseline_form,
            "row_errors": row_errors if uploading else [],
            "existing": [e for e in row_errors if e.measurement_id],
            "doubts": doubts,
            "doubt_action": action if doubts and not row_errors else "",
            "csv_token": csv_token,
            "can_edit": can(request.user, Action.EDIT, kpi),
            "can_manage": can(request.user, Action.MANAGE, kpi),
            "change_form": ChangePointForm(),
            "section": SECTION,
        },
        status=status,
    )


@organisation_required
def queue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The queue page (GET: on PostgreSQL the queue and the board are read in one round
    trip)."""
    now = timezone.now()
    reads: list[Read] = []
    if request.method == "GET":
        subject = Queue(pk=pk)
        reads = [
            # the live counter before the data it stands for (activity.live.version)
            *readahead.reads(subject, "live"),
            selectors.queue_read(request.user, pk),
            *selectors.queue_page_reads(pk, resolved_days=BOARD_RESOLVED_DAYS, now=now),
            *readahead.reads(subject, "origins", "hypercare"),
        ]
    with one_round_trip(reads):
        return _queue_detail(request, pk, now)


def _queue_detail(request: HttpRequest, pk: int, now: dt.datetime) -> HttpResponse:
    queue = _get(request, selectors.get_queue, pk)
    form = RequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.create_request(
                    actor=actor_of(request), queue=queue, **form.cleaned_data
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Request #{created.pk} raised.")
                return redirect("operations:request", created.pk)
        else:
            status = 400
    view_mode = "list" if request.GET.get("view") == "list" else "board"
    page = selectors.queue_page(queue, resolved_days=BOARD_RESOLVED_DAYS, now=now)
    views = page.views
    open_views = [v for v in views if not v.resolution.stopped]
    can_contribute = can(request.user, Action.CONTRIBUTE, queue)
    columns = []
    if view_mode == "board":
        actions = TicketActions(
            can_contribute, request.user.pk, request.get_full_path(), get_token(request)
        )
        for s in BOARD_STATUSES:
            items = [v for v in views if v.request.status == s]
            tickets = queue_tickets(
                items[:BOARD_TICKETS], with_forms=s != Status.RESOLVED, actions=actions
            )
            columns.append((s, Status(s).label, items, tickets))
    return render_page(
        request,
        "operations/pages/queue.html",
        {
            "queue": queue,
            "columns": columns,
            "open_views": open_views,
            "attainment": page.attainment,
            "sla_rows": [
                (
                    label,
                    queue.target_minutes(p, "response") / 60,
                    queue.target_minutes(p, "resolution") / 60,
                )
                for p, label in Priority.choices
            ],
            "resolved_days": BOARD_RESOLVED_DAYS,
            "view_mode": view_mode,
            "form": form,
            "list_rows": queue_list_rows(open_views) if view_mode == "list" else "",
            "can_contribute": can_contribute,
            "can_manage": can(request.user, Action.MANAGE, queue),
            "section": SECTION,
        },
        status=status,
    )


@organisation_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The request page (GET: on PostgreSQL the request, its queue, events and history are read
    in one round trip; the queue's hypercare needs the request's row first)."""
    reads: list[Read] = []
    if request.method == "GET":
        target = Request(pk=pk, organisation_id=organisation_of(request).pk)
        reads = [
            *readahead.reads(target, "live"),  # the counter before the data it stands for
            *selectors.request_reads(request.user, pk),
            entries_read(target, 10),
            *readahead.reads(target, "comments"),
        ]
    with one_round_trip(reads):
        return _request_detail(request, pk)


def _request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = _get(request, selectors.get_request, pk)
    form = StatusForm(request.POST or None, initial={"version": req.version})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.change_request_status(
                    actor=actor_of(request),
                    request=req,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                    expected_version=form.cleaned_data["version"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Request is now {req.get_status_display().lower()}.")
                return redirect("operations:request", req.pk)
        else:
            status = 400
        req = selectors.get_request(request.user, pk)
    view = selectors.request_view(req)
    moves = [(s, Status(s).label) for s in Status.values if s in ALLOWED_MOVES[req.status]]
    return render_page(
        request,
        "operations/pages/request.html",
        {
            "req": req,
            "view": view,
            "events": list(req.events.all()),  # prefetched with their actors
            "moves": moves,
            "form": form,
            "can_edit": can(request.user, Action.EDIT, req),
            "assign_form": AssignForm(
                organisation=organisation_of(request),
                initial={"assignee": req.assignee_id, "version": req.version},
            ),
            "priority_form": PriorityForm(
                initial={"priority": req.priority, "version": req.version}
            ),
            "history": history_for(req, limit=10, viewer=request.user),
            "section": SECTION,
        },
        status=status,
    )


@organisation_required
def routine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The routine page (on PostgreSQL its four reads go in one round trip)."""
    now = timezone.now()
    reads = [
        selectors.routine_read(request.user, pk),
        *selectors.routine_page_reads(pk, now),
        *readahead.reads(Routine(pk=pk), "origins"),
    ]
    with one_round_trip(reads):
        routine = _get(request, selectors.get_routine, pk)
        page = selectors.routine_page(routine, now)
        return render_page(
            request,
            "operations/pages/routine.html",
            {
                "routine": routine,
                "stats": routine,
                "on_time_rate": routine.on_time_rate,
                "steps": page.steps,
                "occurrences": page.occurrences,
                "occurrence_rows": occurrence_rows(page.occurrences, now),
                "can_manage": can(request.user, Action.MANAGE, routine),
                "section": SECTION,
            },
        )


@organisation_required
def occurrence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    occurrence = _get(request, selectors.get_occurrence, pk)
    steps = selectors.steps_of(occurrence.routine_id)
    evidence_rows = selectors.evidence_of(occurrence)
    staged = (
        [e for e in evidence_rows if e.file] if occurrence.status != OccurrenceStatus.DONE else []
    )
    form = CompleteForm(
        request.POST or None,
        request.FILES or None,
        steps=steps,
        initial={"version": occurrence.version},
        staged={e.step_id for e in staged},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            evidence = {}
            for step in steps:
                raw = form.cleaned_data.get(f"step_{step.pk}")
                given = StepInput()
                if step.evidence == Evidence.NOTE:
                    given.note = raw or ""
                elif step.evidence == Evidence.NUMBER:
                    given.number = raw
                elif step.evidence == Evidence.PASS_FAIL:
                    given.passed = {"pass": True, "fail": False}.get(raw or "")
                elif step.evidence == Evidence.FILE:
                    given.file = raw
                evidence[step.pk] = given
            try:
                services.complete_occurrence(
                    actor=actor_of(request),
                    occurrence=occurrence,
                    evidence=evidence,
                    expected_version=form.cleaned_data["version"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                late = " (late)" if occurrence.late else ""
                if occurrence.nonconforming:
                    messages.warning(
                        request,
                        f"{occurrence.routine.name} completed with a nonconformance{late}: "
                        "a reading outside its limits or a failed check opened one.",
                    )
                else:
                    messages.success(request, f"{occurrence.routine.name} completed{late}.")
                return redirect("operations:occurrence", occurrence.pk)
        else:
            status = 400
    return render_page(
        request,
        "operations/pages/occurrence.html",
        {
            "occurrence": occurrence,
            "routine": occurrence.routine,
            "form": form,
            "evidence": evidence_rows,
            "staged": staged,
            "has_file_steps": any(step.evidence == Evidence.FILE for step in steps),
            "limit_mb": evidence_files.size_limit() // (1024 * 1024),
            "can_complete": can(request.user, Action.CONTRIBUTE, occurrence)
            and occurrence.status != OccurrenceStatus.DONE,
            "overdue": occurrence.status == OccurrenceStatus.OPEN
            and occurrence.due < timezone.now(),
            "section": SECTION,
        },
        status=status,
    )


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@organisation_required
def flow(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    source = "occurrences" if request.GET.get("source") == "occurrences" else "requests"
    today = flowdata.today_of(org)
    by = _date(request.GET.get("by")) or today + dt.timedelta(days=28)
    latest = today + dt.timedelta(days=flowdata.MAX_FORECAST_DAYS)
    by_note = flowdata.by_problem(by, today)  # today or earlier, or over 10 years ahead
    by = min(by, latest)
    try:
        items = max(1, min(10_000, int(request.GET.get("items", "20"))))
    except ValueError:
        items = 20
    data = flowdata.flow_metrics(org, source, today=today, forecast_by=by, forecast_items=items)
    return render_page(
        request,
        "operations/pages/flow.html",
        {
            "source": source,
            "by": by,
            "by_note": by_note,
            "by_past": by <= today,
            "latest": latest,
            "items": items,
            "data": data,
            "section": SECTION,
        },
    )


@require_POST
@organisation_required
def generate(request: HttpRequest) -> HttpResponse:
    """Run one worker pass for this organisation's routines (admins; the worker does it too)."""
    org = organisation_of(request)
    if not can(request.user, Action.MANAGE, org):
        return forbidden_page(
            request,
            "Only admins can generate occurrences by hand; the worker generates them every few minutes.",
            back=reverse("operations:overview"),
        )
    services.generate_for_organisation(actor=actor_of(request), organisation=org)
    messages.success(request, "Occurrences generated for the next 30 days.")
    return redirect("operations:overview")


# --- Admin forms: calendars, queues, routines -------------------------------------------------


def _admin_only(request: HttpRequest, obj: Any) -> None:
    """Writes below are for admins; others who can see the object get a 403 page."""
    if not can(request.user, Action.MANAGE, obj):
        raise PermissionDenied("Only admins can change this.")


@organisation_required
def calendars(request: HttpRequest) -> HttpResponse:
    """Business calendars are edited on the one calendars page (Settings → Calendars)."""
    return redirect("calendars:list")


@organisation_required
def calendar_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return redirect("calendars:detail", pk) if pk is not None else redirect("calendars:list")


@organisation_required
def queue_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    org = organisation_of(request)
    queue: Queue | None = None
    if pk is not None:
        queue = _get(request, selectors.get_queue, pk)
    _admin_only(request, queue or org)
    initial = (
        QueueForm.initial_for(queue)
        if queue
        else {
            "process": whole_number(request.GET.get("process")),
            "calendar": selectors.calendars_of(org).first(),
        }
    )
    form = QueueForm(
        request.POST or None, initial=initial, organisation=org, editing=queue is not None
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            values = {
                k: data[k] for k in ["name", "description", "process", "calendar", "nc_on_breach"]
            }
            try:
                if queue is None:
                    queue = services.create_queue(
                        actor=actor_of(request),
                        organisation=org,
                        sla_hours=data["sla_hours"],
                        **values,
                    )
                else:
                    services.update_queue(
                        actor=actor_of(request),
                        queue=queue,
                        expected_version=data["version"],
                        sla_hours=data["sla_hours"],
                        **values,
                    )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Queue {queue.name} saved.")
                return redirect("operations:queue", queue.pk)
        else:
            status = 400
    return render_page(
        request,
        "operations/pages/queue_form.html",
        {
            "form": form,
            "queue": queue,
            "title": f"Edit {queue.name}" if queue else "New request queue",
            "history": history_for(queue, limit=10, viewer=request.user) if queue else [],
            "section": SECTION,
        },
        status=status,
    )


@organisation_required
def routine_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    org = organisation_of(request)
    routine: Routine | None = None
    if pk is not None:
        routine = _get(request, selectors.get_routine, pk)
    _admin_only(request, routine or org)
    if routine is not None:
        initial = RoutineForm.initial_for(routine)
        steps_initial = [
            {
                "id": s.pk,
                "text": s.text,
                "evidence": s.evidence,
                "min_value": s.min_value,
                "max_value": s.max_value,
                "unit": s.unit,
            }
            for s in selectors.steps_of(routine.pk)
        ]
    else:
        initial = {
            "process": whole_number(request.GET.get("process")),
            "starts_on": timezone.localdate(),
        }
        steps_initial = []
    post = request.POST if request.method == "POST" else None
    form = RoutineForm(post, initial=initial, organisation=org, editing=routine is not None)
    steps = StepFormSet(post, initial=steps_initial, prefix="steps")
    if routine is not None:
        form.fields["process"].disabled = True
    status = 200
    if request.method == "POST":
        if form.is_valid() and steps.is_valid():
            try:
                if routine is None:
                    routine = services.create_routine(
                        actor=actor_of(request),
                        process=form.cleaned_data["process"],
                        steps=step_specs(steps),
                        **form.values(),
                    )
                else:
                    services.update_routine(
                        actor=actor_of(request),
                        routine=routine,
                        expected_version=form.cleaned_data["version"],
                        steps=step_specs(steps),
                        **form.values(),
                    )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Routine {routine.name} saved.")
                return redirect("operations:routine", routine.pk)
        else:
            status = 400
    return render_page(
        request,
        "operations/pages/routine_form.html",
        {
            "form": form,
            "steps": steps,
            "routine": routine,
            "title": f"Edit {routine.name}" if routine else "New routine",
            "history": history_for(routine, limit=10, viewer=request.user) if routine else [],
            "section": SECTION,
        },
        status=status,
    )


# --- Edit, archive, delete --------------------------------------------------------------------


@organisation_required
def process_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = organisation_of(request)
    process = _get(request, selectors.get_process, pk)
    _admin_only(request, process)
    form = ProcessForm(
        request.POST or None,
        initial=ProcessForm.initial_for(process),
        organisation=org,
        editing=True,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_process(
                    actor=actor_of(request),
                    process=process,
                    expected_version=form.cleaned_data["version"],
                    **form.values(),
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Process {process.name} saved.")
                return redirect("operations:process", process.pk)
        else:
            status = 400
    return render_page(
        request,
        "operations/pages/form.html",
        {
            "form": form,
            "title": f"Edit {process.name}",
            "submit": "Save process",
            "back": (process.name, "operations:process", process.pk),
            "history": history_for(process, limit=10, viewer=request.user),
            "section": SECTION,
        },
        status=status,
    )


@organisation_required
def kpi_edit(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = _get(request, selectors.get_kpi, pk)
    _admin_only(request, kpi)
    form = KpiEditForm(request.POST or None, initial=KpiEditForm.initial_for(kpi))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_kpi(
                    actor=actor_of(request),
                    kpi=kpi,
                    expected_version=form.cleaned_data["version"],
                    **form.values(),
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"KPI {kpi.name} saved.")
                return redirect("operations:kpi", kpi.pk)
        else:
            status = 400
    return render_page(
        request,
        "operations/pages/form.html",
        {
            "form": form,
            "title": f"Edit {kpi.name}",
            "intro": "Changing the target or thresholds recolours the latest value at once; the "
            "measurements and the control chart's limits stay as they are.",
            "submit": "Save KPI",
            "back": (kpi.name, "operations:kpi", kpi.pk),
            "history": history_for(kpi, limit=10, viewer=request.user),
            "section": SECTION,
        },
        status=status,
    )


KINDS: dict[str, tuple[Any, str]] = {
    "processes": (selectors.get_process, "operations:process"),
    "kpis": (selectors.get_kpi, "operations:kpi"),
    "queues": (selectors.get_queue, "operations:queue"),
    "routines": (selectors.get_routine, "operations:routine"),
}


def _thing(request: HttpRequest, kind: str, pk: int) -> tuple[Any, str]:
    if kind not in KINDS:
        raise Http404("Not found.")
    getter, page = KINDS[kind]
    return _get(request, getter, pk), page


def _version_of(request: HttpRequest) -> int | None:
    return posted_version(request.POST.get("version"))


@require_POST
@organisation_required
def archive(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Archive or restore (``archived=0``) a process, KPI, queue or routine."""
    obj, page = _thing(request, kind, pk)
    _admin_only(request, obj)
    archived = request.POST.get("archived", "1") != "0"
    label = services.KIND_LABEL[type(obj)]
    try:
        services.set_archived(
            actor=actor_of(request),
            obj=obj,
            archived=archived,
            expected_version=_version_of(request),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        done = "archived: hidden from lists, kept in reports" if archived else "restored"
        messages.success(request, f"{label[0].upper()}{label[1:]} {obj} {done}.")
    return redirect(page, obj.pk)


@organisation_required
def delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Confirm (GET) and delete (POST) a process, KPI, queue or routine, naming what goes."""
    obj, page = _thing(request, kind, pk)
    _admin_only(request, obj)
    parent = None if isinstance(obj, Process) else obj.process
    error = ""
    status = 200
    if request.method == "POST":
        try:
            impact = services.delete_thing(
                actor=actor_of(request), obj=obj, expected_version=_version_of(request)
            )
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(
                request,
                f"{impact.label[0].upper()}{impact.label[1:]} {impact.name} moved to the trash.",
            )
            if parent is not None:
                return redirect("operations:process", parent.pk)
            return redirect("operations:overview")
    return render_page(
        request,
        "operations/pages/delete.html",
        {
            "obj": obj,
            "page": page,
            "impact": services.deletion_impact(obj),
            "error": error,
            "section": SECTION,
        },
        status=status,
    )


@require_POST
@organisation_required
def request_trash(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a request to the trash (members); back to its queue with a message."""
    req = _get(request, selectors.get_request, pk)
    try:
        services.trash_request(
            actor=actor_of(request), request=req, expected_version=_version_of(request)
        )
    except Forbidden as exc:
        return forbidden_page(
            request, exc.message, back=reverse("operations:request", args=[req.pk])
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("operations:request", req.pk)
    messages.success(request, f"Request {req} moved to the trash: an admin can restore it.")
    return redirect("operations:queue", req.queue_id)
