"""A process with spending and no budget reads red on the operations overview, as a project
in the same state does ("Spending without a budget"); it read "no budget", grey."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from twofold.operations import services

pytestmark = pytest.mark.django_db


def test_spending_without_a_budget_is_red(org: Any, owner: Any, signed_in: Any) -> None:
    process = services.create_process(
        actor=owner, organisation=org, name="Packing", annual_budget=0
    )
    client = signed_in(owner)
    page = client.get("/operations/").content.decode()
    assert "no budget" in page and "spending without a budget" not in page
    services.add_spend(
        actor=owner,
        process=process,
        spent_on=timezone.localdate(),
        amount=Decimal("1250"),
        description="Stretch film",
    )
    page = client.get("/operations/").content.decode()
    assert '<span class="badge badge-red">spending without a budget</span>' in page
    assert "1,250 spent" in page
