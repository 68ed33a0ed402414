"""Schedule risk: exact results for a tiny project with a fixed seed, events, settings, pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from twofold.core.errors import Conflict, Invalid
from twofold.projects import services as project_services
from twofold.risks import services
from twofold.risks.models import RiskAnalysis
from twofold.risks.simulation import default_estimate

pytestmark = pytest.mark.django_db

FIXED = {"estimates": None}


def _local(value):
    return value.astimezone(dt.UTC).replace(tzinfo=None)  # the org is Europe/London: GMT in March


def test_default_estimate():
    assert default_estimate(480) == (432, 480, 624)


def test_no_uncertainty_gives_the_planned_finish(project, chain, owner):
    a, b, _m = chain
    analysis = services.run_simulation(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={a.pk: (1440, 1440, 1440), b.pk: (960, 960, 960)},
    )
    # A (3 d) then B (2 d) from Monday 3 March 08:00: Friday 7 March 17:00, in every iteration.
    friday = dt.datetime(2025, 3, 7, 17, 0)
    assert _local(analysis.p50) == _local(analysis.p95) == friday
    assert _local(analysis.deterministic_finish) == friday
    assert project.scheduled_finish == analysis.deterministic_finish
    assert analysis.result["criticality"] == [
        {"id": a.pk, "name": "A", "ci": 1.0, "sensitivity": 0.0},
        {"id": b.pk, "name": "B", "ci": 1.0, "sensitivity": 0.0},
        {"id": chain[2].pk, "name": "M", "ci": 1.0, "sensitivity": 0.0},
    ]
    assert analysis.result["tornado"] == []


def test_fixed_seed_gives_exact_percentiles(project, chain, owner):
    analysis = services.run_simulation(actor=owner, project=project, expected_version=None)
    again = services.run_simulation(actor=owner, project=project, expected_version=None)
    assert analysis.result["percentiles"] == again.result["percentiles"]
    # Seed 1, 5,000 triangular iterations of A (2.7/3/3.9 d) and B (1.8/2/2.6 d).
    assert _local(analysis.p50) == dt.datetime(2025, 3, 10, 10, 32)
    assert _local(analysis.p80) == dt.datetime(2025, 3, 10, 13, 52)
    assert [row["id"] for row in analysis.result["tornado"]] == [chain[0].pk, chain[1].pk]
    assert sum(b["count"] for b in analysis.result["histogram"]) == 5000
    assert analysis.result["scurve"][-1]["pct"] == 100.0
    assert analysis.chance_on_target is None  # the project has no target finish


def test_a_near_certain_risk_event_moves_p50_and_target_chance(project, chain, owner):
    a, b, _m = chain
    project.target_finish = dt.date(2025, 3, 7)
    project.save(update_fields=["target_finish"])
    services.create_risk(
        actor=owner,
        project=project,
        title="Tooling late",
        probability=5,  # 90 %
        impact=4,
        tasks=[b],
        impact_min_days=Decimal(1),
        impact_likely_days=Decimal(2),
        impact_max_days=Decimal(3),
    )
    analysis = services.run_simulation(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={a.pk: (1440, 1440, 1440), b.pk: (960, 960, 960)},
    )
    # Two working days (the triangular mean of 1/2/3) after Friday 17:00 in 90 % of iterations.
    assert _local(analysis.p50) == dt.datetime(2025, 3, 11, 17, 0)
    assert _local(analysis.p95) == dt.datetime(2025, 3, 11, 17, 0)
    assert analysis.result["percentiles"][0] == {"level": 10, "at": "2025-03-07T17:00"}
    assert analysis.result["events"] == ["Tooling late"]
    assert 0.08 < analysis.chance_on_target < 0.12


def test_summary_tasks_and_lags_follow_the_schedule(project, owner):
    phase, _ = project_services.create_task(actor=owner, project=project, name="Phase")
    x, _ = project_services.create_task(actor=owner, project=project, name="X", parent=phase)
    y, _ = project_services.create_task(
        actor=owner, project=project, name="Y", duration_minutes=960
    )
    project_services.add_link(actor=owner, project=project, pred=phase, succ=y, lag=1)
    project.refresh_from_db()
    analysis = services.run_simulation(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={x.pk: (480, 480, 480), y.pk: (960, 960, 960)},
    )
    assert analysis.deterministic_finish == project.scheduled_finish


def test_settings_validation_and_versions(project, chain, owner):
    a = chain[0]
    with pytest.raises(Invalid) as err:
        services.save_settings(actor=owner, project=project, expected_version=1, iterations=10)
    assert err.value.field == "iterations"
    with pytest.raises(Invalid) as err:
        services.save_settings(
            actor=owner, project=project, expected_version=1, estimates={a.pk: (500, 400, 600)}
        )
    assert err.value.field == "estimates"
    with pytest.raises(Invalid) as err:
        services.save_settings(
            actor=owner, project=project, expected_version=1, estimates={chain[2].pk: (0, 0, 0)}
        )
    assert err.value.field == "estimates"
    analysis = services.save_settings(
        actor=owner, project=project, expected_version=1, distribution="pert", iterations=1000
    )
    assert (analysis.version, analysis.distribution, analysis.iterations) == (2, "pert", 1000)
    with pytest.raises(Conflict):
        services.save_settings(actor=owner, project=project, expected_version=1, seed=7)
    assert RiskAnalysis.objects.get(project=project).seed == 1


def test_empty_project_cannot_be_simulated(project, owner):
    with pytest.raises(Invalid):
        services.run_simulation(actor=owner, project=project, expected_version=None)


def test_the_simulation_skips_the_project_calendar_s_holidays(project, chain, owner):
    from twofold.calendars import services as calendar_services

    a, b, _m = chain
    calendar = calendar_services.ensure_default_calendar(project.organisation)
    calendar_services.add_holiday(
        actor=owner,
        calendar=calendar,
        expected_version=None,
        name="Plant closed",
        start=dt.date(2025, 3, 5),
        end=dt.date(2025, 3, 5),
    )
    project.refresh_from_db()
    analysis = services.run_simulation(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={a.pk: (1440, 1440, 1440), b.pk: (960, 960, 960)},
    )
    # Five working days from Monday 3 March with Wednesday 5 March off: Monday 10 March 17:00,
    # in every iteration and in the schedule.
    monday = dt.datetime(2025, 3, 10, 17, 0)
    assert _local(analysis.p50) == _local(analysis.p95) == monday
    assert _local(analysis.deterministic_finish) == monday
    assert project.scheduled_finish == analysis.deterministic_finish


def test_a_risk_on_a_summary_delays_its_subtree(project, owner):
    """A certain 5-day risk linked to a summary task was dropped from the simulation (P95 equal
    to the plan, no event) until 2026-12-05; it now delays the summary's work."""
    phase, _ = project_services.create_task(actor=owner, project=project, name="Phase")
    work, _ = project_services.create_task(
        actor=owner, project=project, name="Work", parent=phase, duration_minutes=2 * 480
    )
    phase.refresh_from_db()
    services.create_risk(
        actor=owner,
        project=project,
        title="Late steel",
        probability=5,
        impact=5,
        tasks=[phase],
        impact_min_days=Decimal(5),
        impact_likely_days=Decimal(5),
        impact_max_days=Decimal(5),
    )
    analysis = services.run_simulation(
        actor=owner, project=project, expected_version=None, estimates={work.pk: (960, 960, 960)}
    )
    # Work: Monday 3 and Tuesday 4 March; five days later (the risk is rated "almost certain",
    # so most iterations hit it): Tuesday 11 March 17:00.
    assert _local(analysis.deterministic_finish) == dt.datetime(2025, 3, 4, 17, 0)
    assert _local(analysis.p95) == dt.datetime(2025, 3, 11, 17, 0)
    assert analysis.result["events"] == ["Late steel"]


