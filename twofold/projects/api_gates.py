"""API for a project's phase gates: read them, tick their checklists, sign them off.

The same services and rules as the gates page (``projects:gates``): members tick the current
gate's checklist; an admin, an owner or the project's sponsor signs the gate off, with the
gate's ``version``.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import StrictBool, StrictInt

from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.errors import NotFound
from twofold.core.web import actor_of
from twofold.projects import selectors, services
from twofold.projects.api import _project
from twofold.projects.models import PHASE_ORDER, Gate, GateItem, Phase, Project

router = Router(tags=["projects"])

GATES = "/organisations/{org_id}/projects/{project_id}/gates"


class GateItemOut(Schema):
    id: int
    text: str
    done: bool


class GateOut(Schema):
    id: int
    phase: str
    next_phase: str | None
    is_current: bool
    passed_at: dt.datetime | None
    approved_by_id: int | None
    items: list[GateItemOut]
    version: int


class GateItemIn(BodyIn):
    done: StrictBool


class GateSignOffIn(BodyIn):
    version: StrictInt


def _gate_out(gate: Gate, project: Project) -> GateOut:
    order = {p: i for i, p in enumerate(PHASE_ORDER)}
    at = order[Phase(gate.phase)]
    return GateOut(
        id=gate.pk,
        phase=gate.phase,
        next_phase=PHASE_ORDER[at + 1].value if at + 1 < len(PHASE_ORDER) else None,
        is_current=gate.phase == project.phase,
        passed_at=gate.passed_at,
        approved_by_id=gate.approved_by_id,
        items=[GateItemOut(id=i.pk, text=i.text, done=i.done) for i in gate.items.all()],
        version=gate.version,
    )


def _gates(project: Project) -> list[Gate]:
    order = {p: i for i, p in enumerate(PHASE_ORDER)}
    gates = list(project.gates.prefetch_related("items"))
    return sorted(gates, key=lambda g: order[Phase(g.phase)])


@router.get(GATES, response={200: list[GateOut], **READ})
def list_gates(request: HttpRequest, org_id: int, project_id: int) -> list[GateOut]:
    """The project's gates in phase order, each with its checklist."""
    project = _project(request, org_id, project_id)
    return [_gate_out(g, project) for g in _gates(project)]


@router.put(f"{GATES}/items/{{item_id}}", response={200: GateOut, **WRITE})
def set_gate_item(
    request: HttpRequest, org_id: int, project_id: int, item_id: int, payload: GateItemIn
) -> GateOut:
    """Tick (``done: true``) or untick one item of the current gate's checklist."""
    project = _project(request, org_id, project_id)
    item = GateItem.objects.filter(pk=item_id, gate__project=project).select_related("gate").first()
    if item is None:
        raise NotFound("Not found.")
    item.gate.project = project
    services.toggle_gate_item(actor=actor_of(request), item=item, done=payload.done)
    gate = project.gates.prefetch_related("items").get(pk=item.gate_id)
    return _gate_out(gate, project)


@router.post(f"{GATES}/{{gate_id}}/sign-off", response={200: GateOut, **WRITE})
def sign_off_gate(
    request: HttpRequest, org_id: int, project_id: int, gate_id: int, payload: GateSignOffIn
) -> GateOut:
    """Sign the current gate off (its checklist done): the project moves to the next phase."""
    project = _project(request, org_id, project_id)
    gate = selectors.get_gate(project, gate_id)
    gate.project = project
    services.pass_gate(actor=actor_of(request), gate=gate, expected_version=payload.version)
    fresh = project.gates.prefetch_related("items").get(pk=gate.pk)
    return _gate_out(fresh, project)
