"""Attachments through the API: the page's rules (limits, safe download, who deletes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from twofold.attachments.models import Attachment
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def task(project: Any, owner: Any) -> Any:
    t, _ = project_services.create_task(actor=owner, project=project, name="Weld jig")
    return t


def _upload(client: Any, token: str, org: Any, task: Any, name: str, body: bytes) -> Any:
    return client.post(
        f"/api/organisations/{org.pk}/attachments/task/{task.pk}",
        {"file": SimpleUploadedFile(name, body)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_upload_list_download_delete(
    client: Any, org: Any, task: Any, editor: Any, owner: Any, api_token: Any, api: Any
) -> None:
    token = api_token(editor)
    created = _upload(client, token, org, task, "jig.pdf", b"%PDF-1.4 jig")

    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["size"], body["target_kind"]) == ("jig.pdf", 12, "task")
    listed = api(editor).get(f"/api/organisations/{org.pk}/attachments/task/{task.pk}")
    assert [a["name"] for a in listed.json()] == ["jig.pdf"]
    assert listed["X-Total-Count"] == "1"
    got = api(editor).get(f"/api/organisations/{org.pk}/attachment-files/{body['id']}")
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == b"%PDF-1.4 jig"
    assert got["Content-Disposition"].startswith('attachment; filename="jig.pdf"')
    assert got["X-Content-Type-Options"] == "nosniff"

    assert (
        api(owner).delete(f"/api/organisations/{org.pk}/attachments/{body['id']}").status_code
        == 204
    )
    assert not Attachment.objects.exists()


def test_refusals_save_nothing(
    client: Any, org: Any, task: Any, editor: Any, guest: Any, outsider: Any, api_token: Any
) -> None:
    big = _upload(client, api_token(editor), org, task, "big.pdf", b"x" * (10 * 1024 * 1024 + 1))
    assert (big.status_code, big.json()["field"]) == (413, "file")
    exe = _upload(client, api_token(editor), org, task, "run.exe", b"MZ")
    assert (exe.status_code, exe.json()["field"]) == (422, "file")
    assert _upload(client, api_token(guest), org, task, "a.pdf", b"%PDF").status_code == 403
    assert _upload(client, api_token(outsider), org, task, "a.pdf", b"%PDF").status_code == 404
    assert not Attachment.objects.exists()
