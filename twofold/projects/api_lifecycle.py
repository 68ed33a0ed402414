"""API for programmes, project edit/archive/delete, and the gate checklist settings."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictInt, StrictStr

from twofold.core.api_schemas import READ, WRITE
from twofold.core.errors import Invalid
from twofold.core.web import actor_of
from twofold.projects import checklists, lifecycle, programmes, services
from twofold.projects.api import (
    ProjectOut,
    StrictDate,
    _org,
    _person,
    _project,
    _project_out,
)
from twofold.projects.models import Programme

router = Router(tags=["programmes"])
# PATCH and DELETE of /projects/{id} share their path with the projects router's GET: Django
# resolves a path once, so they must be operations of that same router.
from twofold.projects.api import router as projects_router  # noqa: E402

GatePhase = Literal["initiation", "planning", "execution"]


class ProgrammeOut(Schema):
    id: int
    name: str
    manager_id: int | None
    objectives: str
    description: str
    start: dt.date | None
    finish: dt.date | None
    archived: bool
    project_count: int
    health: dict[str, int] = Field(..., description="Projects per health level.")
    percent_complete: float
    version: int


class ProgrammeIn(Schema):
    name: StrictStr = Field(..., max_length=120)
    manager_id: StrictInt | None = None
    objectives: StrictStr = Field("", max_length=20_000)
    description: StrictStr = Field("", max_length=20_000)
    start: StrictDate | None = None
    finish: StrictDate | None = None


class ProgrammePatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    name: StrictStr | None = Field(None, max_length=120)
    manager_id: StrictInt | None = None
    objectives: StrictStr | None = Field(None, max_length=20_000)
    description: StrictStr | None = Field(None, max_length=20_000)
    start: StrictDate | None = None
    finish: StrictDate | None = None


class VersionIn(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")


class AssignIn(Schema):
    project_id: StrictInt
    version: StrictInt | None = Field(None, description="The project's version, if you have it.")


class ProjectPatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    name: StrictStr | None = Field(None, max_length=160)
    code: StrictStr | None = Field(None, max_length=20)
    programme_id: StrictInt | None = None
    manager_id: StrictInt | None = None
    sponsor_id: StrictInt | None = None
    objectives: StrictStr | None = None
    success_criteria: StrictStr | None = None
    scope: StrictStr | None = None
    exclusions: StrictStr | None = None
    assumptions: StrictStr | None = None
    constraints: StrictStr | None = None
    target_start: StrictDate | None = None
    target_finish: StrictDate | None = None
    progress_rule: Literal["override", "retained"] | None = Field(
        None,
        description="Out-of-sequence progress: 'override' (remaining work continues where it "
        "stopped) or 'retained' (it waits for its predecessors).",
    )
    status_date: StrictDate | None = Field(
        None, description="The day progress is reported to (null: today, for earned value)."
    )
    reschedule_after_status: StrictBool | None = Field(
        None,
        description="Schedule remaining and unstarted work after the end of the status date "
        "(needs a status date).",
    )


class DeletePreviewOut(Schema):
    project_id: int
    version: int
    goes_with: dict[str, int]
    summary: str


class ArchivedIn(Schema):
    version: StrictInt
    archived: StrictBool


class GateChecklistOut(Schema):
    phase: GatePhase
    items: list[str]
    version: int = Field(..., description="0 while the organisation uses the defaults.")


class GateChecklistIn(Schema):
    items: list[StrictStr] = Field(..., max_length=checklists.MAX_ITEMS * 2)
    version: StrictInt = Field(..., description="The version you read (0 for the defaults).")


def _out(row: programmes.Rollup) -> ProgrammeOut:
    p = row.programme
    return ProgrammeOut(
        id=p.pk,
        name=p.name,
        manager_id=p.manager_id,
        objectives=p.objectives,
        description=p.description,
        start=p.start,
        finish=p.finish,
        archived=p.archived_at is not None,
        project_count=row.count,
        health=row.health,
        percent_complete=round(row.percent_complete, 1),
        version=p.version,
    )


def _programme(request: HttpRequest, org_id: int, programme_id: int) -> Programme:
    return programmes.get_programme(request.user, _org(request, org_id), programme_id)


def _programme_ref(org_id: int, programme_id: int | None) -> Programme | None:
    if programme_id is None:
        return None
    found = Programme.objects.filter(pk=programme_id, organisation_id=org_id).first()
    if found is None:
        raise Invalid("Choose a programme of this organisation.", field="programme_id")
    return found


@router.get("/organisations/{org_id}/programmes", response={200: list[ProgrammeOut], **READ})
def list_programmes(
    request: HttpRequest, org_id: int, archived: bool = False
) -> list[ProgrammeOut]:
    """Active programmes with their projects' roll-up (``archived=true`` lists every one)."""
    return [_out(r) for r in programmes.rollups(_org(request, org_id), archived=archived)]


