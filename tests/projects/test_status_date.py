"""The status date on the charter, and unfinished work scheduled after it (Microsoft Project's
"reschedule uncompleted work to start after", Primavera's data date): page, API, dates, and the
schedule-risk simulation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.projects import services
from twofold.projects.models import Project, Task
from twofold.risks import services as risk_services

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 3, 3)  # the project fixture's start


def _local(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value.astimezone(dt.UTC).replace(tzinfo=None)  # Europe/London: GMT in March


def _plan(project: Project, owner: Any) -> dict[str, Task]:
    """Survey (1 d, done on Monday 3 March), Build (5 d, started Monday, 40 % done) → Test (2 d).

    As planned: Build Monday 3 to Friday 7 March, Test Monday 10 and Tuesday 11."""
    made = {}
    for name, days in (("Survey", 1), ("Build", 5), ("Test", 2)):
        made[name], _ = services.create_task(
            actor=owner, project=project, name=name, duration_minutes=days * 480
        )
    services.add_link(actor=owner, project=project, pred=made["Build"], succ=made["Test"])
    progress = {
        "Survey": {"status": "done", "actual_start": MONDAY, "actual_finish": MONDAY},
        "Build": {"actual_start": MONDAY, "percent_complete": 40},
    }
    for name, values in progress.items():
        task = Task.objects.get(pk=made[name].pk)
        services.update_task(actor=owner, task=task, expected_version=task.version, **values)
    return {name: Task.objects.get(pk=t.pk) for name, t in made.items()}


def _dates(task: Task) -> tuple[dt.datetime, dt.datetime]:
    task.refresh_from_db()
    return _local(task.start), _local(task.finish)


def test_unfinished_work_moves_after_the_status_date_and_back(
    project: Project, owner: Any, api: Any, org: Any
) -> None:
    tasks = _plan(project, owner)
    assert _dates(tasks["Test"]) == (dt.datetime(2025, 3, 10, 8), dt.datetime(2025, 3, 11, 17))
    project.refresh_from_db()
    url = f"/api/organisations/{org.pk}/projects/{project.pk}"
    # Wednesday 12 March: Build's three days left resume on Thursday; Test follows.
    response = api(owner).patch(
        url,
        {"version": project.version, "status_date": "2025-03-12", "reschedule_after_status": True},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status_date"] == "2025-03-12" and body["reschedule_after_status"] is True
    assert _dates(tasks["Build"]) == (dt.datetime(2025, 3, 3, 8), dt.datetime(2025, 3, 17, 17))
    assert _dates(tasks["Test"]) == (dt.datetime(2025, 3, 18, 8), dt.datetime(2025, 3, 19, 17))
    # Done work keeps its actual dates.
    assert _dates(tasks["Survey"]) == (dt.datetime(2025, 3, 3, 8), dt.datetime(2025, 3, 3, 17))
    project.refresh_from_db()
    assert _local(project.scheduled_finish) == dt.datetime(2025, 3, 19, 17)

    # A later status date (Friday 14th) moves the work again: Build resumes on Monday 17th.
    response = api(owner).patch(url, {"version": body["version"], "status_date": "2025-03-14"})
    assert response.status_code == 200, response.content
    assert _dates(tasks["Build"])[1] == dt.datetime(2025, 3, 19, 17)
    assert _dates(tasks["Test"]) == (dt.datetime(2025, 3, 20, 8), dt.datetime(2025, 3, 21, 17))

    # Switched off, the plan is as it was (the status date stays, for earned value).
    response = api(owner).patch(
        url, {"version": response.json()["version"], "reschedule_after_status": False}
    )
    assert response.status_code == 200, response.content
    assert _dates(tasks["Test"]) == (dt.datetime(2025, 3, 10, 8), dt.datetime(2025, 3, 11, 17))
    project.refresh_from_db()
    assert project.status_date == dt.date(2025, 3, 14)
    assert _local(project.scheduled_finish) == dt.datetime(2025, 3, 11, 17)


def test_a_status_date_alone_moves_nothing(project: Project, owner: Any) -> None:
    tasks = _plan(project, owner)
    project.refresh_from_db()
    services.update_project(
        actor=owner,
        project=project,
        expected_version=project.version,
        status_date=dt.date(2025, 3, 12),
    )
    assert _dates(tasks["Test"]) == (dt.datetime(2025, 3, 10, 8), dt.datetime(2025, 3, 11, 17))


def test_the_option_needs_a_status_date(
    project: Project, owner: Any, api: Any, org: Any, client: Any
) -> None:
    url = f"/api/organisations/{org.pk}/projects/{project.pk}"
    response = api(owner).patch(url, {"version": project.version, "reschedule_after_status": True})
    assert (response.status_code, response.json()["field"]) == (422, "status_date")
    project.refresh_from_db()
    assert project.reschedule_after_status is False and project.version == 1
    # Clearing the date while the option is on is refused the same way.
    project.status_date = dt.date(2025, 3, 12)
    project.reschedule_after_status = True
    project.save()
    response = api(owner).patch(url, {"version": project.version, "status_date": None})
    assert (response.status_code, response.json()["field"]) == (422, "status_date")
    # The page says it on the field, and keeps what was typed.
    client.force_login(owner)
    page = client.post(
        f"/projects/{project.pk}/edit/",
        {
            "version": project.version,
            "name": project.name,
            "code": project.code,
            "target_start": "2025-03-03",
            "status_date": "",
            "reschedule_after_status": "on",
        },
    )
    assert page.status_code == 422
    assert "Set a status date: unfinished work is scheduled after it." in page.content.decode()
    project.refresh_from_db()
    assert project.status_date == dt.date(2025, 3, 12)


def test_the_charter_form_sets_both_and_history_records_them(
    project: Project, owner: Any, client: Any
) -> None:
    tasks = _plan(project, owner)
    project.refresh_from_db()
    client.force_login(owner)
    page = client.get(f"/projects/{project.pk}/edit/").content.decode()
    assert "Status date" in page and "Schedule unfinished work after the status date" in page
    response = client.post(
        f"/projects/{project.pk}/edit/",
        {
            "version": project.version,
            "name": project.name,
            "code": project.code,
            "target_start": "2025-03-03",
            "status_date": "2025-03-12",
            "reschedule_after_status": "on",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status_date == dt.date(2025, 3, 12) and project.reschedule_after_status
    assert _dates(tasks["Test"])[1] == dt.datetime(2025, 3, 19, 17)
    from twofold.core.models import HistoryEntry

    entry = HistoryEntry.objects.filter(action="updated").order_by("-pk").first()
    assert entry is not None
    assert {"status_date", "reschedule_after_status"} <= set(entry.changes)


def test_the_simulation_releases_unfinished_work_at_the_status_date(
    project: Project, owner: Any
) -> None:
    tasks = _plan(project, owner)
    project.refresh_from_db()
    services.update_project(
        actor=owner,
        project=project,
        expected_version=project.version,
        status_date=dt.date(2025, 3, 12),
        reschedule_after_status=True,
    )
    project.refresh_from_db()
    analysis = risk_services.run_simulation(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={
            tasks["Survey"].pk: (480, 480, 480),
            tasks["Build"].pk: (2400, 2400, 2400),
            tasks["Test"].pk: (960, 960, 960),
        },
    )
    # No uncertainty gives the scheduled finish: Wednesday 19 March 17:00.
    assert _local(project.scheduled_finish) == dt.datetime(2025, 3, 19, 17)
    assert _local(analysis.deterministic_finish) == dt.datetime(2025, 3, 19, 17)
    assert _local(analysis.p50) == _local(analysis.p95) == dt.datetime(2025, 3, 19, 17)


def test_the_gantt_draws_the_break_in_a_task_whose_work_waits(
    project: Project, owner: Any, client: Any
) -> None:
    tasks = _plan(project, owner)
    build = tasks["Build"].pk
    client.force_login(owner)
    page = client.get(f"/projects/{project.pk}/gantt/").content.decode()
    assert "g-split" not in page and f"split-{build}" not in page
    project.refresh_from_db()
    services.update_project(
        actor=owner,
        project=project,
        expected_version=project.version,
        status_date=dt.date(2025, 3, 12),
        reschedule_after_status=True,
    )
    page = client.get(f"/projects/{project.pk}/gantt/").content.decode()
    # Build: two of its five days done (Monday 3 and Tuesday 4 March), the rest from Thursday
    # 13th; one bar clipped to the two parts with a dotted line between them.
    assert page.count('class="g-split"') == 1
    assert f'clip-path="url(#split-{build})"' in page
    assert "work resumes Thu 13 Mar after a break" in page


def test_a_microsoft_project_export_carries_the_status_date(project: Project, owner: Any) -> None:
    from twofold.interchange import mspdi_export

    _plan(project, owner)
    project.refresh_from_db()
    assert b"<StatusDate>" not in mspdi_export.export_mspdi(project)
    services.update_project(
        actor=owner,
        project=project,
        expected_version=project.version,
        status_date=dt.date(2025, 3, 12),
    )
    project.refresh_from_db()
    # The end of the status date's working day, as Microsoft Project keeps it.
    assert b"<StatusDate>2025-03-12T17:00:00</StatusDate>" in mspdi_export.export_mspdi(project)
