"""Check-then-write races: the loser of two concurrent creates with one code gets a 409 naming
the field, on the API and on pages, and nothing is half-saved."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from twofold.core.errors import clash_field
from twofold.projects import services
from twofold.projects.models import Project


@pytest.fixture
def lost_race(monkeypatch: pytest.MonkeyPatch, org: Any, owner: Any) -> None:
    """The other create committed between our check and our write: the check saw nothing."""
    services.create_project(actor=owner, organisation=org, name="Press line", code="PL")
    original = services._check_project_values

    def check_before_the_other_commit(organisation: Any, values: Any, project: Any) -> None:
        Project.objects.filter(code="PL").update(code="PL-hidden")
        try:
            original(organisation, values, project)
        finally:
            Project.objects.filter(code="PL-hidden").update(code="PL")

    monkeypatch.setattr(services, "_check_project_values", check_before_the_other_commit)


MESSAGE = (
    "Someone else saved something with the same code at the same moment. "
    "Reload to see it, then choose another."
)


def test_the_api_answers_409_naming_the_field(
    api: Any, org: Any, owner: Any, lost_race: None
) -> None:
    r = api(owner).post(
        f"/api/organisations/{org.pk}/projects",
        {"name": "Second", "code": "PL", "target_start": "2026-12-07"},
    )
    assert r.status_code == 409
    assert r.json() == {"detail": MESSAGE, "field": "code"}
    assert list(Project.objects.values_list("name", flat=True)) == ["Press line"]


def test_a_page_answers_409_with_the_explanation(
    signed_in: Any, owner: Any, lost_race: None
) -> None:
    r = signed_in(owner).post(
        "/projects/new/", {"name": "Second", "code": "PL", "target_start": "2026-12-07"}
    )
    assert r.status_code == 409
    assert MESSAGE in r.content.decode()
    assert Project.objects.count() == 1


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (
            "UNIQUE constraint failed: projects_project.organisation_id, projects_project.code",
            "code",
        ),
        (
            'duplicate key value violates unique constraint "project_unique_code"\n'
            "DETAIL:  Key (organisation_id, code)=(1, PL) already exists.",
            "code",
        ),
        ('duplicate key value violates unique constraint "membership_unique_user"', "user"),
        ("something else", None),
    ],
)
def test_the_field_is_read_from_either_database_s_message(message: str, field: str | None) -> None:
    assert clash_field(message) == field


@pytest.mark.django_db(transaction=True)
def test_two_creates_with_one_code_at_once_never_answer_500(
    org: Any, owner: Any, api_token: Any
) -> None:
    """Real threads, a real race: one 201; the other a 409 (lost at the constraint) or a 422 (its
    check already saw the winner), never a 500 and never two projects."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip(
            "threads cannot share the in-memory SQLite test database; .ci/run runs this on an "
            "SQLite file (TWOFOLD_SQLITE_TEST_FILE) and on PostgreSQL"
        )
    token = api_token(owner)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def create(n: int) -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            r = client.post(
                f"/api/organisations/{org.pk}/projects",
                data=json.dumps(
                    {"name": f"Race {n}", "code": "RACE", "target_start": "2026-12-07"}
                ),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            statuses.append(r.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses)[0] == 201 and statuses.count(201) == 1
    assert set(statuses) <= {201, 409, 422} and len(statuses) == 4
    assert Project.objects.filter(code="RACE").count() == 1
