"""Projects as users of calendars: when a calendar changes, reschedule the projects on it.

Registered with :mod:`twofold.calendars.usage` in ``ProjectsConfig.ready`` (``calendars`` sits
below ``projects`` and cannot import it). Each project is rescheduled in its own transaction
and gets a history entry saying what moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q

from twofold.calendars.usage import CalendarUser, Moved, Progress
from twofold.core import history
from twofold.projects.models import Project, Task


def _projects(organisation_id: int, calendar_ids: Sequence[int], default: bool) -> Q:
    on = Q(calendar_id__in=list(calendar_ids))
    if default:
        on |= Q(calendar__isnull=True)
    return Q(organisation_id=organisation_id) & on


def size(organisation_id: int, calendar_ids: Sequence[int], default: bool) -> int:
    """Tasks in the projects that schedule on ``calendar_ids`` (or the default)."""
    projects = Project.objects.filter(_projects(organisation_id, calendar_ids, default))
    return Task.objects.filter(project__in=projects.values("pk")).count()


def reschedule(
    actor: Any,
    organisation_id: int,
    calendar_ids: Sequence[int],
    default: bool,
    reason: str,
    progress: Progress | None,
) -> Moved:
    """Reschedule each project on the changed calendars; record what moved on each."""
    from twofold.projects.services import reschedule_project

    projects = list(
        Project.objects.filter(_projects(organisation_id, calendar_ids, default))
        .select_related("organisation")
        .order_by("name")
    )
    moved = Moved()
    for i, project in enumerate(projects):
        if progress is not None and not progress(i / max(len(projects), 1), project.name):
            moved.skipped = [p.name for p in projects[i:]]
            return moved
        with transaction.atomic():
            result = reschedule_project(project)
        moved.projects += 1
        moved.tasks += len(result.moved)
        if result.moved:
            line = f"{project.name}: {result.summary}"
            moved.lines.append(line)
            history.record(
                actor=actor,
                obj=project,
                action="rescheduled",
                summary=f"Calendar change ({reason}): {result.summary}"[:300],
            )
    if progress is not None:
        progress(1.0, "Done")
    return moved


PROJECTS = CalendarUser(name="projects", size=size, reschedule=reschedule)
