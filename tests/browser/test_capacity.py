"""Capacity in a real browser with the demo data: the usage grid, a cell's make-up, and
levelling the Line 3 project (preview, then apply)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_capacity_walkthrough(page, live_server, demo_org, sign_in, shot):
    from twofold.projects.models import Project, Task

    sign_in()
    page.goto(f"{live_server.url}/capacity/")
    assert page.get_by_role("heading", name="Capacity", level=1).is_visible()
    over = page.locator("td.cap-over")
    assert over.count() >= 2
    shot("capacity-usage")

    tomasz = page.get_by_role("row").filter(has_text="Tomasz Nowak").locator("td.cap-over a")
    tomasz.first.click()
    detail = page.locator("#cell-detail")
    detail.get_by_text("PLC integration").wait_for()
    assert detail.get_by_text("Robot cell backup and inspection").is_visible()
    assert detail.get_by_text("h over").is_visible()
    # The panel is not a live region (read whole on every cell); its one-line summary is spoken.
    expect(page.locator("[data-announcer=polite]")).to_have_text(
        re.compile(r"^Tomasz Nowak, week of .+ hours of .+ available, .+ over\. Details below")
    )
    shot("capacity-usage-cell")

    page.get_by_label("Team", exact=True).select_option(label="Engineering")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("th.cap-person").count() == 5
    shot("capacity-usage-team")

    line3 = Project.objects.get(organisation=demo_org, code="OPX-03")
    page.goto(f"{live_server.url}/capacity/projects/{line3.pk}/level/")
    assert page.get_by_text("Waits for Tomasz Nowak, busy on 'PLC integration'").is_visible()
    assert page.locator("svg .cap-bar-new").count() >= 2
    shot("capacity-level-preview")

    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Levelling applied").is_visible()
    safety = Task.objects.get(project=line3, name="Validate safety functions (PL d)")
    assert safety.constraint_type == "asap" and safety.levelling_delay_minutes > 0
    assert page.get_by_role("button", name="Clear levelling").is_visible()
    shot("capacity-level-applied")


def test_optimise_levelling_runs_as_a_background_job(page, live_server, demo_org, sign_in, shot):
    import threading
    import time

    from django.db import connection

    from twofold.core import jobs
    from twofold.projects.models import Project

    def worker() -> None:
        # Like `twofold worker`: a poll that meets a locked database (the live server's
        # in-memory SQLite is shared with the page's requests) tries again a moment later.
        from django.db import OperationalError

        try:
            for _ in range(50):
                try:
                    if jobs.run_pending("browser-test-worker"):
                        return
                except OperationalError:
                    pass
                time.sleep(0.2)
        finally:
            connection.close()

    sign_in()
    line3 = Project.objects.get(organisation=demo_org, code="OPX-03")
    page.goto(f"{live_server.url}/capacity/projects/{line3.pk}/level/")
    page.get_by_label("Optimise", exact=True).check()
    page.get_by_label("Optimise for up to (seconds)").fill("3")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("networkidle")
    bar = page.locator("progress#job-progress")
    assert bar.is_visible()
    assert page.get_by_role("heading", name="Optimising the levelling").is_visible()
    assert page.get_by_role("button", name="Cancel").is_visible()
    shot("capacity-level-optimise-queued")

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    page.get_by_text("Best plan so far finishes").or_(
        page.locator("#level-outcome")
    ).first.wait_for(timeout=15_000)
    if bar.is_visible():
        shot("capacity-level-optimise-running")
    page.locator("#level-outcome").wait_for(timeout=20_000)
    thread.join(timeout=20)
    assert page.locator("#level-outcome").get_by_text("Optimised in the background").is_visible()
    assert page.locator("svg .cap-bar-new").count() >= 2
    assert page.get_by_role("button", name="Apply").is_visible()
    assert not bar.is_visible()
    shot("capacity-level-optimise-result")
