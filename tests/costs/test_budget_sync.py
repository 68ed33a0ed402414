"""A process has one budget: the process page's annual budget is its current fiscal year's, and
the fiscal-year page counts the spend recorded on the process page with time and expenses.

Until 2026-12-05 they were unrelated numbers: a process could show 120,000 on its page and
90,000 (or nothing) for the same year on its fiscal-year page, each against different spend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from twofold.costs import selectors, services
from twofold.costs.budget_sync import current_fiscal_year
from twofold.costs.models import ProcessBudget
from twofold.operations import services as ops_services
from twofold.operations.models import Process

pytestmark = pytest.mark.django_db


def _budget(process: Any, year: int) -> Decimal | None:
    return (
        ProcessBudget.objects.filter(process=process, fiscal_year=year)
        .values_list("amount", flat=True)
        .first()
    )


def test_the_annual_budget_is_the_current_fiscal_years(org: Any, owner: Any) -> None:
    year = current_fiscal_year(org)
    process = ops_services.create_process(
        actor=owner, organisation=org, name="Coating", annual_budget=Decimal(120000)
    )
    assert _budget(process, year) == Decimal("120000.00")
    process.refresh_from_db()
    ops_services.update_process(
        actor=owner, process=process, expected_version=process.version, annual_budget=90000
    )
    assert _budget(process, year) == Decimal("90000.00")
    # ... and the fiscal-year page's budget for this year is the page's annual budget.
    services.set_process_budget(actor=owner, process=process, fiscal_year=year, amount="95000")
    process.refresh_from_db()
    assert process.annual_budget == Decimal("95000.00")
    # Another year keeps its own budget and leaves the annual one alone.
    services.set_process_budget(actor=owner, process=process, fiscal_year=year - 1, amount="70000")
    process.refresh_from_db()
    assert (process.annual_budget, _budget(process, year - 1)) == (
        Decimal("95000.00"),
        Decimal("70000.00"),
    )


def test_an_edit_opened_before_the_fiscal_year_budget_changed_is_stale(
    org: Any, owner: Any
) -> None:
    """Setting this year's budget moves the process's version: an edit of the process page
    opened before it gets a conflict instead of putting the old annual budget back."""
    from twofold.core.errors import Conflict

    process = ops_services.create_process(
        actor=owner, organisation=org, name="Coating", annual_budget=Decimal(120000)
    )
    opened = Process.objects.get(pk=process.pk)
    services.set_process_budget(
        actor=owner, process=process, fiscal_year=current_fiscal_year(org), amount="80000"
    )
    with pytest.raises(Conflict):
        ops_services.update_process(
            actor=owner, process=opened, expected_version=opened.version, annual_budget=120000
        )


def test_the_fiscal_year_counts_the_spend_recorded_on_the_process_page(
    org: Any, owner: Any
) -> None:
    year = current_fiscal_year(org)
    process = ops_services.create_process(
        actor=owner, organisation=org, name="Coating", annual_budget=Decimal(1000)
    )
    start, _end = selectors.fiscal_year_bounds(org, year)
    ops_services.add_spend(
        actor=owner, process=process, spent_on=start, amount="250.50", description="Paint"
    )
    ops_services.add_spend(
        actor=owner,
        process=process,
        spent_on=start - dt.timedelta(days=1),  # the year before
        amount="999",
        description="Old paint",
    )
    fy = selectors.process_actuals(Process.objects.get(pk=process.pk), year)
    assert (fy.budget, fy.recorded, fy.total, fy.remaining) == (
        Decimal("1000.00"),
        Decimal("250.50"),
        Decimal("250.50"),
        Decimal("749.50"),
    )
    assert fy.months[0].recorded == Decimal("250.50")


def test_the_process_page_shows_this_fiscal_years_budget_and_spend(
    client: Any, org: Any, owner: Any
) -> None:
    """The page showed the calendar year's spend against the annual budget while the
    fiscal-year page counted from April: two different years side by side."""
    type(org).objects.filter(pk=org.pk).update(fiscal_year_start_month=4)
    org.refresh_from_db()
    year = current_fiscal_year(org)
    start, _end = selectors.fiscal_year_bounds(org, year)
    process = ops_services.create_process(
        actor=owner, organisation=org, name="Coating", annual_budget=Decimal(1000)
    )
    for day, amount in ((start, "300"), (start - dt.timedelta(days=1), "999")):
        ops_services.add_spend(
            actor=owner, process=process, spent_on=day, amount=amount, description="Paint"
        )
    client.force_login(owner)
    page = client.get(f"/operations/processes/{process.pk}/").content.decode()
    label = selectors.fiscal_year_label(org, year)
    assert f"Budget FY {label}" in page
    assert "€300.00</strong> spent of <strong>€1,000.00" in page
    assert "€999.00" not in page  # (the history panel still says it was recorded)


def test_the_process_page_and_card_compare_the_budget_with_all_it_cost(
    client: Any, org: Any, owner: Any
) -> None:
    """The budget is the fiscal-year page's, so the process page and its card count what that
    page counts: approved expenses (and time × rates) besides the spend recorded here."""
    from twofold.costs.models import EntryStatus, Expense
    from twofold.operations.selectors import overview

    year = current_fiscal_year(org)
    start, _end = selectors.fiscal_year_bounds(org, year)
    process = ops_services.create_process(
        actor=owner, organisation=org, name="Coating", annual_budget=Decimal(1000)
    )
    ops_services.add_spend(
        actor=owner, process=process, spent_on=start, amount="100", description="Paint"
    )
    Expense.objects.create(
        organisation=org,
        submitted_by=owner,
        process=process,
        spent_on=start,
        category="materials",
        amount=Decimal("250"),
        description="Masking tape",
        status=EntryStatus.APPROVED,
    )
    client.force_login(owner)
    page = client.get(f"/operations/processes/{process.pk}/").content.decode()
    assert "€350.00</strong> spent of <strong>€1,000.00" in page
    assert "€100.00 recorded here, €250.00 approved time and expenses" in page
    [card] = [c for c in overview(org) if c.process.pk == process.pk]
    assert (card.spent, card.budget_use) == (Decimal("350.00"), 0.35)


def test_the_cached_time_cost_follows_each_decision(
    org: Any, owner: Any, member: Any, django_assert_max_num_queries: Any
) -> None:
    """The cards key each process's cost of approved time on its ``cost_stamp``: a decision on
    time booked on it moves the stamp, so the next overview prices it again."""
    from twofold.accounts.models import Role
    from twofold.costs.models import Rate
    from twofold.operations.selectors import overview

    year = current_fiscal_year(org)
    start, _end = selectors.fiscal_year_bounds(org, year)
    process = ops_services.create_process(
        actor=owner, organisation=org, name="Coating", annual_budget=Decimal(1000)
    )
    worker = member(org, Role.MEMBER, full_name="Wes Worker")
    Rate.objects.create(organisation=org, person=worker, hourly=Decimal(40), effective_from=start)

    def spent() -> Decimal:
        [card] = [c for c in overview(org) if c.process.pk == process.pk]
        return card.spent

    assert spent() == Decimal(0)
    monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    week = services.week_start_of(org, monday)
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=week,
        cells=[services.Cell(f"process:{process.pk}", monday, "5")],
        expected_version=None,
    )
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    assert spent() == Decimal(0)  # submitted, not approved
    sheet.refresh_from_db()
    services.decide_timesheet(
        actor=owner, timesheet=sheet, approve=True, expected_version=sheet.version
    )
    assert spent() == Decimal("200.00")  # 5 h × 40
    with django_assert_max_num_queries(2):  # cached now: the stamps and the expenses
        selectors.process_costs(org, [process.pk], *selectors.fiscal_year_bounds(org, year))


def test_a_budget_set_ahead_shows_from_the_first_day_of_its_year(org: Any, owner: Any) -> None:
    """The pages showed the stored annual budget, a copy made when someone saved: a budget
    set ahead for next year never showed once that year began."""
    from twofold.operations.selectors import overview

    year = current_fiscal_year(org)
    process = ops_services.create_process(
        actor=owner, organisation=org, name="Coating", annual_budget=Decimal(100000)
    )
    services.set_process_budget(actor=owner, process=process, fiscal_year=year + 1, amount="150000")
    next_start, _end = selectors.fiscal_year_bounds(org, year + 1)
    now = dt.datetime.combine(next_start, dt.time(12), tzinfo=dt.UTC)
    [card] = [c for c in overview(org, now=now) if c.process.pk == process.pk]
    assert card.budget_value == Decimal("150000.00")
    [card] = [c for c in overview(org) if c.process.pk == process.pk]
    assert card.budget_value == Decimal("100000.00")


def test_a_large_budget_for_this_year_fits_the_process(client: Any, org: Any, owner: Any) -> None:
    """A budget the fiscal-year page accepts (below 10¹²) did not fit the annual budget's
    column: the process page, the whole operations overview and the budget page answered 500."""
    process = ops_services.create_process(actor=owner, organisation=org, name="Coating")
    services.set_process_budget(
        actor=owner, process=process, fiscal_year=current_fiscal_year(org), amount="50000000000"
    )
    client.force_login(owner)
    for url in (
        "/operations/",
        f"/operations/processes/{process.pk}/",
        f"/costs/processes/{process.pk}/budget/",
    ):
        assert client.get(url).status_code == 200, url
    process.refresh_from_db()
    assert process.annual_budget == Decimal("50000000000.00")
