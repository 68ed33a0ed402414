"""The whole improvement loop on the demo, in one browser walk: a KPI signal → the improvement
item raised from it → the project started from the item → its handover, accepted by the owner
of a process it creates, builds a routine and a KPI → the data since go-live → the item says
"Improvement confirmed". Desktop width first, then the same pages at phone width (390 px)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEM = "Complaints up: cosmetic defects reach customers"


def test_the_improvement_loop_from_signal_to_confirmed(page, live_server, demo_org, sign_in, shot):
    from twofold.demo import loop
    from twofold.improvement.models import ImprovementItem
    from twofold.operations.models import Kpi, Process, Routine

    item = ImprovementItem.objects.select_related("kpi").get(title=ITEM)
    sign_in()  # Dana Whitfield: owner of the item and of the process the handover creates
    # 1. The KPI whose rise signalled: its chart keeps the signal, before the change point.
    page.goto(f"{live_server.url}/operations/kpis/{item.kpi_id}/")
    expect(
        page.get_by_role("heading", name=re.compile("Complaints per 10,000 parts"))
    ).to_be_visible()
    expect(page.get_by_text("The chart has 2 phases")).to_be_visible()
    expect(page.locator("#kpi-chart")).to_have_attribute(
        "aria-label", re.compile(r"in 2 phases: [1-9]\d* signals")
    )
    shot("loop-1-kpi-signal")
    page.goto(f"{live_server.url}/improvement/items/{item.pk}/")

    # 2. The item: from the KPI signal, with its project.
    expect(page.get_by_role("heading", name=ITEM)).to_be_visible()
    expect(page.get_by_text("KPI needs attention").first).to_be_visible()
    project = page.locator("section[aria-labelledby=project-title]")
    expect(project.get_by_role("link", name=re.compile(loop.PROJECT))).to_be_visible()
    shot("loop-2-item")

    # 3. The project's handover to a new process, with a routine and a KPI drafted.
    project.get_by_role("link", name=re.compile(f"To {loop.NEW_PROCESS}")).click()
    expect(page.get_by_role("heading", name=re.compile(f"to {loop.NEW_PROCESS}"))).to_be_visible()
    expect(page.get_by_text("new: created on acceptance")).to_be_visible()
    expect(page.get_by_text(loop.ROUTINE).first).to_be_visible()
    expect(page.get_by_text(loop.KPI).first).to_be_visible()
    shot("loop-3-handover-drafted")

    # 4. Dana accepts: the process, its routine and its KPI are created, linked back.
    page.get_by_role("button", name="Accept handover").click()
    expect(page.get_by_text("Handover accepted: operations now runs it.")).to_be_visible()
    expect(page.get_by_text("created by this handover", exact=True)).to_be_visible()
    shot("loop-4-handover-accepted")
    process = Process.objects.get(organisation=demo_org, name=loop.NEW_PROCESS)
    assert Routine.objects.filter(process=process, name=loop.ROUTINE).count() == 1
    assert Kpi.objects.filter(process=process, name=loop.KPI).count() == 1
    page.get_by_role("link", name=loop.NEW_PROCESS).first.click()
    expect(page.get_by_text(re.compile(r"Created by handover of"))).to_be_visible()
    expect(page.get_by_role("link", name=loop.ROUTINE).first).to_be_visible()
    shot("loop-5-new-process")

    # 5. After go-live the data decide: improvement confirmed.
    page.goto(f"{live_server.url}/improvement/items/{item.pk}/")
    expect(page.get_by_test_id("verdict")).to_have_text("Improvement confirmed")
    expect(
        page.get_by_text("8 points in a row on the better side of the old centre line").first
    ).to_be_visible()
    shot("loop-6-confirmed")

    # The same pages at phone width.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_test_id("verdict")).to_have_text("Improvement confirmed")
    shot("loop-6-confirmed-phone")
    page.get_by_role("link", name=re.compile(f"To {loop.NEW_PROCESS}")).click()
    expect(page.get_by_text("created by this handover", exact=True)).to_be_visible()
    shot("loop-4-handover-accepted-phone")
