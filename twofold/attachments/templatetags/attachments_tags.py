"""``{% attachments_panel task %}``, ``{% mention_directory as people %}`` and ``|mentions:people``."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from twofold.attachments import mentions as mention_lib
from twofold.attachments import selectors
from twofold.core.policy import Action, can
from twofold.customfields.selectors import kind_of

register = template.Library()


@register.inclusion_tag("attachments/partials/panel.html", takes_context=True)
def attachments_panel(context: template.Context, target: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "att_target": target,
        "att_kind": kind_of(target),
        "att_list": selectors.attachment_list(target),
        "att_can_upload": can(user, Action.CONTRIBUTE, target),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def mention_directory(context: template.Context) -> mention_lib.Directory | None:
    """The organisation's members, loaded once for every comment on the page."""
    membership = getattr(context.get("request"), "membership", None)
    if not membership:
        return None
    return mention_lib.directory(membership.organisation_id)


@register.filter(is_safe=True)
def mentions(text: str, people: mention_lib.Directory | None) -> SafeString:
    return mention_lib.render(str(text), people)
