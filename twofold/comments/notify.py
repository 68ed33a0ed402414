"""The one seam to notifications (app ``notifications``): who hears of a comment.

Called inside the comment's transaction (so a notification commits with the comment, or not):

* the members newly mentioned get "I was @mentioned" and follow the object;
* the author follows the object (automatic: an explicit unfollow stays);
* everyone following the object gets "a comment on something I follow" (not the author, and
  not those just told they were mentioned). Edits tell only the newly mentioned.

Each event has a key (``comment-<id>…``), so nobody is told twice of the same comment.

A deleted comment's text goes from what told of it (:func:`comment_deleted`): its
notifications say "(comment deleted)" instead of the snippet, and their e-mails not sent yet
are dropped. So does that of the comments purged with their object (:func:`comments_removed`,
called by ``trash_parts`` and ``project_parts`` before they delete them). An edited comment's
notifications quote its new text (e-mails not sent yet too: ``revise`` renders them again).
"""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from twofold.accounts.models import User
from twofold.comments import kinds
from twofold.comments.models import Comment
from twofold.notifications import services as notes
from twofold.notifications.kinds import COMMENT, MENTIONED
from twofold.notifications.models import FollowReason

SNIPPET = 160


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1] + "…"


def comment_posted(
    comment: Comment, target: models.Model, mentioned: list[User], *, edited: bool = False
) -> None:
    author = comment.author
    kind = kinds.kind_for(target)
    noun = kind.noun if kind else "item"
    url = f"{kind.url(target)}#comment-{comment.pk}" if kind else None
    who = author.display_name if author else "Someone"
    if mentioned:
        notes.notify(
            recipients=mentioned,
            kind=MENTIONED,
            actor=author,
            target=target,
            summary=f"{who} mentioned you on the {noun} {target}: {_snippet(comment.body)}",
            url=url,
            event_key=f"comment-{comment.pk}-mention",
        )
        for person in mentioned:
            notes.follow(person, target, reason=FollowReason.MENTIONED)
    if edited:
        # What told of it quotes the new text (not the mention just sent, already current).
        notes.revise(
            target=target,
            summaries={
                f"comment-{comment.pk}": (
                    f"{who} commented on the {noun} {target}: {_snippet(comment.body)}"
                ),
                f"comment-{comment.pk}-mention": (
                    f"{who} mentioned you on the {noun} {target}: {_snippet(comment.body)}"
                ),
            },
        )
        return
    if author is None:
        return
    notes.follow(author, target, reason=FollowReason.COMMENTED)
    notes.notify_followers(
        kind=COMMENT,
        actor=author,
        target=target,
        summary=f"{who} commented on the {noun} {target}: {_snippet(comment.body)}",
        url=url,
        event_key=f"comment-{comment.pk}",
        exclude=mentioned,
    )


def comment_deleted(comment: Comment, target: models.Model) -> int:
    """Take the deleted comment's text out of the notifications that quoted it (and their
    unsent e-mails); returns how many notifications were rewritten."""
    author = comment.author
    kind = kinds.kind_for(target)
    noun = kind.noun if kind else "item"
    who = author.display_name if author else "Someone"
    return notes.withdraw(
        target=target,
        summaries={
            f"comment-{comment.pk}": f"{who} commented on the {noun} {target} (comment deleted)",
            f"comment-{comment.pk}-mention": (
                f"{who} mentioned you on the {noun} {target} (comment deleted)"
            ),
        },
    )


def comments_removed(comments: QuerySet[Comment]) -> int:
    """Before ``comments`` are deleted with the object they are on (a trash purge, a project
    deleted): take their text (and the object's name) out of the notifications that quoted them,
    and out of their e-mails not sent yet. Returns how many notifications were rewritten."""
    rows = comments.values_list(
        "pk", "organisation_id", "target_kind", "author__full_name", "author__email"
    )
    by_organisation: dict[int, dict[str, str]] = {}
    for pk, organisation_id, slug, full_name, email in rows.iterator():
        kind = kinds.get(slug)
        noun = kind.noun if kind else "item"
        who = full_name or email or "Someone"
        by_organisation.setdefault(organisation_id, {}).update(
            {
                f"comment-{pk}": f"{who} commented on a {noun} since deleted (comment deleted)",
                f"comment-{pk}-mention": (
                    f"{who} mentioned you on a {noun} since deleted (comment deleted)"
                ),
            }
        )
    return sum(
        notes.withdraw_events(organisation_id=organisation_id, summaries=summaries)
        for organisation_id, summaries in by_organisation.items()
    )
