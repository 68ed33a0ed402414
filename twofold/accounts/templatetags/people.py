"""``{{ user|person }}``: a person's name linking to their page (a built-in, no ``{% load %}``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from twofold.core.urlcache import fast_reverse

register = template.Library()


@register.filter
def person(user: Any, default: str = "—") -> SafeString | str:
    """The user's display name as a link to /accounts/people/<id>/, or ``default`` when empty.

    The person page answers 404 to anyone who shares no organisation with them, so the link
    reveals nothing a viewer could not already see next to it.
    """
    if user is None or not getattr(user, "pk", None):
        return default
    return format_html(
        '<a class="person-link" href="{}">{}</a>',
        fast_reverse("accounts:person", args=[user.pk]),
        user.display_name,
    )
