"""Writing comments: add, edit within the window, soft delete. Each asks the policy about the
object the comment is on, runs in one transaction, records history on that object (so its
activity feed and its live pages hear of it) and tells the mentioned and the followers in the
same transaction (``notify.py``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone as tz

from twofold.accounts.models import User
from twofold.comments import kinds, notify
from twofold.comments.mentions import directory, mentioned
from twofold.comments.models import Comment, Mention
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Forbidden, Invalid
from twofold.core.policy import Action, can, require

MAX_CHARS = 10_000


def edit_window() -> dt.timedelta:
    """How long after posting its author may still edit a comment (default 15 minutes)."""
    return dt.timedelta(minutes=getattr(settings, "TWOFOLD_COMMENT_EDIT_MINUTES", 15))


_NOT_TEXT = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters no text needs and XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE,
U+FFFF): one in a comment made the Atom feed of its organisation ill-formed."""


def clean_body(body: str) -> str:
    text = (body or "").replace("\x00", "").strip()
    if not text:
        raise Invalid("Write a comment.", field="body")
    odd = _NOT_TEXT.search(text)
    if odd:
        raise Invalid(
            f"A comment may not contain control characters (this one has U+{ord(odd.group()):04X},"
            " an invisible one: retype the line it is on, or paste as plain text).",
            field="body",
        )
    if len(text) > MAX_CHARS:
        raise Invalid(
            f"A comment is at most {MAX_CHARS:,} characters; this one has {len(text):,}.",
            field="body",
        )
    return text


def may_edit(user: Any, comment: Comment, *, now: dt.datetime | None = None) -> bool:
    """The author, within the edit window, while still allowed to contribute."""
    if comment.is_deleted or comment.author_id is None or comment.author_id != user.pk:
        return False
    return (now or tz.now()) - comment.created_at <= edit_window()


def may_delete(user: Any, comment: Comment, target: models.Model) -> bool:
    """The author (any time), or an admin or owner of the organisation."""
    if comment.is_deleted:
        return False
    if comment.author_id is not None and comment.author_id == user.pk:
        return can(user, Action.CONTRIBUTE, target)
    return can(user, Action.MANAGE, target)


def _kind_of(target: models.Model) -> kinds.CommentKind:
    kind = kinds.kind_for(target)
    if kind is None:
        raise Invalid("This kind of object takes no comments.", field="target")
    return kind


def _store_mentions(comment: Comment) -> list[User]:
    """Replace the comment's mentions with the members its text names; return the new ones."""
    people = mentioned(comment.body, directory(comment.organisation_id))
    before = set(Mention.objects.filter(comment=comment).values_list("user_id", flat=True))
    now = {u.pk for u in people}
    Mention.objects.filter(comment=comment).exclude(user_id__in=now).delete()
    Mention.objects.bulk_create(
        [
            Mention(organisation_id=comment.organisation_id, comment=comment, user=u)
            for u in people
            if u.pk not in before
        ]
    )
    return [u for u in people if u.pk not in before]


def add_comment(*, actor: User, target: models.Model, body: str) -> Comment:
    """Post a comment on ``target`` (members and above)."""
    require(actor, Action.CONTRIBUTE, target)
    kind = _kind_of(target)
    text = clean_body(body)
    with transaction.atomic():
        comment = Comment.objects.create(
            organisation_id=target.organisation_id,  # type: ignore[attr-defined]
            target_kind=kind.slug,
            target_id=target.pk,
            author=actor,
            body=text,
        )
        new = _store_mentions(comment)
        # No text in the history: it is append-only, and a deleted comment's text must go.
        history.record(actor=actor, obj=target, action="commented")
        notify.comment_posted(comment, target, new)
    return comment


def edit_comment(
    *,
    actor: User,
    comment: Comment,
    target: models.Model,
    body: str,
    expected_version: int | None,
) -> Comment:
    """Change a comment's text: its author, within the edit window; "edited" shows after."""
    require(actor, Action.CONTRIBUTE, target)
    if comment.author_id != actor.pk:
        raise Forbidden("Only its author can edit a comment.")
    if comment.is_deleted:
        raise Invalid("This comment was deleted.", field="body")
    if not may_edit(actor, comment):
        minutes = int(edit_window().total_seconds() // 60)
        raise Forbidden(f"A comment can be edited for {minutes} minutes after posting.")
    text = clean_body(body)
    with transaction.atomic():
        comment.body = text
        comment.edited_at = tz.now()
        save_versioned(comment, expected_version=expected_version, fields=["body", "edited_at"])
        new = _store_mentions(comment)
        history.record(actor=actor, obj=target, action="edited a comment")
        notify.comment_posted(comment, target, new, edited=True)
    return comment


def delete_comment(
    *, actor: User, comment: Comment, target: models.Model, expected_version: int | None = None
) -> Comment:
    """Soft delete: the row stays (who deleted it, when); its text is no longer shown."""
    require(actor, Action.VIEW, target)
    if comment.is_deleted:
        raise Invalid("This comment was already deleted.", field="comment")
    if not may_delete(actor, comment, target):
        raise Forbidden("Only its author or an admin can delete a comment.")
    with transaction.atomic():
        comment.deleted_at = tz.now()
        comment.deleted_by = actor
        save_versioned(
            comment, expected_version=expected_version, fields=["deleted_at", "deleted_by"]
        )
        history.record(actor=actor, obj=target, action="deleted a comment")
        # Its text goes from the inboxes (and the unsent e-mails) that quoted it too.
        notify.comment_deleted(comment, target)
    return comment
