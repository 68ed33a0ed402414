"""Spreadsheet task import pages: upload a CSV/XLSX file, map its columns, see every row's
problems, import all of it or nothing (a large file through a background job, whose progress
the page shows with a cancel button, as for Microsoft Project files)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from twofold.core.errors import NotFound, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    job_panel,
    organisation_of,
    organisation_required,
    render_page,
    requested_job,
)
from twofold.interchange import selectors, sheet_import
from twofold.interchange.forms import SheetMappingForm, SheetUploadForm
from twofold.interchange.models import SheetUpload
from twofold.interop import sheet_tasks
from twofold.projects.selectors import get_project, projects_of

SLACK = 1024 * 1024  # multipart overhead on top of the file


@organisation_required
def sheet_new(request: HttpRequest) -> HttpResponse:
    """Upload a task list into a project (``?project=`` preselects it) or a new project."""
    org = organisation_of(request)
    editable = (
        list(projects_of(org).filter(archived_at__isnull=True).order_by("name"))
        if can(request.user, Action.EDIT, org)
        else []
    )
    may_create = can(request.user, Action.MANAGE, org)
    initial = {"target": request.GET.get("project", "")}
    form = SheetUploadForm(projects=editable, may_create=may_create, initial=initial)
    status = 200
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > sheet_tasks.MAX_BYTES + SLACK:
            form.add_error("file", f"The file is larger than {sheet_tasks.MAX_BYTES // 2**20} MiB.")
            status = 413
        else:
            form = SheetUploadForm(
                request.POST, request.FILES, projects=editable, may_create=may_create
            )
            status = 400
            if form.is_valid():
                target = form.cleaned_data["target"]
                try:
                    project = (
                        None if target == "new" else get_project(request.user, org, int(target))
                    )
                    file = form.cleaned_data["file"]
                    upload = sheet_import.upload_sheet(
                        actor=actor_of(request),
                        organisation=org,
                        file_name=file.name,
                        data=file.read(sheet_tasks.MAX_BYTES + 1),
                        project=project,
                    )
                except ServiceError as exc:
                    status = apply_service_error(form, exc)
                else:
                    return redirect("interchange:sheet", upload.pk)
    return render_page(
        request,
        "interchange/pages/sheet_new.html",
        {
            "form": form,
            "uploads": selectors.sheet_uploads_of(request.user, org)[:10],
            "nothing_to_import_into": not editable and not may_create,
            "section": "projects",
        },
        status=status,
    )


def _job_context(request: HttpRequest, upload: SheetUpload) -> dict[str, Any]:
    """The import job named by ``?job=`` (of this upload, else 404): its panel while it runs."""
    job = requested_job(request, request.GET.get("job", ""), subject=upload)
    if job is None:
        return {}
    if job.is_finished:
        return {"job": job}
    return {
        "job": job,
        "job_panel": job_panel(
            request,
            job,
            title="Importing the tasks",
            poll_url=request.get_full_path(),
            cancel_hint="Cancelling creates nothing.",
        ),
    }


@organisation_required
def sheet_upload(request: HttpRequest, sheet_id: int) -> HttpResponse:
    """The mapping of columns, the check of every row, and the import button."""
    org = organisation_of(request)
    try:
        upload = selectors.get_sheet_upload(request.user, org, sheet_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    job = _job_context(request, upload) if request.method != "POST" else {}
    if getattr(request, "htmx", False) and request.method != "POST":
        if "job_panel" in job:
            return render(request, "interchange/partials/sheet_job.html", job)
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    initial = {f"col_{t}": "" if c is None else str(c) for t, c in upload.mapping.items()}
    form = SheetMappingForm(
        request.POST or None,
        initial=initial,
        columns=upload.columns,
        targets=sheet_tasks.TARGETS,
        new_project=upload.project_id is None,
    )
    status = 200
    context: dict[str, Any] = {}
    mapping = upload.mapping
    if request.method == "POST" and upload.applied_at is None:
        status = 400
        if form.is_valid():
            try:
                mapping = sheet_import.clean_mapping(upload, form.mapping())
                sheet_import.save_mapping(actor=actor_of(request), upload=upload, mapping=mapping)
                if request.POST.get("action") == "import" and sheet_import.runs_in_background(
                    upload
                ):
                    queued = sheet_import.queue_import(
                        actor=actor_of(request),
                        upload=upload,
                        mapping=mapping,
                        name=form.cleaned_data.get("name", ""),
                        code=form.cleaned_data.get("code", ""),
                    )
                    url = reverse("interchange:sheet", args=[upload.pk])
                    return redirect(f"{url}?job={queued.pk}")
                if request.POST.get("action") == "import":
                    project = sheet_import.import_upload(
                        actor=actor_of(request),
                        upload=upload,
                        mapping=mapping,
                        name=form.cleaned_data.get("name", ""),
                        code=form.cleaned_data.get("code", ""),
                    )
                    assert project is not None  # no progress callback: never cancelled
                    messages.success(
                        request,
                        f"Imported {upload.created_count} tasks from {upload.file_name} into {project}.",
                    )
                    return redirect("projects:tasks", project.pk)
                status = 200
            except sheet_import.SheetInvalid:
                status = 422  # the errors are listed below, from the check
            except ServiceError as exc:
                status = apply_service_error(form, exc)
                mapping = {}
    if "job_panel" in job:
        mapping = {}  # the rows are being imported: no check, no import button meanwhile
    if upload.applied_at is None and mapping and form.errors.get("__all__") is None:
        try:
            checked = sheet_import.check_upload(upload, mapping)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            context = {
                "checked": checked,
                "more_errors": checked.error_count - len(checked.errors),
                "rows": sheet_import.preview_rows(checked),
            }
    return render_page(
        request,
        "interchange/pages/sheet_upload.html",
        {
            "upload": upload,
            "form": form,
            "upload_url": reverse("interchange:sheet_new")
            + (f"?project={upload.project_id}" if upload.project_id else ""),
            "section": "projects",
            "background": sheet_import.runs_in_background(upload),
            **context,
            **job,
        },
        status=status,
    )
