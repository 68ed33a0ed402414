"""Spend on a process through the API: the process page's spend form, same rules."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.operations.models import SpendEntry

pytestmark = pytest.mark.django_db


def test_record_and_list_spend(process: Any, owner: Any, api: Any) -> None:
    client = api(owner)
    url = f"/api/processes/{process.pk}/spend"

    made = client.post(url, {"spent_on": "2026-03-04", "amount": 1250.5, "description": "Gauges"})

    assert made.status_code == 201
    assert made.json()["amount"] == "1250.50"
    listed = client.get(f"{url}?year=2026").json()
    assert [(s["spent_on"], s["description"]) for s in listed] == [("2026-03-04", "Gauges")]
    assert client.get(f"{url}?year=2025").json() == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"spent_on": "2026-03-04", "amount": 0, "description": "Nothing"}, "amount"),
        ({"spent_on": "2026-03-04", "amount": "12", "description": "Text"}, "amount"),
        ({"spent_on": "04/03/2026", "amount": 12, "description": "Date"}, "spent_on"),
        ({"spent_on": "2026-03-04", "amount": 12, "description": "  "}, "description"),
    ],
)
def test_bad_input_names_the_field(
    process: Any, owner: Any, api: Any, payload: dict[str, Any], field: str
) -> None:
    response = api(owner).post(f"/api/processes/{process.pk}/spend", payload)

    assert (response.status_code, response.json()["field"]) == (422, field)
    assert not SpendEntry.objects.exists()


def test_strangers_do_not_see_the_process(process: Any, outsider: Any, api: Any) -> None:
    body = {"spent_on": "2026-03-04", "amount": 5, "description": "x"}
    assert api(outsider).post(f"/api/processes/{process.pk}/spend", body).status_code == 404
    assert not SpendEntry.objects.exists()
