"""A milestone weighs one hour in percent complete and in percent planned alike (a task made a
milestone kept its 480 minutes in percent planned only, until 2026-12-06: a project with all
its due work done read "Progress 39 points behind plan", red)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.projects import services as projects
from twofold.projects.health import Facts, Level, assess
from twofold.projects.progress import curve_at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("with_baseline", [False, True])
def test_a_task_made_a_milestone_weighs_an_hour_in_both(
    org: Any, owner: Any, with_baseline: bool
) -> None:
    p = projects.create_project(
        actor=owner, organisation=org, name="Dock", code="DK", target_start=dt.date(2030, 1, 7)
    )
    m, _ = projects.create_task(actor=owner, project=p, name="Kick-off")  # 1 day by default
    projects.create_task(
        actor=owner,
        project=p,
        name="Work",
        constraint_type="snet",
        constraint_date=dt.date(2030, 1, 9),
    )
    if with_baseline:  # the baseline row keeps the kick-off's 480 minutes
        p.refresh_from_db()
        projects.save_baseline(actor=owner, project=p, name="Plan", number=0)
    m.refresh_from_db()
    projects.update_task(actor=owner, task=m, expected_version=m.version, is_milestone=True)
    m.refresh_from_db()
    projects.update_task(actor=owner, task=m, expected_version=m.version, status="done")
    p.refresh_from_db()
    # Tuesday noon: the milestone is due and done, the work not due before Wednesday.
    planned = curve_at(p.planned_curve, dt.datetime(2030, 1, 8, 12, tzinfo=dt.UTC))
    assert (p.percent_complete, round(planned, 1)) == (11.1, 11.1)  # 60 of 540 minutes
    health = assess(Facts(percent_complete=p.percent_complete, percent_planned=planned))
    assert health.level == Level.GREEN
