"""What ``twofold worker`` notifies about on its own: each scan names every event it finds
(``event_key``) so that repeating a scan, a restart or a second worker tells nobody twice.

* ``scan_history``: new history entries → "assigned to me" for the new assignee, and the
  creator and assignee follow the object (creators, assignees follow automatically). Read from
  a cursor (``ScanMark``), so the services that assign need no call into this app.
* ``scan_jobs``: a background job finished → its owner.
* ``scan_sla``: an open request's resolution clock has an hour or less of business time left
  (amber) or has breached → its assignee, else the owner of its queue's process.
* ``scan_due``: a task or routine occurrence of mine is due tomorrow (local date of its
  organisation) or overdue (at most :data:`OVERDUE_DAYS` back, so old plans do not flood).
* ``scan_missed``: a routine occurrence was missed → the routine's assignee and process owner.
* ``scan_gates``: the current gate of a project has its checklist done → the sponsor signs.
* ``scan_handovers``: a proposed handover → the owner of the receiving process.
* ``scan_kpi_signals``: a KPI in "signal" (its latest measurement) → the process owner.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone

from twofold.core import dates
from twofold.core.models import FINISHED_STATUSES, HistoryEntry, Job, JobStatus
from twofold.notifications import kinds, services
from twofold.notifications.models import FollowReason, Notification, ScanMark

logger = logging.getLogger(__name__)

OVERDUE_DAYS = 2
JOB_DAYS = 1
MISSED_DAYS = 3
SLA_SOON_MINUTES = 60.0
HISTORY_BATCH = 2000
GAP_PATIENCE = dt.timedelta(minutes=10)
"""How long a hole in the history's ids holds the scan back: an id taken by a transaction still
open (PostgreSQL hands ids out at insert, not at commit). Past it the hole is taken for a
rolled-back insert and passed."""

# Model label → the field naming the person the object is assigned to.
ASSIGNEE_FIELDS = {
    "projects.task": "assignee",
    "operations.request": "assignee",
    "operations.routine": "assignee",
    "improvement.improvementitem": "owner",
    "risks.risk": "owner",
}
# Objects whose creator follows them automatically.
FOLLOW_ON_CREATE = {
    *ASSIGNEE_FIELDS,
    "projects.project",
    "improvement.handover",
    "operations.process",
    "operations.kpi",
}


def _already(keys: Iterable[str]) -> set[tuple[int, str]]:
    """(recipient, event key) pairs already told: repeated scans skip them without a write."""
    wanted = list(set(keys))
    if not wanted:
        return set()
    return set(
        Notification.objects.filter(event_key__in=wanted).values_list("recipient_id", "event_key")
    )


def _tell(
    told: set[tuple[int, str]],
    recipients: Iterable[int | None],
    *,
    kind: str,
    target: models.Model,
    summary: str,
    event_key: str,
    url: str | None = None,
    actor: Any = None,
) -> int:
    people = [r for r in set(recipients) if r and (r, event_key) not in told]
    if not people:
        return 0
    made = services.notify(
        recipients=people,
        kind=kind,
        actor=actor,
        target=target,
        summary=summary,
        url=url,
        event_key=event_key,
    )
    return len(made)


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _organisations(ids: Iterable[int]) -> dict[int, Any]:
    from twofold.accounts.models import Organisation

    return Organisation.objects.in_bulk(list(ids))


def _daytime(value: dt.datetime, organisation: Any) -> str:
    """``value`` in the organisation's time zone and date format (as its pages show it)."""
    previous = dates.active_format()
    dates.activate_format(organisation.date_format)
    try:
        with timezone.override(_zone(organisation.timezone)):
            return dates.format_daytime(value)
    finally:
        dates.activate_format(previous)


# --- History: assignments and automatic follows ----------------------------------------------


def _mark(name: str, start: Callable[[], int]) -> int:
    row = ScanMark.objects.filter(name=name).values_list("position", flat=True).first()
    if row is not None:
        return int(row)
    ScanMark.objects.get_or_create(name=name, defaults={"position": start()})
    return int(ScanMark.objects.get(name=name).position)


def _advance(name: str, position: int) -> None:
    ScanMark.objects.filter(name=name, position__lt=position).update(position=position)


