"""What the worker notifies about by itself, each event once (restarts, several workers)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.calendars import services as calendar_services
from twofold.calendars.working_time import STANDARD_HOURS
from twofold.core.models import Job, JobStatus
from twofold.notifications import scans, services
from twofold.notifications.models import Notification, OutboxEmail
from twofold.operations import services as ops
from twofold.operations.models import Occurrence, OccurrenceStatus
from twofold.projects import services as project_services
from twofold.projects.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(org: Any, owner: Any, mel: Any) -> Any:
    """A queue with a 2-business-hour resolution target, its process owned by the owner."""
    calendar = calendar_services.create_calendar(
        actor=owner, organisation=org, name="Office", hours=STANDARD_HOURS
    )
    process = ops.create_process(actor=owner, organisation=org, name="Service desk", owner=owner)
    queue = ops.create_queue(
        actor=owner, organisation=org, name="IT", calendar=calendar, process=process
    )
    queue.sla_hours = {"p3": {"response": 1, "resolution": 2}}
    queue.save(update_fields=["sla_hours"])
    return queue


def _local(org: Any, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(org.timezone))


def test_sla_soon_then_breached_once_each_to_the_assignee(
    org: Any, owner: Any, mel: Any, desk: Any
) -> None:
    monday_8 = _local(org, 2025, 3, 3, 8, 0)
    request = ops.create_request(actor=owner, queue=desk, title="Printer", at=monday_8)
    request.assignee = mel
    request.save(update_fields=["assignee"])
    assert scans.scan_sla(_local(org, 2025, 3, 3, 8, 30)) == 0  # 90 business minutes left
    for _ in range(2):  # a restart scans again: nobody is told twice
        scans.scan_sla(_local(org, 2025, 3, 3, 9, 30))
    assert list(Notification.objects.values_list("recipient_id", "event_key", "summary")) == [
        (
            mel.pk,
            f"sla-soon:{request.pk}",
            f"Request #{request.pk} Printer in IT breaches its SLA within the hour",
        )
    ]
    scans.scan_sla(_local(org, 2025, 3, 3, 10, 30))
    scans.scan_sla(_local(org, 2025, 3, 3, 11, 30))
    assert sorted(Notification.objects.values_list("event_key", flat=True)) == [
        f"sla-breached:{request.pk}",
        f"sla-soon:{request.pk}",
    ]


def test_unassigned_request_goes_to_the_process_owner(
    org: Any, owner: Any, mel: Any, desk: Any
) -> None:
    request = ops.create_request(
        actor=mel, queue=desk, title="VPN", at=_local(org, 2025, 3, 3, 8, 0)
    )
    scans.scan_sla(_local(org, 2025, 3, 3, 11, 0))
    assert list(Notification.objects.values_list("recipient_id", "event_key")) == [
        (owner.pk, f"sla-breached:{request.pk}")
    ]


def test_two_workers_racing_tell_once(
    org: Any, owner: Any, mel: Any, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both workers found the event before either wrote (``_already`` saw nothing): the unique
    constraint on (recipient, event_key) lets only the first insert through."""
    request = ops.create_request(
        actor=owner, queue=desk, title="Disk", at=_local(org, 2025, 3, 3, 8, 0)
    )
    request.assignee = mel
    request.save(update_fields=["assignee"])
    monkeypatch.setattr(scans, "_already", lambda keys: set())
    now = _local(org, 2025, 3, 3, 9, 30)
    assert scans.scan_sla(now) == 1
    assert scans.scan_sla(now) == 0
    assert Notification.objects.count() == 1
    assert OutboxEmail.objects.count() == 1  # one e-mail too


def test_task_due_tomorrow_and_overdue(org: Any, owner: Any, mel: Any, task: Any) -> None:
    now = _local(org, 2025, 3, 4, 12, 0)
    Task.objects.filter(pk=task.pk).update(assignee=mel, finish=_local(org, 2025, 3, 5, 17, 0))
    scans.scan_due(now)
    scans.scan_due(now + dt.timedelta(hours=1))
    assert list(Notification.objects.values_list("recipient_id", "event_key", "summary")) == [
        (
            mel.pk,
            f"due-tomorrow:task:{task.pk}:2025-03-05",
            "Order press (Press line) is due tomorrow",
        )
    ]
    scans.scan_due(_local(org, 2025, 3, 5, 18, 0))
    assert (
        Notification.objects.filter(event_key=f"due-overdue:task:{task.pk}:2025-03-05").count() == 1
    )
    Task.objects.filter(pk=task.pk).update(status="done")
    assert scans.scan_due(_local(org, 2025, 3, 5, 19, 0)) == 0


def test_missed_occurrence_tells_assignee_and_process_owner(org: Any, owner: Any, mel: Any) -> None:
    process = ops.create_process(actor=owner, organisation=org, name="Line 2", owner=owner)
    routine = ops.create_routine(
        actor=owner, process=process, name="Shift check", rrule="FREQ=DAILY", assignee=mel
    )
    occ = Occurrence.objects.create(
        organisation=org,
        routine=routine,
        due=dt.datetime(2025, 3, 3, 17, tzinfo=dt.UTC),
        status=OccurrenceStatus.MISSED,
    )
    now = dt.datetime(2025, 3, 4, 9, tzinfo=dt.UTC)
    scans.scan_missed(now)
    scans.scan_missed(now)
    assert sorted(Notification.objects.values_list("recipient_id", "event_key")) == sorted(
        [(mel.pk, f"missed:{occ.pk}"), (owner.pk, f"missed:{occ.pk}")]
    )


