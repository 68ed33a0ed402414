"""Calendar feeds page in a real browser: create a feed, copy its address, revoke it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_and_revoke_a_calendar_feed(page, live_server, demo_org, sign_in, shot):
    sign_in()
    page.goto(f"{live_server.url}/feeds/")
    assert page.get_by_role("heading", name="Calendar feeds", exact=True).is_visible()
    page.get_by_label("Feed of").select_option("person")
    page.get_by_role("button", name="Create feed").click()
    address = page.get_by_label("New feed address")
    assert address.input_value().endswith(".ics")
    shot("feeds-created")
    feed = page.request.get(address.input_value().replace("http://127.0.0.1:8000", live_server.url))
    assert feed.ok and feed.text().startswith("BEGIN:VCALENDAR")
    page.get_by_role("button", name="Revoke the feed My work").click()
    assert page.get_by_text("was revoked").is_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/feeds/")
    shot("feeds-phone")
