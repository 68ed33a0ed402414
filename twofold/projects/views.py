"""Project pages: portfolio, list, project overview, WBS, Gantt, baselines, board, gates, my work.

Views are thin: they parse forms and call the same services as the API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from twofold.accounts.models import User
from twofold.activity import live
from twofold.attachments import selectors as attachment_selectors
from twofold.comments import selectors as comment_selectors
from twofold.comments.forms import CommentForm
from twofold.core import dates as tf_dates
from twofold.core import panels, readahead
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from twofold.core.fastread import Read, one_round_trip
from twofold.core.history import entries_read, history_for
from twofold.core.policy import Action, can, require
from twofold.core.web import (
    actor_of,
    apply_service_error,
    organisation_of,
    organisation_required,
    render_page,
    whole_number,
)
from twofold.customfields import selectors as field_selectors
from twofold.projects import gantt, lifecycle, resourcing, scheduling, selectors, services
from twofold.projects.forms import (
    BaselineForm,
    ChecklistForm,
    LinkForm,
    ProjectForm,
    QuickAddForm,
    TaskAddForm,
    TaskDetailForm,
    TaskInlineForm,
    TaskPersonForm,
    TaskPersonUnitsForm,
    TaskResourcingForm,
    duration_minutes,
)
from twofold.projects.markup import render_markdown
from twofold.projects.models import (
    MINUTES_PER_DAY,
    PHASE_ORDER,
    BaselineTask,
    ChecklistItem,
    Constraint,
    GateItem,
    Link,
    Phase,
    Project,
    Task,
    TaskStatus,
    current_baseline,
)
from twofold.projects.scheduling import Schedule

GANTT_PAGE = 250
PORTFOLIO_PAGE = 60
CARD_CACHE_SECONDS = 3600
SORTS = [
    ("programme", "Programme"),
    ("health", "Health"),
    ("finish", "Finish date"),
    ("progress", "Progress"),
    ("phase", "Phase"),
    ("name", "Name"),
]


def _project(request: HttpRequest, project_id: int) -> Project:
    try:
        return selectors.get_project(request.user, organisation_of(request), project_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _task(request: HttpRequest, project: Project, task_id: int) -> Task:
    try:
        return selectors.get_task(request.user, project, task_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _ctx(request: HttpRequest, project: Project, tab: str, **extra: Any) -> dict[str, Any]:
    return {
        "project": project,
        "tab": tab,
        "section": "projects",
        "can_edit": can(request.user, Action.EDIT, project),
        "can_manage": can(request.user, Action.MANAGE, project),
        **extra,
    }


def _moved(request: HttpRequest, schedule: Schedule | None) -> None:
    if schedule is not None:
        messages.info(request, f"Rescheduled: {schedule.summary}.")


def _error_status(exc: ServiceError) -> int:
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    return exc.status


MISSING_VERSION = "This form is missing its version: reload the page and make your change again."


def _posted_version(request: HttpRequest, obj: Any, action: Action = Action.EDIT) -> int:
    """The ``version`` the page was rendered with. Without it a write could overwrite a change it
    never saw, so it is refused (400) -- after the permission check, so a guest hears 403."""
    version = whole_number(request.POST.get("version"))
    if version is None:
        require(actor_of(request), action, obj)
        raise ServiceError(MISSING_VERSION, field="version")
    return version


def _posted_done(request: HttpRequest, obj: Any) -> bool:
    """The state a checklist button asks for (``done=1`` or ``0``): two people ticking the same
    item both leave it ticked, where a flip would untick it."""
    done = {"1": True, "0": False}.get(request.POST.get("done", ""))
    if done is None:
        require(actor_of(request), Action.EDIT, obj)
        raise ServiceError("Send done=1 to tick the item or done=0 to untick it.", field="done")
    return done


# ---------------------------------------------------------------------------------------------
# Portfolio and list


def _portfolio_context(request: HttpRequest) -> dict[str, Any]:
    org = organisation_of(request)
    params = request.GET
    sort = params.get("sort", "programme")
    cards = selectors.portfolio(
        org,
        phase=params.get("phase", ""),
        health_level=params.get("health", ""),
        manager=params.get("manager", ""),
        sort=sort,
        sparklines=False,
        include_archived=params.get("archived") == "1",  # the "show archived" toggle
    )
    field_filters = field_selectors.project_choice_filters(org, params)
    matching = field_selectors.projects_matching(field_filters)
    if matching is not None:
        cards = [card for card in cards if card.project.pk in matching]
    # Large portfolios: pages of PORTFOLIO_PAGE cards (health and sorting still see them all).
    shown, pager = _rows_page(cards, params.get("page"), PORTFOLIO_PAGE)
    selectors.add_sparklines(shown)
    lifecycle.add_card_notes(shown)
    _render_cards(shown)
    keep = urlencode({k: v for k, v in params.items() if k != "page" and v})
    # The links' query strings are built here: in a template, ``request.GET.items`` is the value
    # of a parameter named "items" when there is one (``?items=1`` answered 500).
    others = [(k, v) for k, v in params.items() if k not in ("page", "archived")]
    managers = {
        (pk, name or email)
        for pk, name, email in selectors.projects_of(org)
        .filter(manager__isnull=False)
        .values_list("manager_id", "manager__full_name", "manager__email")
        .distinct()
    }
    return {
        "cards": shown,
        "total": len(cards),
        "page": pager["page"],
        "pages": pager["pages"],
        "first_card": pager["first_row"],
        "last_card": pager["last_row"],
        "keep": keep,
        "groups": selectors.group_by_programme(shown) if sort == "programme" else [("", shown)],
        "phases": Phase.choices,
        "healths": [
            ("green", "On track"),
            ("amber", "At risk"),
            ("red", "Off track"),
            ("not_planned", "Not planned"),
        ],
        "managers": sorted(managers, key=lambda m: m[1]),
        "sorts": SORTS,
        "filters": {k: params.get(k, "") for k in ("phase", "health", "manager")},
        "show_archived": params.get("archived") == "1",
        "hide_archived_query": urlencode(others),
        "show_archived_query": urlencode([*others, ("archived", "1")]),
        "query": params.urlencode(),
        "field_filters": field_filters,
        "sort": sort,
        "can_manage": can(request.user, Action.MANAGE, org),
    }


def _card_key(card: selectors.Card) -> str:
    """Everything a portfolio card shows, as it shows it (the percentages as the template's
    ``floatformat:0`` rounds them: ``round`` rounds half to even, so 2.5 % and 1.6 % shared a
    key and the card kept "2 %" for an hour), and the time zone and format its dates are shown in,
    which the organisation may change: the cards kept the old format for an hour): equal keys
    render equal HTML, so the key needs no invalidation when a project changes."""
    p = card.project
    shown = (
        p.pk, p.name, p.code, p.phase, p.manager.display_name if p.manager else None,
        p.scheduled_finish, card.health.level.value, card.health.reasons,
        floatformat(card.percent_complete, 0), floatformat(card.percent_planned, 0),
        card.next_milestone,
        card.next_milestone_date, card.slip_days, card.sparkline, card.planned_sparkline,
        timezone.get_current_timezone_name(), p.archived_at is not None, card.notes,
        tf_dates.active_format(), p.scheduled_start,
    )  # fmt: skip
    return "projects:card:" + hashlib.sha1(repr(shown).encode(), usedforsecurity=False).hexdigest()


def _render_cards(cards: list[selectors.Card]) -> None:
    """Set ``card.html`` from ``partials/card.html``, reusing a rendering of identical content
    from the (per-process) cache: rendering 60 cards' templates was ~15 ms of the page."""
    keys = {id(c): _card_key(c) for c in cards}
    cached = cache.get_many(list(keys.values()))
    fresh = {}
    for c in cards:
        key = keys[id(c)]
        if key not in cached:
            cached[key] = fresh[key] = render_to_string("projects/partials/card.html", {"card": c})
        c.html = mark_safe(cached[key])  # noqa: S308 - rendered by the autoescaping template
    if fresh:
        cache.set_many(fresh, CARD_CACHE_SECONDS)


