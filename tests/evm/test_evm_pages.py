"""Budgets and the earned-value page: BAC from planned work × rate + expenses, figures at the
status date, the S-curve, exports, who sees money, and cost on the portfolio card."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from twofold.accounts.models import Role
from twofold.core.errors import Forbidden, Invalid
from twofold.costs.models import (
    CostSettings,
    EntryStatus,
    LineKind,
    Rate,
    TimeEntry,
    Timesheet,
)
from twofold.evm import portfolio, services
from twofold.evm.report import project_evm
from twofold.projects import services as project_services
from twofold.projects.health import Level
from twofold.projects.models import Project, Task

MONDAY = dt.date(2025, 3, 3)


@pytest.fixture
def costed(org: Any, owner: Any, member: Any) -> dict[str, Any]:
    """Phase 1 (A 5 d → B 5 d) and Phase 2 (C 5 d) at 50 an hour, one 1,000 expense on Phase 2.
    Status Friday 7 March: A done (2,000 earned), B not started; 2,500 spent."""
    manager = member(org, Role.MEMBER, full_name="Mia Manager")
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press line", code="PL", target_start=MONDAY
    )
    phase1, _ = project_services.create_task(actor=owner, project=project, name="Phase 1")
    a, _ = project_services.create_task(
        actor=owner, project=project, name="A", parent=phase1, duration_minutes=5 * 480
    )
    b, _ = project_services.create_task(
        actor=owner, project=project, name="B", parent=phase1, duration_minutes=5 * 480
    )
    phase2, _ = project_services.create_task(actor=owner, project=project, name="Phase 2")
    c, _ = project_services.create_task(
        actor=owner, project=project, name="C", parent=phase2, duration_minutes=5 * 480
    )
    project_services.add_link(actor=owner, project=project, pred=a, succ=b)
    project_services.add_link(actor=owner, project=project, pred=b, succ=c)
    project_services.save_baseline(actor=owner, project=project, name="Plan")
    Task.objects.filter(pk=a.pk).update(percent_complete=100)
    Project.objects.filter(pk=project.pk).update(status_date=dt.date(2025, 3, 7), manager=manager)
    project.refresh_from_db()
    services.set_labour_rate(actor=owner, project=project, rate=Decimal(50), expected_version=None)
    services.add_budget_line(
        actor=owner,
        project=project,
        category="materials",
        description='=HYPERLINK("x")',
        amount=Decimal(1000),
        account=Task.objects.get(pk=phase2.pk),
    )
    worker = member(org, Role.MEMBER, full_name="Wes Worker")
    Rate.objects.create(organisation=org, person=worker, hourly=Decimal(50), effective_from=MONDAY)
    sheet = Timesheet.objects.create(organisation=org, person=worker, week_start=MONDAY)
    for day, hours in (
        (MONDAY, "20"),
        (dt.date(2025, 3, 6), "30"),
        (dt.date(2025, 3, 10), "19.98"),
    ):
        TimeEntry.objects.create(
            organisation=org,
            timesheet=sheet,
            person=worker,
            day=day,
            hours=Decimal(hours),
            kind=LineKind.TASK,
            task=a,
            project=project,
            status=EntryStatus.APPROVED,
        )
    return {"project": project, "manager": manager, "phase1": phase1, "phase2": phase2}


def test_bac_pv_ev_ac_per_project_and_control_account(costed: Any) -> None:
    report = project_evm(costed["project"])
    m = report.metrics
    assert m.bac == Decimal("7000.00")  # 3 × 40 h × 50 + 1,000
    assert m.pv == Decimal("2000.00")  # A planned by Friday
    assert m.ev == Decimal("2000.00")
    assert m.ac == Decimal("2500.00")  # the cost after the status date is not counted
    assert m.cpi == Decimal("0.8") and m.spi == Decimal(1)
    assert m.eac == Decimal("8750.00")
    assert dict(report.categories) == {"Labour": Decimal("6000.00"), "Materials": Decimal("1000")}
    accounts = {a.name: a.metrics for a in report.accounts}
    assert accounts["Phase 1"].bac == Decimal("4000.00") and accounts["Phase 1"].ac == Decimal(
        "2500.00"
    )
    assert accounts["Phase 2"].bac == Decimal("3000.00") and accounts["Phase 2"].ev == 0
    # The curve's EV and AC end on the status date (a point of its own), not at its week's end.
    status, week = report.curve[0], report.curve[1]
    assert (status.day, status.pv, status.ev, status.ac) == (
        report.status_date,
        Decimal("2000.00"),
        Decimal("2000.00"),
        Decimal("2500"),
    )
    assert (week.day, week.pv, week.ev, week.ac) == (
        dt.date(2025, 3, 9),
        Decimal("2000.00"),
        None,
        None,
    )
    assert report.curve[-1].pv == Decimal("7000.00") and report.curve[-1].ac is None
    assert portfolio.cost_reasons(m)[0][1] == "Over cost: CPI 0.80"


def test_money_is_for_managers_sponsors_and_admins(
    costed: Any,
    org: Any,
    owner: Any,
    member: Any,
    signed_in: Any,
    outsider: Any,
    django_assert_max_num_queries: Any,
) -> None:
    project = costed["project"]
    url = f"/evm/projects/{project.pk}/"
    plain = member(org, Role.MEMBER)
    assert signed_in(plain).get(url).status_code == 403
    assert signed_in(outsider).get(url).status_code == 404
    with pytest.raises(Forbidden):
        services.set_labour_rate(
            actor=plain, project=project, rate=Decimal(1), expected_version=None
        )
    CostSettings.objects.update_or_create(
        organisation=org, defaults={"currency": "GBP", "locale": "en-GB"}
    )
    client = signed_in(costed["manager"])
    with django_assert_max_num_queries(30):
        page = client.get(url)
    assert page.status_code == 200
    # Amounts in the organisation's currency, as on every other page.
    for text in ("BCWS", "BCWP", "ACWP", "£7,000.00", "0.80", '<polyline class="curve pv"'):
        assert text in page.content.decode()
    assert client.post(url, {"action": "rate", "labour_rate": "-1"}).status_code == 400
    with pytest.raises(Invalid):
        services.add_budget_line(
            actor=owner, project=project, category="labour", description="x", amount=Decimal(1)
        )


def test_exports_keep_numbers_numeric_and_neutralise_formulas(costed: Any, signed_in: Any) -> None:
    client = signed_in(costed["manager"])
    url = f"/evm/projects/{costed['project'].pk}/export/"
    csv = b"".join(client.get(url).streaming_content).decode()
    assert "Planned value,BCWS,2000.0" in csv
    # Which money: the organisation's currency (the costs exports said; these did not).
    assert csv.splitlines()[:2] == [
        "\ufeffEarned value,Status date,Currency",
        "Press line,2025-03-07,EUR",
    ]
    book = load_workbook(io.BytesIO(client.get(url + "?format=xlsx").content))
    summary = book["Summary"]
    assert summary["B3"].value == "BCWS" and summary["C3"].value == 2000.0
    assert book["Weekly S-curve"]["B2"].value == 2000.0


def test_cost_becomes_a_reason_on_the_portfolio_card(
    costed: Any, signed_in: Any, owner: Any
) -> None:
    page = signed_in(owner).get("/")
    assert page.status_code == 200
    assert b"Over cost: CPI 0.80" in page.content


def test_a_new_rate_reaches_the_portfolio_card_at_once(
    costed: Any, signed_in: Any, owner: Any, org: Any
) -> None:
    """The cards' cost figures are cached by what they depend on; the rates are part of it
    (until 2026-12-05 the card kept "CPI 0.80" for up to 15 minutes)."""
    from twofold.costs import services as cost_services

    client = signed_in(owner)
    assert b"Over cost: CPI 0.80" in client.get("/").content
    old = Rate.objects.get(organisation=org, effective_from=MONDAY)
    cost_services.delete_rate(actor=owner, rate=old)
    cost_services.create_rate(
        actor=owner, organisation=org, person=old.person, hourly="40", effective_from=MONDAY
    )
    page = client.get("/").content
    assert b"Over cost" not in page  # AC 50 h × 40 = 2,000 = EV: CPI 1.00
    assert b"CPI 0.80" not in page
    overview = client.get(f"/projects/{costed['project'].pk}/").content
    assert b"Over cost" not in overview


def test_cached_cost_figures_follow_assignees_and_job_titles(
    costed: Any, owner: Any, org: Any, member: Any
) -> None:
    """A task's assignee and a person's job title (which picks a role's rate) change the BAC
    without moving any date: the cached figures follow them at once."""
    from twofold.accounts.models import Membership
    from twofold.accounts.services import set_job_title
    from twofold.costs import services as cost_services

    project = costed["project"]

    def cached() -> Decimal:  # as the portfolio reads them: the organisation and project afresh
        org.refresh_from_db()
        return portfolio.metrics_of(org, [Project.objects.get(pk=project.pk)])[project.pk].bac

    welder = member(org, Role.MEMBER, full_name="Wyn Welder")
    cost_services.create_rate(
        actor=owner, organisation=org, role="Welder", hourly="60", effective_from=MONDAY
    )
    membership = Membership.objects.get(organisation=org, user=welder)
    set_job_title(actor=owner, membership=membership, job_title="Welder")
    assert cached() == Decimal("7000.00")  # nobody on the tasks yet: 50 an hour
    b = Task.objects.get(project=project, name="B")
    project_services.update_task(actor=owner, task=b, expected_version=b.version, assignee=welder)
    assert cached() == Decimal("7400.00") == project_evm(project).metrics.bac  # B: 40 h × 60
    membership.refresh_from_db()
    # A new title (no role rate) from today: B was planned in March 2025, when Wyn was a
    # welder, so its budget keeps the welder's rate (it fell back to 50 an hour before).
    set_job_title(actor=owner, membership=membership, job_title="Fitter")
    assert cached() == Decimal("7400.00") == project_evm(project).metrics.bac
    # A welder's rate from the day before B's start on (70) is what B's hours cost now.
    cost_services.create_rate(
        actor=owner,
        organisation=org,
        role="Welder",
        hourly="70",
        effective_from=MONDAY + dt.timedelta(days=4),
    )
    assert cached() == Decimal("7800.00") == project_evm(project).metrics.bac


def test_a_new_estimate_after_the_baseline_moves_neither_bac_nor_ev(
    costed: Any, owner: Any, org: Any
) -> None:
    """BAC and EV came from the live plan's effort: doubling a task's estimate after the
    baseline raised BAC by its cost and EV with it, so a project overrunning its cost turned
    green without any change to its baseline (the performance measurement baseline)."""
    project = costed["project"]
    before = project_evm(project).metrics
    b = Task.objects.get(project=project, name="B")
    project_services.update_task(
        actor=owner, task=b, expected_version=b.version, effort_minutes=80 * 60
    )
    after = project_evm(project).metrics
    assert (after.bac, after.ev) == (before.bac, before.ev) == (Decimal("7000.00"), before.ev)
    org.refresh_from_db()
    cached = portfolio.metrics_of(org, [Project.objects.get(pk=project.pk)])[project.pk]
    assert cached.bac == Decimal("7000.00")
    # A new baseline takes the new estimate in: 40 h more at 50 an hour.
    project_services.save_baseline(actor=owner, project=project, name="Re-plan")
    assert project_evm(project).metrics.bac == Decimal("9000.00")


def test_a_budget_reduction_lowers_the_figures_and_every_page_shows(
    costed: Any, signed_in: Any, owner: Any
) -> None:
    """A negative budget line (a change that took budget away, or one typed by hand) is a
    reduction: until 2026-12-05 it answered 500 on the portfolio, the overview and both
    earned-value pages for every member."""
    project = costed["project"]
    services.add_budget_line(
        actor=owner,
        project=project,
        category="materials",
        description="Descoped cladding",
        amount=Decimal(-1500),
        account=Task.objects.get(pk=costed["phase2"].pk),
    )
    report = project_evm(project)
    assert report.metrics.bac == Decimal("5500.00")  # 7,000 − 1,500
    assert {a.name: a.metrics.bac for a in report.accounts}["Phase 2"] == Decimal("1500.00")
    assert report.metrics.pv == Decimal("2000.00")  # Phase 2 not started by the status date
    client = signed_in(owner)
    for url in ("/", "/evm/", f"/projects/{project.pk}/", f"/evm/projects/{project.pk}/"):
        assert client.get(url).status_code == 200, url


def test_the_roll_up_costs_each_entry_as_the_project_page_does(
    costed: Any, org: Any, member: Any
) -> None:
    """Three 0.33 h entries at 10.01 an hour cost 3 × 3.30 = 9.90 on the project's page; the
    portfolio's roll-up costed their sum (0.99 h = 9.91) until 2026-12-05."""
    from twofold.evm import sources

    project = costed["project"]
    temp = member(org, Role.MEMBER, full_name="Tam Temp")
    Rate.objects.create(
        organisation=org, person=temp, hourly=Decimal("10.01"), effective_from=MONDAY
    )
    sheet = Timesheet.objects.create(organisation=org, person=temp, week_start=MONDAY)
    task = Task.objects.get(project=project, name="A")
    for _ in range(3):
        TimeEntry.objects.create(
            organisation=org,
            timesheet=sheet,
            person=temp,
            day=MONDAY,
            hours=Decimal("0.33"),
            kind=LineKind.TASK,
            task=task,
            project=project,
            status=EntryStatus.APPROVED,
        )
    page = project_evm(project).metrics.ac
    rolled = sources.actual_costs_by_project(org.pk, {project.pk: dt.date(2025, 3, 7)})
    assert page == rolled[project.pk] == Decimal("2509.90")


def test_planned_value_follows_the_project_calendar(org: Any, owner: Any) -> None:
    """PV spread a task's budget over Monday to Friday whatever the project calendar: a
    holiday inside a task counted as a planned day (and on the portfolio roll-up too)."""
    from twofold.calendars import services as calendars

    cal = calendars.ensure_default_calendar(org)
    calendars.add_holiday(
        actor=owner, calendar=cal, expected_version=cal.version, name="Works outing",
        start=dt.date(2025, 3, 5),
    )  # fmt: skip
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press", code="PR", target_start=MONDAY
    )
    project_services.create_task(
        actor=owner, project=project, name="A", duration_minutes=5 * 480
    )  # Monday 3 to Monday 10 March, the Wednesday off
    project_services.save_baseline(actor=owner, project=project, name="Plan")
    services.set_labour_rate(actor=owner, project=project, rate=Decimal(50), expected_version=None)
    Project.objects.filter(pk=project.pk).update(status_date=dt.date(2025, 3, 5))
    project.refresh_from_db()
    report = project_evm(project)
    # 40 h × 50 = 2,000 over 5 working days; Monday and Tuesday planned by Wednesday's end.
    assert report.metrics.pv == Decimal("800.00")  # Monday to Friday: 3 of 6 days, 1,000
    org.refresh_from_db()
    assert portfolio.metrics_of(org, [project])[project.pk].pv == Decimal("800.00")


