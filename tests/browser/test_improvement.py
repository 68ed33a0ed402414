"""Continuous improvement in a real browser with the demo data: raise an item from a KPI
signal, start a project from it, and accept a handover from a project into operations."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_improvement_walkthrough(page, live_server, demo_org, sign_in, shot):
    from twofold.improvement.models import Handover, ImprovementItem

    sign_in()
    page.get_by_role("link", name="Improvement").first.click()
    assert page.get_by_role("heading", name="In progress").is_visible()
    assert page.get_by_role(
        "link", name="Scrap rate up on Line 2 since the spindle change"
    ).is_visible()
    shot("improvement-board")
    page.get_by_role("link", name="List").click()
    shot("improvement-list")

    page.get_by_role("link", name="Signals from operations").click()
    assert page.get_by_text("Raised as").first.is_visible()
    shot("improvement-signals")
    page.get_by_role(
        "link", name="Raise improvement: Working days to close — unusual change (improving)"
    ).click()
    assert page.get_by_text("Evidence from operations").is_visible()
    page.get_by_label("Title").fill("Keep the faster monthly close")
    page.get_by_label("Problem statement").fill(
        "Close time dropped after the new reconciliation template; make it stick."
    )
    page.get_by_label("Owner").select_option(label="Mei Chen")
    page.get_by_label("Effort").select_option("S")
    shot("improvement-raise-form")
    page.get_by_role("button", name="Raise improvement").click()
    assert "raised" in page.locator(".flash-success").inner_text()
    item = ImprovementItem.objects.get(title="Keep the faster monthly close")
    assert item.evidence.startswith("Working days to close:")

    page.get_by_label("Project name").fill("Monthly close standard work")
    page.get_by_label("Project manager").select_option(label="Mei Chen")
    page.get_by_role("button", name="Start a project").click()
    assert "started in initiation" in page.locator(".flash-success").inner_text()
    assert page.get_by_role("progressbar").is_visible()
    item.refresh_from_db()
    assert item.status == "in_progress" and item.project.phase == "initiation"
    shot("improvement-item-with-project")

    page.locator(".crumbs").get_by_role("link", name="Improvement").click()
    page.get_by_role("link", name="Handovers").click()
    shot("improvement-handovers")
    page.get_by_role("link", name="New CNC machine commissioning").click()
    page.get_by_role("button", name="Accept handover").click()
    assert page.get_by_role("alert").first.inner_text().startswith("Tick every deliverable first")
    shot("improvement-handover-refused")
    page.get_by_label("First-article inspection report signed").check()
    page.get_by_role("button", name="Save checklist").click()
    page.get_by_role("button", name="Accept handover").click()
    assert "accepted" in page.locator(".flash-success").inner_text()
    assert Handover.objects.get(project__code="OPX-05").status == "accepted"
    shot("improvement-handover-accepted")

    done = ImprovementItem.objects.get(status="done")
    page.goto(f"{live_server.url}/improvement/items/{done.pk}/")
    shot("improvement-item-done")


def test_improvement_item_pages_desktop_and_phone(page, live_server, demo_org, sign_in, shot):
    from twofold.improvement.models import ImprovementItem

    sign_in()
    item = ImprovementItem.objects.filter(organisation=demo_org, status="in_progress").first()
    for width, suffix in ((1280, ""), (390, "-phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/improvement/items/{item.pk}/")
        assert page.get_by_role("heading", name=item.title).is_visible()
        # Going back is never the primary button.
        assert page.locator(".ci-moves .btn-primary", has_text="Back").count() == 0
        shot(f"improvement-item{suffix}")
