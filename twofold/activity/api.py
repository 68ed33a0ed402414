"""Activity API: the feeds as JSON, and Atom feed URLs (create, list, revoke)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import AfterValidator

from twofold.accounts.selectors import get_organisation
from twofold.activity import selectors, services
from twofold.activity.models import ActivityFeed
from twofold.activity.scopes import by_slug, feed_kinds
from twofold.activity.views import feed_url
from twofold.core.api_schemas import READ, WRITE, ObjectId
from twofold.core.errors import Invalid, NotFound
from twofold.core.web import actor_of

router = Router(tags=["activity"])


class ActivityChangeOut(Schema):
    field: str
    before: str
    after: str


class ActivityEntryOut(Schema):
    id: str = Field(..., description="h<history id> for a change, c<comment id> for a comment.")
    at: dt.datetime
    actor_id: int | None
    actor: str
    kind: str = Field(..., description="The object's kind: task, project, request, …")
    object_id: int
    object: str
    url: str
    action: str = Field(..., description='What happened: "changed", "created", "commented", …')
    summary: str
    changes: list[ActivityChangeOut]
    comment_html: str | None


class ActivityPageOut(Schema):
    entries: list[ActivityEntryOut]
    next_before: dt.datetime | None = Field(
        ..., description="Pass as `before` for the next (older) page; null on the last."
    )


def _in_utc(value: dt.datetime | None) -> dt.datetime | None:
    """The instant in UTC; one outside years 1-9999 there is refused (it answered 500)."""
    if value is None:
        return None
    try:
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    except OverflowError:
        raise ValueError("the moment is outside the years 1 to 9999 in UTC") from None


class ActivityQuery(Schema):
    project_id: ObjectId | None = Field(None, description="One project's activity.", ge=1)
    process_id: ObjectId | None = Field(None, description="One process's activity.", ge=1)
    person_id: ObjectId | None = Field(None, description="Only what this person did.", ge=1)
    kind: str | None = Field(None, description='An object kind (task, request, …) or "comment".')
    before: Annotated[dt.datetime | None, AfterValidator(_in_utc)] = Field(
        None, description="Older than this (paging)."
    )
    limit: int = Field(25, ge=1, le=100)


class ActivityFeedOut(Schema):
    id: int
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ActivityFeedCreatedOut(ActivityFeedOut):
    url: str = Field(..., description="The Atom URL. Shown once: only a hash is kept.")


def _feed_out(feed: ActivityFeed) -> dict[str, object]:
    return {
        "id": feed.pk,
        "prefix": feed.prefix,
        "created_at": feed.created_at,
        "last_used_at": feed.last_used_at,
        "revoked_at": feed.revoked_at,
    }


@router.get(
    "/organisations/{org_id}/activity", response={200: ActivityPageOut, **READ, 422: WRITE[422]}
)
def activity(request: HttpRequest, org_id: int, query: Query[ActivityQuery]) -> dict[str, object]:
    """Changes and comments, newest first: the organisation's, or one project's or process's."""
    org = get_organisation(request.user, org_id)
    if query.project_id is not None and query.process_id is not None:
        raise Invalid("Choose a project or a process, not both.", field="process_id")
    if query.kind and query.kind != "comment" and by_slug(query.kind) is None:
        # An unknown kind answered 200 with no entries: a typo read as "nothing happened".
        known = ", ".join(k.slug for k in feed_kinds())
        raise Invalid(
            f"There is no kind {query.kind[:40]!r}: use one of {known}, or comment.", field="kind"
        )
    if query.project_id is not None:
        from twofold.projects.selectors import get_project

        get_project(request.user, org, query.project_id)
    if query.process_id is not None:
        from twofold.operations.models import Process

        if not Process.objects.filter(pk=query.process_id, organisation=org).exists():
            raise NotFound("Process not found.")
    scope = selectors.Scope(org, project_id=query.project_id, process_id=query.process_id)
    page = selectors.feed(
        scope,
        viewer=request.user,
        person=query.person_id,
        kind=query.kind,
        before=query.before,
        limit=query.limit,
    )
    return {
        "entries": [
            {
                "id": e.entry_id,
                "at": e.at,
                "actor_id": e.actor.pk if e.actor else None,
                "actor": e.actor.display_name if e.actor else "Someone",
                "kind": e.kind.slug,
                "object_id": e.target.pk,
                "object": str(e.target),
                "url": e.url,
                "action": e.verb,
                "summary": e.summary,
                "changes": [
                    {"field": c.label, "before": c.before, "after": c.after} for c in e.changes
                ],
                "comment_html": str(e.comment_html) if e.is_comment else None,
            }
            for e in page.entries
        ],
        "next_before": page.next_before,
    }


@router.get("/organisations/{org_id}/activity-feeds", response={200: list[ActivityFeedOut], **READ})
def list_activity_feeds(request: HttpRequest, org_id: int) -> list[dict[str, object]]:
    """Your Atom feed URLs in this organisation (without their secrets)."""
    org = get_organisation(request.user, org_id)
    return [_feed_out(f) for f in selectors.feeds_of(request.user, org)]


@router.post(
    "/organisations/{org_id}/activity-feeds", response={201: ActivityFeedCreatedOut, **WRITE}
)
def create_activity_feed(request: HttpRequest, org_id: int) -> Status[dict[str, object]]:
    """A new Atom URL of the organisation's activity, for a feed reader."""
    org = get_organisation(request.user, org_id)
    feed, secret = services.create_feed(actor=actor_of(request), organisation=org)
    return Status(201, {**_feed_out(feed), "url": feed_url(secret)})


@router.delete("/organisations/{org_id}/activity-feeds/{pk}", response={204: None, **WRITE})
def revoke_activity_feed(request: HttpRequest, org_id: int, pk: int) -> Status[None]:
    """Revoke a feed URL: it answers 404 from now on."""
    org = get_organisation(request.user, org_id)
    feed = selectors.get_feed(request.user, org, pk)
    services.revoke_feed(actor=actor_of(request), feed=feed)
    return Status(204, None)
