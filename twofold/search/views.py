"""The search page (``/search/?q=``) and the header's dropdown of top results as you type."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from twofold.core.errors import Invalid
from twofold.core.web import organisation_of, organisation_required
from twofold.search import selectors
from twofold.search.models import Kind
from twofold.search.query import MAX_QUERY_CHARS

PAGE_LIMIT = 50
SUGGEST_LIMIT = 8


def _kind(raw: str | None) -> Kind | None:
    return Kind(raw) if raw in Kind.values else None


@require_GET
@organisation_required
def search_page(request: HttpRequest) -> HttpResponse:
    """Results of the current organisation grouped by kind, with a count for each kind."""
    q = request.GET.get("q", "")
    kind = _kind(request.GET.get("kind"))
    context: dict[str, object] = {
        "q": q,
        "kind": kind,
        "kinds": Kind,
        "max_chars": MAX_QUERY_CHARS,
        "section": "search",
    }
    status = 200
    if q.strip():
        try:
            org = organisation_of(request)
            results = selectors.search(request.user, org, q, kind=kind, limit=PAGE_LIMIT)
            context["results"] = results
            context["groups"] = [g for g in results.groups() if kind in (None, g[0])]
        except Invalid as exc:
            context["error"] = exc.message
            status = 422
    return render(request, "search/pages/search.html", context, status=status)


@require_GET
@organisation_required
def suggest(request: HttpRequest) -> HttpResponse:
    """The dropdown under the header box (htmx): the best few results, or why there are none."""
    q = request.GET.get("q", "")
    context: dict[str, object] = {"q": q}
    if q.strip():
        try:
            context["results"] = selectors.search(
                request.user, organisation_of(request), q, limit=SUGGEST_LIMIT
            )
        except Invalid as exc:
            context["error"] = exc.message
    # 200 even for a query that finds nothing to search: htmx swaps only successful answers.
    return render(request, "search/partials/suggest.html", context)
