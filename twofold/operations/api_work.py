"""API for assigning and re-prioritising requests, KPI change points, and generating occurrences.

The same services and permission rules as the pages: objects of other organisations answer 404,
a role that may not act answers 403, stale versions 409, bad input 422 naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.models import User
from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.errors import Invalid, NotFound
from twofold.core.policy import Action, can
from twofold.core.web import actor_of
from twofold.operations import assignment, change_points, selectors, services
from twofold.operations.api import StrictDate
from twofold.operations.models import ChangePoint, Request

router = Router(tags=["operations"])


class RequestAssignmentOut(Schema):
    """A request's assignee, priority and the SLA targets that follow the priority."""

    id: int
    assignee_id: int | None
    assignee_name: str
    priority: str
    response_target_hours: float
    resolution_target_hours: float
    sla_state: str
    sla_remaining_minutes: float
    version: int


class RequestAssigneeIn(BodyIn):
    version: StrictInt
    assignee_id: StrictInt | None = Field(..., description="A member's user id; null unassigns.")


class RequestPriorityIn(BodyIn):
    version: StrictInt
    priority: StrictStr = Field(..., description="p1, p2, p3 or p4")


class ChangePointOut(Schema):
    id: int
    kpi_id: int
    date: dt.date
    label: str
    source: str
    source_id: int | None


class ChangePointIn(BodyIn):
    date: StrictDate
    label: StrictStr = Field(..., max_length=160)


def _assignment(r: Request) -> RequestAssignmentOut:
    view = selectors.request_view(r)
    return RequestAssignmentOut(
        id=r.pk,
        assignee_id=r.assignee_id,
        assignee_name=r.assignee.display_name if r.assignee else "",
        priority=r.priority,
        response_target_hours=r.queue.target_minutes(r.priority, "response") / 60,
        resolution_target_hours=r.queue.target_minutes(r.priority, "resolution") / 60,
        sla_state=view.resolution.state.value,
        sla_remaining_minutes=round(view.resolution.remaining_minutes, 1),
        version=r.version,
    )


@router.get("/requests/{pk}/assignment", response={200: RequestAssignmentOut, **READ})
def get_assignment(request: HttpRequest, pk: int) -> RequestAssignmentOut:
    return _assignment(selectors.get_request(request.user, pk))


@router.post("/requests/{pk}/assignee", response={200: RequestAssignmentOut, **WRITE})
def assign_request(
    request: HttpRequest, pk: int, payload: RequestAssigneeIn
) -> RequestAssignmentOut:
    """Assign, re-assign or (``assignee_id: null``) un-assign; the person must be a member."""
    req = selectors.get_request(request.user, pk)
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise Invalid("That person is not a member of this organisation.", field="assignee")
    assignment.assign_request(
        actor=actor_of(request), request=req, assignee=assignee, expected_version=payload.version
    )
    return _assignment(selectors.get_request(request.user, pk))


@router.post("/requests/{pk}/priority", response={200: RequestAssignmentOut, **WRITE})
def reprioritise_request(
    request: HttpRequest, pk: int, payload: RequestPriorityIn
) -> RequestAssignmentOut:
    """Change the priority; the response and resolution targets follow it (recorded in history)."""
    req = selectors.get_request(request.user, pk)
    assignment.reprioritise_request(
        actor=actor_of(request),
        request=req,
        priority=payload.priority,
        expected_version=payload.version,
    )
    return _assignment(selectors.get_request(request.user, pk))


@router.get("/kpis/{pk}/change-points", response={200: list[ChangePointOut], **READ})
def list_change_points(request: HttpRequest, pk: int) -> list[ChangePointOut]:
    kpi = selectors.get_kpi(request.user, pk)
    return [ChangePointOut.model_validate(p, from_attributes=True) for p in kpi.change_points.all()]


@router.post("/kpis/{pk}/change-points", response={201: ChangePointOut, **WRITE})
def add_change_point(
    request: HttpRequest, pk: int, payload: ChangePointIn
) -> Status[ChangePointOut]:
    """Record a change by hand (admins); refused on or before the KPI's first value (``date``)."""
    kpi = selectors.get_kpi(request.user, pk)
    point = change_points.add_change_point(
        actor=actor_of(request), kpi=kpi, date=payload.date, label=payload.label
    )
    return Status(201, ChangePointOut.model_validate(point, from_attributes=True))


@router.delete("/change-points/{pk}", response={204: None, **WRITE})
def remove_change_point(request: HttpRequest, pk: int) -> Status[None]:
    point = ChangePoint.objects.select_related("kpi").filter(pk=pk).first()
    if point is None or not can(request.user, Action.VIEW, point.kpi):
        raise NotFound("Change point not found.")
    change_points.remove_change_point(actor=actor_of(request), point=point)
    return Status(204, None)


# --- Generating occurrences by hand (the overview page's button) -----------------------------


class GeneratedOut(Schema):
    routines: int = Field(..., description="Live routines looked at.")
    due: int = Field(..., description="Due instants in the window (new or already there).")
    created: int = Field(..., description="Occurrences created now.")
    days: int = Field(..., description="How far ahead occurrences are generated.")


@router.post(
    "/organisations/{org_id}/occurrences/generate",
    response={200: GeneratedOut, **WRITE},
    summary="Generate due occurrences now (admins; the worker does it every few minutes)",
)
def generate_occurrences(request: HttpRequest, org_id: int) -> GeneratedOut:
    """Create the occurrences of every live routine due up to 30 days ahead, and mark superseded
    open ones missed: the worker's pass, run now. Idempotent: a second call creates none."""
    done = services.generate_for_organisation(
        actor=actor_of(request), organisation=get_organisation(request.user, org_id)
    )
    return GeneratedOut(
        routines=done.routines, due=done.due, created=done.created, days=services.GENERATE_DAYS
    )
