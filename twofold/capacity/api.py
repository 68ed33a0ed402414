"""API for capacity: usage per person and week, levelling preview and apply (same services)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.models import Team
from twofold.accounts.selectors import get_organisation
from twofold.capacity import levelling, selectors, services
from twofold.core.api import job_out
from twofold.core.api_schemas import READ, WRITE, JobOut
from twofold.core.errors import Invalid
from twofold.core.web import actor_of
from twofold.projects import selectors as project_selectors
from twofold.projects.api import StrictDate

router = Router(tags=["capacity"])


class UsageQuery(Schema):
    start: dt.date | None = Field(None, description="Any day of the first week (default: today).")
    weeks: int = Field(selectors.DEFAULT_WEEKS, ge=1, le=selectors.MAX_WEEKS)
    team_id: int | None = None


class PersonUsageOut(Schema):
    id: int
    name: str
    capacity: float = Field(..., description="Weekly capacity in hours.")
    hours: list[float] = Field(..., description="Hours planned in each week of `weeks`.")


class UsageOut(Schema):
    weeks: list[dt.date] = Field(..., description="The Monday of each week.")
    people: list[PersonUsageOut]


class LevelIn(Schema):
    method: Literal["heuristic", "optimise"] = "heuristic"
    seconds: StrictInt = Field(5, ge=1, le=levelling.MAX_OPTIMISE_SECONDS)


class MoveOut(Schema):
    task_id: int
    name: str
    assignee: str | None
    start_before: dt.date
    start_after: dt.date
    finish_before: dt.date
    finish_after: dt.date
    delay_days: int
    reason: str


class PreviewOut(Schema):
    version: str = Field(..., description="Send it back to apply; a changed project answers 409.")
    method: str
    finish_before: dt.date | None
    finish_after: dt.date | None
    moves: list[MoveOut]
    error: str
    stopped_early: bool = Field(False, description="A cancelled optimisation: its best plan.")


class MoveIn(Schema):
    task_id: StrictInt
    start: StrictDate


class ApplyIn(Schema):
    version: StrictStr = Field(..., max_length=40)
    moves: list[MoveIn] = Field(..., min_length=1, max_length=2000)


class AppliedOut(Schema):
    moved: int
    finish: dt.datetime | None


@router.get(
    "/organisations/{org_id}/capacity/usage",
    response={200: UsageOut, **READ},
    summary="Hours planned per person and week (project tasks and routines)",
)
def usage(request: HttpRequest, org_id: int, query: Query[UsageQuery]) -> UsageOut:
    organisation = get_organisation(request.user, org_id)
    team = None
    if query.team_id is not None:
        team = Team.objects.filter(organisation=organisation, pk=query.team_id).first()
        if team is None:
            raise Invalid("No such team in this organisation.", field="team_id")
    grid = selectors.usage(
        organisation, first=query.start or timezone.localdate(), weeks=query.weeks, team=team
    )
    return UsageOut.model_validate(selectors.as_json(grid))


def _preview_out(preview: levelling.Preview) -> PreviewOut:
    return PreviewOut(
        version=preview.version,
        method=preview.method,
        finish_before=preview.finish_before,
        finish_after=preview.finish_after,
        error=preview.error,
        stopped_early=preview.stopped_early,
        moves=[
            MoveOut(
                task_id=m.task.pk,
                name=m.task.name,
                assignee=m.task.assignee.display_name if m.task.assignee else None,
                start_before=m.start_before,
                start_after=m.start_after,
                finish_before=m.finish_before,
                finish_after=m.finish_after,
                delay_days=m.delay_days,
                reason=m.reason,
            )
            for m in preview.moves
        ],
    )


@router.post(
    "/organisations/{org_id}/projects/{project_id}/level/preview",
    response={200: PreviewOut, 202: JobOut, **WRITE},
    summary="Level a project: what would move, by how much and why (nothing is saved)",
    description=(
        'The quick "heuristic" answers 200 with the preview. "optimise" runs in the background '
        "and answers 202 with the job: poll its `url` until it ends; its `result` is this "
        "preview (a cancelled job keeps the best plan found, with `stopped_early`)."
    ),
)
def level_preview(
    request: HttpRequest, org_id: int, project_id: int, payload: LevelIn
) -> PreviewOut | Status[JobOut]:
    organisation = get_organisation(request.user, org_id)
    project = project_selectors.get_project(request.user, organisation, project_id)
    if payload.method == "optimise":
        job = services.start_levelling(
            actor=actor_of(request), project=project, seconds=payload.seconds
        )
        return Status(202, job_out(job))
    preview = services.preview_levelling(actor=actor_of(request), project=project)
    return _preview_out(preview)


@router.post(
    "/organisations/{org_id}/projects/{project_id}/level/apply",
    response={200: AppliedOut, **WRITE},
    summary="Apply a levelling preview as start-no-earlier-than constraints",
)
def level_apply(request: HttpRequest, org_id: int, project_id: int, payload: ApplyIn) -> AppliedOut:
    organisation = get_organisation(request.user, org_id)
    project = project_selectors.get_project(request.user, organisation, project_id)
    moves = {m.task_id: m.start for m in payload.moves}
    applied = services.apply_levelling(
        actor=actor_of(request), project=project, version=payload.version, moves=moves
    )
    return AppliedOut(moved=applied.moved, finish=applied.finish)
