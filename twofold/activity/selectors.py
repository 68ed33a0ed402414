"""The activity feeds: history entries and comments, newest first, of what the viewer may see.

Visibility in Twofold is the organisation (every member sees its projects and processes): a
feed reads one organisation the viewer belongs to, only kinds listed in ``scopes``, and leaves
out entries of objects in the trash or deleted (their pages answer 404 too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Prefetch, Q
from django.utils.safestring import SafeString

from twofold.accounts.models import Membership, Organisation, User
from twofold.activity.models import ActivityFeed
from twofold.activity.scopes import FeedKind, by_slug, feed_kinds
from twofold.comments.models import Comment, Mention
from twofold.comments.selectors import render
from twofold.core.errors import NotFound
from twofold.core.history import Change, name_references, readable_by, readable_changes
from twofold.core.models import HistoryEntry

PAGE_SIZE = 25
COMMENT_ACTIONS = ("commented", "edited a comment", "deleted a comment")


@dataclass(frozen=True)
class Entry:
    """One line of a feed: a change or a comment."""

    at: dt.datetime
    actor: User | None
    kind: FeedKind
    target: models.Model
    verb: str  # "changed", "created", "commented"
    summary: str = ""
    changes: list[Change] = field(default_factory=list)
    comment_html: SafeString | None = None
    comment_id: int | None = None
    entry_id: str = ""

    @property
    def url(self) -> str:
        base = self.kind.url(self.target)
        return f"{base}#comment-{self.comment_id}" if self.comment_id else base

    @property
    def is_comment(self) -> bool:
        return self.comment_id is not None


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_before: dt.datetime | None  # pass as ``before`` for the next page


@dataclass(frozen=True)
class Scope:
    """Which feed: the organisation's, one project's or one process's."""

    organisation: Organisation
    project_id: int | None = None
    process_id: int | None = None


def _ids_in_scope(kind: FeedKind, scope: Scope) -> Any | None:
    """A subquery of the ids of ``kind`` inside the scope; None when the kind has no part in it
    (its rows are then left out); ``...`` for the organisation's feed (no restriction)."""
    if scope.project_id is None and scope.process_id is None:
        return ...
    path = kind.project if scope.project_id is not None else kind.process
    if path is None:
        return None
    value = scope.project_id if scope.project_id is not None else scope.process_id
    lookup = "pk" if path == "id" else path
    return kind.model._base_manager.filter(**{lookup: value}).values("pk")


def _kinds(kind: str | None) -> list[FeedKind]:
    if kind and kind != "comment":
        found = by_slug(kind)
        return [found] if found else []
    return feed_kinds()


def feed(
    scope: Scope,
    *,
    viewer: Any,
    person: int | None = None,
    kind: str | None = None,
    before: dt.datetime | None = None,
    limit: int = PAGE_SIZE,
    comments: bool = True,
) -> Page:
    """A page of the feed. ``kind``: a ``FeedKind`` slug or "comment"; ``person``: whose doing;
    ``comments=False``: changes only (not read at all). Entries are as ``viewer`` may read them
    (``core.history.readable_by``: no amounts outside the money rule), so a page can hold fewer
    than ``limit`` entries.

    Queries: content types (cached), history, comments (+ mentions), one per kind on the page.
    """
    kinds = _kinds(kind)
    org_id = scope.organisation.pk
    history_q, comment_q = Q(pk__in=[]), Q(pk__in=[])
    for k in kinds:
        ids = _ids_in_scope(k, scope)
        if ids is None:
            continue
        ct = ContentType.objects.get_for_model(k.model)
        history_q |= Q(content_type=ct) if ids is ... else Q(content_type=ct, object_id__in=ids)
        comment_q |= (
            Q(target_kind=k.slug) if ids is ... else Q(target_kind=k.slug, target_id__in=ids)
        )
    histories: list[HistoryEntry] = []
    if kind != "comment":
        rows = HistoryEntry.objects.filter(history_q, organisation_id=org_id).exclude(
            action__in=COMMENT_ACTIONS
        )
        if person:
            rows = rows.filter(actor_id=person)
        if before:
            rows = rows.filter(at__lt=before)
        histories = list(rows.select_related("actor").order_by("-at", "-id")[: limit + 1])
    found: list[Comment] = []
    if comments:
        crows = Comment.objects.filter(comment_q, organisation_id=org_id, deleted_at__isnull=True)
        if person:
            crows = crows.filter(author_id=person)
        if before:
            crows = crows.filter(created_at__lt=before)
        found = list(
            crows.select_related("author")
            .prefetch_related(Prefetch("mentions", queryset=Mention.objects.select_related("user")))
            .order_by("-created_at", "-id")[: limit + 1]
        )
    merged: list[tuple[dt.datetime, Any]] = sorted(
        [(h.at, h) for h in histories] + [(c.created_at, c) for c in found],
        key=lambda pair: pair[0],
        reverse=True,
    )
    more = len(merged) > limit
    merged = merged[:limit]
    entries = _entries(viewer, [row for _at, row in merged])
    next_before = merged[-1][0] if more and merged else None
    return Page(entries, next_before)


