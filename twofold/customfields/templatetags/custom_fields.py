"""Template tags that show custom fields on cards, lists and detail pages.

``{% field_values cards as values %}`` loads every shown value of a page of projects in ONE query;
``{% values_for values project as mine %}`` picks one project's. ``{% card_with_fields card values %}``
adds the chips to a portfolio card's cached HTML; ``{% field_panel project %}`` is the detail panel.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from twofold.core.policy import Action, can
from twofold.customfields import selectors
from twofold.customfields.models import AppliesTo, FieldValue

register = template.Library()


def _project_id(item: Any) -> int:
    target = getattr(item, "project", None)
    if target is not None and not hasattr(item, "project_id"):
        return int(target.pk)  # a portfolio Card
    return int(item.pk)


@register.simple_tag
def field_values(items: Iterable[Any] | None) -> dict[int, list[FieldValue]]:
    """Values shown on cards for projects (or portfolio cards), by project id: one query."""
    return selectors.card_values(AppliesTo.PROJECT, [_project_id(i) for i in items or []])


@register.simple_tag
def values_for(values: dict[int, list[FieldValue]] | None, item: Any) -> list[FieldValue]:
    if not values:
        return []
    return values.get(_project_id(item), [])


@register.simple_tag
def field_chips(values: dict[int, list[FieldValue]] | None, item: Any) -> str:
    """The chips of one project (empty when it has no shown values)."""
    mine = values_for(values, item)
    if not mine:
        return ""
    return render_to_string("customfields/partials/chips.html", {"cf_mine": mine})


@register.simple_tag
def card_with_fields(card: Any, values: dict[int, list[FieldValue]] | None) -> SafeString:
    """A portfolio card's (cached, already escaped) HTML with its field chips before the
    reasons list; the cache key of the card stays the projects app's business."""
    html = str(card.html)
    chips = field_chips(values, card)
    if chips:
        head, sep, tail = html.rpartition('<ul class="reasons')
        html = (
            head + chips + sep + tail if sep else html.replace("</article>", chips + "</article>")
        )
    return mark_safe(html)  # noqa: S308 - both parts come from autoescaping templates


@register.inclusion_tag("customfields/partials/panel.html", takes_context=True)
def field_panel(context: template.Context, target: Any) -> dict[str, Any]:
    """The fields of a project or task, read-only, with a link to edit them (members)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "cf_target": target,
        "cf_kind": selectors.kind_of(target),
        "cf_rows": selectors.fields_for(target),
        "cf_can_edit": can(user, Action.EDIT, target),
    }
