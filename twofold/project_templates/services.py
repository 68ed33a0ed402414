"""Save a project as a template, and start a project from one.

This app sits above ``projects`` and ``risks`` (it may import both; neither imports it), so a
template can carry risks without tying ``projects`` to ``risks``.

Dates: a template stores no dates, only the plan's shape (WBS order, durations, links with
their lags). The new project's tasks are placed by the scheduler from its new start. A task
constraint with a date (start no earlier than, must start on, finish no later than) is kept as
an offset in **calendar days** from the source project's target start and re-applied from the
new one: "the site survey must start 14 days after kick-off" stays 14 days, and the scheduler
moves a constraint that lands on a weekend to the next working day as it does for any date.
The new project is scheduled on the source's calendar (while it is still one of the
organisation's) with its progress rule; templates saved before 2026-12-06 hold neither, and
their projects get the organisation's default calendar and rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction

from twofold.accounts.models import Organisation, User
from twofold.calendars.models import Calendar
from twofold.core import dates, history
from twofold.core.concurrency import delete_versioned, save_versioned
from twofold.core.errors import Invalid
from twofold.core.policy import Action, require
from twofold.engine.ordering import key_between
from twofold.project_templates.models import ProjectTemplate
from twofold.projects import services as projects
from twofold.projects.checklists import GATE_PHASES, clean_items
from twofold.projects.models import (
    ChecklistItem,
    Constraint,
    GateItem,
    Link,
    ProgressRule,
    Project,
    Task,
    TaskType,
)
from twofold.risks import copying as risk_copying

MAX_NAME = 160


def _clean_name(organisation: Organisation, raw: Any, current: ProjectTemplate | None) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise Invalid("A template needs a name.", field="name")
    if len(name) > MAX_NAME:
        raise Invalid(f"A template's name is at most {MAX_NAME} characters.", field="name")
    clash = ProjectTemplate.objects.filter(organisation=organisation, name__iexact=name)
    if current is not None:
        clash = clash.exclude(pk=current.pk)
    if clash.exists():
        raise Invalid(f"There is already a template called {name}.", field="name")
    return name


def snapshot_of(project: Project) -> dict[str, Any]:
    """The plan of ``project`` as template content (see ``models`` for the shape). 6 queries."""
    tasks = list(Task.objects.filter(project=project).order_by("position"))
    keys = {t.pk: i for i, t in enumerate(tasks)}
    checklists: dict[int, list[str]] = defaultdict(list)
    for task_id, text in (
        ChecklistItem.objects.filter(task__project=project)
        .order_by("id")
        .values_list("task_id", "text")
    ):
        checklists[task_id].append(text)
    gates: dict[str, list[str]] = {phase.value: [] for phase in GATE_PHASES}
    for phase, text in (
        GateItem.objects.filter(gate__project=project)
        .order_by("id")
        .values_list("gate__phase", "text")
    ):
        gates.setdefault(phase, []).append(text)
    return {
        # The working time and the progress rule the plan was made on: the new project is
        # scheduled with them (a copy scheduled on the default Mon-Fri week took two weeks for
        # what was ten days on a seven-day calendar, until 2026-12-06).
        "calendar_id": project.calendar_id,
        "progress_rule": project.progress_rule,
        "tasks": [
            {
                "key": keys[t.pk],
                "parent": keys.get(t.parent_id) if t.parent_id else None,
                "name": t.name,
                "description": t.description,
                "duration_minutes": t.duration_minutes,
                "effort_minutes": t.effort_minutes,
                "is_milestone": t.is_milestone,
                "priority": t.priority,
                "task_type": t.task_type,
                "effort_driven": t.effort_driven,
                "constraint_type": t.constraint_type,
                "constraint_offset_days": (t.constraint_date - project.target_start).days
                if t.constraint_date and t.constraint_type != Constraint.ASAP
                else None,
                "checklist": checklists.get(t.pk, []),
            }
            for t in tasks
        ],
        "links": [
            {"pred": keys[p], "succ": keys[s], "type": ty, "lag": lag, "lag_unit": unit}
            for p, s, ty, lag, unit in Link.objects.filter(project=project)
            .order_by("id")
            .values_list("pred_id", "succ_id", "type", "lag", "lag_unit")
        ],
        "gates": gates,
        "risks": risk_copying.risk_rows(project),
    }


@transaction.atomic
def save_as_template(
    *, actor: User, project: Project, name: str, description: str = ""
) -> ProjectTemplate:
    """Save the plan of ``project`` (WBS, durations, task types, links, calendar, progress
    rule, gate checklists, risks) as a template."""
    require(actor, Action.MANAGE, project)
    organisation = project.organisation
    template = ProjectTemplate.objects.create(
        organisation=organisation,
        name=_clean_name(organisation, name, None),
        description=str(description or "").strip(),
        content=snapshot_of(project),
        source_name=str(project)[:200],
        created_by=actor,
    )
    history.record(
        actor=actor,
        obj=template,
        action="created",
        summary=f"Saved {project} as the template {template.name}",
    )
    history.record(
        actor=actor, obj=project, action="saved as template", summary=f"Template {template.name}"
    )
    return template


@transaction.atomic
def update_template(
    *,
    actor: User,
    template: ProjectTemplate,
    expected_version: int | None,
    name: str | None = None,
    description: str | None = None,
    gates: dict[str, Any] | None = None,
) -> ProjectTemplate:
    """Rename a template, change its description, or edit its gate checklists (admins)."""
    require(actor, Action.MANAGE, template)
    changes: dict[str, list[Any]] = {}
    fields = []
    if name is not None:
        clean = _clean_name(template.organisation, name, template)
        if clean != template.name:
            changes["name"] = [template.name, clean]
            template.name = clean
            fields.append("name")
    if description is not None and description.strip() != template.description:
        changes["description"] = [template.description, description.strip()]
        template.description = description.strip()
        fields.append("description")
    if gates is not None:
        content = dict(template.content)
        old = dict(content.get("gates", {}))
        new = dict(old)
        for phase, items in gates.items():
            if phase not in GATE_PHASES:
                raise Invalid(f"Unknown gate {phase!r}.", field="gates")
            new[phase] = clean_items(items, field=f"gate_{phase}")
        if new != old:
            changes["gates"] = [old, new]
            content["gates"] = new
            template.content = content
            fields.append("content")
    if fields:
        save_versioned(template, expected_version=expected_version, fields=fields)
        history.record(actor=actor, obj=template, action="updated", changes=changes)
    return template


@transaction.atomic
def delete_template(
    *, actor: User, template: ProjectTemplate, expected_version: int | None = None
) -> None:
    """Delete a template; projects made from it are not touched. ``expected_version``: as read
    (a template changed since is a Conflict, nothing deleted)."""
    require(actor, Action.MANAGE, template)
    history.record(actor=actor, obj=template, action="deleted", summary=f"Deleted {template.name}")
    delete_versioned(
        template, expected_version=expected_version, what=f"the template {template.name}"
    )


def _constraint_date(offset: int | None, start: dt.date, task_name: str) -> dt.date | None:
    if offset is None:
        return None
    try:
        day = start + dt.timedelta(days=offset)
    except OverflowError:
        day = None
    if day is None or not projects.FIRST_DAY <= day <= projects.LAST_DAY:
        raise Invalid(
            f"With this start, “{task_name}” would be constrained to a date past "
            f"{dates.format_day(projects.LAST_DAY)}, the last day the calendar covers. Choose an "
            "earlier start.",
            field="target_start",
        )
    return day


def _plan_settings(organisation: Organisation, content: dict[str, Any]) -> dict[str, Any]:
    """The source project's calendar and progress rule, as ``create_project`` takes them.

    The calendar only while it still exists in ``organisation`` (else the organisation's
    default, as for any project); templates saved before these were kept have neither."""
    found: dict[str, Any] = {}
    calendar_id = content.get("calendar_id")
    if isinstance(calendar_id, int) and not isinstance(calendar_id, bool):
        calendar = Calendar.objects.filter(organisation=organisation, pk=calendar_id).first()
        if calendar is not None:
            found["calendar"] = calendar
    if content.get("progress_rule") in ProgressRule.values:
        found["progress_rule"] = content["progress_rule"]
    return found


@transaction.atomic
def create_project_from_template(
    *, actor: User, organisation: Organisation, template: ProjectTemplate, **values: Any
) -> Project:
    """A new project with the template's plan, scheduled from ``values["target_start"]``.

    ``values`` are the project's own fields (name, code, target_start, programme, manager, …).
    Everything happens in one transaction: a start so late that the plan would run past the
    calendar raises ``Invalid`` naming ``target_start`` and nothing is created.
    """
    require(actor, Action.MANAGE, organisation)
    if template.organisation_id != organisation.pk:
        raise Invalid("Choose a template of this organisation.", field="template")
    content = template.content or {}
    values = {**_plan_settings(organisation, content), **values}
    project = projects.create_project(
        actor=actor,
        organisation=organisation,
        gate_items={k: list(v) for k, v in (content.get("gates") or {}).items()},
        **values,
    )
    rows = content.get("tasks") or []
    start = project.target_start
    depth: dict[int, int] = {}
    for row in rows:  # rows are in WBS order: a parent comes before its children
        parent = row.get("parent")
        depth[row["key"]] = depth[parent] + 1 if parent is not None else 0
    positions: dict[int, str] = {}
    last: str | None = None
    for row in rows:
        last = positions[row["key"]] = key_between(last, None)
    made: dict[int, Task] = {}
    for level in sorted(set(depth.values())):
        batch = [
            Task(
                organisation=organisation,
                project=project,
                parent=made[row["parent"]] if row.get("parent") is not None else None,
                position=positions[row["key"]],
                # Board order starts as the plan's order (keys are unique in the project).
                board_key=positions[row["key"]],
                name=str(row["name"])[:200],
                description=row.get("description", ""),
                duration_minutes=int(row.get("duration_minutes", 480)),
                effort_minutes=int(row.get("effort_minutes", 0)),
                is_milestone=bool(row.get("is_milestone")),
                priority=row.get("priority", "normal"),
                task_type=row.get("task_type")
                if row.get("task_type") in TaskType.values
                else TaskType.FIXED_UNITS,
                effort_driven=row.get("effort_driven") is True,
                constraint_type=row.get("constraint_type", Constraint.ASAP)
                if row.get("constraint_offset_days") is not None
                else Constraint.ASAP,
                constraint_date=_constraint_date(
                    row.get("constraint_offset_days"), start, str(row["name"])
                ),
            )
            for row in rows
            if depth[row["key"]] == level
        ]
        Task.objects.bulk_create(batch)
        for row, task in zip((r for r in rows if depth[r["key"]] == level), batch, strict=True):
            made[row["key"]] = task
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(organisation=organisation, task=made[row["key"]], text=text[:200])
            for row in rows
            for text in row.get("checklist", [])
        ]
    )
    Link.objects.bulk_create(
        [
            Link(
                organisation=organisation,
                project=project,
                pred=made[link["pred"]],
                succ=made[link["succ"]],
                type=link.get("type", "FS"),
                lag=int(link.get("lag", 0)),
                lag_unit=link.get("lag_unit", "d"),
            )
            for link in content.get("links") or []
        ]
    )
    projects.reschedule_project(project, field="target_start")
    risk_copying.create_risks_from_rows(
        actor=actor, project=project, rows=content.get("risks") or []
    )
    history.record(
        actor=actor,
        obj=project,
        action="created from template",
        summary=f"From the template {template.name}: {len(rows)} tasks, "
        f"{len(content.get('links') or [])} links, {len(content.get('risks') or [])} risks",
    )
    return project
