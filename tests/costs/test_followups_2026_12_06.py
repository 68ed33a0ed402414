"""Follow-ups of the 6 December 2026 reviews: the API's week says which lines are closed and
why (as the week page does), a project manager's approval page shows only the lines they
decide, the timer's start and stop are in the history, amounts follow the currency's minor
units (a yen has none)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone as tz

from tests.costs.conftest import MONDAY
from tests.quality.conftest import calendar  # noqa: F401 - fixture
from twofold.accounts.models import Organisation, Role
from twofold.core.errors import Invalid
from twofold.core.models import HistoryEntry
from twofold.costs import selectors, services
from twofold.costs.models import Expense, ProcessBudget, Rate, TimeEntry, Timer
from twofold.costs.weeks import GONE_NOTE
from twofold.operations import services as ops
from twofold.operations.models import Process, Queue
from twofold.projects import services as project_services
from twofold.projects.models import Task

pytestmark = pytest.mark.django_db

WEEK = f"week={MONDAY.isoformat()}"


def _log(org: Any, worker: Any, hours: dict[str, str], *, submit: bool = False) -> Any:
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[services.Cell(line, MONDAY, h) for line, h in hours.items()],
        expected_version=None,
    )
    if submit:
        services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=sheet.version)
    sheet.refresh_from_db()
    return sheet


# --- 1. The API's week says which line is closed, and why ----------------------------------------


def test_api_week_lines_say_which_are_closed_and_why_as_the_page_does(
    org: Any,
    owner: Any,
    worker: Any,
    project: Any,
    tasks: list[Any],
    process: Any,
    calendar: Any,  # noqa: F811
    client: Any,
    api: Any,
) -> None:
    design, build = tasks
    test, _ = project_services.create_task(
        actor=owner, project=project, name="Test", duration_minutes=480
    )
    queue = ops.create_queue(
        actor=owner, organisation=org, name="Pumps", calendar=calendar, process=process
    )
    request = ops.create_request(actor=owner, queue=queue, title="Seal leak")
    lines = {
        "design": f"task:{design.pk}",
        "build": f"task:{build.pk}",
        "test": f"task:{test.pk}",
        "process": f"process:{process.pk}",
        "request": f"request:{request.pk}",
    }
    _log(org, worker, dict.fromkeys(lines.values(), "1"))
    # Then each line but "test" closes, each its own way.
    project_services.create_task(actor=owner, project=project, name="Sub", parent=design)
    project_services.delete_task(actor=owner, task=Task.objects.get(pk=build.pk))
    Queue.objects.filter(pk=queue.pk).update(process=None)
    Process.objects.filter(pk=process.pk).update(archived_at=tz.now())

    got = api(worker).get(f"/api/organisations/{org.pk}/timesheet?{WEEK}")
    assert got.status_code == 200, got.content
    state = {row["line"]: (row["closed"], row["closed_reason"]) for row in got.json()["lines"]}
    reasons = {
        lines["design"]: "“Design” (PLU Press line upgrade) is a summary task: log time on its "
        "tasks.",
        lines["build"]: GONE_NOTE,
        lines["process"]: "“General” (Maintenance): the process is archived, so it takes no "
        "new time (unarchive the process to log more).",
        lines["request"]: f"The queue “Pumps” belongs to no process, so nobody could approve "
        f"time on #{request.pk}: give the queue a process first.",
    }
    assert state == {
        **{line: (True, why) for line, why in reasons.items()},
        lines["test"]: (False, None),
    }
    # The week page says the same of each line.
    client.force_login(worker)
    html = client.get(f"/costs/timesheet/?{WEEK}").content.decode()
    assert f'<br><span class="small muted">{GONE_NOTE}</span>' in html
    for line in ("design", "process", "request"):
        said = reasons[lines[line]]
        assert f"No new hours here: {said} Its hours can be lowered." in html
    # The PUT answers the week the same way.
    put = api(worker).put(
        f"/api/organisations/{org.pk}/timesheet",
        {
            "week": MONDAY.isoformat(),
            "cells": [{"line": lines["test"], "day": MONDAY.isoformat(), "hours": "2"}],
        },
    )
    assert put.status_code == 200, put.content
    after = {row["line"]: (row["closed"], row["closed_reason"]) for row in put.json()["lines"]}
    assert after == state


# --- 2. A project manager sees the lines they decide, not the whole week ----------------------


@pytest.fixture
def mixed_week(
    org: Any, owner: Any, member: Any, worker: Any, tasks: list[Any], process: Any
) -> dict[str, Any]:
    """The worker's submitted week: 3 h on the manager's project, 5 h on a project someone else
    manages, 2 h on a process the admin owns."""
    other = member(org, Role.MEMBER, full_name="Olive Other")
    secret = project_services.create_project(
        actor=owner, organisation=org, name="Secret bid", code="SB", target_start=MONDAY
    )
    secret.manager = other
    secret.save(update_fields=["manager"])
    pricing, _ = project_services.create_task(
        actor=owner, project=secret, name="Tender pricing", duration_minutes=480, assignee=worker
    )
    lines = {
        "design": f"task:{tasks[0].pk}",
        "pricing": f"task:{pricing.pk}",
        "process": f"process:{process.pk}",
    }
    sheet = _log(
        org,
        worker,
        {lines["design"]: "3", lines["pricing"]: "5", lines["process"]: "2"},
        submit=True,
    )
    return {"sheet": sheet, "lines": lines, "other": other}


def test_approval_page_shows_a_manager_only_the_lines_they_decide(
    org: Any, pm: Any, admin: Any, worker: Any, mixed_week: dict[str, Any], client: Any
) -> None:
    url = f"/costs/approvals/{mixed_week['sheet'].pk}/"
    client.force_login(pm)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Design" in html
    for hidden in ("Tender pricing", "Secret bid", "SB ", "Maintenance", "10 h", "8 h", "7 h"):
        assert hidden not in html, hidden
    assert "3 h logged on the lines you decide; 40 h available." in html
    assert '<td class="num">3</td></tr>' in html  # the week's total: the manager's line only
    # The person and admins see the whole week.
    for viewer in (admin, worker):
        client.force_login(viewer)
        html = client.get(url).content.decode()
        assert "10 h logged of 40 h available." in html
        assert "Design" in html and "Tender pricing" in html and "Maintenance" in html


def test_the_api_lists_a_manager_the_same_lines_as_the_page(
    org: Any, pm: Any, worker: Any, mixed_week: dict[str, Any], api: Any
) -> None:
    lines = mixed_week["lines"]
    span = f"from={MONDAY.isoformat()}&to={(MONDAY + dt.timedelta(days=6)).isoformat()}"
    got = api(pm).get(f"/api/organisations/{org.pk}/time-entries?{span}")
    assert got.status_code == 200, got.content
    assert [(e["line"], Decimal(e["hours"])) for e in got.json()] == [(lines["design"], Decimal(3))]
    other = api(mixed_week["other"]).get(f"/api/organisations/{org.pk}/time-entries?{span}")
    assert [(e["line"], Decimal(e["hours"])) for e in other.json()] == [
        (lines["pricing"], Decimal(5))
    ]


# --- 3. The timer's start and stop are in the history ------------------------------------------


def _timer_history() -> list[tuple[str, str, Any, int | None]]:
    kind = ContentType.objects.get_for_model(Timer)
    return [
        (h.action, h.summary, h.changes, h.actor_id)
        for h in HistoryEntry.objects.filter(content_type=kind).order_by("id")
    ]


def test_starting_and_stopping_a_timer_is_recorded(
    org: Any,
    worker: Any,
    tasks: list[Any],
    process: Any,
    calendar: Any,  # noqa: F811
    owner: Any,
    api: Any,
) -> None:
    Task.objects.filter(pk=tasks[0].pk).update(assignee=worker)
    line = f"task:{tasks[0].pk}"
    timer = services.start_timer(actor=worker, organisation=org, line=line)
    assert _timer_history() == [
        (
            "started",
            "Timer started on Design (PLU Press line upgrade)",
            {"line": [None, line]},
            worker.pk,
        )
    ]
    # An hour later, started again on a request through the API: the first one stops first.
    Timer.objects.filter(pk=timer.pk).update(started_at=tz.now() - dt.timedelta(hours=1))
    queue = ops.create_queue(
        actor=owner, organisation=org, name="Pumps", calendar=calendar, process=process
    )
    request = ops.create_request(actor=owner, queue=queue, title="Seal leak")
    answer = api(worker).post(
        f"/api/organisations/{org.pk}/timer", {"line": f"request:{request.pk}"}
    )
    assert answer.status_code == 201, answer.content
    assert _timer_history()[1:] == [
        ("stopped", "Timer stopped on Design: 1.00 h logged", {"line": [line, None]}, worker.pk),
        (
            "started",
            f"Timer started on #{request.pk} Seal leak (Pumps)",
            {"line": [None, f"request:{request.pk}"]},
            worker.pk,
        ),
    ]
    assert TimeEntry.objects.get().hours == Decimal("1.00")
    # Stopped at once: nothing logged, and the history says why.
    assert api(worker).delete(f"/api/organisations/{org.pk}/timer").status_code == 200
    assert _timer_history()[3:] == [
        (
            "stopped",
            f"Timer stopped on #{request.pk} Seal leak: nothing logged, no time passed.",
            {"line": [f"request:{request.pk}", None]},
            worker.pk,
        )
    ]
    assert not Timer.objects.exists()


# --- 4. Amounts in a currency without minor units --------------------------------------------


@pytest.fixture
def yen(org: Any, owner: Any) -> Organisation:
    services.update_cost_settings(
        actor=owner, organisation=org, currency="JPY", locale="ja-JP", expected_version=None
    )
    return org


def test_yen_amounts_with_decimals_are_refused_not_kept(
    yen: Any, owner: Any, admin: Any, worker: Any, project: Any, process: Any, api: Any
) -> None:
    with pytest.raises(Invalid) as refused:
        services.create_rate(
            actor=owner, organisation=yen, person=worker, hourly="1000.50", effective_from=MONDAY
        )
    assert refused.value.field == "hourly"
    assert (
        refused.value.message == "An hourly rate is a whole number of JPY (it has no minor unit)."
    )
    answer = api(owner).post(
        f"/api/organisations/{yen.pk}/rates",
        {"person_id": worker.pk, "hourly": "1000.5", "effective_from": MONDAY.isoformat()},
    )
    assert answer.status_code == 422 and "hourly" in answer.content.decode()
    expense = api(worker).post(
        f"/api/organisations/{yen.pk}/expenses",
        {
            "project_id": project.pk,
            "spent_on": MONDAY.isoformat(),
            "category": "materials",
            "amount": "100.50",
            "description": "Bolts",
        },
    )
    assert expense.status_code == 422 and "amount" in expense.content.decode()
    assert "The amount is a whole number of JPY" in expense.content.decode()
    budget = api(owner).put(
        f"/api/organisations/{yen.pk}/processes/{process.pk}/budget",
        {"fiscal_year": 2026, "amount": "250000.5"},
    )
    assert budget.status_code == 422 and "A budget is a whole number of JPY" in budget.text
    assert not Rate.objects.exists() and not Expense.objects.exists()
    assert not ProcessBudget.objects.filter(fiscal_year=2026, amount=Decimal("250000.5")).exists()
    # Whole amounts are kept as they are.
    rate = services.create_rate(
        actor=owner, organisation=yen, person=worker, hourly="1001", effective_from=MONDAY
    )
    assert rate.hourly == Decimal("1001.00")
    kept = services.create_expense(
        actor=worker,
        organisation=yen,
        project=project,
        spent_on=MONDAY,
        category="materials",
        amount="100",
        description="Bolts",
        today=MONDAY,
    )
    assert kept.amount == Decimal("100.00")


def test_euro_amounts_keep_two_decimals(org: Any, owner: Any, worker: Any) -> None:
    rate = services.create_rate(
        actor=owner, organisation=org, person=worker, hourly="10.05", effective_from=MONDAY
    )
    assert rate.hourly == Decimal("10.05")
    with pytest.raises(Invalid) as refused:
        services.create_rate(
            actor=owner,
            organisation=org,
            person=worker,
            hourly="10.055",
            effective_from=MONDAY + dt.timedelta(days=1),
        )
    assert refused.value.message == "An hourly rate has at most 2 decimal places in EUR."


def test_yen_costs_are_whole_yen_so_rows_add_up_to_the_total(
    yen: Any,
    owner: Any,
    pm: Any,
    worker: Any,
    project: Any,
    tasks: list[Any],
    signed_in: Any,
) -> None:
    """1.5 h at ¥1,001 is ¥1,501.50: costed to the cent, two such rows each showed ¥1,502
    under a total of ¥3,003."""
    services.create_rate(
        actor=owner, organisation=yen, person=worker, hourly="1001", effective_from=MONDAY
    )
    sheet = _log(
        yen, worker, {f"task:{tasks[0].pk}": "1.5", f"task:{tasks[1].pk}": "1.5"}, submit=True
    )
    services.decide_timesheet(actor=pm, timesheet=sheet, approve=True, expected_version=None)
    assert [r.cost for r in selectors.project_actuals(project)] == [
        Decimal("1502"),
        Decimal("1502"),
    ]
    html = signed_in(owner).get(f"/costs/projects/{project.pk}/").content.decode()
    assert html.count('<td class="num">¥1,502</td>') == 2
    assert "<strong>¥3,004</strong>" in html and "¥3,003" not in html
    export = signed_in(owner).get("/costs/export/timesheets.csv?from=2026-03-02&to=2026-03-08")
    assert export.status_code == 200
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert [row.rsplit(",", 2)[1:] for row in rows[1:]] == [["1001.00", "1502"]] * 2


def test_a_new_currency_moves_the_rates_stamp(org: Any, owner: Any) -> None:
    """Cached cost figures are keyed on the stamp: they were rounded to the old currency."""

    def stamp() -> int:
        return Organisation.objects.get(pk=org.pk).rates_stamp

    before = stamp()
    services.update_cost_settings(
        actor=owner, organisation=org, currency="EUR", locale="de-DE", expected_version=None
    )
    assert stamp() == before
    services.update_cost_settings(
        actor=owner, organisation=org, currency="JPY", locale="de-DE", expected_version=None
    )
    assert stamp() == before + 1
