"""Calendar feed pages: a person's feeds (create, revoke) and the feed URL itself."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone as tz
from django.views.decorators.http import require_GET, require_POST

from twofold.core.errors import ServiceError
from twofold.core.web import (
    actor_of,
    apply_service_error,
    organisation_of,
    organisation_required,
    render_page,
)
from twofold.interchange import selectors, services
from twofold.interchange.api import feed_url
from twofold.interchange.forms import FeedForm
from twofold.interchange.ical import render_feed
from twofold.interchange.models import CalendarFeed
from twofold.projects.selectors import projects_of

TOUCH_EVERY = dt.timedelta(hours=1)


@organisation_required
def feeds(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    projects = projects_of(org).filter(archived_at__isnull=True).order_by("name")
    form = FeedForm(request.POST or None, projects=projects)
    new_url = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _feed, secret = services.create_feed(
                    actor=actor_of(request),
                    organisation=org,
                    kind=form.cleaned_data["kind"],
                    project=form.cleaned_data["project"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                new_url = feed_url(secret)
                form = FeedForm(projects=projects)
        else:
            status = 400
    return render_page(
        request,
        "interchange/pages/feeds.html",
        {
            "feeds": list(selectors.feeds_of(request.user, org)),
            "form": form,
            "new_url": new_url,
            "section": "settings",
        },
        status=status,
    )


@require_POST
@organisation_required
def feed_revoke(request: HttpRequest, feed_id: int) -> HttpResponse:
    try:
        feed = selectors.get_feed(request.user, organisation_of(request), feed_id)
        services.revoke_feed(actor=actor_of(request), feed=feed)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    messages.success(request, f"The feed “{feed.label}” was revoked: its URL no longer answers.")
    return redirect("interchange:feeds")


@require_GET
def feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The iCalendar body behind a subscription URL (no sign-in: the secret is the key)."""
    try:
        found = selectors.feed_by_secret(secret)
    except ServiceError as exc:
        raise Http404("Feed not found.") from exc
    now = tz.now()
    if found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY:
        CalendarFeed.objects.filter(pk=found.pk).update(last_used_at=now)
    response = HttpResponse(render_feed(found), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="twofold.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
