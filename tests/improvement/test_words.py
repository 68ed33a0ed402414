"""The words on improvement pages: forward buttons first, labels not slugs, empty states."""

from __future__ import annotations

import re

import pytest

from twofold.improvement import services

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return re.sub(r" ([:.,;?])", r"\1", text)


@pytest.fixture
def item(org, owner, kpi):
    return services.create_item(
        actor=owner, organisation=org, source="kpi", kpi=kpi, title="Scrap up", problem="Chatter."
    )


def _buttons(html: str) -> list[tuple[str, str]]:
    """(class, label) of every status button in the workflow panel."""
    panel = html[html.index('id="move-title"') :]
    return re.findall(r'<button type="submit" class="([^"]*)">([^<]+)</button>', panel)


def test_in_progress_item_moves_forward_not_back(client, owner, item):
    services.set_status(actor=owner, item=item, status="triaged", reason="", expected_version=1)
    services.set_status(actor=owner, item=item, status="in_progress", reason="", expected_version=2)
    client.force_login(owner)
    html = client.get(f"/improvement/items/{item.pk}/").content.decode()
    buttons = _buttons(html)
    assert ("btn", "Back to triaged") in buttons
    assert not any("btn-primary" in cls and "Back" in label for cls, label in buttons)
    # The primary action is the forward one: mark done with the result.
    assert '<button type="submit" class="btn btn-primary">Mark done</button>' in html


def test_new_and_triaged_items_have_a_forward_primary(client, owner, item):
    client.force_login(owner)
    html = client.get(f"/improvement/items/{item.pk}/").content.decode()
    assert _buttons(html)[0] == ("btn btn-primary", "Triage")
    services.set_status(actor=owner, item=item, status="triaged", reason="", expected_version=1)
    html = client.get(f"/improvement/items/{item.pk}/").content.decode()
    assert _buttons(html)[:2] == [("btn btn-primary", "Start work"), ("btn", "Back to new")]


def test_history_and_source_read_as_words(client, owner, item):
    services.set_status(actor=owner, item=item, status="triaged", reason="", expected_version=1)
    services.set_status(actor=owner, item=item, status="in_progress", reason="", expected_version=2)
    client.force_login(owner)
    text = _text(client.get(f"/improvement/items/{item.pk}/").content.decode())
    assert "Status: Triaged → In progress" in text
    assert "Source KPI needs attention" in text
    assert "in_progress" not in text and "kpi signal" not in text.lower()
    assert "Raised from a KPI that needs attention" in text


def test_empty_lists_say_what_to_do(client, owner):
    client.force_login(owner)
    text = _text(client.get("/improvement/items/").content.decode())
    assert "No improvement items yet. Raise one with “Raise an improvement”" in text
    text = _text(client.get("/improvement/items/?status=done").content.decode())
    assert "No improvement items match these filters. Clear the filters" in text
    text = _text(client.get("/improvement/").content.decode())
    assert "Nothing new. Raise one with “Raise an improvement”" in text
    text = _text(client.get("/improvement/handovers/").content.decode())
    assert "No handover is waiting. When a project's results are ready" in text
