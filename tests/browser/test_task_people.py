"""The task page's People and work panel in a real browser: add people (effort-driven, the
duration follows), a refused units value, remove a person; desktop and phone width."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_people_and_work(page: Any, live_server: Any, org: Any, member: Any, shot: Any) -> None:
    from twofold.accounts.models import Role
    from twofold.projects import services

    owner = member(org, Role.OWNER, full_name="Olivia Owner", email="olivia@example.com")
    member(org, Role.MEMBER, full_name="Ann Architect")
    member(org, Role.MEMBER, full_name="Bob Builder")
    project = services.create_project(
        actor=owner,
        organisation=org,
        name="Press line",
        code="PL",
        target_start=dt.date(2025, 3, 3),
    )
    task, _ = services.create_task(
        actor=owner, project=project, name="Wire the cabinet", duration_minutes=4 * 480
    )
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail").fill(owner.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/projects/{project.pk}/tasks/{task.pk}/")

    panel = page.locator("section", has=page.get_by_role("heading", name="People and work"))
    panel.get_by_label("Task type").select_option("fixed_units")
    panel.get_by_label("Effort-driven").check()
    panel.get_by_role("button", name="Save task type").click()
    expect(page.get_by_text("Task type saved.")).to_be_visible()

    panel = page.locator("section", has=page.get_by_role("heading", name="People and work"))
    panel.get_by_label("Person").select_option(label="Ann Architect")
    panel.get_by_role("button", name="Add person").click()
    expect(page.get_by_text("Ann Architect added.")).to_be_visible()

    panel = page.locator("section", has=page.get_by_role("heading", name="People and work"))
    panel.get_by_label("Person").select_option(label="Bob Builder")
    panel.get_by_label("Units (%)").fill("0")
    panel.get_by_role("button", name="Add person").click()
    expect(page.get_by_text("units must be above 0 %")).to_be_visible()
    shot("task-people-error")

    panel = page.locator("section", has=page.get_by_role("heading", name="People and work"))
    panel.get_by_label("Units (%)").fill("100")
    panel.get_by_role("button", name="Add person").click()
    expect(page.get_by_text("Bob Builder added.")).to_be_visible()
    # Effort-driven: 32 h of work over two people, the 4 days become 2.
    expect(page.get_by_text("duration 2 d · work 32 h")).to_be_visible()
    shot("task-people")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("task-people-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.get_by_role("button", name="Remove Ann Architect").click()
    expect(page.get_by_text("Ann Architect removed.")).to_be_visible()
    expect(page.get_by_text("duration 4 d · work 32 h")).to_be_visible()