def test_a_risk_on_a_summary_and_on_its_task_delays_the_work_once(project, owner):
    """A risk linked to a phase and to a task in it delayed that task twice (P95 Tuesday 18
    March, ten working days after the plan); a risk on a phase and its sub-phase too."""
    outer, _ = project_services.create_task(actor=owner, project=project, name="Stage")
    phase, _ = project_services.create_task(
        actor=owner, project=project, name="Phase", parent=outer
    )
    work, _ = project_services.create_task(
        actor=owner, project=project, name="Work", parent=phase, duration_minutes=2 * 480
    )
    phase.refresh_from_db()
    outer.refresh_from_db()
    for title, tasks in (("Late steel", [phase, work]), ("Late cranes", [work, outer, phase])):
        services.create_risk(
            actor=owner,
            project=project,
            title=title,
            probability=5,
            impact=5,
            tasks=tasks,
            impact_min_days=Decimal(5),
            impact_likely_days=Decimal(5),
            impact_max_days=Decimal(5),
        )
        analysis = services.run_simulation(
            actor=owner,
            project=project,
            expected_version=None,
            estimates={work.pk: (960, 960, 960)},
        )
        assert _local(analysis.deterministic_finish) == dt.datetime(2025, 3, 4, 17, 0)
        # Five working days after Tuesday 4 March, as with the risk on the phase alone.
        assert _local(analysis.p95) == dt.datetime(2025, 3, 11, 17, 0), title
        services.delete_risk(actor=owner, risk=project.risks.get(title=title))