def scan_history(batch: int = HISTORY_BATCH) -> int:
    """Assignments and creations recorded since the last scan; returns notifications made."""

    def newest() -> int:
        return int(HistoryEntry.objects.aggregate(m=Max("id"))["m"] or 0)

    start = _mark("history", newest)  # a new install starts now: no backfill of old history
    top = newest()
    if top <= start:
        return 0
    types = {
        ContentType.objects.get_by_natural_key(*label.split(".")).pk: label
        for label in FOLLOW_ON_CREATE
        if _model_exists(label)
    }
    entries = list(
        HistoryEntry.objects.filter(id__gt=start, id__lte=top, content_type_id__in=list(types))
        .order_by("id")
        .only("id", "actor_id", "content_type_id", "object_id", "action", "changes")[:batch]
    )
    reached = entries[-1].pk if len(entries) == batch else top
    made = _history_entries(entries, types)
    # Not past a recent hole in the ids: a transaction still open may commit an entry there
    # (an assignment committed after a later entry was scanned was never told). The entries
    # after the hole are read again next time; their event keys keep anyone from being told
    # twice.
    _advance("history", min(reached, _before_recent_hole(start, reached)))
    return made


def _before_recent_hole(start: int, end: int) -> int:
    """The last id before the first hole in (start, end] younger than ``GAP_PATIENCE``, or
    ``end`` when there is none (one query on the primary key)."""
    expected = start + 1
    since = timezone.now() - GAP_PATIENCE
    rows = HistoryEntry.objects.filter(id__gt=start, id__lte=end).order_by("id")
    for pk, at in rows.values_list("id", "at").iterator(chunk_size=2000):
        if pk != expected and at >= since:
            return expected - 1
        expected = pk + 1
    return end


def _model_exists(label: str) -> bool:
    try:
        ContentType.objects.get_by_natural_key(*label.split("."))
    except ContentType.DoesNotExist:
        return False
    return True


def _history_entries(entries: list[HistoryEntry], types: dict[int, str]) -> int:
    """Creators follow what they created; the current assignee of an object whose assignee
    was set (on creation or by a change) in these entries is told once and follows it."""
    by_type: dict[int, set[int]] = defaultdict(set)
    for entry in entries:
        by_type[entry.content_type_id].add(entry.object_id)
    objects: dict[tuple[int, int], Any] = {}
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        for pk, obj in model._default_manager.in_bulk(list(ids)).items():
            objects[(type_id, pk)] = obj
    # The last assigning entry per object (several edits in one batch: one notification).
    assigning: dict[tuple[int, int], HistoryEntry] = {}
    for entry in entries:
        found = objects.get((entry.content_type_id, entry.object_id))
        if found is None:
            continue
        if entry.action == "created" and entry.actor_id:
            services.follow(_Person(entry.actor_id), found, reason=FollowReason.CREATED)
        field = ASSIGNEE_FIELDS.get(types[entry.content_type_id])
        if field and (entry.action == "created" or field in (entry.changes or {})):
            assigning[(entry.content_type_id, entry.object_id)] = entry
    events = []
    for key, entry in assigning.items():
        obj = objects[key]
        person = getattr(obj, f"{ASSIGNEE_FIELDS[types[key[0]]]}_id", None)
        if not person:
            continue
        services.follow(_Person(person), obj, reason=FollowReason.ASSIGNED)
        if person != entry.actor_id:
            label = types[key[0]]
            events.append((obj, person, entry, f"assigned:{label}:{obj.pk}:{person}:{entry.pk}"))
    told = _already(event_key for *_, event_key in events)
    made = 0
    for obj, person, entry, event_key in events:
        made += _tell(
            told,
            [person],
            kind=kinds.ASSIGNED,
            target=obj,
            actor=entry.actor_id,
            summary=f"{_actor_name(entry.actor_id)} assigned you {_name(obj)}",
            event_key=event_key,
        )
    return made


class _Person:
    """A user known by id only (enough for the policy and follow checks)."""

    is_authenticated = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


def _actor_name(user_id: int | None) -> str:
    from twofold.accounts.models import User

    user = User.objects.filter(pk=user_id).first() if user_id else None
    return user.display_name if user else "Someone"


def _name(obj: Any) -> str:
    text = getattr(obj, "name", None) or getattr(obj, "title", None) or str(obj)
    return str(text)[:200]


# --- Jobs -------------------------------------------------------------------------------------


