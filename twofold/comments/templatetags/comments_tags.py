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
    """The panel's context. ``csrf_token`` is set only when given: a view rendering the panel
    (htmx) gets it from the context processor, and a ``None`` here overrode that token, so the
    swapped-in panel's forms (Delete) were refused with a CSRF 403."""
    user = getattr(request, "user", None)
    kind = kinds.kind_for(target)
    context = {
        "cm_target": target,
        "cm_kind": kind.slug if kind else "",
        "cm_thread": selectors.thread(user, target),
        "cm_can_add": can(user, Action.CONTRIBUTE, target),
        "cm_form": form or CommentForm(auto_id="id_comment_%s"),
        "request": request,
    }
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return context


@register.inclusion_tag("comments/partials/panel.html", takes_context=True)
def comments_panel(
    context: template.Context, target: Any, form: CommentForm | None = None
) -> dict[str, Any]:
    """The thread of ``target`` and, for members, the form (``form``: one with errors)."""
    return panel_context(context.get("request"), target, form, context.get("csrf_token"))
