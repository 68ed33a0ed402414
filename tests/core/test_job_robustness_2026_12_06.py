"""Background jobs whose run is cut off (review of 2026-12-06): a job cancelled while queued or
whose worker died must not leave its upload "importing"; a job safe to repeat is queued again
when its worker dies; `twofold worker` stops in order on SIGTERM and survives a failing pass."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tests.calendars.test_scheduling import _dates, chain, default, project  # noqa: F401
from tests.interchange.test_mspdi_import import PLAN
from twofold.calendars import services as calendar_services
from twofold.core import jobs, services
from twofold.core.errors import Conflict
from twofold.core.models import Job, JobStatus
from twofold.interchange import mspdi_import
from twofold.interchange.models import MspdiUpload, UploadStatus
from twofold.interchange.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from twofold.notifications.models import OutboxEmail, OutboxStatus
from twofold.operations.management.commands import worker as worker_command
from twofold.projects import services as project_services

PARAMS = {"mode": "new", "name": "", "code": ""}
ROOT = Path(__file__).resolve().parents[2]
STALE = jobs.STALE_MESSAGE.format(minutes=2)


def _die(job: Job, worker: str = "host-a:1") -> None:
    """A worker takes ``job`` and is killed (OOM, a reboot): its heartbeat grows old."""
    assert jobs.try_claim(job.pk, worker)
    Job.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - dt.timedelta(minutes=3))


def _queued_import(org: Any, owner: Any, monkeypatch: Any) -> tuple[MspdiUpload, Job]:
    upload = mspdi_import.upload_mspdi(actor=owner, organisation=org, file_name="l4.xml", data=PLAN)
    assert upload.status == UploadStatus.READY
    monkeypatch.setattr(mspdi_import, "INLINE_BYTES", 100)
    job = mspdi_import.queue_import(actor=owner, upload=upload, params=PARAMS, resources={})
    return upload, job


def _status(upload: MspdiUpload) -> str:
    upload.refresh_from_db()
    return upload.status


@pytest.fixture
def kinds() -> Iterator[list[str]]:
    """Two registered kinds that count to 5, reporting each step: one safe to repeat, one not."""
    ended: list[str] = []

    def run(job: Job, progress: jobs.Progress) -> dict[str, Any]:
        for step in range(1, 6):
            if not progress(step / 5, f"{step} of 5"):
                return {"stopped_early": True, "counted": step - 1}
        return {"counted": 5}

    for name, repeatable in (("tests.again", True), ("tests.once", False)):
        jobs.register(
            jobs.JobKind(
                name=name,
                label=name,
                run=run,
                page_url=lambda job: "/",
                repeatable=repeatable,
                on_abandoned=lambda job: ended.append(f"{job.kind} #{job.pk}"),
            )
        )
    yield ended
    jobs._KINDS.pop("tests.again", None)
    jobs._KINDS.pop("tests.once", None)


@pytest.fixture
def plan(org: Any, owner: Any) -> Any:
    return project_services.create_project(
        actor=owner, organisation=org, name="Line 3", code="L3", target_start=dt.date(2026, 3, 2)
    )


@pytest.fixture(autouse=True)
def _report_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "REPORT_EVERY_S", 0.0)


# ----- 1. a job that ends without running leaves no upload "importing"


def test_cancelling_a_queued_import_lets_the_file_be_imported_again(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    upload, job = _queued_import(org, owner, monkeypatch)
    assert _status(upload) == UploadStatus.IMPORTING
    services.cancel_job(actor=owner, job=job)  # the page's "Cancel" while it waits
    assert Job.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    assert _status(upload) == UploadStatus.READY  # it stayed "importing" for good
    again = mspdi_import.queue_import(actor=owner, upload=upload, params=PARAMS, resources={})
    assert again.status == JobStatus.QUEUED


def test_an_import_whose_worker_keeps_dying_is_tried_three_times_then_the_file_is_freed(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    upload, job = _queued_import(org, owner, monkeypatch)
    for attempt in (1, 2):
        _die(job)
        assert jobs.fail_stale() == 1  # the next worker's pass
        job.refresh_from_db()
        # Nothing committed (the upload is still "importing"): queued again, as it was.
        assert (job.status, job.attempts, job.progress, job.worker, job.message) == (
            JobStatus.QUEUED,
            attempt,
            0.0,
            "",
            jobs.REQUEUED_MESSAGE,
        )
        assert _status(upload) == UploadStatus.IMPORTING
        with pytest.raises(Conflict):  # one import of the file at a time
            mspdi_import.queue_import(actor=owner, upload=upload, params=PARAMS, resources={})
    _die(job)
    assert jobs.fail_stale() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert job.error == (
        "The background worker running this job stopped 3 times (no sign of life for over 2 "
        "minutes each time), so it is not queued again by itself. The worker's log may say why; "
        "start it again once the worker runs steadily."
    )
    assert _status(upload) == UploadStatus.READY  # "Start it again" can be done
    mspdi_import.queue_import(actor=owner, upload=upload, params=PARAMS, resources={})


def test_an_import_that_committed_before_its_worker_died_is_not_run_again(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    upload, job = _queued_import(org, owner, monkeypatch)
    _die(job)
    # The import's transaction committed (the upload is "imported" with the project), then the
    # worker died before it recorded the job's result.
    MspdiUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.IMPORTED)
    assert jobs.fail_stale() == 1
    job.refresh_from_db()
    assert (job.status, job.error, job.attempts) == (JobStatus.FAILED, STALE, 1)
    assert _status(upload) == UploadStatus.IMPORTED


def test_an_import_run_by_the_next_worker_after_a_death_creates_the_project_once(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    upload, job = _queued_import(org, owner, monkeypatch)
    _die(job)
    assert jobs.run_pending("host-b:2") == 1  # queued again by the stale check, then run
    job.refresh_from_db()
    upload.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == (JobStatus.SUCCEEDED, 2, "host-b:2")
    assert upload.status == UploadStatus.IMPORTED
    assert job.result == {"project_id": upload.project_id}


def test_a_preview_that_never_ran_does_not_stay_reading_for_ever(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(mspdi_import, "INLINE_BYTES", 100)
    upload = mspdi_import.upload_mspdi(actor=owner, organisation=org, file_name="l4.xml", data=PLAN)
    assert upload.status == UploadStatus.PREVIEWING
    job = services.enqueue_job(actor=owner, kind=mspdi_import.PREVIEW_JOB, subject=upload)
    services.cancel_job(actor=owner, job=job)
    upload.refresh_from_db()
    assert (upload.status, upload.error) == (
        UploadStatus.FAILED,
        "Reading this file stopped before the end (it was cancelled, or the background worker "
        "stopped). Nothing was created: upload the file again to import it.",
    )


def test_a_preview_whose_worker_died_is_read_again(org: Any, owner: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(mspdi_import, "INLINE_BYTES", 100)
    upload = mspdi_import.upload_mspdi(actor=owner, organisation=org, file_name="l4.xml", data=PLAN)
    job = services.enqueue_job(actor=owner, kind=mspdi_import.PREVIEW_JOB, subject=upload)
    _die(job)
    assert jobs.run_pending("host-b:2") == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    assert _status(upload) == UploadStatus.READY


def test_a_cancel_asked_of_a_job_whose_worker_died_cancels_it(
    owner: Any, plan: Any, kinds: list[str]
) -> None:
    job = services.enqueue_job(actor=owner, kind="tests.again", subject=plan)
    _die(job)
    services.cancel_job(actor=owner, job=job)  # flagged: a running job stops at its next report
    assert jobs.fail_stale() == 1
    job.refresh_from_db()
    assert (job.status, job.message) == (JobStatus.CANCELLED, "Cancelled")
    assert kinds == [f"tests.again #{job.pk}"]  # the hook ran once


def test_every_end_short_of_success_runs_the_hook_once(
    owner: Any, plan: Any, kinds: list[str]
) -> None:
    queued = services.enqueue_job(actor=owner, kind="tests.once", subject=plan)
    services.cancel_job(actor=owner, job=queued)
    services.cancel_job(actor=owner, job=queued)  # a second click changes nothing
    dead = services.enqueue_job(actor=owner, kind="tests.once", subject=plan)
    _die(dead)
    assert jobs.fail_stale() == 1
    assert jobs.fail_stale() == 0  # another worker's pass right after: already dealt with
    done = services.enqueue_job(actor=owner, kind="tests.once", subject=plan)
    jobs.run_pending("w")
    dead.refresh_from_db()
    assert (dead.status, dead.error) == (JobStatus.FAILED, STALE)
    assert Job.objects.get(pk=done.pk).status == JobStatus.SUCCEEDED
    assert kinds == [f"tests.once #{queued.pk}", f"tests.once #{dead.pk}"]


# ----- 2. a job safe to repeat is run again after its worker died


def test_a_reschedule_whose_worker_died_is_still_done(
    owner: Any,
    default: Any,  # noqa: F811
    project: Any,  # noqa: F811
    chain: list[Any],  # noqa: F811
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(calendar_services, "BACKGROUND_TASKS", 1)
    _holiday, outcome = calendar_services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=default.version,
        name="Strike",
        start=dt.date(2025, 3, 4),
    )
    job = outcome.job
    assert job is not None
    _die(job)  # worker A takes it and is killed mid-run
    jobs.run_pending("host-b:2")  # worker B's next pass (or A restarted)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (JobStatus.SUCCEEDED, 2, "")
    # The holiday is saved and the plan moved with it (it kept the old calendar's dates).
    assert _dates(chain[1]) == ("Fri 07 Mar 08:00", "Mon 10 Mar 17:00")


def test_the_stale_check_leaves_a_job_another_worker_took_again(
    owner: Any, plan: Any, kinds: list[str]
) -> None:
    job = services.enqueue_job(actor=owner, kind="tests.again", subject=plan)
    _die(job)
    before = timezone.now()
    assert jobs.fail_stale(before) == 1
    assert jobs.try_claim(job.pk, "host-b:2")  # taken again at once
    # A slow worker's pass that read the job as stale before: its conditional writes miss.
    assert (
        jobs._cut_off(
            job.pk,
            {"status": JobStatus.RUNNING, "heartbeat__lt": before - jobs.STALE_AFTER},
            error=STALE,
            dead=True,
            now=before,
        )
        is None
    )
    assert jobs.fail_stale(before) == 0
    job.refresh_from_db()
    assert (job.status, job.worker, job.attempts) == (JobStatus.RUNNING, "host-b:2", 2)


# ----- 3. a worker asked to stop


def test_a_stopping_worker_gives_back_a_repeatable_job_and_fails_another(
    owner: Any, plan: Any, kinds: list[str]
) -> None:
    again = services.enqueue_job(actor=owner, kind="tests.again", subject=plan)
    once = services.enqueue_job(actor=owner, kind="tests.once", subject=plan)
    shutdown = jobs.Shutdown()
    shutdown.request(job_seconds=0)  # SIGTERM, and the grace is over
    for job in (again, once):
        assert jobs.try_claim(job.pk, "w")
        jobs.run_job(Job.objects.get(pk=job.pk), "w", shutdown=shutdown)
    again.refresh_from_db()
    once.refresh_from_db()
    # A run given back at an orderly stop does not count as an attempt.
    assert (again.status, again.attempts, again.progress, again.message, again.result) == (
        JobStatus.QUEUED,
        0,
        0.0,
        jobs.REQUEUED_MESSAGE,
        None,
    )
    assert (once.status, once.error) == (
        JobStatus.FAILED,
        "The background worker was stopped (a restart or a shutdown) before this job finished. "
        "Start it again.",
    )
    assert kinds == [f"tests.once #{once.pk}"]
    assert jobs.run_pending("w", shutdown=shutdown) == 0  # no new work once stopping
    assert Job.objects.get(pk=again.pk).status == JobStatus.QUEUED


def test_a_job_that_ends_within_the_grace_period_succeeds(
    owner: Any, plan: Any, kinds: list[str]
) -> None:
    job = services.enqueue_job(actor=owner, kind="tests.once", subject=plan)
    shutdown = jobs.Shutdown()
    assert jobs.try_claim(job.pk, "w")
    shutdown.request(job_seconds=60)
    jobs.run_job(Job.objects.get(pk=job.pk), "w", shutdown=shutdown)
    job.refresh_from_db()
    assert (job.status, job.result) == (JobStatus.SUCCEEDED, {"counted": 5})


def test_giving_back_at_the_stop_frees_the_upload_of_an_import_that_cannot_be_repeated(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    upload, job = _queued_import(org, owner, monkeypatch)
    assert jobs.try_claim(job.pk, "w")
    assert jobs.give_back("w") == 1  # the hard stop: the handler did not stop in time
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)  # nothing committed
    assert _status(upload) == UploadStatus.IMPORTING
    assert jobs.try_claim(job.pk, "w")
    MspdiUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.IMPORTED)
    assert jobs.give_back("w") == 1
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, jobs.STOPPED_MESSAGE)
    assert jobs.give_back("w") == 0


def test_claimed_mail_and_deliveries_not_sent_are_queued_again_at_the_stop(org: Any) -> None:
    hook = WebhookEndpoint.objects.create(
        organisation=org, url="https://hooks.example/x", secret="s", secret_prefix="s"
    )
    now = timezone.now()
    mine = OutboxEmail.objects.create(
        to="a@example.com", subject="s", body_text="b", status=OutboxStatus.SENDING, worker="w"
    )
    theirs = OutboxEmail.objects.create(
        to="b@example.com", subject="s", body_text="b", status=OutboxStatus.SENDING, worker="v"
    )
    sent = OutboxEmail.objects.create(
        to="c@example.com", subject="s", body_text="b", status=OutboxStatus.SENT, worker="w"
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=hook,
        event_type="ping",
        body="{}",
        status=DeliveryStatus.SENDING,
        worker="w",
        claimed_at=now,
    )
    assert worker_command.release_claims("w") == (1, 1)
    assert [OutboxEmail.objects.get(pk=m.pk).status for m in (mine, theirs, sent)] == [
        OutboxStatus.QUEUED,
        OutboxStatus.SENDING,
        OutboxStatus.SENT,
    ]
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.QUEUED


def test_a_failing_pass_is_logged_and_the_worker_goes_on(db: None, monkeypatch: Any) -> None:
    shutdown = jobs.Shutdown()
    calls: list[str] = []

    def run_pending(name: str, *, shutdown: jobs.Shutdown) -> int:
        calls.append(name)
        if len(calls) == 1:
            raise RuntimeError("a bug in a step")  # the loop caught only OperationalError
        shutdown.request(job_seconds=0)
        return 0

    monkeypatch.setattr(worker_command, "run_pending", run_pending)
    monkeypatch.setattr(worker_command, "BACKOFF_S", (0.05,))
    # Between passes the loop drops connections the database may have closed; inside the test's
    # transaction Django counts that one as obsolete (autocommit off) and would close it, which
    # PostgreSQL's test database does not survive (SQLite's in-memory one ignores it).
    monkeypatch.setattr(worker_command, "close_old_connections", lambda: None)
    command = worker_command.Command(stdout=io.StringIO(), stderr=io.StringIO())
    started = time.monotonic()
    command._loop("w", shutdown, once=False, days=1, interval=86_400, poll=0.01)
    assert calls == ["w", "w"]
    assert time.monotonic() - started >= 0.05  # the back-off
    assert command.stderr._out.getvalue() == (  # type: ignore[attr-defined]
        "worker: a pass failed (RuntimeError: a bug in a step); trying again in 0.05 s\n"
    )
    calls.clear()
    with pytest.raises(RuntimeError):  # --once still says what went wrong
        command._loop("w", jobs.Shutdown(), once=True, days=1, interval=86_400, poll=0.01)


# ----- 3b. SIGTERM to a real `twofold worker` process

WORKER = """
import os, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
import django
django.setup()
from django.utils import timezone
from twofold.core import jobs
from twofold.notifications.models import OutboxEmail, OutboxStatus


