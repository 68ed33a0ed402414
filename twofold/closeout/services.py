"""Writes for close-out: drafting a handover's operational parts, building them on acceptance,
hypercare, and lessons learned. Each: check permission, one transaction, history.

Who may do what:
* the project team (its manager, sponsor, the people assigned to its tasks, and admins) drafts
  parts while the handover is not accepted;
* accepting runs through ``improvement.services.accept_handover`` (its rules: the process owner
  or an admin, not the proposer unless an owner of the organisation); its registered step
  :func:`build_parts` creates or changes everything here, in that same transaction;
* members record lessons on a project in closure and turn them into improvement items and risks;
  admins change a project template's gate checklist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction

from twofold.accounts.models import Role, User
from twofold.attachments import services as attachments
from twofold.closeout import parts as checks
from twofold.closeout.models import (
    HandoverPart,
    Hypercare,
    Lesson,
    Origin,
    OriginAction,
    PartKind,
)
from twofold.closeout.selectors import team_ids
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.dates import format_day
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.policy import Action, granted, require, role_in
from twofold.improvement import services as improvement
from twofold.improvement.models import Handover, HandoverStatus, ImprovementItem
from twofold.operations import services as ops
from twofold.operations.models import Kpi, Process, Queue, Routine
from twofold.project_templates import services as templates
from twofold.project_templates.models import ProjectTemplate
from twofold.projects.checklists import GATE_PHASES
from twofold.projects.models import Phase, Project
from twofold.risks import services as risks
from twofold.risks.models import Risk

M = TypeVar("M", Kpi, Queue, Routine)

MAX_PARTS = 40
MAX_HYPERCARE_DAYS = 366


def _fresh(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(
            "Someone else changed this since you opened it. Reload to see their change, "
            "then make yours again."
        )


# --- The project team ------------------------------------------------------------------------


def may_draft(user: User, handover: Handover) -> bool:
    """Admins and the project team (not guests) draft until the handover is accepted."""
    if handover.status == HandoverStatus.ACCEPTED:
        return False
    role = role_in(user, handover.organisation_id)
    if role in (Role.ADMIN, Role.OWNER):
        return True
    return role == Role.MEMBER and user.pk in team_ids(handover.project)


def _require_draft(actor: User, handover: Handover, *, part: bool = True) -> None:
    require(actor, Action.VIEW, handover)
    role = role_in(actor, handover.organisation_id)
    on_team = role in (Role.ADMIN, Role.OWNER) or (
        role == Role.MEMBER and actor.pk in team_ids(handover.project)
    )
    if not on_team:
        raise Forbidden("Only the project team or an admin can draft the handover.")
    # Read again under the handover's row lock (PostgreSQL; every caller is one transaction):
    # a part drafted while an acceptance commits waits for it and then sees it accepted,
    # instead of being saved after the parts were built and never built itself.
    status = (
        Handover.objects.select_for_update()
        .filter(pk=handover.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status is None:
        # Gone with its project into the trash (or deleted) since it was read.
        raise NotFound("Handover not found.")
    if status == HandoverStatus.ACCEPTED:
        raise Invalid("An accepted handover cannot change.", field="status")
    if part and status == HandoverStatus.PROPOSED:
        # Awaiting acceptance: whoever reviews it accepts the version they read, so a part
        # changed meanwhile moves the handover's version (their acceptance is then a 409 and
        # they see the change; it built what they never saw).
        Handover.objects.filter(pk=handover.pk).update(version=models.F("version") + 1)
        handover.version += 1


# --- Drafting parts --------------------------------------------------------------------------


def _noun(kind: str) -> str:
    """The kind in running text: "routine", "KPI", "request queue"."""
    label = str(PartKind(kind).label)
    return label if kind == PartKind.KPI else label.lower()


def _clean_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not " ".join(name.split()):
        raise Invalid(f"Give the {_noun(kind)} a name.", field="name")
    clean = " ".join(str(name).split())
    limit = 160 if kind == PartKind.DOCUMENT else 120
    if len(clean) > limit:
        raise Invalid(f"Keep the name under {limit} characters.", field="name")
    return clean


@transaction.atomic
def add_part(
    *,
    actor: User,
    handover: Handover,
    kind: str,
    name: str,
    spec: Any,
    existing_id: Any = None,
    file: UploadedFile[Any] | None = None,
) -> HandoverPart:
    """Draft one part. A document needs ``file`` (stored as an attachment of the project)."""
    _require_draft(actor, handover)
    if kind not in PartKind.values:
        raise Invalid(f"Unknown kind {kind!r}.", field="kind")
    if kind == PartKind.PROCESS:
        name = handover.receiving_name
    clean_name = _clean_name(kind, name)
    clean = checks.clean_spec(handover, kind, spec)
    existing = checks.check_existing(handover, kind, existing_id)
    if HandoverPart.objects.filter(handover=handover).count() >= MAX_PARTS:
        raise Invalid(f"A handover has at most {MAX_PARTS} parts.", field="kind")
    if (
        kind == PartKind.PROCESS
        and HandoverPart.objects.filter(handover=handover, kind=PartKind.PROCESS).exists()
    ):
        raise Invalid("The process change is already drafted: edit it.", field="kind")
    clash = HandoverPart.objects.filter(handover=handover, kind=kind, name__iexact=clean_name)
    if kind != PartKind.PROCESS and clash.exists():
        raise Invalid(
            f"This handover already has a {_noun(kind)} called {clean_name}.",
            field="name",
        )
    attachment = None
    if kind == PartKind.DOCUMENT:
        if file is None:
            raise Invalid("Choose the file to hand over.", field="file")
        attachment = attachments.upload(actor=actor, target=handover.project, file=file)
    part = HandoverPart.objects.create(
        organisation_id=handover.organisation_id,
        handover=handover,
        kind=kind,
        name=clean_name,
        spec=clean,
        existing_id=existing,
        attachment=attachment,
        created_by=actor,
    )
    history.record(
        actor=actor,
        obj=handover,
        action="part drafted",
        changes={"parts": [None, str(part)]},
        summary=f"Drafted {_noun(part.kind)} {part.name}",
    )
    return part


@transaction.atomic
def update_part(
    *,
    actor: User,
    part: HandoverPart,
    expected_version: int | None,
    name: str | None = None,
    spec: Any = None,
    existing_id: Any = ...,
) -> HandoverPart:
    handover = part.handover
    _require_draft(actor, handover)
    _fresh(part, expected_version)
    before = {"name": part.name, "spec": part.spec, "existing_id": part.existing_id}
    if name is not None and part.kind != PartKind.PROCESS:
        part.name = _clean_name(part.kind, name)
        clash = HandoverPart.objects.filter(
            handover=handover, kind=part.kind, name__iexact=part.name
        ).exclude(pk=part.pk)
        if clash.exists():
            raise Invalid(f"This handover already has one called {part.name}.", field="name")
    if spec is not None:
        part.spec = checks.clean_spec(handover, part.kind, spec)
    if existing_id is not ...:
        part.existing_id = checks.check_existing(handover, part.kind, existing_id)
    save_versioned(part, expected_version=expected_version, fields=["name", "spec", "existing_id"])
    changes = history.diff(
        before, {"name": part.name, "spec": part.spec, "existing_id": part.existing_id}
    )
    if changes:
        history.record(
            actor=actor,
            obj=handover,
            action="part changed",
            changes={f"{part.get_kind_display()} {part.name}: {k}": v for k, v in changes.items()},
        )
    return part


@transaction.atomic
def remove_part(*, actor: User, part: HandoverPart, expected_version: int | None = None) -> None:
    """Remove a drafted part; with ``expected_version`` (the API's and the page's ``version``)
    a part changed since it was read is a Conflict and stays (a rename was silently lost)."""
    handover = part.handover
    _require_draft(actor, handover)
    label = str(part)
    if expected_version is not None:
        deleted, _ = HandoverPart.objects.filter(pk=part.pk, version=expected_version).delete()
        if not deleted:
            raise Conflict(
                "Someone changed this part since you read it. Reload to see it, then decide."
            )
    else:
        part.delete()
    history.record(
        actor=actor,
        obj=handover,
        action="part removed",
        changes={"parts": [label, None]},
        summary=f"Removed {label}",
    )


@transaction.atomic
def set_hypercare(
    *,
    actor: User,
    handover: Handover,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    expected_version: int | None = None,
) -> Hypercare | None:
    """Set (or with no dates, clear) the hypercare period of a handover not yet accepted.

    ``expected_version``: the period's version as read (0: there was none); another is a
    Conflict and nothing changes. ``None``: last write wins (the demo loader). The period is
    not a part acceptance builds: the handover's version stays."""
    _require_draft(actor, handover, part=False)
    current = Hypercare.objects.select_for_update().filter(handover=handover).first()
    if expected_version is not None and (current.version if current else 0) != expected_version:
        raise Conflict(
            "Someone changed the hypercare period since you read it. Reload to see it, then "
            "set yours again."
        )
    if starts_on is None and ends_on is None:
        if current is not None:
            current.delete()
            history.record(actor=actor, obj=handover, action="hypercare removed")
        return None
    if starts_on is None:
        raise Invalid("Give the first day of hypercare.", field="starts_on")
    if ends_on is None:
        raise Invalid("Give the last day of hypercare.", field="ends_on")
    if ends_on < starts_on:
        raise Invalid("Hypercare must end on or after the day it starts.", field="ends_on")
    if (ends_on - starts_on).days > MAX_HYPERCARE_DAYS:
        raise Invalid("Hypercare lasts at most a year.", field="ends_on")
    before = f"{format_day(current.starts_on)} – {format_day(current.ends_on)}" if current else None
    if current is None:
        current = Hypercare.objects.create(
            organisation_id=handover.organisation_id,
            handover=handover,
            starts_on=starts_on,
            ends_on=ends_on,
        )
    else:
        current.starts_on, current.ends_on = starts_on, ends_on
        save_versioned(current, expected_version=None, fields=["starts_on", "ends_on"])
    history.record(
        actor=actor,
        obj=handover,
        action="hypercare set",
        changes={"hypercare": [before, f"{format_day(starts_on)} – {format_day(ends_on)}"]},
    )
    return current


