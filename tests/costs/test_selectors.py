"""Rates in force and actuals: the face earned value builds on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from twofold.costs import selectors
from twofold.costs.models import EntryStatus, Expense, TimeEntry, Timesheet

from .conftest import MONDAY


def _entry(
    person: Any,
    day: dt.date,
    hours: str,
    *,
    task: Any = None,
    process: Any = None,
    status: str = EntryStatus.APPROVED,
    overtime: bool = False,
) -> TimeEntry:
    sheet, _ = Timesheet.objects.get_or_create(
        organisation_id=person.memberships.first().organisation_id,
        person=person,
        week_start=day - dt.timedelta(days=day.weekday()),
    )
    return TimeEntry.objects.create(
        organisation_id=sheet.organisation_id,
        timesheet=sheet,
        person=person,
        day=day,
        hours=Decimal(hours),
        kind="task" if task else "process",
        task=task,
        project_id=task.project_id if task else None,
        process=process,
        status=status,
        overtime=overtime,
    )


def test_person_rate_wins_over_role_rate_and_changes_on_its_date(
    org: Any, worker: Any, rate: Any
) -> None:
    rate("50", dt.date(2026, 1, 1), role="engineer")
    rate("60", dt.date(2026, 3, 4), person=worker)
    assert selectors.hourly_rate(worker.pk, None, dt.date(2025, 12, 31)) is None
    assert selectors.hourly_rate(worker.pk, None, MONDAY) == Decimal("50.00")
    assert selectors.hourly_rate(worker.pk, None, dt.date(2026, 3, 4)) == Decimal("60.00")


def test_project_actuals_price_approved_time_on_its_day_and_add_expenses(
    org: Any, project: Any, tasks: list[Any], worker: Any, rate: Any, django_assert_num_queries: Any
) -> None:
    rate("50", dt.date(2026, 1, 1), person=worker, factor="1.5")
    rate("80", MONDAY + dt.timedelta(days=1), person=worker, factor="1.5")
    _entry(worker, MONDAY, "8", task=tasks[0])
    _entry(worker, MONDAY + dt.timedelta(days=1), "2.5", task=tasks[1], overtime=True)
    _entry(worker, MONDAY + dt.timedelta(days=2), "4", task=tasks[1], status=EntryStatus.SUBMITTED)
    Expense.objects.create(
        organisation=org,
        project=project,
        task=tasks[1],
        spent_on=MONDAY,
        category="materials",
        amount=Decimal("123.45"),
        description="Steel",
        status=EntryStatus.APPROVED,
    )
    with django_assert_num_queries(5):
        rows = selectors.project_actuals(project)
    assert [(r.task_id, r.day, r.hours, r.cost, r.category) for r in rows] == [
        (tasks[0].pk, MONDAY, Decimal("8.00"), Decimal("400.00"), None),
        (tasks[1].pk, MONDAY, Decimal("0"), Decimal("123.45"), "materials"),
        (tasks[1].pk, MONDAY + dt.timedelta(days=1), Decimal("2.50"), Decimal("300.00"), None),
    ]
    assert sum(r.cost for r in rows) == Decimal("823.45")


def test_process_actuals_by_fiscal_month_against_its_budget(
    org: Any, process: Any, worker: Any, rate: Any, django_assert_max_num_queries: Any
) -> None:
    from twofold.costs.models import ProcessBudget

    org.fiscal_year_start_month = 4
    org.save()
    rate("40", dt.date(2025, 1, 1), role="Engineer")
    _entry(worker, dt.date(2026, 3, 31), "10", process=process)  # FY 2025/26
    _entry(worker, dt.date(2026, 4, 1), "5", process=process)  # FY 2026/27
    Expense.objects.create(
        organisation=org,
        process=process,
        spent_on=dt.date(2026, 5, 3),
        category="services",
        amount=Decimal("99.99"),
        description="Audit",
        status=EntryStatus.APPROVED,
    )
    ProcessBudget.objects.create(
        organisation=org, process=process, fiscal_year=2026, amount=Decimal("1000")
    )
    with django_assert_max_num_queries(7):  # + the spend recorded on the process page
        fy = selectors.process_actuals(process, 2026)
    assert (fy.start, fy.end) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert len(fy.months) == 12
    assert (fy.months[0].time_cost, fy.months[1].expenses) == (Decimal("200.00"), Decimal("99.99"))
    assert fy.total == Decimal("299.99") and fy.remaining == Decimal("700.01")
    assert selectors.fiscal_year_label(org, 2026) == "2026/27"
