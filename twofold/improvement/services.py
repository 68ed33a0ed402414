"""Writes for continuous improvement. Each: check permission, one transaction, history.

Items are raised by members (from a signal or as an idea), moved through new → triaged →
in progress → done / rejected, and may start a project (admins, through the projects
services). A handover is proposed by the project's manager (or an admin) and accepted or sent
back by the receiving process's owner (or an admin).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.core import history, trash
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.policy import Action, can, require, role_in
from twofold.improvement import selectors
from twofold.improvement.deliverables import MAX_DELIVERABLES, default_deliverables
from twofold.improvement.models import (
    NEXT_STATUSES,
    Effort,
    Handover,
    HandoverStatus,
    ImprovementItem,
    ItemStatus,
    Source,
)
from twofold.operations.models import Kpi, Process, Queue, Routine
from twofold.operations.services import check_live_process
from twofold.projects import services as projects
from twofold.projects.models import GateItem, Phase, Project

HANDOVER_PHASES = (Phase.EXECUTION, Phase.CLOSURE)
# What else accepting a handover does, inside its transaction (registered from an app's
# ``ready()``: ``closeout`` builds the handover's routines, KPIs and queues in operations). Each
# step takes (actor, handover) and returns lines for the acceptance's history summary.
ACCEPT_STEPS: list[Callable[[User, Handover], list[str]]] = []

ITEM_FIELDS = ["title", "problem", "process", "owner", "expected_benefit", "benefit", "effort"]
# The PDCA / A3 record (free text; "problem" above is its first box).
A3_FIELDS = ["root_cause", "countermeasure", "check_notes", "act"]
ITEM_FIELDS += A3_FIELDS
HANDOVER_GATE_ITEM = "Handover to operations signed"


def _fresh(obj: ImprovementItem | Handover, expected_version: int | None) -> None:
    """Refuse a stale edit before touching the object in memory (``save_versioned`` still
    guards the race between this check and the write)."""
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(
            "Someone else changed this since you opened it. Reload to see their change, "
            "then make yours again."
        )


def _member(organisation_id: int, user: User | None, field: str) -> None:
    if user is None:
        return
    role = (
        Membership.objects.filter(organisation_id=organisation_id, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if role is None or role == Role.GUEST:
        raise Invalid("Choose a member of the organisation (not a guest).", field=field)


def _check_item_values(
    organisation: Organisation, values: dict[str, Any], current_process_id: int | None = None
) -> None:
    unknown = set(values) - set(ITEM_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    for name in ("title", "problem"):
        if name in values:
            if values[name] is None or not str(values[name]).strip():
                raise Invalid(
                    f"An improvement needs a {name.replace('problem', 'problem statement')}.",
                    field=name,
                )
            values[name] = str(values[name]).strip()
    if "title" in values and len(values["title"]) > 160:
        raise Invalid("Keep the title under 160 characters.", field="title")
    for name in ("expected_benefit", *A3_FIELDS):
        if name in values:
            values[name] = str(values[name] or "").strip()
    if "benefit" in values:
        benefit = values["benefit"]
        if not isinstance(benefit, int) or isinstance(benefit, bool) or not 1 <= benefit <= 5:
            raise Invalid("Benefit is a whole number from 1 to 5.", field="benefit")
    if "effort" in values and values["effort"] not in Effort.values:
        raise Invalid("Effort is S, M or L.", field="effort")
    process = values.get("process")
    if process is not None and process.organisation_id != organisation.pk:
        raise Invalid("Choose a process of this organisation.", field="process")
    check_live_process(process, current_process_id)
    _member(organisation.pk, values.get("owner"), "owner")


def _check_origin(source: str, origin: Kpi | Queue | Routine) -> None:
    """A signal raises one open item: a second one (a double submit, two people at once) is
    refused, naming the item already open. The source's row is locked first (PostgreSQL), so
    two raises at the same moment queue here and the second sees the first. Nothing new is
    raised from an archived KPI, queue or routine, or one of an archived process (the signals
    leave them out; the API took them)."""
    locked = type(origin).objects.select_for_update().filter(pk=origin.pk).first()
    if locked is None:
        raise NotFound("Not found.")
    if locked.archived_at is not None:
        raise Invalid(f"{origin} is archived: nothing new is raised from it.", field="source")
    process = getattr(origin, "process", None)
    if process is not None and process.archived_at is not None:
        raise Invalid(
            f"{origin} belongs to {process.name}, which is archived: nothing new is raised "
            "from it.",
            field="source",
        )
    existing = selectors.open_item_from(source, origin)
    if existing is not None:
        raise Invalid(
            f"“{existing.title}” (item #{existing.pk}, {existing.get_status_display().lower()}) "
            f"is already open for {origin}: follow it there instead of raising it again.",
            field="source",
        )


RAISED_FROM = {
    Source.KPI_SIGNAL: "Raised from a KPI that needs attention",
    Source.SLA_TREND: "Raised from a queue missing its SLA",
    Source.ROUTINE_MISSES: "Raised from a routine done late or missed",
    Source.IDEA: "Raised as an idea",
}


@transaction.atomic
def create_item(
    *,
    actor: User,
    organisation: Organisation,
    source: str = Source.IDEA,
    kpi: Kpi | None = None,
    queue: Queue | None = None,
    routine: Routine | None = None,
    **values: Any,
) -> ImprovementItem:
    """A new item. Raised from a signal, it keeps the signal's evidence as it is now."""
    require(actor, Action.EDIT, organisation)
    if source not in Source.values:
        raise Invalid(f"Unknown source {source!r}.", field="source")
    origin: Kpi | Queue | Routine | None = {"kpi": kpi, "sla": queue, "routine": routine}.get(
        source
    )
    if source != Source.IDEA and origin is None:
        raise Invalid("Name the KPI, queue or routine the signal comes from.", field="source")
    if origin is not None and origin.organisation_id != organisation.pk:
        raise NotFound("Not found.")
    if origin is not None:
        _check_origin(source, origin)
    values.setdefault("benefit", 3)
    values.setdefault("effort", Effort.MEDIUM)
    _check_item_values(organisation, values)
    evidence, raised_value = "", None
    if origin is not None:
        signal = selectors.signal_for(source, origin)
        if signal is not None:
            evidence, raised_value = signal.evidence, signal.value
        else:
            evidence = f"{origin}: no signal when raised."
            raised_value = origin.latest_value if isinstance(origin, Kpi) else None
        if values.get("process") is None:
            values["process"] = getattr(origin, "process", None)
    item = ImprovementItem.objects.create(
        organisation=organisation,
        source=source,
        kpi=kpi if source == Source.KPI_SIGNAL else None,
        queue=queue if source == Source.SLA_TREND else None,
        routine=routine if source == Source.ROUTINE_MISSES else None,
        evidence=evidence,
        raised_value=raised_value,
        created_by=actor,
        **values,
    )
    history.record(
        actor=actor,
        obj=item,
        action="created",
        summary=RAISED_FROM[Source(source)] + (f": {evidence}" if evidence else ""),
    )
    return item


