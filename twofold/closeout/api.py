"""API for close-out: a handover's operational parts and hypercare, where operations objects
came from, and lessons learned (the same services and rules as the pages). Accepting a handover
stays ``POST …/improvement/handovers/{id}/accept``: it builds the parts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.models import Organisation, User
from twofold.accounts.selectors import get_organisation
from twofold.closeout import selectors, services
from twofold.closeout.models import HandoverPart, Hypercare, Lesson
from twofold.core.api_schemas import READ, WRITE, BodyIn, ObjectId
from twofold.core.errors import Invalid, NotFound
from twofold.core.web import actor_of
from twofold.improvement import selectors as improvement_selectors
from twofold.improvement.models import Handover
from twofold.operations.models import Kpi, Process, Queue, Routine
from twofold.project_templates.models import ProjectTemplate
from twofold.projects import selectors as project_selectors
from twofold.projects.api import StrictDate

router = Router(tags=["close-out"])

PartKindName = Literal["process", "routine", "kpi", "queue", "document"]
DocKindName = Literal["runbook", "training", "other"]
OriginModel = Literal["process", "routine", "kpi", "queue"]
ORIGIN_MODELS: dict[str, type[Any]] = {
    "process": Process,
    "routine": Routine,
    "kpi": Kpi,
    "queue": Queue,
}


class HandoverPartOut(Schema):
    id: int
    handover_id: int
    kind: PartKindName
    name: str
    spec: dict[str, Any] = Field(..., description="The values the operations service takes.")
    existing_id: int | None = Field(..., description="The routine, KPI or queue it changes.")
    attachment_id: int | None
    result_id: int | None = Field(..., description="What acceptance created or changed.")
    version: int


class HandoverPartIn(BodyIn):
    kind: Literal["process", "routine", "kpi", "queue"]
    name: StrictStr = Field("", max_length=200, description="Ignored for a process change.")
    spec: dict[str, Any] = Field(
        ...,
        description=(
            "routine: rrule, starts_on, due_time, shift, effort_minutes, assignee_id, "
            "calendar_id, description, steps [{text, evidence, min_value, max_value, unit}]; "
            "kpi: good_direction, target, amber_threshold, red_threshold, unit, frequency, "
            "description; queue: calendar_id, description, sla_hours {p1: {response, "
            "resolution}, …}; process: description, team_id."
        ),
    )
    existing_id: StrictInt | None = None


class HandoverPartPatch(BodyIn):
    version: StrictInt
    name: StrictStr | None = Field(None, max_length=200)
    spec: dict[str, Any] | None = None


class HypercareOut(Schema):
    starts_on: dt.date
    ends_on: dt.date
    queue_id: int | None
    version: int


class HypercareIn(BodyIn):
    starts_on: StrictDate | None = Field(None, description="Both null: no hypercare.")
    ends_on: StrictDate | None = None
    version: StrictInt = Field(
        ...,
        ge=0,
        description="The period's `version` as read, 0 when there was none; another → 409.",
    )


class HypercareTeamOut(Schema):
    queue_id: int
    in_hypercare: bool
    starts_on: dt.date | None
    ends_on: dt.date | None
    project_id: int | None
    team: list[int] = Field(..., description="User ids the future notifications also tell.")


class OriginOut(Schema):
    action: Literal["created", "changed", "document"]
    project_id: int
    project_name: str
    handover_id: int
    part_name: str
    attachment_id: int | None


class LessonOut(Schema):
    id: int
    project_id: int
    title: str
    worked: str
    did_not_work: str
    recommendation: str
    process_id: int | None
    template_id: int | None
    improvement_item_id: int | None
    risk_id: int | None
    template_change: str
    created_by_id: int | None
    created_at: dt.datetime
    version: int


class LessonIn(BodyIn):
    title: StrictStr = Field(..., min_length=1, max_length=160)
    worked: StrictStr = ""
    did_not_work: StrictStr = ""
    recommendation: StrictStr = ""
    process_id: StrictInt | None = None
    template_id: StrictInt | None = None


class LessonPatch(BodyIn):
    version: StrictInt
    title: StrictStr | None = Field(None, min_length=1, max_length=160)
    worked: StrictStr | None = None
    did_not_work: StrictStr | None = None
    recommendation: StrictStr | None = None
    process_id: StrictInt | None = None
    template_id: StrictInt | None = None


class LessonToImprovementIn(BodyIn):
    version: StrictInt
    process_id: StrictInt | None = Field(None, description="Defaults to the lesson's process.")
    owner_id: StrictInt | None = None


class LessonToRiskIn(BodyIn):
    version: StrictInt
    project_id: StrictInt
    probability: StrictInt = Field(3, ge=1, le=5)
    impact: StrictInt = Field(3, ge=1, le=5)


class LessonToTemplateIn(BodyIn):
    version: StrictInt
    template_id: StrictInt
    phase: Literal["initiation", "planning", "execution"]
    text: StrictStr = Field(..., min_length=1, max_length=200)


def _part(p: HandoverPart) -> HandoverPartOut:
    return HandoverPartOut.model_validate(p, from_attributes=True)


def _hypercare(h: Hypercare) -> HypercareOut:
    return HypercareOut.model_validate(h, from_attributes=True)


def _lesson(lesson: Lesson) -> LessonOut:
    return LessonOut.model_validate(lesson, from_attributes=True)


def _handover(request: HttpRequest, org: Organisation, pk: int) -> Handover:
    handover = improvement_selectors.get_handover(request.user, pk)
    if handover.organisation_id != org.pk:
        raise NotFound("Handover not found.")
    return handover


def _get_part(request: HttpRequest, org: Organisation, pk: int) -> HandoverPart:
    part = selectors.get_part(request.user, pk)
    if part.organisation_id != org.pk:
        raise NotFound("Handover part not found.")
    return part


def _get_lesson(request: HttpRequest, org: Organisation, pk: int) -> Lesson:
    lesson = selectors.get_lesson(request.user, pk)
    if lesson.organisation_id != org.pk:
        raise NotFound("Lesson not found.")
    return lesson


def _in_org(model: type[Any], org: Organisation, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    obj = model.objects.filter(organisation=org, pk=pk).first()
    if obj is None:
        raise Invalid(f"No such {field.removesuffix('_id')} in this organisation.", field=field)
    return obj


# --- Handover parts and hypercare ---------------------------------------------------------------


@router.get(
    "/organisations/{org_id}/handovers/{handover_id}/parts",
    response={200: list[HandoverPartOut], **READ},
)
def list_parts(request: HttpRequest, org_id: int, handover_id: int) -> list[HandoverPartOut]:
    org = get_organisation(request.user, org_id)
    return [_part(p) for p in selectors.parts_of(_handover(request, org, handover_id))]


@router.post(
    "/organisations/{org_id}/handovers/{handover_id}/parts",
    response={201: HandoverPartOut, **WRITE},
)
def add_part(
    request: HttpRequest, org_id: int, handover_id: int, payload: HandoverPartIn
) -> Status[HandoverPartOut]:
    org = get_organisation(request.user, org_id)
    part = services.add_part(
        actor=actor_of(request),
        handover=_handover(request, org, handover_id),
        kind=payload.kind,
        name=payload.name,
        spec=payload.spec,
        existing_id=payload.existing_id,
    )
    return Status(201, _part(part))


@router.post(
    "/organisations/{org_id}/handovers/{handover_id}/documents",
    response={201: HandoverPartOut, **WRITE},
)
def add_document(
    request: HttpRequest,
    org_id: int,
    handover_id: int,
    name: Form[str],
    file: File[UploadedFile],
    doc_kind: Form[DocKindName] = "other",
) -> Status[HandoverPartOut]:
    """A runbook, training record or other document (multipart), kept with the project's
    attachments and handed to the process on acceptance."""
    org = get_organisation(request.user, org_id)
    part = services.add_part(
        actor=actor_of(request),
        handover=_handover(request, org, handover_id),
        kind="document",
        name=name,
        spec={"doc_kind": doc_kind},
        file=file,
    )
    return Status(201, _part(part))


@router.patch(
    "/organisations/{org_id}/handover-parts/{part_id}", response={200: HandoverPartOut, **WRITE}
)
def update_part(
    request: HttpRequest, org_id: int, part_id: int, payload: HandoverPartPatch
) -> HandoverPartOut:
    org = get_organisation(request.user, org_id)
    part = services.update_part(
        actor=actor_of(request),
        part=_get_part(request, org, part_id),
        expected_version=payload.version,
        name=payload.name,
        spec=payload.spec,
    )
    return _part(part)


@router.delete("/organisations/{org_id}/handover-parts/{part_id}", response={204: None, **WRITE})
def remove_part(request: HttpRequest, org_id: int, part_id: int, version: int) -> Status[None]:
    """Remove a drafted part (pass its ``version``: a part changed since it was read → 409)."""
    org = get_organisation(request.user, org_id)
    services.remove_part(
        actor=actor_of(request), part=_get_part(request, org, part_id), expected_version=version
    )
    return Status(204, None)


@router.get(
    "/organisations/{org_id}/handovers/{handover_id}/hypercare",
    response={200: HypercareOut | None, **READ},
)
def get_hypercare(request: HttpRequest, org_id: int, handover_id: int) -> HypercareOut | None:
    org = get_organisation(request.user, org_id)
    care = selectors.hypercare_of(_handover(request, org, handover_id))
    return _hypercare(care) if care else None


@router.put(
    "/organisations/{org_id}/handovers/{handover_id}/hypercare",
    response={200: HypercareOut | None, **WRITE},
)
def put_hypercare(
    request: HttpRequest, org_id: int, handover_id: int, payload: HypercareIn
) -> HypercareOut | None:
    org = get_organisation(request.user, org_id)
    care = services.set_hypercare(
        actor=actor_of(request),
        handover=_handover(request, org, handover_id),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        expected_version=payload.version,
    )
    return _hypercare(care) if care else None


@router.get(
    "/organisations/{org_id}/queues/{queue_id}/hypercare",
    response={200: HypercareTeamOut, **READ},
)
def queue_hypercare(request: HttpRequest, org_id: int, queue_id: int) -> HypercareTeamOut:
    """Whether the queue is in hypercare after a handover, and who also follows its requests
    (what ``hypercare_team_for(request)`` answers for each request on it)."""
    org = get_organisation(request.user, org_id)
    queue = Queue.objects.filter(organisation=org, pk=queue_id).first()
    if queue is None:
        raise NotFound("Queue not found.")
    info = selectors.hypercare_for_queue(queue)
    active = info is not None and info.active
    return HypercareTeamOut(
        queue_id=queue.pk,
        in_hypercare=active,
        starts_on=info.starts_on if info else None,
        ends_on=info.ends_on if info else None,
        project_id=info.project_id if info else None,
        team=[u.pk for u in info.team] if info and active else [],
    )


@router.get("/organisations/{org_id}/origins", response={200: list[OriginOut], **READ})
def origins(
    request: HttpRequest, org_id: int, model: OriginModel, object_id: int
) -> list[OriginOut]:
    """The handovers that created or changed an operations object ("Created by handover of")."""
    org = get_organisation(request.user, org_id)
    obj = ORIGIN_MODELS[model].objects.filter(organisation=org, pk=object_id).first()
    if obj is None:
        raise NotFound("Not found.")
    return [
        OriginOut(
            action=n.action,  # type: ignore[arg-type]
            project_id=n.project_id,
            project_name=n.project_name,
            handover_id=n.handover_id,
            part_name=n.part_name,
            attachment_id=n.attachment_id,
        )
        for n in selectors.origins_of(obj)
    ]


# --- Lessons --------------------------------------------------------------------------------------


@router.get("/organisations/{org_id}/lessons", response={200: list[LessonOut], **READ})
def list_lessons(
    request: HttpRequest,
    org_id: int,
    q: str = "",
    project_id: ObjectId | None = None,
    process_id: ObjectId | None = None,
    template_id: ObjectId | None = None,
    outcome: Literal["improvement", "risk", "template", "none"] | None = None,
) -> list[LessonOut]:
    org = get_organisation(request.user, org_id)
    rows = selectors.lessons_of(
        org,
        q=q[:200],
        project_id=project_id,
        process_id=process_id,
        template_id=template_id,
        outcome=outcome or "",
    )
    return [_lesson(lesson) for lesson in rows]


@router.post(
    "/organisations/{org_id}/projects/{project_id}/lessons", response={201: LessonOut, **WRITE}
)
def record_lesson(
    request: HttpRequest, org_id: int, project_id: int, payload: LessonIn
) -> Status[LessonOut]:
    org = get_organisation(request.user, org_id)
    project = project_selectors.get_project(request.user, org, project_id)
    lesson = services.record_lesson(
        actor=actor_of(request),
        project=project,
        title=payload.title,
        worked=payload.worked,
        did_not_work=payload.did_not_work,
        recommendation=payload.recommendation,
        process=_in_org(Process, org, payload.process_id, "process_id"),
        template=_in_org(ProjectTemplate, org, payload.template_id, "template_id"),
    )
    return Status(201, _lesson(lesson))


@router.get("/organisations/{org_id}/lessons/{lesson_id}", response={200: LessonOut, **READ})
def get_lesson(request: HttpRequest, org_id: int, lesson_id: int) -> LessonOut:
    org = get_organisation(request.user, org_id)
    return _lesson(_get_lesson(request, org, lesson_id))


@router.patch("/organisations/{org_id}/lessons/{lesson_id}", response={200: LessonOut, **WRITE})
def update_lesson(
    request: HttpRequest, org_id: int, lesson_id: int, payload: LessonPatch
) -> LessonOut:
    org = get_organisation(request.user, org_id)
    lesson = _get_lesson(request, org, lesson_id)
    given = payload.model_dump(exclude_unset=True)
    given.pop("version", None)
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key == "process_id":
            values["process"] = _in_org(Process, org, value, key)
        elif key == "template_id":
            values["template"] = _in_org(ProjectTemplate, org, value, key)
        elif value is None:
            raise Invalid(f"{key} cannot be null.", field=key)
        else:
            values[key] = value
    services.update_lesson(
        actor=actor_of(request), lesson=lesson, expected_version=payload.version, **values
    )
    return _lesson(lesson)


@router.post(
    "/organisations/{org_id}/lessons/{lesson_id}/improvement-item",
    response={200: LessonOut, **WRITE},
)
def lesson_to_improvement(
    request: HttpRequest, org_id: int, lesson_id: int, payload: LessonToImprovementIn
) -> LessonOut:
    org = get_organisation(request.user, org_id)
    lesson = _get_lesson(request, org, lesson_id)
    owner = None
    if payload.owner_id is not None:
        owner = User.objects.filter(pk=payload.owner_id, memberships__organisation=org).first()
        if owner is None:
            raise Invalid("Choose a member of the organisation.", field="owner_id")
    services.lesson_to_improvement(
        actor=actor_of(request),
        lesson=lesson,
        expected_version=payload.version,
        process=_in_org(Process, org, payload.process_id, "process_id"),
        owner=owner,
    )
    return _lesson(lesson)


@router.post("/organisations/{org_id}/lessons/{lesson_id}/risk", response={200: LessonOut, **WRITE})
def lesson_to_risk(
    request: HttpRequest, org_id: int, lesson_id: int, payload: LessonToRiskIn
) -> LessonOut:
    org = get_organisation(request.user, org_id)
    lesson = _get_lesson(request, org, lesson_id)
    try:
        project = project_selectors.get_project(request.user, org, payload.project_id)
    except NotFound as exc:
        raise Invalid("No such project in this organisation.", field="project_id") from exc
    services.lesson_to_risk(
        actor=actor_of(request),
        lesson=lesson,
        expected_version=payload.version,
        project=project,
        probability=payload.probability,
        impact=payload.impact,
    )
    return _lesson(lesson)


@router.post(
    "/organisations/{org_id}/lessons/{lesson_id}/template-change",
    response={200: LessonOut, **WRITE},
)
def lesson_to_template(
    request: HttpRequest, org_id: int, lesson_id: int, payload: LessonToTemplateIn
) -> LessonOut:
    org = get_organisation(request.user, org_id)
    lesson = _get_lesson(request, org, lesson_id)
    template = _in_org(ProjectTemplate, org, payload.template_id, "template_id")
    services.lesson_to_template(
        actor=actor_of(request),
        lesson=lesson,
        expected_version=payload.version,
        template=template,
        phase=payload.phase,
        text=payload.text,
    )
    return _lesson(lesson)
