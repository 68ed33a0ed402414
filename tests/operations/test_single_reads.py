"""GET of one occurrence: its facts and version, 404 outside the organisation."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.operations.models import Occurrence

pytestmark = pytest.mark.django_db


def test_one_occurrence_reads_as_the_list_shows_it(
    api: Any, owner: Any, outsider: Any, routine: Any
) -> None:
    occ = Occurrence.objects.filter(routine=routine).order_by("due", "pk").first()
    assert occ is not None
    client = api(owner)
    r = client.get(f"/api/occurrences/{occ.pk}")
    assert r.status_code == 200
    listed = client.get(f"/api/routines/{routine.pk}/occurrences?limit=1").json()
    assert r.json() == listed[0]
    assert (r.json()["id"], r.json()["routine_id"], r.json()["status"], r.json()["version"]) == (
        occ.pk,
        routine.pk,
        occ.status,
        occ.version,
    )
    assert api(outsider).get(f"/api/occurrences/{occ.pk}").status_code == 404
    # A stale completion's 409 carries the occurrence as it is now.
    steps = list(routine.steps.all())
    evidence = [
        {"step_id": steps[0].pk, "number": 7},
        {"step_id": steps[1].pk, "passed": True},
        {"step_id": steps[2].pk, "note": "ok"},
    ]
    stale = client.post(
        f"/api/occurrences/{occ.pk}/complete", {"version": occ.version + 5, "evidence": evidence}
    )
    assert stale.status_code == 409 and stale.json()["current"] == r.json()
