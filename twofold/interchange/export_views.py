"""Spreadsheet downloads: /exports/<what>.<csv|xlsx> (``?project=`` narrows tasks and history
to one project)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from twofold.core.errors import NotFound
from twofold.core.web import organisation_of, organisation_required, whole_number
from twofold.interchange import exports
from twofold.projects.selectors import get_project


@require_GET
@organisation_required
def export(request: HttpRequest, what: str, fmt: str) -> HttpResponse:
    org = organisation_of(request)
    try:
        raw = request.GET.get("project", "")
        if what in ("tasks", "history") and raw:
            project_id = whole_number(raw)
            if project_id is None:
                raise NotFound("Project not found.")
            project = get_project(request.user, org, project_id)
            if what == "tasks":
                sheet = exports.task_sheet(org, project.pk)
            else:
                sheet = exports.history_sheet(org, project.pk, viewer=request.user)
            return exports.spreadsheet_response(sheet, fmt, f"{project.code}-{what}")
        sheet = exports.sheet_of(org, what, viewer=request.user)
        return exports.spreadsheet_response(sheet, fmt, what)
    except NotFound as exc:
        raise Http404(exc.message) from exc