def _entries(viewer: Any, rows: list[Any]) -> list[Entry]:
    """Rows as entries, with their objects loaded (one query per kind); rows whose object is in
    the trash or gone, and amounts ``viewer`` may not read, are left out."""
    kinds_by_ct: dict[int, FeedKind] = {}
    slugs = {k.slug: k for k in feed_kinds()}
    for each in slugs.values():
        kinds_by_ct[ContentType.objects.get_for_model(each.model).pk] = each
    wanted: dict[str, set[int]] = {}
    for row in rows:
        if isinstance(row, HistoryEntry):
            of_entry = kinds_by_ct.get(row.content_type_id)
            if of_entry:
                wanted.setdefault(of_entry.slug, set()).add(row.object_id)
        elif row.target_kind in slugs:
            wanted.setdefault(row.target_kind, set()).add(row.target_id)
    objects: dict[tuple[str, int], models.Model] = {}
    for slug, ids in wanted.items():
        kind = slugs[slug]
        rows_of = kind.model._default_manager.filter(pk__in=ids)
        # The project and process a kind names directly come with it: a handover's name is its
        # project's and its process's (two queries a handover in the feed).
        near = [
            lookup.removesuffix("_id")
            for lookup in (kind.project, kind.process)
            if lookup and lookup.endswith("_id") and "__" not in lookup
        ]
        for obj in rows_of.select_related(*near) if near else rows_of:
            objects[(slug, obj.pk)] = obj
    name_references([row for row in rows if isinstance(row, HistoryEntry)])
    out = []
    for row in rows:
        if isinstance(row, HistoryEntry):
            k = kinds_by_ct.get(row.content_type_id)
            target = objects.get((k.slug, row.object_id)) if k else None
            if k is None or target is None:
                continue
            readable = readable_by(viewer, target, [row])
            if not readable:
                continue
            row = readable[0]
            out.append(
                Entry(
                    at=row.at,
                    actor=row.actor,
                    kind=k,
                    target=target,
                    verb=row.action,
                    summary=row.summary,
                    changes=readable_changes(row)[:6],
                    entry_id=f"h{row.pk}",
                )
            )
        else:
            of_comment = slugs.get(row.target_kind)
            target = objects.get((row.target_kind, row.target_id)) if of_comment else None
            if of_comment is None or target is None:
                continue
            out.append(
                Entry(
                    at=row.created_at,
                    actor=row.author,
                    kind=of_comment,
                    target=target,
                    verb="commented",
                    comment_html=render(row),
                    comment_id=row.pk,
                    entry_id=f"c{row.pk}",
                )
            )
    return out


def people_of(organisation: Organisation) -> list[User]:
    """The members, for the "by person" filter."""
    return list(User.objects.filter(memberships__organisation=organisation).order_by("full_name"))


def feeds_of(user: Any, organisation: Organisation) -> models.QuerySet[ActivityFeed]:
    return ActivityFeed.objects.filter(owner_id=user.pk, organisation=organisation)


def get_feed(user: Any, organisation: Organisation, feed_id: int) -> ActivityFeed:
    feed = feeds_of(user, organisation).filter(pk=feed_id).first() if 0 < feed_id < 2**63 else None
    if feed is None:
        raise NotFound("Feed not found.")
    return feed


def feed_by_secret(secret: str) -> ActivityFeed:
    """The active feed with this secret whose owner is still an active member, else NotFound."""
    from twofold.activity.services import hash_secret

    if not secret or len(secret) > 100:
        raise NotFound("Feed not found.")
    feed = (
        ActivityFeed.objects.filter(secret_hash=hash_secret(secret), revoked_at__isnull=True)
        .select_related("owner", "organisation")
        .first()
    )
    if feed is None or not feed.owner.is_active:
        raise NotFound("Feed not found.")
    if not Membership.objects.filter(user=feed.owner, organisation=feed.organisation).exists():
        raise NotFound("Feed not found.")
    return feed
