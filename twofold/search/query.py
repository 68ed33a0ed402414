"""Turning what a person typed into search terms, and marking those terms in text.

Only runs of letters and digits become terms, so nothing typed ever reaches the database's
query syntax as syntax: quotes, ``*``, ``-``, ``:``, ``NEAR``, ``AND``/``OR`` are plain words
or separators here, and each term is quoted by the code that builds the database query.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from twofold.core.errors import Invalid

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
_WORD = re.compile(r"[^\W_]+")
# Markdown's emphasis, code, heading and list marks read as noise in a one-line excerpt.
_MARKDOWN = re.compile(r"\*\*|__|`|^\s*(?:#{1,6}|[-*+]|\d+\.)\s+", re.MULTILINE)


@dataclass(frozen=True)
class Terms:
    """The words to find; the last one also as a prefix (the person may still be typing it)."""

    words: tuple[str, ...]

    @property
    def exact(self) -> tuple[str, ...]:
        return self.words[:-1]

    @property
    def prefix(self) -> str:
        return self.words[-1]

    @cached_property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold(w) for w in self.words)


def fold(text: str) -> str:
    """Lower case without accents, as both databases' tokenisers compare words."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse(q: str) -> Terms:
    """The terms of ``q``; ``Invalid`` naming ``q`` if there is nothing to search or too much."""
    if len(q) > MAX_QUERY_CHARS:
        raise Invalid(
            f"Search for at most {MAX_QUERY_CHARS} characters (this was {len(q):,}).", field="q"
        )
    if not q.strip():
        raise Invalid("Type a word to search for.", field="q")
    # Lower case only: SQLite's tokeniser folds accents itself, PostgreSQL's 'simple' keeps them.
    words = [w.lower() for w in _WORD.findall(unicodedata.normalize("NFC", q))]
    if not words:
        raise Invalid(
            "Search for at least one letter or digit; punctuation alone finds nothing.", field="q"
        )
    unique = list(dict.fromkeys(words))[:MAX_TERMS]
    return Terms(tuple(unique))


def fts5_match(terms: Terms) -> str:
    """An SQLite FTS5 MATCH expression: every term quoted, the last also as a prefix."""
    quoted = [f'"{w}"' for w in terms.exact] + [f'"{terms.prefix}"*']
    return " ".join(quoted)


def tsquery(terms: Terms) -> str:
    """A PostgreSQL ``to_tsquery`` string: quoted lexemes joined by &, the last with ``:*``."""
    quoted = [f"'{w}'" for w in terms.exact] + [f"'{terms.prefix}':*"]
    return " & ".join(quoted)


def _matches(word: str, terms: Terms) -> bool:
    folded, wanted = fold(word), terms.folded
    return folded in wanted or folded.startswith(wanted[-1])


def highlight(text: str, terms: Terms) -> SafeString:
    """``text`` escaped, with each word that matched wrapped in ``<mark>``."""
    out: list[str] = []
    last = 0
    for m in _WORD.finditer(text):
        if _matches(m.group(), terms):
            out.append(escape(text[last : m.start()]))
            out.append(f"<mark>{escape(m.group())}</mark>")
            last = m.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of user text above is escaped


def excerpt(text: str, terms: Terms, width: int = 160) -> SafeString:
    """About ``width`` characters of ``text`` around its first match, highlighted ("" if none)."""
    first = next((m for m in _WORD.finditer(text) if _matches(m.group(), terms)), None)
    if first is None:
        return mark_safe("")
    start = max(0, first.start() - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first.start() else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", first.end(), end)
        end = space if space > 0 else end
    piece = " ".join(_MARKDOWN.sub("", text[start:end]).split())
    body = highlight(piece, terms)
    return mark_safe(("… " if start else "") + body + (" …" if end < len(text) else ""))  # noqa: S308
