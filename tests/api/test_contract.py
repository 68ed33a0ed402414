"""Promises the OpenAPI document and every route keep (twofold.core.api_contract).

The schemathesis sweep (test_sweep.py) finds breaks by generating requests; these tests pin
each promise, and each failed on the code before it was fixed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from ninja import NinjaAPI, Router, Schema
from pydantic import ValidationError

from twofold.api import api
from twofold.core.api_contract import _is_versioned, schema_name_clashes, state_path

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return dict(api.get_openapi_schema(path_prefix="/api/"))


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ms in openapi["paths"].items() for m, op in ms.items()]


def _body(openapi: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_no_two_schemas_share_a_name() -> None:
    assert schema_name_clashes(api) == {}


def test_a_shared_schema_name_is_caught() -> None:
    def router_with(model: type[Schema]) -> Router:
        router = Router()

        def view(request: Any, payload: Any) -> None:
            return None

        # This module's annotations are strings; the route needs the class itself.
        view.__annotations__ = {"request": Any, "payload": model, "return": None}
        router.post(f"/{model.__module__}")(view)
        return router

    first = type(
        "MoveIn", (Schema,), {"__annotations__": {"status": str}, "__module__": "twofold.a"}
    )
    second = type(
        "MoveIn", (Schema,), {"__annotations__": {"start": str}, "__module__": "twofold.b"}
    )
    probe = NinjaAPI(urls_namespace="clash-probe")
    probe.add_router("", router_with(first))
    probe.add_router("", router_with(second))
    assert schema_name_clashes(probe) == {"MoveIn": {"twofold.a.MoveIn", "twofold.b.MoveIn"}}


def test_board_move_and_levelling_apply_document_their_own_bodies(openapi: dict) -> None:
    paths = openapi["paths"]
    move = paths["/api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/move"]["post"]
    assert set(_body(openapi, move)["properties"]) == {"version", "status", "before_id", "after_id"}
    apply = paths["/api/organisations/{org_id}/projects/{project_id}/level/apply"]["post"]
    item = _body(openapi, apply)["properties"]["moves"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert set(openapi["components"]["schemas"][item]["properties"]) == {"task_id", "start"}
    change = openapi["components"]["schemas"]["TaskChangeOut"]["properties"]["rescheduled"]
    ref = change["anyOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert set(openapi["components"]["schemas"][ref]["properties"]) == {"moved", "summary"}


def test_every_operation_with_parameters_declares_422(openapi: dict) -> None:
    missing = [
        f"{method} {path}"
        for method, path, op in _operations(openapi)
        if any(p["in"] in ("path", "query") for p in op.get("parameters", ()))
        and "422" not in {str(code) for code in op["responses"]}
    ]
    assert missing == []


def test_a_malformed_path_id_answers_a_documented_422(api: Any, org: Any, owner: Any) -> None:
    client = api(owner)
    for path, field in [
        ("/api/kpis/null,null", "pk"),
        (f"/api/organisations/{org.pk}/teams/abc", "team_id"),
        ("/api/organisations/1.5", "org_id"),
    ]:
        response = client.get(path)
        assert response.status_code == 422, path
        assert response.json()["field"] == field


def test_every_versioned_write_declares_409_with_current_state_and_428(openapi: dict) -> None:
    versioned = [(m, p, op) for m, p, op in _operations(openapi) if _is_versioned(openapi, op)]
    assert len(versioned) >= 30
    for method, path, op in versioned:
        codes = {str(code): answer for code, answer in op["responses"].items()}
        assert codes["428"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ErrorOut"
        ), f"{method} {path}"
        assert codes["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ConflictOut"
        ), f"{method} {path}"
    assert "current" in openapi["components"]["schemas"]["ConflictOut"]["properties"]


def test_the_busiest_versioned_writes_can_hand_back_current_state(openapi: dict) -> None:
    paths = openapi["paths"]
    tasks = "/api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}"
    assert state_path(tasks, paths) == tasks
    assert state_path(f"{tasks}/move", paths) == tasks
    assert state_path("/api/requests/{pk}/status", paths) == "/api/requests/{pk}"
    assert state_path("/api/routines/{pk}", paths) == "/api/routines/{pk}"


def test_json_object_bodies_refuse_arrays_strings_and_numbers() -> None:
    accepted = []
    api.urls  # noqa: B018 - builds the routers' operations
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ != "body":
                        continue
                    for name, field in model.model_fields.items():
                        if str(field.annotation).startswith("list["):
                            continue  # a list body (custom field values) is meant to be one
                        for wrong in ([], [1], "x", 3, None):
                            try:
                                model.model_validate({name: wrong})
                            except ValidationError:
                                continue
                            accepted.append((path, repr(wrong)))
    assert accepted == []


def test_due_time_matches_its_documented_pattern(openapi: dict) -> None:
    documented = openapi["components"]["schemas"]["RoutineOut"]["properties"]["due_time"]
    assert "format" not in documented
    from twofold.operations.api import RoutineOut

    fields = {
        "id": 1,
        "archived": False,
        "schedule_text": "",
        "process_id": 1,
        "name": "R",
        "description": "",
        "rrule": "FREQ=DAILY",
        "starts_on": "2026-01-05",
        "shift": "none",
        "calendar_id": None,
        "assignee_id": None,
        "effort_minutes": 30,
        "active": True,
        "critical": False,
        "version": 1,
    }
    sent = RoutineOut.model_validate({**fields, "due_time": "16:00"}).model_dump(mode="json")
    assert sent["due_time"] == "16:00:00"
    assert re.fullmatch(documented["pattern"], sent["due_time"])


def test_query_dates_are_strict_days_in_the_calendars_range(api: Any, org: Any, owner: Any) -> None:
    base = f"/api/organisations/{org.pk}"
    client = api(owner)
    for path in (
        f"{base}/capacity/usage",
        f"{base}/people/{owner.pk}/availability",
        f"{base}/people/{owner.pk}/availability/absences",
    ):
        for start in ("0", "1970-01-01", "9999-12-31"):
            response = client.get(f"{path}?start={start}")
            assert response.status_code == 422, (path, start)
            assert response.json()["field"] == "start"
        assert client.get(f"{path}?start=2026-03-02").status_code == 200, path


def test_the_openapi_document_has_no_duplicate_keys() -> None:
    # An int and a str status key (200 and "200") serialise to the same JSON key: Swagger UI's
    # YAML parser then refuses the whole document and /api/docs shows nothing.
    schema = api.get_openapi_schema(path_prefix="/api/")
    clashes = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            keys = [str(k) for k in node]
            clashes.extend(f"{where}/{k}" for k in set(keys) if keys.count(k) > 1)
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(dict(schema), "")
    assert clashes == []
