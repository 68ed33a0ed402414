"""Change control and earned value with the demo data: raise a change request, read its impact
diff, approve it and find the new baseline; the EVM page with its S-curve (desktop and phone)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_change_request_to_baseline_and_the_evm_page(page, live_server, demo_org, sign_in, shot):
    from twofold.projects.models import Project

    cnc = Project.objects.get(organisation=demo_org, code="OPX-05")
    line3 = Project.objects.get(organisation=demo_org, code="OPX-03")
    sign_in()

    page.goto(f"{live_server.url}/changes/projects/{cnc.pk}/")
    expect(
        page.get_by_role("link", name=re.compile("CR-1 Add a spindle vibration test"))
    ).to_be_visible()
    page.get_by_role("link", name="Raise a change request").click()
    page.get_by_label("Title").fill("Add a coolant concentration check")
    page.get_by_label("Reason").fill(
        "The new coolant needs a daily check during the capability run."
    )
    page.get_by_label("Row 1: Change").select_option("add")
    page.get_by_label("Row 1: New task name").fill("Coolant concentration check")
    page.get_by_label("Row 1: Days").fill("2")
    page.get_by_label("Row 1: After").select_option(label="First-article inspection")
    page.get_by_role("button", name="Preview impact").click()
    impact = page.locator(".impact-table")
    expect(impact).to_be_visible()
    expect(impact).to_contain_text("With the change")
    shot("changes-preview")
    page.get_by_role("button", name="Raise the change request").click()
    expect(page.get_by_role("heading", name=re.compile("CR-2 Add a coolant"))).to_be_visible()
    shot("changes-detail")
    page.locator("#id_decision").select_option("approve")
    page.get_by_role("button", name="Record the decision").click()
    expect(
        page.get_by_text(re.compile(r"CR-2 was approved and applied; baseline #2 saved"))
    ).to_be_visible()
    page.get_by_role("link", name=re.compile("#2 CR-2 Add a coolant")).click()
    expect(page.get_by_text("CR-2 Add a coolant concentration check").first).to_be_visible()
    shot("changes-baselines")

    page.goto(f"{live_server.url}/evm/projects/{line3.pk}/")
    expect(page.locator(".evm-chart svg polyline.pv")).to_be_visible()
    expect(page.get_by_text("BCWP").first).to_be_visible()
    expect(page.get_by_text("Over cost: CPI 0.86")).to_be_visible()
    shot("evm-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator(".evm-chart svg")).to_be_visible()
    shot("evm-phone")
