"""My work with every kind of work, and an improvement that proves itself, in a real browser
with the demo data, at desktop width and at phone width (390 px)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _charts_drawn(page) -> None:
    # Chart.js draws into the canvas after DOMContentLoaded; wait until it has pixels.
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas')].every(c => c.width > 0 && window.Chart"
        " && window.Chart.getChart(c))"
    )


def test_my_work_and_a_confirmed_improvement(page, live_server, demo_org, sign_in, shot):
    from twofold.improvement.models import ImprovementItem

    sign_in()
    page.get_by_role("link", name="My work").first.click()
    assert page.get_by_role("heading", name="My work").is_visible()
    badges = set(page.locator(".work-badge").all_inner_texts())
    assert {"Task", "Routine", "Request", "Gate sign-off", "Improvement"} <= badges
    shot("inbox-my-work")
    page.get_by_role("link", name="Request", exact=False).filter(has_text="Request").first.click()
    assert set(page.locator(".work-badge").all_inner_texts()) == {"Request"}
    assert (
        page.get_by_text("left to resolve").first.is_visible()
        or page.get_by_text("SLA overdue").first.is_visible()
    )
    shot("inbox-my-work-requests")

    item = ImprovementItem.objects.get(title="Complaints up: cosmetic defects reach customers")
    page.goto(f"{live_server.url}/improvement/items/{item.pk}/")
    verdict = page.get_by_test_id("verdict")
    assert verdict.inner_text() == "Improvement confirmed"
    assert page.get_by_text(
        "8 points in a row on the better side of the old centre line"
    ).first.is_visible()
    assert page.get_by_role("heading", name="PDCA record").is_visible()
    _charts_drawn(page)
    shot("inbox-improvement-confirmed")

    page.get_by_role("link", name="Complaints per 10,000 parts").first.click()
    assert page.get_by_text("The chart has 2 phases").is_visible()
    _charts_drawn(page)
    shot("inbox-kpi-phases")

    page.get_by_role("link", name="Operations").first.click()
    assert page.get_by_text("Final inspection vision check").first.is_visible()
    shot("inbox-operations-both-sides")
    page.get_by_role("link", name="Final inspection vision check").first.click()
    assert page.get_by_role("heading", name="Processes this project changes").is_visible()
    shot("inbox-project-processes")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/my-work/")
    shot("inbox-my-work-phone")
    page.locator(".work-table").screenshot(path=str(SCREENSHOTS / "inbox-my-work-phone-list.png"))
    page.goto(f"{live_server.url}/improvement/items/{item.pk}/")
    _charts_drawn(page)
    shot("inbox-improvement-confirmed-phone")
    page.locator(".ci-proof").screenshot(path=str(SCREENSHOTS / "inbox-proof-phone.png"))
    page.goto(f"{live_server.url}/operations/kpis/{item.kpi_id}/")
    _charts_drawn(page)
    shot("inbox-kpi-phases-phone")
    page.locator("section[aria-labelledby=chart-title]").screenshot(
        path=str(SCREENSHOTS / "inbox-kpi-chart-phone.png")
    )


def test_assigning_and_reprioritising_from_the_queue_board(
    page, live_server, demo_org, sign_in, shot
):
    from twofold.operations.models import Queue, Request

    sign_in()
    from django.db.models import Count

    # The busiest queue (the close-out demo adds a new, still empty queue that sorts first).
    queue = (
        Queue.objects.filter(organisation=demo_org)
        .annotate(n=Count("requests"))
        .order_by("-n", "name")
        .first()
    )
    page.goto(f"{live_server.url}/operations/queues/{queue.pk}/")
    ticket = page.locator(".ops-ticket").filter(has=page.get_by_role("button", name="Set")).first
    title = ticket.get_by_role("link").first.inner_text()
    pk = int(title.split()[0].lstrip("#"))
    ticket.get_by_label(f"Priority of #{pk}").select_option("p1")
    ticket.get_by_role("button", name="Set").click()
    assert "its SLA targets follow" in page.locator(".flash-success").inner_text()
    assert Request.objects.get(pk=pk).priority == "p1"
    shot("inbox-queue-board")
    page.goto(f"{live_server.url}/operations/requests/{pk}/")
    page.get_by_label("Assignee", exact=True).select_option(label="Mei Chen")
    page.get_by_role("button", name="Assign", exact=True).click()
    assert "assigned to Mei Chen" in page.locator(".flash-success").inner_text()
    shot("inbox-request-assigned")
