"""The board by keyboard: Alt with the arrow keys moves the focused card within its column and
across columns through the same endpoint a drop uses; the focus stays on the card and the
status region says where it went (cards could be reordered only with a mouse)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

PASSWORD = "correct horse battery"


@pytest.fixture
def board(transactional_db: None) -> dict[str, Any]:
    from twofold.accounts.models import Membership, Organisation, Role, User
    from twofold.projects import services

    org = Organisation.objects.create(name="Acme Engineering", slug="acme")
    alice = User.objects.create_user(
        email="alice@acme.example", password=PASSWORD, full_name="Alice Adams"
    )
    Membership.objects.create(organisation=org, user=alice, role=Role.OWNER)
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


def _names(page: Any, status: str) -> list[str]:
    return page.locator(f'.board-list[data-status="{status}"] .board-card > a').all_inner_texts()


def test_cards_move_by_keyboard(
    page: Any, live_server: Any, board: dict[str, Any], shot: Any
) -> None:
    from twofold.projects.models import Task

    base = live_server.url
    project = board["project"]
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("E-mail").fill("alice@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/projects/{project.pk}/board/")
    url = page.url
    assert _names(page, "todo") == ["Order robot", "Weld frame", "Train crew"]

    card = page.get_by_role("link", name="Train crew")
    expect(card).to_have_attribute("aria-describedby", "board-keys")
    card.focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#board")).to_have_text("Moved to place 2 of To do.")
    assert _names(page, "todo") == ["Order robot", "Train crew", "Weld frame"]
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#board")).to_have_text("Moved to place 1 of To do.")
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#board")).to_have_text("Already first in To do.")
    page.reload()
    assert _names(page, "todo") == ["Train crew", "Order robot", "Weld frame"]  # saved

    page.get_by_role("link", name="Weld frame").focus()
    page.keyboard.press("Alt+ArrowRight")
    expect(page.locator("#board")).to_have_text("Moved to Doing.")
    expect(page.locator('.board-list[data-status="doing"] .board-card > a')).to_have_text(
        ["Weld frame"]
    )
    # The columns were swapped in with their counts; the focus is back on the card.
    doing = page.locator(".board-col", has=page.locator('[data-status="doing"]'))
    expect(doing.locator(".badge").first).to_have_text("1")
    expect(page.locator('.board-list[data-status="doing"] .board-card > a')).to_be_focused()
    assert page.url == url  # Alt+Arrow did not go back in the browser's history
    weld = Task.objects.get(pk=board["tasks"][1].pk)
    assert weld.status == "doing"
    shot("board-keyboard")
    page.keyboard.press("Alt+ArrowLeft")
    expect(page.locator("#board")).to_have_text("Moved to To do.")
    assert Task.objects.get(pk=weld.pk).status == "todo"
