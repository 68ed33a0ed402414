"""Capacity pages: one pool of people, their availability, drawn on by projects and operations."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from twofold.accounts.models import Role, User
from twofold.capacity import availability, levelling, selectors, services
from twofold.capacity.forms import (
    AbsenceForm,
    ApplyForm,
    CellForm,
    LevelForm,
    PatternForm,
    UsageFilterForm,
)
from twofold.capacity.models import HOUR_FIELDS, WEEKDAY_NAMES, Absence, WorkingPattern
from twofold.core import dates
from twofold.core.errors import Conflict, Forbidden, NotFound, ServiceError
from twofold.core.policy import Action, can, role_in
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    job_panel,
    organisation_of,
    organisation_required,
    render_page,
    requested_job,
    whole_number,
)
from twofold.engine.availability import STANDARD_WEEK
from twofold.projects import selectors as project_selectors
from twofold.projects.models import Project

CHART_WIDTH = 640
ROW_HEIGHT = 34
CHART_ROWS = 40  # the levelling chart shows at most this many tasks (those that move most)


@organisation_required
def usage(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    teams = selectors.teams_of(organisation)
    form = UsageFilterForm(request.GET or None, teams=teams)
    first, weeks, team = form.values(timezone.localdate())
    status = 400 if form.is_bound and not form.is_valid() else 200
    if not form.is_bound or form.is_valid():
        # Show the window in use, so the fields are never blank.
        form = UsageFilterForm(
            {
                "start": selectors.monday_of(first).isoformat(),
                "weeks": weeks,
                "team": team.pk if team else "",
            },
            teams=teams,
        )
    grid = selectors.usage(organisation, first=first, weeks=weeks, team=team)
    # The "Level a project" links: one URL pattern for all (a reverse per project was a
    # tenth of the page's time on 270 projects).
    level_url = reverse("capacity:level", args=[987654321]).replace("987654321", "{}")
    projects = [
        {"url": level_url.format(pk), "label": f"{code} {name}"}
        for pk, code, name in Project.objects.filter(
            organisation=organisation, archived_at__isnull=True
        )
        .exclude(phase="closure")
        .order_by("code")
        .values_list("pk", "code", "name")
    ]
    keep = {"weeks": weeks, "team": team.pk if team else ""}
    return render_page(
        request,
        "capacity/pages/usage.html",
        {
            "section": "people",
            "form": form,
            "grid": grid,
            "keep": keep,
            "projects": projects,
            "this_week": selectors.monday_of(timezone.localdate()),
        },
        partial="capacity/partials/grid.html",
        status=status,
    )


@organisation_required
def cell(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    form = CellForm(request.GET)
    if not form.is_valid():
        raise Http404("Choose a person and a week.")
    person = selectors.person_in(organisation, form.cleaned_data["person"])
    if person is None:
        raise Http404("Person not found.")
    detail = selectors.cell_detail(organisation, person, form.cleaned_data["week"])
    return render_page(
        request,
        "capacity/pages/cell.html",
        {"section": "people", "detail": detail},
        partial="capacity/partials/cell.html",
    )


@dataclass(frozen=True)
class ChartRow:
    name: str
    y: int
    before_x: float
    before_w: float
    after_x: float
    after_w: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rows: list[ChartRow]
    ticks: list[tuple[float, str]]
    today_x: float | None
    total: int  # tasks that move; ``rows`` holds at most CHART_ROWS of them


def _chart(moves: list[levelling.Move]) -> Chart | None:
    """Current and levelled bars: every move, or the ``CHART_ROWS`` that move most.

    Rows stay in plan order. A 2,000-task project can move a thousand tasks: a bar each would
    make a chart tens of thousands of pixels tall, so the chart shows the largest delays and
    the table above it lists every move.
    """
    if not moves:
        return None
    shown = moves
    if len(moves) > CHART_ROWS:
        largest = sorted(range(len(moves)), key=lambda i: (-moves[i].delay_days, i))
        shown = [moves[i] for i in sorted(largest[:CHART_ROWS])]
    first = min(m.start_before for m in shown)
    last = max(m.finish_after for m in shown)
    days = (last - first).days + 1
    scale = CHART_WIDTH / max(days, 1)

    def x(day: dt.date) -> float:
        return round((day - first).days * scale, 1)

    def w(a: dt.date, b: dt.date) -> float:
        # A gap of 2 between bars, but never thinner than 2: a one-day task over two years.
        return round(max(max((b - a).days + 1, 1) * scale - 2, 2), 1)

    rows = [
        ChartRow(
            m.task.name,
            24 + i * ROW_HEIGHT,
            x(m.start_before),
            w(m.start_before, m.finish_before),
            x(m.start_after),
            w(m.start_after, m.finish_after),
            f"{m.task.name}: {dates.format_day(m.start_before)} → {dates.format_day(m.start_after)}",
        )
        for i, m in enumerate(shown)
    ]
    today = timezone.localdate()
    return Chart(
        CHART_WIDTH,
        24 + len(shown) * ROW_HEIGHT + 4,
        rows,
        _ticks(first, last, x),
        x(today) if first <= today <= last else None,
        len(moves),
    )


def _ticks(first: dt.date, last: dt.date, x: Callable[[dt.date], float]) -> list[tuple[float, str]]:
    """Gridlines a label apart: Mondays (4 months or less), every 4th Monday (about a year),
    else the first day of every 3, 6, 12 or 24 months (about a dozen lines at most), labelled
    with its month and year."""
    days = (last - first).days + 1
    ticks: list[tuple[float, str]] = []
    if days <= 400:
        step = 7 if days <= 120 else 28
        tick = first - dt.timedelta(days=first.weekday())
        while tick <= last:
            if tick >= first:
                ticks.append((x(tick), dates.format_day_short(tick)))
            tick += dt.timedelta(days=step)
        return ticks
    months = next((m for m in (3, 6, 12) if days <= m * 31 * 12), 24)
    month = (first.month - 1) // months * months + 1
    tick = dt.date(first.year, month, 1)
    while tick <= last:
        if tick >= first:
            ticks.append((x(tick), dates.format_month(tick)))
        month_index = tick.month - 1 + months
        tick = dt.date(tick.year + month_index // 12, month_index % 12 + 1, 1)
    return ticks


def _project(request: HttpRequest, project_id: int) -> Project:
    try:
        return project_selectors.get_project(request.user, organisation_of(request), project_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _preview(request: HttpRequest, project: Project) -> levelling.Preview:
    """The quick (heuristic) preview the page shows by default, computed in the request."""
    try:
        return services.preview_levelling(actor=actor_of(request), project=project)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _result_context(preview: levelling.Preview) -> dict[str, Any]:
    return {
        "preview": preview,
        "chart": _chart(preview.moves),
        "moves_value": ",".join(f"{m.task.pk}:{m.start_after.isoformat()}" for m in preview.moves),
    }


def _job_context(request: HttpRequest, project: Project, raw_id: str) -> dict[str, Any]:
    """The progress panel of a levelling job, or its outcome once it ended."""
    job = requested_job(request, raw_id, subject=project, kind=services.LEVELLING_JOB)
    if job is None:
        raise Http404("Job not found.")
    context: dict[str, Any] = {"job": job}
    if not job.is_finished:
        context["job_panel"] = job_panel(
            request,
            job,
            title="Optimising the levelling",
            poll_url=request.get_full_path(),
            cancel_hint="Cancelling keeps the best plan found so far.",
        )
        return context
    if job.result:
        context.update(_result_context(levelling.preview_from_json(project, job.result)))
    return context


@organisation_required
@require_POST
def level_start(request: HttpRequest, project_id: int) -> HttpResponse:
    """Start levelling: the quick method previews at once, "optimise" runs as a job."""
    project = _project(request, project_id)
    form = LevelForm(request.POST)
    if form.is_valid() and form.cleaned_data.get("method") != "optimise":
        return redirect("capacity:level", project_id=project.pk)
    status = 422
    if form.is_valid():
        try:
            job = services.start_levelling(
                actor=actor_of(request), project=project, seconds=form.cleaned_data["seconds"]
            )
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            return redirect(f"{reverse('capacity:level', args=[project.pk])}?job={job.pk}")
    if not can(request.user, Action.EDIT, project):
        status = 403
    return render_page(
        request,
        "capacity/pages/level.html",
        {
            "section": "people",
            "project": project,
            "form": form,
            "apply_form": ApplyForm(),
            "forbidden": status == 403,
            "idle": True,
        },
        status=status,
    )


@organisation_required
@require_http_methods(["GET", "POST"])
def level(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    status = 200
    apply_form = ApplyForm()
    if request.method == "POST":
        apply_form = ApplyForm(request.POST)
        if apply_form.is_valid():
            try:
                applied = services.apply_levelling(
                    actor=actor_of(request),
                    project=project,
                    version=apply_form.cleaned_data["version"],
                    moves=apply_form.cleaned_data["moves"],
                )
            except ServiceError as error:
                status = apply_service_error(apply_form, error)
                if isinstance(error, Conflict):
                    messages.warning(request, "The plan changed: here is a fresh preview.")
            else:
                messages.success(
                    request,
                    f"Levelling applied: {applied.moved} task"
                    f"{'s' if applied.moved != 1 else ''} moved by levelling delays "
                    "(links and the critical path kept; Clear levelling removes them).",
                )
                return redirect("capacity:level", project_id=project.pk)
        else:
            status = 422
    if not can(request.user, Action.EDIT, project):
        # A guest may see the project but not level it: a plain refusal, nothing computed.
        return render_page(
            request,
            "capacity/pages/level.html",
            {"section": "projects", "tab": "level", "project": project, "forbidden": True},
            status=403,
        )
    context: dict[str, Any] = {
        # A tab of the project: the project's tab set and "Projects" lit in the navigation.
        "section": "projects",
        "tab": "level",
        "project": project,
        "apply_form": apply_form,
        "delays": selectors.levelling_delays(project),
    }
    job_id = request.GET.get("job", "") if request.method == "GET" else ""
    form = LevelForm(request.GET or None)
    if job_id:
        context.update(_job_context(request, project, job_id))
        seconds = context["job"].params.get("seconds", 5)
        form = LevelForm(initial={"method": "optimise", "seconds": int(seconds)})
    elif form.is_valid() and form.cleaned_data.get("method") == "optimise":
        # Optimising takes seconds to minutes: it starts from the form (POST), not a link.
        context["idle"] = True
    else:
        context.update(_result_context(_preview(request, project)))
    context["form"] = form
    return render_page(
        request,
        "capacity/pages/level.html",
        context,
        partial="capacity/partials/level_result.html",
        status=status,
    )


@organisation_required
@require_POST
def level_clear(request: HttpRequest, project_id: int) -> HttpResponse:
    """Clear levelling: every levelling delay of the project back to 0."""
    project = _project(request, project_id)
    try:
        cleared = services.clear_levelling(
            actor=actor_of(request), project=project, seen=request.POST.get("seen") or None
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Forbidden as exc:
        return forbidden_page(
            request, exc.message, back=reverse("capacity:level", args=[project.pk])
        )
    except Conflict as error:
        # Someone levelled or cleared since the page was drawn: 409, with the page as it is now.
        messages.error(request, error.message)
        fresh = copy.copy(request)
        fresh.method, fresh.POST = "GET", QueryDict()
        response = level(fresh, project.pk)
        response.status_code = 409
        return response
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Levelling cleared: {cleared.moved} delay{'s' if cleared.moved != 1 else ''} removed.",
        )
    return redirect("capacity:level", project_id=project.pk)


# ---------------------------------------------------------------------------------------------
# Availability: one person's working pattern and absences


def _person(request: HttpRequest, user_id: int) -> User:
    person = selectors.person_in(organisation_of(request), user_id)
    if person is None:
        raise Http404("Person not found.")
    return person


def _pattern_initial(pattern: WorkingPattern | None) -> dict[str, Any]:
    hours = pattern.hours if pattern is not None else STANDARD_WEEK
    initial: dict[str, Any] = {name: f"{h:g}" for name, h in zip(HOUR_FIELDS, hours, strict=True)}
    initial["max_units"] = pattern.max_units if pattern is not None else 100
    # 0: the person had no pattern when the page was drawn (a first one saved since is a 409).
    initial["version"] = pattern.version if pattern is not None else 0
    if pattern is not None:
        initial["note"] = pattern.note
    return initial


def _units_editable(request: HttpRequest) -> bool:
    """Admins and owners change a person's maximum units; others see it."""
    return role_in(actor_of(request), organisation_of(request).pk) in (Role.ADMIN, Role.OWNER)