# --- Building on acceptance --------------------------------------------------------------------


def _steps(spec: dict[str, Any]) -> list[ops.StepSpec]:
    return [
        ops.StepSpec(
            text=s["text"],
            evidence=s["evidence"],
            min_value=s.get("min_value"),
            max_value=s.get("max_value"),
            unit=s.get("unit", ""),
        )
        for s in spec.get("steps", [])
    ]


def _routine_values(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": spec["description"],
        "rrule": spec["rrule"],
        "starts_on": dt.date.fromisoformat(spec["starts_on"]),
        "due_time": dt.time.fromisoformat(spec["due_time"]),
        "shift": spec["shift"],
        "effort_minutes": spec["effort_minutes"],
        "assignee": User.objects.filter(pk=spec["assignee_id"]).first()
        if spec.get("assignee_id")
        else None,
        "calendar_id": spec.get("calendar_id"),
    }


def _existing(model: type[M], part: HandoverPart, process: Process, what: str) -> M:
    """The operations object ``part`` changes, still in ``process`` (not in the trash).

    Raises:
        Invalid: when it was trashed, deleted or moved since the part was drafted (named by
            the caller with the part).
    """
    rows = model._default_manager.filter(process=process)
    found = rows.filter(pk=part.existing_id).first() if part.existing_id else None
    if found is None:
        raise Invalid(
            f"the {what} it changes is no longer in {process.name} (moved to the trash or "
            f"deleted since the part was drafted). Restore it, or draft the part as a new {what}.",
            field="existing_id",
        )
    return found


