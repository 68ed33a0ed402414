"""Cost pages and API: the week grid, approval, expenses, rates, budgets, exports; who sees money."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

from twofold.core.errors import Invalid
from twofold.costs import services
from twofold.costs.models import CostSettings, EntryStatus, Expense, TimeEntry, Timesheet
from twofold.costs.services import Cell

from .conftest import MONDAY


def _post_week(client: Any, cells: dict[str, str], **extra: str) -> Any:
    return client.post(
        f"/costs/timesheet/?week={MONDAY.isoformat()}",
        {"week": MONDAY.isoformat(), "version": "1", **cells, **extra},
    )


def test_week_grid_saves_and_submits_in_constant_queries(
    signed_in: Any, worker: Any, tasks: list[Any], process: Any, django_assert_max_num_queries: Any
) -> None:
    tasks[0].assignee = worker
    tasks[0].save()
    client = signed_in(worker)
    with django_assert_max_num_queries(30):
        page = client.get(f"/costs/timesheet/?week={MONDAY.isoformat()}")
    assert page.status_code == 200 and "Design" in page.content.decode()
    key = f"h|task:{tasks[0].pk}|{MONDAY.isoformat()}"
    bad = _post_week(client, {key: "-3"})
    assert bad.status_code == 422 and "cannot be negative" in bad.content.decode()
    assert 'value="-3"' in bad.content.decode() and TimeEntry.objects.count() == 0
    done = _post_week(
        client, {key: "7,5", f"h|process:{process.pk}|{MONDAY.isoformat()}": "1"}, submit="1"
    )
    assert done.status_code == 302
    assert sorted(TimeEntry.objects.values_list("hours", "status")) == [
        (Decimal("1.00"), "submitted"),
        (Decimal("7.50"), "submitted"),
    ]
    from twofold.operations.models import Process

    sheet = Timesheet.objects.get(person=worker)
    more = Process.objects.bulk_create(
        Process(organisation_id=process.organisation_id, name=f"Process {i}") for i in range(8)
    )
    TimeEntry.objects.bulk_create(  # eight more lines: the same number of queries
        TimeEntry(
            organisation_id=p.organisation_id,
            timesheet=sheet,
            person=worker,
            day=MONDAY,
            hours=Decimal(1),
            kind="process",
            process=p,
        )
        for p in more
    )
    with django_assert_max_num_queries(30):
        assert client.get(f"/costs/timesheet/?week={MONDAY.isoformat()}").status_code == 200


def test_approval_page_by_the_manager_and_members_see_hours_not_money(
    signed_in: Any, org: Any, worker: Any, pm: Any, tasks: list[Any], process: Any, rate: Any
) -> None:
    rate("50", dt.date(2026, 1, 1), person=worker)
    CostSettings.objects.create(organisation=org, currency="GBP", locale="en-GB")
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
    client = signed_in(pm)
    assert "Wes Worker" in client.get("/costs/approvals/").content.decode()
    page = client.get(f"/costs/approvals/{sheet.pk}/")
    assert page.status_code == 200 and "yours" in page.content.decode()
    assert (
        client.post(
            f"/costs/approvals/{sheet.pk}/", {"version": sheet.version, "approve": "1"}
        ).status_code
        == 302
    )
    assert TimeEntry.objects.get().status == EntryStatus.APPROVED
    costs = client.get(f"/costs/projects/{tasks[0].project_id}/").content.decode()
    assert "£400" in costs  # the manager sees money, in the organisation's currency
    member_view = signed_in(worker).get(f"/costs/projects/{tasks[0].project_id}/").content.decode()
    assert "8 h" in member_view and "£" not in member_view
    assert signed_in(worker).get("/costs/rates/").status_code == 403
    assert signed_in(worker).get(f"/costs/processes/{process.pk}/budget/").status_code == 403


def test_other_organisations_get_404(
    signed_in: Any, outsider: Any, tasks: list[Any], process: Any, org: Any, worker: Any
) -> None:
    sheet = Timesheet.objects.create(organisation=org, person=worker, week_start=MONDAY)
    client = signed_in(outsider)
    for url in (
        f"/costs/approvals/{sheet.pk}/",
        f"/costs/projects/{tasks[0].project_id}/",
        f"/costs/processes/{process.pk}/budget/",
    ):
        assert client.get(url).status_code == 404, url


def test_process_budget_page_with_chart(
    signed_in: Any, admin: Any, process: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(admin)
    assert (
        client.post(
            f"/costs/processes/{process.pk}/budget/?fy=2026",
            {"fiscal_year": "2026", "amount": "48000"},
        ).status_code
        == 302
    )
    with django_assert_max_num_queries(20):
        page = client.get(f"/costs/processes/{process.pk}/budget/?fy=2026")
    html = page.content.decode()
    assert "€48,000" in html and "pb-budget" in html


def test_exports_neutralise_formulas_and_keep_numbers_and_dates(
    signed_in: Any, org: Any, owner: Any, worker: Any, project: Any
) -> None:
    from openpyxl import load_workbook

    Expense.objects.create(
        organisation=org,
        project=project,
        spent_on=MONDAY,
        category="services",
        amount=Decimal("1234.50"),
        description='=HYPERLINK("x")',
        supplier="@evil",
        submitted_by=worker,
    )
    client = signed_in(owner)
    csv = b"".join(
        client.get("/costs/export/expenses.csv?from=2026-01-01&to=2026-12-31").streaming_content
    ).decode()
    assert "'=HYPERLINK" in csv and "'@evil" in csv and "1234.50" in csv
    xlsx = client.get("/costs/export/expenses.xlsx?from=2026-01-01&to=2026-12-31")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    row = [c.value for c in ws[2]]
    assert row[0] == dt.datetime(2026, 3, 2) and row[7] == 1234.5
    assert row[5] == '\'=HYPERLINK("x")' and ws.cell(2, 6).data_type == "s"
    assert client.get("/costs/export/expenses.pdf").status_code == 404


def test_api_logs_a_week_and_refuses_bad_hours(
    api: Any, org: Any, worker: Any, pm: Any, tasks: list[Any]
) -> None:
    url = f"/api/organisations/{org.pk}/timesheet"
    line = f"task:{tasks[0].pk}"
    bad = api(worker)._call(
        "put",
        url,
        {
            "week": MONDAY.isoformat(),
            "cells": [{"line": line, "day": MONDAY.isoformat(), "hours": 25}],
        },
    )
    assert bad.status_code == 422
    ok = api(worker)._call(
        "put",
        url,
        {
            "week": MONDAY.isoformat(),
            "cells": [{"line": line, "day": MONDAY.isoformat(), "hours": 6.5}],
        },
    )
    assert ok.status_code == 200 and ok.json()["total"] == "6.50"
    sheet = Timesheet.objects.get()
    sent = api(worker).post(
        f"/api/organisations/{org.pk}/timesheets/{sheet.pk}/submit",
        {"version": ok.json()["version"]},
    )
    assert sent.status_code == 200
    first = api(pm).post(
        f"/api/organisations/{org.pk}/timesheets/{sheet.pk}/decision",
        {"version": sent.json()["version"], "approve": True},
    )
    again = api(pm).post(
        f"/api/organisations/{org.pk}/timesheets/{sheet.pk}/decision",
        {"version": sent.json()["version"], "approve": True},
    )
    assert (first.status_code, first.json()["entries"], again.status_code) == (200, 1, 409)
    entries = (
        api(worker)
        .get(f"/api/organisations/{org.pk}/time-entries?from=2026-03-01&to=2026-03-31")
        .json()
    )
    assert [(e["hours"], e["status"]) for e in entries] == [("6.50", "approved")]
    assert api(worker).get(f"/api/organisations/{org.pk}/rates").status_code == 403


def test_capacity_cell_shows_actual_hours_beside_planned(
    signed_in: Any,
    org: Any,
    worker: Any,
    owner: Any,
    admin: Any,
    process: Any,
    django_assert_max_num_queries: Any,
) -> None:
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[
            Cell(f"process:{process.pk}", MONDAY, "6.5"),
            Cell(f"process:{process.pk}", MONDAY + dt.timedelta(days=2), "2"),
        ],
        expected_version=None,
    )
    client = signed_in(owner)
    cell = f"/capacity/cell/?person={worker.pk}&week={MONDAY.isoformat()}"
    grid = f"/capacity/?start={MONDAY.isoformat()}&weeks=4"
    text = client.get(cell).content.decode()
    assert "<strong>0 h</strong> approved · 0 h logged" in text  # drafts are not actuals yet
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    text = client.get(cell).content.decode()
    assert "<strong>0 h</strong> approved · 8.5 h logged" in text
    with django_assert_max_num_queries(60) as before:
        text = client.get(grid).content.decode()
    queries = len(before.captured_queries)
    assert "hours actual" not in text  # submitted is not actual yet
    sheet.refresh_from_db()
    services.decide_timesheet(
        actor=admin, timesheet=sheet, approve=True, expected_version=sheet.version
    )
    assert "<strong>8.5 h</strong> approved · 8.5 h logged" in client.get(cell).content.decode()
    # The grid cell of that week: the approved hours beside the planned ones, same queries.
    with django_assert_max_num_queries(queries):
        text = client.get(grid).content.decode()
    assert '<span class="cap-actual" aria-hidden="true">act 8.5</span>' in text
    assert "8.5 hours actual (approved timesheets)" in text


def test_week_rows_show_each_state_escaped_in_constant_queries(
    signed_in: Any,
    org: Any,
    worker: Any,
    admin: Any,
    tasks: list[Any],
    process: Any,
    django_assert_num_queries: Any,
) -> None:
    """The rows built in Python (costs/grid_html.py): approved cells take corrections, returned
    lines show their reason, submitted cells are read-only, every text is escaped."""
    from twofold.projects.models import Task

    Task.objects.filter(pk=tasks[0].pk).update(name='Design <b>"x"</b> & co')
    task_line, process_line = f"task:{tasks[0].pk}", f"process:{process.pk}"
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[
            Cell(process_line, MONDAY, "6.5"),
            Cell(task_line, MONDAY + dt.timedelta(days=1), "2"),
        ],
        expected_version=None,
    )
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    sheet.refresh_from_db()
    services.decide_timesheet(
        actor=admin,
        timesheet=sheet,
        approve=True,
        expected_version=sheet.version,
        lines=[process_line],
    )
    client = signed_in(worker)
    week = f"/costs/timesheet/?week={MONDAY.isoformat()}"
    html = client.get(week).content.decode()
    label = "Design &lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; co"
    assert f'<label class="visually-hidden" for="c-1-2">{label}, Tue 3 Mar 2026</label>' in html
    assert (
        f'<input id="c-1-2" name="h|{task_line}|2026-03-03" inputmode="decimal" '
        'autocomplete="off" size="4" value="2" readonly aria-describedby="ts-locked-help" '
        'data-cell data-col="1">'
    ) in html
    assert '<span class="badge badge-blue">Submitted</span>' in html
    assert f'aria-label="Start a timer on {label}">Start timer</button>' in html
    assert (
        f'name="h|{process_line}|2026-03-02" inputmode="decimal" autocomplete="off" size="4" '
        'value="6.5" aria-describedby="ts-approved-help" data-cell data-col="0">'
    ) in html
    assert '<span class="badge badge-green">Approved</span>' in html
    assert '<td class="num" data-row-total>6.5</td>' in html and "<b>" not in html
    sheet.refresh_from_db()
    services.decide_timesheet(
        actor=admin,
        timesheet=sheet,
        approve=False,
        expected_version=sheet.version,
        reason="Which <i>phase</i>?",
        lines=[task_line],
    )
    # session, user with memberships; sheet, entries; open work (4); lines (task, process);
    # availability (3); timer; the lines to add (3)
    with django_assert_num_queries(16):
        html = client.get(week).content.decode()
    assert '<span class="badge badge-red">Returned</span>' in html
    assert "Returned: Which &lt;i&gt;phase&lt;/i&gt;?" in html
    assert 'value="2" data-cell data-col="1">' in html  # editable again
    typed = _post_week(client, {f"h|{task_line}|2026-03-03": '<x">'})
    assert typed.status_code == 422 and 'value="&lt;x&quot;&gt;"' in typed.content.decode()


def test_a_stale_process_budget_is_refused_on_the_page_and_the_api(
    signed_in: Any, admin: Any, process: Any, org: Any, api: Any
) -> None:
    """Two people setting one fixed annual budget: the second, working from what they read
    before the first saved, is told instead of silently overwriting it (until 2026-12-05 the
    API ignored ``version`` and the page sent none)."""
    from twofold.costs.models import ProcessBudget

    url = f"/api/organisations/{org.pk}/processes/{process.pk}/budget"
    assert api(admin).get(f"{url}?fiscal_year=2026").json()["version"] == 0
    first = api(admin).put(url, {"fiscal_year": 2026, "amount": "50000", "version": 0})
    assert (first.status_code, first.json()["version"]) == (200, 1)
    stale = api(admin).put(url, {"fiscal_year": 2026, "amount": "90000", "version": 0})
    assert stale.status_code == 409
    assert ProcessBudget.objects.get(process=process, fiscal_year=2026).amount == 50000
    page_url = f"/costs/processes/{process.pk}/budget/?fy=2026"
    client = signed_in(admin)
    assert b'name="version" value="1"' in client.get(page_url).content
    refused = client.post(page_url, {"fiscal_year": "2026", "amount": "70000", "version": "0"})
    assert refused.status_code == 409
    assert b"Someone else set this budget since you read it" in refused.content
    saved = client.post(page_url, {"fiscal_year": "2026", "amount": "70000", "version": "1"})
    assert saved.status_code == 302
    assert ProcessBudget.objects.get(process=process, fiscal_year=2026).amount == 70000


def test_the_process_owner_reads_the_budget_and_an_admin_sets_it(
    signed_in: Any, owner: Any, worker: Any, process: Any, org: Any, api: Any
) -> None:
    """The current year's budget is the process's annual budget, which only those who manage
    the process edit: until 2026-12-05 its owner (a member) could change it here, though not
    on the process page."""
    from twofold.costs.models import ProcessBudget
    from twofold.operations import services as ops_services

    process = ops_services.update_process(
        actor=owner, process=process, expected_version=process.version, owner=worker
    )
    services.set_process_budget(actor=owner, process=process, fiscal_year=2026, amount="40000")
    page_url = f"/costs/processes/{process.pk}/budget/?fy=2026"
    client = signed_in(worker)
    page = client.get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "40,000" in html and "Save budget" not in html
    assert "An admin sets the process's budget." in html
    refused = client.post(page_url, {"fiscal_year": "2026", "amount": "1", "version": "1"})
    assert refused.status_code == 403
    url = f"/api/organisations/{org.pk}/processes/{process.pk}/budget"
    assert api(worker).get(f"{url}?fiscal_year=2026").json()["budget"] == "40000.00"
    put = api(worker).put(url, {"fiscal_year": 2026, "amount": "1", "version": 1})
    assert put.status_code == 403
    assert ProcessBudget.objects.get(process=process, fiscal_year=2026).amount == 40000
    owner_page = signed_in(owner).get(page_url).content.decode()
    assert "Save budget" in owner_page


def test_the_timer_goes_back_only_to_a_page_of_this_site(
    signed_in: Any, worker: Any, tasks: list[Any]
) -> None:
    client = signed_in(worker)
    line = f"task:{tasks[0].pk}"
    for target, expected in (
        ("/costs/approvals/", "/costs/approvals/"),
        ("/\\evil.example/", "/costs/timesheet/"),
        ("//evil.example/", "/costs/timesheet/"),
        ("https://evil.example/", "/costs/timesheet/"),
    ):
        client.post("/costs/timer/stop/", {"next": "/"})
        started = client.post("/costs/timer/start/", {"line": line, "next": target})
        assert (started.status_code, started["Location"]) == (302, expected), target


def test_time_on_a_task_in_the_trash_or_deleted_stays_and_the_week_still_opens(
    signed_in: Any, org: Any, owner: Any, worker: Any, pm: Any, tasks: list[Any]
) -> None:
    """Until 2026-12-05 the week and its approval page answered 500 once the task went to the
    trash ("No such line here"), and deleting it for good deleted its approved hours."""
    from twofold.core import trash
    from twofold.core.models import TrashEntry
    from twofold.costs.selectors import project_actuals
    from twofold.projects import services as project_services

    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[Cell(f"task:{tasks[0].pk}", MONDAY, "8"), Cell(f"task:{tasks[1].pk}", MONDAY, "1")],
        expected_version=None,
    )
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    sheet.refresh_from_db()
    services.decide_timesheet(
        actor=pm, timesheet=sheet, approve=True, expected_version=sheet.version
    )
    project_services.delete_task(actor=owner, task=tasks[0])
    week = f"/costs/timesheet/?week={MONDAY.isoformat()}"
    client = signed_in(worker)
    page = client.get(week)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Design (in the trash)" in html and "Kept as logged; no more hours here" in html
    assert f'name="h|task:{tasks[0].pk}|' not in html  # shown, not posted
    assert signed_in(pm).get(f"/costs/approvals/{sheet.pk}/").status_code == 200
    assert f'name="h|task:{tasks[1].pk}|' in html  # the other lines are as before
    entry = TrashEntry.objects.get(kind="projects.task", object_id=tasks[0].pk)
    trash.purge_now(actor=owner, organisation=org, entry_id=entry.pk)
    kept = TimeEntry.objects.get(hours=8)
    assert (kept.task_id, kept.project_id, kept.status) == (None, tasks[0].project_id, "approved")
    assert sum(r.hours for r in project_actuals(tasks[0].project)) == 8 + 1
    html = signed_in(worker).get(week).content.decode()
    assert "A deleted task" in html


def test_draft_hours_on_a_task_in_the_trash_can_be_cleared_not_changed(
    signed_in: Any, org: Any, owner: Any, worker: Any, tasks: list[Any]
) -> None:
    """A gone line was read-only, so draft hours on it could be neither cleared nor kept out of
    the next submission (a review of the day's fixes found it)."""
    from twofold.projects import services as project_services

    services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[Cell(f"task:{tasks[0].pk}", MONDAY, "3")],
        expected_version=None,
    )
    project_services.delete_task(actor=owner, task=tasks[0])
    week = f"/costs/timesheet/?week={MONDAY.isoformat()}"
    client = signed_in(worker)
    name = f"h|task:{tasks[0].pk}|{MONDAY.isoformat()}"
    assert f'name="{name}"' in client.get(week).content.decode()  # waiting hours: clearable
    version = str(Timesheet.objects.get(person=worker).version)
    refused = client.post(week, {"week": MONDAY.isoformat(), "version": version, name: "5"})
    assert refused.status_code == 422
    assert "is no longer here: its hours can only be cleared" in refused.content.decode()
    cleared = client.post(week, {"week": MONDAY.isoformat(), "version": version, name: ""})
    assert cleared.status_code == 302
    assert not TimeEntry.objects.filter(person=worker).exists()


