"""Pages for programmes, archiving and deleting a project, and the gate checklist settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twofold.core.errors import Forbidden, NotFound, ServiceError
from twofold.core.history import history_for
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    posted_version,
    whole_number,
)
from twofold.projects import checklists, lifecycle, programmes
from twofold.projects.markup import render_markdown
from twofold.projects.models import Phase, Programme
from twofold.projects.programme_forms import AssignForm, ProgrammeForm
from twofold.projects.views import _ctx, _project


def _programme(request: HttpRequest, programme_id: int) -> Programme:
    try:
        return programmes.get_programme(request.user, organisation_of(request), programme_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _refused(request: HttpRequest, exc: ServiceError, *, back: str = "") -> HttpResponse | None:
    """404 for what the user may not see, a 403 page for what their role forbids, else a flash."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    if isinstance(exc, Forbidden):
        return forbidden_page(request, exc.message, back=back)
    messages.error(request, exc.message)
    return None


@organisation_required
def programme_list(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    show_archived = request.GET.get("archived") == "1"
    return render(
        request,
        "projects/pages/programmes.html",
        {
            "rows": programmes.rollups(org, archived=show_archived),
            "show_archived": show_archived,
            "can_manage": can(request.user, Action.MANAGE, org),
            "section": "programmes",
        },
    )


def _programme_form(request: HttpRequest, programme: Programme | None) -> HttpResponse:
    org = organisation_of(request)
    form = ProgrammeForm(
        request.POST or None,
        organisation=org,
        initial=ProgrammeForm.initial_for(programme) if programme else None,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                if programme is None:
                    programme = programmes.create_programme(
                        actor=actor_of(request), organisation=org, **values
                    )
                    messages.success(request, f"Programme {programme.name} created.")
                else:
                    programmes.update_programme(
                        actor=actor_of(request),
                        programme=programme,
                        expected_version=form.cleaned_data["version"],
                        **values,
                    )
                    messages.success(request, "Programme saved.")
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                return redirect("projects:programme", programme.pk)
        else:
            status = 400
    return render(
        request,
        "projects/pages/programme_form.html",
        {"form": form, "programme": programme, "section": "programmes"},
        status=status,
    )


@organisation_required
def programme_create(request: HttpRequest) -> HttpResponse:
    return _programme_form(request, None)


@organisation_required
def programme_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    return _programme_form(request, _programme(request, programme_id))


@organisation_required
def programme_detail(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme(request, programme_id)
    show_archived = request.GET.get("archived") == "1"
    return render(
        request,
        "projects/pages/programme_detail.html",
        {
            "programme": programme,
            "row": programmes.rollup_of(programme, include_archived_projects=show_archived),
            "objectives": render_markdown(programme.objectives),
            "assign_form": AssignForm(programme=programme),
            "show_archived": show_archived,
            "can_manage": can(request.user, Action.MANAGE, programme),
            "history": history_for(programme, 15, viewer=request.user),
            "section": "programmes",
        },
    )


@require_POST
@organisation_required
def programme_action(request: HttpRequest, programme_id: int, action: str) -> HttpResponse:
    """archive, unarchive, assign (a project in), unassign (``project`` posted)."""
    programme = _programme(request, programme_id)
    actor = actor_of(request)
    try:
        if action in ("archive", "unarchive"):
            programmes.set_programme_archived(
                actor=actor,
                programme=programme,
                archived=action == "archive",
                expected_version=posted_version(request.POST.get("version")),
            )
            messages.success(request, f"{programme.name} {action}d.")
        elif action in ("assign", "unassign"):
            # "id:version": the project as the page listed it (a move since, into another
            # programme or out of this one, is a 409, not undone unseen).
            posted, _, read = str(request.POST.get("project", "")).partition(":")
            project = _project(request, whole_number(posted) or 0)
            if action == "unassign" and project.programme_id != programme.pk:
                raise Http404("Not in this programme.")
            programmes.assign_project(
                actor=actor,
                project=project,
                programme=programme if action == "assign" else None,
                expected_version=whole_number(read),
            )
            verb = "added to" if action == "assign" else "removed from"
            messages.success(request, f"{project.name} {verb} {programme.name}.")
        else:
            raise Http404("Unknown action.")
    except ServiceError as exc:
        refused = _refused(request, exc, back=reverse("projects:programme", args=[programme.pk]))
        if refused:
            return refused
    return redirect("projects:programme", programme.pk)


# ---------------------------------------------------------------------------------------------
# Project archive and delete


@require_POST
@organisation_required
def project_archive(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    archive = request.POST.get("archived") != "0"
    try:
        lifecycle.set_project_archived(
            actor=actor_of(request),
            project=project,
            archived=archive,
            expected_version=posted_version(request.POST.get("version")),
        )
    except ServiceError as exc:
        refused = _refused(request, exc, back=reverse("projects:detail", args=[project.pk]))
        if refused:
            return refused
    else:
        messages.success(
            request,
            f"{project.name} archived: hidden from the portfolio, lists and My work; "
            "reports and history keep it."
            if archive
            else f"{project.name} is back in the portfolio.",
        )
    return redirect("projects:detail", project.pk)


@organisation_required
def project_delete(request: HttpRequest, project_id: int) -> HttpResponse:
    """GET: what goes with the project, and a confirmation. POST: delete it for good."""
    project = _project(request, project_id)
    parts = lifecycle.what_goes_with(project)
    status = 200
    if request.method == "POST":
        confirm = request.POST.get("confirm_code", "").strip()
        if confirm.casefold() != project.code.casefold():
            messages.error(request, f"Type the project's code, {project.code}, to confirm.")
            status = 422
        else:
            try:
                gone = lifecycle.delete_project(
                    actor=actor_of(request),
                    project=project,
                    expected_version=posted_version(request.POST.get("version")),
                )
            except ServiceError as exc:
                refused = _refused(request, exc, back=reverse("projects:detail", args=[project.pk]))
                if refused:
                    return refused
                status = exc.status
                parts = lifecycle.what_goes_with(project)
            else:
                messages.success(
                    request,
                    f"Moved {project} with {gone} to the trash: an admin can restore it from Settings → Trash.",
                )
                return redirect("projects:list")
    return render(
        request,
        "projects/pages/project_delete.html",
        _ctx(request, project, "overview", parts=parts, gone=lifecycle.describe(parts)),
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Settings: gate checklists


@organisation_required
def gate_settings(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    may_edit = can(request.user, Action.MANAGE, org)
    status = 200
    errors: dict[str, str] = {}
    if request.method == "POST":
        phase = request.POST.get("phase", "")
        try:
            checklists.save_gate_checklist(
                actor=actor_of(request),
                organisation=org,
                phase=phase,
                items=request.POST.getlist("items"),
                expected_version=posted_version(request.POST.get("version")),
            )
        except ServiceError as exc:
            if isinstance(exc, NotFound):
                raise Http404(exc.message) from exc
            errors[phase] = exc.message
            status = exc.status
        else:
            messages.success(request, f"{Phase(phase).label} gate checklist saved.")
            return redirect("projects:gate_settings")
    lists: list[dict[str, Any]] = [
        {
            "key": s.phase,
            "title": f"Gate out of {Phase(s.phase).label}",
            "items": s.items,
            "version": s.version,
            "error": errors.get(s.phase, ""),
            "hidden": {"phase": s.phase},
        }
        for s in checklists.gate_settings(org)
    ]
    return render(
        request,
        "projects/pages/checklist_settings.html",
        {
            "lists": lists,
            "may_edit": may_edit,
            "tab": "gates",
            "section": "settings",
            "intro": "New projects' gates start with these checklists; existing projects keep "
            "theirs.",
        },
        status=status,
    )
