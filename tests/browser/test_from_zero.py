"""From zero (issue 10): an empty database, no demo, and everything through the pages.

The set-up page creates the first person and organisation; she sets a holiday on the default
calendar, invites a colleague, plans a small project in the task grid, saves it as a template,
creates a programme and a project from the template into it, sees the holiday shaded and skipped
on the Gantt, and finds a task through the header search.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from twofold.accounts.middleware import forget_users

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

SOURCE_START = dt.date(2027, 2, 1)  # a Monday
START = dt.date(2027, 3, 1)  # a Monday
HOLIDAY = dt.date(2027, 3, 4)  # the Thursday inside "Install ducting" (Wed 3 Mar → ...)


@pytest.fixture(autouse=True)
def _empty_instance(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TWOFOLD_BASE_URL = "https://twofold.example.com"
    forget_users()
    yield
    forget_users()


def _phone_shot(page, shot, name):
    page.set_viewport_size(PHONE)
    shot(f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def _flash(page):
    return page.locator(".flashes").inner_text()


def test_from_an_empty_database_to_a_planned_programme(page, live_server, shot):
    from django.utils import timezone

    from twofold.accounts.models import Membership, Organisation, User
    from twofold.calendars.models import Calendar
    from twofold.project_templates.models import ProjectTemplate
    from twofold.projects.models import Link, Programme, Project, Task
    from twofold.projects.services import tz_of

    assert User.objects.count() == 0 and Organisation.objects.count() == 0

    # 1. The set-up page: the first person and organisation.
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/accounts/setup/"
    assert page.get_by_role("heading", name="Set up Twofold").is_visible()
    shot("from-zero-01-setup")
    _phone_shot(page, shot, "from-zero-01-setup")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_label("Password").fill("analytical engine 1843")
    page.get_by_label("Organisation name").fill("Difference Works")
    page.get_by_label("Organisation time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Create account and organisation").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/"
    assert "Difference Works is ready" in _flash(page)
    shot("from-zero-02-portfolio")
    org = Organisation.objects.get()
    ada = User.objects.get(email="ada@example.com")
    assert Membership.objects.get(organisation=org, user=ada).role == "owner"

    # 2. A holiday on the organisation's default calendar (created with the organisation).
    default = Calendar.objects.get(organisation=org, is_default=True)
    page.goto(f"{live_server.url}/accounts/settings/")
    page.get_by_role("link", name="Calendars").click()
    assert page.get_by_role("heading", name="Calendars", exact=True).is_visible()
    shot("from-zero-03-calendars")
    page.get_by_role("link", name=default.name).first.click()
    page.get_by_role("textbox", name="Holiday").fill("Founders' day")
    page.get_by_label("First day").fill(HOLIDAY.isoformat())
    page.get_by_role("button", name="Add holiday").click()
    assert "Founders' day (4 Mar 2027) added." in page.locator(".flash-success").inner_text()
    assert page.locator(".cal-holidays").get_by_text("Founders' day").is_visible()
    shot("from-zero-04-calendar-holiday")
    _phone_shot(page, shot, "from-zero-04-calendar-holiday")

    # 3. Invite a colleague: she gets an e-mail with a link on the configured base URL.
    page.goto(f"{live_server.url}/accounts/people/")
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_role("button", name="Add").click()
    page.wait_for_load_state("networkidle")
    assert "Grace Hopper is invited as Member: they join when they accept." in _flash(page)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["grace@example.com"]
    assert mail.outbox[0].body.startswith(
        "Ada Lovelace invited you to join Difference Works on Twofold as Member."
    )
    assert "https://twofold.example.com/accounts/password/reset/" in mail.outbox[0].body
    shot("from-zero-05-people")

    # 4. A first small project, planned in the task grid: three tasks and a link.
    page.goto(f"{live_server.url}/projects/new/")
    page.get_by_label("Name").fill("Pilot line")
    page.get_by_label("Code").fill("PIL-1")
    page.get_by_label("Target start").fill(SOURCE_START.isoformat())
    page.get_by_role("button", name="Create project").click()
    assert page.get_by_role("heading", name=re.compile("Pilot line")).is_visible()
    source = Project.objects.get(organisation=org, code="PIL-1")
    page.get_by_role("link", name="Tasks").click()
    for name, days in [("Survey", "2"), ("Install ducting", "5"), ("Fit filters", "1")]:
        page.locator("#id_name").fill(name)
        page.get_by_label("Duration (days)").fill(days)
        page.get_by_role("button", name="Add", exact=True).click()
        assert page.get_by_role("textbox", name=f"Name of {name}").is_visible()
    page.get_by_label("Predecessor").select_option(label="Survey")
    page.get_by_label("Successor").select_option(label="Install ducting")
    page.get_by_role("button", name="Add link").click()
    assert "Linked Survey → Install ducting" in _flash(page)
    assert Task.objects.filter(project=source).count() == 3
    assert Link.objects.filter(project=source).count() == 1
    shot("from-zero-06-task-grid")

    # 5. Save it as a template.
    page.goto(f"{live_server.url}/projects/{source.pk}/")
    page.get_by_role("link", name="Save as template").click()
    page.get_by_label("Template name").fill("Extraction line")
    page.get_by_role("button", name="Save template").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Extraction line").is_visible()
    assert ProjectTemplate.objects.filter(organisation=org, name="Extraction line").count() == 1
    shot("from-zero-07-template")

    # 6. A programme, managed by Ada.
    page.goto(f"{live_server.url}/programmes/")
    page.get_by_role("link", name="New programme").click()
    page.get_by_label("Name").fill("Plant 2 expansion")
    page.get_by_label("Manager").select_option(label="Ada Lovelace")
    page.get_by_label("Objectives").fill("Second extraction line running by **Q3**")
    page.get_by_role("button", name="Create programme").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Plant 2 expansion").is_visible()
    shot("from-zero-08-programme")

    # 7. A project from the template into the programme, starting Monday 1 March 2027.
    page.goto(f"{live_server.url}/templates/")
    page.get_by_role("link", name="Extraction line").click()
    page.get_by_role("link", name="New project from this template").click()
    page.get_by_label("Project name").fill("Extraction line 2")
    page.get_by_label("Code").fill("EXT-2")
    page.get_by_label("Start").fill(START.isoformat())
    page.get_by_label("Programme").select_option(label="Plant 2 expansion")
    shot("from-zero-09-new-from-template")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("created from the template Extraction line").is_visible()
    project = Project.objects.get(organisation=org, code="EXT-2")
    assert project.programme == Programme.objects.get(organisation=org, name="Plant 2 expansion")
    shot("from-zero-10-project")

    # The holiday is skipped: Survey Mon 1–Tue 2 Mar; Install ducting starts Wed 3 Mar and its
    # five working days are 3, 5, 8, 9, 10 Mar (not 3, 4, 5, 8, 9: Thursday 4 is Founders' day).
    zone = tz_of(org)

    def days(task):
        return (
            timezone.localtime(task.start, zone).date(),
            timezone.localtime(task.finish, zone).date(),
        )

    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    assert sorted(tasks) == ["Fit filters", "Install ducting", "Survey"]
    assert days(tasks["Survey"]) == (dt.date(2027, 3, 1), dt.date(2027, 3, 2))
    assert days(tasks["Install ducting"]) == (dt.date(2027, 3, 3), dt.date(2027, 3, 10))
    assert days(tasks["Fit filters"]) == (dt.date(2027, 3, 1), dt.date(2027, 3, 1))
    # Without a holiday the same plan finishes the task on a Tuesday: the first project, on the
    # same weekdays a month earlier, runs Install ducting Wed 3 – Tue 9 Feb.
    first = {t.name: t for t in Task.objects.filter(project=source)}
    assert days(first["Install ducting"]) == (dt.date(2027, 2, 3), dt.date(2027, 2, 9))

    # 8. The Gantt: the holiday's day is shaded, and the bar runs over it to Wednesday 10 March.
    page.goto(f"{live_server.url}/projects/{project.pk}/gantt/?zoom=days")
    holiday = page.locator(f'rect.g-off[data-off="{HOLIDAY.isoformat()}"]')
    assert holiday.count() == 1
    assert float(holiday.get_attribute("width")) > 0
    ducting = page.locator(f'.g-task[data-task="{tasks["Install ducting"].pk}"]')
    assert ducting.count() == 1
    bar = ducting.locator(".g-bar").bounding_box()
    off = holiday.bounding_box()
    assert bar["x"] < off["x"] and off["x"] + off["width"] < bar["x"] + bar["width"]
    shot("from-zero-11-gantt")
    page.set_viewport_size(PHONE)
    holiday.scroll_into_view_if_needed()
    shot("from-zero-11-gantt-phone")
    page.set_viewport_size(DESKTOP)

    # 9. The header search finds the task of the new project; the dropdown opens it.
    page.goto(f"{live_server.url}/")
    box = page.get_by_role("combobox", name=re.compile("Search projects, tasks"))
    box.click()
    box.press_sequentially("ductin", delay=30)
    listbox = page.get_by_role("listbox", name="Top results")
    listbox.wait_for()
    option = listbox.get_by_role("option").filter(has_text="Extraction line 2")
    option.first.wait_for()
    assert "Install ducting" in option.first.inner_text()
    shot("from-zero-12-search")
    page.set_viewport_size(PHONE)
    shot("from-zero-12-search-phone")
    page.set_viewport_size(DESKTOP)
    option.first.click()
    page.wait_for_url(
        f"{live_server.url}/projects/{project.pk}/tasks/{tasks['Install ducting'].pk}/"
    )
    assert page.get_by_role("heading", name="Install ducting").is_visible()
    assert "3 Mar – 10 Mar 2027" in page.locator("main").inner_text()  # over Founders' day
    shot("from-zero-13-task")