@transaction.atomic
def update_item(
    *, actor: User, item: ImprovementItem, expected_version: int | None, **values: Any
) -> ImprovementItem:
    require(actor, Action.EDIT, item)
    _fresh(item, expected_version)
    _check_item_values(item.organisation, values, item.process_id)
    before = history.snapshot(item, values)
    for key, value in values.items():
        setattr(item, key, value)
    save_versioned(item, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(item, values))
    if changes:
        history.record(actor=actor, obj=item, action="updated", changes=changes)
    return item


def _origin_of(item: ImprovementItem) -> Kpi | Queue | Routine | None:
    """The KPI, queue or routine the item was raised from (None for an idea, or once gone)."""
    if item.source == Source.KPI_SIGNAL:
        return item.kpi
    if item.source == Source.SLA_TREND:
        return item.queue
    if item.source == Source.ROUTINE_MISSES:
        return item.routine
    return None


def running_project(item: ImprovementItem) -> Project | None:
    """The item's project while it holds the item: not yet in closure, and neither archived
    nor in the trash. Done waits for it, and so does leaving "in progress"."""
    project = item.project if item.project_id is not None else None
    if (
        project is not None
        and project.deleted_at is None
        and project.archived_at is None
        and project.phase != Phase.CLOSURE
    ):
        return project
    return None


