"""The live-page change check on its fast path, before sessions, auth and the rest.

``GET /live/<key>/?t=<ticket>``: the ticket (signed by the server when it rendered a page the
viewer may see, ``live.ticket``) stands in for the session, and the counter comes from a
per-process cache of a quarter second, so the check is one dict lookup most of the time and
one indexed read otherwise. Without a valid ticket the request goes on to the ordinary view,
which checks the session and membership (``views.live_check``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from twofold.activity import live

PREFIX = "/live/"


class LiveCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        value = request.GET.get("t") if path.startswith(PREFIX) else None
        if not value or request.method != "GET":
            return self.get_response(request)
        key = path[len(PREFIX) :].rstrip("/")
        organisation_id = live.ticket_allows(value, key)
        if organisation_id is None:
            return self.get_response(request)
        version = live.cached_current(organisation_id, key)
        if version is None:
            return JsonResponse({"detail": "Not found.", "field": None}, status=404)
        etag = f'"{version}"'
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponse(status=304)
        else:
            response = JsonResponse({"key": key, "version": version})
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response
