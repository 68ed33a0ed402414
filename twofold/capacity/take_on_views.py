""" "Can we take this on?": choose a proposed project, see the overload and its earliest start."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from twofold.capacity import take_on as take_on_model
from twofold.core.errors import Invalid, NotFound
from twofold.core.web import (
    organisation_of,
    organisation_required,
    render_page,
    whole_number,
)
from twofold.projects import selectors as project_selectors


@organisation_required
def take_on(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    choices = take_on_model.proposals(organisation)
    raw = request.GET.get("project", "")
    result = None
    error = ""
    status = 200
    if raw:
        chosen = whole_number(raw)
        try:
            project = (
                project_selectors.get_project(request.user, organisation, chosen)
                if chosen is not None
                else None
            )
        except NotFound:
            project = None
        if project is None:
            error = "Choose one of the proposed projects."
            status = 404 if raw.isascii() and raw.isdigit() else 400
        elif project.phase != "initiation":
            error = f"{project.code} is past initiation: it is already committed work."
            status = 422
        else:
            try:
                result = take_on_model.take_on(organisation, project)
            except Invalid as exc:
                error, status = exc.message, 422
    return render_page(
        request,
        "capacity/pages/take_on.html",
        {
            "section": "projects",
            "choices": choices,
            "chosen": raw,
            "result": result,
            "error": error,
        },
        partial="capacity/partials/take_on_result.html",
        status=status,
    )
