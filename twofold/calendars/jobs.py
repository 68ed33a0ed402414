"""The background job of calendars: rescheduling many projects after a calendar change
(registered in ``CalendarsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from twofold.calendars import services
from twofold.core.jobs import JobKind, Progress
from twofold.core.models import Job


def run(job: Job, progress: Progress) -> dict[str, Any]:
    params = job.params
    moved = services.reschedule_now(
        job.owner,
        job.organisation_id,
        [int(i) for i in params["calendar_ids"]],
        bool(params["default"]),
        str(params.get("reason", "")),
        progress,
    )
    return {**moved.as_json(), "summary": moved.summary}


def page_url(job: Job) -> str:
    return f"{reverse('calendars:detail', args=[job.subject_id])}?job={job.pk}"


RESCHEDULE = JobKind(
    name=services.RESCHEDULE_JOB,
    label="Reschedule after a calendar change",
    run=run,
    page_url=page_url,
    repeatable=True,  # rescheduling again moves only what is not where it belongs yet
)
