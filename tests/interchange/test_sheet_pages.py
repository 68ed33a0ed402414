"""Spreadsheet import pages and API, and the history export (page and API)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests.interchange.test_sheet_import import GOOD_CSV
from twofold.accounts.models import Role
from twofold.interchange.models import SheetUpload
from twofold.projects import services as projects
from twofold.projects.models import Project, Task

pytestmark = pytest.mark.django_db

BAD_CSV = b"Name,Duration,Predecessors\nA,5d,2\nB,1w,1\nC,3x,\n"


@pytest.fixture
def plan(org: Any, owner: Any) -> Project:
    return projects.create_project(actor=owner, organisation=org, name="Line 4", code="L4")


def test_page_flow_errors_then_fixed_file(
    org: Any, owner: Any, member: Any, plan: Project, signed_in: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    member(org, Role.MEMBER, email="ana@example.org")
    person = member(org, Role.MEMBER)
    client = signed_in(person)
    new = reverse("interchange:sheet_new")
    page = client.get(f"{new}?project={plan.pk}")
    assert page.status_code == 200 and b"A new project" not in page.content  # members: append only
    sent = client.post(new, {"file": SimpleUploadedFile("bad.csv", BAD_CSV), "target": plan.pk})
    upload = SheetUpload.objects.get(owner=person)
    assert sent.status_code == 302 and sent["Location"] == reverse(
        "interchange:sheet", args=[upload.pk]
    )
    url = sent["Location"]
    with django_assert_max_num_queries(12):
        shown = client.get(url)
    body = shown.content.decode()
    assert "2 problems" in body
    assert "The predecessors form a cycle: row 2 “A” → row 3 “B” → row 2 “A”." in body
    assert "“3x” is not a duration" in body
    posted = client.post(
        url, {"col_name": "0", "col_duration": "1", "col_predecessors": "2", "action": "import"}
    )
    assert posted.status_code == 422 and "2 problems" in posted.content.decode()
    assert Task.objects.filter(project=plan).count() == 0
    sent = client.post(new, {"file": SimpleUploadedFile("good.csv", GOOD_CSV), "target": plan.pk})
    url = sent["Location"]
    assert "Import 5 tasks" in client.get(url).content.decode()
    mapping = {
        f"col_{k}": "" if v is None else str(v)
        for k, v in SheetUpload.objects.get(file_name="good.csv").mapping.items()
    }
    done = client.post(url, {**mapping, "action": "import"})
    assert done.status_code == 302 and done["Location"] == reverse("projects:tasks", args=[plan.pk])
    assert Task.objects.filter(project=plan).count() == 5
    assert "Import tasks from a spreadsheet" in client.get(done["Location"]).content.decode()


def test_page_refusals(org: Any, owner: Any, member: Any, plan: Project, signed_in: Any) -> None:
    client = signed_in(owner)
    new = reverse("interchange:sheet_new")
    bad = client.post(new, {"file": SimpleUploadedFile("x.pdf", b"%PDF\x00\x00"), "target": "new"})
    assert bad.status_code == 422 and "not a spreadsheet" in bad.content.decode()
    guest = signed_in(member(org, Role.GUEST))
    page = guest.get(new)
    assert "Your role lets you read projects" in page.content.decode()
    upload = SheetUpload.objects.count()
    assert (
        guest.post(
            new, {"file": SimpleUploadedFile("a.csv", GOOD_CSV), "target": plan.pk}
        ).status_code
        == 400
    )
    assert SheetUpload.objects.count() == upload


def test_api_upload_check_apply(
    org: Any, owner: Any, member: Any, client: Any, api: Any, api_token: Any, plan: Project
) -> None:
    member(org, Role.MEMBER, email="ana@example.org")
    base = f"/api/organisations/{org.pk}/sheet-imports"
    token = api_token(owner)
    sent = client.post(
        base, {"file": SimpleUploadedFile("bad.csv", BAD_CSV), "project_id": plan.pk},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["columns"] == ["Name", "Duration", "Predecessors"] and body["project_id"] == plan.pk
    assert body["check"]["error_count"] == 2 and body["check"]["errors"][0]["row"] == 2
    refused = api(owner).post(f"{base}/{body['id']}/apply", {})
    assert refused.status_code == 422
    fields = [e["field"] for e in refused.json()["errors"]]
    assert fields == ["row 2, Predecessors", "row 4, Duration"]
    checked = api(owner).post(f"{base}/{body['id']}/check", {"mapping": {"name": 0}})
    assert checked.status_code == 200 and checked.json()["check"]["ok"] is True
    assert (
        api(owner).post(f"{base}/{body['id']}/check", {"mapping": {"name": 9}}).json()["field"]
        == "mapping.name"
    )
    applied = api(owner).post(f"{base}/{body['id']}/apply", {})
    assert applied.status_code == 201 and applied.json() == {"project_id": plan.pk, "created": 3}
    assert api(member(org, Role.ADMIN)).get(f"{base}/{body['id']}").status_code == 404


def test_history_export_page_and_api(
    org: Any, owner: Any, plan: Project, signed_in: Any, api: Any, make_org: Any
) -> None:
    task, _ = projects.create_task(actor=owner, project=plan, name='=HYPERLINK("x")')
    projects.update_task(
        actor=owner, task=task, duration_minutes=960, expected_version=task.version
    )
    other = projects.create_project(actor=owner, organisation=org, name="Other", code="OT")
    response = signed_in(owner).get(
        reverse("interchange:export", args=["history", "csv"]) + f"?project={plan.pk}"
    )
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0] == ["When", "Person", "E-mail", "Kind", "Object", "Action", "Summary", "Changes"]
    assert [(r[3], r[4], r[5]) for r in rows[1:]] == [
        ("task", "'=HYPERLINK(\"x\")", "updated"), ("task", "'=HYPERLINK(\"x\")", "created"),
        ("project", "L4 Line 4", "created"),
    ]  # fmt: skip
    assert rows[1][7] == "Duration minutes: 480 → 960"
    assert "OT Other" not in response.content.decode()
    whole = api(owner).get(f"/api/organisations/{org.pk}/history/export?format=xlsx")
    assert whole.status_code == 200
    sheet = load_workbook(io.BytesIO(whole.content)).active
    objects = [r[4] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert str(other) in objects and objects.count('=HYPERLINK("x")') == 2
    assert sheet.cell(2, 1).is_date
    activity = signed_in(owner).get(reverse("activity:project", args=[plan.pk]))
    assert f"/exports/history.xlsx?project={plan.pk}" in activity.content.decode()


def test_large_file_is_imported_by_the_worker_with_progress(
    org: Any, owner: Any, member: Any, plan: Project, signed_in: Any, settings: Any
) -> None:
    from twofold.core import jobs
    from twofold.core.models import Job, JobStatus
    from twofold.interchange import sheet_import

    settings.TWOFOLD_SHEET_INLINE_ROWS = 3  # the file has 5 rows
    member(org, Role.MEMBER, email="ana@example.org")
    client = signed_in(owner)
    sent = client.post(
        reverse("interchange:sheet_new"),
        {"file": SimpleUploadedFile("good.csv", GOOD_CSV), "target": plan.pk},
    )
    url = sent["Location"]
    page = client.get(url).content.decode()
    assert "a background worker imports it" in page and "Import 5 tasks" in page
    upload = SheetUpload.objects.get()
    mapping = {f"col_{k}": "" if v is None else str(v) for k, v in upload.mapping.items()}
    queued = client.post(url, {**mapping, "action": "import"})
    job = Job.objects.get(kind=sheet_import.IMPORT_JOB)
    assert queued.status_code == 302 and queued["Location"] == f"{url}?job={job.pk}"
    assert job.subject_id == upload.pk and job.params["mapping"] == upload.mapping
    assert Task.objects.filter(project=plan).count() == 0  # nothing before the worker runs
    panel = client.get(queued["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'id="job-panel"' in panel and "Importing the tasks" in panel
    waiting = client.get(queued["Location"]).content.decode()
    assert 'id="job-panel"' in waiting and "Import 5 tasks" not in waiting  # no second import
    again = client.post(url, {**mapping, "action": "import"})
    assert again.status_code == 422 and "being imported already" in again.content.decode()
    assert jobs.run_pending(limit=1) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result == {"project_id": plan.pk, "created": 5}
    assert Task.objects.filter(project=plan).count() == 5
    assert client.get(queued["Location"], HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    done = client.get(queued["Location"]).content.decode()
    assert "imported</span> 5 tasks" in done


def test_cancelled_sheet_job_creates_nothing_and_a_bad_file_fails_it(
    org: Any, owner: Any, plan: Project, settings: Any
) -> None:
    from twofold.core import jobs
    from twofold.core.models import Job, JobStatus
    from twofold.interchange import sheet_import

    settings.TWOFOLD_SHEET_INLINE_ROWS = 1
    upload = sheet_import.upload_sheet(
        actor=owner, organisation=org, file_name="good.csv", data=GOOD_CSV, project=plan
    )
    mapping = {**upload.mapping, "assignee": None}
    job = sheet_import.queue_import(actor=owner, upload=upload, mapping=mapping)
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    jobs.run_pending(limit=1)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert Task.objects.filter(project=plan).count() == 0
    upload.refresh_from_db()
    assert upload.applied_at is None and upload.created_count == 0
    # A cancel after the tasks were written rolls them back: the project keeps none of them.
    steps: list[str] = []

    def stop_at_links(fraction: float, message: str = "") -> bool:
        steps.append(message)
        return fraction < 0.5

    stopped = sheet_import.import_upload(
        actor=owner, upload=upload, mapping=mapping, progress=stop_at_links
    )
    assert stopped is None and steps == ["Checking the rows", "Creating tasks", "Linking tasks"]
    assert Task.objects.filter(project=plan).count() == 0
    upload.refresh_from_db()
    assert upload.applied_at is None
    # ana@example.org is not a member: the job fails naming the row, and writes nothing.
    failed = sheet_import.queue_import(actor=owner, upload=upload, mapping=upload.mapping)
    jobs.run_pending(limit=1)
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED
    assert failed.error == (
        "Nothing was imported: row 3, Assignee e-mail: ana@example.org is not a member of this "
        "organisation."
    )
    assert Task.objects.filter(project=plan).count() == 0


def test_api_queues_a_large_file(
    org: Any, owner: Any, api: Any, plan: Project, settings: Any
) -> None:
    from twofold.core import jobs
    from twofold.core.models import Job, JobStatus

    settings.TWOFOLD_SHEET_INLINE_ROWS = 2
    from twofold.interchange import sheet_import

    upload = sheet_import.upload_sheet(
        actor=owner, organisation=org, file_name="good.csv", data=GOOD_CSV, project=plan
    )
    base = f"/api/organisations/{org.pk}/sheet-imports/{upload.pk}/apply"
    sent = api(owner).post(base, {"mapping": {**upload.mapping, "assignee": None}})
    assert sent.status_code == 202, sent.content
    job = Job.objects.get()
    assert sent.json()["job"]["id"] == job.pk and job.status == JobStatus.QUEUED
    assert api(owner).post(base, {}).status_code == 422  # already queued
    jobs.run_pending(limit=1)
    job.refresh_from_db()
    assert job.result == {"project_id": plan.pk, "created": 5}
    assert Task.objects.filter(project=plan).count() == 5


def test_applying_to_a_project_trashed_after_the_upload_answers_404_and_creates_nothing(
    org: Any, owner: Any, client: Any, api: Any, api_token: Any, plan: Project
) -> None:
    from twofold.core import trash

    base = f"/api/organisations/{org.pk}/sheet-imports"
    sent = client.post(
        base,
        {
            "file": SimpleUploadedFile("plan.csv", b"Name,Duration\nGhost,1d\n"),
            "project_id": plan.pk,
        },
        HTTP_AUTHORIZATION=f"Bearer {api_token(owner)}",
    )
    assert sent.status_code == 201, sent.content
    trash.move_to_trash(actor=owner, obj=plan)

    applied = api(owner).post(f"{base}/{sent.json()['id']}/apply", {})

    assert applied.status_code == 404
    assert applied.json()["detail"] == "Project not found."
    assert not Task.all_objects.filter(name="Ghost").exists()
    assert SheetUpload.objects.get(pk=sent.json()["id"]).applied_at is None
