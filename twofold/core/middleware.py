"""Request-wide helpers: the current organisation, and security headers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from twofold.accounts import directory
from twofold.accounts.models import Membership
from twofold.core import dates
from twofold.core.errors import clash_conflict
from twofold.core.fields import INT64_MAX
from twofold.core.policy import memberships_of

SESSION_ORG_KEY = "twofold_organisation_id"


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership the user is working in: the one chosen in the session, else the first."""
    user = request.user
    if not user.is_authenticated:
        return None
    # One query for all of the user's memberships (also seeds the policy's role cache).
    memberships = memberships_of(user)
    chosen = request.session.get(SESSION_ORG_KEY)
    if chosen:
        for membership in memberships:
            if membership.organisation_id == chosen:
                return membership
    return memberships[0] if memberships else None


class CurrentOrganisationMiddleware:
    """Sets ``request.membership`` and ``request.organisation`` (lazily: no query unless used)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # A request that may write reads its people again when it shows them.
            for kept in memberships_of(request.user):
                directory.forget(kept.organisation)
        membership = SimpleLazyObject(lambda: current_membership(request))
        request.membership = membership  # type: ignore[attr-defined]
        request.organisation = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: membership.organisation if membership else None
        )
        return self.get_response(request)


class ViewerTimeMiddleware:
    """Times in the viewer's zone (theirs, else their organisation's) and the org's date format.

    After ``CurrentOrganisationMiddleware``. Every ``{{ value|date }}`` and ``|daytime`` of an
    aware datetime then shows local time; the API keeps ISO 8601 with offsets.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        zone = None
        date_format = dates.DEFAULT_FORMAT
        if user.is_authenticated:
            membership = getattr(request, "membership", None)
            org = membership.organisation if membership else None
            zone = dates.zone_or_none(getattr(user, "timezone", ""))
            if org is not None:
                zone = zone or dates.zone_or_none(org.timezone)
                date_format = org.date_format
        if zone is not None:
            timezone.activate(zone)
        dates.activate_format(date_format)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            dates.activate_format(dates.DEFAULT_FORMAT)


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


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad_values(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, problem) for every value no database column can take: a NUL character
    (PostgreSQL refuses it in text), a lone surrogate (JSON's ``"\\ud800"``: no UTF-8 holds
    it, so SQLite and PostgreSQL failed on the insert) or an integer beyond 64 bits (SQLite
    and PostgreSQL refuse it)."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path, "Text may not contain the NUL character."
        elif not _is_utf8(value):
            yield (
                path,
                "Text may not contain a lone surrogate (\\ud800-\\udfff): it is not Unicode.",
            )
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            yield path, "The number is out of range (at most 64 bits)."
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _bad_values(str(key), path)
            yield from _bad_values(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_values(item, f"{path}.{index}" if path else str(index))


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
"""Form bodies whose fields are checked: a form sent as multipart (a page with a file input,
the API's uploads) reached the views' raw ``request.POST.getlist`` with a NUL in it."""


class InputGuardMiddleware:
    """Answer a clear 4xx for input that would otherwise reach the database and fail there.

    * A number beyond 64 bits in the path: no id can be that large, so 404.
    * A NUL character in a query parameter or form field (url-encoded or multipart), anywhere
      (Django's form fields refuse it, but views reading ``request.GET`` or ``request.POST``
      directly would hand it to PostgreSQL).
    * For JSON bodies on the API: NUL or a lone surrogate (``"\\ud800"``) in any string or
      key, integers beyond 64 bits (ids like ``member_ids: [1e20]`` overflowed SQLite), and
      bodies over Django's in-memory limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``), answered as JSON
      413 instead of an HTML 400. (Query strings and form bodies are decoded by Django with
      undecodable bytes replaced, so no surrogate comes from them.)
    The error names the field, as every API error does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path.startswith("/api/")
        # A number in the path beyond 64 bits cannot be any object's id (SQLite would overflow).
        for segment in request.path.split("/"):
            if (
                len(segment) > 18
                and segment.isascii()
                and segment.isdigit()
                and int(segment) > INT64_MAX
            ):
                if is_api:
                    return JsonResponse({"detail": "Not found.", "field": None}, status=404)
                raise Http404("Not found.")
        problems = [
            (name, problem)
            for name, values in request.GET.lists()
            for value in values
            for _, problem in _bad_values(value)
        ]
        if not problems and is_api and "json" in (request.content_type or ""):
            try:
                body = request.body
            except RequestDataTooBig:
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
                message = f"The JSON body is too large: the limit is {limit / 1_048_576:g} MB."
                return JsonResponse({"detail": message, "field": None}, status=413)
            try:
                data = json.loads(body) if body else None
            except ValueError:
                data = None  # the API answers malformed JSON itself
            problems = list(_bad_values(data))
        elif not problems and request.method == "POST" and request.content_type in _FORM_TYPES:
            try:
                problems = [
                    (name, problem)
                    for name, values in request.POST.lists()
                    for value in values
                    for _, problem in _bad_values(value)
                ]
            except RequestDataTooBig:
                return self.get_response(request)  # Django answers it as it always has
            except MultiPartParserError:
                # Django keeps an empty form after a failed parse: the view would act on no
                # data (a follow with no field followed). A malformed body is a 400 here.
                message = "The form data could not be read (malformed multipart body)."
                if is_api:
                    return JsonResponse({"detail": message, "field": None}, status=400)
                return HttpResponse(message, status=400, content_type="text/plain")
        if not problems:
            return self.get_response(request)
        field, problem = problems[0]
        if is_api:
            return JsonResponse(
                {"detail": f"{field}: {problem}" if field else problem, "field": field or None},
                status=422,
            )
        return HttpResponse(f"{field}: {problem}", status=400, content_type="text/plain")


class IntegrityConflictMiddleware:
    """A page write that lost a race to a concurrent one (two creates with the same code: each
    checked, both wrote) answers 409 with a plain explanation, not a 500. The service's
    transaction was rolled back, so nothing was half-saved. The API does the same in JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, IntegrityError) or request.path.startswith("/api/"):
            return None
        conflict = clash_conflict(exception)
        back = request.path if request.method == "GET" else request.get_full_path()
        return render(
            request,
            "core/pages/conflict.html",
            {"message": conflict.message, "back": back},
            status=409,
        )


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: no inline script, so injected markup cannot run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
