"""Writes for who works a request and how urgent it is.

A request's SLA targets are not stored on it: its clocks read the queue's targets for its current
priority (``Queue.target_minutes``), so re-prioritising moves both targets at once. The history
entry records the priority and both targets before and after, so the change can be traced.
"""

from __future__ import annotations

from django.db import transaction

from twofold.accounts.models import User
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Invalid
from twofold.core.policy import Action, require
from twofold.operations.models import DONE_STATUSES, Priority, Request
from twofold.operations.services import check_worker, refresh_sla_outcomes


def _hours(minutes: float) -> str:
    return f"{minutes / 60:g} h"


def check_assignee(organisation_id: int, user: User | None) -> None:
    """Refuse anyone who is not a member (guests only look on), naming ``assignee``."""
    check_worker(organisation_id, user, work="requests")


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "nobody"


@transaction.atomic
def assign_request(
    *, actor: User, request: Request, assignee: User | None, expected_version: int | None
) -> Request:
    """Assign (``assignee`` given), re-assign or un-assign (None) a request."""
    require(actor, Action.EDIT, request)
    check_assignee(request.organisation_id, assignee)
    old = request.assignee
    if (old.pk if old else None) == (assignee.pk if assignee else None):
        return request
    request.assignee = assignee
    save_versioned(request, expected_version=expected_version, fields=["assignee"])
    history.record(
        actor=actor,
        obj=request,
        action="assigned" if assignee is not None else "unassigned",
        changes={"assignee": [_name(old), _name(assignee)]},
    )
    return request


@transaction.atomic
def reprioritise_request(
    *, actor: User, request: Request, priority: str, expected_version: int | None
) -> Request:
    """Change the priority; the SLA response and resolution targets follow it."""
    require(actor, Action.EDIT, request)
    if priority not in Priority.values:
        raise Invalid(
            f"Unknown priority {priority!r}; choose one of {', '.join(Priority.values)}.",
            field="priority",
        )
    old = request.priority
    if old == priority:
        return request
    queue = request.queue
    changes = {
        "priority": [Priority(old).label, Priority(priority).label],
        "SLA response target": [
            _hours(queue.target_minutes(old, "response")),
            _hours(queue.target_minutes(priority, "response")),
        ],
        "SLA resolution target": [
            _hours(queue.target_minutes(old, "resolution")),
            _hours(queue.target_minutes(priority, "resolution")),
        ],
    }
    request.priority = priority
    save_versioned(request, expected_version=expected_version, fields=["priority"])
    # A resolved request keeps the outcome fixed when it was resolved (the new target does not
    # re-judge it); one resolved before outcomes were stored gets its outcome fixed now.
    if request.status in DONE_STATUSES:
        refresh_sla_outcomes([request.pk])
        request.refresh_from_db(fields=["resolution_met"])
    history.record(actor=actor, obj=request, action="re-prioritised", changes=changes)
    return request