@transaction.atomic
def set_status(
    *,
    actor: User,
    item: ImprovementItem,
    status: str,
    expected_version: int | None,
    reason: str = "",
) -> ImprovementItem:
    """Move an item along its workflow; rejecting needs a reason, done goes through
    ``complete_item``."""
    require(actor, Action.EDIT, item)
    _fresh(item, expected_version)
    if status not in ItemStatus.values:
        raise Invalid(f"Unknown status {status!r}.", field="status")
    if status == item.status:
        return item
    if status not in NEXT_STATUSES[item.status]:
        raise Invalid(
            f"An item that is {item.get_status_display().lower()} cannot become "
            f"{ItemStatus(status).label.lower()}.",
            field="status",
        )
    if status == ItemStatus.DONE:
        raise Invalid("Mark the item done with its measured result.", field="status")
    reason = reason.strip()
    if status == ItemStatus.REJECTED and not reason:
        raise Invalid("Say why the item is rejected.", field="reason")
    if item.status == ItemStatus.REJECTED and item.source != Source.IDEA:
        # Reopening is raising again: one open item per signal.
        origin = _origin_of(item)
        other = selectors.open_item_from(item.source, origin) if origin is not None else None
        if other is not None:
            raise Invalid(
                f"“{other.title}” (item #{other.pk}) is open for {origin} now: follow it there "
                "instead of reopening this one.",
                field="status",
            )
    project = running_project(item)
    if project is not None:
        # Leaving "in progress" while its project runs got around "done only once the project
        # is in closure", and left the item stuck ("already has a project").
        raise Invalid(
            f"The project {project} is in {project.get_phase_display()}: this item follows "
            "it until the project reaches closure (or is archived or deleted).",
            field="status",
        )
    old = item.status
    item.status = status
    item.reason = reason[:300] if status == ItemStatus.REJECTED else ""
    item.closed_at = timezone.now() if status == ItemStatus.REJECTED else None
    save_versioned(
        item, expected_version=expected_version, fields=["status", "reason", "closed_at"]
    )
    history.record(
        actor=actor,
        obj=item,
        action="status changed",
        changes={"status": [old, status]},
        summary=reason,
    )
    return item


def _unique_code(organisation: Organisation, item: ImprovementItem) -> str:
    base = f"CI-{item.pk:02d}"
    code, n = base, 2
    # A project in the trash keeps its code (projects.services refuses it), so look there too.
    while Project.all_objects.filter(organisation=organisation, code__iexact=code).exists():
        code, n = f"{base}-{n}", n + 1
    return code


@transaction.atomic
def start_project(
    *,
    actor: User,
    item: ImprovementItem,
    expected_version: int | None,
    manager: User | None,
    name: str = "",
    target_start: dt.date | None = None,
    target_finish: dt.date | None = None,
) -> Project:
    """Create a project in initiation from the item (admins) and put the item in progress.

    The project is linked to the item's process (it changes that process)."""
    require(actor, Action.VIEW, item)
    _fresh(item, expected_version)
    if not can(actor, Action.MANAGE, item):
        raise Forbidden("Only an admin can start a project.")
    if item.project_id is not None:
        raise Invalid("This item already has a project.", field="project")
    if not item.is_open:
        raise Invalid("Only an open item can start a project.", field="status")
    if manager is None:
        raise Invalid("Choose the project manager.", field="manager")
    objectives = item.problem
    if item.expected_benefit:
        objectives += f"\n\nExpected benefit: {item.expected_benefit}"
    criteria = item.expected_benefit or ""
    if item.evidence:
        criteria = (criteria + "\n" if criteria else "") + f"Improves on: {item.evidence}"
    project = projects.create_project(
        actor=actor,
        organisation=item.organisation,
        name=(name or item.title).strip()[:160],
        code=_unique_code(item.organisation, item),
        manager=manager,
        objectives=objectives,
        success_criteria=criteria,
        target_start=target_start or timezone.localdate(),
        target_finish=target_finish,
    )
    old = item.status
    item.project = project
    item.status = ItemStatus.IN_PROGRESS
    save_versioned(item, expected_version=expected_version, fields=["project", "status"])
    history.record(
        actor=actor,
        obj=item,
        action="project started",
        changes={"status": [old, item.status], "project": [None, str(project)]},
        summary=f"Started {project} with {manager.display_name} as manager",
    )
    history.record(
        actor=actor,
        obj=project,
        action="started from improvement",
        summary=f"From improvement item “{item.title}”",
    )
    if item.process is not None and item.process.archived_at is None:
        # The project changes the item's process: both sides show it, and its go-live there
        # will mark the process's KPIs.
        from twofold.improvement.go_live import link_process

        link_process(actor=actor, project=project, process=item.process)
    return project


