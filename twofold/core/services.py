"""Writes for background jobs: enqueue one, or ask one to stop (the worker does the rest)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.core import jobs
from twofold.core.concurrency import lock_rows
from twofold.core.errors import Forbidden, Invalid
from twofold.core.models import Job, JobStatus
from twofold.core.policy import Action, can, organisation_id_of, require

MAX_ACTIVE_PER_USER = 3
"""Queued or running jobs one person may have at once (each can occupy a worker for minutes)."""

# Jobs are not recorded in the history: a job is a computation, not a change to the plan, and
# its own row keeps who started it, when, and how it ended. What a job writes (a simulation's
# result) is recorded by the service it calls.


@transaction.atomic
def enqueue_job(
    *,
    actor: User,
    kind: str,
    subject: models.Model,
    params: dict[str, Any] | None = None,
    action: Action = Action.EDIT,
) -> Job:
    """Queue a job of ``kind`` on ``subject``; the actor needs ``action`` on the subject.

    Raises:
        NotFound / Forbidden: from the policy.
        Invalid: an unknown kind, or the actor already has too many jobs going.
    """
    require(actor, action, subject)
    if jobs.kind_of(kind) is None:
        raise Invalid(f"Unknown kind of job: {kind}.", field="kind")
    with transaction.atomic():
        # The person's row locked while counting: two requests at once each counted the other
        # out and both queued past the limit.
        lock_rows(User.objects.filter(pk=actor.pk))
        return _enqueue_counted(actor, kind, subject, params)


def _enqueue_counted(
    actor: User, kind: str, subject: models.Model, params: dict[str, Any] | None
) -> Job:
    active = Job.objects.filter(
        owner=actor, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).count()
    if active >= MAX_ACTIVE_PER_USER:
        raise Invalid(
            f"You already have {active} background runs going: wait for one to finish or cancel it."
        )
    return Job.objects.create(
        organisation_id=organisation_id_of(subject),
        kind=kind,
        owner=actor,
        subject_type=ContentType.objects.get_for_model(subject._meta.model),
        subject_id=subject.pk,
        params=dict(params or {}),
    )


def cancel_job(*, actor: User, job: Job) -> Job:
    """Stop ``job``: a queued one at once, a running one at its next progress report.

    Only the person who started it or an admin of its organisation may cancel. Cancelling a
    finished job changes nothing.

    Raises:
        NotFound: the actor cannot see the job. Forbidden: someone else's job, and no admin.
    """
    require(actor, Action.VIEW, job)
    if job.owner_id != actor.pk and not can(actor, Action.MANAGE, job):
        raise Forbidden("Only the person who started this run, or an admin, can cancel it.")
    # Two conditional updates, each atomic on its own: whichever matches the job's state wins.
    # A queued job ends here, so its kind's on_abandoned hook runs in the same transaction (an
    # upload "importing" is ready again); a running one ends in its worker, which runs it.
    now = timezone.now()
    with transaction.atomic():
        stopped = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED, cancel_requested=True, finished_at=now, message="Cancelled"
        )
        if stopped:
            jobs.abandoned(job)
    if not stopped:
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            cancel_requested=True, message="Cancelling…"
        )
    job.refresh_from_db()
    return job
