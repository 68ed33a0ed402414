"""Browser tests: Debian's Chromium driven by Playwright against a live server.

Run by `.ci/run` (which installs Chromium) and `make test-browser`. Screenshots go to
`test-artifacts/screenshots/` so a person can look at every page the tests visit.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_configure(config: pytest.Config) -> None:
    from playwright.sync_api import expect

    # expect(...) waits 5 s by default; CI runs these tests beside the whole suite on two busy
    # cores, where a page can take longer than that to answer. A passing check waits no longer.
    expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(
            reason=f"Chromium not found at {CHROMIUM}: .ci/run installs it (apt-get install chromium)"
        )
        for item in items:
            if "tests/browser/" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def shot(page: Any) -> Callable[[str], Path]:
    """``shot("name")`` saves a full-page screenshot and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(page: Any, live_server: Any) -> Callable[..., Any]:
    from twofold.demo.people import DEMO_EMAIL, DEMO_PASSWORD

    def go(email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> Any:
        page.goto(f"{live_server.url}/accounts/sign-in/")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        return page

    return go


def edit_inline(page: Any, label: str, value: str) -> Any:
    """Fill the inline field labelled ``label`` and leave it, returning htmx's response.

    Waits for htmx to have set the page up first: on a busy machine a change made before
    htmx processed the row is sent nowhere (the failure this helper exists for).
    """
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    field = page.get_by_label(label)
    with page.expect_response(lambda r: r.request.method == "POST", timeout=30_000) as response:
        field.fill(value)
        field.press("Tab")
    return response.value


def drag_and_wait(page: Any, source: Any, target: Any, url: re.Pattern[str]) -> Any:
    """Drag ``source`` onto ``target`` and return the response of the request it sends.

    Waits for the page's scripts first (a drag before the drag-and-drop library has set the
    lists up sends nothing) and tries again, up to three times, when a drag on a busy machine
    sent nothing.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.wait_for_load_state("load")
    failure: Exception | None = None
    for _ in range(3):
        try:
            with page.expect_response(url, timeout=15_000) as response:
                source.drag_to(target)
            return response.value
        except PlaywrightTimeoutError as exc:
            failure = exc
    assert failure is not None
    raise failure
