"""The Microsoft Project pages: upload → preview → import, export download, who may."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.interchange.test_mspdi_import import PLAN
from twofold.accounts.models import Role
from twofold.interchange.models import MspdiUpload
from twofold.interop.mspdi import read_mspdi
from twofold.projects.models import Project, Task

pytestmark = pytest.mark.django_db


def test_upload_preview_and_import_through_the_pages(
    org: Any, owner: Any, member: Any, signed_in: Any, django_assert_max_num_queries: Any
) -> None:
    ana = member(org, Role.MEMBER, full_name="Ana Weld")
    client = signed_in(owner)
    response = client.post(
        reverse("interchange:mspdi"),
        {"file": SimpleUploadedFile("line4.xml", PLAN, content_type="text/xml")},
    )
    upload = MspdiUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("interchange:mspdi_upload", args=[upload.pk])
    with django_assert_max_num_queries(12):
        page = client.get(response["Location"])
    text = page.content.decode()
    assert "4</strong> tasks" in text and "Every task gets the dates" in text
    assert 'data-uid="3"' in text
    response = client.post(
        response["Location"],
        {
            "mode": "new",
            "name": "Line four",
            "code": "L4",
            "resource_1": str(ana.pk),
            "resource_2": "",
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302 and project.name == "Line four"
    assert Task.objects.get(project=project, name="Dig").assignee == ana
    again = client.post(reverse("interchange:mspdi_upload", args=[upload.pk]), {"mode": "new"})
    assert again.status_code == 400 and Project.objects.count() == 1


def test_bad_file_shows_error_and_creates_nothing(org: Any, owner: Any, signed_in: Any) -> None:
    client = signed_in(owner)
    response = client.post(
        reverse("interchange:mspdi"),
        {"file": SimpleUploadedFile("x.xml", b"<nope", content_type="text/xml")},
    )
    assert response.status_code == 422
    assert "not a Microsoft Project XML file" in response.content.decode()
    assert MspdiUpload.objects.count() == 0


def test_too_large_is_refused_from_the_header(org: Any, owner: Any, signed_in: Any) -> None:
    client = signed_in(owner)
    response = client.post(
        reverse("interchange:mspdi"),
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200 * 2**20),
    )
    assert response.status_code == 413
    # The instance's request limit (TWOFOLD_MAX_REQUEST_MB, 20 MB) answers before the view.
    assert "too large" in response.content.decode()
    assert MspdiUpload.objects.count() == 0


def test_uploads_are_their_owners_and_export_downloads(
    org: Any, owner: Any, member: Any, signed_in: Any
) -> None:
    admin = member(org, Role.ADMIN)
    signed_in(owner).post(
        reverse("interchange:mspdi"),
        {"file": SimpleUploadedFile("line4.xml", PLAN, content_type="text/xml")},
    )
    upload = MspdiUpload.objects.get()
    client = signed_in(admin)
    assert client.get(reverse("interchange:mspdi_upload", args=[upload.pk])).status_code == 404
    signed_in(owner).post(reverse("interchange:mspdi_upload", args=[upload.pk]), {"mode": "new"})
    project = Project.objects.get()
    viewer = member(org, Role.GUEST)
    response = signed_in(viewer).get(reverse("interchange:project_mspdi", args=[project.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = read_mspdi(b"".join(response))
    assert [t.name for t in document.plan.tasks] == ["Build", "Dig", "Pour", "Done"]


def test_large_file_is_previewed_and_imported_by_the_worker(
    org: Any, owner: Any, signed_in: Any, monkeypatch: Any
) -> None:
    from twofold.core import jobs
    from twofold.core.models import Job, JobStatus
    from twofold.interchange import mspdi_import

    monkeypatch.setattr(mspdi_import, "INLINE_BYTES", 100)
    client = signed_in(owner)
    response = client.post(
        reverse("interchange:mspdi"),
        {"file": SimpleUploadedFile("line4.xml", PLAN, content_type="text/xml")},
    )
    upload = MspdiUpload.objects.get()
    assert upload.status == "previewing" and upload.preview is None
    assert response["Location"].endswith(f"?job={Job.objects.get().pk}")
    panel = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert "job-panel" in panel.content.decode()
    assert jobs.run_pending(limit=1) == 1
    upload.refresh_from_db()
    assert upload.status == "ready" and upload.preview["counts"]["tasks"] == 4
    response = client.post(
        reverse("interchange:mspdi_upload", args=[upload.pk]), {"mode": "new", "code": "BIG"}
    )
    job = Job.objects.filter(kind=mspdi_import.IMPORT_JOB).get()
    assert response["Location"].endswith(f"?job={job.pk}")
    assert Project.objects.count() == 0
    jobs.run_pending(limit=1)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert Project.objects.get().code == "BIG" and job.result == {
        "project_id": Project.objects.get().pk
    }


def test_cancelled_import_job_creates_nothing(
    org: Any, owner: Any, signed_in: Any, monkeypatch: Any
) -> None:
    from twofold.core import jobs
    from twofold.core.models import Job, JobStatus
    from twofold.interchange import mspdi_import

    signed_in(owner).post(
        reverse("interchange:mspdi"),
        {"file": SimpleUploadedFile("line4.xml", PLAN, content_type="text/xml")},
    )
    upload = MspdiUpload.objects.get()
    monkeypatch.setattr(mspdi_import, "INLINE_BYTES", 100)
    signed_in(owner).post(reverse("interchange:mspdi_upload", args=[upload.pk]), {"mode": "new"})
    Job.objects.update(cancel_requested=True)
    jobs.run_pending(limit=1)
    job = Job.objects.get()
    assert job.status == JobStatus.CANCELLED
    assert Project.objects.count() == 0 and Task.objects.count() == 0
    upload.refresh_from_db()
    assert upload.status == "ready"
