"""API for resource-driven scheduling of a task: people with units and work, task type,
effort-driven (the same services as the task page; rules in ``twofold.engine.effort``)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictInt

from twofold.accounts.models import Membership, User
from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.errors import Invalid, fields_as
from twofold.core.web import actor_of
from twofold.projects import resourcing, selectors
from twofold.projects.models import Task
from twofold.projects.scheduling import Schedule

router = Router(tags=["projects"])

PEOPLE = "/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/people"
TaskTypeName = Literal["fixed_units", "fixed_duration", "fixed_work"]


class TaskPersonOut(Schema):
    person_id: int
    name: str
    units: int
    work_minutes: int


class TaskPeopleOut(Schema):
    task_id: int
    version: int
    task_type: TaskTypeName
    effort_driven: bool
    duration_minutes: int
    work_minutes: int = Field(..., description="The task's work: the sum of its people's work.")
    people: list[TaskPersonOut]
    moved: int | None = Field(None, description="Tasks the change rescheduled (none: no change).")


class TaskPersonIn(BodyIn):
    version: StrictInt = Field(..., description="The task's version (409 if stale).")
    person_id: StrictInt
    units: StrictInt = Field(100, description="Percent of the person's day (100 = full time).")


class TaskPersonUnitsIn(BodyIn):
    version: StrictInt = Field(..., description="The task's version (409 if stale).")
    units: StrictInt


class TaskResourcingIn(BodyIn):
    version: StrictInt = Field(..., description="The task's version (409 if stale).")
    task_type: TaskTypeName
    effort_driven: StrictBool
    work_minutes: StrictInt | None = Field(
        None, ge=0, le=resourcing.MAX_WORK_MINUTES, description="New work (optional)."
    )


def _task(request: HttpRequest, org_id: int, project_id: int, task_id: int) -> Task:
    project = selectors.get_project(
        request.user, get_organisation(request.user, org_id), project_id
    )
    return selectors.get_task(request.user, project, task_id)


def _person(task: Task, person_id: int) -> User:
    person = User.objects.filter(
        pk=person_id,
        pk__in=Membership.objects.filter(organisation_id=task.organisation_id).values("user_id"),
    ).first()
    if person is None:
        raise Invalid(f"No person {person_id} in this organisation.", field="person_id")
    return person


def _out(task: Task, moved: Schedule | None = None) -> TaskPeopleOut:
    task.refresh_from_db(
        fields=["version", "duration_minutes", "task_type", "effort_driven", "assignee"]
    )
    people = resourcing.people_of(task)
    return TaskPeopleOut(
        task_id=task.pk,
        version=task.version,
        task_type=task.task_type,  # type: ignore[arg-type]
        effort_driven=task.effort_driven,
        duration_minutes=task.duration_minutes,
        work_minutes=sum(s.work for _, s in people),
        people=[
            TaskPersonOut(
                person_id=person.pk,
                name=person.display_name,
                units=s.units,
                work_minutes=s.work,
            )
            for person, s in people
        ],
        moved=len(moved.moved) if moved is not None else None,
    )


@router.get(
    PEOPLE,
    response={200: TaskPeopleOut, **READ},
    summary="A task's people with units and work, its task type and effort-driven flag",
)
def get_people(request: HttpRequest, org_id: int, project_id: int, task_id: int) -> TaskPeopleOut:
    return _out(_task(request, org_id, project_id, task_id))


@router.post(
    PEOPLE,
    response={201: TaskPeopleOut, **WRITE},
    summary="Add a person at some units (effort-driven: the work is shared, the duration follows)",
)
def add_person(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, payload: TaskPersonIn
) -> Status[TaskPeopleOut]:
    task = _task(request, org_id, project_id, task_id)
    moved = resourcing.add_person(
        actor=actor_of(request),
        task=task,
        person=_person(task, payload.person_id),
        units=payload.units,
        expected_version=payload.version,
    )
    return Status(201, _out(task, moved))


@router.patch(
    PEOPLE + "/{user_id}",
    response={200: TaskPeopleOut, **WRITE},
    summary="Change a person's units (duration or work follows, by the task type)",
)
def set_units(
    request: HttpRequest,
    org_id: int,
    project_id: int,
    task_id: int,
    user_id: int,
    payload: TaskPersonUnitsIn,
) -> TaskPeopleOut:
    task = _task(request, org_id, project_id, task_id)
    person = _person(task, user_id)
    moved = resourcing.set_person_units(
        actor=actor_of(request),
        task=task,
        person=person,
        units=payload.units,
        expected_version=payload.version,
    )
    return _out(task, moved)


@router.delete(
    PEOPLE + "/{user_id}",
    response={200: TaskPeopleOut, **WRITE},
    summary="Take a person off the task (pass the task's version)",
)
def remove_person(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, user_id: int, version: int
) -> TaskPeopleOut:
    task = _task(request, org_id, project_id, task_id)
    moved = resourcing.remove_person(
        actor=actor_of(request), task=task, person_id=user_id, expected_version=version
    )
    return _out(task, moved)


@router.put(
    "/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/resourcing",
    response={200: TaskPeopleOut, **WRITE},
    summary="Set the task type, effort-driven flag and (optionally) the task's work",
)
def set_resourcing(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, payload: TaskResourcingIn
) -> TaskPeopleOut:
    task = _task(request, org_id, project_id, task_id)
    # The service names the page's field ("work"); the body's is work_minutes.
    with fields_as({"work": "work_minutes"}):
        moved = resourcing.set_task_resourcing(
            actor=actor_of(request),
            task=task,
            task_type=payload.task_type,
            effort_driven=payload.effort_driven,
            work_minutes=payload.work_minutes,
            expected_version=payload.version,
        )
    return _out(task, moved)
