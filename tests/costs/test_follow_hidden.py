"""Following by hand takes only the kinds whose pages offer it (a review found an oracle)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from twofold.accounts.models import Role
from twofold.costs import services
from twofold.costs.services import Cell
from twofold.notifications.models import Follow

MONDAY = dt.date(2025, 3, 3)


def test_a_colleagues_expense_or_timesheet_cannot_be_followed_or_told_apart_from_nothing(
    signed_in: Any, api: Any, org: Any, member: Any, worker: Any, tasks: list[Any]
) -> None:
    """The follow routes took any model with an organisation: a guest got 200 and the follower
    count for a colleague's expense or timesheet (their pages answer 404), 404 for an id that
    does not exist, and a PUT stored a follow of it."""
    expense = services.create_expense(
        actor=worker,
        organisation=org,
        project=tasks[0].project,
        spent_on=MONDAY,
        category="travel",
        amount="80",
        description="Train",
        today=MONDAY,
    )
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[Cell(f"task:{tasks[0].pk}", MONDAY, "8")],
        expected_version=None,
    )
    guest = member(org, Role.GUEST)
    client, page = api(guest), signed_in(guest)
    assert page.get(f"/costs/expenses/{expense.pk}/").status_code == 404
    for label, pk in (("costs.expense", expense.pk), ("costs.timesheet", sheet.pk)):
        for target in (pk, pk + 1000):
            assert client.get(f"/api/follows/{label}/{target}").status_code == 404
    assert (
        client.put(f"/api/follows/costs.expense/{expense.pk}", {"following": True}).status_code
        == 404
    )
    assert page.post(f"/notifications/follow/costs.timesheet/{sheet.pk}/").status_code == 404
    assert not Follow.objects.filter(user=guest).exists()
    # What its page shows a comments panel for is followed as before.
    r = client.put(f"/api/follows/projects.task/{tasks[0].pk}", {"following": True})
    assert (r.status_code, r.json()["following"]) == (200, True)