def _build_one(actor: User, handover: Handover, part: HandoverPart) -> tuple[models.Model, str]:
    """Create or change the part's operations object through the operations services."""
    process = handover.process
    assert process is not None  # set before the parts are built (a new one is created first)
    # Checked again: a person may have left or a calendar gone since the part was drafted.
    spec = checks.clean_spec(handover, part.kind, part.spec)
    if part.kind == PartKind.PROCESS:
        values: dict[str, Any] = {}
        if spec.get("description"):
            values["description"] = spec["description"]
        if spec.get("team_id"):
            values["team_id"] = spec["team_id"]
        team_id = values.pop("team_id", None)
        if team_id is not None:
            from twofold.accounts.models import Team

            values["team"] = Team.objects.get(pk=team_id)
        ops.update_process(actor=actor, process=process, expected_version=None, **values)
        return process, OriginAction.CHANGED
    if part.kind == PartKind.ROUTINE:
        values = _routine_values(spec)
        calendar_id = values.pop("calendar_id")
        if calendar_id:
            from twofold.calendars.models import Calendar

            values["calendar"] = Calendar.objects.get(pk=calendar_id)
        if part.existing_id:
            routine = _existing(Routine, part, process, "routine")
            ops.update_routine(
                actor=actor,
                routine=routine,
                expected_version=None,
                steps=_steps(spec),
                name=part.name,
                **values,
            )
            return routine, OriginAction.CHANGED
        routine = ops.create_routine(
            actor=actor, process=process, steps=_steps(spec), name=part.name, **values
        )
        return routine, OriginAction.CREATED
    if part.kind == PartKind.KPI:
        values = {k: spec[k] for k in checks.FIELDS[PartKind.KPI]}
        if part.existing_id:
            kpi = _existing(Kpi, part, process, "KPI")
            ops.update_kpi(actor=actor, kpi=kpi, expected_version=None, name=part.name, **values)
            return kpi, OriginAction.CHANGED
        return ops.create_kpi(
            actor=actor, process=process, name=part.name, **values
        ), OriginAction.CREATED
    if part.kind == PartKind.QUEUE:
        from twofold.calendars.models import Calendar

        calendar = Calendar.objects.get(pk=spec["calendar_id"])
        if part.existing_id:
            queue = _existing(Queue, part, process, "queue")
            ops.update_queue(
                actor=actor,
                queue=queue,
                expected_version=None,
                name=part.name,
                description=spec["description"],
                calendar=calendar,
                sla_hours=spec["sla_hours"],
            )
            return queue, OriginAction.CHANGED
        queue = ops.create_queue(
            actor=actor,
            organisation=handover.organisation,
            name=part.name,
            calendar=calendar,
            process=process,
            description=spec["description"],
            sla_hours=spec["sla_hours"],
        )
        return queue, OriginAction.CREATED
    return process, OriginAction.DOCUMENT