@transaction.atomic
def complete_item(
    *,
    actor: User,
    item: ImprovementItem,
    expected_version: int | None,
    result: str,
    result_value: float | None = None,
) -> ImprovementItem:
    """Mark the item done with its measured result; a KPI item takes the KPI's latest value."""
    require(actor, Action.EDIT, item)
    _fresh(item, expected_version)
    if item.status != ItemStatus.IN_PROGRESS:
        raise Invalid("Only an item in progress can be marked done.", field="status")
    project = running_project(item)
    if project is not None:
        # The same rule as leaving "in progress": a project archived or in the trash before it
        # reached closure no longer holds the item (it could never be marked done).
        raise Invalid(
            f"The project {project} is in {project.get_phase_display()}; "
            "mark the item done once it closes (or is archived or deleted).",
            field="status",
        )
    result = (result or "").strip()
    if not result:
        raise Invalid("Describe the measured result.", field="result")
    if result_value is not None:
        try:
            result_value = float(result_value)
        except (TypeError, ValueError, OverflowError):
            raise Invalid("The result value is a number.", field="result_value") from None
        if not math.isfinite(result_value):
            raise Invalid("The result value must be a finite number.", field="result_value")
    if result_value is None and item.kpi is not None:
        result_value = item.kpi.latest_value
    item.status = ItemStatus.DONE
    item.result = result
    item.result_value = result_value
    item.closed_at = timezone.now()
    save_versioned(
        item,
        expected_version=expected_version,
        fields=["status", "result", "result_value", "closed_at"],
    )
    history.record(
        actor=actor,
        obj=item,
        action="done",
        changes={"status": [ItemStatus.IN_PROGRESS.value, ItemStatus.DONE.value]},
        summary=result,
    )
    return item


# --- Handovers -------------------------------------------------------------------------------


def may_propose(user: User, project: Project) -> bool:
    role = role_in(user, project.organisation_id)
    if role in (Role.ADMIN, Role.OWNER):
        return True
    return role == Role.MEMBER and project.manager_id == user.pk


def may_decide(user: User, handover: Handover) -> bool:
    """Admins, and the receiving process's owner (for a new process: its drafted owner)."""
    role = role_in(user, handover.organisation_id)
    if role in (Role.ADMIN, Role.OWNER):
        return True
    return role == Role.MEMBER and handover.receiving_owner_id == user.pk


def _team_ids(project: Project) -> set[int]:
    """The project team: manager, sponsor and everyone assigned to one of its tasks (1 query)."""
    from twofold.projects.models import Task

    ids = set(
        Task.objects.filter(project=project, assignee__isnull=False).values_list(
            "assignee_id", flat=True
        )
    )
    ids.update(i for i in (project.manager_id, project.sponsor_id) if i is not None)
    return ids


def may_draft_new_process(user: User, handover: Handover) -> bool:
    """The project team (and admins) draft the new process until the handover is accepted."""
    if handover.status == HandoverStatus.ACCEPTED or not handover.creates_process:
        return False
    role = role_in(user, handover.organisation_id)
    if role in (Role.ADMIN, Role.OWNER):
        return True
    return role == Role.MEMBER and user.pk in _team_ids(handover.project)


def clean_new_process(
    organisation_id: int, name: Any, owner: User | None, description: Any
) -> tuple[str, User, str]:
    """The drafted new process: a free name, an owner who is a member, a description.
    Refusals name ``new_process_name``, ``new_process_owner`` or ``new_process_description``."""
    if not isinstance(name, str) or not " ".join(name.split()):
        raise Invalid("Give the new process a name.", field="new_process_name")
    clean = " ".join(name.split())
    if len(clean) > 120:
        raise Invalid("Keep the process name under 120 characters.", field="new_process_name")
    taken = list(
        Process.all_objects.filter(organisation_id=organisation_id, name__iexact=clean).values_list(
            "deleted_at", flat=True
        )[:1]
    )
    if taken:
        where = " in the trash" if taken[0] is not None else ""
        raise Invalid(
            f"There is already a process called {clean}{where}: choose it as the receiving "
            "process, or give the new one another name.",
            field="new_process_name",
        )
    if owner is None:
        raise Invalid(
            "Name the new process's owner: they accept the handover.", field="new_process_owner"
        )
    _member(organisation_id, owner, "new_process_owner")
    if not isinstance(description, str):
        raise Invalid("The description is text.", field="new_process_description")
    text = description.strip()
    if len(text) > 5000:
        raise Invalid(
            "Keep the description under 5,000 characters.", field="new_process_description"
        )
    return clean, owner, text