@pytest.mark.parametrize("line_id", ["abc", "", "1.5", "-1", "99999999999999999999", "٣"])
def test_deleting_a_budget_line_by_a_bad_id_is_not_found(
    costed: Any, signed_in: Any, line_id: str
) -> None:
    """``action=delete_line&line_id=abc`` raised ValueError (500); a huge id overflowed SQLite."""
    from twofold.evm.models import BudgetLine

    url = f"/evm/projects/{costed['project'].pk}/"
    answer = signed_in(costed["manager"]).post(url, {"action": "delete_line", "line_id": line_id})
    assert answer.status_code == 404
    assert BudgetLine.objects.count() == 1


def test_deleting_a_budget_line_by_its_id(costed: Any, signed_in: Any) -> None:
    from twofold.evm.models import BudgetLine

    line = BudgetLine.objects.get()
    url = f"/evm/projects/{costed['project'].pk}/"
    answer = signed_in(costed["manager"]).post(url, {"action": "delete_line", "line_id": line.pk})
    assert answer.status_code == 302 and not BudgetLine.objects.exists()


def test_a_stale_budget_save_answers_the_budgets_current_state(
    costed: Any, api: Any, org: Any, owner: Any
) -> None:
    """``PUT …/budget`` with a stale version answered 409 with ``current`` = the project (its own
    version, 1), so a client retrying with that version looped on 409. Now the budget has a GET,
    and ``current`` is it."""
    project = costed["project"]
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/budget"
    client = api(owner)
    assert client.get(url).json() == {
        "project_id": project.pk,
        "labour_rate": "50.00",
        "version": 2,  # created at 1, set once by the fixture
    }
    assert client.put(url, {"labour_rate": "60", "version": 2}).json()["version"] == 3
    stale = client.put(url, {"labour_rate": "0", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"] == {
        "project_id": project.pk,
        "labour_rate": "60.00",
        "version": 3,
    }
    again = client.put(url, {"labour_rate": "0", "version": stale.json()["current"]["version"]})
    assert again.status_code == 200 and again.json()["labour_rate"] == "0.00"


def test_a_project_without_a_budget_reads_rate_0_at_the_version_its_first_save_takes(
    api: Any, org: Any, owner: Any
) -> None:
    from twofold.evm.models import ProjectBudget

    project = project_services.create_project(
        actor=owner, organisation=org, name="Empty", code="EMP", target_start=MONDAY
    )
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/budget"
    read = api(owner).get(url).json()
    assert (read["labour_rate"], read["version"]) == ("0.00", 1)
    assert not ProjectBudget.objects.filter(project=project).exists()  # a read writes nothing
    saved = api(owner).put(url, {"labour_rate": "40", "version": read["version"]})
    assert (saved.status_code, saved.json()["version"]) == (200, 2)


@pytest.mark.parametrize(
    ("bac", "ac", "expected"),
    [
        ("0", "592", [(Level.RED, "Spending without a budget: cost recorded, BAC 0")]),
        ("-100", "1", [(Level.RED, "Spending without a budget: cost recorded, BAC 0")]),
        ("0", "0", []),
        ("1000", "1000", [(Level.RED, "Budget spent: 100 % of BAC at 0 % earned")]),
    ],
)
def test_cost_without_a_budget_is_red(bac: str, ac: str, expected: list[Any]) -> None:
    """CI-05 has BAC 0; after 8 approved hours its AC was 592 and cost_reasons returned []
    (green), though AC at or above 100 % of BAC is red."""
    from twofold.engine.evm import Metrics

    m = Metrics(bac=Decimal(bac), pv=Decimal(0), ev=Decimal(0), ac=Decimal(ac))
    assert portfolio.cost_reasons(m) == expected


def test_the_earned_value_api_names_its_currency(
    costed: Any, owner: Any, org: Any, api: Any
) -> None:
    project = costed["project"]
    one = api(owner).get(f"/api/organisations/{org.pk}/projects/{project.pk}/earned-value")
    assert (one.status_code, one.json()["currency"]) == (200, "EUR")
    assert api(owner).get(f"/api/organisations/{org.pk}/earned-value").json()["currency"] == "EUR"


def test_cached_cost_figures_follow_every_cost_change_through_the_stamp(
    costed: Any, owner: Any, org: Any, member: Any
) -> None:
    """The portfolio keys its cached figures on the project's ``cost_stamp`` instead of reading
    every project's time, expenses and budget lines: each change that moves BAC or AC moves the
    stamp (a budget line added or removed, approved time, an approved expense, a baseline), so
    a figure cached before is never read after; a returned week moves no figure."""
    from twofold.costs import services as cost_services
    from twofold.costs.services import Cell

    project = costed["project"]

    def cached() -> Any:  # as the portfolio reads them: the organisation and project afresh
        org.refresh_from_db()
        return portfolio.metrics_of(org, [Project.objects.get(pk=project.pk)])[project.pk]

    def stamp() -> int:
        return Project.objects.values_list("cost_stamp", flat=True).get(pk=project.pk)

    assert (cached().bac, cached().ac) == (Decimal("7000.00"), Decimal("2500.00"))
    before = stamp()
    line = services.add_budget_line(
        actor=owner, project=project, category="travel", description="Site visit", amount=500
    )
    assert cached().bac == Decimal("7500.00") and stamp() == before + 1
    services.delete_budget_line(actor=owner, line=line)
    assert cached().bac == Decimal("7000.00") and stamp() == before + 2

    fitter = member(org, Role.MEMBER, full_name="Fay Fitter")
    Rate.objects.create(organisation=org, person=fitter, hourly=Decimal(40), effective_from=MONDAY)
    a = Task.objects.get(project=project, name="A")
    project_services.update_task(actor=owner, task=a, expected_version=a.version, assignee=fitter)
    sheet = cost_services.save_cells(
        actor=fitter,
        organisation=org,
        person=fitter,
        week_start=MONDAY,
        cells=[Cell(f"task:{a.pk}", MONDAY + dt.timedelta(days=1), "5")],
        expected_version=None,
    )
    cost_services.submit_timesheet(actor=fitter, timesheet=sheet, expected_version=None)
    ac = cached().ac
    sheet.refresh_from_db()
    cost_services.decide_timesheet(
        actor=owner, timesheet=sheet, approve=True, expected_version=sheet.version
    )
    assert cached().ac == ac + Decimal("200.00")  # 5 h × 40 on the Tuesday

    expense = cost_services.create_expense(
        actor=owner,
        organisation=org,
        spent_on=MONDAY + dt.timedelta(days=2),
        category="materials",
        amount="300",
        description="Bolts",
        project=project,
        today=MONDAY + dt.timedelta(days=4),
    )
    assert cached().ac == ac + Decimal("200.00")  # waits for approval: not a cost yet
    cost_services.decide_expense(
        actor=costed["manager"], expense=expense, approve=True, expected_version=expense.version
    )
    assert cached().ac == ac + Decimal("500.00")


def test_rates_are_frozen_with_the_baseline(costed: Any, owner: Any, org: Any) -> None:
    """A rate changed after the baseline moved BAC (and PV and EV) with it, so a pay rise
    entered in December re-priced the agreed budget. Now each task's cost is written into the
    baseline when it is saved, as Microsoft Project's Baseline Cost: a later rate moves the
    actual cost, not the budget, until the next baseline. Tasks baselined before any rate was
    known (the fixture's first baseline) are priced at the rates in force."""
    from twofold.projects.models import BaselineTask

    project = costed["project"]
    assert not BaselineTask.objects.filter(cost__isnull=False).exists()  # saved at rate 0
    assert project_evm(project).metrics.bac == Decimal("7000.00")  # 3 × 40 h × 50 + 1,000
    project_services.save_baseline(actor=owner, project=project, name="Priced")
    budget = services.budget_of(project)
    services.set_labour_rate(
        actor=owner, project=project, rate=Decimal(60), expected_version=budget.version
    )
    report = project_evm(project)
    assert report.metrics.bac == Decimal("7000.00")  # 8,200.00 before: 3 × 40 h × 60 + 1,000
    assert report.metrics.ev == Decimal("2000.00")  # A done: its frozen 2,000
    org.refresh_from_db()
    cached = portfolio.metrics_of(org, [Project.objects.get(pk=project.pk)])[project.pk]
    assert cached.bac == Decimal("7000.00")
    project_services.save_baseline(actor=owner, project=project, name="Re-priced")
    assert project_evm(project).metrics.bac == Decimal("8200.00")
    assert (
        sorted(
            BaselineTask.objects.filter(baseline__name="Re-priced", cost__isnull=False).values_list(
                "cost", flat=True
            )
        )
        == [Decimal("2400.00")] * 3
    )


def test_a_frozen_cost_at_the_largest_rate_and_duration_still_reads(
    org: Any, owner: Any, member: Any
) -> None:
    """A cost the services accept (the largest rate × a 2,000-day task) did not fit the frozen
    cost's column: on SQLite every later read of the project's figures raised (a lasting 500
    on its earned-value page and the portfolio), on PostgreSQL the baseline could not be saved."""
    worker = member(org, Role.MEMBER, full_name="Wes Worker")
    Rate.objects.create(
        organisation=org, person=worker, hourly=Decimal("99999999.99"), effective_from=MONDAY
    )
    project = project_services.create_project(
        actor=owner, organisation=org, name="Dam", code="DAM", target_start=MONDAY
    )
    project_services.create_task(
        actor=owner, project=project, name="Pour", duration_minutes=2000 * 480, assignee=worker
    )
    project_services.save_baseline(actor=owner, project=project, name="Plan")
    project.refresh_from_db()
    assert project_evm(project).metrics.bac == Decimal("1599999999840.00")  # 16,000 h
    org.refresh_from_db()
    figures = portfolio.metrics_of(org, [Project.objects.get(pk=project.pk)])
    assert figures[project.pk].bac == Decimal("1599999999840.00")


def test_a_change_preview_shows_the_re_pricing_its_approval_brings(costed: Any, owner: Any) -> None:
    """With costs frozen in the baseline, a change's preview priced "before" at today's rates
    (8,200 → 8,200) while the budget was 7,000: approving it (a new baseline at today's rates)
    moved BAC by 1,200 the decider never saw."""
    from twofold.changes.impact import compute_impact

    project = costed["project"]
    project_services.save_baseline(actor=owner, project=project, name="Priced")
    budget = services.budget_of(project)
    services.set_labour_rate(
        actor=owner, project=project, rate=Decimal(60), expected_version=budget.version
    )
    impact = compute_impact(project, [], Decimal(0))
    assert (impact["before"]["bac"], impact["after"]["bac"]) == ("7000.00", "8200.00")


def test_time_phased_ev_scales_the_snapshots_to_the_status_date_ev(
    org: Any, owner: Any, member: Any
) -> None:
    """EV is budget-weighted; the snapshots hold the duration-weighted percent. An earlier
    point is EV × its percent ÷ today's percent (docs/earned-value.md, which claimed percent ×
    BAC: 1,250 here, above the status-date EV of a project that has only progressed), and
    never above BAC (a day reported at 75 % then revised to 50 % showed 6,000 of 5,000)."""
    from twofold.projects.models import ProgressSnapshot

    dear = member(org, Role.MEMBER)
    Rate.objects.create(organisation=org, person=dear, hourly=Decimal(100), effective_from=MONDAY)
    project = project_services.create_project(
        actor=owner, organisation=org, name="P", code="P", target_start=MONDAY
    )
    create = project_services.create_task
    a, _ = create(actor=owner, project=project, name="A", duration_minutes=2400, assignee=dear)
    create(actor=owner, project=project, name="B", duration_minutes=2400)
    services.set_labour_rate(actor=owner, project=project, rate=Decimal(25), expected_version=None)
    project_services.save_baseline(actor=owner, project=project, name="Plan")
    a.refresh_from_db()  # A 4,000 (40 h × 100), B 1,000 (40 h × 25 an hour): BAC 5,000
    project_services.update_task(
        actor=owner, task=a, expected_version=a.version, percent_complete=100
    )
    Project.objects.filter(pk=project.pk).update(status_date=dt.date(2025, 3, 17))
    for day, pc in ((dt.date(2025, 3, 5), 25.0), (dt.date(2025, 3, 10), 75.0)):
        ProgressSnapshot.objects.update_or_create(
            project=project,
            date=day,
            defaults={"organisation": org, "percent_complete": pc, "percent_planned": 50.0},
        )
    project.refresh_from_db()
    report = project_evm(project)
    assert (report.metrics.bac, report.metrics.ev, project.percent_complete) == (
        Decimal("5000.00"),
        Decimal("4000.00"),
        50.0,
    )
    assert [(p.day, p.ev) for p in report.curve] == [
        (dt.date(2025, 3, 9), Decimal("2000.00")),  # 4,000 × 25 / 50
        (dt.date(2025, 3, 16), Decimal("5000.00")),  # 4,000 × 75 / 50 = 6,000: at most BAC
        (dt.date(2025, 3, 17), Decimal("4000.00")),  # the status date: exact
        (dt.date(2025, 3, 23), None),
    ]


def test_a_cent_earned_of_a_huge_budget_still_answers(
    org: Any, owner: Any, signed_in: Any, api: Any
) -> None:
    """EV of 0.01 against a BAC near 100 billion and AC near 10 billion: EAC = AC + (BAC − EV)
    / (CPI × SPI) has 37 digits before the point, and its rounding to the cent raised
    InvalidOperation: the page, the exports, the roll-up and both APIs answered 500."""
    from twofold.costs.models import Expense

    project = project_services.create_project(
        actor=owner, organisation=org, name="Huge", code="HU", target_start=MONDAY
    )
    create = project_services.create_task
    a, _ = create(actor=owner, project=project, name="A", duration_minutes=60)
    phase, _ = create(actor=owner, project=project, name="Phase")
    create(actor=owner, project=project, name="B", parent=phase, duration_minutes=480)
    services.set_labour_rate(actor=owner, project=project, rate=Decimal(1), expected_version=None)
    services.add_budget_line(
        actor=owner,
        project=project,
        category="materials",
        description="Plant",
        amount=Decimal("99999999999.99"),
        account=Task.objects.get(pk=phase.pk),
    )
    project_services.save_baseline(actor=owner, project=project, name="Plan")
    Task.objects.filter(pk=a.pk).update(percent_complete=1)
    Expense.objects.create(
        organisation=org,
        project=project,
        spent_on=MONDAY,
        category="materials",
        amount=Decimal("9999999999.99"),
        description="Deposit",
        status=EntryStatus.APPROVED,
    )
    Project.objects.filter(pk=project.pk).update(status_date=dt.date(2025, 3, 31))
    project.refresh_from_db()
    m = project_evm(project).metrics
    assert (m.ev, m.ac, m.pv, m.bac) == (
        Decimal("0.01"),
        Decimal("9999999999.99"),
        Decimal("100000000008.99"),
        Decimal("100000000008.99"),
    )
    assert m.eac_cpi_spi is not None and m.eac_cpi_spi > Decimal("1E36")
    client = signed_in(owner)
    for url in (
        f"/evm/projects/{project.pk}/",
        f"/evm/projects/{project.pk}/export/?format=csv",
        f"/evm/projects/{project.pk}/export/?format=xlsx",
        "/evm/",
        f"/projects/{project.pk}/",
        "/",
    ):
        assert client.get(url).status_code == 200, url
    for url in (
        f"/api/organisations/{org.pk}/projects/{project.pk}/earned-value",
        f"/api/organisations/{org.pk}/earned-value",
    ):
        assert api(owner).get(url).status_code == 200, url
