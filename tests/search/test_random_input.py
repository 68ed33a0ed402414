"""Whatever is typed, the search answers results or a 422 naming ``q``, never an error."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twofold.core.errors import Invalid
from twofold.search.query import highlight, parse
from twofold.search.selectors import search

SYNTAX = st.sampled_from(
    [
        '"',
        "*",
        "-",
        ":",
        "^",
        "(",
        ")",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "&",
        "|",
        "!",
        "'",
        "\\",
        "\x00",
        "é",
        "ß",
        "İ",
        "٣",
        "_",
        "\u0301",
    ]
)
TYPED = st.lists(st.one_of(st.text(max_size=8), SYNTAX), max_size=30).map(" ".join)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=TYPED)
def test_random_text_never_breaks_the_search(org: Any, owner: Any, world: Any, q: str) -> None:
    try:
        results = search(owner, org, q)
    except Invalid as exc:
        refused = exc.field
    else:
        assert results.total >= len(results.hits)
        return
    assert refused == "q"


@given(text=st.text(max_size=60), q=st.text(min_size=1, max_size=20))
def test_highlighting_escapes_everything(text: str, q: str) -> None:
    try:
        terms = parse(q)
    except Invalid:
        return
    html = str(highlight(text, terms))
    assert "<" not in html.replace("<mark>", "").replace("</mark>", "")
    assert html.count("<mark>") == html.count("</mark>")
