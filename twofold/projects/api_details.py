"""API for what a task's and a board's pages do besides editing fields, and what they show.

A task's checklist (add, tick, remove items), indenting and outdenting a task, the board's WIP
limits, a project's health (the portfolio card's) and the history of a project or a task. The
same services and rules as the pages: a project you cannot see answers 404, a role that may not
act 403, a stale ``version`` 409, bad input 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictInt, StrictStr

from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.errors import NotFound
from twofold.core.history import name_references, readable_by, readable_changes
from twofold.core.models import HistoryEntry
from twofold.core.web import actor_of
from twofold.projects import selectors, services
from twofold.projects.api import TaskChangeOut, _moved, _project, _task_out
from twofold.projects.models import ChecklistItem, Project, Task, TaskStatus

router = Router(tags=["projects"])

PRJ = "/organisations/{org_id}/projects/{project_id}"
TASK = PRJ + "/tasks/{task_id}"


def _task(request: HttpRequest, org_id: int, project_id: int, task_id: int) -> Task:
    return selectors.get_task(request.user, _project(request, org_id, project_id), task_id)


# --- A task's checklist ------------------------------------------------------------------------


class ChecklistItemOut(Schema):
    id: int
    text: str
    done: bool


class ChecklistItemIn(BodyIn):
    text: StrictStr = Field(..., min_length=1, max_length=200)


class ChecklistTickIn(BodyIn):
    done: StrictBool = Field(
        ...,
        description="The state you want: two people ticking the same item both leave it ticked.",
    )


def _item(task: Task, item_id: int) -> ChecklistItem:
    item = ChecklistItem.objects.filter(task=task, pk=item_id).first()
    if item is None:
        raise NotFound("Checklist item not found.")
    item.task = task
    return item


def _item_out(item: ChecklistItem) -> ChecklistItemOut:
    return ChecklistItemOut(id=item.pk, text=item.text, done=item.done)


@router.get(TASK + "/checklist", response={200: list[ChecklistItemOut], **READ})
def list_checklist(
    request: HttpRequest, org_id: int, project_id: int, task_id: int
) -> list[ChecklistItemOut]:
    """The task's checklist, in the order the page shows it."""
    task = _task(request, org_id, project_id, task_id)
    return [_item_out(i) for i in selectors.checklist_of(task)]


@router.post(TASK + "/checklist", response={201: ChecklistItemOut, **WRITE})
def add_checklist_item(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, payload: ChecklistItemIn
) -> Status[ChecklistItemOut]:
    """Add an item at the end of the task's checklist (recorded in the task's history)."""
    task = _task(request, org_id, project_id, task_id)
    item = services.add_checklist_item(actor=actor_of(request), task=task, text=payload.text)
    return Status(201, _item_out(item))


@router.put(TASK + "/checklist/{item_id}", response={200: ChecklistItemOut, **WRITE})
def tick_checklist_item(
    request: HttpRequest,
    org_id: int,
    project_id: int,
    task_id: int,
    item_id: int,
    payload: ChecklistTickIn,
) -> ChecklistItemOut:
    """Tick (``done: true``) or untick one item."""
    item = _item(_task(request, org_id, project_id, task_id), item_id)
    services.toggle_checklist_item(actor=actor_of(request), item=item, done=payload.done)
    return _item_out(item)


@router.delete(TASK + "/checklist/{item_id}", response={204: None, **WRITE})
def delete_checklist_item(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, item_id: int
) -> Status[None]:
    """Remove one item from the checklist (recorded in the task's history)."""
    item = _item(_task(request, org_id, project_id, task_id), item_id)
    services.delete_checklist_item(actor=actor_of(request), item=item)
    return Status(204, None)


# --- Indent and outdent ------------------------------------------------------------------------


class TaskVersionIn(BodyIn):
    version: StrictInt = Field(..., description="The task's version; a stale one answers 409.")


@router.post(TASK + "/indent", response={200: TaskChangeOut, **WRITE})
def indent_task(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, payload: TaskVersionIn
) -> TaskChangeOut:
    """Make the task the last subtask of the task above it (422 naming ``parent`` when there is
    none, it is a milestone, or the two are linked); the project is rescheduled."""
    task = _task(request, org_id, project_id, task_id)
    moved = services.indent_task(
        actor=actor_of(request), task=task, expected_version=payload.version
    )
    return TaskChangeOut(task=_task_out(task), rescheduled=_moved(moved))


@router.post(TASK + "/outdent", response={200: TaskChangeOut, **WRITE})
def outdent_task(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, payload: TaskVersionIn
) -> TaskChangeOut:
    """Move the task up one level, after its former parent; the later siblings become its
    subtasks, as in Microsoft Project (422 naming ``parent`` at the top level)."""
    task = _task(request, org_id, project_id, task_id)
    moved = services.outdent_task(
        actor=actor_of(request), task=task, expected_version=payload.version
    )
    return TaskChangeOut(task=_task_out(task), rescheduled=_moved(moved))


# --- The board's WIP limits --------------------------------------------------------------------

Limit = StrictInt


class WipLimitsOut(Schema):
    todo: int = Field(..., description="0: no limit.")
    doing: int
    review: int
    done: int
    version: int = Field(..., description="The project's version (the limits are part of it).")


class WipLimitsIn(BodyIn):
    version: StrictInt = Field(..., description="The project's version; a stale one answers 409.")
    todo: Limit = Field(0, ge=0, le=999, description="0 or left out: no limit.")
    doing: Limit = Field(0, ge=0, le=999)
    review: Limit = Field(0, ge=0, le=999)
    done: Limit = Field(0, ge=0, le=999)


