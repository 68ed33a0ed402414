"""``{% trash_days %}``: how many days an admin can restore something from the trash."""

from __future__ import annotations

from django import template

from twofold.core.trash import retention_days

register = template.Library()


@register.simple_tag
def trash_days() -> int:
    return retention_days()
