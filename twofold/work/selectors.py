"""My work: everything waiting for one person, from both halves, in one list due soonest first.

Six kinds, each read with a fixed number of queries whatever the number of rows:

* ``task``: open project tasks assigned to me (not in archived projects); due = the task's finish;
* ``routine``: open routine occurrences assigned to me, overdue or due in the next
  ``ROUTINE_DAYS`` days (occurrences are generated a month ahead; the later ones are not work yet);
* ``request``: open requests assigned to me with their SLA clocks; due = when the resolution
  clock reaches its target (a breached one is due now, a paused one has no due time);
* ``gate``: gates of projects I sponsor waiting for sign-off (the current phase's gate);
* ``handover``: handovers proposed to a process I own, waiting for my acceptance;
* ``improvement``: open improvement items I own.

Sorted by due instant; items without a due instant (gates, handovers, improvement items, paused
requests) follow, oldest first.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.core import dates
from twofold.improvement.models import (
    OPEN_STATUSES,
    Handover,
    HandoverStatus,
    ImprovementItem,
)
from twofold.operations import selectors as ops
from twofold.operations.models import DONE_STATUSES, Occurrence, OccurrenceStatus
from twofold.projects.models import Gate
from twofold.projects.selectors import my_work as my_tasks

ROUTINE_DAYS = 7


class Kind(StrEnum):
    TASK = "task"
    ROUTINE = "routine"
    REQUEST = "request"
    GATE = "gate"
    HANDOVER = "handover"
    IMPROVEMENT = "improvement"


KIND_LABELS = {
    Kind.TASK: "Task",
    Kind.ROUTINE: "Routine",
    Kind.REQUEST: "Request",
    Kind.GATE: "Gate sign-off",
    Kind.HANDOVER: "Handover",
    Kind.IMPROVEMENT: "Improvement",
}


@dataclass
class WorkItem:
    """One row of My work: what, where, when it is due, and a short state in words."""

    kind: Kind
    id: int
    title: str
    url: str
    context: str  # the project, queue, process or item it belongs to
    context_url: str
    due: dt.datetime | None
    state: str  # e.g. "In progress · 40 %", "3 h 20 min left", "2 checklist items open"
    badge: str = ""  # colour of the state: green, amber, red or ""
    since: dt.datetime | None = None  # for undated rows: waiting since

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def sort_key(self) -> tuple[int, dt.datetime, int]:
        if self.due is not None:
            return (0, self.due, 0)
        order = list(Kind).index(self.kind)
        return (1, self.since or dt.datetime.max.replace(tzinfo=dt.UTC), order)


@dataclass
class MyWork:
    items: list[WorkItem]
    counts: dict[str, int]  # per kind, before the kind filter
    total: int


def _url(name: str, *args: int) -> str:
    return reverse(name, args=args)


def _tasks(user: User, organisation: Organisation) -> list[WorkItem]:
    rows = []
    for t in my_tasks(user, organisation):
        rows.append(
            WorkItem(
                kind=Kind.TASK,
                id=t.pk,
                title=t.name,
                url=_url("projects:task", t.project_id, t.pk),
                context=t.project.name,
                context_url=_url("projects:detail", t.project_id),
                due=t.finish,
                state=f"{t.get_status_display()} · {t.percent_complete:g} %",
                badge="red" if t.is_critical else "",
            )
        )
    return rows


def _occurrences(user: User, organisation: Organisation, now: dt.datetime) -> list[WorkItem]:
    qs = (
        Occurrence.objects.filter(
            organisation=organisation,
            routine__assignee=user,
            routine__archived_at__isnull=True,
            status=OccurrenceStatus.OPEN,
            due__lte=now + dt.timedelta(days=ROUTINE_DAYS),
        )
        .select_related("routine__process")
        .only(
            "pk",
            "due",
            "routine__name",
            "routine__effort_minutes",
            "routine__process_id",
            "routine__process__name",
        )
        .order_by("due")
    )
    rows = []
    for o in qs:
        late = o.due < now
        rows.append(
            WorkItem(
                kind=Kind.ROUTINE,
                id=o.pk,
                title=o.routine.name,
                url=_url("operations:occurrence", o.pk),
                context=o.routine.process.name,
                context_url=_url("operations:process", o.routine.process_id),
                due=o.due,
                state="Overdue" if late else f"{o.routine.effort_minutes} min of work",
                badge="red" if late else "",
            )
        )
    return rows


def _requests(user: User, organisation: Organisation, now: dt.datetime) -> list[WorkItem]:
    qs = (
        ops.requests_query()
        # The SLA clock needs the queue, its calendar and organisation; not the two people.
        .select_related(None)
        .select_related("queue", "queue__calendar", "queue__organisation")
        .filter(organisation=organisation, assignee=user, queue__archived_at__isnull=True)
        .exclude(status__in=DONE_STATUSES)
    )
    rows = []
    for r in qs:
        view = ops.request_view(r, now)
        clock = view.resolution
        if clock.paused:
            due, state = None, f"Paused ({r.get_status_display().lower()})"
        elif clock.remaining_minutes < 0:
            due, state = now, f"SLA {view.remaining_text}"
        else:
            due = clock.due_at  # an instant (in the organisation's zone, its fold set)
            state = f"{view.remaining_text} left to resolve"
        rows.append(
            WorkItem(
                kind=Kind.REQUEST,
                id=r.pk,
                title=f"#{r.pk} {r.title}",
                url=_url("operations:request", r.pk),
                context=f"{r.queue.name} · {r.get_priority_display()}",
                context_url=_url("operations:queue", r.queue_id),
                due=due,
                state=state,
                badge=view.badge,
                since=r.created_at,
            )
        )
    return rows


def _gates(user: User, organisation: Organisation) -> list[WorkItem]:
    qs = (
        Gate.objects.filter(
            organisation=organisation,
            project__sponsor=user,
            project__archived_at__isnull=True,
            passed_at__isnull=True,
            phase=F("project__phase"),
        )
        .select_related("project")
        .annotate(open_items=Count("items", filter=Q(items__done=False)))
    )
    rows = []
    for g in qs:
        n = g.open_items
        rows.append(
            WorkItem(
                kind=Kind.GATE,
                id=g.pk,
                title=f"Sign off: {g}",
                url=_url("projects:gates", g.project_id),
                context=g.project.name,
                context_url=_url("projects:detail", g.project_id),
                due=None,
                state="Ready to sign" if n == 0 else f"{n} checklist item{'s' * (n != 1)} open",
                badge="green" if n == 0 else "amber",
            )
        )
    return rows


def _handovers(user: User, organisation: Organisation) -> list[WorkItem]:
    mine = Q(process__owner=user) | Q(process__isnull=True, new_process_owner=user)
    qs = (
        Handover.objects.filter(organisation=organisation, status=HandoverStatus.PROPOSED)
        .filter(mine)
        .select_related("project", "process")
    )
    return [
        WorkItem(
            kind=Kind.HANDOVER,
            id=h.pk,
            title=f"Accept {h.project.name}",
            url=_url("improvement:handover", h.pk),
            context=h.receiving_name,
            context_url=_url("operations:process", h.process_id) if h.process_id else "",
            due=None,
            state=f"{h.done_count} of {len(h.deliverables)} deliverables done",
            badge="amber",
            since=h.proposed_at,
        )
        for h in qs
    ]


def _improvements(user: User, organisation: Organisation) -> list[WorkItem]:
    qs = ImprovementItem.objects.filter(
        organisation=organisation, owner=user, status__in=OPEN_STATUSES
    ).select_related("process")
    return [
        WorkItem(
            kind=Kind.IMPROVEMENT,
            id=i.pk,
            title=i.title,
            url=_url("improvement:item", i.pk),
            context=i.process.name if i.process else "No process",
            context_url=_url("operations:process", i.process_id) if i.process_id else "",
            due=None,
            state=i.get_status_display()
            + (f" · live since {dates.format_day(i.go_live)}" if i.go_live else ""),
            since=i.created_at,
        )
        for i in qs
    ]


def my_work(
    user: User, organisation: Organisation, *, kind: str = "", now: dt.datetime | None = None
) -> MyWork:
    """Everything waiting for ``user`` in ``organisation`` (see the module docstring).

    ``kind`` keeps one kind (unknown kinds keep everything). Nine queries whatever the number of
    rows."""
    moment = now or timezone.now()
    items = [
        *_tasks(user, organisation),
        *_occurrences(user, organisation, moment),
        *_requests(user, organisation, moment),
        *_gates(user, organisation),
        *_handovers(user, organisation),
        *_improvements(user, organisation),
    ]
    items.sort(key=WorkItem.sort_key)
    counts = Counter(item.kind.value for item in items)
    total = len(items)
    if kind in {k.value for k in Kind}:
        items = [item for item in items if item.kind == kind]
    return MyWork(items, {k.value: counts.get(k.value, 0) for k in Kind}, total)
