"""The gates API: the gates page's actions with its rules."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.accounts.models import Organisation, Role, User
from twofold.projects import services
from twofold.projects.models import Gate, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org: Organisation, owner: User) -> Project:
    return services.create_project(actor=owner, organisation=org, name="Apollo", code="APO")


def _base(org: Organisation, project: Project) -> str:
    return f"/api/organisations/{org.pk}/projects/{project.pk}/gates"


def test_tick_the_checklist_and_sign_off(
    org: Organisation, owner: User, member: Any, project: Project, api: Any
) -> None:
    worker = api(member(org, Role.MEMBER))
    gates = worker.get(_base(org, project)).json()
    first = gates[0]
    assert [g["phase"] for g in gates] == ["initiation", "planning", "execution"]
    assert first["is_current"] and first["next_phase"] == "planning"
    assert [i["text"] for i in first["items"]] == [
        "Charter approved by the sponsor",
        "Stakeholders identified",
    ]

    for item in first["items"]:
        ticked = worker._call("put", f"{_base(org, project)}/items/{item['id']}", {"done": True})
        assert ticked.status_code == 200
    assert all(i["done"] for i in ticked.json()["items"])
    refused = worker.post(f"{_base(org, project)}/{first['id']}/sign-off", {"version": 1})
    assert refused.status_code == 403

    signed = api(owner).post(
        f"{_base(org, project)}/{first['id']}/sign-off", {"version": first["version"]}
    )

    assert signed.status_code == 200
    assert signed.json()["passed_at"] is not None
    project.refresh_from_db()
    assert project.phase == "planning"


def test_open_checklist_stale_version_and_strangers(
    org: Organisation, owner: User, outsider: User, project: Project, api: Any
) -> None:
    gate = Gate.objects.get(project=project, phase="initiation")
    url = f"{_base(org, project)}/{gate.pk}/sign-off"

    open_items = api(owner).post(url, {"version": gate.version})
    assert (open_items.status_code, open_items.json()["field"]) == (422, "gate")
    gate.items.update(done=True)
    assert api(owner).post(url, {"version": gate.version + 5}).status_code == 409
    assert api(owner).post(url, {}).status_code == 428
    assert (
        api(owner)._call("put", f"{_base(org, project)}/items/1", {"done": "yes"}).json()["field"]
        == "done"
    )
    assert api(outsider).get(_base(org, project)).status_code == 404
    gate.refresh_from_db()
    assert gate.passed_at is None
