"""Markdown for descriptions: rendered with ``markdown`` then cleaned by ``nh3`` (allow-list)."""

from __future__ import annotations

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

# Links may point to the web, to e-mail, or within Twofold (relative); never ftp:, tel:, ssh:,
# javascript: or any other scheme a browser hands to another program.
URL_SCHEMES = {"http", "https", "mailto"}
TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a", "h3", "h4"}


def render_markdown(text: str, classes: dict[str, set[str]] | None = None) -> SafeString:
    """``text`` as sanitised HTML; ``classes`` allows these class names on these tags (mentions)."""
    html = md.markdown(text or "", extensions=["sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes={"a": {"href", "title"}},
        allowed_classes=classes,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - cleaned by nh3 above
