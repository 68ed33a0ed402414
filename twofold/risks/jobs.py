"""The background job of risks: a large Monte Carlo run (registered in ``RisksConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from twofold.core.errors import NotFound
from twofold.core.jobs import JobKind, Progress
from twofold.core.models import Job
from twofold.projects.models import Project
from twofold.risks import services
from twofold.risks.models import RiskAnalysis


def run(job: Job, progress: Progress) -> dict[str, Any]:
    project = Project.objects.select_related("organisation").filter(pk=job.subject_id).first()
    if project is None or job.owner is None:
        raise NotFound("The project or the person who started this run no longer exists.")
    return services.simulate_in_background(
        actor=job.owner,
        project=project,
        expected_version=int(job.params["version"]),
        progress=progress,
    )


def page_url(job: Job) -> str:
    return f"{reverse('risks:schedule', args=[job.subject_id])}?job={job.pk}"


SIMULATION = JobKind(
    name=services.SIMULATION_JOB,
    label="Schedule risk simulation",
    run=run,
    page_url=page_url,
    # Same seed, same result; only while it is not stored yet (storing it moves the version).
    repeatable=lambda job: RiskAnalysis.objects.filter(
        project_id=job.subject_id, version=int(job.params.get("version", 0))
    ).exists(),
)
