"""Spend on a process through the API: the process page's spend form, same rules."""

from __future__ import annotations

from decimal import Decimal
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


def test_years_and_dates_outside_the_calendars_are_refused(
    process: Any, owner: Any, kpi: Any, api: Any
) -> None:
    """``?year=99999`` answered 500; spend, measurements and baselines took 0001-01-01 and
    9999-12-31, which every page and the rest of the API refuse."""
    client = api(owner)
    url = f"/api/processes/{process.pk}/spend"
    for year in ("99999", "10000", "-5", "0"):
        refused = client.get(f"{url}?year={year}")
        assert (refused.status_code, refused.json()["field"]) == (422, "year"), year
    for day in ("0001-01-01", "9999-12-31"):
        spend = client.post(url, {"spent_on": day, "amount": 12, "description": "Gauges"})
        assert (spend.status_code, spend.json()["field"]) == (422, "spent_on")
        assert "between 1 Jan 1980 and 31 Dec 2149" in spend.json()["detail"]
        measured = client.post(
            f"/api/kpis/{kpi.pk}/measurements",
            {"measurements": [{"measured_on": day, "value": 2.0}], "confirm": True},
        )
        assert measured.status_code == 422, measured.json()
        assert "between 1 Jan 1980 and 31 Dec 2149" in str(measured.json())
    assert SpendEntry.objects.count() == 0
    fine = client.post(
        f"/api/kpis/{kpi.pk}/measurements",
        {"measurements": [{"measured_on": "2025-01-06", "value": 2.0}], "confirm": True},
    )
    assert fine.status_code == 201, fine.json()  # the same body with a date in range


def test_spend_is_money_only_admins_owners_and_the_process_owner_see_or_record(
    client: Any, process: Any, org: Any, owner: Any, member: Any, api: Any
) -> None:
    """``GET …/spend`` answered 200 with every amount to guests and members (while the process's
    ``annual_budget`` read null and the page hid the panel), and a member's POST answered 201.
    Now the process money rule applies: 403 without amounts, nothing written."""
    from twofold.accounts.models import Role
    from twofold.operations import services

    url = f"/api/processes/{process.pk}/spend"
    body = {"spent_on": "2026-03-04", "amount": 1250.5, "description": "Gauges"}
    assert api(owner).post(url, body).status_code == 201
    someone, guest = member(org, Role.MEMBER), member(org, Role.GUEST)
    for user in (someone, guest):
        read = api(user).get(f"{url}?year=2026")
        assert read.status_code == 403, user
        assert "1250" not in read.content.decode() and "Gauges" not in read.content.decode()
    assert api(someone).post(url, {**body, "amount": 99.0}).status_code == 403
    client.force_login(someone)  # the page's spend form: the same rule
    page = f"/operations/processes/{process.pk}/"
    assert 'id="spend-title"' not in client.get(page).content.decode()
    posted = client.post(page, {"spend": "1", **body, "amount": "99"})
    assert posted.status_code == 403
    assert list(SpendEntry.objects.values_list("amount", flat=True)) == [Decimal("1250.50")]

    services.update_process(
        actor=owner, process=process, expected_version=process.version, owner=someone
    )
    assert [s["amount"] for s in api(someone).get(f"{url}?year=2026").json()] == ["1250.50"]
    assert api(someone).post(url, {**body, "amount": 99.0}).status_code == 201
    assert 'id="spend-title"' in client.get(page).content.decode()
