"""A programme's progress weighs each project by its work, as a project weighs its tasks."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.projects import programmes, services
from twofold.projects.models import Project

DAY = 480


def _project_with(org: Any, owner: Any, programme: Any, code: str, days: int, done: int) -> Project:
    project = services.create_project(actor=owner, organisation=org, name=code, code=code)
    task, _ = services.create_task(
        actor=owner, project=project, name="Work", duration_minutes=days * DAY
    )
    if done:
        services.update_task(
            actor=owner, task=task, expected_version=task.version, percent_complete=done
        )
    project.refresh_from_db()
    programmes.assign_project(
        actor=owner, project=project, programme=programme, expected_version=project.version
    )
    return project


@pytest.mark.django_db
def test_a_programme_weighs_each_project_by_its_work(org: Any, owner: Any, api: Any) -> None:
    programme = programmes.create_programme(actor=owner, organisation=org, name="Lean")
    _project_with(org, owner, programme, "SHORT", days=10, done=100)
    _project_with(org, owner, programme, "LONG", days=90, done=0)
    empty = services.create_project(actor=owner, organisation=org, name="Empty", code="EMPTY")
    programmes.assign_project(
        actor=owner, project=empty, programme=programme, expected_version=empty.version
    )
    (row,) = programmes.rollups(org)
    assert [c.project.code for c in row.cards] == ["EMPTY", "LONG", "SHORT"]
    # 10 of 100 days done: 10 %, where the plain average of 100, 0 and 0 read 33.3 %.
    assert row.percent_complete == pytest.approx(10.0)
    assert programmes.rollup_of(programme).percent_complete == pytest.approx(10.0)
    listed = api(owner).get(f"/api/organisations/{org.pk}/programmes").json()
    assert listed[0]["percent_complete"] == 10.0


@pytest.mark.django_db
def test_a_programme_without_work_reads_zero(org: Any, owner: Any) -> None:
    programme = programmes.create_programme(actor=owner, organisation=org, name="Idle")
    (row,) = programmes.rollups(org)
    assert row.cards == [] and row.percent_complete == 0.0 and row.percent_planned == 0.0
    assert programme.pk == row.programme.pk