def test_the_currency_and_locale_are_set_through_the_api_as_on_the_rates_page(
    api, org, owner, member
):
    """The rates page's settings form had no API route: API clients could read amounts in the
    currency but never set it."""
    from twofold.accounts.models import Role
    from twofold.core.models import HistoryEntry

    url = f"/api/organisations/{org.pk}/settings/costs"
    assert api(owner).get(url).json() == {"currency": "EUR", "locale": "en-GB", "version": 0}
    r = api(owner).put(url, {"currency": "gbp", "locale": "en-GB"})
    assert r.status_code == 200 and r.json() == {
        "currency": "GBP",
        "locale": "en-GB",
        "version": 2,
    }
    stale = api(owner).put(url, {"currency": "USD", "locale": "en-GB", "version": 0})
    assert stale.status_code == 409
    bad = api(owner).put(url, {"currency": "XYZ", "locale": "en-GB", "version": 2})
    assert bad.status_code == 422 and bad.json()["field"] == "currency"
    someone = api(member(org, Role.MEMBER))
    assert someone.put(url, {"currency": "USD", "locale": "en-GB"}).status_code == 403
    assert api(owner).get(url).json()["currency"] == "GBP"
    [entry] = HistoryEntry.objects.filter(action="updated", changes__has_key="currency")
    assert entry.changes["currency"] == ["EUR", "GBP"]


