"""The capacity API: usage, level preview and apply; permissions and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.capacity.conftest import MONDAY, add_task
from twofold.projects import services as project_services
from twofold.projects.models import Constraint, Priority


@pytest.fixture
def clash(owner: Any, priya: Any, project: Any) -> tuple[Any, Any]:
    first = add_task(owner, project, "Risk assessment", 3, assignee=priya, priority=Priority.HIGH)
    second = add_task(owner, project, "Site acceptance test", 3, assignee=priya)
    return first, second


def test_usage_for_a_range(
    api: Any, org: Any, owner: Any, priya: Any, project: Any, routine: Any
) -> None:
    add_task(owner, project, "Cell layout", 5, effort_minutes=40 * 60, assignee=priya)
    answer = api(owner).get(f"/api/organisations/{org.pk}/capacity/usage?start=2025-03-05&weeks=2")
    assert answer.status_code == 200
    body = answer.json()
    assert body["weeks"] == ["2025-03-03", "2025-03-10"]
    row = next(p for p in body["people"] if p["id"] == priya.pk)
    assert row == {
        "id": priya.pk,
        "name": "Priya Raman",
        "capacity": 40.0,
        "available": [40.0, 40.0],
        "hours": [42.0, 2.0],
        "project": [40.0, 0.0],
        "operations": [2.0, 2.0],
        "forecast": [0.0, 0.0],
        "away": [[], []],
    }


def test_usage_bad_input_names_the_field(api: Any, org: Any, owner: Any) -> None:
    base = f"/api/organisations/{org.pk}/capacity/usage"
    assert api(owner).get(f"{base}?weeks=99").status_code == 422
    answer = api(owner).get(f"{base}?team_id=999999")
    assert answer.status_code == 422 and answer.json()["field"] == "team_id"


def test_preview_and_apply(
    api: Any, org: Any, owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    _first, second = clash
    base = f"/api/organisations/{org.pk}/projects/{project.pk}/level"
    preview = api(owner).post(f"{base}/preview", {"method": "heuristic"})
    assert preview.status_code == 200
    body = preview.json()
    assert [(m["task_id"], m["start_after"], m["delay_days"]) for m in body["moves"]] == [
        (second.pk, "2025-03-06", 3)
    ]
    assert (
        body["moves"][0]["reason"]
        == "Waits for Priya Raman, busy on 'Risk assessment' until Wed 5 Mar"
    )
    moves = [{"task_id": m["task_id"], "start": m["start_after"]} for m in body["moves"]]
    applied = api(owner).post(f"{base}/apply", {"version": body["version"], "moves": moves})
    assert applied.status_code == 200 and applied.json()["moved"] == 1
    second.refresh_from_db()
    assert second.constraint_type == Constraint.ASAP
    assert second.levelling_delay_minutes == 3 * 480
    assert second.start is not None and second.start.date() == dt.date(2025, 3, 6)
    stale = api(owner).post(f"{base}/apply", {"version": body["version"], "moves": moves})
    assert stale.status_code == 409


def test_apply_stale_after_an_edit_is_409(
    api: Any, org: Any, owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    first, second = clash
    base = f"/api/organisations/{org.pk}/projects/{project.pk}/level"
    body = api(owner).post(f"{base}/preview", {}).json()
    project_services.update_task(
        actor=owner, task=first, expected_version=first.version, name="Risk review"
    )
    moves = [{"task_id": second.pk, "start": "2025-03-06"}]
    answer = api(owner).post(f"{base}/apply", {"version": body["version"], "moves": moves})
    assert answer.status_code == 409


def test_apply_input_is_strict(
    api: Any, org: Any, owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    base = f"/api/organisations/{org.pk}/projects/{project.pk}/level"
    bad = api(owner).post(f"{base}/apply", {"version": "v", "moves": [{"task_id": "1"}]})
    assert bad.status_code == 422
    empty = api(owner).post(f"{base}/apply", {"version": "v", "moves": []})
    assert empty.status_code == 422
    assert api(owner).post(f"{base}/preview", {"seconds": 0}).status_code == 422


def test_permissions(
    api: Any,
    org: Any,
    guest: Any,
    outsider: Any,
    project: Any,
    clash: tuple[Any, Any],
) -> None:
    base = f"/api/organisations/{org.pk}/projects/{project.pk}/level"
    moves = [{"task_id": clash[1].pk, "start": "2025-03-06"}]
    assert api(outsider).post(f"{base}/preview", {}).status_code == 404
    assert api(outsider).post(f"{base}/apply", {"version": "v", "moves": moves}).status_code == 404
    usage = f"/api/organisations/{org.pk}/capacity/usage"
    assert api(outsider).get(usage).status_code == 404
    assert api(guest).get(usage).status_code == 200
    assert api(guest).post(f"{base}/preview", {}).status_code == 403
    assert api(guest).post(f"{base}/apply", {"version": "v", "moves": moves}).status_code == 403
    assert MONDAY.weekday() == 0
