"""API for project templates: list, save a project as one, start a project from one."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.core.api_schemas import READ, WRITE
from twofold.core.errors import Invalid
from twofold.core.web import actor_of
from twofold.project_templates import selectors, services
from twofold.project_templates.models import ProjectTemplate
from twofold.projects.api import ProjectOut, StrictDate, _org, _person, _project, _project_out
from twofold.projects.models import Programme

router = Router(tags=["templates"])


class TemplateOut(Schema):
    id: int
    name: str
    description: str
    source_name: str
    task_count: int
    link_count: int
    risk_count: int
    gates: dict[str, list[str]]
    created_at: dt.datetime
    version: int


class TemplateIn(Schema):
    project_id: StrictInt
    name: StrictStr = Field(..., max_length=160)
    description: StrictStr = Field("", max_length=5000)


class TemplatePatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    name: StrictStr | None = Field(None, max_length=160)
    description: StrictStr | None = Field(None, max_length=5000)
    gates: dict[str, list[StrictStr]] | None = None


class FromTemplateIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=160)
    code: StrictStr = Field(..., min_length=1, max_length=20)
    target_start: StrictDate
    programme_id: StrictInt | None = None
    manager_id: StrictInt | None = None


def _out(t: ProjectTemplate) -> TemplateOut:
    return TemplateOut(
        id=t.pk,
        name=t.name,
        description=t.description,
        source_name=t.source_name,
        task_count=t.task_count,
        link_count=t.link_count,
        risk_count=t.risk_count,
        gates=dict(t.content.get("gates", {})),
        created_at=t.created_at,
        version=t.version,
    )


def _template(request: HttpRequest, org_id: int, template_id: int) -> ProjectTemplate:
    return selectors.get_template(request.user, _org(request, org_id), template_id)


@router.get("/organisations/{org_id}/templates", response={200: list[TemplateOut], **READ})
def list_templates(request: HttpRequest, org_id: int) -> list[TemplateOut]:
    return [_out(t) for t in selectors.templates_of(_org(request, org_id))]


@router.post("/organisations/{org_id}/templates", response={201: TemplateOut, **WRITE})
def create_template(request: HttpRequest, org_id: int, payload: TemplateIn) -> Status[TemplateOut]:
    """Save the plan of ``project_id`` (WBS, links, durations, gate checklists, risks)."""
    template = services.save_as_template(
        actor=actor_of(request),
        project=_project(request, org_id, payload.project_id),
        name=payload.name,
        description=payload.description,
    )
    return Status(201, _out(template))


@router.get("/organisations/{org_id}/templates/{template_id}", response={200: TemplateOut, **READ})
def get_template(request: HttpRequest, org_id: int, template_id: int) -> TemplateOut:
    return _out(_template(request, org_id, template_id))


@router.patch(
    "/organisations/{org_id}/templates/{template_id}", response={200: TemplateOut, **WRITE}
)
def patch_template(
    request: HttpRequest, org_id: int, template_id: int, payload: TemplatePatch
) -> TemplateOut:
    template = services.update_template(
        actor=actor_of(request),
        template=_template(request, org_id, template_id),
        expected_version=payload.version,
        name=payload.name,
        description=payload.description,
        gates=payload.gates,
    )
    return _out(template)


@router.delete("/organisations/{org_id}/templates/{template_id}", response={204: None, **WRITE})
def delete_template(
    request: HttpRequest, org_id: int, template_id: int, version: int | None = None
) -> Status[None]:
    """``version``: as you read it (409 if the template changed since)."""
    services.delete_template(
        actor=actor_of(request),
        template=_template(request, org_id, template_id),
        expected_version=version,
    )
    return Status(204, None)


@router.post(
    "/organisations/{org_id}/templates/{template_id}/projects",
    response={201: ProjectOut, **WRITE},
)
def create_project_from_template(
    request: HttpRequest, org_id: int, template_id: int, payload: FromTemplateIn
) -> Status[ProjectOut]:
    """A new project with the template's plan, its dates computed from ``target_start``."""
    template = _template(request, org_id, template_id)
    org = template.organisation
    programme = None
    if payload.programme_id is not None:
        programme = Programme.objects.filter(pk=payload.programme_id, organisation=org).first()
        if programme is None:
            raise Invalid("Choose a programme of this organisation.", field="programme_id")
    project = services.create_project_from_template(
        actor=actor_of(request),
        organisation=org,
        template=template,
        name=payload.name,
        code=payload.code,
        target_start=payload.target_start,
        programme=programme,
        manager=_person(org.pk, payload.manager_id, "manager_id"),
    )
    return Status(201, _project_out(project))