def test_guests_and_members_see_no_budget_amounts(
    client: Any, org: Any, owner: Any, member: Any
) -> None:
    """A process's budget panel, the overview's "Budget used" and a project's budget ceiling
    showed amounts to guests and to members who neither own the process nor manage the
    project (a crawl of the demo found them)."""
    from decimal import Decimal

    from twofold.accounts.models import Role
    from twofold.operations import services as ops
    from twofold.projects import services as ps

    process = ops.create_process(actor=owner, organisation=org, name="Assembly")
    ops.update_process(
        actor=owner,
        process=process,
        expected_version=process.version,
        annual_budget=Decimal(250000),
    )
    project = ps.create_project(
        actor=owner, organisation=org, name="Line 4", code="L4", budget_ceiling=Decimal(90000)
    )
    pages = [f"/operations/processes/{process.pk}/", "/operations/", f"/projects/{project.pk}/"]
    client.force_login(owner)
    seen = [client.get(url).content.decode() for url in pages]
    assert "Budget" in seen[0] and "Budget used" in seen[1] and "Budget ceiling" in seen[2]
    for role in (Role.GUEST, Role.MEMBER):
        client.force_login(member(org, role))
        shown = [client.get(url).content.decode() for url in pages]
        assert 'id="budget-title"' not in shown[0]
        assert "Budget used" not in shown[1]
        assert "Budget ceiling" not in shown[2] and "90,000" not in shown[2]


