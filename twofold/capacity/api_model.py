"""API of the capacity model: reservations, queue handling times, task assignments, the drill into
one cell, "can we take this on?" and clearing levelling. Routes on the capacity router."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Schema
from ninja.params.functions import Query as QueryParam
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.models import Organisation, Team, User
from twofold.accounts.selectors import get_organisation
from twofold.capacity import selectors, services
from twofold.capacity import take_on as take_on_model
from twofold.capacity.api import AppliedOut, router
from twofold.capacity.models import Reservation
from twofold.core.api_schemas import READ, WRITE, ErrorOut
from twofold.core.errors import Invalid, NotFound
from twofold.core.web import actor_of
from twofold.operations.models import Queue
from twofold.projects import resourcing
from twofold.projects import selectors as project_selectors
from twofold.projects.api import StrictDate
from twofold.projects.models import Assignment, Phase, Task

RESERVATIONS = "/organisations/{org_id}/capacity/reservations"


class CapacityReservationOut(Schema):
    id: int
    label: str
    percent: int
    person_id: int | None
    team_id: int | None
    start: dt.date
    end: dt.date | None
    version: int


class CapacityReservationIn(Schema):
    label: StrictStr = Field(..., max_length=120, description='e.g. "On-call for Line 2".')
    percent: StrictInt = Field(
        ...,
        description="Share of each day's available hours, 1 to 100 (all of a person's "
        "reservations add up to 100 at most).",
    )
    person_id: StrictInt | None = Field(None, description="One person, or:")
    team_id: StrictInt | None = Field(None, description="every member of a team.")
    start: StrictDate
    end: StrictDate | None = Field(None, description="None: until further notice.")


class CapacityReservationPatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    label: StrictStr | None = Field(None, max_length=120)
    percent: StrictInt | None = None
    start: StrictDate | None = None
    end: StrictDate | None = None


def _reservation_out(r: Reservation) -> CapacityReservationOut:
    return CapacityReservationOut(
        id=r.pk,
        label=r.label,
        percent=r.percent,
        person_id=r.person_id,
        team_id=r.team_id,
        start=r.start,
        end=r.end,
        version=r.version,
    )


def _who(
    organisation: Organisation, person_id: int | None, team_id: int | None
) -> dict[str, object]:
    person = team = None
    if person_id is not None:
        person = selectors.person_in(organisation, person_id)
        if person is None:
            raise Invalid("No such person in this organisation.", field="person_id")
    if team_id is not None:
        team = Team.objects.filter(organisation=organisation, pk=team_id).first()
        if team is None:
            raise Invalid("No such team in this organisation.", field="team_id")
    return {"person": person, "team": team}


@router.get(
    RESERVATIONS,
    response={200: list[CapacityReservationOut], **READ},
    summary="Standing reservations that have not ended",
)
def list_reservations(request: HttpRequest, org_id: int) -> list[CapacityReservationOut]:
    organisation = get_organisation(request.user, org_id)
    today = timezone.localdate()
    rows = (
        Reservation.objects.filter(organisation=organisation)
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .order_by("start", "pk")
    )
    return [_reservation_out(r) for r in rows]


@router.post(
    RESERVATIONS,
    response={201: CapacityReservationOut, **WRITE},
    summary="Reserve a share of a person's or a team's time (over 100 % in total is refused)",
)
def create_reservation(
    request: HttpRequest, org_id: int, payload: CapacityReservationIn
) -> Status[CapacityReservationOut]:
    organisation = get_organisation(request.user, org_id)
    reservation = services.create_reservation(
        actor=actor_of(request),
        organisation=organisation,
        label=payload.label,
        percent=payload.percent,
        start=payload.start,
        end=payload.end,
        **_who(organisation, payload.person_id, payload.team_id),
    )
    return Status(201, _reservation_out(reservation))


def _reservation(request: HttpRequest, org_id: int, reservation_id: int) -> Reservation:
    organisation = get_organisation(request.user, org_id)
    reservation = (
        Reservation.objects.filter(organisation=organisation, pk=reservation_id)
        .select_related("organisation", "person", "team")
        .first()
    )
    if reservation is None:
        raise NotFound("Reservation not found.")
    return reservation


@router.patch(
    RESERVATIONS + "/{reservation_id}",
    response={200: CapacityReservationOut, **WRITE},
    summary="Change a reservation (send the version you read)",
)
def update_reservation(
    request: HttpRequest, org_id: int, reservation_id: int, payload: CapacityReservationPatch
) -> CapacityReservationOut:
    reservation = _reservation(request, org_id, reservation_id)
    values = payload.model_dump(exclude_unset=True, exclude={"version"})
    updated = services.update_reservation(
        actor=actor_of(request),
        reservation=reservation,
        expected_version=payload.version,
        **values,
    )
    return _reservation_out(updated)


@router.delete(
    RESERVATIONS + "/{reservation_id}",
    response={204: None, **WRITE},
    summary="Remove a reservation",
)
def delete_reservation(
    request: HttpRequest, org_id: int, reservation_id: int, version: int | None = None
) -> Status[None]:
    """``version``: as you read it (409 if the reservation changed since)."""
    reservation = _reservation(request, org_id, reservation_id)
    services.delete_reservation(
        actor=actor_of(request), reservation=reservation, expected_version=version
    )
    return Status(204, None)


class QueueWorkloadIn(Schema):
    handling_minutes: StrictInt = Field(..., description="Mean minutes to handle one request.")
    version: StrictInt | None = Field(
        None,
        description="The version you read (409 if stale); 0 when the queue was on the default.",
    )


class QueueWorkloadOut(Schema):
    queue_id: int
    handling_minutes: int
    version: int


@router.put(
    "/organisations/{org_id}/capacity/queues/{queue_id}/workload",
    response={200: QueueWorkloadOut, **WRITE},
    summary="Set a queue's mean handling time (its forecast load in the capacity model)",
)
def set_queue_workload(
    request: HttpRequest, org_id: int, queue_id: int, payload: QueueWorkloadIn
) -> QueueWorkloadOut:
    organisation = get_organisation(request.user, org_id)
    queue = (
        Queue.objects.filter(organisation=organisation, pk=queue_id)
        .select_related("organisation")
        .first()
    )
    if queue is None:
        raise NotFound("Queue not found.")
    row = services.set_queue_workload(
        actor=actor_of(request),
        queue=queue,
        handling_minutes=payload.handling_minutes,
        expected_version=payload.version,
    )
    return QueueWorkloadOut(
        queue_id=queue.pk, handling_minutes=row.handling_minutes, version=row.version
    )


# ---------------------------------------------------------------------------------------------
# Assignments

ASSIGNMENTS = "/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/assignments"


class TaskAssignmentIn(Schema):
    person_id: StrictInt
    units: StrictInt = Field(100, description="Percent of the person's day (100 = full time).")
    work_minutes: StrictInt | None = Field(
        None,
        description="This person's work on the task; default: the task's effort shared "
        "by units over all its people (or duration × units without effort). Stored on the "
        "row either way; the task's work becomes the sum of its people's. The duration stays: "
        "to have it follow the task type's rules, use …/tasks/{task_id}/people.",
    )


class TaskAssignmentsIn(Schema):
    version: StrictInt = Field(..., description="The task's version (409 if stale).")
    assignments: list[TaskAssignmentIn] = Field(..., max_length=50)


class TaskAssignmentOut(Schema):
    person_id: int
    name: str
    units: int
    work_minutes: int | None


class TaskAssignmentsOut(Schema):
    task_id: int
    assignee_id: int | None = Field(..., description="The primary (first) assignee.")
    version: int
    assignments: list[TaskAssignmentOut]


def _task(request: HttpRequest, org_id: int, project_id: int, task_id: int) -> Task:
    organisation = get_organisation(request.user, org_id)
    project = project_selectors.get_project(request.user, organisation, project_id)
    task = Task.objects.filter(project=project, pk=task_id).first()
    if task is None:
        raise NotFound("Task not found.")
    task.project = project
    return task


def _assignments_out(task: Task) -> TaskAssignmentsOut:
    rows = list(Assignment.objects.filter(task=task).select_related("person"))
    if not rows and task.assignee_id is not None:
        person = User.objects.get(pk=task.assignee_id)
        # An assignee alone works the task's work over its duration (the People API, the panel
        # and the capacity model say so; this said 100 % for a 12-day task of 24 hours).
        shares = resourcing.shares_of(task, [])
        units = shares[0].units if shares else 100
        out = [
            TaskAssignmentOut(
                person_id=person.pk, name=person.display_name, units=units, work_minutes=None
            )
        ]
    else:
        out = [
            TaskAssignmentOut(
                person_id=a.person_id,
                name=a.person.display_name,
                units=a.units,
                work_minutes=a.work_minutes,
            )
            for a in rows
        ]
    return TaskAssignmentsOut(
        task_id=task.pk, assignee_id=task.assignee_id, version=task.version, assignments=out
    )


@router.get(
    ASSIGNMENTS,
    response={200: TaskAssignmentsOut, **READ},
    summary="The people on a task, with units (the assignee alone at 100 % without rows)",
)
def get_assignments(
    request: HttpRequest, org_id: int, project_id: int, task_id: int
) -> TaskAssignmentsOut:
    return _assignments_out(_task(request, org_id, project_id, task_id))


@router.put(
    ASSIGNMENTS,
    response={200: TaskAssignmentsOut, **WRITE},
    summary="Put people on a task with units; the first becomes the task's assignee",
)
def put_assignments(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, payload: TaskAssignmentsIn
) -> TaskAssignmentsOut:
    task = _task(request, org_id, project_id, task_id)
    organisation = task.project.organisation
    rows = []
    for row in payload.assignments:
        person = selectors.person_in(organisation, row.person_id)
        if person is None:
            raise Invalid(f"No person {row.person_id} in this organisation.", field="person_id")
        rows.append((person, row.units, row.work_minutes))
    services.set_assignments(
        actor=actor_of(request), task=task, rows=rows, expected_version=payload.version
    )
    task.refresh_from_db()
    return _assignments_out(task)


# ---------------------------------------------------------------------------------------------
# The drill into one cell, "can we take this on?", clearing levelling


class CapacityCellSourceOut(Schema):
    kind: str = Field(..., description='"task", "routine", "request" or "reservation".')
    name: str
    context: str
    hours: float
    days: int
    forecast: bool


class CapacityCellOut(Schema):
    person_id: int
    week: dt.date
    available: float
    hours: float
    project: float
    operations: float
    forecast: float
    sources: list[CapacityCellSourceOut]


class CapacityCellQuery(Schema):
    person_id: int = Field(..., ge=1, le=2**63 - 1)
    week: dt.date = Field(..., ge=selectors.FIRST_DAY, le=selectors.LAST_DAY)


@router.get(
    "/organisations/{org_id}/capacity/cell",
    response={200: CapacityCellOut, **READ},
    summary="What makes up one person's week: each task, routine, queue and reservation",
)
def cell(request: HttpRequest, org_id: int, query: Query[CapacityCellQuery]) -> CapacityCellOut:
    organisation = get_organisation(request.user, org_id)
    person = selectors.person_in(organisation, query.person_id)
    if person is None:
        raise NotFound("Person not found.")
    detail = selectors.cell_detail(organisation, person, query.week)
    return CapacityCellOut(
        person_id=person.pk,
        week=detail.week,
        available=detail.cell.capacity,
        hours=detail.cell.hours,
        project=detail.cell.project,
        operations=detail.cell.operations,
        forecast=detail.cell.forecast,
        sources=[
            CapacityCellSourceOut(
                kind=s.kind,
                name=s.name,
                context=s.context,
                hours=s.hours,
                days=s.days,
                forecast=s.forecast,
            )
            for s in detail.sources
        ],
    )


class TakeOnTeamOut(Schema):
    name: str
    proposal: list[float] = Field(..., description="Hours the project asks each week.")
    free: list[float] = Field(..., description="Hours the team has left after committed work.")
    overload: list[float] = Field(..., description="Hours over that the project causes.")


class TakeOnOut(Schema):
    project_id: int
    planned_start: dt.date = Field(..., description="Monday of the first week shown.")
    weeks: list[dt.date]
    fits_as_planned: bool
    earliest_start: dt.date | None = Field(
        ..., description="Monday of the earliest week it fits from (None: not within a year)."
    )
    hours: float
    unassigned_tasks: int
    teams: list[TakeOnTeamOut]


@router.get(
    "/organisations/{org_id}/capacity/take-on/{project_id}",
    response={200: TakeOnOut, **READ, 422: ErrorOut},
    summary="Can we take this on? A proposed project's overload per team and week, and the "
    "earliest start at which it fits",
)
def take_on(request: HttpRequest, org_id: int, project_id: int) -> TakeOnOut:
    organisation = get_organisation(request.user, org_id)
    project = project_selectors.get_project(request.user, organisation, project_id)
    if project.phase != Phase.INITIATION:
        raise Invalid(
            f"{project.code} is past initiation: it is already committed work.",
            field="project_id",
        )
    result = take_on_model.take_on(organisation, project)
    return TakeOnOut(
        project_id=project.pk,
        planned_start=result.planned_start,
        weeks=result.weeks,
        fits_as_planned=result.fits_as_planned,
        earliest_start=result.earliest_start,
        hours=result.hours,
        unassigned_tasks=result.unassigned_tasks,
        teams=[
            TakeOnTeamOut(name=t.name, proposal=t.proposal, free=t.free, overload=t.overload)
            for t in result.teams
        ],
    )


class LevellingDelayOut(Schema):
    task_id: int
    minutes: int


class LevellingDelaysOut(Schema):
    version: str = Field(..., description="Send it to clear these delays (409 if stale).")
    delays: list[LevellingDelayOut]


DelaysVersion = QueryParam(
    None,
    max_length=40,
    description="The delays' version you read (GET …/level/delays); a stale one answers 409. "
    "Without it, whatever delays there are now are cleared.",
)


@router.get(
    "/organisations/{org_id}/projects/{project_id}/level/delays",
    response={200: LevellingDelaysOut, **READ},
    summary="The project's levelling delays (the tasks levelling moved) and their version",
)
def level_delays(request: HttpRequest, org_id: int, project_id: int) -> LevellingDelaysOut:
    organisation = get_organisation(request.user, org_id)
    project = project_selectors.get_project(request.user, organisation, project_id)
    found = selectors.levelling_delays(project)
    return LevellingDelaysOut(
        version=found.version,
        delays=[LevellingDelayOut(task_id=k, minutes=v) for k, v in found.delays.items()],
    )


@router.post(
    "/organisations/{org_id}/projects/{project_id}/level/clear",
    response={200: AppliedOut, **WRITE},
    summary="Clear levelling: remove every levelling delay of the project and reschedule",
)
def level_clear(
    request: HttpRequest,
    org_id: int,
    project_id: int,
    version: str | None = DelaysVersion,
) -> AppliedOut:
    organisation = get_organisation(request.user, org_id)
    project = project_selectors.get_project(request.user, organisation, project_id)
    cleared = services.clear_levelling(actor=actor_of(request), project=project, seen=version)
    return AppliedOut(moved=cleared.moved, finish=cleared.finish)
