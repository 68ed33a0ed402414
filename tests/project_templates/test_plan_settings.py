"""A template keeps the calendar, progress rule and task types the plan was made with; the
delete page checks the version it was opened at."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages

from twofold.calendars import services as calendars
from twofold.project_templates import services
from twofold.project_templates.models import ProjectTemplate
from twofold.projects import services as projects
from twofold.projects.models import Project, Task

pytestmark = pytest.mark.django_db
NEW_MONDAY = dt.date(2026, 6, 1)
SEVEN_DAYS = {str(d): [["08:00", "12:00"], ["13:00", "17:00"]] for d in range(7)}


def _from(template: ProjectTemplate, org: Any, owner: Any, code: str = "N1") -> Project:
    new = services.create_project_from_template(
        actor=owner,
        organisation=org,
        template=template,
        name=f"From {template.name} {code}",
        code=code,
        target_start=NEW_MONDAY,
    )
    new.refresh_from_db()
    return new


def test_a_project_from_a_template_keeps_its_calendar_progress_rule_and_task_types(
    org: Any, owner: Any, project: Project
) -> None:
    """Until 2026-12-06 the copy ran on the default Mon-Fri week with the default rule, and
    every task was "fixed units", not effort-driven."""
    cal = calendars.create_calendar(actor=owner, organisation=org, name="7 days", hours=SEVEN_DAYS)
    project, _ = projects.update_project(
        actor=owner,
        project=project,
        expected_version=project.version,
        calendar=cal,
        progress_rule="retained",
    )
    a, _ = projects.create_task(actor=owner, project=project, name="A", duration_minutes=10 * 480)
    projects.create_task(actor=owner, project=project, name="B", duration_minutes=480)
    Task.objects.filter(pk=a.pk).update(task_type="fixed_work", effort_driven=True)
    template = services.save_as_template(actor=owner, project=project, name="T")
    assert (template.content["calendar_id"], template.content["progress_rule"]) == (
        cal.pk,
        "retained",
    )
    new = _from(template, org, owner)
    assert (new.calendar_id, new.progress_rule) == (cal.pk, "retained")
    rows = Task.objects.filter(project=new).order_by("position")
    assert [(t.name, t.task_type, t.effort_driven) for t in rows] == [
        ("A", "fixed_work", True),
        ("B", "fixed_units", False),
    ]
    first = rows[0]
    # Ten working days on a seven-day week: Mon 1 to Wed 10 June (not Fri 12 on Mon-Fri).
    assert (first.start.date(), first.finish.date()) == (NEW_MONDAY, dt.date(2026, 6, 10))


def test_a_calendar_gone_or_of_another_organisation_falls_back_to_the_default(
    org: Any, owner: Any, project: Project, make_org: Any, member: Any
) -> None:
    from twofold.accounts.models import Role

    rival = make_org("Rival Ltd")
    rival_owner = member(rival, Role.OWNER, full_name="Rita Rival")
    theirs = calendars.create_calendar(
        actor=rival_owner, organisation=rival, name="Theirs", hours=SEVEN_DAYS
    )
    projects.create_task(actor=owner, project=project, name="A", duration_minutes=480)
    template = services.save_as_template(actor=owner, project=project, name="T")
    for code, calendar_id in (("N1", theirs.pk), ("N2", 999_999), ("N3", "1"), ("N4", True)):
        ProjectTemplate.objects.filter(pk=template.pk).update(
            content={**template.content, "calendar_id": calendar_id, "progress_rule": "bogus"}
        )
        template.refresh_from_db()
        new = _from(template, org, owner, code)
        assert (new.calendar_id, new.progress_rule) == (None, "override")


def test_a_template_saved_before_these_were_kept_still_makes_projects(
    org: Any, owner: Any, project: Project
) -> None:
    projects.create_task(actor=owner, project=project, name="A", duration_minutes=2 * 480)
    template = services.save_as_template(actor=owner, project=project, name="Old")
    old = {k: v for k, v in template.content.items() if k not in ("calendar_id", "progress_rule")}
    old["tasks"] = [
        {k: v for k, v in row.items() if k not in ("task_type", "effort_driven")}
        for row in old["tasks"]
    ]
    ProjectTemplate.objects.filter(pk=template.pk).update(content=old)
    template.refresh_from_db()
    new = _from(template, org, owner)
    assert (new.calendar_id, new.progress_rule) == (None, "override")
    task = Task.objects.get(project=new)
    assert (task.task_type, task.effort_driven) == ("fixed_units", False)
    assert (task.start.date(), task.finish.date()) == (NEW_MONDAY, dt.date(2026, 6, 2))


@pytest.mark.parametrize("posted", ["1x", "1", "99999999999999999999999"])
def test_the_delete_page_refuses_a_garbled_or_stale_version(
    org: Any, owner: Any, project: Project, signed_in: Any, posted: str
) -> None:
    """``whole_number`` made a garbled version "no check": the template was deleted whatever
    had changed since the page was opened (until 2026-12-06)."""
    template = services.save_as_template(actor=owner, project=project, name="T")
    services.update_template(actor=owner, template=template, expected_version=1, name="T2")
    client = signed_in(owner)
    response = client.post(f"/templates/{template.pk}/delete/", {"version": posted})
    assert (response.status_code, response["Location"]) == (302, f"/templates/{template.pk}/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Someone changed the template T2 since you read it: look again before deleting it."
    ]
    assert ProjectTemplate.objects.filter(pk=template.pk, version=2).exists()
    deleted = client.post(f"/templates/{template.pk}/delete/", {"version": "2"})
    assert (deleted.status_code, deleted["Location"]) == (302, "/templates/")
    assert not ProjectTemplate.objects.exists()
