"""Reads for close-out, scoped to what the user may see (anything else answers 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.db.models import Q, QuerySet
from django.utils import timezone

from twofold.accounts.fiscal import today_of
from twofold.accounts.models import Organisation, User
from twofold.closeout.models import HandoverPart, Hypercare, Lesson, Origin, PartKind
from twofold.core.errors import NotFound
from twofold.core.fastread import FastRows, Read
from twofold.core.policy import Action, can
from twofold.improvement.models import Handover
from twofold.operations.models import Queue, Request
from twofold.projects.models import Project, Task


def team_ids(project: Project) -> set[int]:
    """The project team: manager, sponsor and everyone assigned to one of its tasks (1 query)."""
    ids = set(
        Task.objects.filter(project=project, assignee__isnull=False).values_list(
            "assignee_id", flat=True
        )
    )
    ids.update(i for i in (project.manager_id, project.sponsor_id) if i is not None)
    return ids


def parts_of(handover: Handover) -> list[HandoverPart]:
    return list(
        HandoverPart.objects.filter(handover=handover).select_related("attachment").order_by("id")
    )


def parts_by_kind(handover: Handover) -> dict[str, list[HandoverPart]]:
    grouped: dict[str, list[HandoverPart]] = {k: [] for k in PartKind.values}
    for part in parts_of(handover):
        grouped[part.kind].append(part)
    return grouped


def get_part(user: Any, pk: int) -> HandoverPart:
    part = (
        HandoverPart.objects.select_related(
            "handover__project", "handover__process", "handover__organisation"
        )
        .filter(pk=pk)
        .first()
    )
    if part is None or not can(user, Action.VIEW, part):
        raise NotFound("Handover part not found.")
    return part


def hypercare_of(handover: Handover) -> Hypercare | None:
    return Hypercare.objects.filter(handover=handover).first()


@dataclass(frozen=True)
class OriginNote:
    """What an operations page says about where the object came from."""

    action: str
    project_id: int
    project_name: str
    project_code: str
    handover_id: int
    part_name: str
    attachment_id: int | None
    attachment_name: str


# Origin.objects.filter(content_type=…, object_id=…) in the model's order, the columns a note
# shows, compiled once (core/fastread.py): every operations detail page asks.
_ORIGINS = FastRows(
    Origin,
    lambda content_type_id, object_id: (
        Origin.objects.filter(content_type_id=content_type_id, object_id=object_id)
        .order_by("at", "id")
        .values_list(
            "action",
            "project_id",
            "project__name",
            "project__code",
            "handover_id",
            "part_id",
            "part__name",
            "part__attachment_id",
            "part__attachment__original_name",
        )
    ),
)


def origins_read(obj: Any) -> Read:
    """:func:`origins_of`'s read, to read ahead (``core.readahead``, panel ``origins``)."""
    return _ORIGINS, [ContentType.objects.get_for_model(type(obj)).pk, obj.pk]


def origins_of(obj: Any) -> list[OriginNote]:
    """Handovers that created or changed ``obj`` (and documents handed over to a process)."""
    ct = ContentType.objects.get_for_model(type(obj))
    return [
        OriginNote(
            action=action,
            project_id=project_id,
            project_name=project_name,
            project_code=project_code,
            handover_id=handover_id,
            part_name=part_name if part_id else "",
            attachment_id=attachment_id if part_id else None,
            attachment_name=(attachment_name or "") if part_id and attachment_id else "",
        )
        for (
            action, project_id, project_name, project_code, handover_id,
            part_id, part_name, attachment_id, attachment_name,
        ) in _ORIGINS.rows(ct.pk, obj.pk)
    ]  # fmt: skip


@dataclass(frozen=True)
class HypercareInfo:
    starts_on: dt.date
    ends_on: dt.date
    project_id: int
    project_name: str
    team: list[User]
    active: bool
    day: dt.date
    """The day asked about: the one given, else the organisation's calendar day."""


# The queue's hypercare still running or ahead of a day, compiled once (core/fastread.py): the
# queue and request pages ask on every view, and almost always find none. With the zone of its
# organisation, whose calendar day decides (the viewer's zone did until 2026-12-06).
_CARE_OF_QUEUE = FastRows(
    Hypercare,
    lambda since, queue_id: (  # in the order they are compiled
        Hypercare.objects.filter(queue_id=queue_id, ends_on__gte=since)
        .order_by("starts_on", "pk")
        .values_list(
            "starts_on",
            "ends_on",
            "handover__project_id",
            "handover__project__name",
            "handover__project__manager_id",
            "handover__project__sponsor_id",
            "organisation__timezone",
        )
    ),
)


