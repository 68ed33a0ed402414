"""Demo notifications: what the worker would have told the Halvorsen people by now, and a few
hand-made ones (assigned, a comment on a followed task) for the demo sign-in.

Each is dated near the event that caused it, as the worker would have told it then (they all
read the minute the demo was loaded): a breached SLA when it breached, a KPI signal when its
value was entered, a handover when it was proposed, a missed routine when the next run came
due, "due tomorrow" this morning. The hand-made ones are real: Dana's own task, assigned by its
project's manager when the project was planned, and Tomasz's comment on the factory acceptance
test she follows, when he wrote it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.comments.models import Comment
from twofold.core.models import HistoryEntry
from twofold.demo.backdate import earlier_today, happened, past
from twofold.demo.people import DEMO_EMAIL
from twofold.notifications import kinds, scans, services
from twofold.notifications.hooks import HYPERCARE
from twofold.notifications.models import Notification


def load(org: Organisation, people: dict[str, User]) -> str:
    made = scans.run(scans.TIME_SCANS)  # SLA, due dates, missed routines, gates, handovers, KPIs
    # The scans' notices, and the hypercare notices told after their request's transaction
    # committed (outside the step of the story that raised the request).
    for note in Notification.objects.filter(organisation=org, kind__in=TOLD_BY_THE_WORKER):
        told = _told_at(org, note)
        if told is not None:
            Notification.objects.filter(pk=note.pk).update(created_at=past(told))
    demo = User.objects.filter(email=DEMO_EMAIL).first()
    if demo is not None:
        made += _for_dana(org, demo)
    total = Notification.objects.filter(organisation=org).count()
    return f"{total} notifications ({made} new)" if made or total else ""


TOLD_BY_THE_WORKER = [
    kinds.DUE,
    kinds.SLA,
    kinds.MISSED,
    kinds.GATE,
    kinds.HANDOVER,
    kinds.KPI_SIGNAL,
    HYPERCARE,
]


def _for_dana(org: Organisation, demo: User) -> int:
    from twofold.projects.models import Task, TaskStatus

    made = 0
    own = (
        Task.objects.filter(organisation=org, assignee=demo, is_summary=False)
        .exclude(status=TaskStatus.DONE)
        .select_related("project__manager")
        .order_by("start", "pk")
        .first()
    )
    if own is not None and own.project.manager is not None:
        manager = own.project.manager
        services.follow(demo, own, reason="assigned")
        with happened(org, own.project.created_at + dt.timedelta(hours=2)):
            made += len(
                services.notify(
                    recipients=[demo],
                    kind=kinds.ASSIGNED,
                    actor=manager,
                    target=own,
                    summary=f"{manager.display_name} assigned you {own.name}",
                )
            )
    fat = Task.objects.filter(
        organisation=org, project__code="OPX-03", name="Robot cell factory acceptance test"
    ).first()
    comment = (
        Comment.objects.filter(target_kind="task", target_id=fat.pk)
        .select_related("author")
        .first()
        if fat is not None
        else None
    )
    if fat is not None and comment is not None and comment.author is not None:
        # Dana follows the slipping project's factory acceptance test.
        services.follow(demo, fat)
        with happened(org, comment.created_at + dt.timedelta(minutes=1)):
            made += len(
                services.notify(
                    recipients=[demo],
                    kind=kinds.COMMENT,
                    actor=comment.author,
                    target=fat,
                    summary=f"{comment.author.display_name} commented on {fat.name}: "
                    f"“{comment.body}”",
                )
            )
    return made


def _told_at(org: Organisation, note: Notification) -> dt.datetime | None:
    """When the worker would have told ``note``: near the event that caused it."""
    target = _target(note)
    key = note.event_key
    if note.kind == kinds.DUE:
        if key.startswith("due-tomorrow:"):
            return earlier_today(org, 7, 0)
        due = getattr(target, "due", None) or getattr(target, "finish", None)
        return due + dt.timedelta(minutes=5) if due is not None else None
    if note.kind == kinds.SLA:
        if key.startswith("sla-breached:") and target is not None:
            return _breached_at(target)
        return timezone.now() - dt.timedelta(minutes=10)
    if note.kind == kinds.MISSED and target is not None:
        from twofold.operations.models import Occurrence

        following = (
            Occurrence.objects.filter(routine_id=target.routine_id, due__gt=target.due)
            .order_by("due")
            .values_list("due", flat=True)
            .first()
        )
        return following or target.due + dt.timedelta(days=1)
    if note.kind == HYPERCARE and target is not None:
        raised: dt.datetime = target.created_at
        return raised + dt.timedelta(minutes=1)
    if note.kind == kinds.HANDOVER and target is not None:
        proposed: dt.datetime = target.proposed_at
        return proposed + dt.timedelta(minutes=2)
    if note.kind == kinds.KPI_SIGNAL and target is not None:
        from twofold.operations.models import Measurement

        latest = Measurement.objects.filter(kpi=target).order_by("-id").first()
        return latest.created_at + dt.timedelta(minutes=5) if latest is not None else None
    if note.kind == kinds.GATE and target is not None:
        # Ready for sign-off since the last of its checklist was ticked (a baseline saved, a
        # handover accepted): the project's latest such entry.
        from twofold.projects.models import Project

        entry = (
            HistoryEntry.objects.filter(
                content_type__model="project",
                content_type__app_label="projects",
                object_id=target.project_id,
                action__in=["gate checklist", "handover accepted", "handover proposed"],
            )
            .order_by("-at")
            .first()
        )
        if entry is not None:
            return entry.at + dt.timedelta(minutes=5)
        project = Project.objects.filter(pk=target.project_id).first()
        return project.created_at if project is not None else None
    return None


def _target(note: Notification) -> Any:
    if note.target_type is None or note.target_id is None:
        return None
    model = note.target_type.model_class()
    if model is None:
        return None
    return model._default_manager.filter(pk=note.target_id).first()


def _breached_at(request: Any) -> dt.datetime:
    """The moment the request's resolution clock ran out (found by halving the interval)."""
    from twofold.engine.sla import SlaState
    from twofold.operations.selectors import request_view, requests_query

    request = requests_query().get(pk=request.pk)  # its events read once
    low, high = request.created_at, timezone.now()
    for _ in range(24):
        middle = low + (high - low) / 2
        if request_view(request, middle).resolution.state is SlaState.BREACHED:
            high = middle
        else:
            low = middle
    return high
