"""Risk pages: the register (portfolio and per project), a risk, and the schedule risk page.

Views are thin: they parse forms and call the same services as the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from twofold.core import dates
from twofold.core.errors import Forbidden, NotFound, ServiceError
from twofold.core.history import history_for
from twofold.core.models import Job
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    job_panel,
    organisation_of,
    organisation_required,
    requested_job,
    whole_number,
)
from twofold.projects.models import Project, Task
from twofold.projects.services import tz_of
from twofold.risks import selectors, services
from twofold.risks.forms import RiskForm, SimulationForm, parse_estimates
from twofold.risks.models import Category, Risk, RiskAnalysis
from twofold.risks.simulation import estimate_of

SORT_LABELS = [("score", "Score"), ("due", "Due date"), ("status", "Status"), ("title", "Title")]


def _project(request: HttpRequest, project_id: int) -> Project:
    try:
        return selectors.get_project(request.user, organisation_of(request), project_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _risk(request: HttpRequest, risk_id: int) -> Risk:
    try:
        return selectors.get_risk(request.user, organisation_of(request), risk_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _query(filters: selectors.Filters, **change: Any) -> str:
    values = {
        "status": filters.status,
        "category": filters.category,
        "sort": filters.sort,
        "p": filters.probability or "",
        "i": filters.impact or "",
        **change,
    }
    if values["status"] == "active":
        values["status"] = ""
    if values["sort"] == "score":
        values["sort"] = ""
    return urlencode({k: v for k, v in values.items() if v})


def _register_context(
    request: HttpRequest, filters: selectors.Filters, heat: list[selectors.HeatRow]
) -> dict[str, Any]:
    grid = [
        (
            row,
            [
                (
                    cell,
                    "?"
                    + (
                        _query(filters, p="", i="")
                        if cell.selected
                        else _query(filters, p=cell.probability, i=cell.impact)
                    ),
                )
                for cell in row.cells
            ],
        )
        for row in heat
    ]
    return {
        "filters": filters,
        "grid": grid,
        "impacts": selectors.IMPACT_COLUMNS,
        "statuses": selectors.STATUS_FILTERS,
        "categories": Category.choices,
        "sorts": SORT_LABELS,
        "sort_links": {key: "?" + _query(filters, sort=key) for key, _ in SORT_LABELS},
        "clear_cell": "?" + _query(filters, p="", i=""),
        "section": "projects",
    }


@organisation_required
def register(request: HttpRequest) -> HttpResponse:
    """Every project's risks: heat map, the register, and each project's exposure."""
    org = organisation_of(request)
    filters = selectors.Filters.from_query(request.GET)
    risks = selectors.risks_of_organisation(org, filters)
    high = selectors.open_high_risk_counts(org)
    runs = selectors.last_runs(org)
    projects = [
        {"project": p, "high": high.get(p.pk, 0), "run": runs.get(p.pk)}
        for p in Project.objects.filter(organisation=org, archived_at__isnull=True).only(
            "pk", "name", "code", "target_finish"
        )
    ]
    return render(
        request,
        "risks/pages/register.html",
        {
            **_register_context(request, filters, selectors.heat_map(org, filters)),
            "risks": risks,
            "projects": projects,
            "show_project": True,
            "section": "risks",
        },
    )


def _project_tabs(project: Project, tab: str, request: HttpRequest) -> dict[str, Any]:
    return {
        "project": project,
        "tab": tab,
        "can_edit": can(request.user, Action.EDIT, project),
        "can_manage": can(request.user, Action.MANAGE, project),
        "section": "projects",
    }


@organisation_required
def project_register(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    org = organisation_of(request)
    filters = selectors.Filters.from_query(request.GET)
    return render(
        request,
        "risks/pages/project_register.html",
        {
            **_register_context(request, filters, selectors.heat_map(org, filters, project)),
            **_project_tabs(project, "register", request),
            "risks": selectors.risks_of_project(project, filters),
            "counts": selectors.counts_by_status(org, project),
            "analysis": selectors.analysis_of(project),
            "show_project": False,
        },
    )


def _risk_values(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    values.pop("version", None)
    return values


@organisation_required
def risk_create(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    form = RiskForm(request.POST or None, project=project)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = _risk_values(form.cleaned_data)
            tasks = values.pop("tasks")
            try:
                risk = services.create_risk(
                    actor=actor_of(request), project=project, tasks=tasks, **values
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Risk “{risk.title}” was added (score {risk.score}).")
                return redirect("risks:project", project_id=project.pk)
        else:
            status = 400
    elif not can(request.user, Action.EDIT, project):
        return forbidden_page(
            request,
            "Your role lets you read risks, not add them.",
            back=reverse("risks:project", args=[project.pk]),
        )
    return render(
        request,
        "risks/pages/risk_form.html",
        {**_project_tabs(project, "register", request), "form": form, "risk": None},
        status=status,
    )


@organisation_required
def risk_detail(request: HttpRequest, risk_id: int) -> HttpResponse:
    risk = _risk(request, risk_id)
    project = risk.project
    editing = request.method == "POST"
    form = RiskForm(
        request.POST if editing else None,
        project=project,
        editing=True,
        initial=RiskForm.initial_for(risk),
    )
    status = 200
    if editing:
        if "delete" in request.POST:
            try:
                services.delete_risk(
                    actor=actor_of(request),
                    risk=risk,
                    expected_version=whole_number(request.POST.get("version")),
                )
            except ServiceError as exc:
                if isinstance(exc, NotFound):
                    raise Http404(exc.message) from exc
                if isinstance(exc, Forbidden):
                    back = reverse("risks:detail", args=[risk.pk])
                    return forbidden_page(request, exc.message, back=back)
                messages.error(request, exc.message)
                return redirect("risks:detail", risk_id=risk.pk)
            messages.success(request, f"Risk “{risk.title}” was moved to the trash.")
            return redirect("risks:project", project_id=project.pk)
        if form.is_valid():
            values = _risk_values(form.cleaned_data)
            tasks = values.pop("tasks")
            try:
                services.update_risk(
                    actor=actor_of(request),
                    risk=risk,
                    expected_version=form.cleaned_data["version"],
                    tasks=tasks,
                    **values,
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Risk “{risk.title}” was saved.")
                return redirect("risks:detail", risk_id=risk.pk)
        else:
            status = 400
    return render(
        request,
        "risks/pages/risk_form.html",
        {
            **_project_tabs(project, "register", request),
            "form": form,
            "risk": risk,
            "linked": list(risk.tasks.order_by("position")),
            "history": history_for(risk, viewer=request.user),
        },
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Schedule risk


def _days(minutes: int) -> str:
    return f"{minutes / 480:g}"


def _bars(
    project: Project, tasks: list[Task], criticality: dict[int, float]
) -> dict[str, Any] | None:
    """A simplified Gantt (SVG geometry) of the leaf tasks, coloured by criticality index."""
    dated = [t for t in tasks if t.start and t.finish]
    if not dated:
        return None
    first = min(t.start for t in dated if t.start)
    last = max(t.finish for t in dated if t.finish)
    span = max((last - first).total_seconds(), 1.0)
    width, label, row = 640.0, 230.0, 22
    bars = []
    for n, t in enumerate(dated):
        assert t.start and t.finish
        x = label + (t.start - first).total_seconds() / span * width
        w = max((t.finish - t.start).total_seconds() / span * width, 2.0)
        ci = criticality.get(t.pk)
        level = (
            "none"
            if ci is None
            else "high"
            if ci >= 0.8
            else "mid"
            if ci >= 0.4
            else "low"
            if ci > 0
            else "zero"
        )
        bars.append(
            {
                "name": t.name,
                "y": n * row + 26,
                "x": round(x, 1),
                "w": round(w, 1),
                "cx": round(x + w / 2, 1),
                "ci": ci,
                "level": level,
                "milestone": t.is_milestone,
            }
        )
    tzinfo = tz_of(project.organisation)
    return {
        "bars": bars,
        "height": len(bars) * row + 34,
        "width": label + width + 10,
        "label_x": label - 8,
        "left": label,
        "right": label + width,
        "first": timezone.localtime(first, tzinfo),
        "last": timezone.localtime(last, tzinfo),
    }


def _schedule_context(
    request: HttpRequest,
    project: Project,
    analysis: RiskAnalysis,
    form: SimulationForm,
    posted: dict[str, Any] | None = None,
) -> dict[str, Any]:
    tasks = list(
        Task.objects.filter(project=project)
        .only(
            "pk",
            "name",
            "duration_minutes",
            "is_milestone",
            "is_summary",
            "start",
            "finish",
            "parent_id",
            "percent_complete",
        )
        .order_by("position")
    )
    parents = {t.parent_id for t in tasks if t.parent_id}
    leaves = [t for t in tasks if t.pk not in parents]
    result = analysis.result or {}
    criticality = {row["id"]: row["ci"] for row in result.get("criticality", [])}
    estimates = analysis.estimates or {}
    rows = []
    for t in leaves:
        if t.is_milestone:
            continue
        low, mode, high = estimate_of(t, estimates)
        stored = [_days(low), _days(mode), _days(high)]
        values = stored
        if posted is not None:
            values = [posted.get(f"est-{t.pk}-{k}", v) for k, v in zip("omp", stored, strict=True)]
        rows.append(
            {
                "task": t,
                "values": values,
                # A refused form shows what was posted; schedule.js then still posts the rows
                # that differ from what is stored, not only those changed since this answer.
                "changed": [str(v) for v in values] != [str(v) for v in stored],
                "entered": str(t.pk) in estimates,
                "done": t.percent_complete >= 100,
            }
        )
    chart = None
    if result:
        chart = {
            "histogram": result["histogram"],
            "scurve": result["scurve"],
            "p50": analysis.p50
            and timezone.localtime(analysis.p50, tz_of(project.organisation)).isoformat(
                timespec="minutes"
            ),
            "p80": analysis.p80
            and timezone.localtime(analysis.p80, tz_of(project.organisation)).isoformat(
                timespec="minutes"
            ),
            "target": result.get("target"),
        }
    critical_rows = sorted(
        result.get("criticality", []), key=lambda r: (-r["ci"], -abs(r["sensitivity"]))
    )
    target_finish = (
        dt.datetime.combine(project.target_finish, dt.time(17)) if project.target_finish else None
    )
    return {
        **_project_tabs(project, "schedule", request),
        "analysis": analysis,
        "form": form,
        "rows": rows,
        "chart": chart,
        "critical_rows": [r for r in critical_rows if r["id"] in {t.pk for t in leaves}],
        "tornado": [
            {**r, "pct": round(abs(r["sensitivity"]) * 100), "positive": r["sensitivity"] >= 0}
            for r in result.get("tornado", [])
        ],
        "gantt": _bars(project, leaves, criticality),
        "target_finish": target_finish,
        "percentiles": result.get("percentiles", []),
    }


def _simulation_job(request: HttpRequest, project: Project) -> dict[str, Any]:
    """``?job=`` on the schedule page: the progress panel of a large run, or how it ended."""
    job = requested_job(
        request, request.GET.get("job", ""), subject=project, kind=services.SIMULATION_JOB
    )
    if job is None:
        return {}
    if job.is_finished:
        return {"job": job}
    total = job.params.get("iterations", 0)
    return {
        "job": job,
        "job_panel": job_panel(
            request,
            job,
            title=f"Simulating {total:,} iterations",
            poll_url=request.get_full_path(),
            cancel_hint="Cancelling keeps the previous result.",
        ),
    }


@organisation_required
def schedule(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    analysis = selectors.analysis_of(project)
    initial = {
        "version": analysis.version,
        "distribution": analysis.distribution,
        "iterations": analysis.iterations,
        "seed": analysis.seed,
    }
    if request.method != "POST":
        job = _simulation_job(request, project)
        if getattr(request, "htmx", False):
            if "job_panel" in job:
                return render(request, "risks/partials/simulation_job.html", job)
            # The run ended: reload the page, whose charts then show the new result.
            response = HttpResponse(status=200)
            response["HX-Refresh"] = "true"
            return response
        form = SimulationForm(initial=initial)
        return render(
            request,
            "risks/pages/schedule.html",
            {**_schedule_context(request, project, analysis, form), **job},
        )
    form = SimulationForm(request.POST, initial=initial)
    status = 400
    if form.is_valid():
        tasks = {
            t.pk: t
            for t in Task.objects.filter(
                project=project, is_summary=False, is_milestone=False
            ).only("pk", "name", "duration_minutes", "is_milestone")
        }
        posted, errors = parse_estimates(request.POST, {pk: t.name for pk, t in tasks.items()})
        # Only what differs from the current estimate is stored: defaults stay defaults.
        current = analysis.estimates or {}
        estimates = {
            pk: triple for pk, triple in posted.items() if triple != estimate_of(tasks[pk], current)
        }
        for error in errors:
            form.add_error(None, error)
        if not errors:
            data = form.cleaned_data
            try:
                outcome = services.request_simulation(
                    actor=actor_of(request),
                    project=project,
                    expected_version=data["version"],
                    distribution=data["distribution"],
                    iterations=data["iterations"],
                    seed=data["seed"],
                    estimates=estimates,
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                url = reverse("risks:schedule", args=[project.pk])
                if isinstance(outcome, Job):
                    return redirect(f"{url}?job={outcome.pk}")
                messages.success(
                    request,
                    f"Simulated {outcome.iterations:,} iterations: P80 finish "
                    f"{dates.format_day(timezone.localtime(outcome.p80, tz_of(project.organisation)))}.",
                )
                return redirect(url)
    analysis = selectors.analysis_of(project)
    return render(
        request,
        "risks/pages/schedule.html",
        _schedule_context(request, project, analysis, form, posted=request.POST),
        status=status,
    )