def build_parts(actor: User, handover: Handover) -> list[str]:
    """Registered in ``improvement.services.ACCEPT_STEPS``: runs inside the acceptance.

    The accepting process owner gets, for this block only, the right to manage the
    organisation's operations, so the operations services (which ask for ``manage``) create
    what the handover lists with the owner named in their history. Any refusal rolls the whole
    acceptance back; its message names the part and the field.
    """
    part_list = list(
        HandoverPart.objects.filter(handover=handover).select_related("attachment").order_by("id")
    )
    hypercare = Hypercare.objects.filter(handover=handover).first()
    origins = []
    if handover.creates_process and handover.process_id is not None:
        # ``improvement`` created the drafted process just before this step: link it back.
        origins.append(
            Origin(
                organisation_id=handover.organisation_id,
                content_type=ContentType.objects.get_for_model(Process),
                object_id=handover.process_id,
                project_id=handover.project_id,
                handover=handover,
                part=None,
                action=OriginAction.CREATED,
            )
        )
    if not part_list and hypercare is None:
        Origin.objects.bulk_create(origins)
        return []
    made: dict[str, list[str]] = {}
    queue: Queue | None = None
    with granted(actor, Action.MANAGE, handover.organisation_id):
        for part in part_list:
            try:
                obj, action = _build_one(actor, handover, part)
            except Invalid as exc:
                raise Invalid(
                    f"{part.get_kind_display()} “{part.name}”: {exc.message}",
                    field=f"parts.{part.pk}.{exc.field}" if exc.field else f"parts.{part.pk}",
                ) from exc
            if isinstance(obj, Queue) and queue is None:
                queue = obj
            part.result_id = obj.pk
            origins.append(
                Origin(
                    organisation_id=handover.organisation_id,
                    content_type=ContentType.objects.get_for_model(type(obj)),
                    object_id=obj.pk,
                    project_id=handover.project_id,
                    handover=handover,
                    part=part,
                    action=action,
                )
            )
            verb = {"created": "created", "changed": "changed", "document": "handed over"}[action]
            made.setdefault(verb, []).append(f"{_noun(part.kind)} {part.name}")
    HandoverPart.objects.bulk_update(part_list, ["result_id"])
    Origin.objects.bulk_create(origins)
    if hypercare is not None and queue is not None:
        hypercare.queue = queue
        save_versioned(hypercare, expected_version=None, fields=["queue"])
    return [f"{verb} {', '.join(names)}" for verb, names in made.items()]