def test_a_processs_annual_budget_is_money_on_the_page_and_the_api(client, api, org, owner, member):
    """The About panel and the API's process showed the annual budget to guests and members."""
    from decimal import Decimal

    from twofold.accounts.models import Role
    from twofold.operations import services as ops

    process = ops.create_process(actor=owner, organisation=org, name="Assembly")
    ops.update_process(
        actor=owner,
        process=process,
        expected_version=process.version,
        annual_budget=Decimal(250000),
    )
    assert api(owner).get(f"/api/processes/{process.pk}").json()["annual_budget"] == "250000.00"
    guest = member(org, Role.GUEST)
    client.force_login(guest)
    assert "250,000" not in client.get(f"/operations/processes/{process.pk}/").content.decode()
    assert api(guest).get(f"/api/processes/{process.pk}").json()["annual_budget"] is None
    listed = api(guest).get(f"/api/organisations/{org.pk}/processes").json()
    assert [p["annual_budget"] for p in listed] == [None]
    client.force_login(member(org, Role.MEMBER))
    assert "Log time on your timesheet" in client.get("/my-work/").content.decode()
    client.force_login(guest)
    assert "Log time on your timesheet" not in client.get("/my-work/").content.decode()


@pytest.mark.parametrize("year", ["1950", "1999", "2101", "2200"])
def test_a_budget_for_a_year_the_page_cannot_show_is_refused(
    signed_in: Any, admin: Any, process: Any, year: str
) -> None:
    """``fiscal_year=1950`` was saved (the service took 1900–2200) though the page and the API
    show 2000–2100 only: a budget nobody could ever see again."""
    from twofold.costs.models import ProcessBudget

    url = f"/costs/processes/{process.pk}/budget/"
    answer = signed_in(admin).post(url, {"fiscal_year": year, "amount": "5000", "version": "0"})
    assert answer.status_code == 400
    assert "Choose a fiscal year from 2000 to 2100" in answer.content.decode()
    with pytest.raises(Invalid, match="from 2000 to 2100") as refused:
        services.set_process_budget(actor=admin, process=process, fiscal_year=int(year), amount=1)
    assert refused.value.field == "fiscal_year"
    assert not ProcessBudget.objects.exists()
    saved = signed_in(admin).post(url, {"fiscal_year": "2100", "amount": "5000", "version": "0"})
    assert saved.status_code == 302 and ProcessBudget.objects.get().fiscal_year == 2100


