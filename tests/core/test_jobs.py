"""Background jobs: exclusive claiming, progress and cancel, stale workers, who sees what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from twofold.accounts.models import Role
from twofold.core import jobs, selectors, services
from twofold.core.errors import Forbidden, Invalid, NotFound
from twofold.core.models import Job, JobStatus
from twofold.projects import services as project_services

KIND = "tests.count"


@pytest.fixture
def project(org: Any, owner: Any) -> Any:
    return project_services.create_project(
        actor=owner, organisation=org, name="Line 3", code="L3", target_start=dt.date(2025, 3, 3)
    )


@pytest.fixture
def counting() -> Iterator[list[bool]]:
    """A registered kind that counts to 5, reporting each step; yields the answers it got."""
    answers: list[bool] = []

    def run(job: Job, progress: jobs.Progress) -> dict[str, Any]:
        done = 0
        for step in range(1, 6):
            keep = progress(step / 5, f"{step} of 5")
            answers.append(keep)
            done = step
            if not keep:
                break
        if job.params.get("explode"):
            raise RuntimeError("boom")
        if job.params.get("refuse"):
            raise Invalid("Refused for a reason people can read.")
        return {"counted": done, "stopped_early": done < 5}

    jobs.register(
        jobs.JobKind(name=KIND, label="Count", run=run, page_url=lambda job: f"/x/{job.pk}")
    )
    yield answers
    jobs._KINDS.pop(KIND, None)


@pytest.fixture
def enqueue(owner: Any, project: Any, counting: list[bool]) -> Callable[..., Job]:
    def build(actor: Any = None, **params: Any) -> Job:
        return services.enqueue_job(actor=actor or owner, kind=KIND, subject=project, params=params)

    return build


@pytest.fixture(autouse=True)
def _report_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "REPORT_EVERY_S", 0.0)


# ----- the runner


def test_claiming_is_exclusive_between_two_workers(enqueue: Callable[..., Job]) -> None:
    job = enqueue()
    # Both workers saw the job queued; only one conditional UPDATE matches.
    assert [jobs.try_claim(job.pk, "a"), jobs.try_claim(job.pk, "b")] == [True, False]
    job.refresh_from_db()
    assert (job.status, job.worker) == (JobStatus.RUNNING, "a")
    assert jobs.claim_next("b") is None


def test_each_queued_job_is_claimed_once_oldest_first(enqueue: Callable[..., Job]) -> None:
    first, second = enqueue(), enqueue()
    claimed = [jobs.claim_next("a"), jobs.claim_next("b"), jobs.claim_next("a")]
    assert [j.pk if j else None for j in claimed] == [first.pk, second.pk, None]


def test_a_job_runs_to_its_result_with_progress(
    enqueue: Callable[..., Job], counting: list[bool]
) -> None:
    job = enqueue()
    assert jobs.run_pending("w1") == 1
    job.refresh_from_db()
    assert (job.status, job.progress) == (JobStatus.SUCCEEDED, 1.0)
    assert job.result == {"counted": 5, "stopped_early": False}
    assert counting == [True] * 5
    assert job.started_at and job.finished_at and job.heartbeat


def test_cancel_of_a_running_job_stops_it_at_the_next_report(
    enqueue: Callable[..., Job], owner: Any, counting: list[bool]
) -> None:
    job = enqueue()
    claimed = jobs.claim_next("w1")
    assert claimed is not None
    services.cancel_job(actor=owner, job=claimed)
    jobs.run_job(claimed, "w1")
    job.refresh_from_db()
    assert counting == [False]
    assert (job.status, job.message, job.progress) == (JobStatus.CANCELLED, "Cancelled", 0.2)
    assert job.result == {"counted": 1, "stopped_early": True}


def test_cancel_of_a_queued_job_means_it_never_runs(
    enqueue: Callable[..., Job], owner: Any, counting: list[bool]
) -> None:
    job = services.cancel_job(actor=owner, job=enqueue())
    assert job.status == JobStatus.CANCELLED
    assert jobs.run_pending("w1") == 0
    assert counting == []


@pytest.mark.parametrize("uptime_s", [5.0, 86_400.0])
def test_progress_is_written_at_most_every_interval(
    enqueue: Callable[..., Job], monkeypatch: pytest.MonkeyPatch, uptime_s: float
) -> None:
    # time.monotonic() counts from boot: a machine up for 5 s must write the first report too.
    monkeypatch.setattr(jobs.time, "monotonic", lambda: uptime_s)
    job = enqueue()
    reporter = jobs.Reporter(job, every=3600)
    assert reporter(0.1, "first") is True
    assert reporter(0.9, "skipped") is True
    job.refresh_from_db()
    assert (job.progress, job.message) == (0.1, "first")


def test_a_locked_database_skips_a_progress_write_but_not_the_job(
    enqueue: Callable[..., Job], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen in CI: SQLite's shared cache answered "database table is locked: core_job" while a
    # page polled the job; the computation must go on and the next report write again.
    from django.db import OperationalError
    from django.db.models import QuerySet

    job = enqueue()
    reporter = jobs.Reporter(job, every=0.0)
    real_update = QuerySet.update
    calls = {"n": 0}

    def flaky(self: Any, **values: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("database table is locked: core_job")
        return real_update(self, **values)

    monkeypatch.setattr(QuerySet, "update", flaky)
    assert reporter(0.2, "locked") is True
    job.refresh_from_db()
    assert (job.progress, job.message) == (0.0, "")
    assert reporter(0.4, "written") is True
    job.refresh_from_db()
    assert (job.progress, job.message) == (0.4, "written")


def test_errors_fail_the_job_with_a_message(enqueue: Callable[..., Job]) -> None:
    refused, exploded = enqueue(refuse=True), enqueue(explode=True)
    jobs.run_pending("w1")
    refused.refresh_from_db()
    exploded.refresh_from_db()
    assert (refused.status, refused.error) == (
        JobStatus.FAILED,
        "Refused for a reason people can read.",
    )
    assert exploded.status == JobStatus.FAILED
    assert exploded.error == "The job failed unexpectedly (RuntimeError); the error is logged."


def test_a_stale_heartbeat_fails_the_job_on_the_next_pass(enqueue: Callable[..., Job]) -> None:
    job = enqueue()
    assert jobs.try_claim(job.pk, "dead-worker")
    Job.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - dt.timedelta(minutes=5))
    fresh = enqueue()
    assert jobs.try_claim(fresh.pk, "live-worker")
    jobs.run_pending("w2")
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "worker running this job stopped" in job.error
    assert fresh.status == JobStatus.RUNNING  # its worker is alive


def test_an_unknown_kind_fails_instead_of_crashing_the_worker(
    enqueue: Callable[..., Job],
) -> None:
    job = enqueue()
    Job.objects.filter(pk=job.pk).update(kind="gone.away")
    jobs.run_pending("w1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "gone.away" in job.error


def test_the_worker_command_runs_pending_jobs_once(enqueue: Callable[..., Job]) -> None:
    job = enqueue()
    call_command("worker", "--once")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED


def test_one_person_may_have_only_a_few_jobs_going(enqueue: Callable[..., Job]) -> None:
    for _ in range(services.MAX_ACTIVE_PER_USER):
        enqueue()
    with pytest.raises(Invalid, match="background runs going"):
        enqueue()


# ----- permissions


def test_who_may_see_and_cancel_a_job(
    enqueue: Callable[..., Job], org: Any, owner: Any, member: Any, outsider: Any
) -> None:
    colleague = member(org, Role.MEMBER)
    admin = member(org, Role.ADMIN)
    job = enqueue()
    assert selectors.get_job(colleague, org, job.pk) == job
    with pytest.raises(NotFound):
        selectors.get_job(outsider, org, job.pk)
    with pytest.raises(NotFound):
        services.cancel_job(actor=outsider, job=job)
    with pytest.raises(Forbidden):
        services.cancel_job(actor=colleague, job=job)
    job.refresh_from_db()
    assert (job.status, job.cancel_requested) == (JobStatus.QUEUED, False)
    assert services.cancel_job(actor=admin, job=job).status == JobStatus.CANCELLED


def test_a_guest_cannot_start_a_job(
    org: Any, member: Any, project: Any, counting: list[bool]
) -> None:
    guest = member(org, Role.GUEST)
    with pytest.raises(Forbidden):
        services.enqueue_job(actor=guest, kind=KIND, subject=project)
    assert not Job.objects.exists()


def test_job_pages_and_api(
    client: Any,
    api: Any,
    enqueue: Callable[..., Job],
    org: Any,
    owner: Any,
    member: Any,
    outsider: Any,
) -> None:
    job = enqueue()
    colleague = member(org, Role.MEMBER)
    url = f"/api/organisations/{org.pk}/jobs/{job.pk}"
    body = api(colleague).get(url).json()
    assert (body["status"], body["kind"], body["url"]) == ("queued", KIND, url)
    assert api(outsider).get(url).status_code == 404
    assert api(outsider).post(f"{url}/cancel").status_code == 404
    assert api(colleague).post(f"{url}/cancel").status_code == 403
    client.force_login(outsider)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    client.force_login(colleague)
    assert client.get(f"/jobs/{job.pk}/").url == f"/x/{job.pk}"
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    answer = api(owner).post(f"{url}/cancel")
    assert (answer.status_code, answer.json()["status"]) == (200, "cancelled")
    assert api(owner).get(f"/api/organisations/{org.pk}/jobs/999999").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_quiet_handler_keeps_its_heartbeat_and_is_not_failed_as_stale(
    owner: Any, project: Any, monkeypatch: pytest.MonkeyPatch, threads_share_db: None
) -> None:
    """Only progress reports moved the heartbeat: a handler quiet for longer than STALE_AFTER
    was failed by another worker's pass while it still ran (and could be started again)."""
    import time

    monkeypatch.setattr(jobs, "HEARTBEAT_EVERY_S", 0.05)
    monkeypatch.setattr(jobs, "STALE_AFTER", dt.timedelta(seconds=0.5))
    failed_meanwhile: list[int] = []

    def quiet(job: Job, progress: jobs.Progress) -> dict[str, Any]:
        time.sleep(1.2)  # no progress report for over twice STALE_AFTER
        failed_meanwhile.append(jobs.fail_stale())  # another worker's pass
        return {"done": True}

    jobs.register(jobs.JobKind(name="quiet", label="Quiet", run=quiet, page_url=lambda j: "/"))
    try:
        job = services.enqueue_job(actor=owner, kind="quiet", subject=project, params={})
        assert jobs.run_pending("w1") == 1
    finally:
        jobs._KINDS.pop("quiet", None)
    job.refresh_from_db()
    assert failed_meanwhile == [0]
    assert (job.status, job.result) == (JobStatus.SUCCEEDED, {"done": True})


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_do_not_pass_the_limit_of_runs_per_person(
    owner: Any,
    project: Any,
    counting: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    threads_share_db: None,
) -> None:
    """Each request counted the runs going before the other's was saved, and both were queued
    past the limit (a review found it). The person's row is now locked while counting."""
    import contextlib
    import threading

    from django.db import connection

    monkeypatch.setattr(services, "MAX_ACTIVE_PER_USER", 1)
    counted = threading.Barrier(2)
    real_create = Job.objects.create

    def create_after_both_counted(**values: Any) -> Job:
        # Without the lock both have counted 0 by now; with it the other waits for our lock
        # (the barrier breaks) and counts after our commit.
        with contextlib.suppress(threading.BrokenBarrierError):
            counted.wait(timeout=1.5)
        return real_create(**values)

    monkeypatch.setattr(Job.objects, "create", create_after_both_counted)
    outcomes: list[str] = []

    def enqueue() -> None:
        try:
            services.enqueue_job(actor=owner, kind=KIND, subject=project, params={})
            outcomes.append("queued")
        except Invalid:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=enqueue) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["queued", "refused"]
    assert Job.objects.filter(owner=owner).count() == 1
