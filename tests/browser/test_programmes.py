"""Programmes and templates in a real browser with the demo data: create a programme, save a
project as a template, create a project from it into the programme, archive a project."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_programme_and_template_walkthrough(page, live_server, demo_org, sign_in, shot):
    from twofold.projects.models import Project, Task

    sign_in()
    page.goto(f"{live_server.url}/programmes/")
    assert page.get_by_role("heading", name="Programmes", level=1).is_visible()
    shot("programmes-list")
    page.get_by_role("link", name="New programme").click()
    page.get_by_label("Name").fill("Plant 2 expansion")
    page.get_by_label("Manager").select_option(index=1)
    page.get_by_label("Objectives").fill("- Second press line running by **Q3**\n- OEE above 80 %")
    page.get_by_role("button", name="Create programme").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Plant 2 expansion").is_visible()
    assert page.locator(".markdown strong").inner_text() == "Q3"

    source = Project.objects.get(organisation=demo_org, code="OPX-03")
    page.goto(f"{live_server.url}/projects/{source.pk}/")
    page.get_by_role("link", name="Save as template").click()
    page.get_by_label("Template name").fill("Press line installation")
    page.get_by_role("button", name="Save template").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Press line installation").is_visible()
    shot("template-detail")

    page.get_by_role("link", name="New project from this template").click()
    page.get_by_label("Project name").fill("Press line 2")
    page.get_by_label("Code").fill("PL2-01")
    page.get_by_label("Start").fill("2027-03-01")
    page.get_by_label("Programme").select_option(label="Plant 2 expansion")
    shot("template-new-project")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_load_state("networkidle")
    new = Project.objects.get(organisation=demo_org, code="PL2-01")
    assert new.programme is not None and new.programme.name == "Plant 2 expansion"
    assert Task.objects.filter(project=new).count() == Task.objects.filter(project=source).count()
    first = Task.objects.filter(project=new).order_by("start").first()
    assert first.start.date().isoformat() == "2027-03-01"  # a Monday: the plan starts there
    assert page.get_by_text("created from the template Press line installation").is_visible()

    page.get_by_role("button", name="Archive", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Unarchive").is_visible()
    shot("project-archived")
    page.goto(f"{live_server.url}/projects/")
    assert page.get_by_role("link", name="Press line 2").count() == 0
    page.get_by_role("link", name="Show archived").click()
    assert page.get_by_role("link", name="Press line 2").is_visible()

    page.goto(f"{live_server.url}/programmes/")
    shot("programmes-list-after")
    page.goto(f"{live_server.url}/templates/")
    assert page.get_by_role("link", name="Equipment installation").is_visible()
    shot("templates-list")
    page.goto(f"{live_server.url}/projects/{new.pk}/gantt/")
    shot("template-project-gantt")
    page.goto(f"{live_server.url}/projects/{new.pk}/delete/")
    shot("project-delete")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Gate checklists").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="+ Add item").first.click()
    shot("settings-gate-checklists")

    page.set_viewport_size({"width": 390, "height": 844})
    for name, path in (
        ("programmes-list-390", "/programmes/"),
        ("programme-detail-390", f"/programmes/{new.programme.pk}/"),
        ("template-new-project-390", "/templates/new-project/"),
        ("templates-list-390", "/templates/"),
        ("settings-gate-checklists-390", "/settings/gate-checklists/"),
        ("project-delete-390", f"/projects/{new.pk}/delete/"),
    ):
        page.goto(f"{live_server.url}{path}")
        shot(name)