@transaction.atomic
def set_new_process(
    *,
    actor: User,
    handover: Handover,
    name: str,
    owner: User | None,
    description: str,
    expected_version: int | None,
) -> Handover:
    """The project team changes the drafted new process (name, owner, description)."""
    require(actor, Action.VIEW, handover)
    role = role_in(actor, handover.organisation_id)
    if role not in (Role.ADMIN, Role.OWNER) and not (
        role == Role.MEMBER and actor.pk in _team_ids(handover.project)
    ):
        raise Forbidden("Only the project team or an admin can draft the new process.")
    _fresh(handover, expected_version)
    if handover.status == HandoverStatus.ACCEPTED:
        raise Invalid("An accepted handover cannot change.", field="status")
    if not handover.creates_process or handover.process_id is not None:
        raise Invalid("This handover goes to an existing process.", field="new_process_name")
    clean, who, text = clean_new_process(handover.organisation_id, name, owner, description)
    if handover.status == HandoverStatus.PROPOSED:
        _check_none_awaiting(handover.project, None, handover, new_name=clean)
    before = {
        "new process": handover.new_process_name,
        "new process owner": handover.new_process_owner.display_name
        if handover.new_process_owner
        else None,
        "new process description": handover.new_process_description,
    }
    handover.new_process_name, handover.new_process_owner = clean, who
    handover.new_process_description = text
    save_versioned(
        handover,
        expected_version=expected_version,
        fields=["new_process_name", "new_process_owner", "new_process_description"],
    )
    changes = history.diff(
        before,
        {
            "new process": clean,
            "new process owner": who.display_name,
            "new process description": text,
        },
    )
    if changes:
        history.record(actor=actor, obj=handover, action="new process drafted", changes=changes)
    return handover


def _create_new_process(actor: User, handover: Handover) -> Process:
    """Inside the acceptance: create the drafted process through the operations services (the
    accepting owner borrows ``manage`` for this block) and point the handover at it."""
    from twofold.core.policy import granted
    from twofold.operations import services as ops

    clean, owner, text = clean_new_process(
        handover.organisation_id,
        handover.new_process_name,
        handover.new_process_owner,
        handover.new_process_description,
    )
    with granted(actor, Action.MANAGE, handover.organisation_id):
        try:
            process = ops.create_process(
                actor=actor,
                organisation=handover.organisation,
                name=clean,
                owner=owner,
                description=text,
            )
        except Invalid as exc:
            raise Invalid(exc.message, field=f"new_process_{exc.field or 'name'}") from exc
    history.record(
        actor=actor,
        obj=process,
        action="created by handover",
        summary=f"Created by the handover of {handover.project.name}",
    )
    return process


def _check_phase(project: Project) -> None:
    if project.phase not in HANDOVER_PHASES:
        raise Invalid(
            f"{project.name} is in {project.get_phase_display()}: a handover can be proposed "
            "once the project is in execution or closure.",
            field="project",
        )


def _clean_deliverables(deliverables: Any, *, from_setting: bool = False) -> list[dict[str, Any]]:
    """The checklist: 1 to ``MAX_DELIVERABLES`` texts (the organisation's setting has the same
    limit; it may be empty, and then each proposal lists its own)."""
    if not isinstance(deliverables, list):
        raise Invalid("Deliverables are a list.", field="deliverables")
    out = []
    for d in deliverables:
        if isinstance(d, str):
            d = {"text": d, "done": False}
        if not isinstance(d, dict) or not isinstance(d.get("text"), str):
            raise Invalid("Each deliverable has a text.", field="deliverables")
        text = d["text"].strip()[:200]
        if text:
            out.append({"text": text, "done": bool(d.get("done", False))})
    if not out:
        raise Invalid(
            "This organisation has no default handover deliverables (Settings → Handover "
            "deliverables): list at least one deliverable."
            if from_setting
            else "List at least one deliverable.",
            field="deliverables",
        )
    if len(out) > MAX_DELIVERABLES:
        raise Invalid(f"At most {MAX_DELIVERABLES} deliverables.", field="deliverables")
    return out


