"""Activity pages (organisation, project, process), the Atom feed, and the live-page check."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone as tz
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from twofold.activity import live, selectors, services
from twofold.activity.scopes import feed_kinds
from twofold.core.errors import NotFound, ServiceError
from twofold.core.web import actor_of, organisation_of, organisation_required, whole_number


def _before(raw: str | None) -> dt.datetime | None:
    if not raw or len(raw) > 40:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        return None
    if value is not None and tz.is_naive(value):
        value = tz.make_aware(value, dt.UTC)
    try:
        return value.astimezone(dt.UTC) if value is not None else None
    except OverflowError:  # year 1 east of UTC, year 9999 west of it: no such instant
        return None


def _page(request: HttpRequest, scope: selectors.Scope, context: dict[str, Any]) -> HttpResponse:
    person = whole_number(request.GET.get("person"))
    kind = request.GET.get("kind") or None
    kinds = feed_kinds()
    if kind not in {k.slug for k in kinds} | {"comment", None}:
        kind = None
    page = selectors.feed(
        scope,
        viewer=request.user,
        person=person,
        kind=kind,
        before=_before(request.GET.get("before")),
    )
    query = request.GET.copy()
    query.pop("before", None)
    context.update(
        page=page,
        people=selectors.people_of(scope.organisation),
        kinds=kinds,
        person=person,
        kind=kind or "",
        filters=query.urlencode(),
        next_before=page.next_before.isoformat() if page.next_before else "",
    )
    return render(request, "activity/pages/activity.html", context)


def _history_exports(query: str) -> dict[str, str]:
    """The history downloads (interchange's exports) for the page's scope."""
    return {
        f"history_{fmt}": reverse("interchange:export", args=["history", fmt]) + query
        for fmt in ("xlsx", "csv")
    }


@require_GET
@organisation_required
def organisation_activity(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    return _page(
        request,
        selectors.Scope(org),
        {"title": "Activity", "subtitle": org.name, "section": "reports", **_history_exports("")},
    )


@require_GET
@organisation_required
def project_activity(request: HttpRequest, project_id: int) -> HttpResponse:
    from twofold.projects.selectors import get_project

    org = organisation_of(request)
    try:
        project = get_project(request.user, org, project_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return _page(
        request,
        selectors.Scope(org, project_id=project.pk),
        {
            "title": f"Activity · {project.name}",
            "subtitle": project.name,
            "back": reverse("projects:detail", args=[project.pk]),
            "section": "projects",
            **_history_exports(f"?project={project.pk}"),
        },
    )


@require_GET
@organisation_required
def process_activity(request: HttpRequest, process_id: int) -> HttpResponse:
    from twofold.operations.models import Process

    org = organisation_of(request)
    process = Process.objects.filter(pk=process_id, organisation=org).first()
    if process is None:
        raise Http404("Process not found.")
    return _page(
        request,
        selectors.Scope(org, process_id=process.pk),
        {
            "title": f"Activity · {process.name}",
            "subtitle": process.name,
            "back": reverse("operations:process", args=[process.pk]),
            "section": "operations",
        },
    )


def feed_url(secret: str) -> str:
    return settings.TWOFOLD_BASE_URL + reverse("activity:atom", args=[secret])


@organisation_required
def feeds(request: HttpRequest) -> HttpResponse:
    """Your Atom feed URLs: create one (shown once), revoke one."""
    org = organisation_of(request)
    new_url = ""
    status = 200
    if request.method == "POST":
        try:
            _feed, secret = services.create_feed(actor=actor_of(request), organisation=org)
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            new_url = feed_url(secret)
    context = {
        "feeds": list(selectors.feeds_of(request.user, org)),
        "new_url": new_url,
        "section": "reports",
    }
    return render(request, "activity/pages/feeds.html", context, status=status)


@require_POST
@organisation_required
def feed_revoke(request: HttpRequest, activity_feed_id: int) -> HttpResponse:
    try:
        feed = selectors.get_feed(request.user, organisation_of(request), activity_feed_id)
        services.revoke_feed(actor=actor_of(request), feed=feed)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, "Feed revoked: its URL no longer answers.")
    return redirect("activity:feeds")


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 does not allow, even as references: C0 controls but tab, LF and CR;
surrogates; U+FFFE and U+FFFF."""


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids: one of them anywhere (a control
    character in a comment or a task's name) made the whole feed ill-formed, and a feed reader
    then shows nothing."""
    return _NOT_XML.sub("", text)


@require_GET
def atom(request: HttpRequest, activity_secret: str) -> HttpResponse:
    """The Atom body behind a feed URL (no sign-in: the secret is the key)."""
    try:
        found = selectors.feed_by_secret(activity_secret)
    except NotFound as exc:
        raise Http404("Feed not found.") from exc
    services.touch(found)
    page = selectors.feed(selectors.Scope(found.organisation), viewer=found.owner, limit=50)
    text = render_to_string(
        "activity/atom.xml",
        {
            "feed": found,
            "entries": page.entries,
            "base": settings.TWOFOLD_BASE_URL,
            "self_url": feed_url(activity_secret),
            "updated": page.entries[0].at if page.entries else found.created_at,
        },
        request,
    )
    body = HttpResponse(xml_text(text), content_type="application/atom+xml; charset=utf-8")
    body["Cache-Control"] = "private, max-age=60"
    return body


@require_GET
def live_check(request: HttpRequest, key: str) -> HttpResponse:
    """Has the subject changed? 304 while the counter equals ``If-None-Match``, else 200 with the
    counter. One query beyond the session; 404 for anything outside the viewer's organisation."""
    membership = getattr(request, "membership", None) if request.user.is_authenticated else None
    prefix = key.split("-", 1)[0]
    if not membership or prefix not in live.PREFIXES or len(key) > 40:
        return JsonResponse({"detail": "Not found.", "field": None}, status=404)
    version = live.current(membership.organisation_id, key)
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
