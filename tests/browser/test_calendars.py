"""Calendars in a real browser: add a holiday, see it shaded and skipped on a project's Gantt."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = dt.date(2027, 2, 1)
HOLIDAY = dt.date(2027, 2, 3)


def test_holiday_is_shaded_and_skipped_on_the_gantt(page, live_server, demo_org, sign_in, shot):
    from django.utils import timezone

    from twofold.accounts.models import User
    from twofold.calendars.models import Calendar
    from twofold.demo.people import DEMO_EMAIL
    from twofold.projects import services

    dana = User.objects.get(email=DEMO_EMAIL)
    project = services.create_project(
        actor=dana, organisation=demo_org, name="Holiday check", code="HOL", target_start=MONDAY
    )
    task, _ = services.create_task(
        actor=dana, project=project, name="Five-day job", duration_minutes=5 * 480
    )
    zone = services.tz_of(demo_org)
    task.refresh_from_db()
    assert timezone.localtime(task.finish, zone).date() == dt.date(2027, 2, 5)

    sign_in()
    page.goto(f"{live_server.url}/accounts/settings/")
    page.get_by_role("link", name="Calendars").click()
    assert page.get_by_role("heading", name="Calendars", exact=True).is_visible()
    shot("calendars-list")
    default = Calendar.objects.get(organisation=demo_org, is_default=True)
    page.get_by_role("link", name=default.name).first.click()
    page.get_by_role("textbox", name="Holiday").fill("Founders' day")
    page.get_by_label("First day").fill(HOLIDAY.isoformat())
    page.get_by_role("button", name="Add holiday").click()
    flash = page.locator(".flash-success").inner_text()
    assert "Founders' day (3 Feb 2027) added." in flash
    assert "Holiday check: 1 task moved; finish 5 Feb → 8 Feb" in flash
    shot("calendars-detail")

    task.refresh_from_db()
    assert timezone.localtime(task.finish, zone).date() == dt.date(2027, 2, 8)
    page.goto(f"{live_server.url}/projects/{project.pk}/gantt/?zoom=days")
    expect(page.locator(f'rect.g-off[data-off="{HOLIDAY.isoformat()}"]')).to_have_count(1)
    page.locator(f'rect.g-off[data-off="{HOLIDAY.isoformat()}"]').scroll_into_view_if_needed()
    shot("calendars-gantt-holiday")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/calendars/")
    shot("calendars-list-phone")
    page.goto(f"{live_server.url}/calendars/{default.pk}/")
    shot("calendars-detail-phone")
    page.goto(f"{live_server.url}/projects/{project.pk}/gantt/?zoom=days")
    shot("calendars-gantt-phone")