@transaction.atomic
def propose_handover(
    *,
    actor: User,
    project: Project,
    process: Process | None,
    deliverables: list[Any] | None = None,
    note: str = "",
    new_process_name: str = "",
    new_process_owner: User | None = None,
    new_process_description: str = "",
) -> Handover:
    """The project manager (or an admin) proposes to hand the project's results to a process:
    an existing one, or (``process`` None) a new one drafted by the ``new_process_*`` values,
    which acceptance creates."""
    require(actor, Action.VIEW, project)
    if not may_propose(actor, project):
        raise Forbidden("Only the project manager or an admin can propose a handover.")
    new: tuple[str, User | None, str] = ("", None, "")
    if process is None:
        if not (new_process_name or "").strip():
            raise Invalid(
                "Choose the receiving process, or name the new process the handover creates.",
                field="process",
            )
        new = clean_new_process(
            project.organisation_id, new_process_name, new_process_owner, new_process_description
        )
    elif (new_process_name or "").strip():
        raise Invalid(
            "Choose an existing process or name a new one, not both.", field="new_process_name"
        )
    elif process.organisation_id != project.organisation_id:
        raise Invalid("Choose a process of this organisation.", field="process")
    elif process.archived_at is not None:
        # The page offered only live processes; the API took an archived one, and accepting
        # built live KPIs and routines into it.
        raise Invalid("This process is archived: choose a process in use.", field="process")
    _check_phase(project)
    _check_none_awaiting(project, process, new_name=new[0])
    items = (
        _clean_deliverables(deliverables)
        if deliverables is not None
        else _clean_deliverables(
            default_deliverables(project.organisation_id),  # the organisation's setting
            from_setting=True,
        )
    )
    handover = Handover.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        process=process,
        new_process_name=new[0],
        new_process_owner=new[1],
        new_process_description=new[2],
        deliverables=items,
        note=note.strip(),
        proposed_by=actor,
    )
    summary = f"Handover of {project.name} proposed to {handover.receiving_name}"
    history.record(actor=actor, obj=handover, action="proposed", summary=summary)
    history.record(actor=actor, obj=project, action="handover proposed", summary=summary)
    return handover


@transaction.atomic
def update_deliverables(
    *, actor: User, handover: Handover, deliverables: list[Any], expected_version: int | None
) -> Handover:
    """The proposer side ticks or edits the checklist until the handover is accepted.

    Not the receiving side: the process owner accepts or returns. The owner could rewrite the
    project's checklist, tick it and accept it, which made the one quality gate of a handover
    (every deliverable ticked) self-certified."""
    require(actor, Action.VIEW, handover)
    if not may_propose(actor, handover.project):
        raise Forbidden(
            "Only the project manager or an admin edits the checklist; the process owner "
            "accepts the handover or returns it with a reason."
        )
    _fresh(handover, expected_version)
    if handover.status == HandoverStatus.ACCEPTED:
        raise Invalid("An accepted handover cannot change.", field="deliverables")
    before = {
        "deliverables": [d["text"] + (" ✓" if d["done"] else "") for d in handover.deliverables]
    }
    handover.deliverables = _clean_deliverables(deliverables)
    save_versioned(handover, expected_version=expected_version, fields=["deliverables"])
    after = {
        "deliverables": [d["text"] + (" ✓" if d["done"] else "") for d in handover.deliverables]
    }
    changes = history.diff(before, after)
    if changes:
        history.record(actor=actor, obj=handover, action="checklist updated", changes=changes)
    return handover


def _check_none_awaiting(
    project: Project,
    process: Process | None,
    resubmitted: Handover | None = None,
    *,
    new_name: str = "",
) -> None:
    """One handover of ``project`` to ``process`` awaits acceptance at a time: two accepted
    would build their routines, KPIs and queues twice. Likewise one to a new process of a given
    name (``new_name``, any case): the first acceptance creates it, and the second could then
    never be accepted ("there is already a process called …")."""
    if process is None and not new_name:
        return
    awaiting = Handover.objects.filter(project=project, status=HandoverStatus.PROPOSED)
    if resubmitted is not None:
        awaiting = awaiting.exclude(pk=resubmitted.pk)
    if process is not None:
        if awaiting.filter(process=process).exists():
            raise Invalid(
                "A handover to this process is already awaiting acceptance.", field="process"
            )
        return
    if awaiting.filter(process__isnull=True, new_process_name__iexact=new_name).exists():
        raise Invalid(
            f"A handover of {project.name} to the new process {new_name} is already awaiting "
            "acceptance.",
            field="new_process_name",
        )


