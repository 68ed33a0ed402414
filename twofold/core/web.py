"""Helpers that keep HTML views thin: access, errors, and page-or-partial rendering."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from twofold.accounts.models import Organisation, User
from twofold.core import selectors as core_selectors
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from twofold.core.fields import INT64_MAX
from twofold.core.models import Job

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def same_site_path(request: HttpRequest, target: str | None) -> str:
    """``target`` when it is a path on this site (``/…``, not ``//host`` nor ``/\\host``),
    else ``""``: the one rule for every ``next`` a page redirects to. A relative value passed
    Django's host check and ``redirect()`` then read it as a URL name (``next=abc`` answered
    500 after the change was saved)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = target or ""
    if not target.startswith("/"):
        return ""
    same_site = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if same_site else ""


def whole_number(raw: str | None) -> int | None:
    """A whole number from a query parameter or a form field, or None for anything else.

    None for blank, text, and numbers no database column holds (beyond 64 bits: SQLite
    overflows and PostgreSQL refuses them, a 500 either way). Only ASCII digits, with an
    optional sign, count: ``str.isdigit`` also accepts ``"²"``, which ``int()`` refuses.
    """
    text = (raw or "").strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or len(digits) > 19 or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(text)
    return value if -INT64_MAX - 1 <= value <= INT64_MAX else None


STALE_VERSION = -1
"""What :func:`posted_version` makes of a version no row can have: every versioned write
compares it with the row's version (from 1 up), so the edit is refused as stale (409)."""


def posted_version(raw: str | None) -> int | None:
    """The version a posted form was opened at, for a write's ``expected_version``.

    None when the form sent none (the write then checks no version, as a background job's
    does). Anything else that is not a whole number within 64 bits (text, 20 digits) is not a
    version the form was given: :data:`STALE_VERSION`, so a tampered or garbled form gets the
    conflict, never a silent overwrite.
    """
    if raw is None or not raw.strip():
        return None
    version = whole_number(raw)
    return STALE_VERSION if version is None else version


def organisation_required(view: View) -> View:
    """Signed in and a member of some organisation; otherwise the sign-in or welcome page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.membership:  # type: ignore[attr-defined]
            return render(request, "core/pages/no_organisation.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only ``partial`` when htmx asks for it (one view serves both)."""
    use_partial = partial is not None and bool(getattr(request, "htmx", False))
    use_partial = use_partial and not request.htmx.boosted  # type: ignore[attr-defined]
    chosen = partial if use_partial and partial else template
    return render(request, chosen, context, status=status)


def forbidden_page(request: HttpRequest, message: str, *, back: str = "") -> HttpResponse:
    """A refused action answers 403 with the reason on a full page (navigation intact), not a
    redirect with a flash: the browser, the tests and a screen reader all hear the refusal."""
    return render(request, "403.html", {"exception": message, "back": back}, status=403)


def apply_service_error(form: forms.Form, error: ServiceError) -> int:
    """Put a service's error on the form (on its field if it names one); return the HTTP status.

    ``NotFound`` becomes Http404 so that an object outside the user's reach never leaks.
    """
    if isinstance(error, NotFound):
        raise Http404(error.message)
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, Invalid):
        return 422
    return error.status  # 400 for a plain ServiceError, 507 for StorageFull


def not_found_as_404(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a service's NotFound into Http404 for HTML views."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return wrapper


def actor_of(request: HttpRequest) -> User:
    """The signed-in user (views behind login or API auth only)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404("Not found.")
    return user


def organisation_of(request: HttpRequest) -> Organisation:
    """The organisation the user is working in (views behind ``organisation_required``)."""
    membership = getattr(request, "membership", None)
    if not membership:
        raise Http404("Not found.")
    organisation: Organisation = membership.organisation
    return organisation


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"


def requested_job(
    request: HttpRequest, raw: str, *, subject: Any, kind: str | None = None
) -> Job | None:
    """The job ``raw`` (a page's ``?job=``) names among ``subject``'s jobs (of ``kind``): None
    when ``raw`` is blank, 404 when it names no job the viewer may see there (text, a number
    no id can be, another object's job)."""
    if not raw:
        return None
    job_id = whole_number(raw)
    if job_id is None or job_id < 1:
        raise Http404("Job not found.")
    try:
        return core_selectors.get_job(
            request.user, organisation_of(request), job_id, subject=subject, kind=kind
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc


def job_panel(
    request: HttpRequest, job: Job, *, title: str, poll_url: str, cancel_hint: str = ""
) -> dict[str, Any]:
    """Context for ``core/partials/job_progress.html`` (the page includes it as ``job_panel``)."""
    from twofold.core.jobs import WAIT_HINT_AFTER_S
    from twofold.core.policy import Action, can

    return {
        "title": title,
        "poll_url": poll_url,
        "percent": round(job.progress * 100),
        "elapsed": _duration(job.elapsed_seconds),
        "waiting": _duration(job.waiting_seconds),
        "no_worker": job.waiting_seconds > WAIT_HINT_AFTER_S,
        "can_cancel": not job.is_finished
        and (job.owner_id == request.user.pk or can(request.user, Action.MANAGE, job)),
        "cancel_hint": cancel_hint,
        "next": request.get_full_path(),
    }