def closure_gate_check(project: Project, phase: str) -> str | None:
    """Registered gate check: the gate into closure waits while a handover of the project that
    drafted operational deliverables is not accepted (another handover accepted, with or
    without parts, does not build them: until 2026-12-06 it let the project close)."""
    if phase != Phase.EXECUTION:
        return None
    waiting = (
        Handover.objects.filter(project=project, parts__isnull=False)
        .exclude(status=HandoverStatus.ACCEPTED)
        .select_related("process")
        .order_by("proposed_at", "id")
        .first()
    )
    if waiting is None:
        return None
    return (
        f"The handover to {waiting.receiving_name} hands operational deliverables over "
        "(routines, KPIs, queues or documents): its process owner must accept it before the "
        "project closes."
    )


# --- Lessons learned ---------------------------------------------------------------------------

LESSON_FIELDS = ["title", "worked", "did_not_work", "recommendation", "process", "template"]


def _check_lesson(
    organisation_id: int, values: dict[str, Any], current_process_id: int | None = None
) -> None:
    """Clean ``values`` in place. ``current_process_id``: the process the lesson already names,
    which may stay when archived since (a new link needs a live one, as on the page)."""
    unknown = sorted(set(values) - set(LESSON_FIELDS))
    if unknown:
        raise Invalid(f"Unknown field {unknown[0]}.", field=unknown[0])
    if "title" in values:
        title = " ".join(str(values["title"] or "").split())
        if not title:
            raise Invalid("A lesson needs a title.", field="title")
        if len(title) > 160:
            raise Invalid("Keep the title under 160 characters.", field="title")
        values["title"] = title
    for key in ("worked", "did_not_work", "recommendation"):
        if key in values:
            values[key] = str(values[key] or "").strip()
            if len(values[key]) > 5000:
                raise Invalid("Keep it under 5,000 characters.", field=key)
    for key in ("process", "template"):
        obj = values.get(key)
        if obj is not None and obj.organisation_id != organisation_id:
            raise Invalid(f"Choose a {key} of this organisation.", field=key)
    # The shared rule (the page offers live processes only; the API linked archived ones
    # until 2026-12-06).
    ops.check_live_process(values.get("process"), current_process_id)


def _require_text(values: dict[str, Any]) -> None:
    if not (values.get("worked") or values.get("did_not_work") or values.get("recommendation")):
        raise Invalid(
            "Say what worked, what did not, or what you recommend.", field="recommendation"
        )


@transaction.atomic
def record_lesson(*, actor: User, project: Project, **values: Any) -> Lesson:
    """A lesson on a project in closure (members)."""
    require(actor, Action.EDIT, project)
    if project.phase != Phase.CLOSURE:
        raise Invalid(
            f"Lessons are recorded at closure; {project.name} is in {project.get_phase_display()}.",
            field="project",
        )
    values.setdefault("title", "")
    _check_lesson(project.organisation_id, values)
    _require_text(values)
    lesson = Lesson.objects.create(
        organisation_id=project.organisation_id, project=project, created_by=actor, **values
    )
    history.record(actor=actor, obj=lesson, action="created", summary=f"Lesson “{lesson.title}”")
    history.record(
        actor=actor, obj=project, action="lesson recorded", summary=f"Lesson “{lesson.title}”"
    )
    return lesson


@transaction.atomic
def update_lesson(
    *, actor: User, lesson: Lesson, expected_version: int | None, **values: Any
) -> Lesson:
    require(actor, Action.EDIT, lesson)
    _fresh(lesson, expected_version)
    _check_lesson(lesson.organisation_id, values, lesson.process_id)
    # The rule ``record_lesson`` holds, on the texts as they would be after this change (an
    # edit emptied all three until 2026-12-06).
    _require_text(
        {k: values.get(k, getattr(lesson, k)) for k in ("worked", "did_not_work", "recommendation")}
    )
    before = history.snapshot(lesson, values)
    for key, value in values.items():
        setattr(lesson, key, value)
    save_versioned(lesson, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(lesson, values))
    if changes:
        history.record(actor=actor, obj=lesson, action="updated", changes=changes)
    return lesson


def _lesson_text(lesson: Lesson) -> str:
    parts = [
        ("What worked", lesson.worked),
        ("What did not work", lesson.did_not_work),
        ("Recommendation", lesson.recommendation),
    ]
    return "\n\n".join(f"{label}: {text}" for label, text in parts if text)


