"""Review fixes of 2026-12-06 (c) in earned value: a task with several people priced at each
one's rate, planned value on a shift ending at 24:00, no cost level without budget or cost, yen
budgets without sen, and the API naming ``account_id``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from twofold.accounts.models import Role
from twofold.calendars import services as cal_services
from twofold.capacity import services as cap
from twofold.changes.impact import compute_impact
from twofold.core.errors import Invalid
from twofold.costs.models import CostSettings, Rate
from twofold.evm import budget, services
from twofold.evm.models import BudgetLine, ProjectBudget
from twofold.evm.portfolio import metrics_of
from twofold.evm.report import project_evm
from twofold.projects import services as ps
from twofold.projects.models import Assignment, BaselineTask, Project, Task

MONDAY = dt.date(2025, 3, 3)


# 1. A task with several people: each person's work at their own rate.


@pytest.fixture
def pair(org: Any, owner: Any, member: Any) -> dict[str, Any]:
    """Two people at 100 and 50 an hour on one 5-day task (40 h each, 80 h of work)."""
    expensive = member(org, Role.MEMBER, full_name="Expensive")
    cheap = member(org, Role.MEMBER, full_name="Cheap")
    Rate.objects.create(
        organisation=org, person=expensive, hourly=Decimal(100), effective_from=MONDAY
    )
    Rate.objects.create(organisation=org, person=cheap, hourly=Decimal(50), effective_from=MONDAY)
    project = ps.create_project(
        actor=owner, organisation=org, name="P", code="P1", target_start=MONDAY
    )
    task, _ = ps.create_task(actor=owner, project=project, name="T", duration_minutes=5 * 480)
    task.refresh_from_db()
    cap.set_assignments(
        actor=owner,
        task=task,
        rows=[(expensive, 100, None), (cheap, 100, None)],
        expected_version=task.version,
    )
    task.refresh_from_db()
    return {"project": project, "task": task, "expensive": expensive, "cheap": cheap}


def test_two_people_are_priced_each_at_their_own_rate(pair: Any, org: Any, owner: Any) -> None:
    project, task = pair["project"], pair["task"]
    assert task.effort_minutes == 4800
    assert sorted(Assignment.objects.filter(task=task).values_list("work_minutes", flat=True)) == [
        2400,
        2400,
    ]
    # 40 h × 100 + 40 h × 50 (it was 80 h × 100 = 8,000, the first person's rate for all).
    assert project_evm(project).metrics.bac == Decimal("6000.00")
    assert metrics_of(org, [project])[project.pk].bac == Decimal("6000.00")  # the portfolio's
    ps.save_baseline(actor=owner, project=project, name="B")
    assert list(BaselineTask.objects.filter(task=task).values_list("cost", flat=True)) == [
        Decimal("6000.00")
    ]
    assert project_evm(project).metrics.bac == Decimal("6000.00")


def test_a_person_without_a_rate_is_priced_at_the_planned_labour_rate(
    pair: Any, owner: Any, member: Any, org: Any
) -> None:
    project, task = pair["project"], pair["task"]
    nobody = member(org, Role.MEMBER, full_name="No Rate")
    cap.set_assignments(
        actor=owner,
        task=task,
        rows=[(pair["expensive"], 100, 2400), (nobody, 100, 2400)],
        expected_version=task.version,
    )
    services.set_labour_rate(actor=owner, project=project, rate=Decimal(30), expected_version=None)
    # 40 h × 100 + 40 h × 30 (the planned labour rate for the one without a rate).
    assert project_evm(project).metrics.bac == Decimal("5200.00")


def test_frozen_only_when_all_of_the_work_has_a_rate(
    pair: Any, owner: Any, member: Any, org: Any
) -> None:
    """No planned labour rate and one of the two without a rate: the baseline keeps no cost
    (priced at the rates in force until the next baseline, as a task of one such person)."""
    project, task = pair["project"], pair["task"]
    nobody = member(org, Role.MEMBER, full_name="No Rate")
    cap.set_assignments(
        actor=owner,
        task=task,
        rows=[(pair["expensive"], 100, 2400), (nobody, 100, 2400)],
        expected_version=task.version,
    )
    ps.save_baseline(actor=owner, project=project, name="B")
    assert list(BaselineTask.objects.filter(task=task).values_list("cost", flat=True)) == [None]
    assert project_evm(project).metrics.bac == Decimal("4000.00")  # 40 h × 100 + 40 h × 0
    Rate.objects.create(organisation=org, person=nobody, hourly=Decimal(20), effective_from=MONDAY)
    assert project_evm(project).metrics.bac == Decimal("4800.00")  # + 40 h × 20


def test_rows_without_work_share_the_effort_by_units(pair: Any) -> None:
    """Rows saved before work was stored on every row: the task's effort shared by units, as
    capacity reads them (100 % and 300 % of 80 h: 20 h × 100 + 60 h × 50)."""
    project, task = pair["project"], pair["task"]
    Assignment.objects.filter(task=task).update(work_minutes=None)
    Assignment.objects.filter(task=task, person=pair["cheap"]).update(units=300)
    assert project_evm(project).metrics.bac == Decimal("5000.00")


def test_change_impact_prices_the_plan_per_person(pair: Any) -> None:
    """The preview's "after" prices the same people (it priced them all at the first one's)."""
    impact = compute_impact(pair["project"], [])
    assert impact["before"]["cost"] == "6000.00"
    assert impact["after"]["cost"] == "6000.00"


def test_the_reads_do_not_grow_with_the_people(
    pair: Any, owner: Any, member: Any, org: Any
) -> None:
    project = pair["project"]
    with CaptureQueriesContext(connection) as one:
        project_evm(project)
    for i in range(3):
        t, _ = ps.create_task(actor=owner, project=project, name=f"U{i}", duration_minutes=480)
        t.refresh_from_db()
        people = [member(org, Role.MEMBER, full_name=f"M{i}{j}") for j in range(3)]
        cap.set_assignments(
            actor=owner,
            task=t,
            rows=[(p, 100, None) for p in people],
            expected_version=t.version,
        )
    with CaptureQueriesContext(connection) as four:
        report = project_evm(project)
    assert len(four.captured_queries) == len(one.captured_queries)
    assert report.metrics.bac == Decimal("6000.00")  # the newcomers have no rate (and no plan rate)
    assert len(budget.task_rows(project)) == 4  # one row per task, whatever its people


# 2. Planned value on a shift that ends at 24:00.


def test_a_late_shift_task_is_planned_on_its_own_day(org: Any, owner: Any) -> None:
    hours = {str(d): ([["16:00", "24:00"]] if d < 5 else []) for d in range(7)}
    cal = cal_services.create_calendar(actor=owner, organisation=org, name="Late", hours=hours)
    project = ps.create_project(
        actor=owner, organisation=org, name="P", code="P1", target_start=MONDAY, calendar=cal
    )
    services.set_labour_rate(actor=owner, project=project, rate=Decimal(50), expected_version=None)
    a, _ = ps.create_task(actor=owner, project=project, name="A", duration_minutes=480)
    b, _ = ps.create_task(actor=owner, project=project, name="B", duration_minutes=480)
    ps.add_link(actor=owner, project=project, pred=a, succ=b)
    ps.save_baseline(actor=owner, project=project, name="B")
    rows = {r.name: r for r in budget.task_rows(project)}
    assert (rows["A"].start, rows["A"].finish) == (MONDAY, MONDAY)
    assert (rows["B"].start, rows["B"].finish) == (MONDAY + dt.timedelta(1),) * 2
    Project.objects.filter(pk=project.pk).update(status_date=MONDAY)
    project.refresh_from_db()
    m = project_evm(project).metrics
    assert m.bac == Decimal("800.00")
    assert m.pv == Decimal("400.00")  # A's Monday in full, nothing of B (it was 0.00)


def test_a_task_ending_at_24_00_on_a_24_hour_calendar_ends_that_day(org: Any, owner: Any) -> None:
    hours = {str(d): ([["00:00", "24:00"]] if d < 5 else []) for d in range(7)}
    cal = cal_services.create_calendar(actor=owner, organisation=org, name="24h", hours=hours)
    project = ps.create_project(
        actor=owner, organisation=org, name="P", code="P1", target_start=MONDAY, calendar=cal
    )
    services.set_labour_rate(actor=owner, project=project, rate=Decimal(50), expected_version=None)
    a, _ = ps.create_task(actor=owner, project=project, name="A", duration_minutes=24 * 60)
    ps.save_baseline(actor=owner, project=project, name="B")
    a.refresh_from_db()
    # Monday 00:00 (the calendar's first working moment) to 24:00, stored as Tuesday 00:00.
    assert (a.start.hour, a.finish.date(), a.finish.hour) == (0, MONDAY + dt.timedelta(1), 0)
    assert budget.task_rows(project)[0].finish == MONDAY
    Project.objects.filter(pk=project.pk).update(status_date=MONDAY)
    project.refresh_from_db()
    m = project_evm(project).metrics
    assert m.bac == Decimal("1200.00")  # 24 h × 50
    assert m.pv == Decimal("1200.00")  # all of it on Monday (it was spread over Tuesday: 600)


# 3. No cost level without budget or cost.


def test_health_cost_is_null_without_budget_and_cost(org: Any, owner: Any, api: Any) -> None:
    # Something in the organisation costs money (a rate) ...
    Rate.objects.create(organisation=org, person=owner, hourly=Decimal(40), effective_from=MONDAY)
    # ... but this project has no budget, no rate on its work and no recorded cost.
    project = ps.create_project(
        actor=owner, organisation=org, name="P", code="P1", target_start=MONDAY
    )
    ps.create_task(actor=owner, project=project, name="A", duration_minutes=480)
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/health"
    assert api(owner).get(url).json()["cost"] is None  # it was "green"
    # With a budget (and nothing spent yet) cost is known and on track.
    services.set_labour_rate(actor=owner, project=project, rate=Decimal(50), expected_version=None)
    assert api(owner).get(url).json()["cost"] == "green"


# 4. A yen has no sen: budget amounts and the planned labour rate are whole yen.


@pytest.fixture
def yen_project(org: Any, owner: Any) -> Project:
    CostSettings.objects.update_or_create(
        organisation=org, defaults={"currency": "JPY", "locale": "ja-JP"}
    )
    return ps.create_project(
        actor=owner, organisation=org, name="P", code="P1", target_start=MONDAY
    )


def test_yen_services_refuse_sen(yen_project: Project, owner: Any) -> None:
    with pytest.raises(Invalid) as line:
        services.add_budget_line(
            actor=owner,
            project=yen_project,
            category="other",
            description="x",
            amount=Decimal("100.50"),
        )
    assert (line.value.field, line.value.message) == (
        "amount",
        "The amount is a whole number of JPY (it has no minor unit).",
    )
    with pytest.raises(Invalid) as rate:
        services.set_labour_rate(
            actor=owner, project=yen_project, rate=Decimal("1000.50"), expected_version=None
        )
    assert (rate.value.field, rate.value.message) == (
        "labour_rate",
        "The planned labour rate is a whole number of JPY (it has no minor unit).",
    )
    assert not BudgetLine.objects.exists()
    assert not ProjectBudget.objects.filter(labour_rate__gt=0).exists()
    # Whole yen are kept.
    services.add_budget_line(
        actor=owner, project=yen_project, category="other", description="x", amount=Decimal(100)
    )
    assert list(BudgetLine.objects.values_list("amount", flat=True)) == [Decimal("100.00")]


def test_yen_api_refuses_sen_naming_the_field(
    yen_project: Project, owner: Any, org: Any, api: Any
) -> None:
    base = f"/api/organisations/{org.pk}/projects/{yen_project.pk}/budget"
    r = api(owner).post(
        f"{base}/lines", {"category": "other", "description": "a", "amount": "100.50"}
    )
    assert r.status_code == 422
    assert r.json()["field"] == "amount"
    r = api(owner).put(base, {"labour_rate": "1000.50"})
    assert r.status_code == 422
    assert r.json()["field"] == "labour_rate"
    assert r.json()["detail"] == (
        "The planned labour rate is a whole number of JPY (it has no minor unit)."
    )
    assert not BudgetLine.objects.exists()


def test_yen_page_forms_show_the_same_message(
    yen_project: Project, owner: Any, signed_in: Any
) -> None:
    client = signed_in(owner)
    url = f"/evm/projects/{yen_project.pk}/"
    page = client.post(
        url, {"action": "line", "category": "other", "description": "a", "amount": "100.50"}
    )
    assert page.status_code == 422
    assert "The amount is a whole number of JPY (it has no minor unit)." in page.content.decode()
    page = client.post(url, {"action": "rate", "labour_rate": "1000.50", "version": ""})
    assert page.status_code == 422
    assert (
        "The planned labour rate is a whole number of JPY (it has no minor unit)."
        in page.content.decode()
    )
    assert not BudgetLine.objects.exists()


# 5. The API names the field it was sent.


def test_api_names_account_id_for_a_task_that_is_not_a_control_account(
    org: Any, owner: Any, api: Any
) -> None:
    project = ps.create_project(
        actor=owner, organisation=org, name="P", code="P1", target_start=MONDAY
    )
    leaf, _ = ps.create_task(actor=owner, project=project, name="Leaf")
    r = api(owner).post(
        f"/api/organisations/{org.pk}/projects/{project.pk}/budget/lines",
        {"category": "other", "description": "x", "amount": "10.00", "account_id": leaf.pk},
    )
    assert r.status_code == 422
    assert r.json()["field"] == "account_id"  # it was "account"
    assert r.json()["detail"] == "Choose a top-level summary task of this project."
    assert Task.objects.filter(pk=leaf.pk).exists() and not BudgetLine.objects.exists()
