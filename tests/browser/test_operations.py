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


def test_operations_admin_forms(page, live_server, demo_org, sign_in, shot):
    from twofold.operations.models import BusinessCalendar, Queue, Routine

    sign_in()
    page.goto(f"{live_server.url}/operations/calendars/")  # now the one calendars page
    assert page.get_by_role("row", name="Office hours (UK)").is_visible()
    shot("operations-calendars")
    office = BusinessCalendar.objects.get(organisation=demo_org, name="Office hours (UK)")
    page.goto(f"{live_server.url}/calendars/{office.pk}/")
    page.get_by_label("Saturday").fill("9-12")
    page.get_by_role("button", name="Save calendar").click()
    assert page.get_by_text("“9-12” is not a period like 08:00–12:30.").is_visible()
    shot("operations-calendar-form-error")
    page.get_by_label("Saturday").fill("09:00–12:00")
    page.get_by_role("button", name="Save calendar").click()
    assert "saved" in page.locator(".flash-success").inner_text()

    queue = Queue.objects.get(organisation=demo_org, name="IT service desk")
    page.goto(f"{live_server.url}/operations/queues/{queue.pk}/edit/")
    page.get_by_label("P1 Critical: resolution (hours)").fill("6")
    page.get_by_role("button", name="Save queue").click()
    assert page.get_by_role("heading", name="IT service desk").is_visible()
    page.goto(f"{live_server.url}/operations/queues/{queue.pk}/edit/")
    shot("operations-queue-form")

    bank = Routine.objects.get(organisation=demo_org, name="Bank reconciliation")
    page.goto(f"{live_server.url}/operations/routines/{bank.pk}/edit/")
    assert page.get_by_label("Monthly on the last working day").is_checked()
    assert not page.get_by_label("RRULE", exact=True).is_visible()
    shot("operations-routine-form")
    page.get_by_label("Custom RRULE (experts)").check()
    page.get_by_label("RRULE", exact=True).fill("FREQ=FORTNIGHTLY")
    page.get_by_role("button", name="Save routine").click()
    assert page.get_by_text("Not a valid recurrence rule").first.is_visible()
    shot("operations-routine-form-error")
    page.get_by_label("Weekly on chosen days").check()
    page.get_by_label("Wed").check()
    page.get_by_label("Step 4", exact=True).fill("File the statement")
    page.get_by_role("button", name="Save routine").click()
    assert "saved" in page.locator(".flash-success").inner_text()
    bank.refresh_from_db()
    assert bank.rrule == "FREQ=WEEKLY;BYDAY=WE"
    assert list(bank.steps.filter(retired=False).values_list("text", flat=True))[-1] == (
        "File the statement"
    )