def test_what_one_may_not_see_answers_404_as_what_does_not_exist(
    signed_in: Any, api: Any, org: Any, member: Any, worker: Any, pm: Any, tasks: list[Any]
) -> None:
    """A member got 403 on another's expense, its attachment and a week they do not decide, but
    404 for ids that do not exist: an existence oracle. The API's decision answered 403 too."""
    from twofold.accounts.models import Role

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
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    sheet.refresh_from_db()
    someone = member(org, Role.MEMBER)
    client = signed_in(someone)
    for pk, week in ((expense.pk, sheet.pk), (expense.pk + 1000, sheet.pk + 1000)):
        assert client.get(f"/costs/expenses/{pk}/").status_code == 404
        assert client.post(f"/costs/expenses/{pk}/", {"approve": "1"}).status_code == 404
        assert client.get(f"/costs/expenses/{pk}/attachment/").status_code == 404
        assert client.get(f"/costs/approvals/{week}/").status_code == 404
        decided = api(someone).post(
            f"/api/organisations/{org.pk}/timesheets/{week}/decision",
            {"version": sheet.version, "approve": True},
        )
        assert decided.status_code == 404
    assert Expense.objects.get().status == EntryStatus.SUBMITTED
    assert TimeEntry.objects.get().status == EntryStatus.SUBMITTED
    # who may see them still does: the person and the manager
    assert signed_in(worker).get(f"/costs/expenses/{expense.pk}/").status_code == 200
    assert signed_in(pm).get(f"/costs/approvals/{sheet.pk}/").status_code == 200


