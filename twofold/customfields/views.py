"""Custom field pages: define fields (admins), edit a project's or task's values (members)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
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
    render_page,
)
from twofold.customfields import selectors, services
from twofold.customfields.forms import DefinitionEditForm, DefinitionForm, ValuesForm
from twofold.projects.models import Project, Task


def _definition(request: HttpRequest, definition_id: int):  # type: ignore[no-untyped-def]
    try:
        return selectors.get_definition(request.user, organisation_of(request), definition_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def target_url(target: Project | Task) -> str:
    if isinstance(target, Project):
        return reverse("projects:detail", args=[target.pk])
    return reverse("projects:task", args=[target.project_id, target.pk])


@organisation_required
def definitions(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    can_manage = can(request.user, Action.MANAGE, org)
    form = DefinitionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                d = services.create_definition(
                    actor=actor_of(request), organisation=org, **form.cleaned_data
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Field {d.name} added.")
                return redirect("customfields:definitions")
        else:
            status = 400
    return render_page(
        request,
        "customfields/pages/definitions.html",
        {
            "definitions": list(selectors.definitions_of(org)),
            "form": form,
            "can_manage": can_manage,
            "section": "settings",
        },
        status=status,
    )


@organisation_required
def definition_edit(request: HttpRequest, definition_id: int) -> HttpResponse:
    d = _definition(request, definition_id)
    can_manage = can(request.user, Action.MANAGE, d)
    form = DefinitionEditForm(request.POST or None, initial=DefinitionEditForm.initial_for(d))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                services.update_definition(
                    actor=actor_of(request),
                    definition=d,
                    expected_version=form.cleaned_data["version"],
                    **values,
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Field {d.name} saved.")
                return redirect("customfields:definitions")
        else:
            status = 400
    return render_page(
        request,
        "customfields/pages/definition.html",
        {
            "definition": d,
            "form": form,
            "can_manage": can_manage,
            "history": history_for(d, 20, viewer=request.user),
            "section": "settings",
        },
        status=status,
    )


@require_POST
@organisation_required
def definition_delete(request: HttpRequest, definition_id: int) -> HttpResponse:
    d = _definition(request, definition_id)
    try:
        services.delete_definition(
            actor=actor_of(request),
            definition=d,
            expected_version=posted_version(request.POST.get("version")),
        )
    except ServiceError as exc:
        back = reverse("customfields:definition", args=[d.pk])
        if isinstance(exc, Forbidden):
            return forbidden_page(request, exc.message, back=back)
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, f"Field {d.name} deleted.")
    return redirect("customfields:definitions")


@organisation_required
def values(request: HttpRequest, kind: str, target_id: int) -> HttpResponse:
    try:
        target = selectors.get_target(request.user, organisation_of(request), kind, target_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    rows = selectors.fields_for(target)
    can_edit = can(request.user, Action.EDIT, target)
    form = ValuesForm(rows, request.POST or None)
    status = 200
    if request.method == "POST" and not can_edit:
        messages.error(request, "Your role does not allow you to edit these fields.")
        status = 403
    elif request.method == "POST":
        if form.is_valid():
            raw, versions = form.values()
            try:
                services.set_values(
                    actor=actor_of(request), target=target, values=raw, versions=versions
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, "Fields saved.")
                return redirect(target_url(target))
        else:
            status = 400
    return render_page(
        request,
        "customfields/pages/values.html",
        {
            "target": target,
            "target_url": target_url(target),
            "kind": kind,
            "form": form,
            "rows": rows,
            "can_edit": can_edit,
            "section": "projects",
        },
        status=status,
    )
