"""API for background jobs: read a job's progress and result, ask it to stop."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from twofold.accounts.selectors import get_organisation
from twofold.core import selectors, services
from twofold.core.api_schemas import READ, WRITE, JobOut
from twofold.core.models import Job
from twofold.core.web import actor_of

router = Router(tags=["jobs"])


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.pk,
        kind=job.kind,
        status=job.status,  # type: ignore[arg-type]
        progress=round(job.progress, 4),
        message=job.message,
        cancel_requested=job.cancel_requested,
        result=job.result,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        url=f"/api/organisations/{job.organisation_id}/jobs/{job.pk}",
    )


@router.get(
    "/organisations/{org_id}/jobs/{job_id}",
    response={200: JobOut, **READ},
    summary="A background job: status, progress, and its result once it ended",
)
def get_job(request: HttpRequest, org_id: int, job_id: int) -> JobOut:
    organisation = get_organisation(request.user, org_id)
    return job_out(selectors.get_job(request.user, organisation, job_id))


@router.post(
    "/organisations/{org_id}/jobs/{job_id}/cancel",
    response={200: JobOut, **WRITE},
    summary="Cancel a job (its owner or an admin): queued ones stop at once, running ones soon",
)
def cancel_job(request: HttpRequest, org_id: int, job_id: int) -> JobOut:
    organisation = get_organisation(request.user, org_id)
    job = selectors.get_job(request.user, organisation, job_id)
    return job_out(services.cancel_job(actor=actor_of(request), job=job))
