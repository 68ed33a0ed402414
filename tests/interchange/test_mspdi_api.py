"""The Microsoft Project API: upload (multipart) → preview → apply → export, same rules as pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.interchange.test_mspdi_import import PLAN
from twofold.accounts.models import Role
from twofold.interop.mspdi import read_mspdi
from twofold.projects.models import Project, Task

pytestmark = pytest.mark.django_db


def _post_file(client: Any, token: str, path: str, data: bytes) -> Any:
    return client.post(
        path,
        {"file": SimpleUploadedFile("line4.xml", data, content_type="text/xml")},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_api_round_trip(
    org: Any, owner: Any, member: Any, client: Any, api: Any, api_token: Any
) -> None:
    ana = member(org, Role.MEMBER, full_name="Ana Weld")
    token = api_token(owner)
    base = f"/api/organisations/{org.pk}/mspdi-imports"
    created = _post_file(client, token, base, PLAN)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "ready" and body["preview"]["counts"]["tasks"] == 4
    assert body["preview"]["resources"][0]["member"] == ana.pk
    assert api(owner).get(f"{base}/{body['id']}").json()["id"] == body["id"]
    applied = api(owner).post(
        f"{base}/{body['id']}/apply", {"mode": "new", "code": "API", "resources": {"1": ana.pk}}
    )
    assert applied.status_code == 201, applied.content
    project = Project.objects.get(pk=applied.json()["project_id"])
    assert Task.objects.get(project=project, name="Dig").assignee == ana
    exported = api(owner).get(f"/api/organisations/{org.pk}/projects/{project.pk}/mspdi")
    assert exported.status_code == 200 and exported["Content-Type"] == "application/xml"
    assert len(read_mspdi(exported.content).plan.tasks) == 4
    again = api(owner).post(f"{base}/{body['id']}/apply", {"mode": "new"})
    assert again.status_code == 422


def test_api_refusals(
    org: Any, owner: Any, member: Any, client: Any, api: Any, api_token: Any
) -> None:
    base = f"/api/organisations/{org.pk}/mspdi-imports"
    bad = _post_file(client, api_token(owner), base, b"<!DOCTYPE x [<!ENTITY e 'e'>]><x>&e;</x>")
    assert bad.status_code == 422
    assert "DTD or entities" in bad.content.decode()
    person = member(org, Role.MEMBER)
    assert _post_file(client, api_token(person), base, PLAN).status_code == 403
    upload = _post_file(client, api_token(owner), base, PLAN).json()
    assert api(person).get(f"{base}/{upload['id']}").status_code == 404
    odd = api(owner).post(f"{base}/{upload['id']}/apply", {"mode": "new", "resources": {"x": 1}})
    assert odd.status_code == 422
    assert Project.objects.count() == 0