def test_job_finished_tells_its_owner(org: Any, mel: Any, project: Any) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    job = Job.objects.create(
        organisation=org,
        kind="levelling",
        owner=mel,
        status=JobStatus.SUCCEEDED,
        subject_type=ContentType.objects.get_for_model(project),
        subject_id=project.pk,
        finished_at=timezone.now(),
    )
    scans.scan_jobs()
    scans.scan_jobs()
    note = Notification.objects.get()
    assert (note.recipient_id, note.event_key, note.kind) == (mel.pk, f"job:{job.pk}", "job")
    assert note.summary.endswith("finished")


def test_history_assignment_notifies_and_follows(
    org: Any, owner: Any, mel: Any, project: Any
) -> None:
    scans.scan_history()  # the scan starts from now
    created, _ = project_services.create_task(actor=owner, project=project, name="Wire panel")
    project_services.update_task(
        actor=owner, task=created, expected_version=created.version, assignee=mel
    )
    assert scans.scan_history() == 1
    assert scans.scan_history() == 0
    note = Notification.objects.get()
    assert (note.recipient_id, note.kind, note.summary) == (
        mel.pk,
        "assigned",
        "Olivia Owner assigned you Wire panel",
    )
    assert sorted(services.followers(created)) == sorted([owner.pk, mel.pk])


def test_gate_ready_for_sign_off_tells_the_sponsor(
    org: Any, owner: Any, member: Any, project: Any
) -> None:
    sponsor = member(org, Role.MEMBER, full_name="Sam Sponsor")
    project.sponsor = sponsor
    project.save(update_fields=["sponsor"])
    gate = project.gates.filter(phase=project.phase).first()
    assert gate is not None
    gate.items.update(done=True)
    scans.scan_gates()
    scans.scan_gates()
    assert list(Notification.objects.values_list("recipient_id", "event_key")) == [
        (sponsor.pk, f"gate:{gate.pk}")
    ]


def test_a_failing_scan_does_not_stop_the_others() -> None:
    def broken() -> int:
        raise RuntimeError("boom")

    assert scans.run([broken, lambda: 2]) == 2


@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_at_once_tell_once_on_postgresql(
    org: Any, owner: Any, mel: Any, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two real database sessions scanning at the same moment (PostgreSQL; SQLite runs one
    writer at a time, which the sequential race above covers)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent sessions are a PostgreSQL test")
    request = ops.create_request(
        actor=owner, queue=desk, title="Disk", at=_local(org, 2025, 3, 3, 8, 0)
    )
    request.assignee = mel
    request.save(update_fields=["assignee"])
    monkeypatch.setattr(scans, "_already", lambda keys: set())
    barrier = threading.Barrier(2)
    made: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            made.append(scans.scan_sla(_local(org, 2025, 3, 3, 9, 30)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(made) == [0, 1]
    assert Notification.objects.filter(event_key=f"sla-soon:{request.pk}").count() == 1
    assert OutboxEmail.objects.count() == 1


def test_an_assignment_committed_after_a_later_entry_is_still_told(
    org: Any, owner: Any, mel: Any, project: Any
) -> None:
    """On PostgreSQL an id is taken at insert and seen at commit: an assignment in a slow
    transaction committed after a later entry had been scanned, and the scan's mark had already
    passed its id, so nobody was told. A recent hole in the ids now holds the mark back; the
    late entry is simulated here by removing an entry and putting it back."""
    from twofold.core.models import HistoryEntry

    scans.scan_history()  # the scan starts from now
    created, _ = project_services.create_task(
        actor=owner, project=project, name="Wire panel", assignee=mel
    )
    late = HistoryEntry.objects.filter(
        object_id=created.pk, action="created", content_type__model="task"
    ).get()
    kept = {f.attname: getattr(late, f.attname) for f in HistoryEntry._meta.concrete_fields}
    HistoryEntry.objects.filter(pk=late.pk).delete()  # not committed yet, seen from the worker
    project_services.create_task(actor=owner, project=project, name="Later")  # ids after it
    assert scans.scan_history() == 0
    HistoryEntry.objects.bulk_create([HistoryEntry(**kept)])  # the slow transaction commits
    assert scans.scan_history() == 1
    assert Notification.objects.get().summary == "Olivia Owner assigned you Wire panel"
    assert scans.scan_history() == 0  # read again, told once


def test_an_old_hole_in_the_ids_is_passed(org: Any, owner: Any, mel: Any, project: Any) -> None:
    """A hole older than the patience (a rolled-back insert) no longer holds the scan back."""
    from twofold.core.models import HistoryEntry
    from twofold.notifications.models import ScanMark

    scans.scan_history()
    first, _ = project_services.create_task(actor=owner, project=project, name="A")
    HistoryEntry.objects.filter(object_id=first.pk, action="created").delete()
    project_services.create_task(actor=owner, project=project, name="B")
    top = HistoryEntry.objects.order_by("-id").values_list("id", flat=True).first()
    scans.scan_history()
    assert ScanMark.objects.get(name="history").position < top
    old = dt.datetime.now(dt.UTC) - scans.GAP_PATIENCE - dt.timedelta(minutes=1)
    HistoryEntry.objects.update(at=old)
    scans.scan_history()
    assert ScanMark.objects.get(name="history").position == top
