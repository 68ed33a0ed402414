"""Timesheets, rates, expenses and budgets: the rules and the bad input of issue 14."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from twofold.core.errors import Conflict, Forbidden, Invalid
from twofold.core.models import HistoryEntry
from twofold.costs import selectors, services
from twofold.costs.models import EntryStatus, Expense, Rate, TimeEntry, Timesheet
from twofold.costs.services import Cell

from .conftest import MONDAY

TUESDAY = MONDAY + dt.timedelta(days=1)


def _log(person: Any, org: Any, cells: list[Cell], version: int | None = None) -> Timesheet:
    return services.save_cells(
        actor=person,
        organisation=org,
        person=person,
        week_start=MONDAY,
        cells=cells,
        expected_version=version,
    )


def _submitted_week(org: Any, worker: Any, tasks: list[Any], process: Any) -> Timesheet:
    sheet = _log(
        worker,
        org,
        [
            Cell(f"task:{tasks[0].pk}", MONDAY, "6"),
            Cell(f"process:{process.pk}", MONDAY, "2"),
            Cell(f"task:{tasks[1].pk}", TUESDAY, "7.5"),
        ],
    )
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    sheet.refresh_from_db()
    return sheet


@pytest.mark.parametrize(
    ("hours", "message"),
    [("-1", "cannot be negative"), ("24.5", "at most 24"), ("abc", "Enter a number")],
)
def test_bad_hours_are_refused_and_nothing_is_saved(
    org: Any, worker: Any, tasks: list[Any], hours: str, message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        _log(
            worker,
            org,
            [Cell(f"task:{tasks[0].pk}", MONDAY, "3"), Cell(f"task:{tasks[1].pk}", MONDAY, hours)],
        )
    assert TimeEntry.objects.count() == 0


def test_more_than_24_hours_on_a_day_across_lines_is_refused(
    org: Any, worker: Any, tasks: list[Any]
) -> None:
    _log(worker, org, [Cell(f"task:{tasks[0].pk}", MONDAY, "14")])
    with pytest.raises(Invalid, match=r"would have 26\.00 hours"):
        _log(worker, org, [Cell(f"task:{tasks[1].pk}", MONDAY, "12")])
    assert list(TimeEntry.objects.values_list("hours", flat=True)) == [Decimal("14.00")]


def test_a_line_of_another_organisation_is_no_line(
    org: Any, worker: Any, make_org: Any, owner: Any
) -> None:
    from twofold.operations.models import Process

    other = Process.objects.create(organisation=make_org(), name="Elsewhere")
    with pytest.raises(Invalid, match=f"process:{other.pk}"):
        _log(worker, org, [Cell(f"process:{other.pk}", MONDAY, "1")])


def test_only_the_person_logs_on_their_timesheet(
    org: Any, worker: Any, pm: Any, tasks: list[Any]
) -> None:
    with pytest.raises(Forbidden):
        services.save_cells(
            actor=pm,
            organisation=org,
            person=worker,
            week_start=MONDAY,
            cells=[Cell(f"task:{tasks[0].pk}", MONDAY, "1")],
            expected_version=None,
        )


def test_manager_approves_their_lines_and_the_owner_of_the_process_the_rest(
    org: Any, worker: Any, pm: Any, admin: Any, tasks: list[Any], process: Any
) -> None:
    sheet = _submitted_week(org, worker, tasks, process)
    assert (
        services.decide_timesheet(
            actor=pm, timesheet=sheet, approve=True, expected_version=sheet.version
        )
        == 2
    )
    statuses = dict(TimeEntry.objects.values_list("kind", "status").order_by("kind"))
    assert statuses == {"task": "approved", "process": "submitted"}
    sheet.refresh_from_db()
    with pytest.raises(Invalid, match="Say why"):
        services.decide_timesheet(
            actor=admin, timesheet=sheet, approve=False, expected_version=sheet.version
        )
    services.decide_timesheet(
        actor=admin,
        timesheet=sheet,
        approve=False,
        expected_version=sheet.version,
        reason="Wrong process",
    )
    assert TimeEntry.objects.get(kind="process").return_reason == "Wrong process"
    assert HistoryEntry.objects.filter(object_id=sheet.pk, action="approved").exists()


def test_approving_the_same_week_twice_exactly_one_succeeds(
    org: Any, worker: Any, pm: Any, owner: Any, tasks: list[Any], process: Any
) -> None:
    sheet = _submitted_week(org, worker, tasks, process)
    seen = sheet.version
    services.decide_timesheet(actor=owner, timesheet=sheet, approve=True, expected_version=seen)
    stale = Timesheet.objects.get(pk=sheet.pk)
    with pytest.raises(Conflict):
        services.decide_timesheet(actor=pm, timesheet=stale, approve=True, expected_version=seen)
    assert TimeEntry.objects.filter(status=EntryStatus.APPROVED).count() == 3


def test_no_one_approves_their_own_week_but_an_owner(
    org: Any, owner: Any, admin: Any, process: Any
) -> None:
    services.save_cells(
        actor=admin,
        organisation=org,
        person=admin,
        week_start=MONDAY,
        cells=[Cell(f"process:{process.pk}", MONDAY, "3")],
        expected_version=None,
    )
    sheet = Timesheet.objects.get(person=admin)
    services.submit_timesheet(actor=admin, timesheet=sheet, expected_version=None)
    with pytest.raises(Forbidden, match="your own"):
        services.decide_timesheet(actor=admin, timesheet=sheet, approve=True, expected_version=None)
    services.save_cells(
        actor=owner,
        organisation=org,
        person=owner,
        week_start=MONDAY,
        cells=[Cell(f"process:{process.pk}", MONDAY, "3")],
        expected_version=None,
    )
    mine = Timesheet.objects.get(person=owner)
    services.submit_timesheet(actor=owner, timesheet=mine, expected_version=None)
    assert (
        services.decide_timesheet(actor=owner, timesheet=mine, approve=True, expected_version=None)
        == 1
    )


def test_a_member_who_decides_nothing_is_refused(
    org: Any, worker: Any, member: Any, tasks: list[Any], process: Any
) -> None:
    sheet = _submitted_week(org, worker, tasks, process)
    with pytest.raises(Forbidden, match="None of the submitted lines"):
        services.decide_timesheet(
            actor=member(org), timesheet=sheet, approve=True, expected_version=None
        )


def test_approved_hours_are_locked_and_a_new_total_is_a_correction(
    org: Any, worker: Any, owner: Any, tasks: list[Any], process: Any
) -> None:
    sheet = _submitted_week(org, worker, tasks, process)
    services.decide_timesheet(actor=owner, timesheet=sheet, approve=True, expected_version=None)
    _log(worker, org, [Cell(f"task:{tasks[0].pk}", MONDAY, "4")])
    original, correction = TimeEntry.objects.filter(task=tasks[0]).order_by("id")
    assert (original.hours, original.status) == (Decimal("6.00"), "approved")
    assert (correction.hours, correction.status, correction.corrects_id) == (
        Decimal("-2.00"),
        "draft",
        original.pk,
    )
    assert selectors.task_actual_hours([tasks[0].pk]) == {tasks[0].pk: Decimal("6.00")}


def test_submitted_hours_cannot_be_lowered_until_decided(
    org: Any, worker: Any, tasks: list[Any], process: Any
) -> None:
    _submitted_week(org, worker, tasks, process)
    with pytest.raises(Invalid, match="waits for approval"):
        _log(worker, org, [Cell(f"task:{tasks[0].pk}", MONDAY, "1")])


def test_rate_with_the_same_effective_date_is_refused(org: Any, owner: Any, worker: Any) -> None:
    services.create_rate(
        actor=owner, organisation=org, person=worker, hourly="55", effective_from=MONDAY
    )
    with pytest.raises(Invalid, match="already has a rate from 2026-03-02") as caught:
        services.create_rate(
            actor=owner, organisation=org, person=worker, hourly="60", effective_from=MONDAY
        )
    assert caught.value.field == "effective_from"
    services.create_rate(
        actor=owner, organisation=org, role="Engineer", hourly="45", effective_from=MONDAY
    )
    with pytest.raises(Invalid, match="already has a rate"):
        services.create_rate(
            actor=owner, organisation=org, role="engineer", hourly="46", effective_from=MONDAY
        )
    # One role for the rate book (casefold), whatever the database's case rules.
    for first, second in [("Straßenbauer", "STRASSENBAUER"), ("Ärztin", "ärztin")]:
        services.create_rate(
            actor=owner, organisation=org, role=first, hourly="50", effective_from=MONDAY
        )
        with pytest.raises(Invalid, match="already has a rate"):
            services.create_rate(
                actor=owner, organisation=org, role=second, hourly="51", effective_from=MONDAY
            )
    assert Rate.objects.count() == 4


def test_members_cannot_set_rates(org: Any, worker: Any) -> None:
    with pytest.raises(Forbidden):
        services.create_rate(
            actor=worker, organisation=org, role="Engineer", hourly="45", effective_from=MONDAY
        )


def test_expense_beyond_the_fiscal_year_is_refused(org: Any, worker: Any, project: Any) -> None:
    org.fiscal_year_start_month = 4
    org.save()
    kwargs = {
        "actor": worker,
        "organisation": org,
        "project": project,
        "category": "materials",
        "amount": "10",
        "description": "Bolts",
        "today": dt.date(2026, 3, 15),
    }
    with pytest.raises(Invalid, match="beyond the current fiscal year \\(it ends 2026-03-31\\)"):
        services.create_expense(spent_on=dt.date(2026, 4, 1), **kwargs)
    with pytest.raises(Invalid, match="more than zero"):
        services.create_expense(spent_on=dt.date(2026, 3, 1), **{**kwargs, "amount": "-5"})
    services.create_expense(spent_on=dt.date(2026, 3, 31), **kwargs)
    assert Expense.objects.get().status == EntryStatus.SUBMITTED


def test_expense_approval_like_timesheets(org: Any, worker: Any, pm: Any, project: Any) -> None:
    expense = services.create_expense(
        actor=pm,
        organisation=org,
        project=project,
        spent_on=MONDAY,
        category="travel",
        amount="80",
        description="Train",
        today=MONDAY,
    )
    with pytest.raises(Forbidden, match="own expense"):
        services.decide_expense(
            actor=pm, expense=expense, approve=True, expected_version=expense.version
        )
    other = services.create_expense(
        actor=worker,
        organisation=org,
        project=project,
        spent_on=MONDAY,
        category="travel",
        amount="80",
        description="Taxi",
        today=MONDAY,
    )
    services.decide_expense(actor=pm, expense=other, approve=True, expected_version=other.version)
    with pytest.raises(Conflict):
        services.decide_expense(
            actor=pm, expense=other, approve=True, expected_version=other.version
        )


def test_timer_logs_its_hours_on_today(org: Any, worker: Any, tasks: list[Any]) -> None:
    timer = services.start_timer(actor=worker, organisation=org, line=f"task:{tasks[0].pk}")
    later = timer.started_at + dt.timedelta(minutes=90)
    assert services.stop_timer(actor=worker, organisation=org, now=later) == Decimal("1.50")
    entry = TimeEntry.objects.get()
    assert (entry.hours, entry.task_id, entry.status) == (Decimal("1.50"), tasks[0].pk, "draft")
    with pytest.raises(Conflict):
        services.stop_timer(actor=worker, organisation=org)


def test_a_timer_logs_only_what_fits_in_the_day_and_always_stops(
    org: Any, worker: Any, tasks: list[Any]
) -> None:
    """With 23 h on another line today, stopping a two-hour timer answered 422 ("would have
    25.00 hours") and starting another failed the same way: it could be neither stopped nor
    replaced."""
    from zoneinfo import ZoneInfo

    timer = services.start_timer(actor=worker, organisation=org, line=f"task:{tasks[0].pk}")
    later = timer.started_at + dt.timedelta(hours=2)
    today = later.astimezone(ZoneInfo(org.timezone)).date()
    services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=services.week_start_of(org, today),
        cells=[Cell(f"task:{tasks[1].pk}", today, "23")],
        expected_version=None,
    )
    assert services.stop_timer(actor=worker, organisation=org, now=later) == Decimal("1.00")
    assert TimeEntry.objects.get(task=tasks[0]).hours == Decimal("1.00")
    # Nothing fits any more: the next timer stops without logging, and another can start.
    timer = services.start_timer(actor=worker, organisation=org, line=f"task:{tasks[0].pk}")
    services.start_timer(actor=worker, organisation=org, line=f"task:{tasks[1].pk}")
    assert TimeEntry.objects.get(task=tasks[0]).hours == Decimal("1.00")


def test_process_budget_is_set_by_its_owner_or_admins(
    org: Any, process: Any, admin: Any, worker: Any
) -> None:
    services.set_process_budget(actor=admin, process=process, fiscal_year=2026, amount="12000")
    services.set_process_budget(actor=admin, process=process, fiscal_year=2026, amount="15000")
    assert selectors.process_actuals(process, 2026).budget == Decimal("15000.00")
    with pytest.raises(Forbidden):
        services.set_process_budget(actor=worker, process=process, fiscal_year=2026, amount="1")


def test_submitting_a_week_notifies_the_manager_who_approves_it(
    org: Any, worker: Any, pm: Any, tasks: list[Any]
) -> None:
    from twofold.notifications.models import Notification

    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[Cell(f"task:{tasks[0].pk}", MONDAY, "8")],
        expected_version=None,
    )
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    told = list(
        Notification.objects.filter(kind="timesheet_approval").values_list(
            "recipient_id", "summary", "url"
        )
    )
    assert told == [
        (
            pm.pk,
            "Wes Worker submitted 1 entries for the week of 02 Mar 2026",
            f"/costs/approvals/{sheet.pk}/",
        )
    ]


def test_a_timer_on_a_task_gone_to_the_trash_stops_and_another_starts(
    org: Any, worker: Any, owner: Any, tasks: list[Any]
) -> None:
    """It could be neither stopped nor replaced ("No such line here") until 2026-12-05."""
    import datetime as dt

    from django.utils import timezone

    from twofold.costs.models import Timer
    from twofold.projects import services as project_services

    first, second = tasks
    services.start_timer(actor=worker, organisation=org, line=f"task:{first.pk}")
    project_services.delete_task(actor=owner, task=first)
    later = timezone.now() + dt.timedelta(hours=1)
    assert services.stop_timer(actor=worker, organisation=org, now=later) == Decimal(0)
    assert not Timer.objects.filter(person=worker).exists()
    assert not TimeEntry.objects.filter(person=worker).exists()
    third, _ = project_services.create_task(
        actor=owner, project=second.project, name="Third", duration_minutes=480
    )
    services.start_timer(actor=worker, organisation=org, line=f"task:{second.pk}")
    project_services.delete_task(actor=owner, task=second)
    services.start_timer(actor=worker, organisation=org, line=f"task:{third.pk}")
    assert list(Timer.objects.filter(person=worker).values_list("task_id", flat=True)) == [third.pk]


def test_time_goes_only_on_projects_one_is_on_and_not_on_archived_ones(
    api: Any, org: Any, member: Any, admin: Any, worker: Any, owner: Any, tasks: list[Any]
) -> None:
    """Any member logged time on any task of the organisation (resolve_lines checked only the
    organisation): a done task of a closed project they were never on took 8 h, approved into
    its actual cost. Now: 422 naming the line for a project one is not on, or an archived one;
    done tasks still take time from people on the project."""
    from django.utils import timezone

    from twofold.accounts.models import Role
    from twofold.projects.models import Project, Task

    stranger = member(org, Role.MEMBER, full_name="Sam Stranger")
    design = f"task:{tasks[0].pk}"
    with pytest.raises(Invalid, match="you are not on this project") as refused:
        _log(stranger, org, [Cell(design, MONDAY, "8")])
    assert refused.value.field == "line" and "“Design” (PLU Press line upgrade)" in str(
        refused.value
    )
    body = {
        "week": MONDAY.isoformat(),
        "cells": [{"line": design, "day": "2026-03-03", "hours": 8}],
    }
    answer = api(stranger).put(f"/api/organisations/{org.pk}/timesheet", body)
    assert (answer.status_code, answer.json()["field"]) == (422, "line")
    with pytest.raises(Invalid, match="not on this project"):
        services.start_timer(actor=stranger, organisation=org, line=design)
    assert not TimeEntry.objects.exists() and not Timesheet.objects.filter(person=stranger).exists()

    Task.objects.filter(pk=tasks[0].pk).update(status="done", percent_complete=100)
    _log(worker, org, [Cell(design, MONDAY, "3")])  # on the project: a done task takes time
    _log(admin, org, [Cell(design, MONDAY, "1")])  # admins log on any project
    Project.objects.filter(pk=tasks[0].project_id).update(archived_at=timezone.now())
    with pytest.raises(Invalid, match="archived project") as closed:
        _log(worker, org, [Cell(design, MONDAY, "5")])
    assert closed.value.field == "line"
    _log(worker, org, [Cell(design, MONDAY, "2")])  # lowering (or clearing) stays open
    assert sorted(TimeEntry.objects.values_list("person_id", "hours")) == sorted(
        [(worker.pk, Decimal("2.00")), (admin.pk, Decimal("1.00"))]
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["nonsense"], "“nonsense” is not a timesheet line"),
        (["task:999999"], "no line task:999999"),
    ],
)
def test_a_decision_on_lines_the_week_does_not_have_names_lines(
    api: Any,
    org: Any,
    worker: Any,
    pm: Any,
    tasks: list[Any],
    process: Any,
    lines: list[str],
    message: str,
) -> None:
    """``{"lines": ["nonsense"]}`` answered 409 "nothing submitted" (a client would reload and
    retry the same body); now 422 naming ``lines``, nothing decided."""
    sheet = _submitted_week(org, worker, tasks, process)
    answer = api(pm).post(
        f"/api/organisations/{org.pk}/timesheets/{sheet.pk}/decision",
        {"version": sheet.version, "approve": True, "lines": lines},
    )
    assert (answer.status_code, answer.json()["field"]) == (422, "lines")
    assert message in answer.json()["detail"]
    assert set(TimeEntry.objects.values_list("status", flat=True)) == {EntryStatus.SUBMITTED}
    sheet.refresh_from_db()
    done = services.decide_timesheet(
        actor=pm,
        timesheet=sheet,
        approve=True,
        expected_version=sheet.version,
        lines=[f"task:{tasks[0].pk}"],
    )
    assert done == 1


def test_the_overtime_flag_changes_alone_and_is_kept_when_not_sent(
    api: Any, org: Any, worker: Any, pm: Any, tasks: list[Any], rate: Any
) -> None:
    """The same hours with ``"overtime": true`` answered 200 and saved nothing (the cell was
    skipped when its hours were unchanged). Now the flag alone is saved; a PUT (or the page)
    without it keeps it; on approved hours it is refused, naming ``overtime``."""
    rate("50", dt.date(2026, 1, 1), person=worker, factor="1.5")
    url = f"/api/organisations/{org.pk}/timesheet"
    line = f"task:{tasks[0].pk}"

    def put(**cell: Any) -> Any:
        body = {"line": line, "day": "2026-03-03", "hours": 8, **cell}
        return api(worker).put(url, {"week": MONDAY.isoformat(), "cells": [body]})

    assert put().status_code == 200
    assert put(overtime=True).status_code == 200
    assert list(TimeEntry.objects.values_list("hours", "overtime")) == [(Decimal("8.00"), True)]
    assert put().status_code == 200  # not sent: kept
    _log(worker, org, [Cell(line, TUESDAY, "8")])  # the page sends no flag: kept
    assert list(TimeEntry.objects.values_list("overtime", flat=True)) == [True]
    assert put(overtime=False).status_code == 200
    assert list(TimeEntry.objects.values_list("overtime", flat=True)) == [False]
    put(overtime=True)
    sheet = Timesheet.objects.get()
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    sheet.refresh_from_db()
    services.decide_timesheet(
        actor=pm, timesheet=sheet, approve=True, expected_version=sheet.version
    )
    assert [r.cost for r in selectors.project_actuals(tasks[0].project)] == [Decimal("600.00")]
    refused = put(overtime=False)
    assert (refused.status_code, refused.json()["field"]) == (422, "overtime")
    assert list(TimeEntry.objects.values_list("overtime", "status")) == [(True, "approved")]


def test_correcting_approved_overtime_without_the_flag_keeps_it_overtime(
    api: Any, org: Any, worker: Any, pm: Any, tasks: list[Any], rate: Any
) -> None:
    """The page (no overtime input) or a PUT without ``overtime`` lowering an approved
    overtime day saved the correction as normal time: 10 h overtime (750) lowered to 8 h was
    refunded at the normal rate, 2 × 50, and cost 650 instead of 8 × 50 × 1.5 = 600."""
    rate("50", dt.date(2026, 1, 1), person=worker, factor="1.5")
    line = f"task:{tasks[0].pk}"
    url = f"/api/organisations/{org.pk}/timesheet"
    cell = {"line": line, "day": TUESDAY.isoformat(), "hours": 10, "overtime": True}
    assert api(worker).put(url, {"week": MONDAY.isoformat(), "cells": [cell]}).status_code == 200
    sheet = Timesheet.objects.get()

    def approve() -> None:
        sheet.refresh_from_db()
        services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
        services.decide_timesheet(actor=pm, timesheet=sheet, approve=True, expected_version=None)

    def cost() -> Decimal:
        return sum((r.cost for r in selectors.project_actuals(tasks[0].project)), Decimal(0))

    approve()
    assert cost() == Decimal("750.00")
    _log(worker, org, [Cell(line, TUESDAY, "8")])  # the page: no flag
    assert list(TimeEntry.objects.order_by("id").values_list("hours", "overtime")) == [
        (Decimal("10.00"), True),
        (Decimal("-2.00"), True),
    ]
    approve()
    assert cost() == Decimal("600.00")
    put = {"line": line, "day": TUESDAY.isoformat(), "hours": 7}  # the API, no flag
    assert api(worker).put(url, {"week": MONDAY.isoformat(), "cells": [put]}).status_code == 200
    approve()
    assert cost() == Decimal("525.00")


def test_a_day_in_two_weeks_sheets_still_holds_at_most_24_hours(
    org: Any, worker: Any, tasks: list[Any]
) -> None:
    """After the organisation moved its first weekday, a day sat in a Monday-based sheet and in
    a Sunday-based one, and the cap counted one sheet only: 26.25 h were saved on one day."""
    tuesday = MONDAY + dt.timedelta(days=1)
    services.save_cells(
        actor=worker, organisation=org, person=worker, week_start=MONDAY,
        cells=[Cell(f"task:{tasks[0].pk}", tuesday, "12")], expected_version=None,
    )  # fmt: skip
    type(org).objects.filter(pk=org.pk).update(week_start=6)  # weeks start on Sundays now
    org.refresh_from_db()
    sunday = MONDAY - dt.timedelta(days=1)
    with pytest.raises(Invalid, match=r"would have 28\.00 hours"):
        services.save_cells(
            actor=worker, organisation=org, person=worker, week_start=sunday,
            cells=[Cell(f"task:{tasks[1].pk}", tuesday, "16")], expected_version=None,
        )  # fmt: skip
    services.save_cells(
        actor=worker, organisation=org, person=worker, week_start=sunday,
        cells=[Cell(f"task:{tasks[1].pk}", tuesday, "12")], expected_version=None,
    )  # fmt: skip