def _limits_out(project: Project) -> WipLimitsOut:
    limits = project.wip_limits or {}
    return WipLimitsOut(
        todo=limits.get(TaskStatus.TODO, 0),
        doing=limits.get(TaskStatus.DOING, 0),
        review=limits.get(TaskStatus.REVIEW, 0),
        done=limits.get(TaskStatus.DONE, 0),
        version=project.version,
    )


@router.get(PRJ + "/board/wip-limits", response={200: WipLimitsOut, **READ})
def get_wip_limits(request: HttpRequest, org_id: int, project_id: int) -> WipLimitsOut:
    """The most cards each board column should hold (0: no limit)."""
    return _limits_out(_project(request, org_id, project_id))


@router.put(PRJ + "/board/wip-limits", response={200: WipLimitsOut, **WRITE})
def put_wip_limits(
    request: HttpRequest, org_id: int, project_id: int, payload: WipLimitsIn
) -> WipLimitsOut:
    """Replace the board's WIP limits (admins, as on the board page)."""
    project = _project(request, org_id, project_id)
    services.set_wip_limits(
        actor=actor_of(request),
        project=project,
        limits={s: getattr(payload, s) for s in TaskStatus.values},
        expected_version=payload.version,
    )
    return _limits_out(project)


# --- Health ------------------------------------------------------------------------------------

LevelName = Literal["green", "amber", "red", "not_planned"]


class HealthOut(Schema):
    project_id: int
    level: LevelName = Field(..., description="Overall: the worst level any rule found.")
    label: str = Field(..., description='As the card shows it: "On track", "At risk", …')
    reasons: list[str] = Field(..., description="Every rule that fired, as the card lists them.")
    schedule: LevelName = Field(..., description="Slip, float, milestones and progress.")
    risk: LevelName = Field(..., description="Open high risks and processes in signal.")
    cost: LevelName | None = Field(
        ..., description="Cost performance and budget use; null when no cost is known."
    )
    percent_complete: float
    percent_planned: float
    slip_days: float | None = Field(..., description="Working days later than the baseline.")
    next_milestone: str
    next_milestone_date: dt.date | None


def health_fields(card: Any) -> dict[str, Any]:
    """A portfolio card's health as ``HealthOut`` writes it (also the reports API's rows)."""
    h = card.health
    return {
        "project_id": card.project.pk,
        "level": h.level.value,
        "label": h.label,
        "reasons": list(h.reasons),
        "schedule": (h.schedule or h.level).value,
        "risk": (h.risk or h.level).value,
        "cost": h.cost.value if h.cost else None,
        "percent_complete": card.percent_complete,
        "percent_planned": card.percent_planned,
        "slip_days": card.slip_days,
        "next_milestone": card.next_milestone,
        "next_milestone_date": card.next_milestone_date,
    }


@router.get(PRJ + "/health", response={200: HealthOut, **READ})
def project_health(request: HttpRequest, org_id: int, project_id: int) -> HealthOut:
    """The project's health as its portfolio card computes it (same rules, same reasons;
    docs/projects.md and docs/earned-value.md)."""
    project = _project(request, org_id, project_id)
    return HealthOut(**health_fields(selectors.project_card(project.organisation, project)))


# --- History -----------------------------------------------------------------------------------


class HistoryChangeOut(Schema):
    field: str
    before: str
    after: str


class HistoryEntryOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor: str
    action: str = Field(..., description='"created", "updated", "checklist", "indented", …')
    summary: str
    changes: list[HistoryChangeOut] = Field(..., description="Each changed field, as text.")


class HistoryQuery(Schema):
    offset: int = Field(0, ge=0, le=10**9, description="Entries to skip.")
    limit: int = Field(50, ge=1, le=200, description="Entries per page, 1 to 200.")


def _history(viewer: Any, obj: Project | Task, query: HistoryQuery) -> list[HistoryEntryOut]:
    rows = HistoryEntry.objects.filter(
        content_type__app_label=obj._meta.app_label,
        content_type__model=obj._meta.model_name,
        object_id=obj.pk,
        organisation_id=obj.organisation_id,
    ).select_related("actor")[query.offset : query.offset + query.limit]
    entries = name_references(readable_by(viewer, obj, list(rows)))
    return [
        HistoryEntryOut(
            id=e.pk,
            at=e.at,
            actor_id=e.actor_id,
            actor=e.actor.display_name if e.actor else "Someone",
            action=e.action,
            summary=e.summary,
            changes=[
                HistoryChangeOut(field=c.label, before=c.before, after=c.after)
                for c in readable_changes(e)
            ],
        )
        for e in entries
    ]


@router.get(PRJ + "/history", response={200: list[HistoryEntryOut], **READ, 422: WRITE[422]})
def project_history(
    request: HttpRequest, org_id: int, project_id: int, query: Query[HistoryQuery]
) -> list[HistoryEntryOut]:
    """The project's own history (the project page's), newest first. Entries with amounts
    (budget lines, rates, the budget ceiling) only for those who see the project's money: a
    page can then hold fewer than ``limit`` entries; ``offset`` counts them all."""
    return _history(request.user, _project(request, org_id, project_id), query)


@router.get(TASK + "/history", response={200: list[HistoryEntryOut], **READ, 422: WRITE[422]})
def task_history(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, query: Query[HistoryQuery]
) -> list[HistoryEntryOut]:
    """The task's history (the task page's: edits, checklist, indent, comments), newest first."""
    return _history(request.user, _task(request, org_id, project_id, task_id), query)
