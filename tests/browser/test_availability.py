"""Availability in a real browser: a person sets a part-time pattern and a holiday, then sees
them in the capacity view (desktop and phone widths)."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_person_sets_part_time_and_a_holiday_and_capacity_shows_it(
    page, live_server, demo_org, sign_in, shot
):
    from django.utils import timezone

    from twofold.capacity.models import Absence, WorkingPattern

    sign_in("priya.raman@halvorsen.example")
    page.get_by_label("Account menu for Priya Raman").click()
    page.get_by_role("link", name="My availability").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="My availability", level=1).is_visible()
    shot("availability-before")

    week = {"Monday": "8", "Tuesday": "8", "Wednesday": "8", "Thursday": "8", "Friday": "0"}
    for day, hours in week.items():
        page.get_by_label(day, exact=True).fill(hours)
    page.get_by_role("button", name="Save pattern").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Working pattern saved.").is_visible()
    assert page.get_by_text("32 h a week").first.is_visible()

    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    next_monday = monday + dt.timedelta(weeks=1)
    form = page.locator("form.avail-absence-form")
    form.get_by_label("Kind").select_option("holiday")
    # A wrong range first: a clear message on the field, nothing saved.
    form.get_by_label("From").fill((next_monday + dt.timedelta(days=2)).isoformat())
    form.get_by_label("To").fill((next_monday + dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Add absence").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("The absence ends before it starts").is_visible()
    assert not Absence.objects.filter(note="Bike trip").exists()
    shot("availability-error")

    form = page.locator("form.avail-absence-form")
    form.get_by_label("From").fill((next_monday + dt.timedelta(days=1)).isoformat())
    form.get_by_label("To").fill((next_monday + dt.timedelta(days=2)).isoformat())
    form.get_by_label("Note").fill("Bike trip")
    page.get_by_role("button", name="Add absence").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Absence recorded.").is_visible()
    assert WorkingPattern.objects.get(person__full_name="Priya Raman").weekly_hours == 32.0
    assert page.locator("td.avail-away").count() >= 2
    shot("availability")

    page.goto(f"{live_server.url}/capacity/?start={next_monday.isoformat()}&weeks=4")
    row = page.get_by_role("row").filter(has_text="Priya Raman")
    first = row.locator("td.cap-cell").first
    assert first.get_by_text("Holiday 2 d").is_visible()
    label = first.locator("a").get_attribute("aria-label")
    assert "of 16 hours" in label and "Holiday 2 d" in label
    assert row.get_by_text("32 h/wk").is_visible()
    shot("availability-capacity")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/capacity/availability/")
    page.wait_for_load_state("networkidle")
    shot("availability-phone")
    page.goto(f"{live_server.url}/capacity/?start={next_monday.isoformat()}&weeks=4")
    shot("availability-capacity-phone")
