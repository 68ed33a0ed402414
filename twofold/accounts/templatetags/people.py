"""``{{ user|person }}``: a person's name linking to their page (a built-in, no ``{% load %}``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from twofold.core.escape import esc as escape
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
    # format_html's markup, written directly (long lists call this per row).
    href = escape(fast_reverse("accounts:person", args=[user.pk]))
    return mark_safe(f'<a class="person-link" href="{href}">{escape(user.display_name)}</a>')  # noqa: S308
