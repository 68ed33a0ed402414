"""The portfolio card's cache key holds the percentages as the card shows them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.template.loader import render_to_string

from twofold.projects import selectors as psel
from twofold.projects import services as projects
from twofold.projects.views import _card_key

pytestmark = pytest.mark.django_db


def test_cards_that_read_differently_have_different_keys(org: Any, owner: Any) -> None:
    projects.create_project(
        actor=owner, organisation=org, name="Dock", code="DK", target_start=dt.date(2030, 1, 7)
    )
    card = psel.portfolio(org, sparklines=False)[0]
    a = dataclasses.replace(card, percent_planned=1.6)  # shown as 2 %
    b = dataclasses.replace(card, percent_planned=2.5)  # shown as 3 % (round() gives 2)
    c = dataclasses.replace(card, percent_planned=2.4)  # shown as 2 %
    cards = {"a": a, "b": b, "c": c}
    html = {
        k: render_to_string("projects/partials/card.html", {"card": v}) for k, v in cards.items()
    }
    assert "2% planned by today" in html["a"] and "3% planned by today" in html["b"]
    assert _card_key(a) != _card_key(b)
    assert _card_key(a) == _card_key(c) and html["a"] == html["c"]
