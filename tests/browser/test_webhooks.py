"""Webhooks settings in a real browser: register an endpoint, see its secret once, send a test
event to a local receiver and read the delivery log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.receiver import running_receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_an_endpoint_and_read_its_delivery_log(
    page, live_server, demo_org, sign_in, shot, settings
):
    from twofold.interchange.webhooks.delivery import send_due

    settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    with running_receiver() as receiver:
        sign_in()
        page.goto(f"{live_server.url}/accounts/settings/")
        page.get_by_role("navigation", name="Settings").get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        page.get_by_label("Payload URL").fill(receiver.url)
        page.get_by_label("Description").fill("Plant data warehouse")
        page.get_by_label("Task created").check()  # one cell of the event grid
        page.get_by_label("Request changed").check()
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.get_by_label("Signing secret")
        expect(secret).to_have_value(re.compile(r"^whsec_"))
        shot("webhooks-created")

        page.get_by_role("link", name="Open the endpoint").click()
        expect(page.get_by_label("Signing secret")).to_have_count(0)  # shown once only
        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_text("A test event is queued")).to_be_visible()
        assert send_due("browser") == (1, 0)
        page.reload()
        log = page.get_by_role("region", name="Delivery log")
        expect(log.get_by_role("cell", name="ping").first).to_be_visible()
        expect(log.get_by_text("200").first).to_be_visible()
        assert receiver.received[0].headers["x-twofold-event"] == "ping"
        shot("webhook-log")
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.get_by_role("button", name="Send test event")).to_be_visible()
        shot("webhook-log-phone")
