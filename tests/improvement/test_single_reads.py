"""GET of one handover and of one process change: the object as the lists show it, 404 outside."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.improvement import services
from twofold.improvement.models import ProcessChange

pytestmark = pytest.mark.django_db


def test_one_handover_reads_as_the_list_shows_it(
    api: Any,
    org: Any,
    owner: Any,
    outsider: Any,
    project: Any,
    process: Any,
    manager: Any,
    django_assert_num_queries: Any,
) -> None:
    handover = services.propose_handover(
        actor=manager, project=project, process=process, deliverables=["Training done"]
    )
    client = api(owner)
    path = f"/api/organisations/{org.pk}/improvement/handovers/{handover.pk}"
    client.get(path)  # warm: the token's last-used stamp is written once
    with django_assert_num_queries(3):  # token, memberships with organisations, handover
        r = client.get(path)
    assert r.status_code == 200
    listed = client.get(f"/api/organisations/{org.pk}/improvement/handovers").json()
    assert r.json() == listed[0]
    assert r.json()["status"] == "proposed" and r.json()["version"] == 1
    assert r.json()["deliverables"] == [{"text": "Training done", "done": False}]
    assert api(outsider).get(path).status_code == 404
    other = f"/api/organisations/{outsider.memberships.get().organisation_id}"
    assert api(outsider).get(f"{other}/improvement/handovers/{handover.pk}").status_code == 404


def test_one_process_change_reads_as_the_list_shows_it(
    api: Any, owner: Any, outsider: Any, project: Any, process: Any
) -> None:
    client = api(owner)
    made = client.post(
        f"/api/projects/{project.pk}/process-changes", {"process_id": process.pk, "note": "Pilot"}
    )
    assert made.status_code == 201
    link = ProcessChange.objects.get()
    r = client.get(f"/api/process-changes/{link.pk}")
    assert r.status_code == 200 and r.json() == made.json()
    assert r.json() == {
        "id": link.pk,
        "project_id": project.pk,
        "process_id": process.pk,
        "process_name": process.name,
        "go_live": None,
        "note": "Pilot",
        "version": 1,
    }
    assert api(outsider).get(f"/api/process-changes/{link.pk}").status_code == 404
    # A stale write's 409 now carries the process change as it is (its GET exists).
    stale = client._call(
        "put", f"/api/process-changes/{link.pk}/go-live", {"version": 7, "go_live": None}
    )
    assert stale.status_code == 409 and stale.json()["current"] == r.json()
