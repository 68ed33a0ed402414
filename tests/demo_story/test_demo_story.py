"""The demo organisation tells one consistent story (a review found five places where it did
not): its history, baselines and notifications are dated when things happened in the story,
every active routine has a past of runs, no risk stays open on finished work, the Line 2
crew's robot cell tasks follow the installation they need, and CI-05 has people and hours."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from django.utils import timezone

from twofold.capacity import selectors as capacity
from twofold.changes.models import ChangeRequest
from twofold.comments.models import Comment
from twofold.core.models import HistoryEntry
from twofold.costs.models import EntryStatus, TimeEntry
from twofold.improvement.models import Handover
from twofold.notifications.models import Notification
from twofold.operations.models import (
    Occurrence,
    OccurrenceStatus,
    Request,
    Routine,
    RoutineStep,
    StepEvidence,
)
from twofold.operations.services import due_between
from twofold.projects.models import Baseline, Gate, Link, Phase, Project, Task, TaskStatus
from twofold.risks.models import ACTIVE_STATUSES, Risk

# Found by name: an improvement project's code follows its item's id ("CI-05" from a clean
# database, another number where earlier tests used ids on PostgreSQL's sequences).
VISION = "Final inspection vision check"
PLANNED = ["OPX-03", "OPX-05", "QMS-26", "DIG-02", "OPX-08", "DIG-01"]
"""The projects the demo plans and baselines (the improvement projects come from items)."""


def _history_of(obj: Any) -> Any:
    return HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    )


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def test_history_and_baselines_are_dated_in_the_story(demo_org: Any) -> None:
    now = timezone.now()
    entries = HistoryEntry.objects.filter(organisation=demo_org)
    assert not entries.filter(at__gt=now).exists()
    # The organisation was set up first, over a year ago; nothing happened before it.
    first = entries.order_by("at", "id").first()
    assert first is not None and first.action == "created" and first.object_id == demo_org.pk
    assert first.at < now - dt.timedelta(days=365)
    # Most of the story is in the past: only what happened today is dated today (it all read
    # the minute the demo was loaded).
    today = entries.filter(at__gte=now - dt.timedelta(days=1)).count()
    assert today < entries.count() / 6, today
    for code in PLANNED:
        project = Project.objects.get(organisation=demo_org, code=code)
        (created,) = _history_of(project).filter(action="created")
        # Created with its charter, before its work began: no longer "created today".
        assert created.at == project.created_at
        assert _local_day(created.at) < project.target_start, code
        assert not _history_of(project).filter(at__lt=created.at).exists(), code
        for task in Task.objects.filter(project=project):
            assert not _history_of(task).filter(at__lt=created.at).exists(), (code, task.name)
        for risk in Risk.objects.filter(project=project):
            (raised,) = _history_of(risk).filter(action="created")
            assert created.at < raised.at == risk.created_at, (code, risk.title)
        # The approved plan is dated when the plan was approved: at the planning gate's
        # sign-off, before the first task began (for the ERP upgrade, still in planning, when
        # its "Upgrade plan approved" milestone was met), and its history says the same.
        baseline = Baseline.objects.get(project=project, number=0)
        (saved,) = _history_of(project).filter(action="baseline saved", summary__contains="(#0)")
        assert saved.at == baseline.created_at, code
        assert created.at < baseline.created_at <= now, code
        planning = Gate.objects.get(project=project, phase=Phase.PLANNING)
        starts = [t.start for t in Task.objects.filter(project=project) if t.start is not None]
        if planning.passed_at is not None:
            assert baseline.created_at <= planning.passed_at <= min(starts), code
        if code == "DIG-02":
            milestone = Task.objects.get(project=project, name="Upgrade plan approved")
            assert baseline.created_at == milestone.finish
        # A project started weeks ago was not created, baselined or risk-assessed this week.
        if project.target_start < timezone.localdate() - dt.timedelta(days=28):
            week_ago = now - dt.timedelta(days=7)
            assert created.at < week_ago and baseline.created_at < week_ago, code
            assert not Risk.objects.filter(project=project, created_at__gte=week_ago).exists()
    # A later baseline (an approved change) is dated at its approval, after the first.
    cnc = Project.objects.get(organisation=demo_org, code="OPX-05")
    approved = ChangeRequest.objects.get(project=cnc, status="approved")
    later = Baseline.objects.get(project=cnc, number=1)
    assert later.created_at == approved.decided_at
    assert Baseline.objects.get(project=cnc, number=0).created_at < later.created_at < now
    # The improvement project that went live ten weeks ago was started and planned then.
    vision = Project.objects.get(organisation=demo_org, name=VISION)
    (created,) = _history_of(vision).filter(action="created")
    assert _local_day(created.at) == vision.target_start
    for task in Task.objects.filter(project=vision, status=TaskStatus.DONE):
        (ticked,) = _history_of(task).filter(action="updated")
        assert _local_day(ticked.at) == task.actual_finish, task.name


def test_notifications_are_dated_near_their_events(demo_org: Any) -> None:
    now = timezone.now()
    notes = Notification.objects.filter(organisation=demo_org).select_related("target_type")
    assert notes.count() > 20
    assert not notes.filter(created_at__gt=now).exists()
    assert not notes.filter(created_at__lt=demo_org.created_at).exists()
    kinds: set[str] = set()
    for note in notes:
        kinds.add(note.kind)
        model = note.target_type.model_class() if note.target_type else None
        target = model._default_manager.filter(pk=note.target_id).first() if model else None
        if note.kind == "change_request":
            assert isinstance(target, ChangeRequest)
            assert note.created_at == target.created_at
            if target.decided_at is not None:  # decided: its notice was read
                assert note.read_at == target.decided_at
        elif note.kind == "handover":
            assert isinstance(target, Handover)
            assert dt.timedelta(0) <= note.created_at - target.proposed_at <= dt.timedelta(hours=1)
        elif note.kind == "hypercare":
            assert isinstance(target, Request)
            assert abs(note.created_at - target.created_at) <= dt.timedelta(minutes=5)
        elif note.kind == "kpi_signal":
            latest = target.measurements.order_by("-measured_on").first()
            assert abs(_local_day(note.created_at) - latest.measured_on) <= dt.timedelta(days=1)
        elif note.kind == "mentioned":
            comment = Comment.objects.filter(
                target_kind="task", target_id=note.target_id, body__contains=note.summary[-20:]
            ).first()
            assert comment is not None and note.created_at == comment.created_at
        elif note.kind == "due" and note.event_key.startswith("due-tomorrow:"):
            assert _local_day(note.created_at) == timezone.localdate()
        elif note.kind == "sla" and note.event_key.startswith("sla-breached:"):
            assert isinstance(target, Request) and target.created_at < note.created_at
    assert {"change_request", "handover", "hypercare", "kpi_signal", "mentioned"} <= kinds
    # Most notifications are older than today (they all read the minute of loading).
    assert notes.filter(created_at__lt=now - dt.timedelta(days=1)).count() > notes.count() / 3


def test_every_active_routine_has_a_history_of_runs(demo_org: Any) -> None:
    now = timezone.now()
    routines = list(
        Routine.objects.filter(organisation=demo_org, active=True, archived_at__isnull=True)
    )
    assert len(routines) >= 10
    on_time = late = missed = 0
    for routine in routines:
        past = Occurrence.objects.filter(routine=routine, due__lte=now)
        done = list(past.filter(status=OccurrenceStatus.DONE))
        assert len(done) >= 2, routine.name
        assert past.filter(status=OccurrenceStatus.DONE).count() >= past.count() * 0.8
        missed += past.filter(status=OccurrenceStatus.MISSED).count()
        # Each run falls on the routine's schedule, none before its start.
        schedule = set(
            due_between(routine, routine.starts_on, timezone.localdate(), demo_org.timezone)
        )
        for occ in past:
            assert occ.due in schedule, (routine.name, occ.due)
        # Each run done ticked every step of its checklist, by someone, at a time.
        steps = RoutineStep.objects.filter(routine=routine, retired=False).count()
        assert steps > 0, routine.name
        for occ in done:
            assert occ.completed_at is not None and occ.completed_by_id is not None
            assert occ.completed_at <= now
            assert StepEvidence.objects.filter(occurrence=occ).count() == steps, routine.name
            if occ.late:
                late += 1
            else:
                on_time += 1
    # Done on time mostly, some late, an occasional missed one.
    assert on_time > 0.8 * (on_time + late + missed)
    assert late > 0 and missed > 0
    # Readings within limits, except the two torque readings that opened nonconformances.
    outside = [
        e
        for e in StepEvidence.objects.filter(
            occurrence__routine__organisation=demo_org, number__isnull=False
        ).select_related("step")
        if (e.step.min_value is not None and e.number < e.step.min_value)
        or (e.step.max_value is not None and e.number > e.step.max_value)
    ]
    assert sorted(e.number for e in outside) == [38.5, 55]


def test_no_risk_stays_open_on_finished_work(demo_org: Any) -> None:
    risks = Risk.objects.filter(organisation=demo_org).prefetch_related("tasks")
    for risk in risks:
        if risk.status in ACTIVE_STATUSES:
            finished = [t.name for t in risk.tasks.all() if t.status == TaskStatus.DONE]
            assert not finished, (risk.title, finished)
    # Closed when the work it threatened was finished, saying what happened.
    closed = risks.filter(status="closed", mitigation__contains="Outcome:")
    assert closed.count() >= 5
    for risk in closed:
        (update,) = _history_of(risk).filter(action="updated")
        finished = max(t.finish for t in risk.tasks.all())
        assert update.changes["status"][1] == "closed" and update.at >= finished
    # The supplier's gripper delay happened with the late FAT; the risk moved then to the dry
    # runs it still threatens (the integrator's spare grippers and engineer), still open.
    supplier = risks.get(title="Robot cell supplier delivers late")
    fat = Task.objects.get(project=supplier.project, name="Robot cell factory acceptance test")
    assert supplier.status == "open" and "The gripper delay happened" in supplier.mitigation
    assert [t.name for t in supplier.tasks.all()] == ["Dry runs"]
    (moved,) = _history_of(supplier).filter(action="updated")
    assert fat.finish is not None and moved.at >= fat.finish
    assert moved.changes["tasks"][1] == ["Dry runs"]
    # The slipping project keeps its two open high risks (its supplier, its PLC integration).
    assert risks.filter(project__code="OPX-03", status="open", score__gte=15).count() == 2


def test_line_3_crew_tasks_follow_the_installation_they_need(demo_org: Any) -> None:
    line3 = Project.objects.get(organisation=demo_org, code="OPX-03")
    tasks = {t.name: t for t in Task.objects.filter(project=line3)}
    guarding = tasks["Safety guarding installation"]
    installed = tasks["Robot cell installation"]
    for name in (
        "Robot cell trial run (Line 2 crew)",
        "Robot cell operator training (Line 2 crew)",
    ):
        task = tasks[name]
        assert Link.objects.filter(pred=guarding, succ=task, type="FS").exists(), name
        assert task.start is not None and guarding.finish is not None
        assert installed.finish is not None and installed.finish <= guarding.start <= task.start
        assert task.start >= guarding.finish, name
    # And every dependency of every demo project holds on its dates.
    for link in Link.objects.filter(project__organisation=demo_org).select_related("pred", "succ"):
        pred, succ = link.pred, link.succ
        if None in (pred.start, pred.finish, succ.start):
            continue
        if link.type == "FS":
            assert succ.start >= pred.finish, (pred.name, succ.name)
        elif link.type == "SS":
            assert succ.start >= pred.start, (pred.name, succ.name)


def test_ci_05_has_people_and_booked_hours(demo_org: Any) -> None:
    project = Project.objects.get(organisation=demo_org, name=VISION)
    work = list(Task.objects.filter(project=project, is_summary=False, is_milestone=False))
    assert work and all(t.assignee_id is not None for t in work)
    members = set(demo_org.memberships.exclude(role="guest").values_list("user_id", flat=True))
    assert {t.assignee_id for t in work} <= members
    assert len({t.assignee_id for t in work}) >= 3
    # Hours booked by each task's person as its progress says: done work fully, the work in
    # progress in part, nothing on work not begun; all approved.
    entries = TimeEntry.objects.filter(project=project)
    assert entries.exists()
    assert not entries.exclude(status=EntryStatus.APPROVED).exists()
    for task in work:
        booked = entries.filter(task=task).aggregate(h=Sum("hours"))["h"] or Decimal(0)
        earned = Decimal(task.effort_minutes) / 60 * task.percent_complete / 100
        assert float(booked) == pytest.approx(float(earned), rel=0.1, abs=0.5), task.name
        assert not entries.filter(task=task).exclude(person_id=task.assignee_id).exists()
        if task.actual_start is not None:
            assert not entries.filter(task=task, day__lt=task.actual_start).exists()
    # Within their capacity: no week of the project's finished work has one of them over.
    first = min(t.actual_start for t in work if t.actual_start is not None)
    last = max(t.actual_finish for t in work if t.actual_finish is not None)
    weeks = (last - first).days // 7 + 2
    usage = capacity.usage(demo_org, first=first, weeks=weeks)
    people = {t.assignee_id for t in work}
    by_person: dict[int, list[Any]] = defaultdict(list)
    for row in usage.rows:
        if row.user.pk in people:
            by_person[row.user.pk] = row.cells
    assert set(by_person) == people
    for cells in by_person.values():
        assert all(not cell.over for cell in cells), [(c.week, c.hours) for c in cells]
