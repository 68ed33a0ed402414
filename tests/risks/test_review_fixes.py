"""Defects a review of risks and portfolio health found (2026-12-05), each reproduced first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.projects import services as ps
from twofold.risks import services

pytestmark = pytest.mark.django_db


def _form(**values: Any) -> dict[str, str]:
    data = {
        "title": "Gripper late",
        "category": "supplier",
        "probability": "4",
        "impact": "4",
        "status": "open",
        "response": "mitigate",
        "description": "",
        "mitigation": "",
    }
    data.update({k: str(v) for k, v in values.items()})
    return data


def test_saving_a_risk_on_its_page_keeps_its_link_to_a_summary(
    client: Any, project: Any, owner: Any, editor: Any
) -> None:
    """The form offered leaf tasks only: a risk linked to a task that later got subtasks lost
    the link on any save of its page (the API and the simulation take summaries)."""
    parent, _ = ps.create_task(actor=owner, project=project, name="Phase 1")
    risk = services.create_risk(
        actor=owner, project=project, title="Late", tasks=[parent], impact_likely_days=2
    )
    child, _ = ps.create_task(actor=owner, project=project, name="Child", duration_minutes=480)
    ps.indent_task(actor=owner, task=child)
    parent.refresh_from_db()
    assert parent.is_summary
    risk.refresh_from_db()
    client.force_login(editor)
    page = client.get(f"/risks/{risk.pk}/").content.decode()
    assert f'<option value="{parent.pk}" selected>Phase 1 (phase)</option>' in page
    assert f'<option value="{child.pk}">\u2003Child</option>' in page
    r = client.post(
        f"/risks/{risk.pk}/",
        _form(title="Late (renamed)", version=risk.version, tasks=parent.pk),
    )
    assert r.status_code == 302
    risk.refresh_from_db()
    assert (risk.title, [t.name for t in risk.tasks.all()]) == ("Late (renamed)", ["Phase 1"])


def test_a_risk_on_a_milestone_already_reached_delays_nothing(project: Any, owner: Any) -> None:
    """A milestone was never "done" for the simulation: a certain five-day risk on a reached
    milestone still moved P50 a week past the no-uncertainty finish."""
    a, _ = ps.create_task(actor=owner, project=project, name="A", duration_minutes=480)
    m, _ = ps.create_task(actor=owner, project=project, name="M", is_milestone=True)
    c, _ = ps.create_task(actor=owner, project=project, name="C", duration_minutes=480)
    ps.add_link(actor=owner, project=project, pred=a, succ=m)
    ps.add_link(actor=owner, project=project, pred=m, succ=c)
    for t in (a, m):
        t.refresh_from_db()
        ps.update_task(actor=owner, task=t, expected_version=t.version, status="done")
    services.create_risk(
        actor=owner,
        project=project,
        title="Sign-off late",
        probability=5,
        impact=4,
        tasks=[m],
        impact_likely_days=5,
    )
    fixed = {a.pk: (480, 480, 480), c.pk: (480, 480, 480)}
    run = services.run_simulation(
        actor=owner, project=project, expected_version=None, estimates=fixed
    )
    assert run.p50 == run.deterministic_finish
    assert run.p95 == run.deterministic_finish


def test_a_start_no_earlier_than_date_is_a_floor_not_a_pin(project: Any, owner: Any) -> None:
    """A task whose "start no earlier than" date does not bind was released at its scheduled
    start, so a predecessor finishing early never showed: P50 was the no-uncertainty finish."""
    a, _ = ps.create_task(actor=owner, project=project, name="A", duration_minutes=5 * 480)
    b, _ = ps.create_task(
        actor=owner,
        project=project,
        name="B",
        duration_minutes=480,
        constraint_type="snet",
        constraint_date=dt.date(2025, 3, 4),
    )
    ps.add_link(actor=owner, project=project, pred=a, succ=b)
    b.refresh_from_db()
    assert b.start is not None and b.start.date() == dt.date(2025, 3, 10)  # B waits for A
    # A can only go faster (2.5 to 5 days); B is certain.
    run = services.run_simulation(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={a.pk: (1200, 2400, 2400), b.pk: (480, 480, 480)},
    )
    assert run.p50 is not None and run.deterministic_finish is not None
    assert run.p50 < run.deterministic_finish
    # A date that binds still holds: B not before Wednesday 12 March whatever A does.
    b.refresh_from_db()
    ps.update_task(
        actor=owner, task=b, expected_version=b.version, constraint_date=dt.date(2025, 3, 12)
    )
    held = services.run_simulation(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={a.pk: (1200, 2400, 2400), b.pk: (480, 480, 480)},
    )
    assert held.p50 == held.p95 == held.deterministic_finish


def test_a_programme_of_projects_not_planned_reads_not_planned(
    client: Any, org: Any, owner: Any
) -> None:
    from twofold.projects import programmes

    prog = programmes.create_programme(actor=owner, organisation=org, name="Prog")
    ps.create_project(
        actor=owner,
        organisation=org,
        name="Empty",
        code="EMP",
        target_start=dt.date(2027, 1, 4),
        programme=prog,
    )
    assert programmes.rollup_of(prog).level == "not_planned"
    client.force_login(owner)
    page = client.get("/programmes/").content.decode()
    assert "badge-not_planned" in page and "1 not planned" in page and "On track" not in page


def test_portfolio_cards_follow_a_change_of_the_date_format(
    client: Any, org: Any, owner: Any
) -> None:
    """The cards are cached by what they show; the organisation's date format was not part of
    the key, so they kept the old format for an hour."""
    project = ps.create_project(
        actor=owner, organisation=org, name="Fmt", code="FMT", target_start=dt.date(2027, 3, 1)
    )
    ps.create_task(actor=owner, project=project, name="Gate M", is_milestone=True)
    client.force_login(owner)
    assert "1 Mar" in client.get("/").content.decode()
    org.date_format = "yyyy-mm-dd"
    org.save()
    page = client.get("/").content.decode()
    assert "03-01" in page and "1 Mar" not in page


def test_a_task_added_after_the_baseline_counts_in_percent_planned(
    project: Any, owner: Any
) -> None:
    """Percent complete weighs every leaf task; percent planned only the first baseline's. A
    task added after the baseline, not due for months, turned an on-plan project red:
    "Progress 50 points behind plan"."""
    from twofold.projects import selectors as project_selectors

    a, _ = ps.create_task(actor=owner, project=project, name="A", duration_minutes=5 * 480)
    ps.save_baseline(actor=owner, project=project, name="B0")
    ps.create_task(
        actor=owner,
        project=project,
        name="B",
        duration_minutes=5 * 480,
        constraint_type="snet",
        constraint_date=dt.date(2099, 6, 1),
    )
    a.refresh_from_db()
    ps.update_task(actor=owner, task=a, expected_version=a.version, percent_complete=100)
    project.refresh_from_db()
    card = project_selectors.project_card(project.organisation, project)
    assert (round(card.percent_complete), round(card.percent_planned)) == (50, 50)
    assert not any("behind plan" in reason for reason in card.health.reasons)


def test_a_percent_lag_from_a_summary_gives_the_schedules_finish(project: Any, owner: Any) -> None:
    """The simulation took a summary's stored duration (a day, left from before it had
    subtasks) for a "% of predecessor" lag, the scheduler none: fixed estimates finished a day
    and a half after the schedule, where docs/risks.md says they are equal."""
    s, _ = ps.create_task(actor=owner, project=project, name="S")
    a, _ = ps.create_task(actor=owner, project=project, name="A", duration_minutes=2 * 480)
    b, _ = ps.create_task(actor=owner, project=project, name="B", duration_minutes=3 * 480)
    ps.indent_task(actor=owner, task=a)
    b.refresh_from_db()
    ps.indent_task(actor=owner, task=b)
    a.refresh_from_db()
    b.refresh_from_db()
    ps.add_link(actor=owner, project=project, pred=a, succ=b)
    c, _ = ps.create_task(actor=owner, project=project, name="C", duration_minutes=480)
    s.refresh_from_db()
    ps.add_link(actor=owner, project=project, pred=s, succ=c, lag=50, lag_unit="%")
    project.refresh_from_db()
    run = services.run_simulation(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={a.pk: (960, 960, 960), b.pk: (1440, 1440, 1440), c.pk: (480, 480, 480)},
    )
    assert run.deterministic_finish == project.scheduled_finish
    assert run.p50 == project.scheduled_finish


def test_a_stale_delete_of_a_risk_is_refused(
    client: Any, api: Any, org: Any, project: Any, owner: Any
) -> None:
    """A risk's delete carried no version on the page or the API: one changed since it was read
    went to the trash all the same."""
    from twofold.risks.models import Risk

    risk = services.create_risk(actor=owner, project=project, title="Late")
    seen = risk.version
    services.update_risk(actor=owner, risk=risk, expected_version=seen, title="Late parts")
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/risks/{risk.pk}"
    stale = api(owner).delete(f"{url}?version={seen}")
    assert stale.status_code == 409, stale.content
    client.force_login(owner)
    r = client.post(f"/risks/{risk.pk}/", {"delete": "1", "version": seen})
    assert r.status_code == 302 and Risk.objects.filter(pk=risk.pk).exists()
    risk.refresh_from_db()
    assert api(owner).delete(f"{url}?version={risk.version}").status_code == 204
    assert not Risk.objects.filter(pk=risk.pk).exists()


def test_a_reached_milestone_sits_at_the_end_of_its_day(
    client: Any, project: Any, owner: Any
) -> None:
    """A done milestone started at 08:00 and finished at 17:00 with no duration, so every
    reached milestone showed a start variance of "-1 d" against its baseline (17:00/17:00)."""
    from twofold.projects.models import Task

    a, _ = ps.create_task(actor=owner, project=project, name="A", duration_minutes=480)
    m, _ = ps.create_task(actor=owner, project=project, name="Pilot closed", is_milestone=True)
    ps.add_link(actor=owner, project=project, pred=a, succ=m)
    ps.save_baseline(actor=owner, project=project, name="B0")
    for t in (a, m):
        t = Task.objects.get(pk=t.pk)
        ps.update_task(actor=owner, task=t, expected_version=t.version, status="done")
    m = Task.objects.get(pk=m.pk)
    assert m.start == m.finish
    a = Task.objects.get(pk=a.pk)
    assert m.finish is not None and m.finish == a.finish  # with its predecessor's end
    client.force_login(owner)
    page = client.get(f"/projects/{project.pk}/baselines/").content.decode()
    assert "-1 d" not in page and "−1 d" not in page


def test_the_activity_feed_names_the_people_assigned(project: Any, owner: Any, editor: Any) -> None:
    """The history of an assignment change read "16:100:None; 17:50:None"."""
    from twofold.core.models import HistoryEntry

    task, _ = ps.create_task(actor=owner, project=project, name="Racking", duration_minutes=960)
    ps.set_task_assignments(
        actor=owner,
        task=task,
        rows=[ps.AssignmentRow(owner, 100), ps.AssignmentRow(editor, 50, 240)],
        expected_version=task.version,
    )
    entry = HistoryEntry.objects.filter(object_id=task.pk, changes__has_key="assignments").get()
    assert entry.changes["assignments"] == [
        [],
        [f"{owner.display_name} 100 %, 16 h", f"{editor.display_name} 50 %, 4 h"],
    ]