def test_a_returned_expense_is_corrected_and_resubmitted_on_the_page_and_the_api(
    org: Any, worker: Any, pm: Any, project: Any, signed_in: Any, api: Any
) -> None:
    """The service existed, but no page or API route called it: a returned expense could be
    neither corrected nor sent again."""
    from twofold.costs.models import Expense

    expense = services.create_expense(
        actor=worker, organisation=org, project=project, spent_on=MONDAY, category="travel",
        amount="80", description="Taxi", today=MONDAY,
    )  # fmt: skip
    services.decide_expense(
        actor=pm, expense=expense, approve=False, expected_version=expense.version,
        reason="Receipt says 68",
    )  # fmt: skip
    expense.refresh_from_db()
    page = f"/costs/expenses/{expense.pk}/"
    client = signed_in(worker)
    html = client.get(page).content.decode()
    assert "Correct and resubmit" in html and "Receipt says 68" in html
    bad = client.post(page, {"resubmit": "1", "version": expense.version, "amount": "-3",
                             "description": "Taxi"})  # fmt: skip
    assert bad.status_code == 400
    done = client.post(page, {"resubmit": "1", "version": expense.version, "amount": "68",
                              "description": "Taxi to the plant"})  # fmt: skip
    assert done.status_code == 302
    expense.refresh_from_db()
    assert (expense.status, expense.amount, expense.description) == (
        "submitted", Decimal("68.00"), "Taxi to the plant",
    )  # fmt: skip
    # Returned again, corrected through the API; a stale version is 409.
    services.decide_expense(
        actor=pm, expense=expense, approve=False, expected_version=expense.version,
        reason="Date?",
    )  # fmt: skip
    expense.refresh_from_db()
    url = f"/api/organisations/{org.pk}/expenses/{expense.pk}/resubmit"
    assert api(worker).post(url, {"version": expense.version - 1}).status_code == 409
    answer = api(worker).post(url, {"version": expense.version, "amount": "67.50"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "submitted"
    assert Expense.objects.get(pk=expense.pk).amount == Decimal("67.50")
    assert api(pm).post(url, {"version": expense.version + 1}).status_code == 403
    # Only whoever recorded it is offered the form (the signed-in client is now the manager).
    assert "Correct and resubmit" not in signed_in(pm).get(page).content.decode()


def test_the_approval_page_reads_the_same_queries_for_1_or_5_entries(
    signed_in: Any, owner: Any, worker: Any, tasks: list[Any]
) -> None:
    """Its decidable entries were read through the sheet's related manager without the sheet's
    id in ``only()``: Django read that id again for every entry (a review found it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(owner)
    counts = []
    for week, days in ((MONDAY, 1), (MONDAY + dt.timedelta(days=7), 5)):
        sheet = services.save_cells(
            actor=worker,
            organisation=worker.memberships.get().organisation,
            person=worker,
            week_start=week,
            cells=[
                Cell(f"task:{tasks[0].pk}", week + dt.timedelta(days=d), "4") for d in range(days)
            ],
            expected_version=None,
        )
        services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
        client.get(f"/costs/approvals/{sheet.pk}/")  # warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/costs/approvals/{sheet.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_actual_work_rows_add_up_to_the_totals(
    signed_in: Any, org: Any, owner: Any, worker: Any, tasks: list[Any], rate: Any
) -> None:
    """The totals counted approved time of tasks in the trash or deleted and expenses with no
    task, but no row showed them: the rows came to 8 h / €400 under totals of 14 h / €850."""
    import re

    from twofold.costs.models import LineKind
    from twofold.projects import services as project_services

    rate("50", dt.date(2026, 1, 1), person=worker)
    project = tasks[0].project
    sheet = Timesheet.objects.create(organisation=org, person=worker, week_start=MONDAY)
    for task, hours in ((tasks[0], "8"), (tasks[1], "4"), (None, "2")):  # None: task deleted
        TimeEntry.objects.create(
            organisation=org,
            timesheet=sheet,
            person=worker,
            day=MONDAY,
            hours=Decimal(hours),
            kind=LineKind.TASK,
            task=task,
            project=project,
            status=EntryStatus.APPROVED,
        )
    Expense.objects.create(
        organisation=org,
        submitted_by=worker,
        project=project,
        spent_on=MONDAY,
        amount=Decimal("150"),
        category="travel",
        description="Site visit",
        status=EntryStatus.APPROVED,
    )
    project_services.delete_task(actor=owner, task=tasks[1])  # "Build" to the trash
    page = re.sub(
        r"\s+", " ", signed_in(owner).get(f"/costs/projects/{project.pk}/").content.decode()
    )
    assert "<strong>14 h</strong>" in page and "<strong>€850</strong>" in page
    rows = re.findall(r"<tr><td>([^<]*)</td>.*?</tr>", page)
    assert rows == [
        "Design",
        "Kick-off",
        "Build (in the trash)",
        "Deleted tasks",
        "Project expenses (no task)",
    ]
    for label, hours, cost in (
        ("Build (in the trash)", "4 h", "€200.00"),
        ("Deleted tasks", "2 h", "€100.00"),
        ("Project expenses (no task)", "0 h", "€150.00"),
    ):
        assert re.search(
            rf"<td>{re.escape(label)}</td><td class=\"num\">—</td><td class=\"num\">{hours}</td>"
            rf"<td class=\"num\">—</td><td class=\"num\">{re.escape(cost)}</td>",
            page,
        ), label
    # Who sees no money sees the hours rows only.
    member = re.sub(
        r"\s+", " ", signed_in(worker).get(f"/costs/projects/{project.pk}/").content.decode()
    )
    assert re.findall(r"<tr><td>([^<]*)</td>.*?</tr>", member) == [
        "Design",
        "Kick-off",
        "Build (in the trash)",
        "Deleted tasks",
    ]