@organisation_required
def portfolio(request: HttpRequest) -> HttpResponse:
    return render_page(
        request,
        "projects/pages/portfolio.html",
        {**_portfolio_context(request), "section": "portfolio"},
        partial="projects/partials/portfolio_cards.html",
    )


@organisation_required
def project_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "projects/pages/project_list.html",
        {**_portfolio_context(request), "section": "projects"},
    )


@organisation_required
def project_create(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    from twofold.accounts.fiscal import today_of

    # The organisation's today (not the server's: in Auckland on Monday morning the server's
    # day is still Sunday), and the person creating it as its manager until they choose another.
    form = ProjectForm(
        request.POST or None,
        organisation=org,
        initial={"target_start": today_of(org), "manager": actor_of(request).pk},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                project = services.create_project(
                    actor=actor_of(request), organisation=org, **values
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Project {project.name} created.")
                return redirect("projects:detail", project.pk)
        else:
            status = 400
    return render(
        request,
        "projects/pages/project_form.html",
        {"form": form, "section": "projects", "project": None},
        status=status,
    )


@organisation_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    """The overview: on PostgreSQL the project, its card and its panels read in one round trip
    (a project of another organisation is a 404 before any of them is used)."""
    target = Project(pk=project_id, organisation_id=organisation_of(request).pk)
    reads = [
        selectors.project_read(project_id),
        *selectors.card_reads(project_id),
        entries_read(target, 15),
        comment_selectors.comment_list_read(target),
        attachment_selectors.attachment_list_read(target),
        field_selectors.fields_read(target),
        # The panels of apps projects does not import (core.readahead).
        *readahead.reads(target, "cost_health", "process_changes", "money"),
    ]
    with one_round_trip(reads):
        return _project_detail(request, project_id)


def _project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    card = selectors.project_card(organisation_of(request), project)
    return render(
        request,
        "projects/pages/project_overview.html",
        _ctx(
            request,
            project,
            "overview",
            card=card,
            criteria=[c for c in project.success_criteria.splitlines() if c.strip()],
            history=history_for(project, 15, viewer=request.user),
            # The operations side (processes this project changes), from the joining apps.
            join_panels=panels.render("projects.overview", request, project),
        ),
    )


@organisation_required
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    org = organisation_of(request)
    form = ProjectForm(
        request.POST or None,
        organisation=org,
        editing=True,
        initial=ProjectForm.initial_for(project),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                _p, moved = services.update_project(
                    actor=actor_of(request),
                    project=project,
                    expected_version=form.cleaned_data["version"],
                    **values,
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, "Charter saved.")
                _moved(request, moved)
                return redirect("projects:detail", project.pk)
        else:
            status = 400
    return render(
        request,
        "projects/pages/project_form.html",
        _ctx(request, project, "overview", form=form),
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# WBS table


TASKS_PAGE = 250
"""Rows of the tasks table per page (as the Gantt's): a 2,000-task plan was 5.6 MB in one page."""


def _folded(
    tree: list[selectors.OutlineRow], raw_level: str | None
) -> tuple[list[selectors.OutlineRow], dict[str, Any]]:
    """The outline down to the asked level (0 = top; out of range: every level), and what the
    "Show" list offers: ``level`` and ``levels``."""
    max_depth = max((r.depth for r in tree), default=0)
    level = whole_number(raw_level)
    level = level if level is not None and 0 <= level < max_depth else None
    shown = tree if level is None else [r for r in tree if r.depth <= level]
    return shown, {
        "level": level,
        "levels": [(str(d), f"Level {d + 1}") for d in range(max_depth)],
    }


def _rows_page(
    items: list[Any], raw_page: str | None, size: int
) -> tuple[list[Any], dict[str, int]]:
    """One page of ``items`` (``size`` rows; out of range: the nearest page) and what
    ``projects/partials/row_pager.html`` shows: page, pages, first_row, last_row, row_count."""
    pages = max(1, -(-len(items) // size))
    page = min(max(whole_number(raw_page) or 1, 1), pages)
    return items[(page - 1) * size : page * size], {
        "page": page,
        "pages": pages,
        "first_row": (page - 1) * size + 1 if items else 0,
        "last_row": min(page * size, len(items)),
        "row_count": len(items),
    }


def _tasks_view(
    request: HttpRequest, project: Project, rows: list[selectors.OutlineRow]
) -> dict[str, Any]:
    """The outline level and page of the tasks table, from the query string or, for a write
    from the table (htmx), from the fields the table posts with it, so the answer shows the
    same rows. Out of range: all levels, the nearest page."""

    def source(key: str) -> str | None:
        # A write from the table posts them; any other post (the add form) is sent to the
        # page's own address, query string included.
        value = request.POST.get(key) if request.method == "POST" else None
        return value if value is not None else request.GET.get(key)

    shown, fold = _folded(rows, source("level"))
    page_rows, pager = _rows_page(shown, source("page"), TASKS_PAGE)
    level = fold["level"]
    return {
        "rows": selectors.wbs_page(project, page_rows),
        **fold,
        **pager,
        "all_rows": len(rows),
        "query": "" if level is None else urlencode({"level": level}),
        "fold_note": ""
        if level is None
        else f"; {pager['row_count']} of {len(rows)} rows down to level {level + 1}",
    }


def _tasks_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    tree = selectors.outline(project)
    view = _tasks_view(request, project, tree)
    people = (
        list(User.objects.filter(memberships__organisation_id=project.organisation_id))
        if tree
        else []
    )
    add_form, link_form = extra.pop("add_form", None), extra.pop("link_form", None)
    if not (request.htmx and request.method == "POST"):  # type: ignore[attr-defined]
        # A whole page: the forms and the links panel below the table. An answer to a write
        # from the table (edit, indent) draws only the table.
        extra["add_form"] = add_form or TaskAddForm(project=project)
        extra["link_form"] = link_form or LinkForm(project=project)
        extra["links"] = selectors.links_of(project, request.GET.get("links", "").strip()[:100])
    return _ctx(
        request, project, "tasks", **view, people=people, statuses=TaskStatus.choices, **extra
    )


@organisation_required
def tasks(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    status = 200
    add_form = TaskAddForm(request.POST, project=project) if request.method == "POST" else None
    if add_form is not None:
        if add_form.is_valid():
            data = add_form.cleaned_data
            milestone = data["is_milestone"]
            try:
                task, moved = services.create_task(
                    actor=actor_of(request),
                    project=project,
                    name=data["name"],
                    parent=data["parent"],
                    assignee=data["assignee"],
                    is_milestone=milestone,
                    duration_minutes=0
                    if milestone
                    else duration_minutes(data["duration_days"] or Decimal(1), None),
                )
            except ServiceError as exc:
                status = apply_service_error(add_form, exc)
            else:
                messages.success(request, f"Added {task.name}. {moved.summary}.")
                return redirect("projects:tasks", project.pk)
        else:
            status = 400
    return render_page(
        request,
        "projects/pages/tasks.html",
        _tasks_context(request, project, add_form=add_form if request.method == "POST" else None),
        status=status,
    )


@require_POST
@organisation_required
def task_inline(request: HttpRequest, project_id: int, task_id: int) -> HttpResponse:
    """An inline edit from the WBS table (htmx): answers the re-rendered table with what moved."""
    project = _project(request, project_id)
    task = _task(request, project, task_id)
    form = TaskInlineForm(request.POST, project=project)
    message, status, error = "", 200, ""
    cell: tuple[str, str, str] | None = None
    values = form.changes(task) if form.is_valid() else {}
    if form.errors:
        # A refused cell keeps what was typed, marked invalid with the reason beside it; nothing
        # is saved (422, swapped in by tasks.js: htmx leaves 4xx answers out by default).
        cell = form.cell_error()
        assert cell is not None
        try:
            require(actor_of(request), Action.EDIT, task)
        except ServiceError as exc:
            status, error, cell = _error_status(exc), exc.message, None
        else:
            status = 422
            label = TaskInlineForm.LABELS.get(cell[0], cell[0])
            error = f"{label} of “{task.name}” not saved: {cell[1]}"
    else:
        try:
            _t, moved = services.update_task(
                actor=actor_of(request),
                task=task,
                expected_version=form.cleaned_data["version"],
                **values,
            )
        except ServiceError as exc:
            status, error = _error_status(exc), exc.message
            if exc.field in TaskInlineForm.LABELS or exc.field == "duration":
                field = "duration_days" if exc.field == "duration" else str(exc.field)
                cell = (field, exc.message, str(request.POST.get(field, "")))
        else:
            message = f"Saved {task.name}." + (f" {moved.summary}." if moved else "")
    cell_error = (
        {"task": task.pk, "field": cell[0], "message": cell[1], "value": cell[2]} if cell else None
    )
    context = _tasks_context(
        request, project, flash=message, flash_error=error, cell_error=cell_error
    )
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "projects/partials/wbs.html", context, status=status)
    if status in (403, 409):
        return _tasks_refused(request, project, error, status)
    if error:
        messages.error(request, error)
    elif message:
        messages.success(request, message)
    return redirect("projects:tasks", project.pk)


@require_POST
@organisation_required
def task_action(request: HttpRequest, project_id: int, task_id: int, action: str) -> HttpResponse:
    project = _project(request, project_id)
    task = _task(request, project, task_id)
    actor = actor_of(request)
    operations = {"indent": services.indent_task, "outdent": services.outdent_task}
    if action not in operations:
        raise Http404("Unknown action.")
    try:
        version = _posted_version(request, task)
        moved = operations[action](actor=actor, task=task, expected_version=version)
    except ServiceError as exc:
        if request.htmx:  # type: ignore[attr-defined]
            # The row's button (htmx): the table again, the refusal in its status line.
            context = _tasks_context(request, project, flash_error=exc.message)
            return render(request, "projects/partials/wbs.html", context, status=_error_status(exc))
        return _tasks_refused(request, project, exc.message, _error_status(exc))
    message = f"{action.capitalize()}: {task.name}. {moved.summary}."
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request, "projects/partials/wbs.html", _tasks_context(request, project, flash=message)
        )
    messages.success(request, message)
    return redirect("projects:tasks", project.pk)


@organisation_required
def task_delete(request: HttpRequest, project_id: int, task_id: int) -> HttpResponse:
    """GET: what deleting the task takes with it, and a button to confirm; POST: delete."""
    project = _project(request, project_id)
    task = _task(request, project, task_id)
    actor = actor_of(request)
    if request.method == "POST":
        try:
            moved = services.delete_task(
                actor=actor,
                task=task,
                expected_version=whole_number(request.POST.get("version")),
                expected_impact=str(request.POST.get("impact", ""))[:80] or None,
            )
        except Conflict as exc:
            # The confirmation again, with what the delete would take now.
            messages.error(request, exc.message)
            task = _task(request, project, task_id)
            return render(
                request,
                "projects/pages/task_delete.html",
                _ctx(request, project, "tasks", task=task, impact=selectors.deletion_impact(task)),
                status=409,
            )
        except ServiceError as exc:
            return _tasks_refused(request, project, exc.message, _error_status(exc))
        rescheduled = f" {moved.summary}." if moved.moved else ""
        messages.success(
            request,
            f"Moved {task.name} to the trash: an admin can restore it from Settings → Trash."
            + rescheduled,
        )
        return redirect("projects:tasks", project.pk)
    if not can(request.user, Action.EDIT, task):
        return _tasks_refused(
            request, project, "Your role does not allow you to delete tasks.", 403
        )
    return render(
        request,
        "projects/pages/task_delete.html",
        _ctx(request, project, "tasks", task=task, impact=selectors.deletion_impact(task)),
    )


def _tasks_refused(
    request: HttpRequest, project: Project, message: str, status: int
) -> HttpResponse:
    """The WBS page again with the reason, answering the error's status (403, 409, 422...)."""
    messages.error(request, message)
    return render(
        request, "projects/pages/tasks.html", _tasks_context(request, project), status=status
    )


@require_POST
@organisation_required
def link_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    form = LinkForm(request.POST, project=project)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            _link, moved = services.add_link(
                actor=actor_of(request),
                project=project,
                pred=data["pred"],
                succ=data["succ"],
                type=data["type"],
                lag=data["lag"] or 0,
                lag_unit=data["lag_unit"],
            )
        except ServiceError as exc:
            status = apply_service_error(form, exc)
        else:
            messages.success(
                request, f"Linked {data['pred'].name} → {data['succ'].name}. {moved.summary}."
            )
            return redirect("projects:tasks", project.pk)
    return render(
        request,
        "projects/pages/tasks.html",
        _tasks_context(request, project, link_form=form),
        status=status,
    )


@require_POST
@organisation_required
def link_delete(request: HttpRequest, project_id: int, link_id: int) -> HttpResponse:
    project = _project(request, project_id)
    try:
        link = selectors.get_link(project, link_id)
        moved = services.delete_link(actor=actor_of(request), link=link)
    except ServiceError as exc:
        return _tasks_refused(request, project, exc.message, _error_status(exc))
    messages.success(request, f"Link removed. {moved.summary}.")
    return redirect("projects:tasks", project.pk)


# ---------------------------------------------------------------------------------------------
# Gantt and baselines


def _baseline_dates(
    project: Project,
    number: int | None,
    task_ids: set[int] | None = None,
    baselines: list[Any] | None = None,
) -> tuple[Any, dict[int, tuple[Any, Any]]]:
    """The chosen baseline (``number``, else the current one) and its dates by task (only
    ``task_ids`` when given; read as raw tuples)."""
    if baselines is None:
        baselines = list(project.baselines.all())
    chosen = next((b for b in baselines if b.number == number), None)
    if chosen is None and number is None:
        chosen = current_baseline(baselines)
    if chosen is None:
        return None, {}
    rows = BaselineTask.objects.filter(baseline=chosen)
    if task_ids is not None:
        rows = rows.filter(task_id__in=task_ids)
    instant = selectors.raw_instant
    return chosen, {
        tid: (instant(s), instant(f))
        for tid, s, f in selectors.raw_rows(rows.values_list("task_id", "start", "finish"))
    }


@organisation_required
def gantt_view(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    zoom = request.GET.get("zoom", "weeks")
    if zoom not in gantt.ZOOMS:
        zoom = "weeks"
    # Long plans: the whole tree is read as plain tuples (numbering, folding, paging); dates and
    # names only for the page of GANTT_PAGE rows drawn, on one time axis for every page.
    tree = selectors.outline(project)
    critical = {r.pk: r.is_critical for r in tree}
    shown, fold = _folded(tree, request.GET.get("level"))
    page_rows, pager = _rows_page(shown, request.GET.get("page"), GANTT_PAGE)
    rows = selectors.gantt_rows(project, page_rows)
    on_page = {r.task.pk for r in rows}
    links = [
        gantt.ChartLink(pred, succ, kind, critical[pred] and critical[succ])
        for pred, succ, kind in selectors.raw_rows(
            Link.objects.filter(project=project, pred_id__in=on_page).values_list(
                "pred_id", "succ_id", "type"
            )
        )
        if succ in on_page
    ]
    baselines = list(project.baselines.all())
    chosen, base = _baseline_dates(
        project, whole_number(request.GET.get("baseline")), on_page, baselines
    )
    can_edit = can(request.user, Action.EDIT, project)
    chart = gantt.render(
        rows,
        links,
        services.tz_of(project.organisation),
        zoom=zoom,
        baseline=base,
        editable=can_edit,
        extent=selectors.plan_extent(project, chosen),
        calendar=scheduling.project_calendar(project),
    )
    keep = {k: v for k, v in request.GET.items() if k in ("zoom", "baseline", "level") and v}
    if request.htmx:  # type: ignore[attr-defined]
        # After a drag the page swaps just the chart (same query string, same row page).
        return render(
            request,
            "projects/partials/gantt_chart.html",
            {"chart": chart, "project": project, "refresh_head": True},
        )
    return render(
        request,
        "projects/pages/gantt.html",
        _ctx(
            request,
            project,
            "gantt",
            chart=chart,
            zoom=zoom,
            zooms=list(gantt.ZOOMS),
            baselines=baselines,
            baseline=chosen,
            current_baseline=current_baseline(baselines),
            critical_count=sum(1 for r in tree if r.is_critical and not r.is_summary),
            has_tasks=bool(tree),
            **fold,
            **pager,
            query=urlencode(keep),
            zoom_query=urlencode({k: v for k, v in keep.items() if k != "zoom"}),
        ),
    )


def _gantt_refused(exc: ServiceError, field: str | None = None) -> JsonResponse:
    return JsonResponse(
        {"detail": exc.message, "field": field or exc.field}, status=_error_status(exc)
    )


def _gantt_input_refused(
    request: HttpRequest, project: Project, detail: str, field: str
) -> JsonResponse:
    """Malformed drag input answers 422 -- after the permission check, so a guest hears 403."""
    try:
        require(actor_of(request), Action.EDIT, project)
    except ServiceError as exc:
        return _gantt_refused(exc)
    return JsonResponse({"detail": detail, "field": field}, status=422)


def _gantt_moved(task: Task, done: str, moved: Schedule | None) -> JsonResponse:
    summary = moved.summary if moved else "nothing else moved"
    return JsonResponse(
        {"detail": f"{task.name} {done}: {summary}.", "version": task.version, "task": task.pk}
    )


@require_POST
@organisation_required
def gantt_drag(request: HttpRequest, project_id: int, task_id: int) -> HttpResponse:
    """A bar dragged to a new start: set a start-no-earlier-than constraint (as MS Project does)."""
    project = _project(request, project_id)
    task = _task(request, project, task_id)
    try:
        start = dt.date.fromisoformat(request.POST.get("start", ""))
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _gantt_input_refused(
            request, project, "Send start (YYYY-MM-DD) and version.", "start"
        )
    try:
        task, moved = services.update_task(
            actor=actor_of(request),
            task=task,
            expected_version=version,
            constraint_type=Constraint.SNET,
            constraint_date=start,
        )
    except ServiceError as exc:
        return _gantt_refused(exc, "start" if exc.field == "constraint_date" else None)
    return _gantt_moved(task, f"starts no earlier than {tf_dates.format_day_short(start)}", moved)


@require_POST
@organisation_required
def gantt_resize(request: HttpRequest, project_id: int, task_id: int) -> HttpResponse:
    """A bar's right edge dragged (``finish``, the day it now ends on) or Alt+Shift+Arrow
    (``days``, the new duration): the duration in whole working days."""
    project = _project(request, project_id)
    task = _task(request, project, task_id)
    finish_text = request.POST.get("finish", "")
    days = whole_number(request.POST.get("days"))
    version = whole_number(request.POST.get("version"))
    try:
        finish = dt.date.fromisoformat(finish_text) if finish_text else None
    except ValueError:
        finish = None
    if version is None or (finish is None and days is None):
        return _gantt_input_refused(
            request, project, "Send finish (YYYY-MM-DD) or days, and version.", "finish"
        )
    try:
        task, moved = services.resize_task(
            actor=actor_of(request), task=task, expected_version=version, days=days, finish=finish
        )
    except ServiceError as exc:
        return _gantt_refused(exc)
    length = task.duration_minutes / MINUTES_PER_DAY
    return _gantt_moved(task, f"now takes {length:g} working day{'s' * (length != 1)}", moved)


@require_POST
@organisation_required
def gantt_link(request: HttpRequest, project_id: int) -> HttpResponse:
    """A link drawn by dragging from one bar's handle onto another, with both tasks' versions."""
    project = _project(request, project_id)
    pred_id, succ_id = (
        whole_number(request.POST.get("pred")),
        whole_number(request.POST.get("succ")),
    )
    pred_version = whole_number(request.POST.get("pred_version"))
    succ_version = whole_number(request.POST.get("succ_version"))
    if None in (pred_id, succ_id, pred_version, succ_version):
        return _gantt_input_refused(
            request, project, "Send pred, succ and both tasks' versions.", "pred"
        )
    assert pred_id is not None and succ_id is not None
    pred, succ = _task(request, project, pred_id), _task(request, project, succ_id)
    kind = request.POST.get("type") or "FS"
    try:
        _link, moved = services.add_link(
            actor=actor_of(request),
            project=project,
            pred=pred,
            succ=succ,
            type=kind,
            pred_version=pred_version,
            succ_version=succ_version,
        )
    except ServiceError as exc:
        return _gantt_refused(exc)
    return JsonResponse(
        {"detail": f"Linked {pred.name} → {succ.name} ({kind}): {moved.summary}."}, status=201
    )


@organisation_required
def baselines(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    held = list(project.baselines.all())
    form = BaselineForm(request.POST or None, baselines=held)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                b = services.save_baseline(
                    actor=actor_of(request),
                    project=project,
                    name=form.cleaned_data["name"],
                    number=form.cleaned_data["number"],
                    replaces=form.replaces(),
                )
            except ServiceError as exc:
                if isinstance(exc, Conflict):
                    # Drawn again with what the number holds now: saving again replaces it.
                    data = request.POST.copy()
                    data["seen"] = BaselineForm(baselines=held).initial["seen"]
                    form = BaselineForm(data, baselines=held)
                    form.is_valid()
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Saved {b.name} as baseline {b.number}.")
                return redirect(
                    f"{reverse('projects:baselines', args=[project.pk])}?baseline={b.number}"
                )
        else:
            status = 400
    chosen, base = _baseline_dates(project, whole_number(request.GET.get("baseline")))
    tzinfo = services.tz_of(project.organisation)
    variance = []
    if chosen is not None:
        # Duration and work as saved in the baseline (one query, whatever the task count).
        sizes = {
            tid: (duration, work)
            for tid, duration, work in BaselineTask.objects.filter(baseline=chosen).values_list(
                "task_id", "duration_minutes", "work_minutes"
            )
        }
        spec = scheduling.calendar_spec(project)  # variance in the project's working days
        for r in selectors.wbs_rows(project):
            t = r.task
            dates = base.get(t.pk)
            if not dates or not (dates[0] and dates[1] and t.start and t.finish):
                continue
            ds = selectors.working_days_between(dates[0], t.start, tzinfo, spec)
            df = selectors.working_days_between(dates[1], t.finish, tzinfo, spec)
            b_duration, b_work = sizes.get(t.pk, (t.duration_minutes, t.effort_minutes))
            variance.append(
                {
                    "row": r,
                    "b_start": dates[0],
                    "b_finish": dates[1],
                    "start_var": ds,
                    "finish_var": df,
                    # Durations in working days (8 h), work in hours, as on the other pages.
                    "b_duration": b_duration / 480,
                    "duration": t.duration_minutes / 480,
                    "duration_var": (t.duration_minutes - b_duration) / 480,
                    "b_work": b_work / 60,
                    "work": t.effort_minutes / 60,
                    "work_var": (t.effort_minutes - b_work) / 60,
                }
            )
    differ = [
        v
        for v in variance
        if v["finish_var"] or v["start_var"] or v["duration_var"] or v["work_var"]
    ]
    # "Only tasks that differ" (as Microsoft Project's Slipping Tasks filter, wider): a plan of
    # 2,000 tasks lists every one of them otherwise.
    only_differ = request.GET.get("differ") == "1"
    listed = differ if only_differ else variance
    # Pages of TASKS_PAGE rows, as the tasks table: 1,818 rows of a 2,000-task plan were
    # 100,000 px of one page.
    page_rows, pager = _rows_page(listed, request.GET.get("page"), TASKS_PAGE)
    keep = {
        "baseline": chosen.number if chosen is not None else "",
        "differ": "1" if only_differ else "",
    }
    return render(
        request,
        "projects/pages/baselines.html",
        _ctx(
            request,
            project,
            "baselines",
            form=form,
            baselines=held,
            baseline=chosen,
            current_baseline=current_baseline(held),
            variance=page_rows,
            only_differ=only_differ,
            compared_count=len(variance),
            moved_count=len(differ),
            **pager,
            query=urlencode({k: v for k, v in keep.items() if v != ""}),
        ),
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Board


def _board_page(request: HttpRequest, project: Project, status: int = 200) -> HttpResponse:
    lanes_on = request.GET.get("lanes") == "assignee"
    columns, lanes = selectors.board(project, swimlanes=lanes_on)
    return render_page(
        request,
        "projects/pages/board.html",
        _ctx(request, project, "board", columns=columns, lanes=lanes, lanes_on=lanes_on),
        partial="projects/partials/board_columns.html",
        status=status,
    )


@organisation_required
def board(request: HttpRequest, project_id: int) -> HttpResponse:
    """The board (GET: the live counter, the project and its cards in one round trip on
    PostgreSQL)."""
    if request.method != "GET":
        return _board(request, project_id)
    reads = [
        live.version_read(live.key_for("project", project_id)),
        selectors.project_read(project_id),
        selectors.board_read(project_id),
    ]
    with one_round_trip(reads):
        return _board(request, project_id)


def _board(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    status = 200
    quick = QuickAddForm(request.POST or None)
    if request.method == "POST":
        if quick.is_valid():
            try:
                task, _m = services.create_task(
                    actor=actor_of(request),
                    project=project,
                    name=quick.cleaned_data["name"],
                    status=quick.cleaned_data["status"],
                )
            except ServiceError as exc:
                status = apply_service_error(quick, exc)
            else:
                messages.success(request, f"Added {task.name}.")
                return redirect("projects:board", project.pk)
        else:
            status = 400
    return _board_page(request, project, status)


@require_POST
@organisation_required
def board_move(request: HttpRequest, project_id: int) -> HttpResponse:
    """Drop of a card: ``task``, ``status`` and the neighbours ``after`` (above) / ``before``.
    The project and the cards are read in one round trip on PostgreSQL, before any write."""
    task_id = whole_number(request.POST.get("task"))
    before_id, after_id = (
        whole_number(request.POST.get("before")),
        whole_number(request.POST.get("after")),
    )
    ids = [i for i in (task_id, before_id, after_id) if i]
    with one_round_trip(
        [selectors.project_read(project_id)] + [selectors.task_read(i, project_id) for i in ids]
    ):
        project = _project(request, project_id)
        if task_id is None:
            return JsonResponse({"detail": "Send the task id.", "field": "task"}, status=422)
        task = _task(request, project, task_id)
        before = _task(request, project, before_id) if before_id else None
        after = _task(request, project, after_id) if after_id else None
    version = whole_number(request.POST.get("version"))
    try:
        if version is None:
            require(actor_of(request), Action.EDIT, task)
            raise Invalid("Send the card's version.", field="version")
        task, moved = services.move_card(
            actor=actor_of(request),
            task=task,
            status=request.POST.get("status", ""),
            before=before,
            after=after,
            expected_version=version,
        )
    except ServiceError as exc:
        status = _error_status(exc)
        if isinstance(exc, Conflict):
            # The board reloads its cards; the reason stays on the page.
            messages.error(request, exc.message)
        return JsonResponse({"detail": exc.message, "field": exc.field}, status=status)
    return JsonResponse(
        {
            "task": task.pk,
            "status": task.status,
            "key": task.board_key,
            "version": task.version,
            "moved": moved.summary if moved and moved.moved else "",
        }
    )


@require_POST
@organisation_required
def board_limits(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    limits = {}
    for s in TaskStatus.values:
        raw = request.POST.get(f"limit_{s}", "").strip()
        limit = whole_number(raw) if raw else 0
        if limit is None:
            messages.error(request, "A WIP limit is a whole number.")
            return redirect("projects:board", project.pk)
        limits[s] = limit
    try:
        services.set_wip_limits(
            actor=actor_of(request),
            project=project,
            limits=limits,
            expected_version=_posted_version(request, project, Action.MANAGE),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _board_page(request, project, _error_status(exc))
    messages.success(request, "WIP limits saved.")
    return redirect("projects:board", project.pk)


@organisation_required
def task_detail(request: HttpRequest, project_id: int, task_id: int) -> HttpResponse:
    """The task page (GET: every read of the page in one round trip on PostgreSQL; a POST
    reads as it goes: what it writes must show)."""
    reads = _task_page_reads(request, project_id, task_id) if request.method == "GET" else ()
    with one_round_trip(reads):
        return _task_detail(request, project_id, task_id)


def _task_page_reads(request: HttpRequest, project_id: int, task_id: int) -> list[Read]:
    """The project, the task and the task page's panels (the live counter first: read before
    the page's data). Keyed as the page will ask for them: a task of another project or
    organisation is a 404 before any of them is used, and a read that does not match queries
    as usual."""
    organisation = organisation_of(request)
    task = Task(pk=task_id, project_id=project_id, organisation_id=organisation.pk)
    return [
        live.version_read(live.key_for("project", project_id)),
        selectors.project_read(project_id),
        selectors.task_read(task_id, project_id),
        selectors.checklist_read(task),
        entries_read(task, 20),
        resourcing.assignments_read(task),
        comment_selectors.comment_list_read(task),
        attachment_selectors.attachment_list_read(task),
        field_selectors.fields_read(task),
    ]


def _task_detail(request: HttpRequest, project_id: int, task_id: int) -> HttpResponse:
    project = _project(request, project_id)
    task = _task(request, project, task_id)
    actor = actor_of(request)
    initial = {
        "version": task.version,
        "name": task.name,
        "description": task.description,
        "priority": task.priority,
        "assignee": task.assignee,
        "duration_days": shown_days(task.duration_minutes),
        "effort_hours": shown_hours(task.effort_minutes),
        "constraint_type": task.constraint_type,
        "constraint_date": task.constraint_date,
    }
    kind = request.POST.get("form", "")
    form = TaskDetailForm(
        request.POST if kind == "task" else None, project=project, initial=initial
    )
    comment = CommentForm(request.POST if kind == "comment" else None, auto_id="id_comment_%s")
    item_form = ChecklistForm(request.POST if kind == "checklist" else None)
    people_forms = _people_forms(request, project, task, kind)
    status = 200
    if request.method == "POST":
        try:
            if kind in people_forms:
                done = _people_action(request, task, kind, people_forms[kind])
                if done is not None:
                    messages.success(request, done)
                    return redirect("projects:task", project.pk, task.pk)
            if kind == "task" and form.is_valid():
                d = form.cleaned_data
                minutes = kept_minutes(
                    task.duration_minutes,
                    d["duration_days"],
                    shown_days,
                    lambda days: duration_minutes(days, None),
                )
                _t, moved = services.update_task(
                    actor=actor,
                    task=task,
                    expected_version=d["version"],
                    name=d["name"],
                    description=d["description"],
                    priority=d["priority"],
                    assignee=d["assignee"],
                    duration_minutes=minutes,
                    # Unchanged, a task of a few minutes shows 0.00 days: not a milestone.
                    is_milestone=task.is_milestone
                    if d["duration_days"] == shown_days(task.duration_minutes)
                    else services.milestone_after(task, minutes),
                    effort_minutes=kept_minutes(
                        task.effort_minutes,
                        d["effort_hours"] or Decimal(0),
                        shown_hours,
                        lambda hours: int(hours * 60),
                    ),
                    constraint_type=d["constraint_type"],
                    constraint_date=d["constraint_date"],
                )
                messages.success(request, "Task saved." + (f" {moved.summary}." if moved else ""))
                return redirect("projects:task", project.pk, task.pk)
            if kind == "comment" and comment.is_valid():
                services.add_comment(actor=actor, task=task, body=comment.cleaned_data["body"])
                return redirect("projects:task", project.pk, task.pk)
            if kind == "checklist" and item_form.is_valid():
                services.add_checklist_item(
                    actor=actor, task=task, text=item_form.cleaned_data["text"]
                )
                return redirect("projects:task", project.pk, task.pk)
            if kind == "toggle":
                item = ChecklistItem.objects.filter(
                    task=task, pk=whole_number(request.POST.get("item")) or 0
                ).first()
                if item is None:
                    raise Http404("Checklist item not found.")
                item.task = task
                services.toggle_checklist_item(
                    actor=actor, item=item, done=_posted_done(request, item)
                )
                return redirect("projects:task", project.pk, task.pk)
            status = 400
        except ServiceError as exc:
            if kind == "toggle":
                # No form to carry the error: a flash, and the error's own status (403, 409...).
                status = _error_status(exc)
                messages.error(request, exc.message)
            elif kind == "person_remove" or (kind == "person_units" and exc.field == "person"):
                status = _error_status(exc)
                messages.error(request, exc.message)
            else:
                target = {
                    "task": form,
                    "comment": comment,
                    "checklist": item_form,
                    **people_forms,
                }.get(kind, form)
                status = apply_service_error(target, exc)
    return render(
        request,
        "projects/pages/task_detail.html",
        _ctx(
            request,
            project,
            "tasks",
            task=task,
            form=form,
            comment_form=comment if kind == "comment" else None,
            item_form=item_form,
            description=render_markdown(task.description),
            checklist=selectors.checklist_of(task),
            history=history_for(task, 20, viewer=request.user),
            people=_people_rows(task, people_forms, kind),
            person_form=people_forms["person_add"],
            resourcing_form=people_forms["resourcing"],
        ),
        status=status,
    )


PEOPLE_FORMS = ("person_add", "person_units", "person_remove", "resourcing")


def _people_forms(request: HttpRequest, project: Project, task: Task, kind: str) -> dict[str, Any]:
    """The "People and work" panel's forms; the posted one bound."""
    data = request.POST if request.method == "POST" else None
    version = {"version": task.version}
    return {
        "person_add": TaskPersonForm(
            data if kind == "person_add" else None,
            project=project,
            initial=version,
            prefix="add",
        ),
        "person_units": TaskPersonUnitsForm(
            data if kind == "person_units" else None, initial=version, prefix="units"
        ),
        "person_remove": TaskPersonUnitsForm(
            data if kind == "person_remove" else None, initial=version, prefix="remove"
        ),
        "resourcing": TaskResourcingForm(
            data if kind == "resourcing" else None,
            initial={
                **version,
                "task_type": task.task_type,
                "effort_driven": task.effort_driven,
                "work_hours": shown_hours(resourcing.work_of(task)),
            },
            prefix="type",
        ),
    }


def shown_days(minutes: int) -> Decimal:
    """A duration in days as the task form shows it: two decimals (the form's own step)."""
    return (Decimal(minutes) / 480).quantize(Decimal("0.01"))


def shown_hours(minutes: int) -> Decimal:
    """Work in hours as the forms show it: one decimal."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"))


def kept_minutes(
    stored: int,
    posted: Decimal,
    shown: Callable[[int], Decimal],
    to_minutes: Callable[[Decimal], int],
) -> int:
    """The stored minutes when the form sent back the rounded value it showed, else the posted
    value in minutes. A duration the People rules set (1,280 minutes: 2.6666… days) was shown
    unrounded and refused on save ("no more than 2 decimal places"); rounded but converted
    back, an unchanged save would have moved it to 1,277."""
    return stored if posted == shown(stored) else to_minutes(posted)


def _people_action(request: HttpRequest, task: Task, kind: str, form: Any) -> str | None:
    """Run the posted "People and work" form; the success message, or None (form invalid)."""
    actor = actor_of(request)
    if kind == "person_units" and str(form.data.get("units-person", "")) not in {
        str(person.pk) for person, _share in resourcing.people_of(task)
    }:
        # No row of the panel draws this form: its errors would not show anywhere.
        raise Invalid("That person is not on this task.", field="person")
    if kind == "person_remove":
        form.fields["units"].required = False
    if not form.is_valid():
        if kind == "person_remove":
            raise Invalid("That request was incomplete; reload the page.", field="person")
        return None
    d = form.cleaned_data
    moved: Schedule | None
    if kind == "resourcing":
        hours = d["work_hours"]
        moved = resourcing.set_task_resourcing(
            actor=actor,
            task=task,
            task_type=d["task_type"],
            effort_driven=d["effort_driven"],
            work_minutes=None
            if hours is None
            else kept_minutes(resourcing.work_of(task), hours, shown_hours, lambda h: int(h * 60)),
            expected_version=d["version"],
        )
        text = "Task type saved."
    elif kind == "person_add":
        moved = resourcing.add_person(
            actor=actor,
            task=task,
            person=d["person"],
            units=d["units"],
            expected_version=d["version"],
        )
        text = f"{d['person'].display_name} added."
    else:
        person = User.objects.filter(pk=d["person"]).first()
        if person is None:
            raise NotFound("That person is not on this task.")
        if kind == "person_units":
            moved = resourcing.set_person_units(
                actor=actor,
                task=task,
                person=person,
                units=d["units"],
                expected_version=d["version"],
            )
            text = f"{person.display_name} now at {d['units']} %."
        else:
            moved = resourcing.remove_person(
                actor=actor, task=task, person_id=person.pk, expected_version=d["version"]
            )
            text = f"{person.display_name} removed."
    return text + (f" {moved.summary}." if moved else "")


def _people_rows(task: Task, people_forms: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """One row per person on the task: name, units, work, and their units form."""
    posted = people_forms["person_units"]
    out = []
    for person, s in resourcing.people_of(task):
        bound = kind == "person_units" and str(posted.data.get("units-person")) == str(person.pk)
        out.append(
            {
                "person": person,
                "units": s.units,
                "work_hours": s.work / 60,
                "form": posted
                if bound
                else TaskPersonUnitsForm(
                    initial={"version": task.version, "person": person.pk, "units": s.units},
                    prefix="units",
                ),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# Gates


@organisation_required
def gates(request: HttpRequest, project_id: int) -> HttpResponse:
    return _gates_page(request, _project(request, project_id))


def _gates_page(request: HttpRequest, project: Project, status: int = 200) -> HttpResponse:
    gate_list = list(project.gates.prefetch_related("items").select_related("approved_by"))
    order = {p: i for i, p in enumerate(PHASE_ORDER)}
    gate_list.sort(key=lambda g: order[Phase(g.phase)])
    for g in gate_list:
        g.project = project
        g.next_phase = PHASE_ORDER[order[Phase(g.phase)] + 1].label  # type: ignore[attr-defined]
        g.is_current = g.phase == project.phase  # type: ignore[attr-defined]
        g.open_items = [i.text for i in g.items.all() if not i.done]  # type: ignore[attr-defined]
        g.ready = not g.open_items  # type: ignore[attr-defined]
    return render(
        request,
        "projects/pages/gates.html",
        _ctx(
            request,
            project,
            "gates",
            gates=gate_list,
            phases=PHASE_ORDER,
            phase_index=order[Phase(project.phase)],
            may_approve=services.may_approve(actor_of(request), project),
        ),
        status=status,
    )


@require_POST
@organisation_required
def gate_item(request: HttpRequest, project_id: int, item_id: int) -> HttpResponse:
    project = _project(request, project_id)
    item = GateItem.objects.filter(pk=item_id, gate__project=project).select_related("gate").first()
    if item is None:
        raise Http404("Not found.")
    item.gate.project = project
    try:
        services.toggle_gate_item(
            actor=actor_of(request), item=item, done=_posted_done(request, item)
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _gates_page(request, project, _error_status(exc))
    return redirect("projects:gates", project.pk)


@require_POST
@organisation_required
def gate_pass(request: HttpRequest, project_id: int, gate_id: int) -> HttpResponse:
    project = _project(request, project_id)
    try:
        gate = selectors.get_gate(project, gate_id)
        version = whole_number(request.POST.get("version"))
        if version is None:
            if not services.may_approve(actor_of(request), project):
                raise Forbidden("Only an admin or the project's sponsor can sign off a gate.")
            raise ServiceError(MISSING_VERSION, field="version")
        services.pass_gate(actor=actor_of(request), gate=gate, expected_version=version)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _gates_page(request, project, _error_status(exc))
    messages.success(request, f"Gate passed: the project is now in {project.get_phase_display()}.")
    return redirect("projects:gates", project.pk)


__all__ = ["json"]