@transaction.atomic
def lesson_to_improvement(
    *,
    actor: User,
    lesson: Lesson,
    expected_version: int | None,
    process: Process | None = None,
    owner: User | None = None,
) -> ImprovementItem:
    """Raise an improvement item for a process from the lesson (through the improvement
    services); the lesson keeps the link."""
    require(actor, Action.EDIT, lesson)
    _fresh(lesson, expected_version)
    if lesson.improvement_item_id is not None:
        raise Invalid("This lesson is already an improvement item.", field="improvement_item")
    process = process or lesson.process
    if process is None:
        raise Invalid("Choose the process the improvement is for.", field="process")
    item = improvement.create_item(
        actor=actor,
        organisation=lesson.organisation,
        title=lesson.title,
        problem=_lesson_text(lesson) or lesson.title,
        process=process,
        owner=owner,
        expected_benefit=lesson.recommendation,
    )
    lesson.improvement_item = item
    if lesson.process_id is None:
        lesson.process = process
    save_versioned(
        lesson, expected_version=expected_version, fields=["improvement_item", "process"]
    )
    history.record(
        actor=actor,
        obj=lesson,
        action="became an improvement item",
        changes={"improvement_item": [None, item.title]},
    )
    history.record(
        actor=actor,
        obj=item,
        action="from lesson",
        summary=f"From a lesson of {lesson.project.code} {lesson.project.name}",
    )
    return item


@transaction.atomic
def lesson_to_risk(
    *,
    actor: User,
    lesson: Lesson,
    expected_version: int | None,
    project: Project,
    probability: int = 3,
    impact: int = 3,
) -> Risk:
    """Twofold has no organisation-wide risk library yet: the lesson becomes a risk on a chosen
    project (through the risks services, so its rules apply)."""
    require(actor, Action.EDIT, lesson)
    _fresh(lesson, expected_version)
    if lesson.risk_id is not None:
        raise Invalid("This lesson is already a risk.", field="risk")
    if project.organisation_id != lesson.organisation_id:
        raise Invalid("Choose a project of this organisation.", field="project")
    if project.phase == Phase.CLOSURE or project.archived_at is not None:
        # As the page's picker offers them: the API made risks on projects in closure or
        # archived, where nobody works them.
        raise Invalid(
            "Choose a project still ahead of closure: the risk is for the next one.",
            field="project",
        )
    risk = risks.create_risk(
        actor=actor,
        project=project,
        title=lesson.title[:200],
        description=_lesson_text(lesson),
        mitigation=lesson.recommendation,
        probability=probability,
        impact=impact,
    )
    lesson.risk = risk
    save_versioned(lesson, expected_version=expected_version, fields=["risk"])
    history.record(
        actor=actor,
        obj=lesson,
        action="became a risk",
        changes={"risk": [None, f"{project.code}: {risk.title}"]},
    )
    return risk


@transaction.atomic
def lesson_to_template(
    *,
    actor: User,
    lesson: Lesson,
    expected_version: int | None,
    template: ProjectTemplate,
    phase: str,
    text: str,
) -> ProjectTemplate:
    """Add a checklist item to a gate of a project template (admins, through the templates
    services): the next projects made from it ask for it."""
    require(actor, Action.EDIT, lesson)
    _fresh(lesson, expected_version)
    if template.organisation_id != lesson.organisation_id:
        raise Invalid("Choose a template of this organisation.", field="template")
    if phase not in GATE_PHASES:
        raise Invalid("Choose the gate out of initiation, planning or execution.", field="phase")
    text = " ".join((text or "").split())
    if not text:
        raise Invalid("Write the checklist item to add.", field="text")
    gates = {k: list(v) for k, v in (template.content.get("gates") or {}).items()}
    items = gates.get(phase, [])
    if text.casefold() in {i.casefold() for i in items}:
        raise Invalid(f"The {phase} gate already asks for “{text}”.", field="text")
    templates.update_template(
        actor=actor, template=template, expected_version=None, gates={phase: [*items, text]}
    )
    lesson.template = template
    lesson.template_change = f"{Phase(phase).label} gate: {text}"[:300]
    save_versioned(
        lesson, expected_version=expected_version, fields=["template", "template_change"]
    )
    history.record(
        actor=actor,
        obj=lesson,
        action="changed a template",
        changes={"template_change": [None, f"{template.name}: {lesson.template_change}"]},
    )
    return template
