"""Log a week of time on the timesheet with the keyboard, submit it, and approve it as the
project manager; AC and CPI move on the earned-value page and the portfolio card (desktop and
phone screenshots)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_a_week_and_approve_it(page, live_server, make_org, member, sign_in, shot):
    from django.urls import reverse
    from django.utils import timezone

    from twofold.accounts.models import Role
    from twofold.costs.models import CostSettings, EntryStatus, Rate, TimeEntry
    from twofold.operations import services as ops
    from twofold.projects import services as projects

    org = make_org("Halvorsen Test")
    owner = member(org, Role.OWNER, full_name="Olivia Owner")
    pm = member(org, Role.MEMBER, full_name="Pat Manager", email="pat@example.com")
    worker = member(
        org, Role.MEMBER, full_name="Wes Worker", email="wes@example.com", job_title="Engineer"
    )
    CostSettings.objects.create(organisation=org, currency="GBP", locale="en-GB")
    Rate.objects.create(
        organisation=org, role="Engineer", hourly=Decimal(60), effective_from=dt.date(2020, 1, 1)
    )
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    project = projects.create_project(
        actor=owner, organisation=org, name="Press line upgrade", code="PLU", target_start=monday
    )
    project.manager = pm
    project.status_date = monday + dt.timedelta(days=6)  # AC counts the whole week's hours
    project.save(update_fields=["manager", "status_date"])
    task, _ = projects.create_task(
        actor=owner, project=project, name="Hydraulics design", duration_minutes=5 * 480
    )
    task.assignee = worker
    task.percent_complete = 50  # EV: half of 40 h × £60 = £1,200
    task.save(update_fields=["assignee", "percent_complete"])
    project.percent_complete = 50  # the card's progress bar (set here, as a roll-up would)
    project.save(update_fields=["percent_complete"])
    ops.create_process(actor=owner, organisation=org, name="Maintenance", owner=owner)

    sign_in("wes@example.com", "correct horse battery")
    page.goto(f"{live_server.url}/costs/timesheet/")
    expect(page.get_by_role("heading", name="Timesheet")).to_be_visible()
    first = page.get_by_label("Hydraulics design, ", exact=False).first
    first.fill("8")
    for hours in ("7.5", "8", "6", "4"):  # arrow right to the next day
        page.keyboard.press("End")
        page.keyboard.press("ArrowRight")
        page.keyboard.type(hours)
    expect(page.locator("[data-week-total]")).to_have_text("33.5")
    shot("timesheet-week-desktop")
    page.get_by_role("button", name="Save and submit for approval").click()
    expect(page.get_by_text("Submitted 5 entries for approval.")).to_be_visible()
    expect(page.locator(".ts-line .badge-blue")).to_have_text("Submitted")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("timesheet-week-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.context.clear_cookies()
    sign_in("pat@example.com", "correct horse battery")
    # Before the approval: no actual cost, so no CPI, and no cost reason on the card.
    page.goto(f"{live_server.url}/evm/projects/{project.pk}/")
    figures = page.locator(".evm-figures")
    expect(figures.locator(".evm-figure", has_text="Actual cost")).to_contain_text("£0.00")
    expect(figures.locator(".evm-figure", has_text="Cost performance index")).to_contain_text("—")
    page.goto(live_server.url + reverse("projects:portfolio"))
    card = page.locator(".pcard", has_text="Press line upgrade")
    expect(card).to_be_visible()
    expect(card.locator(".reasons")).not_to_contain_text("CPI")
    page.goto(f"{live_server.url}/costs/approvals/")
    page.get_by_role("link", name="Wes Worker").click()
    expect(page.get_by_text("yours", exact=True)).to_be_visible()
    shot("timesheet-approval-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("timesheet-approval-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Approve submitted hours on your lines").click()
    expect(page.get_by_text("Approved 5 entries.")).to_be_visible()
    assert set(TimeEntry.objects.values_list("status", flat=True)) == {EntryStatus.APPROVED}
    page.goto(f"{live_server.url}/costs/projects/{project.pk}/")
    expect(page.get_by_text("£2,010", exact=False).first).to_be_visible()
    shot("timesheet-project-actuals")

    # After: AC is the approved time (33.5 h × £60) and CPI = EV / AC = 1,200 / 2,010.
    page.goto(f"{live_server.url}/evm/projects/{project.pk}/")
    expect(figures.locator(".evm-figure", has_text="Actual cost")).to_contain_text("£2,010.00")
    expect(figures.locator(".evm-figure", has_text="Cost performance index")).to_contain_text(
        "0.60"
    )
    expect(page.locator(".evm-reasons")).to_contain_text("Over cost: CPI 0.60")
    shot("evm-after-approval-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(figures).to_be_visible()
    shot("evm-after-approval-phone")
    page.goto(live_server.url + reverse("projects:portfolio"))
    expect(card.locator(".reasons")).to_contain_text("Over cost: CPI 0.60")
    card.scroll_into_view_if_needed()
    shot("card-after-approval-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.reload()
    expect(card.locator(".reasons")).to_contain_text("Over cost: CPI 0.60")
    shot("card-after-approval-desktop")
