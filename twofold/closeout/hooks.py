"""The seams this app plugs into (registered once from ``CloseoutConfig.ready``)."""

from __future__ import annotations

from typing import Any

from twofold.improvement.models import Handover, HandoverStatus


def card_notes(cards: list[Any]) -> None:
    """ "Handed over to <process>" on the portfolio cards of projects with an accepted handover
    (one query for the page)."""
    by_project: dict[int, list[str]] = {}
    rows = (
        Handover.objects.filter(
            project_id__in=[c.project.pk for c in cards], status=HandoverStatus.ACCEPTED
        )
        .order_by("decided_at", "id")
        .values_list("project_id", "process__name")
    )
    for project_id, process_name in rows:
        names = by_project.setdefault(project_id, [])
        if process_name not in names:
            names.append(process_name)
    for card in cards:
        shown = by_project.get(card.project.pk)
        if shown:
            card.notes.append(f"Handed over to {', '.join(shown)}")


def register() -> None:
    from twofold.closeout import hypercare, selectors, services
    from twofold.core import readahead
    from twofold.improvement import services as improvement
    from twofold.operations import services as operations
    from twofold.projects import lifecycle

    if services.build_parts not in improvement.ACCEPT_STEPS:
        improvement.ACCEPT_STEPS.append(services.build_parts)
    if hypercare.on_request_created not in operations.REQUEST_CREATED_STEPS:
        operations.REQUEST_CREATED_STEPS.append(hypercare.on_request_created)
    lifecycle.register_gate_check(services.closure_gate_check)
    # The reads of ``{% origin_note obj %}`` and ``{% hypercare_badge queue %}``, to read ahead.
    readahead.register("origins", lambda subject: [selectors.origins_read(subject)])
    readahead.register("hypercare", lambda queue: [selectors.hypercare_read(queue)])
    lifecycle.register_card_notes(card_notes)
