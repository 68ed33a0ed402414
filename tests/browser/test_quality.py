"""Nonconformances in a real browser: an out-of-limit torque reading is recorded and opens a
nonconformance; a shift lead contains it and adds a corrective action; the process owner
verifies and closes it. Desktop and phone (390 px) screenshots of the pages."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _fits(page) -> bool:
    return int(page.evaluate("document.documentElement.scrollWidth")) <= 390


def test_out_of_limit_reading_to_closed_nonconformance(page, live_server, demo_org, sign_in, shot):
    from twofold.accounts.models import User
    from twofold.demo.people import DEMO_PASSWORD
    from twofold.operations.models import Occurrence
    from twofold.quality.models import Nonconformance

    lead = User.objects.get(full_name="Jonas Berg")
    owner = User.objects.get(full_name="Oliver Brandt")
    occ = (
        Occurrence.objects.filter(routine__name="Wheel hub torque check", status="open")
        .order_by("due")
        .first()
    )
    sign_in(lead.email, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/operations/occurrences/{occ.pk}/")
    page.get_by_label("Torque (Nm)").fill("55")
    page.get_by_label("Pass").check()
    page.get_by_label("Wrench used").fill("TW-03")
    shot("quality-reading-entered")
    page.get_by_role("button", name="Complete").click()
    assert "completed with a nonconformance" in page.locator(".flash-warning").inner_text()
    assert page.locator(".badge", has_text="completed with a nonconformance").is_visible()
    assert page.locator(".badge-green", has_text="on time").count() == 0
    shot("quality-occurrence-with-nonconformance")

    page.get_by_role("link", name="Nonconformances from this occurrence").click()
    nc = Nonconformance.objects.get(occurrence=occ)
    assert nc.code == "NC-0003" and nc.status == "open"
    page.get_by_role("link", name=nc.code).click()
    assert page.get_by_role(
        "heading", name=f"{nc.code} Torque: 55 Nm outside between 40 and 50 Nm"
    ).is_visible()

    page.get_by_label("Containment action").fill("Line stopped; 8 hubs quarantined and re-torqued.")
    page.get_by_label("Root cause").fill("Wrench TW-03 set to the wrong program.")
    page.get_by_role("button", name="Save record").click()
    assert f"{nc.code} saved." in page.locator(".flash-success").inner_text()
    page.locator("#id_action-description").fill("Lock the wrench programs with a PIN")
    page.get_by_label("Owner").select_option(label="Jonas Berg")
    page.get_by_role("button", name="Add action").click()
    assert "Corrective action added." in page.locator(".flash-success").inner_text()
    shot("quality-nonconformance-with-action")
    page.get_by_role("link", name="Edit action: Lock the wrench programs with a PIN").click()
    page.get_by_label("Status").select_option("done")
    page.get_by_label("Outcome").fill("PIN set on all 6 wrenches")
    page.get_by_role("button", name="Save action").click()
    assert page.locator(".badge-green", has_text="Done").is_visible()

    page.context.clear_cookies()
    sign_in(owner.email, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/operations/quality/{nc.pk}/")
    page.get_by_label("Verification result").fill("20 checks since: all 44–47 Nm.")
    page.get_by_label("Effective", exact=True).check()
    page.get_by_role("button", name="Record verification").click()
    assert "Verification recorded." in page.locator(".flash-success").inner_text()
    page.get_by_role("button", name=f"Close {nc.code}").click()
    assert f"{nc.code} closed." in page.locator(".flash-success").inner_text()
    nc.refresh_from_db()
    assert (nc.status, nc.closed_by, nc.effective) == ("closed", owner, True)
    shot("quality-nonconformance-closed-desktop")
    page.set_viewport_size(PHONE)
    page.reload()
    shot("quality-nonconformance-closed-phone")
    assert _fits(page)

    for name, path in [
        ("list", "/operations/quality/?status=all"),
        ("process", f"/operations/quality/processes/{nc.process_id}/"),
        ("open-detail", f"/operations/quality/{Nonconformance.objects.get(number=2).pk}/"),
        ("audit", f"/operations/quality/processes/{nc.process_id}/audit/"),
        ("overview", "/operations/"),
        ("signals", "/improvement/signals/"),
    ]:
        page.set_viewport_size(DESKTOP)
        page.goto(f"{live_server.url}{path}")
        shot(f"quality-{name}-desktop")
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}{path}")
        shot(f"quality-{name}-phone")
        assert _fits(page), path
