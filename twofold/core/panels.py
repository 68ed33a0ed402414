"""Panels that a joining app adds to a lower app's page, without the lower app importing it.

``projects`` and ``operations`` never import each other or the apps that join them
(``improvement``). When a page of theirs should show the other side (the projects changing a
process, the processes a project affects), the joining app registers a provider here in its
``AppConfig.ready`` and the page asks for the slot's HTML:

* ``render(slot, request, subject)``: one block of HTML for one subject (a project);
* ``render_each(slot, request, ids)``: HTML per id for a list page (one call, constant queries).

Providers return escaped HTML (rendered from a template); a slot nobody filled renders nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

Single = Callable[[HttpRequest, Any], SafeString]
Each = Callable[[HttpRequest, Sequence[int]], dict[int, SafeString]]

_SINGLE: dict[str, list[Single]] = {}
_EACH: dict[str, list[Each]] = {}


def register(slot: str, provider: Single) -> None:
    """Add ``provider`` to a one-subject slot (idempotent)."""
    providers = _SINGLE.setdefault(slot, [])
    if provider not in providers:
        providers.append(provider)


def register_each(slot: str, provider: Each) -> None:
    """Add ``provider`` to a per-id slot (idempotent)."""
    providers = _EACH.setdefault(slot, [])
    if provider not in providers:
        providers.append(provider)


def render(slot: str, request: HttpRequest, subject: Any) -> SafeString:
    return mark_safe("".join(p(request, subject) for p in _SINGLE.get(slot, [])))  # noqa: S308


def render_each(slot: str, request: HttpRequest, ids: Sequence[int]) -> dict[int, SafeString]:
    out: dict[int, list[str]] = {}
    for provider in _EACH.get(slot, []):
        for pk, html in provider(request, ids).items():
            out.setdefault(pk, []).append(html)
    return {pk: mark_safe("".join(parts)) for pk, parts in out.items()}  # noqa: S308
