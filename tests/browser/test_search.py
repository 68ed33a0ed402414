"""Search in a real browser: type into the header box, choose from the dropdown, open the task."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_a_task_through_the_header_search(page, live_server, demo_org, sign_in, shot):
    sign_in()
    page.goto(f"{live_server.url}/")
    box = page.get_by_role("combobox", name=re.compile("Search projects, tasks"))
    box.click()
    box.press_sequentially("guarding inst", delay=30)
    listbox = page.get_by_role("listbox", name="Top results")
    listbox.wait_for()
    option = listbox.get_by_role("option").first
    assert (
        option.inner_text().startswith("Tasks")
        or "Safety guarding installation" in option.inner_text()
    )
    assert (
        page.locator("#topsearch-status")
        .inner_text()
        .endswith("arrow keys to choose, Enter to open")
    )
    assert box.get_attribute("aria-expanded") == "true"
    assert listbox.locator("mark").first.inner_text().lower() in {"guarding", "installation"}
    shot("search-dropdown")
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "topsearch-option-1"
    assert listbox.get_by_role("option").first.get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/projects/\d+/tasks/\d+/$"))
    assert page.get_by_role("heading", name="Safety guarding installation").is_visible()


def test_search_page_and_phone_width(page, live_server, demo_org, sign_in, shot):
    sign_in()
    page.goto(f"{live_server.url}/search/?q=robot")
    assert page.get_by_role("heading", name="Search", exact=True).is_visible()
    assert page.get_by_role("navigation", name="Kinds of results").is_visible()
    assert page.locator(".search-hits mark").count() > 3
    shot("search-page")
    page.goto(f"{live_server.url}/search/?q=" + "x" * 300)
    assert page.get_by_text("Search for at most 200 characters (this was 300).").is_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/search/?q=robot")
    shot("search-page-phone")
    box = page.get_by_role("combobox", name=re.compile("Search projects, tasks"))
    box.click()
    box.press_sequentially("line 3", delay=30)
    page.get_by_role("listbox", name="Top results").wait_for()
    shot("search-dropdown-phone")
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 700})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "topsearch-q"