def scan_jobs(now: dt.datetime | None = None) -> int:
    from twofold.core.jobs import kind_of

    moment = now or timezone.now()
    jobs = list(
        Job.objects.filter(
            status__in=list(FINISHED_STATUSES),
            finished_at__gte=moment - dt.timedelta(days=JOB_DAYS),
            owner__isnull=False,
        ).order_by("id")
    )
    told = _already(f"job:{j.pk}" for j in jobs)
    made = 0
    words = {JobStatus.SUCCEEDED: "finished", JobStatus.FAILED: "failed", "cancelled": "stopped"}
    for job in jobs:
        kind = kind_of(job.kind)
        label = kind.label if kind else job.kind
        made += _tell(
            told,
            [job.owner_id],
            kind=kinds.JOB,
            target=job,
            summary=f"{label} {words.get(job.status, job.status)}",
            event_key=f"job:{job.pk}",
        )
    return made


# --- SLA --------------------------------------------------------------------------------------


def scan_sla(now: dt.datetime | None = None) -> int:
    from twofold.engine.sla import SlaState
    from twofold.operations.models import DONE_STATUSES
    from twofold.operations.selectors import request_view, requests_query

    moment = now or timezone.now()
    requests = list(
        requests_query()
        .exclude(status__in=list(DONE_STATUSES))
        .filter(queue__deleted_at__isnull=True)
        .select_related("queue__process")
    )
    found: list[tuple[Any, str, str]] = []
    for request in requests:
        clock = request_view(request, moment).resolution
        if clock.state is SlaState.BREACHED:
            found.append((request, f"sla-breached:{request.pk}", "has breached its SLA"))
        elif not clock.paused and clock.remaining_minutes <= SLA_SOON_MINUTES:
            found.append((request, f"sla-soon:{request.pk}", "breaches its SLA within the hour"))
    told = _already(key for _, key, _ in found)
    made = 0
    for request, key, words in found:
        process = request.queue.process
        person = request.assignee_id or (process.owner_id if process else None)
        made += _tell(
            told,
            [person],
            kind=kinds.SLA,
            target=request,
            summary=f"Request {request} in {request.queue.name} {words}",
            event_key=key,
        )
    return made


# --- Due and overdue --------------------------------------------------------------------------


def _due_words(due: dt.datetime, zone: dt.tzinfo, moment: dt.datetime) -> tuple[str, str] | None:
    """("tomorrow" | "overdue", local due date) or None when neither applies."""
    local_due = due.astimezone(zone).date()
    today = moment.astimezone(zone).date()
    if due < moment:
        return "overdue", local_due.isoformat()
    if local_due == today + dt.timedelta(days=1):
        return "tomorrow", local_due.isoformat()
    return None


def scan_due(now: dt.datetime | None = None) -> int:
    from twofold.operations.models import Occurrence, OccurrenceStatus
    from twofold.projects.models import Assignment, Task, TaskStatus

    moment = now or timezone.now()
    since = moment - dt.timedelta(days=OVERDUE_DAYS)
    until = moment + dt.timedelta(days=3)  # covers "tomorrow" in every time zone
    tasks = list(
        Task.objects.filter(
            finish__gte=since,
            finish__lt=until,
            is_summary=False,
            project__deleted_at__isnull=True,
        )
        .exclude(status=TaskStatus.DONE)
        .select_related("organisation", "project")
    )
    people: dict[int, set[int]] = defaultdict(set)
    for task_id, person in Assignment.objects.filter(task_id__in=[t.pk for t in tasks]).values_list(
        "task_id", "person_id"
    ):
        people[task_id].add(person)
    events: list[tuple[Any, set[int], str, str]] = []
    for task in tasks:
        assert task.finish is not None
        when = _due_words(task.finish, _zone(task.organisation.timezone), moment)
        recipients = people[task.pk] | ({task.assignee_id} if task.assignee_id else set())
        if when and recipients:
            word, day = when
            text = "is overdue" if word == "overdue" else "is due tomorrow"
            events.append(
                (
                    task,
                    recipients,
                    f"due-{word}:task:{task.pk}:{day}",
                    f"{task.name} ({task.project.name}) {text}",
                )
            )
    occurrences = list(
        Occurrence.objects.filter(
            status=OccurrenceStatus.OPEN,
            due__gte=since,
            due__lt=until,
            routine__assignee__isnull=False,
            routine__archived_at__isnull=True,
        ).select_related("organisation", "routine")
    )
    for occ in occurrences:
        when = _due_words(occ.due, _zone(occ.organisation.timezone), moment)
        if when:
            word, day = when
            text = "is overdue" if word == "overdue" else "is due tomorrow"
            events.append(
                (
                    occ,
                    {occ.routine.assignee_id or 0},
                    f"due-{word}:occurrence:{occ.pk}:{day}",
                    f"Routine {occ.routine.name} {text}",
                )
            )
    told = _already(key for _, _, key, _ in events)
    made = 0
    for target, recipients, key, summary in events:
        made += _tell(
            told, recipients, kind=kinds.DUE, target=target, summary=summary, event_key=key
        )
    return made


