"""``GET /api/organisations/{org_id}/search``: the same search as the header box and page."""

from __future__ import annotations

from typing import Literal, cast

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.params.functions import Query

from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, ValidationErrorOut
from twofold.search import selectors
from twofold.search.models import Kind

router = Router(tags=["search"])

KindName = Literal[
    "project", "task", "request", "risk", "improvement", "process", "kpi", "person", "lesson"
]


class HitOut(Schema):
    kind: KindName
    id: int = Field(..., description="The object's id (a person's membership id).")
    title: str = Field(..., description="Plain text.")
    title_html: str = Field(..., description="HTML-escaped, matched words in <mark>.")
    excerpt_html: str = Field(..., description="Part of the body around the first match, likewise.")
    context: str = Field(..., description="Where it lives: the project, queue or process.")
    url: str


class SearchOut(Schema):
    q: str
    total: int = Field(..., description="Matches in all kinds you may see.")
    counts: dict[KindName, int] = Field(
        ..., description="Matches per kind (kinds with none left out)."
    )
    results: list[HitOut] = Field(..., description="Best first (at most ``limit``).")


Words = Query("", description="Words to find (at most 200 characters); the last may be a prefix.")
OnlyKind = Query(None, description="Only this kind.")
Limit = Query(20, ge=1, le=selectors.MAX_LIMIT, description="Results, 1 to 50.")


@router.get(
    "/organisations/{org_id}/search",
    response={200: SearchOut, 422: ValidationErrorOut, **READ},
    summary="Search projects, tasks, requests, risks, improvement items, processes, KPIs, people",
)
def search(
    request: HttpRequest,
    org_id: int,
    q: str = Words,
    kind: KindName | None = OnlyKind,
    limit: int = Limit,
) -> SearchOut:
    organisation = get_organisation(request.user, org_id)
    results = selectors.search(
        request.user, organisation, q, kind=Kind(kind) if kind else None, limit=limit
    )
    return SearchOut(
        q=q,
        total=results.total,
        counts={cast(KindName, k.value): n for k, n in results.counts.items()},
        results=[
            HitOut(
                kind=cast(KindName, h.kind.value),
                id=h.object_id,
                title=h.text,
                title_html=str(h.title),
                excerpt_html=str(h.excerpt),
                context=h.context,
                url=h.url,
            )
            for h in results.hits
        ],
    )