@transaction.atomic
def resubmit_handover(
    *, actor: User, handover: Handover, expected_version: int | None, note: str = ""
) -> Handover:
    require(actor, Action.VIEW, handover)
    if not may_propose(actor, handover.project):
        raise Forbidden("Only the project manager or an admin can resubmit a handover.")
    _fresh(handover, expected_version)
    if handover.status != HandoverStatus.RETURNED:
        raise Invalid("Only a handover sent back can be resubmitted.", field="status")
    _check_phase(handover.project)
    _check_receiving_live(handover)
    _check_none_awaiting(
        handover.project,
        handover.process,
        handover,
        new_name=handover.new_process_name if handover.process_id is None else "",
    )
    handover.status = HandoverStatus.PROPOSED
    handover.proposed_by = actor
    handover.proposed_at = timezone.now()
    if note.strip():
        handover.note = note.strip()
    save_versioned(
        handover,
        expected_version=expected_version,
        fields=["status", "proposed_by", "proposed_at", "note"],
    )
    history.record(
        actor=actor,
        obj=handover,
        action="resubmitted",
        changes={"status": [HandoverStatus.RETURNED.value, HandoverStatus.PROPOSED.value]},
    )
    return handover


def _tick_gate(actor: User, project: Project) -> None:
    """Tick "Handover to operations signed" on the project's gate out of execution, if open."""
    item = (
        GateItem.objects.filter(
            gate__project=project,
            gate__phase=Phase.EXECUTION,
            gate__project__phase=Phase.EXECUTION,  # a later gate's item ticks when it opens
            gate__passed_at__isnull=True,
            text=HANDOVER_GATE_ITEM,
            done=False,
        )
        .select_related("gate__project")
        .first()
    )
    if item is not None:
        projects.toggle_gate_item(actor=actor, item=item, done=True)


def _lock(handover: Handover) -> None:
    """Re-read status and version under a row lock (PostgreSQL): a second acceptance at the
    same moment waits here, then sees the first one's result."""
    row = (
        Handover.objects.select_for_update()
        .filter(pk=handover.pk)
        .values(
            "status",
            "version",
            "proposed_by_id",
            "process_id",
            "new_process_name",
            "new_process_owner_id",
            "new_process_description",
        )
        .first()
    )
    if row is None:
        raise NotFound("Handover not found.")
    handover.status, handover.version = row["status"], row["version"]
    handover.proposed_by_id = row["proposed_by_id"]
    if row["process_id"] != handover.process_id:
        handover.process_id = row["process_id"]  # the first acceptance created the process
    handover.new_process_name = row["new_process_name"]
    handover.new_process_owner_id = row["new_process_owner_id"]
    handover.new_process_description = row["new_process_description"]


def _check_receiving_live(handover: Handover) -> None:
    """The receiving process is in use: accepting into an archived one (or one in the trash)
    built live routines, KPIs and queues under it (read fresh: it may have changed since)."""
    if handover.process_id is None:
        return
    row = (
        Process.all_objects.filter(pk=handover.process_id)
        .values("name", "archived_at", "deleted_at")
        .first()
    )
    if row is None or row["deleted_at"] is not None:
        raise Invalid(
            "The receiving process is in the trash: restore it, or send the handover back.",
            field="process",
        )
    if row["archived_at"] is not None:
        raise Invalid(
            f"{row['name']} is archived: bring it back into use before accepting, or send the "
            "handover back.",
            field="process",
        )


def may_accept_own(user: User, handover: Handover) -> bool:
    """The proposer cannot accept their own handover, unless an owner of the organisation."""
    if handover.proposed_by_id != user.pk:
        return True
    return role_in(user, handover.organisation_id) == Role.OWNER


