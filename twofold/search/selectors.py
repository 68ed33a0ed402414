"""Searching one organisation's index: ranked hits and counts per kind, in two queries.

The match and the ranking are the database's: FTS5 ``MATCH`` ranked by ``bm25`` (title weighted
10, body 1) on SQLite, ``@@`` on the GIN-indexed ``tsvector`` ranked by ``ts_rank_cd`` (title
weight A, body B) on PostgreSQL. The terms arrive already reduced to letters and digits
(``query.parse``) and are passed as parameters, never spliced into the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.safestring import SafeString

from twofold.accounts.models import ROLE_RANK, Organisation
from twofold.core.errors import NotFound
from twofold.core.policy import role_in
from twofold.search import query
from twofold.search.models import SINGULAR, Kind

MAX_LIMIT = 50

# CROSS JOIN fixes the order: the full-text match first, then its rows by id. Left to itself,
# SQLite may walk the organisation's rows through the organisation index and test each against
# the MATCH, which takes minutes on 80,000 documents.
_SQLITE_FROM = (
    "FROM search_document_fts CROSS JOIN search_document d "
    "ON d.id = search_document_fts.rowid "
    "WHERE search_document_fts MATCH %s AND d.organisation_id = %s AND d.min_rank <= %s"
)
# A few, central things (a project, a process, a person) come before the many (tasks,
# requests) when their text matches about as well: the text score is multiplied by this.
KIND_BOOST = {Kind.PROJECT: 1.5, Kind.PROCESS: 1.3, Kind.KPI: 1.3, Kind.PERSON: 1.3}
_BOOST = "CASE d.kind {} ELSE 1.0 END".format(
    " ".join(f"WHEN '{k.value}' THEN {w}" for k, w in KIND_BOOST.items())
)
# bm25 is negative, better is lower; ts_rank_cd positive, better is higher.
_SQLITE_RANK = f"bm25(search_document_fts, 10.0, 1.0) * {_BOOST}, d.id"
_POSTGRES_FROM = (
    "FROM search_document d, to_tsquery('simple', %s) q "
    "WHERE d.search_vector @@ q AND d.organisation_id = %s AND d.min_rank <= %s"
)
_POSTGRES_RANK = f"ts_rank_cd(d.search_vector, q) * {_BOOST} DESC, d.id"


@dataclass(frozen=True)
class Hit:
    """One result, its title and excerpt escaped with the matched words marked."""

    kind: Kind
    object_id: int
    text: str  # the title as plain text
    title: SafeString
    excerpt: SafeString
    context: str
    url: str

    @property
    def kind_label(self) -> str:
        return SINGULAR[self.kind]


@dataclass(frozen=True)
class Results:
    """The hits (best first), how many match in each kind, and what was searched."""

    q: str
    terms: query.Terms
    hits: list[Hit]
    counts: dict[Kind, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def groups(self) -> list[tuple[Kind, int, list[Hit]]]:
        """(kind, count, hits) for each kind with matches, in the kinds' order."""
        return [
            (kind, self.counts[kind], [h for h in self.hits if h.kind == kind])
            for kind in Kind
            if self.counts.get(kind)
        ]


def search(
    user: Any, organisation: Organisation, q: str, *, kind: Kind | None = None, limit: int = 20
) -> Results:
    """What ``user`` may see in ``organisation`` that matches ``q``; ``Invalid`` (field ``q``)
    for a query with nothing to search. Three queries at most (role, hits, counts)."""
    role = role_in(user, organisation.pk)
    if role is None:
        raise NotFound("Organisation not found.")
    terms = query.parse(q)
    limit = max(1, min(limit, MAX_LIMIT))
    if connection.vendor == "postgresql":
        match, where, rank = query.tsquery(terms), _POSTGRES_FROM, _POSTGRES_RANK
    else:
        match, where, rank = query.fts5_match(terms), _SQLITE_FROM, _SQLITE_RANK
    params: list[Any] = [match, organisation.pk, ROLE_RANK[role]]
    counts_sql = f"SELECT d.kind, COUNT(*) {where} GROUP BY d.kind"
    hits_sql = f"SELECT d.kind, d.object_id, d.title, d.body, d.context, d.url {where}"
    hit_params = list(params)
    if kind is not None:
        hits_sql += " AND d.kind = %s"
        hit_params.append(kind.value)
    hits_sql += f" ORDER BY {rank} LIMIT %s"
    hit_params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(hits_sql, hit_params)
        rows = cursor.fetchall()
        cursor.execute(counts_sql, params)
        counts = {Kind(k): int(n) for k, n in cursor.fetchall()}
    hits = [
        Hit(
            kind=Kind(k),
            object_id=int(pk),
            text=title,
            title=query.highlight(title, terms),
            excerpt=query.excerpt(body, terms),
            context=context,
            url=url,
        )
        for k, pk, title, body, context, url in rows
    ]
    return Results(q=q, terms=terms, hits=hits, counts=counts)
