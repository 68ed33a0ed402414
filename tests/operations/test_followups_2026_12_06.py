"""Follow-ups of the 2026-12-06 reviews: guests never stay assignees (a role change, a removal,
old rows, the large demo), the CSV stash is capped per person, archiving an archived thing
with a stale version is a conflict, evidence files of a failed completion do not stay on disk,
and a request's SLA due time is computed once."""

from __future__ import annotations

import datetime as dt
import importlib
import os
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from twofold.accounts import services as account_services
from twofold.accounts.models import Membership, Role
from twofold.calendars import services as calendar_services
from twofold.core import history
from twofold.core.errors import Conflict, Invalid
from twofold.core.models import HistoryEntry
from twofold.engine import sla as engine_sla
from twofold.operations import assignment, csv_stash, evidence_files, selectors, services
from twofold.operations.models import (
    Evidence,
    Occurrence,
    OccurrenceStatus,
    Process,
    Request,
    Routine,
    StepEvidence,
)

U = dt.UTC
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _entries(obj: Any) -> list[tuple[Any, str, dict[str, Any], str]]:
    return [
        (e.actor_id, e.action, e.changes, e.summary)
        for e in HistoryEntry.objects.filter(
            object_id=obj.pk, content_type__model=obj._meta.model_name
        )
        .exclude(action="created")
        .order_by("id")
    ]


# --- 1. Guests are never left as assignees ----------------------------------------------------


