"""Reads for background jobs, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from twofold.accounts.models import Organisation
from twofold.core.errors import NotFound
from twofold.core.models import Job
from twofold.core.policy import Action, can


def _model_of(job: Job) -> type[models.Model] | None:
    # The content-type cache answers without a query after the first time.
    return ContentType.objects.get_for_id(job.subject_type_id).model_class()


def subject_of(job: Job) -> models.Model | None:
    """The object the job works on, or None if it was deleted (one query)."""
    model = _model_of(job)
    if model is None:
        return None
    return model._default_manager.filter(pk=job.subject_id).first()


def get_job(
    user: Any,
    organisation: Organisation,
    job_id: int,
    *,
    subject: models.Model | None = None,
    kind: str | None = None,
) -> Job:
    """The job if ``user`` may see it (and its subject), else ``NotFound``.

    Pass ``subject`` when the caller already resolved it through its own selector (a page of
    that object): the job must then be about that object, and no further query is made.
    """
    job = Job.objects.filter(pk=job_id, organisation=organisation).select_related("owner").first()
    if job is None or not can(user, Action.VIEW, job):
        raise NotFound("Job not found.")
    if kind is not None and job.kind != kind:
        raise NotFound("Job not found.")
    if subject is not None:
        if job.subject_id != subject.pk or _model_of(job) is not type(subject):
            raise NotFound("Job not found.")
        return job
    found = subject_of(job)
    if found is None or not can(user, Action.VIEW, found):
        raise NotFound("Job not found.")
    return job
