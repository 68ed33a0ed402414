"""A process's annual budget and its spend keep to the organisation's currency: a yen has no
minor unit, so ¥1,000.50 is refused naming the field (the costs app's check, through the
operations services' seam), on the service, the API and the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from twofold.core.errors import Invalid
from twofold.costs import services as cost_services
from twofold.operations import services as ops
from twofold.operations.models import SpendEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def yen(org: Any, owner: Any) -> Any:
    cost_services.update_cost_settings(
        actor=owner, organisation=org, currency="JPY", locale="ja-JP", expected_version=None
    )
    return org


def test_a_yen_budget_or_spend_with_decimals_is_refused(yen: Any, owner: Any, api: Any) -> None:
    with pytest.raises(Invalid) as refused:
        ops.create_process(
            actor=owner, organisation=yen, name="Packing", annual_budget=Decimal("1000.50")
        )
    assert (refused.value.field, refused.value.message) == (
        "annual_budget",
        "The budget is a whole number of JPY (it has no minor unit).",
    )
    process = ops.create_process(
        actor=owner, organisation=yen, name="Packing", annual_budget=Decimal("1000")
    )
    assert process.annual_budget == Decimal("1000.00")
    answer = api(owner).post(
        f"/api/processes/{process.pk}/spend",
        {"spent_on": "2026-11-02", "amount": 12.5, "description": "Tape"},
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "amount"
    assert "whole number of JPY" in answer.json()["detail"]
    assert not SpendEntry.objects.exists()
    ops.add_spend(
        actor=owner,
        process=process,
        spent_on=dt.date(2026, 11, 2),
        amount="12",
        description="Tape",
    )
    assert list(SpendEntry.objects.values_list("amount", flat=True)) == [Decimal("12.00")]


def test_euro_budgets_keep_two_decimals(org: Any, owner: Any) -> None:
    process = ops.create_process(
        actor=owner, organisation=org, name="Packing", annual_budget=Decimal("1000.50")
    )
    assert process.annual_budget == Decimal("1000.50")
