"""From an empty database (no demo): set up, invite a colleague, a second organisation, switch."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from twofold.accounts.middleware import forget_users

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(autouse=True)
def _empty_instance(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TWOFOLD_BASE_URL = "https://twofold.example.com"
    forget_users()
    yield
    forget_users()


def _both_widths(page, shot, name):
    page.set_viewport_size(PHONE)
    shot(f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    shot(name)


def test_first_run_to_two_organisations(page, live_server, shot):
    from twofold.accounts.models import Membership, Organisation, User

    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/accounts/setup/"
    assert page.get_by_role("heading", name="Set up Twofold").is_visible()
    _both_widths(page, shot, "first-run-setup")

    # A weak password is refused with Django's message and nothing is created.
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_label("Password").fill("12345678")
    page.get_by_label("Organisation name").fill("Difference Works")
    page.get_by_label("Organisation time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Create account and organisation").click()
    assert "This password is entirely numeric." in page.locator(".field-invalid").inner_text()
    assert User.objects.count() == 0
    shot("first-run-setup-error")

    page.get_by_label("Password").fill("analytical engine 1843")
    page.get_by_role("button", name="Create account and organisation").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/"
    assert "Difference Works is ready" in page.locator(".flashes").inner_text()
    _both_widths(page, shot, "first-run-portfolio")

    # Invite a colleague: they get an e-mail with a link on the configured base URL.
    page.goto(f"{live_server.url}/accounts/people/")
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_role("button", name="Add").click()
    page.wait_for_load_state("networkidle")
    assert (
        "Grace Hopper is invited as Member: they join when they accept."
        in page.locator(".flashes").inner_text()
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].body.startswith(
        "Ada Lovelace invited you to join Difference Works on Twofold as Member."
    )
    assert "https://twofold.example.com/accounts/password/reset/" in mail.outbox[0].body

    page.goto(f"{live_server.url}/accounts/settings/")
    assert page.get_by_label("Time zone").input_value() == "Europe/Berlin"
    page.get_by_label("Date format").select_option("dd/mm/yyyy")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state("networkidle")
    assert "Organisation settings saved." in page.locator(".flashes").inner_text()
    _both_widths(page, shot, "first-run-settings")

    # A second organisation from the account menu, then back with the switcher.
    page.locator("details.usermenu summary").click()
    page.get_by_role("link", name="+ New organisation").click()
    page.get_by_label("Organisation name").fill("Analytical Engines GmbH")
    page.get_by_role("button", name="Create organisation").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".usermenu-org").inner_text() == "Analytical Engines GmbH"
    page.locator("details.usermenu summary").click()
    assert page.get_by_role("button", name="Switch to Difference Works").is_visible()
    _both_widths(page, shot, "first-run-org-switcher")
    page.get_by_role("button", name="Switch to Difference Works").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".usermenu-org").inner_text() == "Difference Works"
    ada = User.objects.get(email="ada@example.com")
    assert sorted(
        Membership.objects.filter(user=ada).values_list("organisation__name", "role")
    ) == [
        ("Analytical Engines GmbH", "owner"),
        ("Difference Works", "owner"),
    ]

    # Ada picks her own time zone; then deletes the second organisation, typing its name.
    page.goto(f"{live_server.url}/accounts/preferences/")
    page.get_by_label("Your time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_load_state("networkidle")
    assert "(Asia/Tokyo)" in page.locator("main").inner_text()
    _both_widths(page, shot, "first-run-preferences")
    page.locator("details.usermenu summary").click()
    page.get_by_role("button", name="Switch to Analytical Engines GmbH").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/accounts/organisation/delete/")
    assert "1 memberships" in page.locator(".deletion-counts").inner_text()
    page.get_by_label("Type the organisation's name to confirm").fill("Analytical Engines")
    page.get_by_role("button", name="Delete this organisation").click()
    assert "Type the organisation's name exactly" in page.locator(".field-invalid").inner_text()
    _both_widths(page, shot, "first-run-delete")
    page.get_by_label("Type the organisation's name to confirm").fill("Analytical Engines GmbH")
    page.get_by_role("button", name="Delete this organisation").click()
    page.wait_for_load_state("networkidle")
    assert (
        "Analytical Engines GmbH and everything in it were deleted."
        in page.locator(".flashes").inner_text()
    )
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Difference Works"]

    # The set-up page is gone now.
    assert page.request.get(f"{live_server.url}/accounts/setup/").status == 404


def test_sign_up_when_the_instance_allows_it(page, live_server, shot):
    from twofold.accounts.models import User

    User.objects.create_superuser(email="root@example.com", password="quiet harbour lights")
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail").fill("root@example.com")
    page.get_by_label("Password").fill("quiet harbour lights")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/accounts/instance/")
    page.get_by_label("Anyone may sign up").check()
    page.get_by_role("button", name="Save").click()
    assert "Instance settings saved." in page.locator(".flashes").inner_text()
    _both_widths(page, shot, "instance-settings")
    page.locator("details.usermenu summary").click()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_role("link", name="Create an account").click()
    _both_widths(page, shot, "sign-up")
    page.get_by_label("Your name").fill("Bo Berg")
    page.get_by_label("E-mail").fill("bo@example.com")
    page.get_by_label("Password").fill("tulips in april")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    _both_widths(page, shot, "sign-up-sent")
    # The account opens through the link e-mailed to the address (the live server runs in this
    # process: its outbox is Django's).
    link = re.search(r"https?://[^/\s]+(/accounts/sign-up/confirm/\S+)", mail.outbox[-1].body)
    assert link is not None
    page.goto(f"{live_server.url}{link.group(1)}")
    _both_widths(page, shot, "sign-up-open")
    page.get_by_role("button", name="Open my account").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/accounts/organisation/new/"
    page.get_by_label("Organisation name").fill("Berg Consulting")
    page.get_by_role("button", name="Create organisation").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".usermenu-org").inner_text() == "Berg Consulting"