# --- Missed routines, gates, handovers, KPI signals -------------------------------------------


def scan_missed(now: dt.datetime | None = None) -> int:
    from twofold.operations.models import Occurrence, OccurrenceStatus

    moment = now or timezone.now()
    missed = list(
        Occurrence.objects.filter(
            status=OccurrenceStatus.MISSED, due__gte=moment - dt.timedelta(days=MISSED_DAYS)
        ).select_related("routine", "routine__process")
    )
    told = _already(f"missed:{o.pk}" for o in missed)
    zones = _organisations({o.organisation_id for o in missed})
    made = 0
    for occ in missed:
        routine = occ.routine
        made += _tell(
            told,
            [routine.assignee_id, routine.process.owner_id],
            kind=kinds.MISSED,
            target=occ,
            summary=f"Routine {routine.name} was missed (due {_daytime(occ.due, zones[occ.organisation_id])})",
            event_key=f"missed:{occ.pk}",
        )
    return made


def scan_gates() -> int:
    from twofold.projects.models import Gate, GateItem

    open_items = GateItem.objects.filter(gate=OuterRef("pk"), done=False)
    gates = list(
        Gate.objects.filter(
            passed_at__isnull=True,
            phase=F("project__phase"),
            project__deleted_at__isnull=True,
            project__sponsor__isnull=False,
        )
        .filter(~Exists(open_items))
        .select_related("project")
    )
    told = _already(f"gate:{g.pk}" for g in gates)
    made = 0
    for gate in gates:
        made += _tell(
            told,
            [gate.project.sponsor_id],
            kind=kinds.GATE,
            target=gate,
            summary=f"{gate} of {gate.project.name} is ready for your sign-off",
            event_key=f"gate:{gate.pk}",
        )
    return made


def scan_handovers() -> int:
    from django.db.models import Q

    from twofold.improvement.models import Handover, HandoverStatus

    # The acceptor is the receiving process's owner, or the drafted owner of a new process.
    handovers = list(
        Handover.objects.filter(status=HandoverStatus.PROPOSED)
        .filter(
            Q(process__owner__isnull=False)
            | Q(process__isnull=True, new_process_owner__isnull=False)
        )
        .select_related("project", "process")
    )
    keys = {h.pk: f"handover:{h.pk}:{int(h.proposed_at.timestamp())}" for h in handovers}
    told = _already(keys.values())
    made = 0
    for handover in handovers:
        made += _tell(
            told,
            [handover.process.owner_id if handover.process else handover.new_process_owner_id],
            kind=kinds.HANDOVER,
            target=handover,
            actor=handover.proposed_by_id,
            summary=f"{handover} is waiting for your acceptance",
            event_key=keys[handover.pk],
        )
    return made


def scan_kpi_signals() -> int:
    from twofold.operations.models import Kpi

    kpis = list(
        Kpi.objects.filter(state="signal", archived_at__isnull=True, process__owner__isnull=False)
        .annotate(latest=Max("measurements__id"))
        .select_related("process")
    )
    keys = {k.pk: f"kpi-signal:{k.pk}:{k.latest}" for k in kpis}
    told = _already(keys.values())
    made = 0
    for kpi in kpis:
        made += _tell(
            told,
            [kpi.process.owner_id],
            kind=kinds.KPI_SIGNAL,
            target=kpi,
            summary=f"KPI {kpi.name} of {kpi.process.name} raised a signal",
            event_key=keys[kpi.pk],
        )
    return made


EVENT_SCANS: list[Callable[[], int]] = [scan_history, scan_jobs]
TIME_SCANS: list[Callable[[], int]] = [
    scan_sla,
    scan_due,
    scan_missed,
    scan_gates,
    scan_handovers,
    scan_kpi_signals,
]


def run(scans: Iterable[Callable[[], int]]) -> int:
    """Run ``scans``; one that fails is logged and the others still run."""
    made = 0
    for scan in scans:
        try:
            made += scan()
        except Exception:
            logger.exception("notifications: the %s scan failed", scan.__name__)
    return made
