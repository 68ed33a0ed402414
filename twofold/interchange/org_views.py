"""Settings → Export & import: an owner exports the organisation as a ZIP (a background job for
a large one); anyone signed in imports such a ZIP as a new organisation they own."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from twofold.core import selectors as core_selectors
from twofold.core.errors import NotFound, ServiceError
from twofold.core.middleware import SESSION_ORG_KEY
from twofold.core.models import Job, JobStatus
from twofold.core.policy import Action, can
from twofold.core.services import enqueue_job
from twofold.core.uploads import content_disposition
from twofold.core.web import (
    actor_of,
    apply_service_error,
    job_panel,
    organisation_of,
    organisation_required,
    render_page,
    requested_job,
)
from twofold.interchange import org_archive
from twofold.interchange.forms import OrganisationImportForm


def zip_response(payload: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(payload, content_type="application/zip")
    response["Content-Disposition"] = content_disposition(file_name)
    return response


def _job_context(request: HttpRequest) -> dict[str, Any]:
    job = requested_job(
        request,
        request.GET.get("job", ""),
        subject=organisation_of(request),
        kind=org_archive.EXPORT_JOB,
    )
    if job is None:
        return {}
    if job.is_finished:
        return {"job": job}
    return {
        "job": job,
        "job_panel": job_panel(
            request,
            job,
            title="Exporting the organisation",
            poll_url=request.get_full_path(),
            cancel_hint="Cancelling keeps nothing.",
        ),
    }


def _page(request: HttpRequest, form: OrganisationImportForm, *, status: int = 200) -> HttpResponse:
    org = organisation_of(request)
    is_owner = can(request.user, Action.OWN, org)
    job = _job_context(request) if request.method == "GET" else {}
    if getattr(request, "htmx", False) and request.method == "GET" and job:
        if "job_panel" in job:
            return render_page(request, "interchange/partials/org_export_job.html", job)
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    exports = (
        list(
            Job.objects.filter(
                organisation=org, kind=org_archive.EXPORT_JOB, status=JobStatus.SUCCEEDED
            ).select_related("owner")[:5]
        )
        if is_owner
        else []
    )
    return render_page(
        request,
        "interchange/pages/org_transfer.html",
        {
            "organisation": org,
            "is_owner": is_owner,
            "form": form,
            "exports": exports,
            "inline_rows": org_archive.INLINE_ROWS,
            "section": "settings",
            **job,
        },
        status=status,
    )


@organisation_required
def org_transfer(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST: export (owners): a small organisation downloads at once, a large
    one is exported by the background worker and offered for download when done."""
    if request.method != "POST":
        return _page(request, OrganisationImportForm())
    org = organisation_of(request)
    if not can(request.user, Action.OWN, org):
        return HttpResponse(
            "Only owners can export the organisation.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    if org_archive.count_rows(org) <= org_archive.INLINE_ROWS:
        return zip_response(org_archive.export_bytes(org), org_archive.export_file_name(org))
    try:
        job = enqueue_job(
            actor=actor_of(request), kind=org_archive.EXPORT_JOB, subject=org, action=Action.OWN
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("interchange:org_transfer")
    return redirect(f"{reverse('interchange:org_transfer')}?job={job.pk}")


@require_GET
@organisation_required
def org_export_download(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """The archive a finished export job wrote (owners only)."""
    org = organisation_of(request)
    try:
        job = core_selectors.get_job(
            request.user, org, job_id, subject=org, kind=org_archive.EXPORT_JOB
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not can(request.user, Action.OWN, org):
        return HttpResponse(
            "Only owners can download an export.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    name = (job.result or {}).get("file") if job.status == JobStatus.SUCCEEDED else None
    if not name or not default_storage.exists(name):
        raise Http404("This export is not ready, or it was removed.")
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=str((job.result or {}).get("file_name") or "organisation.zip"),
        content_type="application/zip",
    )


@require_POST
@organisation_required
def org_import(request: HttpRequest) -> HttpResponse:
    """Create a new organisation from an uploaded export; the importer becomes its owner."""
    form = OrganisationImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = org_archive.import_organisation(
            actor=actor_of(request), source=upload, name=form.cleaned_data["name"]
        )
    except ServiceError as exc:
        status = apply_service_error(form, exc)
        return _page(request, form, status=status)
    request.session[SESSION_ORG_KEY] = result.organisation.pk
    messages.success(
        request,
        f"{result.organisation.name} was imported: {sum(result.counts.values())} rows and "
        f"{result.files} files; {result.people_invited} people invited in the roles the "
        "archive gives them: they join when they accept (on their profile, after choosing a "
        "password through “Forgotten your password?” if they had no account). You are its "
        "owner.",
    )
    return redirect("projects:portfolio")
