"""What keeps big projects fast: the stored planned curve, Gantt and portfolio pages, cheap moves."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.projects import services
from twofold.projects.models import Project, Task
from twofold.projects.progress import curve_at, curve_value, planned_curve, planned_percent

UTC = dt.UTC


def _at(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, tzinfo=UTC)


def test_planned_curve_matches_planned_percent_at_midnight():
    rows = [(_at(3, 8), _at(5, 17), 2.0), (_at(4, 8), _at(10, 17), 1.0), (None, None, 5.0)]
    curve = planned_curve(rows)
    assert curve["first"] == "2025-03-03"
    assert curve["last"] == "2025-03-11"
    assert curve["final"] == 100.0
    for day in range(3, 12):
        assert curve_at(curve, _at(day)) == planned_percent(rows, _at(day)), day


def test_curve_value_interpolates_within_the_day_and_clamps():
    assert curve_value("2025-03-03", 100.0, 20.0, 40.0, _at(4, 12)) == 30.0
    assert curve_value("2025-03-03", 100.0, None, None, _at(20)) == 100.0
    assert curve_value("2025-03-03", 100.0, None, None, _at(1)) == 0.0
    assert curve_value(None, None, None, None, _at(4)) == 0.0
    assert planned_curve([]) == {}


@pytest.mark.django_db
def test_reschedule_and_first_baseline_store_the_curve(project, chain, owner):
    project.refresh_from_db()
    assert project.planned_curve["first"] == "2025-03-03"
    assert project.planned_curve["final"] == 100.0
    services.save_baseline(actor=owner, project=project, name="Plan", number=0)
    a = chain[0]
    services.update_task(actor=owner, task=a, expected_version=a.version, duration_minutes=4 * 480)
    project.refresh_from_db()
    # The curve follows the first baseline (5 working days), not the longer schedule.
    assert project.planned_curve["last"] == "2025-03-08"


@pytest.mark.django_db
def test_a_move_that_only_changes_status_does_not_reschedule(project, chain, owner):
    a = chain[0]
    services.update_task(actor=owner, task=a, expected_version=a.version, percent_complete=50)
    a.refresh_from_db()
    task, moved = services.move_card(actor=owner, task=a, status="review")
    assert (task.status, moved) == ("review", None)
    task, moved = services.move_card(actor=owner, task=task, status="done")
    assert task.percent_complete == 100 and moved is not None


@pytest.mark.django_db
def test_gantt_pages_and_outline_level(client, project, chain, owner, monkeypatch):
    from twofold.projects import views

    monkeypatch.setattr(views, "GANTT_PAGE", 2)
    summary, _ = services.create_task(actor=owner, project=project, name="Phase")
    services.create_task(actor=owner, project=project, name="Child", parent=summary)
    client.force_login(owner)
    url = f"/projects/{project.pk}/gantt/"
    first = client.get(url).content.decode()
    assert "Rows 1–2 of 5" in first and ">A</text>" in first and ">M</text>" not in first
    last = client.get(url + "?page=3").content.decode()
    assert "Rows 5–5 of 5" in last and ">Child</text>" in last
    folded = client.get(url + "?level=0&page=9").content.decode()  # page clamps to the last
    assert "Rows 3–4 of 4" in folded and ">Child</text>" not in folded
    assert client.get(url + "?page=x&level=-3").status_code == 200


@pytest.mark.django_db
def test_portfolio_pages(client, org, owner, monkeypatch):
    from twofold.projects import views

    monkeypatch.setattr(views, "PORTFOLIO_PAGE", 2)
    for i in range(5):
        services.create_project(
            actor=owner,
            organisation=org,
            name=f"P{i}",
            code=f"P{i}",
            target_start=dt.date(2025, 3, 3),
        )
    client.force_login(owner)
    body = client.get("/?sort=name&page=3").content.decode()
    assert "Projects 5–5 of 5" in body and ">P4</a>" in body and ">P0</a>" not in body
    assert "5 projects" in body
    assert Project.objects.filter(organisation=org).count() == 5
    assert Task.objects.count() == 0
