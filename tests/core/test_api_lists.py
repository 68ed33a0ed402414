"""Synced API lists (twofold.core.api_lists): updated_since, pages, ETags and 304s."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.projects import services as project_services
from twofold.projects.models import Project

pytestmark = pytest.mark.django_db


def _projects(owner: User, org: Organisation, names: list[str]) -> list[Project]:
    return [
        project_services.create_project(actor=owner, organisation=org, name=n, code=n[:3].upper())
        for n in names
    ]


def _names(response: Any) -> list[str]:
    return [p["name"] for p in response.json()]


def test_updated_since_keeps_what_changed_at_or_after_it(
    org: Organisation, owner: User, api: Any
) -> None:
    apollo, _borealis, cassini = _projects(owner, org, ["Apollo", "Borealis", "Cassini"])
    mark = timezone.now()
    project_services.update_project(
        actor=owner, project=cassini, expected_version=cassini.version, name="Cassini II"
    )
    client = api(owner)
    since = mark.isoformat().replace("+00:00", "Z")

    changed = client.get(f"/api/organisations/{org.pk}/projects?updated_since={since}")

    assert changed.status_code == 200
    assert _names(changed) == ["Cassini II"]
    assert changed["X-Total-Count"] == "1"
    everything = client.get(f"/api/organisations/{org.pk}/projects")
    assert _names(everything) == ["Apollo", "Borealis", "Cassini II"]
    later = (mark + dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert client.get(f"/api/organisations/{org.pk}/projects?updated_since={later}").json() == []
    assert apollo.pk


def test_a_naive_or_malformed_updated_since_is_a_422_naming_it(
    org: Organisation, owner: User, api: Any
) -> None:
    client = api(owner)
    for value in ("2026-12-02T06:30:00", "yesterday"):
        response = client.get(f"/api/organisations/{org.pk}/projects?updated_since={value}")
        assert response.status_code == 422
        assert response.json()["field"] == "updated_since"


def test_pages_and_total(org: Organisation, owner: User, api: Any) -> None:
    _projects(owner, org, ["Apollo", "Borealis", "Cassini", "Dawn", "Europa"])

    response = api(owner).get(f"/api/organisations/{org.pk}/projects?offset=1&limit=2")

    assert _names(response) == ["Borealis", "Cassini"]
    assert response["X-Total-Count"] == "5"


def test_etag_answers_304_until_something_changes(
    org: Organisation, owner: User, api: Any, client: Any, django_assert_num_queries: Any
) -> None:
    (apollo,) = _projects(owner, org, ["Apollo"])
    reader = api(owner)
    path = f"/api/organisations/{org.pk}/projects"
    first = reader.get(path)
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) == 34

    headers = {**reader.headers, "HTTP_IF_NONE_MATCH": etag}
    # the token, the organisation (as the user may see it), the fingerprint: no row is read
    with django_assert_num_queries(3):
        again = client.get(path, **headers)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    project_services.update_project(
        actor=owner, project=apollo, expected_version=apollo.version, name="Apollo 2"
    )
    changed = client.get(path, **headers)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert _names(changed) == ["Apollo 2"]
    # Another page of the same list is another ETag.
    assert reader.get(path + "?limit=1")["ETag"] != changed["ETag"]


def test_query_count_does_not_grow_with_the_list(
    org: Organisation, owner: User, api: Any, django_assert_max_num_queries: Any
) -> None:
    reader = api(owner)
    path = f"/api/organisations/{org.pk}/projects"
    _projects(owner, org, ["Apollo"])
    reader.get(path)
    _projects(owner, org, ["Borealis", "Cassini", "Dawn", "Europa", "Fermi"])
    with django_assert_max_num_queries(6):
        assert len(reader.get(path).json()) == 6


def test_synced_lists_declare_304_and_their_parameters() -> None:
    from twofold.api import api as ninja_api

    paths = ninja_api.get_openapi_schema(path_prefix="/api/")["paths"]
    synced = [
        "/api/organisations/{org_id}/projects",
        "/api/organisations/{org_id}/projects/{project_id}/tasks",
        "/api/organisations/{org_id}/projects/{project_id}/risks",
        "/api/organisations/{org_id}/kpis",
        "/api/kpis/{pk}/measurements",
        "/api/organisations/{org_id}/routines",
        "/api/routines/{pk}/occurrences",
        "/api/organisations/{org_id}/queues",
        "/api/queues/{pk}/requests",
        "/api/organisations/{org_id}/processes",
        "/api/organisations/{org_id}/improvement/items",
        "/api/organisations/{org_id}/improvement/handovers",
        "/api/organisations/{org_id}/comments/{kind}/{target_id}",
    ]
    for path in synced:
        operation = paths[path]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"updated_since", "offset", "limit"} <= names, path
        assert 304 in operation["responses"], path
