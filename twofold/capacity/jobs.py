"""The background job of capacity: an "optimise" levelling (registered in ``CapacityConfig``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from twofold.capacity import levelling, services
from twofold.core.errors import NotFound
from twofold.core.jobs import JobKind, Progress
from twofold.core.models import Job
from twofold.projects.models import Project


def run(job: Job, progress: Progress) -> dict[str, Any]:
    project = Project.objects.select_related("organisation").filter(pk=job.subject_id).first()
    if project is None or job.owner is None:
        raise NotFound("The project or the person who started this levelling no longer exists.")
    preview = services.preview_levelling(
        actor=job.owner,
        project=project,
        method="optimise",
        seconds=float(job.params.get("seconds", 5)),
        progress=progress,
    )
    return levelling.preview_as_json(preview)


def page_url(job: Job) -> str:
    return f"{reverse('capacity:level', args=[job.subject_id])}?job={job.pk}"


LEVELLING = JobKind(
    name=services.LEVELLING_JOB,
    label="Levelling (optimise)",
    run=run,
    page_url=page_url,
    repeatable=True,  # a preview: nothing is written
)
