"""Reading comments: the object a comment is on, a thread with its rendered text and what the
viewer may do with each comment (constant queries per thread)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Prefetch
from django.utils import timezone as tz
from django.utils.safestring import SafeString

from twofold.accounts.models import Organisation
from twofold.comments import kinds
from twofold.comments.mentions import render_body
from twofold.comments.models import Comment, Mention
from twofold.comments.services import may_delete, may_edit
from twofold.core.errors import NotFound
from twofold.core.fastread import FastRead, Read
from twofold.core.policy import Action, can, require


def get_target(user: Any, organisation: Organisation, kind: str, target_id: int) -> models.Model:
    """The object ``kind``/``target_id`` in ``organisation`` if ``user`` may see it, else 404."""
    found = kinds.get(kind)
    if found is None or target_id <= 0 or target_id > 2**63 - 1:
        raise NotFound("Not found.")
    obj = found.model._default_manager.filter(pk=target_id, organisation_id=organisation.pk).first()
    if obj is None:
        raise NotFound("Not found.")
    require(user, Action.VIEW, obj)
    return obj


def get_comment(user: Any, organisation: Organisation, pk: int) -> tuple[Comment, models.Model]:
    """A comment and the object it is on; 404 when either is out of the user's sight."""
    if pk <= 0 or pk > 2**63 - 1:
        raise NotFound("Not found.")
    comment = (
        Comment.objects.filter(pk=pk, organisation_id=organisation.pk)
        .select_related("author")
        .first()
    )
    if comment is None:
        raise NotFound("Not found.")
    return comment, get_target(user, organisation, comment.target_kind, comment.target_id)


def comments_of(target: models.Model) -> models.QuerySet[Comment]:
    kind = kinds.kind_for(target)
    slug = kind.slug if kind else ""
    return (
        Comment.objects.filter(target_kind=slug, target_id=target.pk)
        .select_related("author")
        .prefetch_related(Prefetch("mentions", queryset=Mention.objects.select_related("user")))
    )


# comments_of(target) as a list, compiled once (core/fastread.py); the mentions prefetched.
_COMMENTS_ON = FastRead(
    Comment,
    "t.target_kind = %s AND t.target_id = %s",
    order_by="t.created_at, t.id",
    related="author",
)


def comment_list_read(target: models.Model) -> Read:
    """:func:`comment_list`'s first read, to read ahead (``core.fastread.one_round_trip``)."""
    kind = kinds.kind_for(target)
    return _COMMENTS_ON, [kind.slug if kind else "", target.pk]


def comment_list(target: models.Model) -> list[Comment]:
    """What :func:`comments_of` finds, oldest first, with authors and mentions (two queries
    when there are comments, one when there are none)."""
    found = _COMMENTS_ON.all(comment_list_read(target)[1])
    if found:
        models.prefetch_related_objects(
            found, Prefetch("mentions", queryset=Mention.objects.select_related("user"))
        )
    return found


def comments_of_ids(ids: list[int]) -> list[Comment]:
    return list(
        Comment.objects.filter(pk__in=ids)
        .select_related("author")
        .prefetch_related(Prefetch("mentions", queryset=Mention.objects.select_related("user")))
    )


@dataclass(frozen=True)
class ShownComment:
    """A comment as the viewer sees it."""

    comment: Comment
    html: SafeString
    can_edit: bool
    can_delete: bool
    editable_until: dt.datetime | None


def render(comment: Comment) -> SafeString:
    if comment.is_deleted:
        return SafeString("")
    return render_body(comment.body, [m.user for m in comment.mentions.all()])


def thread(user: Any, target: models.Model) -> list[ShownComment]:
    """Every comment on ``target``, oldest first (deleted ones as a placeholder): 3 queries."""
    from twofold.comments.services import edit_window

    now = tz.now()
    shown = []
    for c in comment_list(target):
        editable = may_edit(user, c, now=now) and can(user, Action.CONTRIBUTE, target)
        shown.append(
            ShownComment(
                comment=c,
                html=render(c),
                can_edit=editable,
                can_delete=may_delete(user, c, target),
                editable_until=c.created_at + edit_window() if editable else None,
            )
        )
    return shown


@dataclass(frozen=True)
class Located:
    """A comment with the object it is on (for lists across objects)."""

    comment: Comment
    target: models.Model
    kind: kinds.CommentKind
    html: SafeString

    @property
    def url(self) -> str:
        return f"{self.kind.url(self.target)}#comment-{self.comment.pk}"


def located(comments: list[Comment]) -> list[Located]:
    """``comments`` with their objects, one query per kind; comments on an object in the trash
    (or gone) are left out, as the object's own page is."""
    wanted: dict[str, set[int]] = {}
    for c in comments:
        wanted.setdefault(c.target_kind, set()).add(c.target_id)
    found: dict[tuple[str, int], models.Model] = {}
    for slug, ids in wanted.items():
        kind = kinds.get(slug)
        if kind is None:
            continue
        manager = kind.model._default_manager
        related = [
            f.name
            for f in kind.model._meta.concrete_fields
            if f.is_relation and f.name in {"project", "queue", "process"}
        ]
        for obj in manager.filter(pk__in=ids).select_related(*related):
            found[(slug, obj.pk)] = obj
    out = []
    for c in comments:
        target = found.get((c.target_kind, c.target_id))
        kind = kinds.get(c.target_kind)
        if target is not None and kind is not None:
            out.append(Located(c, target, kind, render(c)))
    return out


def mentioning(user: Any, organisation: Organisation, limit: int = 100) -> list[Located]:
    """Live comments in the organisation that mention ``user``, newest first."""
    rows = list(
        Comment.objects.filter(
            organisation_id=organisation.pk,
            mentions__user_id=user.pk,
            deleted_at__isnull=True,
        )
        .select_related("author")
        .prefetch_related(Prefetch("mentions", queryset=Mention.objects.select_related("user")))
        .order_by("-created_at", "-id")[:limit]
    )
    return located(rows)
