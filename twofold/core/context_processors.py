"""Template context shared by every page: navigation and the organisation switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

NAVIGATION = [
    ("portfolio", "Portfolio", "projects:portfolio"),
    ("projects", "Projects", "projects:list"),
    ("programmes", "Programmes", "projects:programmes"),
    ("my-work", "My work", "projects:my_work"),
    ("risks", "Risks", "risks:register"),
    ("operations", "Operations", "operations:overview"),
    ("improvement", "Improvement", "improvement:board"),
    ("people", "People", "accounts:people"),
    ("reports", "Reports", "core:reports"),
    ("settings", "Settings", "accounts:settings"),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    items = []
    for key, label, name in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:  # pragma: no cover - a section whose app is not installed
            continue
        items.append({"key": key, "label": label, "url": url})
    return {"nav_items": items}
