"""``{% comments_panel obj %}``: the comment thread of any registered object, with its form."""

from __future__ import annotations

from typing import Any

from django import template

from twofold.comments import kinds, selectors
from twofold.comments.forms import CommentForm
from twofold.core.policy import Action, can

register = template.Library()


def panel_context(
    request: Any, target: Any, form: CommentForm | None = None, csrf_token: Any = None
) -> dict[str, Any]:
    user = getattr(request, "user", None)
    kind = kinds.kind_for(target)
    return {
        "cm_target": target,
        "cm_kind": kind.slug if kind else "",
        "cm_thread": selectors.thread(user, target),
        "cm_can_add": can(user, Action.CONTRIBUTE, target),
        "cm_form": form or CommentForm(auto_id="id_comment_%s"),
        "csrf_token": csrf_token,
        "request": request,
    }


@register.inclusion_tag("comments/partials/panel.html", takes_context=True)
def comments_panel(
    context: template.Context, target: Any, form: CommentForm | None = None
) -> dict[str, Any]:
    """The thread of ``target`` and, for members, the form (``form``: one with errors)."""
    return panel_context(context.get("request"), target, form, context.get("csrf_token"))
