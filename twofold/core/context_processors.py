"""Template context shared by every page: navigation and the organisation switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

NAVIGATION = [
    ("portfolio", "Portfolio", "projects:portfolio"),
    ("projects", "Projects", "projects:list"),
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
    return {"nav_items": items, "my_memberships": SimpleLazyObject(lambda: _memberships(request))}


def _memberships(request: HttpRequest) -> list[Any]:
    """The user menu's organisation switcher (one query, only when the menu renders)."""
    from twofold.accounts.models import Membership

    return list(
        Membership.objects.filter(user_id=int(request.user.pk or 0))
        .select_related("organisation")
        .order_by("organisation__name")
    )