@pytest.fixture
def worker(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Wendy Worker")


@pytest.fixture
def assigned(owner: Any, worker: Any, queue: Any, routine: Any) -> dict[str, Any]:
    """Worker assigned to the routine, an open request and a resolved one."""
    services.update_routine(
        actor=owner, routine=routine, expected_version=routine.version, assignee=worker
    )
    open_req = services.create_request(actor=owner, queue=queue, title="Printer jams")
    assignment.assign_request(
        actor=owner, request=open_req, assignee=worker, expected_version=open_req.version
    )
    done = services.create_request(actor=owner, queue=queue, title="Screen flickers")
    assignment.assign_request(actor=owner, request=done, assignee=worker, expected_version=1)
    done = services.change_request_status(
        actor=owner, request=done, status="resolved", expected_version=done.version
    )
    routine.refresh_from_db()
    return {"routine": routine, "open": open_req, "done": done}


def test_a_member_made_a_guest_is_unassigned_with_history(owner, org, worker, assigned):
    routine, open_req, done = assigned["routine"], assigned["open"], assigned["done"]
    versions = (routine.version, open_req.version, done.version)
    membership = Membership.objects.get(organisation=org, user=worker)
    account_services.change_member_role(
        actor=owner, membership=membership, role=Role.GUEST, expected_version=membership.version
    )
    routine.refresh_from_db()
    open_req.refresh_from_db()
    done.refresh_from_db()
    assert (routine.assignee_id, open_req.assignee_id, done.assignee_id) == (None, None, worker.pk)
    # The versions move (a form still naming them is stale); the resolved one keeps its worker.
    assert (routine.version, open_req.version, done.version) == (
        versions[0] + 1,
        versions[1] + 1,
        versions[2],
    )
    assert _entries(open_req)[-1] == (
        owner.pk,
        "unassigned",
        {"assignee": ["Wendy Worker", "nobody"]},
        "Unassigned Wendy Worker: became a guest",
    )
    assert _entries(routine)[-1] == (
        owner.pk,
        "updated",
        {"assignee": ["Wendy Worker", None]},
        "Unassigned Wendy Worker: became a guest",
    )
    with pytest.raises(Conflict):  # an edit read before the change is stale
        services.update_routine(
            actor=owner, routine=routine, expected_version=versions[0], name="Checks"
        )


def test_a_role_change_between_members_keeps_assignments(owner, org, worker, assigned):
    membership = Membership.objects.get(organisation=org, user=worker)
    account_services.change_member_role(
        actor=owner, membership=membership, role=Role.ADMIN, expected_version=membership.version
    )
    assert Routine.objects.get(pk=assigned["routine"].pk).assignee_id == worker.pk
    assert Request.objects.get(pk=assigned["open"].pk).assignee_id == worker.pk


def test_a_removed_member_is_unassigned_too(owner, org, worker, assigned):
    membership = Membership.objects.get(organisation=org, user=worker)
    account_services.remove_member(actor=owner, membership=membership)
    assert Routine.objects.get(pk=assigned["routine"].pk).assignee_id is None
    assert Request.objects.get(pk=assigned["open"].pk).assignee_id is None
    assert Request.objects.get(pk=assigned["done"].pk).assignee_id == worker.pk
    assert _entries(assigned["open"])[-1] == (
        owner.pk,
        "unassigned",
        {"assignee": ["Wendy Worker", "nobody"]},
        "Unassigned Wendy Worker: no longer a member",
    )


def test_guests_assigned_before_the_rule_are_unassigned_by_the_migration(
    org, owner, worker, assigned
):
    """Rows from before the services refused guests (written here behind their back)."""
    Membership.objects.filter(organisation=org, user=worker).update(role=Role.GUEST)
    routine, open_req, done = assigned["routine"], assigned["open"], assigned["done"]
    migration = importlib.import_module("twofold.operations.migrations.0014_guests_unassigned")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    migration.unassign_guests(django_apps, editor)
    assert Routine.objects.get(pk=routine.pk).assignee_id is None
    assert Request.objects.get(pk=open_req.pk).assignee_id is None
    assert Request.objects.get(pk=done.pk).assignee_id == worker.pk
    assert Request.objects.get(pk=open_req.pk).version == open_req.version + 1
    assert _entries(open_req)[-1] == (
        None,
        "unassigned",
        {"assignee": ["Wendy Worker", "nobody"]},
        "Unassigned Wendy Worker: a guest cannot work it",
    )
    assert _entries(routine)[-1] == (
        None,
        "updated",
        {"assignee": ["Wendy Worker", None]},
        "Unassigned Wendy Worker: a guest cannot work it",
    )
    page = history.history_for(Request.objects.get(pk=open_req.pk), viewer=owner)
    assert page[0].object_repr == f"#{open_req.pk} Printer jams"


def test_the_large_demo_assigns_no_guest(org, member, monkeypatch):
    from twofold.operations import demo_large

    guest = member(org, Role.GUEST, full_name="Gina Guest")
    mo = member(org, Role.MEMBER, full_name="Mo Member")
    monkeypatch.setattr(demo_large, "SITES", ["Plant A (Drammen)"])
    monkeypatch.setattr(demo_large, "KINDS", demo_large.KINDS[:3])
    monkeypatch.setattr(demo_large, "REQUESTS", 60)
    demo_large.load(org, {"Gina Guest": guest, "Mo Member": mo})
    assert set(Routine.objects.values_list("assignee_id", flat=True)) == {mo.pk}
    assert set(Request.objects.values_list("assignee_id", flat=True)) == {mo.pk}
    assert set(Process.objects.values_list("owner_id", flat=True)) == {mo.pk}
    # Guests may still ask.
    assert Request.objects.filter(requester=guest).exists()


# --- 2. The CSV stash is capped per person ----------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stashed(media: Path, user_id: int) -> Path:
    return media / "operations" / "imports" / "people" / str(user_id)


def _age(media: Path, user_id: int, token: str, seconds_ago: int) -> None:
    [path] = _stashed(media, user_id).glob(f"*-{token}.csv")
    moment = (dt.datetime.now(U) - dt.timedelta(seconds=seconds_ago)).timestamp()
    os.utime(path, (moment, moment))


def test_a_person_keeps_at_most_five_stashed_files(media, kpi, owner, process, member, org):
    other_kpi = services.create_kpi(
        actor=owner,
        process=process,
        name="OEE",
        unit="%",
        good_direction="up",
        target=80.0,
        amber_threshold=77.0,
        red_threshold=72.0,
    )
    tokens = []
    for i in range(7):
        target = kpi if i % 2 == 0 else other_kpi
        token = csv_stash.stash(target, owner.pk, f"date,value\n{i}".encode())
        _age(media, owner.pk, token, 600 - i * 60)  # each newer than the one before
        tokens.append((target, token))
    someone = member(org, Role.MEMBER)
    theirs = csv_stash.stash(kpi, someone.pk, b"theirs")
    kept = [csv_stash.take(target, owner.pk, token) for target, token in tokens]
    # The two oldest went; the five newest stay, whatever their KPI.
    assert kept == [None, None] + [f"date,value\n{i}".encode() for i in range(2, 7)]
    assert len(list(_stashed(media, owner.pk).iterdir())) == 5
    assert csv_stash.take(kpi, someone.pk, theirs) == b"theirs"
    # A token finds only its own KPI's file.
    assert csv_stash.take(kpi, owner.pk, tokens[5][1]) is None


def test_a_file_over_the_limit_is_not_stashed(media, kpi, owner):
    with pytest.raises(Invalid) as caught:
        csv_stash.stash(kpi, owner.pk, b"x" * (csv_stash.MAX_BYTES + 1))
    assert (caught.value.field, caught.value.message) == ("file", "The file is larger than 5 MB.")
    assert not (media / "operations").exists()


def _doubtful_csv() -> SimpleUploadedFile:
    today = dt.date.today()
    rows = "".join(f"{today - dt.timedelta(weeks=w)},2.9\n" for w in range(2, 12))
    body = f"date,value\n{rows}{today - dt.timedelta(weeks=1)},290\n"
    return SimpleUploadedFile("m.csv", body.encode(), content_type="text/csv")


def test_the_page_drops_the_oldest_check_after_five(media, client, kpi, owner):
    client.force_login(owner)
    url = f"/operations/kpis/{kpi.pk}/"
    tokens = []
    for i in range(6):
        r = client.post(url, {"action": "csv", "file": _doubtful_csv()})
        assert r.status_code == 422
        tokens.append(r.context["csv_token"])
        _age(media, owner.pk, tokens[-1], 600 - i * 60)
    r = client.post(url, {"action": "csv_confirm", "token": tokens[0]})
    assert r.status_code == 422 and "That checked file is gone" in r.content.decode()
    r = client.post(url, {"action": "csv_confirm", "token": tokens[5]})
    assert r.status_code == 302


def test_the_page_says_so_when_the_file_cannot_be_kept(media, client, kpi, owner, monkeypatch):
    """Not kept (a full disk here): a form error and no "Import anyway", never a 500."""
    import errno

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", full)
    client.force_login(owner)
    r = client.post(f"/operations/kpis/{kpi.pk}/", {"action": "csv", "file": _doubtful_csv()})
    page = r.content.decode()
    assert r.status_code == 507
    assert "The server&#x27;s disk is full, so the file was not saved" in page
    assert r.context["csv_token"] == "" and "Import anyway" not in page


# --- 3. Archiving what is archived, with a stale version --------------------------------------


def test_archiving_an_archived_process_with_a_stale_version_is_a_conflict(
    owner, process, client, api
):
    services.set_archived(actor=owner, obj=process, archived=True, expected_version=1)
    services.update_process(
        actor=owner, process=Process.objects.get(pk=process.pk), expected_version=2, name="Line 9"
    )
    stale = Process.objects.get(pk=process.pk)
    with pytest.raises(Conflict):
        services.set_archived(actor=owner, obj=stale, archived=True, expected_version=2)
    r = api(owner).patch(f"/api/processes/{process.pk}", {"version": 2, "archived": True})
    assert r.status_code == 409
    client.force_login(owner)
    r = client.post(
        f"/operations/processes/{process.pk}/archive/",
        {"version": 2, "archived": "1"},
        follow=True,
    )
    assert "Someone else changed this since you opened it" in r.content.decode()
    assert "archived: hidden from lists" not in r.content.decode()
    # The current version is still a no-op that answers 200, and nothing moved.
    r = api(owner).patch(f"/api/processes/{process.pk}", {"version": 3, "archived": True})
    assert r.status_code == 200 and r.json()["archived"] is True
    assert Process.objects.get(pk=process.pk).version == 3


# --- 4. Evidence files of a failed attempt ----------------------------------------------------


@pytest.fixture
def photo_occurrence(process, owner, django_capture_on_commit_callbacks) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        routine = services.create_routine(
            actor=owner,
            process=process,
            name="Torque audit",
            rrule="FREQ=DAILY",
            starts_on=dt.date.today(),
            steps=[
                services.StepSpec("Photo of the gauge", Evidence.FILE),
                services.StepSpec("Torque", Evidence.NUMBER, 40, 50, "Nm"),
            ],
        )
    services.generate_occurrences(routines=[routine])
    return Occurrence.objects.filter(routine=routine).order_by("due").first()


def _files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def test_a_completion_failing_after_the_file_was_written_leaves_no_file(
    media, owner, photo_occurrence, monkeypatch
):
    photo, torque = photo_occurrence.routine.steps.order_by("position")
    written: list[int] = []

    def late_failure(*args: Any, **kwargs: Any) -> Any:
        written.append(len(_files(media)))  # the file is on disk by now
        raise RuntimeError("quality is down")

    monkeypatch.setattr(services, "_deviations", late_failure)
    with pytest.raises(RuntimeError):
        services.complete_occurrence(
            actor=owner,
            occurrence=photo_occurrence,
            evidence={
                photo.pk: services.StepInput(file=SimpleUploadedFile("gauge.png", PNG)),
                torque.pk: services.StepInput(number=45),
            },
            expected_version=photo_occurrence.version,
        )
    assert written == [1]
    assert _files(media) == []
    assert not StepEvidence.objects.exists()
    assert Occurrence.objects.get(pk=photo_occurrence.pk).status == OccurrenceStatus.OPEN


def test_an_upload_failing_after_the_file_was_written_leaves_no_file(
    media, owner, photo_occurrence, monkeypatch
):
    photo, _torque = photo_occurrence.routine.steps.order_by("position")

    def late_failure(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("history is down")

    monkeypatch.setattr(evidence_files.history, "record", late_failure)
    with pytest.raises(RuntimeError):
        evidence_files.upload_step_file(
            actor=owner,
            occurrence=photo_occurrence,
            step=photo,
            file=SimpleUploadedFile("gauge.png", PNG),
        )
    assert _files(media) == []
    assert not StepEvidence.objects.exists()


def test_a_completion_that_succeeds_keeps_its_file(media, owner, photo_occurrence):
    photo, torque = photo_occurrence.routine.steps.order_by("position")
    services.complete_occurrence(
        actor=owner,
        occurrence=photo_occurrence,
        evidence={
            photo.pk: services.StepInput(file=SimpleUploadedFile("gauge.png", PNG)),
            torque.pk: services.StepInput(number=45),
        },
        expected_version=photo_occurrence.version,
    )
    [row] = StepEvidence.objects.exclude(file="")
    assert _files(media) == [media / row.file.name]


# --- 5. A request's due time is computed once ------------------------------------------------


ROUND_THE_CLOCK = {day: [["00:00", "24:00"]] for day in range(7)}


@pytest.fixture
def desk(org: Any, owner: Any, process: Any) -> Any:
    cal = calendar_services.create_calendar(
        actor=owner, organisation=org, name="Round the clock", hours=ROUND_THE_CLOCK
    )
    return services.create_queue(
        actor=owner, organisation=org, name="Night desk", calendar=cal, process=process
    )


@pytest.fixture
def counted(monkeypatch: Any) -> list[int]:
    """Calls of ``add_working_minutes`` from the SLA clock and from the request's due time."""
    calls: list[int] = []
    real = engine_sla.add_working_minutes

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine_sla, "add_working_minutes", counting)
    monkeypatch.setattr(selectors, "add_working_minutes", counting)
    return calls


def test_a_request_view_computes_each_due_time_once(owner, desk, counted):
    raised = dt.datetime(2025, 6, 10, 10, 0, tzinfo=U)
    req = services.create_request(actor=owner, queue=desk, title="x", at=raised, priority="p1")
    loaded = Request.objects.select_related("queue__organisation", "queue__calendar").get(pk=req.pk)
    list(loaded.events.all())
    counted.clear()
    view = selectors.request_view(loaded, raised + dt.timedelta(minutes=10))
    assert len(counted) == 2  # one per running clock (it was three each)
    assert view.response.due_at == dt.datetime(2025, 6, 10, 10, 30, tzinfo=U)
    assert view.resolution.due_at == dt.datetime(2025, 6, 10, 14, 0, tzinfo=U)


def test_the_resolution_clock_reads_no_response_due_time(owner, desk, counted):
    raised = dt.datetime(2025, 6, 10, 10, 0, tzinfo=U)
    req = services.create_request(actor=owner, queue=desk, title="x", at=raised, priority="p1")
    Request.objects.filter(pk=req.pk).update(resolved_at=raised + dt.timedelta(hours=5))
    loaded = Request.objects.get(pk=req.pk)
    counted.clear()
    clock = selectors.resolution_clock(loaded)
    assert counted == []  # the never-answered response clock's due time was computed too
    assert (clock.elapsed_minutes, clock.state.name, clock.due_at) == (300.0, "BREACHED", None)
