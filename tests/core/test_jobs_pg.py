"""Jobs that report from inside a transaction of their own, on PostgreSQL (row locks)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from twofold.core import jobs
from twofold.projects import services as project_services


@pytest.mark.django_db(transaction=True)
def test_an_import_shows_its_progress_and_takes_a_cancel_while_it_runs(
    org: Any, owner: Any, settings: Any, monkeypatch: Any
) -> None:
    """The spreadsheet import saves all together in one transaction and reported its progress
    inside it: the page read 5 % while it was at 50 %, and the Cancel button waited on the job's
    row until the whole import committed (a review measured it)."""
    from tests.interchange.test_sheet_import import GOOD_CSV
    from twofold.core import services as core_services
    from twofold.core.models import Job, JobStatus
    from twofold.interchange import sheet_import

    if connection.vendor != "postgresql":
        pytest.skip("row locks and ids seen at commit: PostgreSQL")
    plan = project_services.create_project(actor=owner, organisation=org, name="L4", code="L4")
    settings.TWOFOLD_SHEET_INLINE_ROWS = 1
    upload = sheet_import.upload_sheet(
        actor=owner, organisation=org, file_name="good.csv", data=GOOD_CSV, project=plan
    )
    job = sheet_import.queue_import(
        actor=owner, upload=upload, mapping={**upload.mapping, "assignee": None}
    )
    monkeypatch.setattr(jobs, "REPORT_EVERY_S", 0.0)
    inside, release = threading.Event(), threading.Event()
    real_links = sheet_import._create_links

    def slow_links(*args: Any, **kwargs: Any) -> Any:  # a long step of a large import
        inside.set()
        release.wait(30)
        return real_links(*args, **kwargs)

    monkeypatch.setattr(sheet_import, "_create_links", slow_links)

    def work() -> None:
        try:
            jobs.run_pending("w1", limit=1)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert inside.wait(30)
        job.refresh_from_db()
        seen = job.progress
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        core_services.cancel_job(actor=owner, job=job)  # the page's Cancel button
    finally:
        release.set()
        worker.join(60)
    assert seen >= 0.5
    job = Job.objects.get(pk=job.pk)
    assert job.cancel_requested and job.status in (JobStatus.CANCELLED, JobStatus.SUCCEEDED)
