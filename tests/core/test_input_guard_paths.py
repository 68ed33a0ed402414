"""Numbers in the path beyond 64 bits cannot be ids: 404, never a database overflow (500)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_a_path_id_beyond_64_bits_is_not_found(api: Any, org: Any, owner: Any, client: Any) -> None:
    huge = "3466822247724871581696"
    r = api(owner).post(
        f"/api/organisations/{org.pk}/people/{huge}/availability/absences",
        {"kind": "holiday", "start": "2026-12-07", "end": "2026-12-08"},
    )
    assert r.status_code == 404 and r.json()["detail"] == "Not found."
    client.force_login(owner)
    assert client.get(f"/projects/{huge}/").status_code == 404


def test_a_capacity_cell_query_id_beyond_64_bits_is_a_422(api: Any, org: Any, owner: Any) -> None:
    r = api(owner).get(
        f"/api/organisations/{org.pk}/capacity/cell?person_id=13452696372952270530570099909197824"
        "&week=2026-10-23"
    )
    assert r.status_code == 422 and "person_id" in str(r.json())


def test_every_search_kind_is_in_the_api_schema(api: Any, org: Any, owner: Any) -> None:
    from twofold.search.api import KindName
    from twofold.search.models import Kind

    assert set(KindName.__args__) == set(Kind.values)  # type: ignore[attr-defined]
