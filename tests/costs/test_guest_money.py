"""Guests never see or decide money, whatever they still own: a member demoted to guest stays
a project's manager or a process's owner until someone changes it, and that named role gave
them the amounts and the approvals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from twofold.accounts.models import Membership, Role, User
from twofold.core.errors import Forbidden
from twofold.costs import selectors, services
from twofold.costs.models import EntryStatus, Expense, ProcessBudget, TimeEntry
from twofold.costs.services import Cell
from twofold.operations import services as ops

from .conftest import MONDAY

pytestmark = pytest.mark.django_db


def _demote(org: Any, user: Any) -> User:
    """``user`` made a guest; a fresh object, so no role is kept from before."""
    Membership.objects.filter(organisation=org, user=user).update(role=Role.GUEST)
    return User.objects.get(pk=user.pk)


def test_a_demoted_manager_sees_and_decides_no_expense_of_their_project(
    client: Any, api: Any, org: Any, worker: Any, pm: Any, project: Any, tasks: list[Any]
) -> None:
    expense = services.create_expense(
        actor=worker,
        organisation=org,
        project=project,
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
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    sheet.refresh_from_db()
    assert [x.pk for x in selectors.visible_expenses(pm, org.pk)] == [expense.pk]
    guest = _demote(org, pm)  # still the project's manager

    assert api(guest).get(f"/api/organisations/{org.pk}/expenses").json() == []
    decided = api(guest).post(
        f"/api/organisations/{org.pk}/expenses/{expense.pk}/decision",
        {"version": expense.version, "approve": True},
    )
    assert decided.status_code == 404
    with pytest.raises(Forbidden):
        services.decide_expense(
            actor=guest, expense=expense, approve=True, expected_version=expense.version
        )
    with pytest.raises(Forbidden):
        services.decide_timesheet(
            actor=guest, timesheet=sheet, approve=True, expected_version=sheet.version
        )
    assert selectors.pending_weeks(guest, org.pk) == []
    client.force_login(guest)
    csv = b"".join(
        client.get("/costs/export/expenses.csv?from=2026-01-01&to=2026-12-31").streaming_content
    ).decode()
    assert "Train" not in csv and "80.00" not in csv
    assert Expense.objects.get().status == EntryStatus.SUBMITTED
    assert TimeEntry.objects.get().status == EntryStatus.SUBMITTED


def test_a_guest_named_process_owner_sees_and_sets_no_budget(
    client: Any, api: Any, org: Any, owner: Any, guest: Any, process: Any
) -> None:
    """A guest named process owner read the fiscal-year budget page and API, set the budget,
    and read the process's spend. (A guest can no longer be made owner; an owner demoted to
    guest still is one, as set here directly.)"""
    ops.update_process(
        actor=owner, process=process, expected_version=process.version, annual_budget=Decimal(5000)
    )
    type(process).objects.filter(pk=process.pk).update(owner=guest)
    process.refresh_from_db()
    services.set_process_budget(actor=owner, process=process, fiscal_year=2026, amount="9000")
    client.force_login(guest)
    assert client.get(f"/costs/processes/{process.pk}/budget/?fy=2026").status_code == 403
    posted = client.post(
        f"/costs/processes/{process.pk}/budget/", {"fiscal_year": 2026, "amount": "1"}
    )
    assert posted.status_code == 403
    page = client.get(f"/operations/processes/{process.pk}/").content.decode()
    assert 'id="budget-title"' not in page and "5,000" not in page
    overview = client.get("/operations/").content.decode()
    assert "Budget used" not in overview
    url = f"/api/organisations/{org.pk}/processes/{process.pk}/budget"
    assert api(guest).get(f"{url}?fiscal_year=2026").status_code == 403
    assert api(guest).put(url, {"fiscal_year": 2026, "amount": "1"}).status_code == 403
    assert api(guest).get(f"/api/processes/{process.pk}").json()["annual_budget"] is None
    assert api(guest).get(f"/api/processes/{process.pk}/spend").status_code == 403
    assert list(ProcessBudget.objects.values_list("amount", flat=True)) == [Decimal("9000.00")]
    assert not selectors.sees_process_money(guest, process)
