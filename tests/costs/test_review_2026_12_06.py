"""Review of 6 December 2026: weeks whose lines closed to new time (a task become a summary
task, a queue without a process, an archived process), timers stuck on such lines, deciding
lines one does not decide, sub-cent hours on the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone as tz

from tests.costs.conftest import MONDAY
from tests.quality.conftest import calendar  # noqa: F401 - fixture
from twofold.core.errors import Forbidden, Invalid
from twofold.costs import services
from twofold.costs.models import EntryStatus, TimeEntry, Timer
from twofold.operations import services as ops
from twofold.operations.models import Process, Queue
from twofold.projects import services as project_services
from twofold.projects.models import Assignment, Project, Task

pytestmark = pytest.mark.django_db


def _log(org: Any, worker: Any, line: str, hours: str = "4", *, submit: bool = False) -> Any:
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[services.Cell(line, MONDAY, hours)],
        expected_version=None,
    )
    if submit:
        services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=sheet.version)
    sheet.refresh_from_db()
    return sheet


def _set(org: Any, worker: Any, line: str, hours: str) -> None:
    services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[services.Cell(line, MONDAY, hours)],
        expected_version=None,
    )


def _hours_on(line: str) -> Decimal:
    return sum((e.hours for e in TimeEntry.objects.all() if e.line_key == line), Decimal(0))


def _running_timer(org: Any, worker: Any, line: str) -> None:
    services.start_timer(actor=worker, organisation=org, line=line)
    Timer.objects.update(started_at=tz.now() - dt.timedelta(hours=1))


# --- 1. A week with hours on a line closed since ----------------------------------------------


def test_week_opens_when_its_task_became_a_summary_task(
    org: Any,
    owner: Any,
    pm: Any,
    worker: Any,
    project: Any,
    tasks: list[Any],
    client: Any,
    api: Any,
) -> None:
    Task.objects.filter(pk=tasks[0].pk).update(assignee=worker)
    line = f"task:{tasks[0].pk}"
    sheet = _log(org, worker, line, submit=True)
    project_services.create_task(actor=owner, project=project, name="Sub", parent=tasks[0])
    assert Task.objects.get(pk=tasks[0].pk).is_summary

    client.force_login(worker)
    page = client.get(f"/costs/timesheet/?week={MONDAY.isoformat()}")
    assert page.status_code == 200
    assert "summary task" in page.content.decode()
    got = api(worker).get(f"/api/organisations/{org.pk}/timesheet?week={MONDAY.isoformat()}")
    assert got.status_code == 200, got.content
    assert line in [row["line"] for row in got.json()["lines"]]
    client.force_login(pm)
    assert client.get(f"/costs/approvals/{sheet.pk}/").status_code == 200


def test_summary_task_line_takes_no_new_hours_but_can_be_lowered(
    org: Any, owner: Any, worker: Any, project: Any, tasks: list[Any]
) -> None:
    Task.objects.filter(pk=tasks[0].pk).update(assignee=worker)
    line = f"task:{tasks[0].pk}"
    _log(org, worker, line)
    project_services.create_task(actor=owner, project=project, name="Sub", parent=tasks[0])
    with pytest.raises(Invalid) as refused:
        _set(org, worker, line, "6")
    assert refused.value.field == "line"
    assert "Design" in refused.value.message and "summary task" in refused.value.message
    assert _hours_on(line) == Decimal(4)
    _set(org, worker, line, "1")
    assert _hours_on(line) == Decimal(1)
    # Without a week to show, a summary task still refuses a timer outright.
    with pytest.raises(Invalid):
        services.start_timer(actor=worker, organisation=org, line=line)


def test_week_opens_when_its_requests_queue_lost_its_process(
    org: Any,
    owner: Any,
    admin: Any,
    worker: Any,
    process: Any,
    calendar: Any,  # noqa: F811
    client: Any,
) -> None:
    queue = ops.create_queue(
        actor=owner, organisation=org, name="Q", calendar=calendar, process=process
    )
    request = ops.create_request(actor=owner, queue=queue, title="Pump")
    line = f"request:{request.pk}"
    sheet = _log(org, worker, line, "3", submit=True)
    services.decide_timesheet(
        actor=admin, timesheet=sheet, approve=True, expected_version=sheet.version
    )
    Queue.objects.filter(pk=queue.pk).update(process=None)

    client.force_login(worker)
    page = client.get(f"/costs/timesheet/?week={MONDAY.isoformat()}")
    assert page.status_code == 200
    assert "belongs to no process" in page.content.decode()
    client.force_login(admin)
    assert client.get(f"/costs/approvals/{sheet.pk}/").status_code == 200

    with pytest.raises(Invalid) as refused:
        _set(org, worker, line, "5")
    assert "belongs to no process" in refused.value.message
    # Lowering approved hours makes a correction, approved where the hours were.
    _set(org, worker, line, "1")
    correction = TimeEntry.objects.get(status=EntryStatus.DRAFT)
    assert correction.hours == Decimal(-2) and correction.process_id == process.pk


# --- 2. A timer whose line closed meanwhile -----------------------------------------------------


def test_timer_stops_when_its_project_is_archived(
    org: Any, worker: Any, project: Any, tasks: list[Any]
) -> None:
    Task.objects.filter(pk=tasks[0].pk).update(assignee=worker)
    _running_timer(org, worker, f"task:{tasks[0].pk}")
    Project.objects.filter(pk=project.pk).update(archived_at=tz.now())
    stopped = services.stop_timer_explained(actor=worker, organisation=org)
    assert stopped.hours == 0 and "archived project" in stopped.note
    assert not Timer.objects.filter(person=worker).exists()
    assert not TimeEntry.objects.exists()


def test_timer_is_replaced_when_the_person_left_the_project(
    org: Any,
    owner: Any,
    worker: Any,
    project: Any,
    tasks: list[Any],
    process: Any,
    calendar: Any,  # noqa: F811
) -> None:
    Task.objects.filter(pk=tasks[0].pk).update(assignee=worker)
    _running_timer(org, worker, f"task:{tasks[0].pk}")
    Task.objects.filter(project=project).update(assignee=None)
    Assignment.objects.all().delete()
    queue = ops.create_queue(
        actor=owner, organisation=org, name="Q", calendar=calendar, process=process
    )
    request = ops.create_request(actor=owner, queue=queue, title="Pump")
    timer = services.start_timer(actor=worker, organisation=org, line=f"request:{request.pk}")
    assert timer.request_id == request.pk
    assert Timer.objects.filter(person=worker).count() == 1
    assert not TimeEntry.objects.exists()


def test_timer_stops_when_its_task_became_a_summary_task(
    org: Any, owner: Any, worker: Any, project: Any, tasks: list[Any], api: Any
) -> None:
    Task.objects.filter(pk=tasks[0].pk).update(assignee=worker)
    _running_timer(org, worker, f"task:{tasks[0].pk}")
    project_services.create_task(actor=owner, project=project, name="Sub", parent=tasks[0])
    answer = api(worker).delete(f"/api/organisations/{org.pk}/timer")
    assert answer.status_code == 200, answer.content
    assert Decimal(answer.json()["hours"]) == 0 and "summary task" in answer.json()["note"]
    assert not Timer.objects.exists()


# --- 3. Archived process, routine, queue ---------------------------------------------------------


def test_archived_process_takes_no_new_time(org: Any, worker: Any, process: Any, api: Any) -> None:
    line = f"process:{process.pk}"
    _log(org, worker, line, "2")
    Process.objects.filter(pk=process.pk).update(archived_at=tz.now())
    with pytest.raises(Invalid) as refused:
        _set(org, worker, line, "5")
    assert refused.value.field == "line" and "archived" in refused.value.message
    answer = api(worker).put(
        f"/api/organisations/{org.pk}/timesheet",
        {
            "week": MONDAY.isoformat(),
            "cells": [{"line": line, "day": MONDAY.isoformat(), "hours": "5"}],
        },
    )
    assert answer.status_code == 422 and "archived" in answer.content.decode()
    assert _hours_on(line) == Decimal(2)
    _set(org, worker, line, "1")  # lowering stays open
    assert _hours_on(line) == Decimal(1)


def test_archived_process_added_on_the_page_refuses_hours(
    org: Any, worker: Any, process: Any, client: Any
) -> None:
    Process.objects.filter(pk=process.pk).update(archived_at=tz.now())
    client.force_login(worker)
    key = f"process:{process.pk}"
    shown = client.get(f"/costs/timesheet/?week={MONDAY.isoformat()}&add={key}")
    assert shown.status_code == 200
    posted = client.post(
        f"/costs/timesheet/?week={MONDAY.isoformat()}",
        {"week": MONDAY.isoformat(), f"h|{key}|{MONDAY.isoformat()}": "5"},
    )
    assert posted.status_code == 422 and "archived" in posted.content.decode()
    assert not TimeEntry.objects.exists()


def test_archived_queue_takes_no_new_time(
    org: Any,
    owner: Any,
    worker: Any,
    process: Any,
    calendar: Any,  # noqa: F811
) -> None:
    queue = ops.create_queue(
        actor=owner, organisation=org, name="Q", calendar=calendar, process=process
    )
    request = ops.create_request(actor=owner, queue=queue, title="Pump")
    Queue.objects.filter(pk=queue.pk).update(archived_at=tz.now())
    with pytest.raises(Invalid) as refused:
        _set(org, worker, f"request:{request.pk}", "1")
    assert "queue is archived" in refused.value.message
    with pytest.raises(Invalid):
        services.start_timer(actor=worker, organisation=org, line=f"request:{request.pk}")


# --- 4. Deciding lines one does not decide -------------------------------------------------------


def test_deciding_lines_one_does_not_decide_is_forbidden(
    org: Any, pm: Any, worker: Any, tasks: list[Any], process: Any, api: Any
) -> None:
    Task.objects.filter(pk=tasks[0].pk).update(assignee=worker)
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[
            services.Cell(f"task:{tasks[0].pk}", MONDAY, "3"),
            services.Cell(f"process:{process.pk}", MONDAY, "2"),
        ],
        expected_version=None,
    )
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=sheet.version)
    sheet.refresh_from_db()
    answer = api(pm).post(
        f"/api/organisations/{org.pk}/timesheets/{sheet.pk}/decision",
        {"version": sheet.version, "approve": True, "lines": [f"process:{process.pk}"]},
    )
    assert answer.status_code == 403, answer.content
    assert "Maintenance" in answer.content.decode()
    # A mix is refused as a whole: nothing is approved behind the caller's back.
    with pytest.raises(Forbidden) as refused:
        services.decide_timesheet(
            actor=pm,
            timesheet=sheet,
            approve=True,
            expected_version=sheet.version,
            lines=[f"task:{tasks[0].pk}", f"process:{process.pk}"],
        )
    assert refused.value.field == "lines"
    assert not TimeEntry.objects.filter(status=EntryStatus.APPROVED).exists()


# --- 5. Sub-cent hours ----------------------------------------------------------------------------


def test_page_refuses_sub_cent_hours_as_the_api_does(
    org: Any, worker: Any, process: Any, client: Any, api: Any
) -> None:
    key = f"process:{process.pk}"
    client.force_login(worker)
    posted = client.post(
        f"/costs/timesheet/?week={MONDAY.isoformat()}",
        {"week": MONDAY.isoformat(), f"h|{key}|{MONDAY.isoformat()}": "0.004"},
    )
    assert posted.status_code == 422
    text = posted.content.decode()
    assert "2 decimals" in text and "Maintenance" in text
    assert not TimeEntry.objects.exists()
    answer = api(worker).put(
        f"/api/organisations/{org.pk}/timesheet",
        {
            "week": MONDAY.isoformat(),
            "cells": [{"line": key, "day": MONDAY.isoformat(), "hours": "0.004"}],
        },
    )
    assert answer.status_code == 422
    _set(org, worker, key, "1.500")  # trailing zeros are still hundredths
    assert _hours_on(key) == Decimal("1.5")


def test_huge_or_tiny_hours_are_refused_with_a_message(org: Any, worker: Any, process: Any) -> None:
    key = f"process:{process.pk}"
    for typed, said in (("1e30", "at most 24"), ("1e-30", "2 decimals"), ("-0.001", "negative")):
        with pytest.raises(Invalid) as refused:
            _set(org, worker, key, typed)
        assert said in refused.value.message and refused.value.field == "cells.0.hours"
    assert not TimeEntry.objects.exists()
