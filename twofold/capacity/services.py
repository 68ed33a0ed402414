"""Writes for capacity: applying a levelling preview through the projects services.

Capacity writes no task rows itself: each move becomes a "start no earlier than" constraint set
by :func:`twofold.projects.services.update_task`, which checks the task's version, records
history and reschedules the project; all moves share one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from twofold.accounts.models import User
from twofold.capacity import levelling
from twofold.core import history
from twofold.core.errors import Conflict, Invalid
from twofold.core.models import Job
from twofold.core.policy import Action, require
from twofold.core.services import enqueue_job
from twofold.engine.levelling import Method
from twofold.projects import services as project_services
from twofold.projects.models import Constraint, Project

STALE = (
    "The project changed since this preview was made (a task, a link or the project itself). "
    "Preview again to level the current plan."
)


@dataclass(frozen=True)
class Applied:
    project: Project
    moved: int
    finish: dt.datetime | None


LEVELLING_JOB = "capacity.levelling"


def _optimise_seconds(seconds: float | None) -> float:
    limit = seconds if seconds is not None else 5
    if not 1 <= limit <= levelling.MAX_OPTIMISE_SECONDS:
        raise Invalid(
            f"Optimise for 1 to {levelling.MAX_OPTIMISE_SECONDS} seconds.", field="seconds"
        )
    return float(limit)


def preview_levelling(
    *,
    actor: User,
    project: Project,
    method: Method = "heuristic",
    seconds: float | None = None,
    progress: levelling.LevelProgress | None = None,
) -> levelling.Preview:
    """A levelling preview; levelling is planning work, so it needs the right to edit tasks.

    Pages and the API run "optimise" as a job (:func:`start_levelling`); ``progress`` is the
    job's reporter.
    """
    require(actor, Action.EDIT, project)
    if method == "optimise":
        return levelling.preview(
            project, method="optimise", seconds=_optimise_seconds(seconds), progress=progress
        )
    return levelling.preview(project)


def start_levelling(*, actor: User, project: Project, seconds: float | None = None) -> Job:
    """Queue an "optimise" levelling of ``project`` for up to ``seconds`` (a background job).

    Its result is the preview as JSON (``levelling.preview_as_json``); nothing is applied.
    """
    require(actor, Action.EDIT, project)
    limit = _optimise_seconds(seconds)
    return enqueue_job(actor=actor, kind=LEVELLING_JOB, subject=project, params={"seconds": limit})


@transaction.atomic
def apply_levelling(
    *, actor: User, project: Project, version: str, moves: dict[int, dt.date]
) -> Applied:
    """Set each moved task's start-no-earlier-than date, if the project is still as previewed.

    Raises:
        Conflict: the project changed since the preview (``version`` is stale).
        Invalid: a move would break a link or a hard constraint, or names no task of the project.
    """
    require(actor, Action.EDIT, project)
    locked = Project.objects.select_for_update().get(pk=project.pk)
    project.version = locked.version
    built = levelling.build(project)
    if version != built.version:
        raise Conflict(STALE)
    if not moves:
        raise Invalid("Nothing to apply: levelling moves no task.", field="moves")
    problems = levelling.check_moves(built, moves)
    if problems:
        raise Invalid(f"This levelling cannot be applied: {problems[0]}", field="moves")
    tasks = {t.pk: t for t in built.tasks}
    for task_id, day in sorted(moves.items(), key=lambda item: item[1]):
        task = tasks[task_id]
        task.project = project
        if task.constraint_type == Constraint.SNET and task.constraint_date == day:
            continue
        project_services.update_task(
            actor=actor,
            task=task,
            expected_version=task.version,
            constraint_type=Constraint.SNET,
            constraint_date=day,
        )
    project.refresh_from_db()
    history.record(
        actor=actor,
        obj=project,
        action="levelled",
        changes={"moved": [None, len(moves)]},
        summary=f"Levelled {project.code}: {len(moves)} task{'s' if len(moves) != 1 else ''} "
        "moved by start-no-earlier-than constraints",
    )
    return Applied(project, len(moves), project.scheduled_finish)
