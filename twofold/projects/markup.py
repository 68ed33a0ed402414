"""Markdown for descriptions: rendered with ``markdown`` then cleaned by ``nh3`` (allow-list)."""

from __future__ import annotations

import functools

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

# Links may point to the web, to e-mail, or within Twofold (relative); never ftp:, tel:, ssh:,
# javascript: or any other scheme a browser hands to another program.
URL_SCHEMES = {"http", "https", "mailto"}
TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a", "h3", "h4"}


def render_markdown(text: str, classes: dict[str, set[str]] | None = None) -> SafeString:
    """``text`` as sanitised HTML; ``classes`` allows these class names on these tags (mentions).

    The result is a pure function of the text and the classes, so the last few hundred are kept
    per process (a task page rendered its description afresh on every view: ~0.2 ms); texts
    longer than ``CACHED_UP_TO`` characters are rendered each time."""
    key = (
        None
        if classes is None
        else tuple(sorted((tag, tuple(sorted(names))) for tag, names in classes.items()))
    )
    text = text or ""
    html = _render(text, key) if len(text) > CACHED_UP_TO else _cached(text, key)
    return mark_safe(html)  # noqa: S308 - cleaned by nh3 in _render


CACHED_UP_TO = 20_000

_Classes = tuple[tuple[str, tuple[str, ...]], ...] | None


def _render(text: str, classes: _Classes) -> str:
    html = md.markdown(text, extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes={"a": {"href", "title"}},
        allowed_classes=None if classes is None else {tag: set(names) for tag, names in classes},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


_cached = functools.lru_cache(maxsize=512)(_render)