@router.post("/organisations/{org_id}/programmes", response={201: ProgrammeOut, **WRITE})
def create_programme(
    request: HttpRequest, org_id: int, payload: ProgrammeIn
) -> Status[ProgrammeOut]:
    org = _org(request, org_id)
    values = payload.model_dump(exclude={"manager_id"})
    values["manager"] = _person(org.pk, payload.manager_id, "manager_id")
    programme = programmes.create_programme(actor=actor_of(request), organisation=org, **values)
    return Status(201, _out(programmes.Rollup(programme)))


@router.get(
    "/organisations/{org_id}/programmes/{programme_id}", response={200: ProgrammeOut, **READ}
)
def get_programme(request: HttpRequest, org_id: int, programme_id: int) -> ProgrammeOut:
    return _out(programmes.rollup_of(_programme(request, org_id, programme_id)))


@router.patch(
    "/organisations/{org_id}/programmes/{programme_id}", response={200: ProgrammeOut, **WRITE}
)
def patch_programme(
    request: HttpRequest, org_id: int, programme_id: int, payload: ProgrammePatch
) -> ProgrammeOut:
    programme = _programme(request, org_id, programme_id)
    values = payload.model_dump(exclude_unset=True, exclude={"version", "manager_id"})
    if "name" in values and values["name"] is None:
        raise Invalid("name cannot be null.", field="name")
    for name in ("objectives", "description"):
        if name in values and values[name] is None:
            values[name] = ""
    if "manager_id" in payload.model_fields_set:
        values["manager"] = _person(programme.organisation_id, payload.manager_id, "manager_id")
    programme = programmes.update_programme(
        actor=actor_of(request), programme=programme, expected_version=payload.version, **values
    )
    return _out(programmes.rollup_of(programme))


@router.post(
    "/organisations/{org_id}/programmes/{programme_id}/archive",
    response={200: ProgrammeOut, **WRITE},
)
def archive_programme(
    request: HttpRequest, org_id: int, programme_id: int, payload: ArchivedIn
) -> ProgrammeOut:
    """``archived: true`` hides the programme from lists and pickers; ``false`` brings it back."""
    programme = programmes.set_programme_archived(
        actor=actor_of(request),
        programme=_programme(request, org_id, programme_id),
        archived=payload.archived,
        expected_version=payload.version,
    )
    return _out(programmes.rollup_of(programme))


@router.post(
    "/organisations/{org_id}/programmes/{programme_id}/projects",
    response={200: ProjectOut, **WRITE},
)
def assign_project(
    request: HttpRequest, org_id: int, programme_id: int, payload: AssignIn
) -> ProjectOut:
    programme = _programme(request, org_id, programme_id)
    project = _project(request, org_id, payload.project_id)
    project = programmes.assign_project(
        actor=actor_of(request),
        project=project,
        programme=programme,
        expected_version=payload.version,
    )
    return _project_out(project)


@router.delete(
    "/organisations/{org_id}/programmes/{programme_id}/projects/{project_id}",
    response={200: ProjectOut, **WRITE},
)
def unassign_project(
    request: HttpRequest,
    org_id: int,
    programme_id: int,
    project_id: int,
    version: int | None = None,
) -> ProjectOut:
    """Take the project out of the programme. ``version``: the project's version as you read
    it (409 if someone changed it since); without it, whatever it is now."""
    programme = _programme(request, org_id, programme_id)
    project = _project(request, org_id, project_id)
    if project.programme_id != programme.pk:
        raise Invalid(f"{project} is not in {programme.name}.", field="project_id")
    return _project_out(
        programmes.assign_project(
            actor=actor_of(request), project=project, programme=None, expected_version=version
        )
    )


