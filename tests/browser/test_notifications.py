"""Notifications in a real browser: the bell's count in the header, the inbox, mark read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _world() -> str:
    from twofold.accounts.models import Membership, Organisation, Role, User
    from twofold.notifications import kinds, services
    from twofold.projects import services as project_services

    org = Organisation.objects.create(name="Halden Works", slug="halden")
    olivia = User.objects.create_user(
        email="olivia@example.com", password="pw-olivia-123", full_name="Olivia Owner"
    )
    mel = User.objects.create_user(
        email="mel@example.com", password="pw-mel-12345", full_name="Mel Member"
    )
    Membership.objects.create(organisation=org, user=olivia, role=Role.OWNER)
    Membership.objects.create(organisation=org, user=mel, role=Role.MEMBER)
    project = project_services.create_project(
        actor=olivia,
        organisation=org,
        name="Press line",
        code="PL",
        target_start=dt.date(2025, 3, 3),
    )
    task, _ = project_services.create_task(actor=olivia, project=project, name="Order the press")
    services.notify(
        recipients=[mel],
        kind=kinds.ASSIGNED,
        actor=olivia,
        target=task,
        summary="Olivia Owner assigned you Order the press",
    )
    services.notify(
        recipients=[mel],
        kind=kinds.COMMENT,
        actor=olivia,
        target=task,
        summary="Olivia Owner commented on Order the press: “Can we get the quote by Friday?”",
    )
    services.notify(
        recipients=[mel],
        kind=kinds.SLA,
        actor=None,
        target=project,
        summary="Request #12 Laptop will not boot in IT service desk breaches its SLA within the hour",
    )
    return mel.email


def test_bell_count_and_inbox_desktop_and_phone(page, live_server, sign_in, shot):
    email = _world()
    sign_in(email, "pw-mel-12345")
    page.goto(f"{live_server.url}/notifications/settings/")
    bell = page.get_by_role("link", name="Notifications, 3 unread")
    expect(bell).to_be_visible()
    expect(bell.locator(".bell-count")).to_have_text("3")
    shot("notifications-bell")
    bell.click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    expect(page.get_by_text("3 unread")).to_be_visible()
    shot("notifications-inbox")
    page.get_by_role("button", name=re.compile(r"Mark read\W+Olivia Owner commented")).click()
    expect(page.get_by_role("link", name="Notifications, 2 unread")).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile(r"Mark unread\W+Olivia Owner commented"))
    ).to_be_visible()
    page.get_by_role("link", name="Olivia Owner assigned you Order the press").click()
    expect(page.get_by_role("heading", name="Order the press")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    shot("notifications-inbox-phone")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_text("All read")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications, 0 unread")).to_be_visible()