def _availability_page(
    request: HttpRequest,
    person: User,
    *,
    pattern_form: PatternForm | None = None,
    absence_form: AbsenceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation = organisation_of(request)
    today = timezone.localdate()
    first = selectors.monday_of(today)
    last = first + dt.timedelta(weeks=availability.STRIP_WEEKS, days=-1)
    view = availability.person_availability(actor_of(request), organisation, person, first, last)
    current = availability.in_effect(view.patterns, today)
    return render_page(
        request,
        "capacity/pages/availability.html",
        {
            "section": "people",
            "person": person,
            "view": view,
            "today": today,
            "current": current,
            "weekly_hours": sum(current.hours) if current else sum(STANDARD_WEEK),
            "later": [p for p in view.patterns if p.effective_from > today],
            "absences": availability.absences_since(
                organisation, person, today - dt.timedelta(days=availability.PAST_ABSENCE_DAYS)
            ),
            "pattern_form": pattern_form
            or PatternForm(
                initial=_pattern_initial(current)
                | {"dated": ",".join(f"{p.effective_from}:{p.version}" for p in view.patterns)},
                units_editable=_units_editable(request),
            ),
            "max_units": current.max_units if current else 100,
            "absence_form": absence_form or AbsenceForm(initial={"kind": "holiday"}),
            "weekdays": WEEKDAY_NAMES,
            "history": availability.availability_history(organisation, person),
            "day_hours": list(
                zip(WEEKDAY_NAMES, current.hours if current else STANDARD_WEEK, strict=True)
            ),
        },
        status=status,
    )


@organisation_required
def my_availability(request: HttpRequest) -> HttpResponse:
    return redirect("capacity:availability", user_id=actor_of(request).pk)


@organisation_required
def availability_page(request: HttpRequest, user_id: int) -> HttpResponse:
    return _availability_page(request, _person(request, user_id))


def _service_call(form: forms.Form, call: Callable[[], Any]) -> int:
    """Run a service with the form's data; 0 when it succeeded, else the error's status."""
    try:
        call()
    except ServiceError as error:
        return apply_service_error(form, error)
    return 0


@organisation_required
@require_POST
def pattern_save(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _person(request, user_id)
    current = availability.in_effect(
        availability.pattern_rows(organisation_of(request), person), timezone.localdate()
    )
    form = PatternForm(
        request.POST,
        initial=_pattern_initial(current),
        units_editable=_units_editable(request),
    )
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        status = _service_call(
            form,
            lambda: services.set_working_pattern(
                actor=actor_of(request),
                organisation=organisation_of(request),
                person=person,
                hours=[data[name] for name in HOUR_FIELDS],
                effective_from=data["effective_from"],
                note=data["note"],
                expected_version=data["version"]
                if not data["effective_from"]
                else form.dated_version(data["effective_from"]),
                max_units=data["max_units"],
            ),
        )
        if not status:
            messages.success(request, "Working pattern saved.")
            return redirect("capacity:availability", user_id=person.pk)
    return _availability_page(request, person, pattern_form=form, status=status)


@organisation_required
@require_POST
def pattern_delete(request: HttpRequest, user_id: int, pattern_id: int) -> HttpResponse:
    person = _person(request, user_id)
    pattern = WorkingPattern.objects.filter(
        organisation=organisation_of(request), person=person, pk=pattern_id
    ).first()
    if pattern is None:
        raise Http404("Pattern not found.")
    pattern.person = person
    try:
        services.delete_working_pattern(
            actor=actor_of(request),
            pattern=pattern,
            expected_version=whole_number(request.POST.get("version")),
        )
    except Forbidden as error:
        messages.error(request, error.message)
        return _availability_page(request, person, status=403)
    except Conflict as error:
        messages.error(request, error.message)
        return _availability_page(request, person, status=409)
    messages.success(request, "Change of pattern removed.")
    return redirect("capacity:availability", user_id=person.pk)


def _absence_values(form: AbsenceForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {name: data[name] for name in ("kind", "start", "end", "half_day", "note")}


@organisation_required
@require_POST
def absence_add(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _person(request, user_id)
    form = AbsenceForm(request.POST)
    status = 422
    if form.is_valid():
        status = _service_call(
            form,
            lambda: services.create_absence(
                actor=actor_of(request),
                organisation=organisation_of(request),
                person=person,
                **_absence_values(form),
            ),
        )
        if not status:
            messages.success(request, "Absence recorded.")
            return redirect("capacity:availability", user_id=person.pk)
    return _availability_page(request, person, absence_form=form, status=status)


def _absence_of(request: HttpRequest, person: User, absence_id: int) -> Absence:
    absence = (
        Absence.objects.filter(organisation=organisation_of(request), person=person, pk=absence_id)
        .select_related("organisation")
        .first()
    )
    if absence is None:
        raise Http404("Absence not found.")
    absence.person = person
    return absence


@organisation_required
@require_http_methods(["GET", "POST"])
def absence_edit(request: HttpRequest, user_id: int, absence_id: int) -> HttpResponse:
    person = _person(request, user_id)
    absence = _absence_of(request, person, absence_id)
    can_edit = availability.can_edit(actor_of(request), organisation_of(request), person)
    status = 200
    if request.method == "POST":
        form = AbsenceForm(request.POST)
        status = 422
        if form.is_valid():
            status = _service_call(
                form,
                lambda: services.update_absence(
                    actor=actor_of(request),
                    absence=absence,
                    expected_version=form.cleaned_data["version"],
                    **_absence_values(form),
                ),
            )
            if not status:
                messages.success(request, "Absence saved.")
                return redirect("capacity:availability", user_id=person.pk)
    else:
        form = AbsenceForm(
            initial={
                "kind": absence.kind,
                "start": absence.start,
                "end": absence.end,
                "half_day": absence.half_day,
                "note": absence.note,
                "version": absence.version,
            }
        )
    return render_page(
        request,
        "capacity/pages/absence_form.html",
        {
            "section": "people",
            "person": person,
            "absence": absence,
            "form": form,
            "can_edit": can_edit,
        },
        status=status,
    )


@organisation_required
@require_POST
def absence_delete(request: HttpRequest, user_id: int, absence_id: int) -> HttpResponse:
    person = _person(request, user_id)
    absence = _absence_of(request, person, absence_id)
    try:
        services.delete_absence(
            actor=actor_of(request),
            absence=absence,
            expected_version=whole_number(request.POST.get("version")),
        )
    except Forbidden as error:
        messages.error(request, error.message)
        return _availability_page(request, person, status=403)
    except Conflict as error:
        messages.error(request, error.message)
        return _availability_page(request, person, status=409)
    messages.success(request, f"Deleted {absence}.")
    return redirect("capacity:availability", user_id=person.pk)
