"""Template pages: the list, one template (rename, gate checklists, delete), save, start from."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twofold.core.errors import Forbidden, NotFound, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    posted_version,
)
from twofold.project_templates import selectors, services
from twofold.project_templates.forms import FromTemplateForm, RenameForm, SaveTemplateForm
from twofold.project_templates.models import ProjectTemplate
from twofold.projects.checklists import GATE_PHASES
from twofold.projects.models import Phase
from twofold.projects.views import _ctx, _project


def _template(request: HttpRequest, template_id: int) -> ProjectTemplate:
    try:
        return selectors.get_template(request.user, organisation_of(request), template_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@organisation_required
def template_list(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    return render(
        request,
        "project_templates/pages/list.html",
        {
            "templates": list(selectors.templates_of(org)),
            "can_manage": can(request.user, Action.MANAGE, org),
            "tab": "templates",
            "section": "settings",
        },
    )


@organisation_required
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _template(request, template_id)
    may_edit = can(request.user, Action.MANAGE, template)
    form = RenameForm(
        request.POST if request.POST.get("form") == "rename" else None,
        initial={
            "version": template.version,
            "name": template.name,
            "description": template.description,
        },
    )
    status = 200
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if request.POST.get("form") == "rename":
                if not form.is_valid():
                    return _detail(request, template, form, errors, may_edit, 400)
                services.update_template(
                    actor=actor_of(request),
                    template=template,
                    expected_version=form.cleaned_data["version"],
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                )
                messages.success(request, "Template saved.")
            else:
                phase = request.POST.get("phase", "")
                try:
                    services.update_template(
                        actor=actor_of(request),
                        template=template,
                        expected_version=posted_version(request.POST.get("version")),
                        gates={phase: request.POST.getlist("items")},
                    )
                except ServiceError as exc:
                    if isinstance(exc, NotFound):
                        raise
                    errors[phase] = exc.message
                    return _detail(request, template, form, errors, may_edit, exc.status)
                messages.success(request, "Gate checklist of the template saved.")
        except ServiceError as exc:
            status = apply_service_error(form, exc)
            return _detail(request, template, form, errors, may_edit, status)
        return redirect("templates:detail", template.pk)
    return _detail(request, template, form, errors, may_edit, status)


def _detail(
    request: HttpRequest,
    template: ProjectTemplate,
    form: RenameForm,
    errors: dict[str, str],
    may_edit: bool,
    status: int,
) -> HttpResponse:
    gates = template.content.get("gates", {})
    lists: list[dict[str, Any]] = [
        {
            "key": phase.value,
            "title": f"Gate out of {Phase(phase).label}",
            "items": gates.get(phase.value, []),
            "version": template.version,
            "error": errors.get(phase.value, ""),
            "hidden": {"phase": phase.value},
        }
        for phase in GATE_PHASES
    ]
    tasks = template.content.get("tasks", [])
    depth: dict[int, int] = {}
    for row in tasks:
        parent = row.get("parent")
        depth[row["key"]] = depth[parent] + 1 if parent is not None else 0
    return render(
        request,
        "project_templates/pages/detail.html",
        {
            "template": template,
            "form": form,
            "lists": lists,
            "may_edit": may_edit,
            "tasks": [
                {**row, "depth": depth[row["key"]], "days": row["duration_minutes"] / 480}
                for row in tasks
            ],
            "risks": template.content.get("risks", []),
            "tab": "templates",
            "section": "settings",
        },
        status=status,
    )


@require_POST
@organisation_required
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _template(request, template_id)
    try:
        services.delete_template(
            actor=actor_of(request),
            template=template,
            # A garbled version is a Conflict (nothing deleted), not "no check" as it was until
            # 2026-12-06.
            expected_version=posted_version(request.POST.get("version")),
        )
    except ServiceError as exc:
        back = reverse("templates:detail", args=[template.pk])
        if isinstance(exc, Forbidden):
            return forbidden_page(request, exc.message, back=back)
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, f"Template {template.name} deleted; projects made from it stay.")
    return redirect("templates:list")


@organisation_required
def save_template(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    form = SaveTemplateForm(request.POST or None, initial={"name": project.name})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                template = services.save_as_template(
                    actor=actor_of(request), project=project, **form.cleaned_data
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Saved {project.name} as the template {template.name}.")
                return redirect("templates:detail", template.pk)
        else:
            status = 400
    return render(
        request,
        "project_templates/pages/save.html",
        _ctx(request, project, "overview", form=form),
        status=status,
    )


@organisation_required
def new_project(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    initial = {k: request.GET[k] for k in ("template", "programme") if request.GET.get(k)}
    form = FromTemplateForm(request.POST or None, organisation=org, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = dict(form.cleaned_data)
            template = values.pop("template")
            try:
                project = services.create_project_from_template(
                    actor=actor_of(request), organisation=org, template=template, **values
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(
                    request, f"Project {project.name} created from the template {template.name}."
                )
                return redirect("projects:detail", project.pk)
        else:
            status = 400
    return render(
        request,
        "project_templates/pages/new_project.html",
        {
            "form": form,
            "section": "projects",
            "has_templates": selectors.templates_of(org).exists(),
        },
        status=status,
    )
