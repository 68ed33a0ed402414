"""``{% live_subject "project" project %}``: makes the page live (``static/activity/live.js``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from twofold.activity import live
from twofold.core.urlcache import fast_reverse

register = template.Library()


@register.simple_tag
def live_subject(prefix: str, obj: Any) -> SafeString:
    """A hidden marker with the subject's change counter, and the script that polls it."""
    key = live.key_for(prefix, obj.pk)
    version = live.version(obj.organisation_id, key)
    return format_html(
        '<div hidden id="live-subject" data-live-url="{}" data-live-version="{}"></div>'
        '<script src="{}" defer></script>',
        fast_reverse("activity:live", args=[key]) + "?t=" + live.ticket(obj.organisation_id, key),
        version,
        static("activity/live.js"),
    )