def _date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _since(today: dt.date | None, at: dt.datetime | None) -> dt.date:
    """The first ``ends_on`` to read: ``today`` when given, else the earliest calendar day
    any zone has at ``at`` (the day before UTC's: no zone is more than a day behind it), so
    that the organisation's day can be picked from the rows without reading its zone first."""
    if today is not None:
        return today
    return (at or timezone.now()).astimezone(dt.UTC).date() - dt.timedelta(days=1)


def hypercare_read(
    queue: Queue, today: dt.date | None = None, at: dt.datetime | None = None
) -> Read:
    """:func:`hypercare_for_queue`'s first read, to read ahead (``core.readahead``, panel
    ``hypercare``)."""
    ops = connections[router.db_for_read(Hypercare)].ops
    return _CARE_OF_QUEUE, [ops.adapt_datefield_value(_since(today, at)), queue.pk]


def hypercare_for_queue(
    queue: Queue, today: dt.date | None = None, at: dt.datetime | None = None
) -> HypercareInfo | None:
    """The hypercare of the handover that built ``queue`` still running or ahead on ``today``,
    else on the organisation's calendar day at ``at`` (default: now), whoever asks (2 queries)."""
    rows = _CARE_OF_QUEUE.rows(*hypercare_read(queue, today, at)[1])
    if not rows:
        return None
    day = today
    if day is None:
        day = today_of(Organisation(timezone=rows[0][6] or "UTC"), at)
    found = [row for row in rows if _date(row[1]) >= day]
    if not found:
        return None
    first, last, project_id, name, manager_id, sponsor_id, _zone = found[0]
    starts_on, ends_on = _date(first), _date(last)
    project = Project(pk=project_id, name=name, manager_id=manager_id, sponsor_id=sponsor_id)
    team = list(User.objects.filter(pk__in=team_ids(project)).order_by("full_name"))
    return HypercareInfo(
        starts_on=starts_on,
        ends_on=ends_on,
        project_id=project.pk,
        project_name=project.name,
        team=team,
        active=starts_on <= day,
        day=day,
    )


def hypercare_team_for(request: Request, today: dt.date | None = None) -> list[User]:
    """Seam for the future notifications app: the people who should also hear about
    ``request`` because its queue is in hypercare after a handover (empty otherwise).

    Twofold sends no notifications yet; the queue and request pages show a "Hypercare" badge
    listing this team instead.
    """
    info = hypercare_for_queue(request.queue, today)
    if info is None or not info.active:
        return []
    return info.team


def lessons_query(organisation: Organisation) -> QuerySet[Lesson]:
    return Lesson.objects.filter(organisation=organisation).select_related(
        "project", "process", "template", "improvement_item", "risk__project", "created_by"
    )


def lessons_of(
    organisation: Organisation,
    *,
    q: str = "",
    project_id: int | None = None,
    process_id: int | None = None,
    template_id: int | None = None,
    outcome: str = "",
) -> list[Lesson]:
    """The organisation's lessons, filtered; newest first (one query)."""
    qs = lessons_query(organisation)
    if project_id:
        qs = qs.filter(project_id=project_id)
    if process_id:
        qs = qs.filter(process_id=process_id)
    if template_id:
        qs = qs.filter(template_id=template_id)
    if outcome == "improvement":
        qs = qs.filter(improvement_item__isnull=False)
    elif outcome == "risk":
        qs = qs.filter(risk__isnull=False)
    elif outcome == "template":
        qs = qs.exclude(template_change="")
    elif outcome == "none":
        qs = qs.filter(improvement_item__isnull=True, risk__isnull=True, template_change="")
    for word in q.split()[:8]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(worked__icontains=word)
            | Q(did_not_work__icontains=word)
            | Q(recommendation__icontains=word)
        )
    return list(qs[:500])


def get_lesson(user: Any, pk: int) -> Lesson:
    lesson = lessons_query_all().filter(pk=pk).first()
    if lesson is None or not can(user, Action.VIEW, lesson):
        raise NotFound("Lesson not found.")
    return lesson


def lessons_query_all() -> QuerySet[Lesson]:
    return Lesson.objects.select_related(
        "organisation",
        "project",
        "process",
        "template",
        "improvement_item",
        "risk__project",
        "created_by",
    )
