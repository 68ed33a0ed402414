"""Template context shared by every page: navigation and the organisation switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

NAVIGATION = [
    ("portfolio", "Portfolio", "projects:portfolio"),
    ("projects", "Projects", "projects:list"),
    ("programmes", "Programmes", "projects:programmes"),
    ("my-work", "My work", "projects:my_work"),
    ("risks", "Risks", "risks:register"),
    ("operations", "Operations", "operations:overview"),
    ("improvement", "Improvement", "improvement:board"),
    ("people", "People", "accounts:people"),
    ("capacity", "Capacity", "capacity:usage"),
    ("reports", "Reports", "core:reports"),
    ("settings", "Settings", "accounts:settings"),
]

# Which navigation item a page belongs to, by the start of its path (the longest match wins).
# Pages whose path matches none of these fall back to the ``section`` their view passes.
SECTION_PREFIXES = [
    ("/projects/", "projects"),
    ("/my-work/", "my-work"),
    ("/attachments/mentions/", "my-work"),
    ("/risks/", "risks"),
    ("/risks/projects/", "projects"),
    ("/operations/", "operations"),
    ("/improvement/", "improvement"),
    ("/accounts/people/", "people"),
    ("/accounts/teams/", "people"),
    ("/capacity/", "capacity"),
    ("/capacity/projects/", "projects"),
    ("/reports/", "reports"),
    ("/accounts/settings/", "settings"),
    ("/fields/", "settings"),
    ("/calendars/", "settings"),
    ("/fields/values/", "projects"),
]


def section_for(path: str) -> str:
    """The navigation key lit for ``path``, or "" when the path alone does not say."""
    if path == "/":
        return "portfolio"
    matches = [(len(prefix), key) for prefix, key in SECTION_PREFIXES if path.startswith(prefix)]
    return max(matches)[1] if matches else ""


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
    return {
        "nav_items": items,
        "nav_current": section_for(request.path),
        "my_memberships": SimpleLazyObject(lambda: _memberships(request)),
    }


def _memberships(request: HttpRequest) -> list[Any]:
    """The user menu's organisation switcher (one query, only when the menu renders)."""
    from twofold.accounts.models import Membership

    return list(
        Membership.objects.filter(user_id=int(request.user.pk or 0))
        .select_related("organisation")
        .order_by("organisation__name")
    )
