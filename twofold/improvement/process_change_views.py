"""Page actions for the processes a project changes: link, set go-live, unlink (POST only).

Each redirects back to the project's overview with a message; bad input says which field.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from twofold.core.errors import Forbidden, Invalid, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    forbidden_page,
    organisation_of,
    organisation_required,
    posted_version,
    whole_number,
)
from twofold.improvement import go_live
from twofold.improvement.models import ProcessChange
from twofold.operations.models import Process
from twofold.projects.models import Project

FIELD_LABELS = {"go_live": "Went live on", "process": "Process"}


def _date(raw: str) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            "Give the go-live date as a date, e.g. 2026-03-31.", field="go_live"
        ) from None


def _say(request: HttpRequest, exc: ServiceError) -> None:
    label = FIELD_LABELS.get(exc.field or "", (exc.field or "").replace("_", " ").capitalize())
    messages.error(request, f"{label}: {exc.message}" if label else exc.message)


def _project(request: HttpRequest, pk: int) -> Project:
    project = Project.objects.filter(pk=pk, organisation=organisation_of(request)).first()
    if project is None or not can(request.user, Action.VIEW, project):
        raise Http404("Not found.")
    return project


@organisation_required
@require_POST
def process_link(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    process_id = whole_number(request.POST.get("process"))
    process = (
        Process.objects.filter(pk=process_id, organisation_id=project.organisation_id).first()
        if process_id is not None
        else None
    )
    try:
        if process is None:
            raise Invalid("Choose a process of this organisation.", field="process")
        link = go_live.link_process(
            actor=actor_of(request),
            project=project,
            process=process,
            go_live=_date(request.POST.get("go_live", "")),
        )
    except Forbidden as exc:
        return forbidden_page(
            request, exc.message, back=reverse("projects:detail", args=[project.pk])
        )
    except ServiceError as exc:
        _say(request, exc)
    else:
        messages.success(request, f"{project.name} now changes {link.process.name}.")
    return redirect("projects:detail", project.pk)


@organisation_required
@require_POST
def process_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the go-live date (empty clears it) or, with ``remove``, unlink the process."""
    link = ProcessChange.objects.select_related("project", "process").filter(pk=pk).first()
    if link is None or link.organisation_id != organisation_of(request).pk:
        raise Http404("Not found.")
    if not can(request.user, Action.VIEW, link.project):
        raise Http404("Not found.")
    actor = actor_of(request)
    try:
        if request.POST.get("remove"):
            go_live.unlink_process(
                actor=actor,
                link=link,
                expected_version=posted_version(request.POST.get("version", "")),
            )
            messages.success(request, f"Unlinked {link.process.name}.")
        else:
            version = request.POST.get("version", "")
            day = _date(request.POST.get("go_live", ""))
            go_live.set_link_go_live(
                actor=actor,
                link=link,
                go_live=day,
                expected_version=posted_version(version),
            )
            messages.success(
                request,
                f"Go-live on {link.process.name} saved: its KPIs start a new phase that day."
                if day
                else f"Go-live on {link.process.name} cleared.",
            )
    except Forbidden as exc:
        back = reverse("projects:detail", args=[link.project_id])
        return forbidden_page(request, exc.message, back=back)
    except ServiceError as exc:
        _say(request, exc)
    return redirect("projects:detail", link.project_id)
