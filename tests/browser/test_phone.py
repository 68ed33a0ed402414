"""The shell and the organisation-wide pages at phone width (390 px) and at desktop width.

Every page must fit the phone's width (no sideways page scroll: tables scroll in their own box),
the navigation folds into a menu, and a fresh organisation's pages say what to do next.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

PAGES = [
    ("portfolio", "/"),
    ("projects", "/projects/"),
    ("my-work", "/my-work/"),
    ("people", "/accounts/people/"),
    ("teams", "/accounts/teams/"),
    ("settings", "/accounts/settings/"),
    ("tokens", "/accounts/settings/tokens/"),
    ("reports", "/reports/"),
    ("capacity", "/capacity/"),
    ("custom-fields", "/fields/"),
    ("mentions", "/attachments/mentions/"),
    ("operations", "/operations/"),
    ("flow", "/operations/flow/"),  # its wide chart panel widened the page to 521 px
]


def _fits(page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391
  || (e.scrollWidth > 391 && getComputedStyle(e).overflowX === 'visible'))
  .slice(-6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)
  + '/' + e.scrollWidth)"""


def test_demo_pages_fit_a_phone_and_the_menu_opens(page, live_server, demo_org, sign_in, shot):
    sign_in()
    from twofold.accounts.models import User

    priya = User.objects.get(full_name="Priya Raman")
    pages = [*PAGES, ("person", f"/accounts/people/{priya.pk}/")]
    too_wide = {}
    for name, path in pages:
        page.set_viewport_size(DESKTOP)
        page.goto(f"{live_server.url}{path}")
        assert page.title() and "Server Error" not in page.title(), path
        shot(f"desktop-{name}")
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}{path}")
        shot(f"phone-{name}")
        if (width := _fits(page)) > 390:
            too_wide[path] = (width, page.evaluate(WIDEST))  # the elements to blame
    assert too_wide == {}

    page.goto(f"{live_server.url}/")
    menu = page.get_by_role("button", name="Menu")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("navigation", name="Main").is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="Capacity").is_visible()
    shot("phone-menu-open")
    page.get_by_role("link", name="Capacity").click()
    page.wait_for_url("**/capacity/")
    main_nav = page.get_by_role("navigation", name="Main", include_hidden=True)
    lit = main_nav.get_by_role("link", name="Capacity", include_hidden=True)
    assert lit.get_attribute("aria-current") == "page"
    assert not main_nav.is_visible()  # the menu closed when the page changed
    page.keyboard.press("Escape")


def test_a_fresh_organisation_says_what_to_do_next(
    page, live_server, sign_in, shot, transactional_db
):
    from twofold.accounts.models import Membership, Organisation, Role, User

    org = Organisation.objects.create(name="New Co", slug="new-co")
    user = User.objects.create_user(
        email="new@example.com", password="a long passphrase", full_name="N" * 10_000
    )
    Membership.objects.create(organisation=org, user=user, role=Role.OWNER)
    sign_in("new@example.com", "a long passphrase")
    page.set_viewport_size(PHONE)
    too_wide = {}
    for name, path in [*PAGES, ("person", f"/accounts/people/{user.pk}/")]:
        page.goto(f"{live_server.url}{path}")
        shot(f"phone-empty-{name}")
        if (width := _fits(page)) > 390:
            too_wide[path] = (width, page.evaluate(WIDEST))  # the elements to blame
    assert too_wide == {}
    page.set_viewport_size(DESKTOP)
    for name, path in PAGES:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"], path
        shot(f"desktop-empty-{name}")
