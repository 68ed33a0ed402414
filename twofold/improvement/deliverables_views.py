"""Settings page: the handover deliverables (same list editor and layout as the gate checklists)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from twofold.core.errors import NotFound, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    organisation_of,
    organisation_required,
    posted_version,
)
from twofold.improvement.deliverables import deliverables_setting, save_deliverables


@organisation_required
def deliverable_settings(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    status = 200
    error = ""
    if request.method == "POST":
        try:
            save_deliverables(
                actor=actor_of(request),
                organisation=org,
                items=request.POST.getlist("items"),
                expected_version=posted_version(request.POST.get("version")),
            )
        except ServiceError as exc:
            if isinstance(exc, NotFound):
                raise Http404(exc.message) from exc
            error, status = exc.message, exc.status
        else:
            messages.success(request, "Handover deliverables saved.")
            return redirect("improvement:deliverable_settings")
    setting = deliverables_setting(org)
    return render(
        request,
        "projects/pages/checklist_settings.html",
        {
            "lists": [
                {
                    "key": "deliverables",
                    "title": "Handover deliverables",
                    "items": setting.items,
                    "version": setting.version,
                    "error": error,
                    "hidden": {},
                }
            ],
            "may_edit": can(request.user, Action.MANAGE, org),
            "tab": "deliverables",
            "section": "settings",
            "intro": "A new handover to operations starts with this checklist; the process owner "
            "accepts once every item is ticked. Existing handovers keep theirs.",
        },
        status=status,
    )
