"""Health check, and the job pages that are not a page of another app."""

from __future__ import annotations

from django.contrib import messages
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from twofold.core import jobs, selectors, services
from twofold.core.errors import Forbidden, NotFound
from twofold.core.models import Job, JobStatus
from twofold.core.web import actor_of, organisation_of, organisation_required, same_site_path


def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the database status when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "unhealthy"
        return JsonResponse(
            {"status": "error", "database": f"unavailable: {type(exc).__name__}"}, status=503
        )
    return JsonResponse({"status": "ok", "database": connection.vendor})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico: send them to the static (hashed) icon."""
    return redirect(static("twofold/favicon.ico"))


@organisation_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """A job's own address: the page of the object it works on, which shows its progress."""
    job = _job(request, job_id)
    kind = jobs.kind_of(job.kind)
    if kind is None:
        raise Http404("Job not found.")
    return redirect(kind.page_url(job))


@organisation_required
@require_POST
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    try:
        job = services.cancel_job(actor=actor_of(request), job=job)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Forbidden as exc:
        return HttpResponse(exc.message, status=403, content_type="text/plain; charset=utf-8")
    if job.status == JobStatus.CANCELLED:
        messages.info(request, "The run was cancelled.")
    elif not job.is_finished:
        messages.info(request, "Cancelling: the run stops at its next progress report.")
    target = same_site_path(request, request.POST.get("next", ""))
    if not target:
        kind = jobs.kind_of(job.kind)
        target = kind.page_url(job) if kind else "/"
    return redirect(target)


def _job(request: HttpRequest, job_id: int) -> Job:
    try:
        return selectors.get_job(request.user, organisation_of(request), job_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
