"""Request-wide helpers: the current organisation, and security headers."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject

from twofold.accounts.models import Membership

SESSION_ORG_KEY = "twofold_organisation_id"


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership the user is working in: the one chosen in the session, else the first."""
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user_id=user.pk).select_related("organisation")
    chosen = request.session.get(SESSION_ORG_KEY)
    membership = None
    if chosen:
        membership = memberships.filter(organisation_id=chosen).first()
    return membership or memberships.order_by("organisation__name").first()


class CurrentOrganisationMiddleware:
    """Sets ``request.membership`` and ``request.organisation`` (lazily: no query unless used)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = SimpleLazyObject(lambda: current_membership(request))
        request.membership = membership  # type: ignore[attr-defined]
        request.organisation = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: membership.organisation if membership else None
        )
        return self.get_response(request)


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


class ServerTimingMiddleware:
    """Adds ``Server-Timing: total;dur=<ms>`` so benchmarks and browsers see server time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"total;dur={elapsed_ms:.1f}"
        return response


class RequestSizeLimitMiddleware:
    """Refuse bodies over ``TWOFOLD_MAX_REQUEST_BYTES`` with 413 before anything reads them.

    Django caps form fields (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but streams file uploads of any
    size to disk; this puts one limit on every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        limit = settings.TWOFOLD_MAX_REQUEST_BYTES
        if length > limit:
            message = f"The request is too large: the limit is {limit // (1024 * 1024)} MB."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "field": None}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain")
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: no inline script, so injected markup cannot run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
