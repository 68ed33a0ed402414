"""Markdown in descriptions and comments: only web, e-mail and relative links survive."""

from __future__ import annotations

import pytest

from twofold.projects.markup import render_markdown


@pytest.mark.parametrize(
    "href", ["ftp://files.example/x", "tel:+4712345678", "ssh://host", "javascript:alert(1)"]
)
def test_links_to_other_programs_lose_their_target(href: str) -> None:
    assert render_markdown(f"[open]({href})") == (
        '<p><a rel="noopener noreferrer nofollow">open</a></p>'
    )


@pytest.mark.parametrize(
    "href", ["https://example.com/a", "http://example.com", "mailto:qa@example.com", "/projects/1/"]
)
def test_web_mail_and_relative_links_are_kept(href: str) -> None:
    assert render_markdown(f"[open]({href})") == (
        f'<p><a href="{href}" rel="noopener noreferrer nofollow">open</a></p>'
    )
