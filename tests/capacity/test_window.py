"""Days the capacity views cannot start on answer a clear 4xx naming the field (they answered
500: their weeks ran outside the calendars' 1980-2149 range)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_days_outside_the_calendars_are_refused_on_pages_and_api(
    client: Any, api: Any, org: Any, owner: Any
) -> None:
    client.force_login(owner)
    for start in ("1900-01-01", "2200-12-31", "2149-12-01"):
        page = client.get(f"/capacity/?start={start}")
        assert page.status_code in (200, 400), start
        assert b"Choose a date between" in page.content
    assert client.get(f"/capacity/cell/?person={owner.pk}&week=1950-01-02").status_code == 404
    base = f"/api/organisations/{org.pk}"
    for url, field in (
        (f"{base}/capacity/usage?start=1980-01-01", "start"),
        (f"{base}/capacity/usage?start=2149-12-01", "start"),
        (f"{base}/capacity/cell?person_id={owner.pk}&week=2149-12-31", "week"),
        (f"{base}/capacity/cell?person_id={owner.pk}&week=1980-01-01", "week"),
        (f"{base}/people/{owner.pk}/availability?start=2149-12-01", "start"),
    ):
        refused = api(owner).get(url)
        assert (refused.status_code, refused.json()["field"]) == (422, field), url
    assert api(owner).get(f"{base}/capacity/usage?start=2026-03-02").status_code == 200
