"""Comments API, the same services as the page: /api/organisations/{org}/comments/…"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.selectors import get_organisation
from twofold.comments import selectors, services
from twofold.comments.models import Comment
from twofold.core.api_lists import SYNCED, Sync, synced_page
from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.policy import Action, can
from twofold.core.web import actor_of

router = Router(tags=["comments"])


class CommentMentionOut(Schema):
    id: int
    name: str


class CommentOut(Schema):
    id: int
    target_kind: str = Field(..., description="project, task, request, risk, kpi, process, …")
    target_id: int
    author_id: int | None
    author: str
    body: str = Field(..., description="The Markdown text as written; empty once deleted.")
    html: str = Field(..., description="The text rendered and sanitised, mentions as links.")
    mentions: list[CommentMentionOut]
    created_at: dt.datetime
    edited_at: dt.datetime | None
    deleted: bool
    editable_until: dt.datetime | None = Field(
        ..., description="Until when you may still edit it (null: you may not)."
    )
    version: int


class CommentIn(BodyIn):
    body: StrictStr = Field(..., description="Markdown, at most 10,000 characters.")


class CommentEditIn(BodyIn):
    body: StrictStr = Field(..., description="Markdown, at most 10,000 characters.")
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")


class CommentDeleteQuery(Schema):
    # A query string's values are text: a strict integer refused every ``?version=`` (422).
    version: int | None = Field(None, description="The version you read (optional).")


def _out(user: object, c: Comment, contributes: bool) -> dict[str, object]:
    # As the page: the author within the window, while they may still contribute to the target
    # (a demoted author was shown a time to edit until, then refused).
    editable = contributes and services.may_edit(user, c)
    deleted = c.is_deleted
    return {
        "id": c.pk,
        "target_kind": c.target_kind,
        "target_id": c.target_id,
        "author_id": c.author_id,
        "author": c.author.display_name if c.author else "Someone",
        "body": "" if deleted else c.body,
        "html": str(selectors.render(c)),
        "mentions": []
        if deleted
        else [{"id": m.user_id, "name": m.user.display_name} for m in c.mentions.all()],
        "created_at": c.created_at,
        "edited_at": c.edited_at,
        "deleted": deleted,
        "editable_until": c.created_at + services.edit_window() if editable else None,
        "version": c.version,
    }


def _fresh(pk: int) -> Comment:
    return selectors.comments_of_ids([pk])[0]


@router.get(
    "/organisations/{org_id}/comments/{kind}/{target_id}",
    response={200: list[CommentOut], **SYNCED},
)
def list_comments(
    request: HttpRequest,
    org_id: int,
    kind: str,
    target_id: int,
    sync: Sync,
    reply: HttpResponse,
) -> list[dict[str, object]]:
    """The comments on one object, oldest first (deleted ones stay, without their text)."""
    org = get_organisation(request.user, org_id)
    target = selectors.get_target(request.user, org, kind, target_id)
    comments = selectors.comments_of(target).order_by("created_at", "pk")
    # A comment's history is written on its target: its own stamps say when it changed.
    page = synced_page(request, comments, sync, stamps=("created_at", "edited_at", "deleted_at"))
    page.stamp(reply)
    contributes = can(request.user, Action.CONTRIBUTE, target)
    return [_out(request.user, c, contributes) for c in page.rows]


@router.post(
    "/organisations/{org_id}/comments/{kind}/{target_id}", response={201: CommentOut, **WRITE}
)
def add_comment(
    request: HttpRequest, org_id: int, kind: str, target_id: int, payload: CommentIn
) -> Status[dict[str, object]]:
    """Comment on an object (members and above). ``@Full Name`` or ``@email`` of a member
    mentions them; anyone else's name stays plain text."""
    org = get_organisation(request.user, org_id)
    target = selectors.get_target(request.user, org, kind, target_id)
    comment = services.add_comment(actor=actor_of(request), target=target, body=payload.body)
    contributes = can(request.user, Action.CONTRIBUTE, target)
    return Status(201, _out(request.user, _fresh(comment.pk), contributes))


@router.get("/organisations/{org_id}/comments/{pk}", response={200: CommentOut, **READ})
def get_comment(request: HttpRequest, org_id: int, pk: int) -> dict[str, object]:
    org = get_organisation(request.user, org_id)
    comment, target = selectors.get_comment(request.user, org, pk)
    contributes = can(request.user, Action.CONTRIBUTE, target)
    return _out(request.user, _fresh(comment.pk), contributes)


@router.patch("/organisations/{org_id}/comments/{pk}", response={200: CommentOut, **WRITE})
def edit_comment(
    request: HttpRequest, org_id: int, pk: int, payload: CommentEditIn
) -> dict[str, object]:
    """Change your comment's text within the edit window (15 minutes by default)."""
    org = get_organisation(request.user, org_id)
    comment, target = selectors.get_comment(request.user, org, pk)
    services.edit_comment(
        actor=actor_of(request),
        comment=comment,
        target=target,
        body=payload.body,
        expected_version=payload.version,
    )
    return _out(request.user, _fresh(comment.pk), can(request.user, Action.CONTRIBUTE, target))


@router.delete("/organisations/{org_id}/comments/{pk}", response={204: None, **WRITE})
def delete_comment(
    request: HttpRequest, org_id: int, pk: int, query: Query[CommentDeleteQuery]
) -> Status[None]:
    """Delete a comment (its author, or an admin): it stays in the thread as "deleted"."""
    org = get_organisation(request.user, org_id)
    comment, target = selectors.get_comment(request.user, org, pk)
    services.delete_comment(
        actor=actor_of(request), comment=comment, target=target, expected_version=query.version
    )
    return Status(204, None)
