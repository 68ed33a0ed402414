"""Operations in a real browser with the demo data: overview, KPI chart with a signal,
completing a routine occurrence with evidence, pausing and resuming a request's SLA."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operations_walkthrough(page, live_server, demo_org, sign_in, shot):
    from twofold.operations.models import Kpi, Occurrence, Request

    sign_in()
    page.get_by_role("link", name="Operations").first.click()
    assert page.get_by_role("link", name="Line 2 production").is_visible()
    shot("operations-overview")

    scrap = Kpi.objects.get(name="Scrap rate")
    page.goto(f"{live_server.url}/operations/kpis/{scrap.pk}/")
    page.wait_for_function("() => window.Chart && Chart.getChart('kpi-chart')")
    assert page.locator(".ops-signal").count() >= 1
    assert page.get_by_text(
        "Eight or more points in a row on the same side of the centre line."
    ).first.is_visible()
    shot("operations-kpi-chart")

    occ = (
        Occurrence.objects.filter(routine__name="Start-of-shift checks, Line 2", status="open")
        .order_by("due")
        .first()
    )
    page.goto(f"{live_server.url}/operations/occurrences/{occ.pk}/")
    page.get_by_label("Coolant concentration (%)").fill("11")
    page.get_by_label("Pass").check()
    page.get_by_label("Swarf bins emptied").check()
    page.get_by_role("button", name="Complete").click()
    assert (
        page.get_by_role("alert")
        .first.inner_text()
        .startswith("“Coolant concentration”: 11 % is outside the limits")
    )
    shot("operations-occurrence-refused")
    page.get_by_label("Coolant concentration (%)").fill("7.5")
    page.get_by_label("Pass").check()
    page.get_by_label("Swarf bins emptied").check()
    page.get_by_role("button", name="Complete").click()
    assert "completed" in page.locator(".flash-success").inner_text()
    shot("operations-occurrence-done")

    req = (
        Request.objects.filter(queue__name="IT service desk", status="in_progress")
        .order_by("-created_at")
        .first()
    )
    page.goto(f"{live_server.url}/operations/queues/{req.queue_id}/")
    shot("operations-queue-board")
    page.goto(f"{live_server.url}/operations/requests/{req.pk}/")
    page.get_by_role("button", name="Wait on requester (pause SLA)").click()
    assert page.get_by_text("SLA clock paused").is_visible()
    shot("operations-request-paused")
    page.get_by_role("button", name="Resume work").click()
    assert page.get_by_text("SLA clock paused").count() == 0
    shot("operations-request-resumed")

    page.goto(f"{live_server.url}/operations/flow/")
    page.wait_for_function("() => window.Chart && Chart.getChart('flow-cfd')")
    shot("operations-flow")
