"""The project's rule for out-of-sequence progress, on the page, in the API and in the dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.projects import services
from twofold.projects.models import Project, Task

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2024, 1, 8)


def _plan(project: Project, owner: Any) -> Task:
    """Pour (5 d) → Frame (4 d), and Frame started on Monday with half of it done."""
    pour, _ = services.create_task(
        actor=owner, project=project, name="Pour", duration_minutes=5 * 480
    )
    frame, _ = services.create_task(
        actor=owner, project=project, name="Frame", duration_minutes=4 * 480
    )
    services.add_link(actor=owner, project=project, pred=pour, succ=frame)
    frame.refresh_from_db()
    services.update_task(
        actor=owner,
        task=frame,
        expected_version=frame.version,
        actual_start=MONDAY,
        percent_complete=50,
    )
    frame.refresh_from_db()
    return frame


def test_retained_logic_makes_the_started_task_wait_and_override_does_not(
    project: Project, owner: Any, api: Any, org: Any
) -> None:
    frame = _plan(project, owner)
    assert frame.finish is not None and frame.finish.date() == dt.date(2024, 1, 11)
    project.refresh_from_db()
    response = api(owner).patch(
        f"/api/organisations/{org.pk}/projects/{project.pk}",
        {"version": project.version, "progress_rule": "retained"},
    )
    assert response.status_code == 200 and response.json()["progress_rule"] == "retained"
    frame.refresh_from_db()
    # Pour runs from the project start (Monday 3 March 2025) to Friday; Frame's remaining two
    # days follow it: Monday and Tuesday.
    assert frame.finish is not None and frame.finish.date() == dt.date(2025, 3, 11)
    assert frame.start is not None and frame.start.date() == MONDAY
    bad = api(owner).patch(
        f"/api/organisations/{org.pk}/projects/{project.pk}",
        {"version": response.json()["version"], "progress_rule": "sometimes"},
    )
    assert bad.status_code == 422 and "progress_rule" in str(bad.json())


def test_the_charter_form_sets_the_rule(project: Project, owner: Any, client: Any) -> None:
    client.force_login(owner)
    page = client.get(f"/projects/{project.pk}/edit/")
    assert "Work started out of sequence" in page.content.decode()
    data = {
        "version": project.version,
        "name": project.name,
        "code": project.code,
        "target_start": "2024-01-08",
        "progress_rule": "retained",
    }
    assert client.post(f"/projects/{project.pk}/edit/", data).status_code == 302
    project.refresh_from_db()
    assert project.progress_rule == "retained"