def reporting(job, progress):  # reports every 0.05 s for 30 s
    for i in range(600):
        if not progress(i / 600, f"step {{i}}"):
            return {{"stopped_early": True}}
        time.sleep(0.05)
    return {{"done": True}}


def silent(job, progress):  # claims an e-mail as a batch would, then computes without a word
    OutboxEmail.objects.filter(pk=int(job.params["mail"])).update(
        status=OutboxStatus.SENDING, worker=jobs.worker_name(), claimed_at=timezone.now()
    )
    time.sleep(60)
    return {{"done": True}}


for name, run, again in (("tests.reporting", reporting, True), ("tests.silent", silent, False)):
    jobs.register(jobs.JobKind(name=name, label=name, run=run, page_url=lambda j: "/",
                               repeatable=again))
from twofold.operations.management.commands import worker
worker.warm_up = lambda *a, **k: None  # the levelling kernel: not needed here
worker.GRACE_S = 3.0
from django.core.management import call_command
call_command("worker", "--poll", "0.1", "--interval", "86400")
"""


class WorkerDb:
    """The database the worker process uses: the test database itself when other processes
    can reach it (PostgreSQL, an SQLite file), else a copy of the in-memory one in a file."""

    def __init__(self, tmp_path: Path) -> None:
        s = connection.settings_dict
        self.copy: Path | None = None
        if connection.vendor == "postgresql":
            password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
            self.url = f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
        elif str(s["NAME"]).startswith(("file:memorydb", ":memory:")):
            self.copy = tmp_path / "worker.sqlite3"
            target = sqlite3.connect(self.copy)
            connection.ensure_connection()
            connection.connection.backup(target)
            target.close()
            self.url = f"sqlite:///{self.copy}"
        else:
            self.url = f"sqlite:///{s['NAME']}"

    def row(self, table: str, pk: int, columns: str) -> tuple[Any, ...]:
        sql = f"SELECT {columns} FROM {table} WHERE id = %s"  # noqa: S608 (names of ours)
        if self.copy is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, [pk])
                return tuple(cursor.fetchone())
        with sqlite3.connect(self.copy, timeout=10) as db:
            return tuple(db.execute(sql.replace("%s", "?"), [pk]).fetchone())


def _run_worker_and_stop(tmp_path: Path, db: WorkerDb, started: Any) -> tuple[int, str, float]:
    """Start `twofold worker`, wait until ``started()``, SIGTERM it as `twofold serve` does;
    its exit status, its output, and the seconds from the signal to the exit."""
    script = tmp_path / "worker_under_test.py"
    script.write_text(WORKER.format(root=str(ROOT)))
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "TWOFOLD_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "tests-only-not-a-secret-0123456789-abcdefghijklmnop",
    }
    process = subprocess.Popen(
        [sys.executable, str(script)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90  # a busy 2-core machine starts Django slowly
        while not started():
            assert process.poll() is None, process.communicate()[0].decode()
            assert time.monotonic() < deadline, "the worker never took the job"
            time.sleep(0.1)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)  # `twofold serve` kills it after 10 s
        return process.returncode, output.decode(), time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.django_db(transaction=True)
def test_sigterm_gives_back_a_running_job_that_reports_and_exits_0(
    owner: Any, plan: Any, tmp_path: Path
) -> None:
    jobs.register(
        jobs.JobKind(name="tests.reporting", label="r", run=lambda j, p: {}, page_url=str)
    )
    try:
        job = services.enqueue_job(actor=owner, kind="tests.reporting", subject=plan)
    finally:
        jobs._KINDS.pop("tests.reporting", None)
    db = WorkerDb(tmp_path)
    table = Job._meta.db_table

    def started() -> bool:
        status, progress = db.row(table, job.pk, "status, progress")
        return bool(status == JobStatus.RUNNING and progress > 0)

    code, output, seconds = _run_worker_and_stop(tmp_path, db, started)
    assert code == 0, output
    # Left "running" until the stale check failed it two minutes later; now back in the queue
    # for the next worker, its attempt not counted.
    assert db.row(table, job.pk, "status, attempts, worker, message") == (
        JobStatus.QUEUED,
        0,
        "",
        jobs.REQUEUED_MESSAGE,
    ), output
    assert "worker: SIGTERM: stopping (no new work; a running job has 3 s to finish)" in output
    assert output.rstrip().endswith("worker: stopped"), output
    assert 0.5 < seconds < 3.0, output  # went on for the grace less the wind-down (1 s)


@pytest.mark.django_db(transaction=True)
def test_sigterm_during_a_silent_job_fails_it_releases_its_claims_and_exits_0(
    owner: Any, plan: Any, tmp_path: Path
) -> None:
    mail = OutboxEmail.objects.create(
        to="a@example.com",
        subject="s",
        body_text="b",
        next_attempt_at=timezone.now() + dt.timedelta(days=1),  # not the worker's to send yet
    )
    jobs.register(jobs.JobKind(name="tests.silent", label="s", run=lambda j, p: {}, page_url=str))
    try:
        job = services.enqueue_job(
            actor=owner, kind="tests.silent", subject=plan, params={"mail": mail.pk}
        )
    finally:
        jobs._KINDS.pop("tests.silent", None)
    db = WorkerDb(tmp_path)
    mails = OutboxEmail._meta.db_table

    def started() -> bool:
        return bool(db.row(mails, mail.pk, "status")[0] == OutboxStatus.SENDING)

    code, output, seconds = _run_worker_and_stop(tmp_path, db, started)
    assert code == 0, output
    assert db.row(Job._meta.db_table, job.pk, "status, error") == (
        JobStatus.FAILED,
        jobs.STOPPED_MESSAGE,
    ), output
    assert db.row(mails, mail.pk, "status")[0] == OutboxStatus.QUEUED, output
    assert (
        "worker: still busy after 3 s: 1 job(s) given back, 1 e-mail(s) and 0 webhook deliveries "
        "queued again; exiting"
    ) in output
    assert 2.5 < seconds < 6.0, output
