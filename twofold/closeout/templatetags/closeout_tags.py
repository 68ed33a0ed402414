"""Close-out on other apps' pages: the handover's parts, "Created by handover of <project>" on
operations objects, and the hypercare badge on queues and requests. Template tags, so the
operations and improvement code never imports this app."""

from __future__ import annotations

from typing import Any

from django import template

from twofold.closeout import selectors
from twofold.closeout.forms import HypercareForm
from twofold.closeout.models import PartKind
from twofold.improvement.models import Handover

register = template.Library()


@register.inclusion_tag("closeout/partials/parts.html", takes_context=True)
def handover_parts(context: Any, handover: Handover) -> dict[str, Any]:
    from twofold.closeout.views import section_context

    request = context["request"]
    grouped = selectors.parts_by_kind(handover)
    sections = [section_context(request, handover, kind, grouped[kind]) for kind in PartKind.values]
    care = selectors.hypercare_of(handover)
    may_draft = sections[0]["may_draft"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "handover": handover,
        "sections": sections,
        "count": sum(len(v) for v in grouped.values()),
        "hypercare": care,
        "hypercare_form": HypercareForm(
            prefix="hypercare",
            initial={"starts_on": care.starts_on, "ends_on": care.ends_on, "version": care.version}
            if care
            else {"version": 0},
        )
        if may_draft
        else None,
        "may_draft": may_draft,
    }


@register.inclusion_tag("closeout/partials/origin.html")
def origin_note(obj: Any) -> dict[str, Any]:
    return {"notes": selectors.origins_of(obj)}


@register.inclusion_tag("closeout/partials/hypercare_badge.html")
def hypercare_badge(queue: Any) -> dict[str, Any]:
    return {"care": selectors.hypercare_for_queue(queue)}
