"""Close-out in a real browser on the demo: the project team drafts a handover with a routine
and a KPI, the process owner accepts it, operations shows them linked back to the project;
a lesson is recorded at closure and becomes an improvement item. Desktop and phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, sign_in, name: str):
    from twofold.accounts.models import User

    page.context.clear_cookies()
    return sign_in(User.objects.get(full_name=name).email)


def test_handover_builds_operations_and_lessons(page, live_server, demo_org, sign_in, shot):
    from twofold.improvement.models import Handover, ImprovementItem
    from twofold.operations.models import Kpi, Routine

    handover = Handover.objects.get(project__code="OPX-05")
    url = f"{live_server.url}/improvement/handovers/{handover.pk}/"

    # The project manager drafts a routine and a KPI (htmx sections).
    _as(page, sign_in, "Samuel Achebe")
    page.goto(url)
    assert page.get_by_role("heading", name="What operations gets (2)").is_visible()
    routines = page.locator("#co-routine")
    routines.get_by_text("Add a routine").click()
    routines.get_by_label("Name").fill("Coolant concentration check")
    routines.get_by_label("Every weekday (Monday to Friday)").check()
    assert routines.get_by_label("Day of the month").is_hidden()  # the picker hides the rest
    routines.get_by_label("Starts on").fill("2027-01-04")
    routines.get_by_label("Due at (local time)").fill("07:00")
    routines.get_by_label("Expected effort (minutes)").fill("10")
    routines.get_by_label("Step 1", exact=True).fill("Refractometer reading")
    routines.get_by_label("Evidence for step 1").select_option("number")
    shot("closeout-draft-routine")
    routines.get_by_role("button", name="Add to the handover").click()
    expect_text = page.locator("#co-routine .co-item", has_text="Coolant concentration check")
    expect_text.wait_for()
    assert "Every weekday" in expect_text.inner_text()

    kpis = page.locator("#co-kpi")
    kpis.get_by_text("Add a KPI").click()
    kpis.get_by_label("Name").fill("First-pass yield, 5-axis")
    kpis.get_by_label("Unit").fill("%")
    kpis.get_by_label("Good direction").select_option("up")
    kpis.get_by_label("Target").fill("90")
    kpis.get_by_label("Red threshold").fill("95")
    kpis.get_by_role("button", name="Add to the handover").click()
    error = page.locator("#co-kpi .error").first
    error.wait_for()
    assert "must be at or above the red threshold" in error.inner_text()
    shot("closeout-kpi-refused")
    page.locator("#co-kpi").get_by_label("Red threshold").fill("80")
    page.locator("#co-kpi").get_by_label("Amber threshold").fill("85")
    page.locator("#co-kpi").get_by_role("button", name="Add to the handover").click()
    page.locator("#co-kpi .co-item", has_text="First-pass yield, 5-axis").wait_for()
    page.get_by_label("First-article inspection report signed").check()
    page.get_by_role("button", name="Save checklist").click()
    assert page.get_by_role("heading", name="What operations gets (4)").is_visible()
    shot("closeout-handover-drafted")

    # Oliver Brandt owns Line 2 production: he accepts; operations gets the four parts.
    _as(page, sign_in, "Oliver Brandt")
    page.goto(url)
    page.get_by_role("button", name="Accept handover").click()
    assert "accepted" in page.locator(".flash-success").inner_text()
    assert page.get_by_role("link", name="in operations").count() == 4
    shot("closeout-handover-accepted")
    routine = Routine.objects.get(name="Coolant concentration check")
    assert routine.process.name == "Line 2 production" and routine.rrule.endswith("MO,TU,WE,TH,FR")
    kpi = Kpi.objects.get(name="First-pass yield, 5-axis")
    assert (kpi.target, kpi.amber_threshold, kpi.red_threshold) == (90, 85, 80)
    page.get_by_role("link", name="Open Coolant concentration check in operations").click()
    note = page.locator(".co-origin")
    assert "Created by handover of OPX-05 New CNC machine commissioning" in note.inner_text()
    shot("closeout-routine-linked-back")
    page.goto(f"{live_server.url}/operations/kpis/{kpi.pk}/")
    assert "Created by handover of" in page.locator(".co-origin").inner_text()

    # A lesson at closure (the pilot), turned into an improvement item.
    _as(page, sign_in, "Priya Raman")
    page.goto(f"{live_server.url}/")
    assert page.get_by_text("Handed over to Preventive maintenance").is_visible()
    page.get_by_role("link", name="Energy monitoring pilot").first.click()
    page.get_by_role("link", name="Lessons", exact=True).click()
    page.get_by_label("Title").fill("Agree the meter data format with IT first")
    page.get_by_label("What did not work").fill("The historian tags were renamed twice.")
    page.get_by_label("Recommendation").fill("Fix tag names before installing meters.")
    page.get_by_label("Affects process").select_option(label="Preventive maintenance")
    shot("closeout-lesson-form")
    page.get_by_role("button", name="Record the lesson").click()
    assert "recorded" in page.locator(".flash-success").inner_text()
    page.get_by_text("Turn into an improvement item").click()
    page.get_by_label("Owner").select_option(label="Luis Ortega")
    page.get_by_role("button", name="Raise the improvement item").click()
    assert "raised" in page.locator(".flash-success").inner_text()
    assert page.get_by_text("Became the improvement item").is_visible()
    item = ImprovementItem.objects.get(title="Agree the meter data format with IT first")
    assert item.process.name == "Preventive maintenance" and item.owner.full_name == "Luis Ortega"
    shot("closeout-lesson")
    page.get_by_role("link", name="Lessons learned").first.click()
    page.get_by_label("Became").select_option("improvement")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.co-lessons tbody tr")).to_have_count(2)
    shot("closeout-lessons")


def test_closeout_pages_desktop_and_phone(page, live_server, demo_org, sign_in, shot):
    from twofold.closeout.models import Lesson
    from twofold.improvement.models import Handover
    from twofold.operations.models import Queue

    _as(page, sign_in, "Samuel Achebe")
    draft = Handover.objects.get(project__code="OPX-05")
    pilot = Handover.objects.get(project__name="Energy monitoring pilot")
    queue = Queue.objects.get(name="Energy meter faults")
    lesson = Lesson.objects.order_by("id").first()
    pages = [
        ("handover-draft", f"/improvement/handovers/{draft.pk}/"),
        ("handover-accepted", f"/improvement/handovers/{pilot.pk}/"),
        ("queue-hypercare", f"/operations/queues/{queue.pk}/"),
        ("lessons", "/closeout/lessons/"),
        ("lesson", f"/closeout/lessons/{lesson.pk}/"),
    ]
    for width, suffix in ((1280, ""), (390, "-phone")):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages:
            page.goto(live_server.url + path)
            if name == "handover-draft":
                page.locator("#co-routine").get_by_text("Add a routine").click()
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, name
            shot(f"closeout-{name}{suffix}")
            if name == "handover-draft":  # the drafting sections alone, readable at phone size
                page.locator("#co-parts").screenshot(
                    path=str(
                        shot("closeout-parts" + suffix).with_name(f"closeout-parts{suffix}.png")
                    )
                )
