"""Template context shared by every page: navigation and the organisation switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch
from django.utils.functional import SimpleLazyObject

from twofold.core.urlcache import fast_reverse

NAVIGATION = [
    ("portfolio", "Portfolio", "projects:portfolio"),
    ("projects", "Projects", "projects:list"),
    ("programmes", "Programmes", "projects:programmes"),
    ("my-work", "My work", "work:my_work"),
    ("time", "Time", "costs:timesheet"),
    ("risks", "Risks", "risks:register"),
    ("operations", "Operations", "operations:overview"),
    ("improvement", "Improvement", "improvement:board"),
    ("people", "People", "accounts:people"),
    ("capacity", "Capacity", "capacity:usage"),
    ("reports", "Reports", "reports:reports"),
    ("settings", "Settings", "accounts:settings"),
]

GUESTS_WITHOUT = frozenset({"time"})
"""Sections a guest has nothing to do in (guests do not log time: the timesheet refused them)."""

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
    ("/trash/", "settings"),
    ("/fields/values/", "projects"),
    ("/costs/", "time"),
    ("/costs/processes/", "operations"),
    ("/costs/projects/", "projects"),
    ("/costs/rates/", "settings"),
]


def section_for(path: str) -> str:
    """The navigation key lit for ``path``, or "" when the path alone does not say."""
    if path == "/":
        return "portfolio"
    matches = [(len(prefix), key) for prefix, key in SECTION_PREFIXES if path.startswith(prefix)]
    return max(matches)[1] if matches else ""


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)  # none on a 404 raised before authentication
    if user is None or not user.is_authenticated:
        return {}
    items = []
    membership = getattr(request, "membership", None)
    for key, label, name in NAVIGATION:
        if not membership:  # (a lazy object: None inside is falsy, "is None" is not)
            break  # no organisation yet: every section would answer "not a member" (403)
        if key in GUESTS_WITHOUT and membership.rank < 1:
            continue
        try:
            url = fast_reverse(name)
        except NoReverseMatch:  # pragma: no cover - a section whose app is not installed
            continue
        items.append({"key": key, "label": label, "url": url})
    return {
        "nav_items": items,
        "nav_current": section_for(request.path),
        "my_memberships": SimpleLazyObject(lambda: _memberships(request)),
    }


def _memberships(request: HttpRequest) -> list[Any]:
    """The user menu's organisation switcher: the request's memberships, read once per request
    (``core.policy.memberships_of``, shared with the current organisation and the role checks)."""
    from twofold.core.policy import memberships_of

    return list(memberships_of(request.user))
