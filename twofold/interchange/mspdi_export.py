"""Any project as a Microsoft Project (MSPDI) file.

The file is written by ``twofold.interop.mspdi.write_mspdi`` from the very plan the project's
scheduler uses (``projects.scheduling.build_plan``: its calendar, durations, constraints and
links), with the dates that plan schedules to; reading it back with ``read_mspdi`` and
scheduling it gives every task the same start and finish (tested on the shared MSPDI files).
Assigned people become work resources with their e-mail, their task assignments keep units and
work. A project imported from a file keeps that file's task UIDs and GUID, so the export of an
imported project can update the same plan in Project.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from twofold.core import bulk
from twofold.engine import plan as ep
from twofold.engine.cpm import schedule
from twofold.interop.mspdi import (
    MspdiAssignment,
    MspdiDocument,
    MspdiResource,
    MspdiTaskInfo,
    schedule_dates,
    write_mspdi,
)
from twofold.projects import scheduling
from twofold.projects.models import Assignment, Link, Project, Task

CALENDAR_KEY = "1"


@bulk.gc_paused()
def export_mspdi(project: Project) -> bytes:
    """The MSPDI XML of ``project`` (UTF-8 bytes); a handful of queries, whatever its size."""
    tasks = list(
        Task.objects.filter(project=project)
        .only(*scheduling.TASK_PLAN_FIELDS, "assignee_id")
        .order_by("position")
    )
    links = [
        scheduling.LinkRow(*row)
        for row in Link.objects.filter(project=project).values_list(*scheduling.LINK_ROW_FIELDS)
    ]
    built = scheduling.build_plan(project, tasks, links)
    source = getattr(project, "mspdi_source", None) if _has_source(project) else None
    uid_of = _uids(tasks, source.uid_map if source else {})
    if source is not None:
        _remember_uids(source, uid_of)
    plan = _renumbered(built, uid_of)
    result = schedule(plan)
    parents = {t.parent for t in plan.tasks if t.parent is not None}
    level: dict[int, int] = {}
    infos = []
    by_uid = {uid_of[t.pk]: t for t in tasks}
    scheduled = schedule_dates(result)
    for index, task in enumerate(plan.tasks, start=1):
        level[task.uid] = 1 if task.parent is None else level[task.parent] + 1
        row = by_uid.get(task.uid)
        start, finish = scheduled[task.uid]
        infos.append(
            MspdiTaskInfo(
                uid=task.uid,
                id=index,
                name=task.name,
                outline_level=level[task.uid],
                summary=task.uid in parents,
                manual=False,
                is_null=False,
                milestone=bool(row.is_milestone) if row is not None else task.duration == 0,
                start=start,
                finish=finish,
                duration_format=7,
            )
        )
    resources, assignments = _people(project, tasks, uid_of)
    document = MspdiDocument(
        plan,
        tuple(infos),
        resources,
        assignments,
        guid=source.guid
        if source and source.guid
        else str(uuid.uuid5(uuid.NAMESPACE_URL, f"twofold-project-{project.pk}")).upper(),
    )
    return write_mspdi(document, result)


def _has_source(project: Project) -> bool:
    from twofold.interchange.models import ImportedProject

    return ImportedProject.objects.filter(project=project).exists()


def _uids(tasks: list[Task], uid_map: dict[str, Any]) -> dict[int, int]:
    """Task id → UID in the file: the imported file's where known, else fresh ones above them."""
    by_pk = {int(pk): int(uid) for uid, pk in uid_map.items()}
    used = set(by_pk.values())
    uid_of: dict[int, int] = {}
    next_uid = max(used, default=0) + 1
    for task in tasks:
        uid = by_pk.get(task.pk)
        if uid is None or uid < 0:
            uid = next_uid
            next_uid += 1
        uid_of[task.pk] = uid
    return uid_of


def _remember_uids(source: Any, uid_of: dict[int, int]) -> None:
    """Keep the UIDs given to tasks added in Twofold since the import, so that importing this
    file back as an update of the project knows them (it added a copy of each)."""
    from twofold.interchange.models import ImportedProject

    known = {int(pk) for pk in source.uid_map.values()}
    fresh = {str(uid): pk for pk, uid in uid_of.items() if pk not in known}
    if fresh:
        source.uid_map = {**source.uid_map, **fresh}
        ImportedProject.objects.filter(pk=source.pk).update(uid_map=source.uid_map)


def _renumbered(plan: ep.Plan, uid_of: dict[int, int]) -> ep.Plan:
    """``plan`` with file UIDs, its one calendar under an integer key (as MSPDI needs)."""
    anchor = max(uid_of.values(), default=0) + 1  # the levelling "project start" milestone
    mapping = {**uid_of, scheduling.LEVELLING_ANCHOR: anchor}
    tasks = tuple(
        dataclasses.replace(
            t,
            uid=mapping[t.uid],
            parent=mapping[t.parent] if t.parent is not None else None,
            calendar=None,
        )
        for t in plan.tasks
    )
    links = tuple(
        dataclasses.replace(link, pred=mapping[link.pred], succ=mapping[link.succ])
        for link in plan.links
    )
    spec = plan.calendars[plan.calendar]
    return dataclasses.replace(
        plan,
        tasks=tasks,
        links=links,
        calendars={CALENDAR_KEY: spec},
        calendar=CALENDAR_KEY,
    )


def _people(
    project: Project, tasks: list[Task], uid_of: dict[int, int]
) -> tuple[tuple[MspdiResource, ...], tuple[MspdiAssignment, ...]]:
    """Work resources for the people on the project's tasks, without changing any date.

    Assignments are written without work, so that Project (and our importer) keeps each task's
    duration instead of deriving it from resource effort.
    """
    from django.contrib.auth import get_user_model

    # Plain rows, not model instances: a 10,000-task plan has as many assignments.
    pairs: list[tuple[int, int, int]] = list(
        Assignment.objects.filter(task__project=project)
        .order_by("pk")
        .values_list("task_id", "person_id", "units")
    )
    covered = {task_id for task_id, _, _ in pairs}
    lone = [t for t in tasks if t.assignee_id and t.pk not in covered]
    wanted = {person_id for _, person_id, _ in pairs} | {t.assignee_id for t in lone}
    persons: dict[int, Any] = (
        get_user_model().objects.only("pk", "full_name", "email").in_bulk(wanted)
    )
    pairs.extend(
        (t.pk, t.assignee_id, 100)
        for t in lone
        if t.assignee_id is not None and t.assignee_id in persons
    )
    resource_uid = {pk: n for n, pk in enumerate(sorted(persons), start=1)}
    resources = tuple(
        MspdiResource(
            uid=resource_uid[pk],
            name=(person.full_name or person.email)[:200],
            type=1,
            calendar=None,
            email=person.email or "",
        )
        for pk, person in sorted(persons.items())
    )
    assignments = tuple(
        MspdiAssignment(
            uid=n,
            task_uid=uid_of[task_id],
            resource_uid=resource_uid[person_id],
            units=units / 100,
            work_seconds=0,
            contour=0,
            start=None,
            finish=None,
        )
        for n, (task_id, person_id, units) in enumerate(pairs, start=1)
        if task_id in uid_of
    )
    return resources, assignments


def file_name(project: Project) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in project.code) or "project"
    return f"{safe}-{dt.date.today():%Y%m%d}.xml"
