"""``{% notification_bell %}`` for the header and ``{% follow_button obj %}`` for any object page."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models

from twofold.notifications import selectors, services

register = template.Library()


@register.inclusion_tag("notifications/partials/bell.html")
def notification_bell() -> dict[str, Any]:
    """The bell without its count: htmx fetches the count after the page (no query here)."""
    return {"bell_count": None, "bell_unread": 0}


@register.inclusion_tag("notifications/partials/follow_button.html", takes_context=True)
def follow_button(context: template.Context, target: models.Model) -> dict[str, Any]:
    """A Follow / Following button for ``target`` (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "following": bool(user and user.is_authenticated and services.is_following(user, target)),
        "target_type": selectors.follow_key(target),
        "target_id": target.pk,
    }


@register.inclusion_tag("notifications/partials/follow_later.html")
def follow_button_later(target: models.Model) -> dict[str, Any]:
    """Where the Follow button goes: htmx draws it after the page (no query in the page)."""
    return {"target_type": selectors.follow_key(target), "target_id": target.pk}
