"""Two people at once: one moves a card and the other's board follows within 2 s; one comments
with an @mention and the other sees it appear while their own draft stays in the box."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from playwright.sync_api import expect

PASSWORD = "correct horse battery"


LIVE_MS = 10_000  # how long a change may take to show in the other browser in CI


@pytest.fixture
def team(transactional_db: None) -> dict[str, Any]:
    from twofold.accounts.models import Membership, Organisation, Role, User
    from twofold.projects import services

    org = Organisation.objects.create(name="Acme Engineering", slug="acme")
    alice = User.objects.create_user(
        email="alice@acme.example", password=PASSWORD, full_name="Alice Adams"
    )
    bob = User.objects.create_user(
        email="bob@acme.example", password=PASSWORD, full_name="Bob Brown"
    )
    Membership.objects.create(organisation=org, user=alice, role=Role.OWNER)
    Membership.objects.create(organisation=org, user=bob, role=Role.MEMBER)
    project = services.create_project(
        actor=alice,
        organisation=org,
        name="Press line upgrade",
        code="PLU",
        target_start=dt.date(2025, 3, 3),
    )
    tasks = [
        services.create_task(actor=alice, project=project, name=n)[0]
        for n in ("Order robot", "Weld frame", "Train crew")
    ]
    return {"project": project, "tasks": tasks}


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)


def test_two_people_see_each_others_changes_live(
    page: Any, browser: Any, live_server: Any, team: dict[str, Any], shot: Any
) -> None:
    base = live_server.url
    project, task = team["project"], team["tasks"][0]
    board = f"{base}/projects/{project.pk}/board/"
    other = browser.new_context(viewport={"width": 1366, "height": 900})
    bob = other.new_page()
    try:
        _sign_in(page, base, "alice@acme.example")
        _sign_in(bob, base, "bob@acme.example")
        bob.goto(board)
        card = bob.locator(f'.board-card[data-task="{task.pk}"]')
        expect(bob.locator('[data-status="todo"]').locator(card)).to_have_count(1)

        # Alice moves the card through the board's own endpoint (what a drop sends).
        page.goto(board)
        version = page.locator(f'.board-card[data-task="{task.pk}"]').get_attribute("data-version")
        csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        moved_at = time.monotonic()
        answer = page.request.post(
            f"{base}/projects/{project.pk}/board/move/",
            form={"task": str(task.pk), "status": "doing", "version": version or ""},
            headers={"X-CSRFToken": csrf, "Referer": board},
        )
        assert answer.status == 200
        # Seen without a reload. The "within 2 s" promise (a poll a second) is measured by
        # benchmarks/live.py; here the bound is wider, as this runs beside the whole CI on two
        # busy cores, where a poll can wait seconds for a CPU.
        expect(bob.locator('[data-status="doing"]').locator(card)).to_have_count(1, timeout=LIVE_MS)
        assert time.monotonic() - moved_at <= LIVE_MS / 1000
        shot("live-board-desktop")

        # Bob is typing a comment on the task when Alice mentions him there.
        task_url = f"{base}/projects/{project.pk}/tasks/{task.pk}/"
        bob.goto(task_url)
        bob.get_by_role("textbox", name="Comment").fill("My half-written reply")
        page.goto(task_url)
        page.get_by_role("textbox", name="Comment").fill(
            "@Bob Brown the robot is ordered. <img src=x onerror=alert(1)>"
        )
        page.get_by_role("button", name="Comment", exact=True).click()
        expect(page.locator("#comments-list")).to_contain_text("the robot is ordered")
        posted_at = time.monotonic()
        mention = bob.locator("#comments-list a.mention", has_text="@Bob Brown")
        expect(mention).to_have_count(1, timeout=LIVE_MS)
        assert time.monotonic() - posted_at <= LIVE_MS / 1000
        expect(bob.get_by_role("textbox", name="Comment")).to_have_value("My half-written reply")
        assert bob.locator("#comments-list img").count() == 0
        shot("live-comment-desktop")
        bob.set_viewport_size({"width": 390, "height": 844})
        bob.goto(f"{base}/activity/projects/{project.pk}/")
        expect(bob.locator(".activity-list")).to_contain_text("the robot is ordered")
        bob.screenshot(
            path=str(shot("live-comment-desktop").parent / "activity-phone.png"), full_page=True
        )
        assert bob.evaluate("document.documentElement.scrollWidth") <= 390
        bob.goto(board)
        expect(bob.locator('[data-status="doing"]').locator(card)).to_have_count(1)
        bob.screenshot(
            path=str(shot("live-comment-desktop").parent / "live-board-phone.png"), full_page=True
        )
    finally:
        other.close()
