"""API for custom fields: definitions CRUD (admins), values per project/task (members)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_definitions_api(api, org, owner, editor, outsider):
    base = f"/api/organisations/{org.pk}/fields"
    r = api(owner).post(
        base, {"applies_to": "project", "name": "Site", "kind": "choice", "choices": ["Oslo"]}
    )
    assert r.status_code == 201
    body = r.json()
    assert (body["name"], body["choices"], body["version"]) == ("Site", ["Oslo"], 1)
    assert (
        api(editor).post(base, {"applies_to": "task", "name": "X", "kind": "text"}).status_code
        == 403
    )
    assert api(outsider).get(base).status_code == 404
    assert api(outsider).get(f"{base}/{body['id']}").status_code == 404
    r = api(owner).post(
        base, {"applies_to": "project", "name": "N", "kind": "number", "order": "1"}
    )
    assert r.status_code == 422 and r.json()["field"] == "order"
    r = api(owner).patch(f"{base}/{body['id']}", {"version": 1, "choices": ["Oslo", "Bergen"]})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = api(owner).patch(f"{base}/{body['id']}", {"version": 1, "name": "Plant"})
    assert r.status_code == 409
    assert [d["name"] for d in api(editor).get(base).json()] == ["Site"]
    assert api(editor).delete(f"{base}/{body['id']}").status_code == 403
    assert api(owner).delete(f"{base}/{body['id']}").status_code == 204


def test_values_api(api, org, owner, editor, guest, outsider, project):
    fields = f"/api/organisations/{org.pk}/fields"
    num = api(owner).post(fields, {"applies_to": "project", "name": "Budget", "kind": "number"})
    day = api(owner).post(fields, {"applies_to": "project", "name": "Audit", "kind": "date"})
    num_id, day_id = num.json()["id"], day.json()["id"]
    url = f"/api/organisations/{org.pk}/field-values/project/{project.pk}"
    r = api(editor).post(url, [{"definition_id": num_id, "value": "ten", "version": 0}])
    assert r.status_code == 422
    assert r.json() == {"detail": "Budget must be a number, e.g. 12.5.", "field": f"field_{num_id}"}
    r = api(editor).post(
        url,
        [
            {"definition_id": num_id, "value": 12.5, "version": 0},
            {"definition_id": day_id, "value": "2026-03-31", "version": 0},
        ],
    )
    assert r.status_code == 200
    assert r.json() == [
        {"definition_id": day_id, "name": "Audit", "kind": "date", "value": "2026-03-31",
         "version": 1},
        {"definition_id": num_id, "name": "Budget", "kind": "number", "value": 12.5, "version": 1},
    ]  # fmt: skip
    r = api(editor).post(url, [{"definition_id": num_id, "value": 13, "version": 0}])
    assert r.status_code == 409
    assert api(guest).get(url).status_code == 200
    r = api(guest).post(url, [{"definition_id": num_id, "value": 1, "version": 1}])
    assert r.status_code == 403
    assert api(outsider).get(url).status_code == 404
    assert api(outsider).post(url, []).status_code == 404
    assert api(editor).get(f"/api/organisations/{org.pk}/field-values/bogus/1").status_code == 422