@transaction.atomic
def accept_handover(
    *, actor: User, handover: Handover, expected_version: int | None, note: str = ""
) -> Handover:
    """The receiving process owner (or an admin) accepts: recorded on the project and the
    process, the project's gate item "Handover to operations signed" is ticked, and each
    registered step runs (``closeout`` builds the handover's parts in operations), all in this
    one transaction. The status changes by compare-and-set on the locked row, so two owners
    accepting at once build things once: the second gets "already accepted"."""
    require(actor, Action.VIEW, handover)
    _lock(handover)
    if not may_decide(actor, handover):
        raise Forbidden("Only the owner of the receiving process or an admin can accept.")
    _fresh(handover, expected_version)
    if handover.status != HandoverStatus.PROPOSED:
        raise Invalid(
            "This handover is already accepted."
            if handover.status == HandoverStatus.ACCEPTED
            else "Only a handover awaiting acceptance can be accepted.",
            field="status",
        )
    if not may_accept_own(actor, handover):
        raise Forbidden(
            "You proposed this handover, so someone else must accept it: the process owner "
            "or an admin (an owner of the organisation may accept their own)."
        )
    _check_receiving_live(handover)
    own = handover.proposed_by_id == actor.pk
    open_items = [d["text"] for d in handover.deliverables if not d.get("done")]
    if open_items:
        raise Invalid(
            f"Tick every deliverable first, or send it back: {', '.join(open_items)}.",
            field="deliverables",
        )
    handover.status = HandoverStatus.ACCEPTED
    handover.decided_by = actor
    handover.decided_at = timezone.now()
    handover.return_reason = ""
    save_versioned(
        handover,
        expected_version=handover.version,  # the locked read: one acceptance wins
        fields=["status", "decided_by", "decided_at", "return_reason"],
    )
    built: list[str] = []
    if handover.process_id is None:
        # After the compare-and-set above, so a second acceptance never gets here.
        handover.process = _create_new_process(actor, handover)
        Handover.objects.filter(pk=handover.pk).update(process=handover.process)
        built.append(f"created process {handover.process.name}")
    project, process = handover.project, handover.process
    assert process is not None
    for step in ACCEPT_STEPS:
        built += step(actor, handover)
    _tick_gate(actor, project)
    summary = f"{actor.display_name} accepted the handover of {project.name} into {process.name}"
    if own:
        summary += " (their own proposal, accepted as an owner of the organisation)"
    if built:
        summary += "; " + "; ".join(built)
    if note.strip():
        summary += f": {note.strip()}"
    history.record(
        actor=actor,
        obj=handover,
        action="accepted own proposal" if own else "accepted",
        changes={"status": [HandoverStatus.PROPOSED.value, HandoverStatus.ACCEPTED.value]},
        summary=summary,
    )
    history.record(actor=actor, obj=project, action="handover accepted", summary=summary)
    history.record(actor=actor, obj=process, action="handover received", summary=summary)
    return handover


@transaction.atomic
def return_handover(
    *, actor: User, handover: Handover, expected_version: int | None, reason: str
) -> Handover:
    """Send the handover back to the project with a reason."""
    require(actor, Action.VIEW, handover)
    if not may_decide(actor, handover):
        raise Forbidden("Only the owner of the receiving process or an admin can send it back.")
    _fresh(handover, expected_version)
    if handover.status != HandoverStatus.PROPOSED:
        raise Invalid("Only a handover awaiting acceptance can be sent back.", field="status")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Say what is missing so the project can fix it.", field="reason")
    handover.status = HandoverStatus.RETURNED
    handover.decided_by = actor
    handover.decided_at = timezone.now()
    handover.return_reason = reason[:500]
    save_versioned(
        handover,
        expected_version=expected_version,
        fields=["status", "decided_by", "decided_at", "return_reason"],
    )
    summary = f"{actor.display_name} sent the handover back: {handover.return_reason}"
    history.record(
        actor=actor,
        obj=handover,
        action="sent back",
        changes={"status": [HandoverStatus.PROPOSED.value, HandoverStatus.RETURNED.value]},
        summary=summary,
    )
    history.record(actor=actor, obj=handover.project, action="handover sent back", summary=summary)
    return handover


def trash_item(*, actor: User, item: ImprovementItem, expected_version: int | None) -> None:
    """Move the improvement item to the trash; an admin can restore it within the retention."""
    trash.move_to_trash(actor=actor, obj=item, expected_version=expected_version)
