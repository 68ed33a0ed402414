"""Projects and tasks in the trash: what goes with them, how they come back, what purge removes.

Registered with ``core.trash`` from ``ProjectsConfig.ready``. A task goes with its subtree
(its links, comments and checklist hide with it through their managers); a project goes with
all its tasks and, through ``add_descendants``, other apps' rows (risks). A trashed task's board
key is parked outside the key alphabet so new cards never meet it; a restored one gets a fresh
key at the end of its column (the project's keys are rebalanced, order kept).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from twofold.core import trash
from twofold.core.policy import Action
from twofold.engine.ordering import keys_between
from twofold.projects import board_order
from twofold.projects.models import Project, Task

# Other apps' rows that go to the trash with a project (risks register here).
_project_parts: list[Callable[[Project], QuerySet[Any]]] = []


def add_project_part(part: Callable[[Project], QuerySet[Any]]) -> None:
    """Called from an app's ``ready()``: its live rows of a project go to the trash with it."""
    if part not in _project_parts:
        _project_parts.append(part)


def subtree_ids(task: Task, *, manager: str = "objects") -> list[int]:
    """``task`` and every task under it (live ones, or all with ``manager="all_objects"``)."""
    children: dict[int | None, list[int]] = {}
    rows = getattr(Task, manager).filter(project_id=task.project_id).values_list("pk", "parent_id")
    for pk, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    ids, stack = [], [task.pk]
    while stack:
        pk = stack.pop()
        ids.append(pk)
        stack.extend(children.get(pk, []))
    return ids


def _task_descendants(task: Task) -> Iterable[QuerySet[Any]]:
    return [Task.objects.filter(pk__in=subtree_ids(task)).exclude(pk=task.pk)]


def _task_parent(task: Task) -> Any:
    if task.parent_id is not None:
        return Task.all_objects.get(pk=task.parent_id)
    return Project.all_objects.get(pk=task.project_id)


def _task_describe(task: Task) -> str:
    from twofold.projects.selectors import deletion_impact

    items = deletion_impact(task).items
    return f"with {', '.join(items)}" if items else ""


def _park_keys(task: Task) -> None:
    project = Project.objects.get(pk=task.project_id)
    board_order.lock_board(project)
    trashed = list(Task.all_objects.filter(trash_batch=task.trash_batch))
    for card in trashed:
        card.board_key = board_order.parked_key(f"t{card.pk}")
    Task.all_objects.bulk_update(trashed, ["board_key"])


def renumber_outline(project: Project) -> None:
    """Give the project's live tasks fresh WBS positions in outline order (parent, position).

    Positions are one global pre-order in a project; a task added while a subtree was in the
    trash may have taken a position inside that subtree's range, so a restore re-lays it out.
    """
    rows = list(Task.objects.filter(project=project).values_list("pk", "parent_id", "position"))
    children: dict[int | None, list[tuple[str, int]]] = {}
    for pk, parent_id, position in rows:
        children.setdefault(parent_id, []).append((position, pk))
    live = {pk for pk, _parent, _position in rows}
    roots = [item for parent, items in children.items() if parent not in live for item in items]
    order: list[int] = []
    stack = sorted(roots, reverse=True)
    while stack:
        _position, pk = stack.pop()
        order.append(pk)
        stack.extend(sorted(children.get(pk, []), reverse=True))
    keys = keys_between(None, None, len(order))
    Task.objects.bulk_update(
        [Task(pk=pk, position=key) for pk, key in zip(order, keys, strict=True)],
        ["position"],
        batch_size=500,
    )


def _task_restored(task: Task, batch: uuid.UUID) -> None:
    from twofold.projects.services import reschedule_project

    project = Project.objects.get(pk=task.project_id)
    board_order.lock_board(project)
    board_order.rebalance(project)  # parked keys sort last: restored cards end their columns
    renumber_outline(project)
    reschedule_project(project)


# Attachments and custom field values point at projects and tasks without a foreign key: purge
# deletes them here so nothing is left behind (search documents went at trash time).
def _task_files(task: Task) -> list[str]:
    from twofold.attachments.models import Attachment, TargetKind
    from twofold.customfields.models import FieldValue

    ids = subtree_ids(task, manager="all_objects")
    FieldValue.objects.filter(target_kind="task", target_id__in=ids).delete()
    files = Attachment.objects.filter(target_kind=TargetKind.TASK, target_id__in=ids)
    names = [str(name) for name in files.values_list("file", flat=True) if name]
    files.delete()
    return names


def _project_descendants(project: Project) -> Iterable[QuerySet[Any]]:
    return [Task.objects.filter(project=project), *(part(project) for part in _project_parts)]


def _project_describe(project: Project) -> str:
    from twofold.projects.lifecycle import describe, what_goes_with

    gone = describe(what_goes_with(project))
    return "" if gone == "nothing else" else f"with {gone}"


def _project_files(project: Project) -> list[str]:
    from twofold.attachments.models import Attachment, TargetKind
    from twofold.customfields.models import FieldValue

    for hook in BEFORE_PROJECT_PURGE:
        hook(project)
    tasks = Task.all_objects.filter(project=project).values("pk")
    FieldValue.objects.filter(
        Q(target_kind="project", target_id=project.pk) | Q(target_kind="task", target_id__in=tasks),
        organisation_id=project.organisation_id,
    ).delete()
    files = Attachment.objects.filter(
        Q(target_kind=TargetKind.PROJECT, target_id=project.pk)
        | Q(target_kind=TargetKind.TASK, target_id__in=tasks),
        organisation_id=project.organisation_id,
    )
    names = [str(name) for name in files.values_list("file", flat=True) if name]
    files.delete()
    return names


def _project_restored(project: Project, batch: uuid.UUID) -> None:
    from twofold.projects.services import reschedule_project

    reschedule_project(project)


# Joining apps' clean-up before a project is purged (the improvement app removes the KPI change
# points of its go-lives, which nobody could remove once their link was gone): projects imports
# none of them.
BEFORE_PROJECT_PURGE: list[Any] = []


def register() -> None:
    trash.register(
        trash.TrashKind(
            model=Task,
            noun="task",
            action=Action.EDIT,
            url=lambda t: reverse("projects:task", args=[t.project_id, t.pk]),
            descendants=_task_descendants,
            parent=_task_parent,
            context=lambda t: f"in {Project.all_objects.get(pk=t.project_id)}",
            describe=_task_describe,
            after_trash=_park_keys,
            after_restore=_task_restored,
            before_purge=_task_files,
        )
    )
    trash.register(
        trash.TrashKind(
            model=Project,
            noun="project",
            action=Action.MANAGE,
            url=lambda p: reverse("projects:detail", args=[p.pk]),
            descendants=_project_descendants,
            describe=_project_describe,
            after_restore=_project_restored,
            before_purge=_project_files,
        )
    )
