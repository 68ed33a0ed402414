"""Writes for who works a request and how urgent it is, and who no longer can.

A request's SLA targets are not stored on it: its clocks read the queue's targets for its current
priority (``Queue.target_minutes``), so re-prioritising moves both targets at once for the
clocks still running; an outcome already fixed (the response once answered, the resolution once
resolved) keeps the target it was judged by. The history entry records the priority and both
targets before and after, so the change can be traced.

A person made a guest (``accounts.services.ROLE_CHANGED``) or removed from the organisation
(``MEMBER_REMOVED``) can work nothing there: their open requests and their routines are
unassigned (``release_assignments``), each with a history line, as an unassignment by hand.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.core import history
from twofold.core.concurrency import lock_rows, require_current, save_versioned
from twofold.core.errors import Invalid
from twofold.core.policy import Action, require
from twofold.operations.models import DONE_STATUSES, Priority, Request, Routine
from twofold.operations.services import SLA_OUTCOME_FIELDS, check_worker, fix_due_outcomes


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
        require_current(request, expected_version=expected_version)  # a stale no-op is a 409
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
    """Change the priority; the SLA response and resolution targets follow it (for a clock
    that has not stopped: an answered request's response keeps the target it was judged by)."""
    require(actor, Action.EDIT, request)
    if priority not in Priority.values:
        raise Invalid(
            f"Unknown priority {priority!r}; choose one of {', '.join(Priority.values)}.",
            field="priority",
        )
    old = request.priority
    if old == priority:
        require_current(request, expected_version=expected_version)  # a stale no-op is a 409
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
    # An answered request keeps the response outcome fixed at its first response, a resolved one
    # the resolution outcome fixed when it was resolved (the new target re-judges neither); one
    # answered or resolved before outcomes were stored gets them fixed now, by the old priority.
    fix_due_outcomes(Request.objects.filter(pk=request.pk))
    request.priority = priority
    save_versioned(request, expected_version=expected_version, fields=["priority"])
    request.refresh_from_db(fields=SLA_OUTCOME_FIELDS)
    history.record(actor=actor, obj=request, action="re-prioritised", changes=changes)
    return request


def release_assignments(*, actor: User | None, person: User, organisation_id: int, why: str) -> int:
    """Unassign ``person`` from the open requests and the routines (archived ones too) of an
    organisation, in the caller's transaction; ``why`` ends each history summary ("became a
    guest"). Each row's version moves, so a form still naming them is stale. How many."""
    # Locked first, in id order, then read: the rows still naming them once locked. Rows in the
    # trash (or in a trashed queue or process) too: a restore brought the guest back (all_objects).
    request_ids = lock_rows(
        Request.all_objects.filter(organisation_id=organisation_id, assignee=person).exclude(
            status__in=DONE_STATUSES
        )
    )
    routine_ids = lock_rows(
        Routine.all_objects.filter(organisation_id=organisation_id, assignee=person)
    )
    requests = list(Request.all_objects.filter(pk__in=request_ids, assignee=person).order_by("pk"))
    routines = list(Routine.all_objects.filter(pk__in=routine_ids, assignee=person).order_by("pk"))
    name = _name(person)
    if requests:
        Request.all_objects.filter(pk__in=[r.pk for r in requests]).update(
            assignee=None, version=F("version") + 1
        )
    if routines:
        Routine.all_objects.filter(pk__in=[r.pk for r in routines]).update(
            assignee=None, version=F("version") + 1
        )
    for request in requests:
        request.assignee = None
        history.record(
            actor=actor,
            obj=request,
            action="unassigned",
            changes={"assignee": [name, _name(None)]},
            summary=f"Unassigned {name}: {why}",
        )
    for routine in routines:
        routine.assignee = None
        # As an edit of the routine's assignee records it (``update_routine``).
        history.record(
            actor=actor,
            obj=routine,
            action="updated",
            changes={"assignee": [name, None]},
            summary=f"Unassigned {name}: {why}",
        )
    return len(requests) + len(routines)


def _on_role_changed(actor: User, membership: Membership, old: Role) -> None:
    if membership.role == Role.GUEST and old != Role.GUEST:
        release_assignments(
            actor=actor,
            person=membership.user,
            organisation_id=membership.organisation_id,
            why="became a guest",
        )


def _on_member_removed(actor: User | None, person: User, organisation: Organisation) -> None:
    release_assignments(
        actor=actor, person=person, organisation_id=organisation.pk, why="no longer a member"
    )


def register() -> None:
    """Follow role changes and removals (``accounts.services``), from the app's ``ready``."""
    from twofold.accounts.services import MEMBER_REMOVED, ROLE_CHANGED

    if _on_role_changed not in ROLE_CHANGED:
        ROLE_CHANGED.append(_on_role_changed)
    if _on_member_removed not in MEMBER_REMOVED:
        MEMBER_REMOVED.append(_on_member_removed)
