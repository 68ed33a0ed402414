"""Microsoft Project pages: upload a file, look at its preview and import it; export a project."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from twofold.core import dates
from twofold.core.errors import NotFound, ServiceError
from twofold.core.policy import Action, can
from twofold.core.services import enqueue_job
from twofold.core.web import (
    actor_of,
    apply_service_error,
    job_panel,
    organisation_of,
    organisation_required,
    render_page,
    requested_job,
)
from twofold.interchange import mspdi_export, mspdi_import, selectors
from twofold.interchange.forms import MspdiApplyForm, MspdiUploadForm
from twofold.interchange.models import MspdiUpload, UploadStatus
from twofold.interop.mspdi import MAX_BYTES
from twofold.projects.selectors import get_project

SLACK = 1024 * 1024  # multipart overhead on top of the file


@organisation_required
def mspdi_new(request: HttpRequest) -> HttpResponse:
    """Upload a file; a small one is previewed at once, a large one in the background."""
    org = organisation_of(request)
    if not can(request.user, Action.MANAGE, org):
        raise PermissionDenied("Importing a project needs the admin role.")
    form = MspdiUploadForm()
    status = 200
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > MAX_BYTES + SLACK:
            # Refused from the header: the body is never read.
            form.add_error("file", f"The file is larger than {MAX_BYTES // 2**20} MiB.")
            status = 413
        else:
            form = MspdiUploadForm(request.POST, request.FILES)
            status = 400
            if form.is_valid():
                upload_file = form.cleaned_data["file"]
                try:
                    upload = mspdi_import.upload_mspdi(
                        actor=actor_of(request),
                        organisation=org,
                        file_name=upload_file.name,
                        data=upload_file.read(MAX_BYTES + 1),
                    )
                    url = reverse("interchange:mspdi_upload", args=[upload.pk])
                    if upload.status == UploadStatus.PREVIEWING:
                        job = enqueue_job(
                            actor=actor_of(request),
                            kind=mspdi_import.PREVIEW_JOB,
                            subject=upload,
                            params={},
                        )
                        return redirect(f"{url}?job={job.pk}")
                    return redirect(url)
                except ServiceError as exc:
                    status = apply_service_error(form, exc)
    return render_page(
        request,
        "interchange/pages/mspdi_new.html",
        {
            "form": form,
            "uploads": selectors.uploads_of(request.user, org)[:10],
            "section": "projects",
        },
        status=status,
    )


def _job_context(request: HttpRequest, upload: MspdiUpload) -> dict[str, Any]:
    job = requested_job(request, request.GET.get("job", ""), subject=upload)
    if job is None:
        return {}
    if job.is_finished:
        return {"job": job}
    title = "Reading the file" if job.kind == mspdi_import.PREVIEW_JOB else "Importing"
    return {
        "job": job,
        "job_panel": job_panel(
            request,
            job,
            title=title,
            poll_url=request.get_full_path(),
            cancel_hint="Cancelling creates nothing.",
        ),
    }


@organisation_required
def mspdi_upload(request: HttpRequest, upload_id: int) -> HttpResponse:
    """The preview of an uploaded file, the resource mapping and the import button."""
    org = organisation_of(request)
    try:
        upload = selectors.get_upload(request.user, org, upload_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    job = _job_context(request, upload) if request.method != "POST" else {}
    if getattr(request, "htmx", False) and request.method != "POST":
        if "job_panel" in job:
            return render(request, "interchange/partials/mspdi_job.html", job)
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    preview = upload.preview or {}
    members = mspdi_import._members(org)
    form = MspdiApplyForm(
        request.POST or None,
        resources=preview.get("resources", []),
        members=members,
        can_update=bool(preview.get("matched_project")),
        initial={
            "name": preview.get("name", ""),
            "mode": "update" if preview.get("matched_project") else "new",
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if upload.status != UploadStatus.READY:
            form.add_error(None, "This file cannot be imported now (see its status above).")
        elif form.is_valid():
            data = form.cleaned_data
            try:
                if upload.size > mspdi_import.INLINE_BYTES:
                    queued = mspdi_import.queue_import(
                        actor=actor_of(request),
                        upload=upload,
                        params={"mode": data["mode"], "name": data["name"], "code": data["code"]},
                        resources=form.resource_map(),
                    )
                    url = reverse("interchange:mspdi_upload", args=[upload.pk])
                    return redirect(f"{url}?job={queued.pk}")
                project = mspdi_import.apply_upload(
                    actor=actor_of(request),
                    upload=upload,
                    mode=data["mode"],
                    name=data["name"],
                    code=data["code"],
                    resource_map=form.resource_map(),
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                assert project is not None
                messages.success(request, f"Imported {upload.file_name} into {project}.")
                return redirect("projects:detail", project.pk)
    return render_page(
        request,
        "interchange/pages/mspdi_preview.html",
        {
            "upload": upload,
            "preview": preview,
            "rows": selectors.preview_rows(preview),
            "unlike": selectors.unlike_rows(preview),
            "start_text": dates.format_day(dt.date.fromisoformat(preview["start"]))
            if preview.get("start")
            else "",
            "form": form,
            "section": "projects",
            **job,
        },
        status=status,
    )


@require_GET
@organisation_required
def project_mspdi(request: HttpRequest, project_id: int) -> HttpResponse:
    """Download a project as a Microsoft Project XML file."""
    try:
        project = get_project(request.user, organisation_of(request), project_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(mspdi_export.export_mspdi(project), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{mspdi_export.file_name(project)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
