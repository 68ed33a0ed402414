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
    page.get_by_label("Custom rule (experts: RFC 5545 RRULE)").check()
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


def test_operations_edit_archive_delete(page, live_server, demo_org, sign_in, shot):
    """Edit a KPI, archive a routine, delete a queue through its confirmation; each page at
    desktop width and at 390 px."""
    from twofold.operations.models import Kpi, Process, Queue, Request, Routine

    sign_in()
    scrap = Kpi.objects.get(organisation=demo_org, name="Scrap rate")
    page.goto(f"{live_server.url}/operations/kpis/{scrap.pk}/")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Target").fill("2.1")
    page.get_by_label("Description").fill("Scrapped parts per 100 made")
    page.get_by_role("button", name="Save KPI").click()
    assert "KPI Scrap rate saved." in page.locator(".flash-success").inner_text()
    scrap.refresh_from_db()
    assert (scrap.target, scrap.description) == (2.1, "Scrapped parts per 100 made")

    routine = Routine.objects.filter(organisation=demo_org, active=True).first()
    page.goto(f"{live_server.url}/operations/routines/{routine.pk}/")
    assert page.get_by_text(routine.schedule_text, exact=True).is_visible()
    page.get_by_role("button", name="Archive").click()
    assert "archived: hidden from lists" in page.locator(".flash-success").inner_text()
    assert page.get_by_role("button", name="Restore from archive").is_visible()
    routine.refresh_from_db()
    assert routine.archived
    page.goto(f"{live_server.url}/operations/processes/{routine.process_id}/")
    assert page.get_by_role("link", name=routine.name).count() == 0
    page.get_by_role("link", name="Show archived").click()
    assert page.get_by_role("link", name=routine.name).is_visible()

    process = Process.objects.get(organisation=demo_org, name="Line 2 production")
    queue = Queue.objects.create(
        organisation=demo_org,
        process=process,
        name="Tooling requests",
        calendar=Queue.objects.filter(organisation=demo_org).first().calendar,
    )
    Request.objects.create(organisation=demo_org, queue=queue, title="New collet chuck")
    page.goto(f"{live_server.url}/operations/queues/{queue.pk}/")
    page.get_by_role("link", name="Move to trash…").click()
    assert page.get_by_role(
        "heading", name="Move request queue “Tooling requests” to the trash?"
    ).is_visible()
    assert page.get_by_test_id("impact").inner_text().split("\n") == ["1 request"]
    shot("operations-queue-delete")
    page.get_by_role("button", name="Move request queue to trash").click()
    assert (
        "Request queue Tooling requests moved to the trash."
        in page.locator(".flash-success").inner_text()
    )
    assert not Queue.objects.filter(pk=queue.pk).exists()

    desk = Queue.objects.get(organisation=demo_org, name="IT service desk")
    pages = {
        "process": f"/operations/processes/{process.pk}/",
        "kpi": f"/operations/kpis/{scrap.pk}/",
        "queue": f"/operations/queues/{desk.pk}/",
        "routine": f"/operations/routines/{routine.pk}/",
        "overview": "/operations/",
    }
    for width, suffix in ((1280, ""), (390, "-phone")):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages.items():
            page.goto(live_server.url + url)
            if name == "kpi":
                page.wait_for_function("() => window.Chart && Chart.getChart('kpi-chart')")
            shot(f"operations-{name}{suffix}")
            # No badge is cut off (each fits inside its box) and the page is no wider than
            # the screen (wide tables scroll inside their panel).
            clipped = page.evaluate(
                """() => [...document.querySelectorAll('.badge')].filter(b =>
                    b.scrollWidth > b.clientWidth + 1 ||
                    b.getBoundingClientRect().right >
                        b.parentElement.getBoundingClientRect().right + 1
                ).map(b => b.textContent)"""
            )
            assert clipped == [], (name, width, clipped)
            # No name in a table is cut (a narrow column used to break "Mei Chen" into
            # "Mei Che" + a hidden "n"), and a small table fits without scrolling.
            names_cut = page.evaluate(
                """() => [...document.querySelectorAll('.table .person-link')].filter(a =>
                    a.scrollHeight > a.clientHeight + 1 || a.scrollWidth > a.clientWidth + 1
                ).map(a => a.textContent)"""
            )
            assert names_cut == [], (name, width, names_cut)
            scrolled = page.evaluate(
                """() => [...document.querySelectorAll('.table-fit')].filter(t =>
                    t.parentElement.scrollWidth > t.parentElement.clientWidth + 1
                ).length"""
            )
            assert scrolled == 0, (name, width)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            wide = page.evaluate(
                """() => [...document.querySelectorAll('body *')].filter(e =>
                    e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                ).slice(0, 5).map(e => e.tagName + '.' + e.className)"""
            )
            assert overflow <= 1, (name, width, overflow, wide)