@pytest.mark.parametrize("rule", ["override", "retained"])
def test_a_task_started_out_of_sequence_follows_the_projects_progress_rule(project, owner, rule):
    """A (3 d) → B (4 d), B started Monday at 25 %: with progress override (the default) B
    goes on from Monday, as the schedule shows; with retained logic its remaining work waits
    for A. Either way no uncertainty gives the scheduled finish (until 2026-12-05 the
    simulation made B wait for A and then run its whole duration: three days and one day
    late)."""
    from twofold.projects.models import Project

    Project.objects.filter(pk=project.pk).update(progress_rule=rule)
    project.refresh_from_db()
    a, _ = project_services.create_task(
        actor=owner, project=project, name="A", duration_minutes=3 * 480
    )
    b, _ = project_services.create_task(
        actor=owner, project=project, name="B", duration_minutes=4 * 480
    )
    project_services.add_link(actor=owner, project=project, pred=a, succ=b)
    b.refresh_from_db()
    project_services.update_task(
        actor=owner,
        task=b,
        expected_version=b.version,
        percent_complete=25,
        actual_start=dt.date(2025, 3, 3),
    )
    project.refresh_from_db()
    analysis = services.run_simulation(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={a.pk: (1440, 1440, 1440), b.pk: (1920, 1920, 1920)},
    )
    if rule == "override":
        assert _local(project.scheduled_finish) == dt.datetime(2025, 3, 6, 17, 0)
        assert (
            _local(analysis.p50)
            == _local(analysis.deterministic_finish)
            == dt.datetime(2025, 3, 6, 17, 0)
        )
    else:
        # The remaining three days wait for A (Wednesday 17:00): Thursday, Friday, Monday.
        assert _local(project.scheduled_finish) == dt.datetime(2025, 3, 10, 17, 0)
        assert (
            _local(analysis.p50)
            == _local(analysis.deterministic_finish)
            == dt.datetime(2025, 3, 10, 17, 0)
        )


def test_a_started_task_inside_a_summary_and_a_risk_on_a_finished_phase(project, owner):
    """Progress override let a started subtask wait for its summary's predecessor, and a
    certain risk on a phase whose work was all done pushed the plan a week (a review of the
    day's own fixes found both)."""
    a, _ = project_services.create_task(
        actor=owner, project=project, name="A", duration_minutes=3 * 480
    )
    phase, _ = project_services.create_task(actor=owner, project=project, name="Phase")
    b, _ = project_services.create_task(
        actor=owner, project=project, name="B", parent=phase, duration_minutes=4 * 480
    )
    phase.refresh_from_db()
    project_services.add_link(actor=owner, project=project, pred=a, succ=phase)
    b.refresh_from_db()
    project_services.update_task(
        actor=owner,
        task=b,
        expected_version=b.version,
        percent_complete=25,
        actual_start=dt.date(2025, 3, 3),
    )
    project.refresh_from_db()
    estimates = {a.pk: (1440, 1440, 1440), b.pk: (1920, 1920, 1920)}
    analysis = services.run_simulation(
        actor=owner, project=project, expected_version=None, estimates=estimates
    )
    assert _local(project.scheduled_finish) == dt.datetime(2025, 3, 6, 17, 0)
    assert _local(analysis.p50) == dt.datetime(2025, 3, 6, 17, 0)
    # B done: a certain risk on its phase delays nothing any more.
    b.refresh_from_db()
    project_services.update_task(actor=owner, task=b, expected_version=b.version, status="done")
    services.create_risk(
        actor=owner,
        project=project,
        title="Late steel",
        probability=5,
        impact=5,
        tasks=[phase],
        impact_min_days=Decimal(5),
        impact_likely_days=Decimal(5),
        impact_max_days=Decimal(5),
    )
    project.refresh_from_db()
    analysis = services.run_simulation(
        actor=owner, project=project, expected_version=None, estimates=estimates
    )
    assert _local(analysis.p95) == _local(project.scheduled_finish)
    assert analysis.result["events"] == []
