"""Sign in as the demo user, walk the shell, and take screenshots."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_walk_the_shell(page, live_server, demo_org, sign_in, shot):
    page.goto(f"{live_server.url}/accounts/sign-in/")
    shot("sign-in")
    sign_in()
    assert page.get_by_role("navigation", name="Main").is_visible()
    assert page.get_by_role("link", name="Portfolio").get_attribute("aria-current") == "page"
    shot("portfolio-shell")
    page.get_by_role("link", name="People").click()
    assert page.get_by_role("cell", name="Priya Raman").count() >= 0
    assert page.locator("text=Senior Process Engineer").is_visible()
    shot("people")
    page.get_by_role("link", name="Teams").first.click()
    assert page.locator("text=Quality").first.is_visible()
    shot("teams")
    page.get_by_role("link", name="Settings").first.click()
    assert page.get_by_label("Name").input_value() == "Halvorsen Precision"
    shot("settings")


def test_wrong_password_shows_a_clear_message(page, live_server, demo_org, sign_in):
    sign_in(password="not-the-password")
    assert (
        page.get_by_role("alert").inner_text()
        == "That e-mail and password do not match an account."
    )


def test_create_a_token_and_see_it_once(page, live_server, demo_org, sign_in, shot):
    sign_in()
    page.goto(f"{live_server.url}/accounts/settings/tokens/")
    page.get_by_label("Name").fill("KPI uploader")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("New token").input_value()
    assert token.startswith("tf_")
    shot("tokens")
    response = page.request.get(
        f"{live_server.url}/api/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    assert response.json()["full_name"] == "Dana Whitfield"


def test_reports_page(page, live_server, demo_org, sign_in, shot):
    sign_in()
    page.get_by_role("link", name="Reports").click()
    assert page.get_by_role("heading", name="Projects: progress, schedule and cost").is_visible()
    assert page.get_by_role("link", name="Line 3 automation cell").first.is_visible()
    # The schedule-and-cost chart: a dot per live project with both indices, linked to it.
    chart = page.get_by_role("img", name="Schedule and cost performance")
    assert chart.is_visible() and chart.locator("circle.pt").count() >= 5
    shot("reports")
    with page.expect_download() as download:
        page.get_by_role("link", name="Projects (CSV)", exact=True).click()
    assert download.value.suggested_filename.startswith("twofold-projects-")


def test_api_docs_work_offline_under_the_csp(page, live_server, shot):
    """Swagger UI comes from our static files: nothing leaves the origin, the CSP blocks nothing."""
    outside: list[str] = []
    errors: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/api/docs")
    # Swagger UI builds the page from /api/openapi.json (~200 operations): on a busy CI machine
    # that takes longer than Playwright's default 30 s.
    page.get_by_role("heading", name="Twofold API").first.wait_for(timeout=120_000)
    page.get_by_text("/api/me", exact=True).first.wait_for(timeout=60_000)
    shot("api-docs")
    assert outside == []
    assert [e for e in errors if "Content Security Policy" in e] == []


def test_favicon_is_served(page, live_server):
    response = page.request.get(f"{live_server.url}/favicon.ico")
    assert response.status == 200
    assert response.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