# ---------------------------------------------------------------------------------------------
# Project edit, archive, delete


@projects_router.patch(
    "/organisations/{org_id}/projects/{project_id}", response={200: ProjectOut, **WRITE}
)
def patch_project(
    request: HttpRequest, org_id: int, project_id: int, payload: ProjectPatch
) -> ProjectOut:
    project = _project(request, org_id, project_id)
    refs = {"programme_id", "manager_id", "sponsor_id"}
    values = payload.model_dump(exclude_unset=True, exclude={"version", *refs})
    for key, value in values.items():
        if value is None and key not in services.PROJECT_NULLABLE:
            raise Invalid(f"{key} cannot be null.", field=key)
    if "programme_id" in payload.model_fields_set:
        values["programme"] = _programme_ref(project.organisation_id, payload.programme_id)
    for name in ("manager", "sponsor"):
        if f"{name}_id" in payload.model_fields_set:
            values[name] = _person(
                project.organisation_id, getattr(payload, f"{name}_id"), f"{name}_id"
            )
    project, _moved = services.update_project(
        actor=actor_of(request), project=project, expected_version=payload.version, **values
    )
    return _project_out(project)


@router.post(
    "/organisations/{org_id}/projects/{project_id}/archive", response={200: ProjectOut, **WRITE}
)
def archive_project(
    request: HttpRequest, org_id: int, project_id: int, payload: ArchivedIn
) -> ProjectOut:
    """``archived: true`` hides the project from the portfolio, lists and My work."""
    project = lifecycle.set_project_archived(
        actor=actor_of(request),
        project=_project(request, org_id, project_id),
        archived=payload.archived,
        expected_version=payload.version,
    )
    return _project_out(project)


@router.get(
    "/organisations/{org_id}/projects/{project_id}/delete",
    response={200: DeletePreviewOut, **READ},
)
def delete_preview(request: HttpRequest, org_id: int, project_id: int) -> DeletePreviewOut:
    """What deleting the project would remove with it (nothing is deleted)."""
    project = _project(request, org_id, project_id)
    parts = lifecycle.what_goes_with(project)
    return DeletePreviewOut(
        project_id=project.pk,
        version=project.version,
        goes_with=dict(parts),
        summary=lifecycle.describe(parts),
    )


@projects_router.delete(
    "/organisations/{org_id}/projects/{project_id}", response={204: None, **WRITE}
)
def delete_project(
    request: HttpRequest, org_id: int, project_id: int, version: int
) -> Status[None]:
    """Move the project to the trash (an admin restores it within the retention); ``version``
    (from the preview) must still be current."""
    lifecycle.delete_project(
        actor=actor_of(request),
        project=_project(request, org_id, project_id),
        expected_version=version,
    )
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Settings: gate checklists


@router.get(
    "/organisations/{org_id}/settings/gate-checklists",
    response={200: list[GateChecklistOut], **READ},
)
def list_gate_checklists(request: HttpRequest, org_id: int) -> list[GateChecklistOut]:
    return [
        GateChecklistOut(phase=s.phase, items=list(s.items), version=s.version)  # type: ignore[arg-type]
        for s in checklists.gate_settings(_org(request, org_id))
    ]


@router.put(
    "/organisations/{org_id}/settings/gate-checklists/{phase}",
    response={200: GateChecklistOut, **WRITE},
)
def put_gate_checklist(
    request: HttpRequest, org_id: int, phase: GatePhase, payload: GateChecklistIn
) -> GateChecklistOut:
    """Replace the checklist new projects get for the gate out of ``phase`` (admins)."""
    setting = checklists.save_gate_checklist(
        actor=actor_of(request),
        organisation=_org(request, org_id),
        phase=phase,
        items=payload.items,
        expected_version=payload.version,
    )
    return GateChecklistOut(phase=phase, items=list(setting.items), version=setting.version)


__all__ = ["projects_router", "router"]
