"""Versioned writes over the API: no version → 428 naming it; stale → 409 with the current state."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.operations.api import MeasurementsErrorOut
from twofold.operations.models import Routine

pytestmark = pytest.mark.django_db


def test_a_routine_edit_without_a_version_answers_428_and_changes_nothing(api, owner, routine):
    response = api(owner).patch(f"/api/routines/{routine.pk}", {"name": "Renamed"})
    assert response.status_code == 428
    assert response.json()["field"] == "version"
    assert Routine.objects.get(pk=routine.pk).name == "Start-of-shift checks"


def test_a_stale_routine_edit_answers_409_with_what_is_there_now(api, owner, routine):
    client = api(owner)
    first = client.patch(f"/api/routines/{routine.pk}", {"version": routine.version, "name": "A"})
    assert first.status_code == 200
    stale = client.patch(f"/api/routines/{routine.pk}", {"version": routine.version, "name": "B"})
    assert stale.status_code == 409
    body: dict[str, Any] = stale.json()
    assert body["current"] == client.get(f"/api/routines/{routine.pk}").json()
    assert (body["current"]["name"], body["current"]["version"]) == ("A", routine.version + 1)
    assert body["current"]["due_time"] == "23:59:00"


def test_a_stale_request_status_change_hands_back_the_request(api, owner, queue):
    client = api(owner)
    created = client.post(f"/api/queues/{queue.pk}/requests", {"title": "Printer jams"})
    assert created.status_code == 201, created.json()
    request = created.json()
    stale = client.post(
        f"/api/requests/{request['id']}/status",
        {"version": request["version"] + 3, "status": "in_progress"},
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["id"] == request["id"]
    assert stale.json()["current"]["version"] == request["version"]


def test_a_delete_without_its_version_answers_428(api, owner, routine):
    response = api(owner).delete(f"/api/operations/routines/{routine.pk}")
    assert response.status_code == 428 and response.json()["field"] == "version"
    assert Routine.objects.filter(pk=routine.pk).exists()


def test_a_request_body_that_is_not_an_object_is_refused(api, owner, queue):
    client = api(owner)
    for body in (["title"], '"Printer jams"', 7):  # JSON: an array, a string, a number
        response = client.post(f"/api/queues/{queue.pk}/requests", body)
        assert response.status_code == 422, body
    assert queue.requests.count() == 0


def test_a_malformed_measurements_body_matches_its_documented_error(api, owner, kpi):
    response = api(owner).post(f"/api/kpis/{kpi.pk}/measurements", {})
    assert response.status_code == 422
    error = MeasurementsErrorOut.model_validate(response.json())
    assert error.errors[0].row is None and error.errors[0].field == "measurements"
