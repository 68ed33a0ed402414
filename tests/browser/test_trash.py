"""The trash in a browser: delete a task with its subtask, see it gone, restore it as an admin."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_delete_a_task_then_restore_it_from_the_trash(page, live_server, sign_in, shot, member):
    from twofold.accounts.models import Organisation, Role
    from twofold.projects import services

    org = Organisation.objects.create(name="Halden Works", slug="halden")
    owner = member(org, Role.OWNER, email="olivia@example.com", full_name="Olivia Owner")
    project = services.create_project(
        actor=owner,
        organisation=org,
        name="Press line",
        code="PL",
        target_start=dt.date(2026, 3, 2),
    )
    summary, _ = services.create_task(actor=owner, project=project, name="Install press")
    services.create_task(actor=owner, project=project, name="Anchor the frame", parent=summary)
    services.create_task(actor=owner, project=project, name="Commission")

    sign_in("olivia@example.com", "correct horse battery")
    page.goto(f"{live_server.url}/projects/{project.pk}/tasks/")
    page.get_by_role("link", name="Move Install press to trash…").click()
    assert page.get_by_role("heading", name="Move “Install press” to the trash?").is_visible()
    assert page.get_by_text("An admin can restore it").is_visible()
    shot("trash-task-confirm")
    page.get_by_role("button", name="Move 2 tasks to trash").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Moved Install press to the trash").is_visible()
    assert page.get_by_role("link", name="Open Commission").is_visible()
    assert page.get_by_role("link", name="Open Install press").count() == 0
    assert page.get_by_role("link", name="Open Anchor the frame").count() == 0
    shot("trash-task-gone")

    page.goto(f"{live_server.url}/accounts/settings/")
    page.get_by_role("link", name="Trash", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Trash", exact=True).is_visible()
    row = page.locator("[data-testid=trash] tbody tr")
    assert row.count() == 1
    assert "Task “Install press”" in row.inner_text()
    assert "with 1 subtask" in row.inner_text()
    shot("trash-page")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("trash-page-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.get_by_role("button", name="Restore Task “Install press”").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Restored task “Install press”").is_visible()
    page.goto(f"{live_server.url}/projects/{project.pk}/tasks/")
    assert page.get_by_role("link", name="Open Anchor the frame").is_visible()
    assert page.get_by_role("link", name="Open Install press").is_visible()
    shot("trash-restored")

    # "Delete now" asks first, then deletes for good.
    from twofold.projects.models import Task

    commission = Task.objects.get(name="Commission")
    services.delete_task(actor=owner, task=commission)
    page.goto(f"{live_server.url}/trash/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Task “Commission” now, for good").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("The trash is empty").is_visible()
    assert not Task.all_objects.filter(pk=commission.pk).exists()
