"""Writes for quality records. Each: permission, one transaction, version check, history.

Members raise and work on nonconformances (containment, root cause, actions); the process
owner verifies effectiveness and closes (an admin, when the process has no owner). Deviations
reported by operations open nonconformances idempotently: one per source record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.core import dates, history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Forbidden, Invalid
from twofold.core.policy import Action, can, require
from twofold.operations.deviations import Deviation, Kind
from twofold.operations.models import Priority, Process
from twofold.operations.services import check_live_process
from twofold.quality import selectors
from twofold.quality.models import (
    ActionKind,
    ActionStatus,
    CapaAction,
    NcStatus,
    Nonconformance,
    Severity,
    Source,
)

NC_FIELDS = ["title", "description", "severity", "containment", "root_cause", "process"]
ACTION_FIELDS = ["kind", "description", "owner", "due_on", "status", "done_on", "outcome"]
NUMBER_ATTEMPTS = 5
ACTION_WORDS = {
    "kind": "kind",
    "description": "description",
    "owner": "owner",
    "due_on": "due date",
    "status": "status",
    "done_on": "done date",
    "outcome": "outcome",
}


# --- Checks -----------------------------------------------------------------------------------


def _raised_day(nc: Nonconformance) -> dt.date:
    zone = dates.zone_or_none(nc.organisation.timezone)
    return timezone.localtime(nc.raised_at, zone).date() if zone else nc.raised_at.date()


def _today(nc: Nonconformance) -> dt.date:
    zone = dates.zone_or_none(nc.organisation.timezone)
    return timezone.localtime(timezone.now(), zone).date() if zone else dt.date.today()


def _not_before_raised(nc: Nonconformance, day: dt.date | None, field: str, what: str) -> None:
    raised = _raised_day(nc)
    if day is not None and day < raised:
        raise Invalid(
            f"{what} ({dates.format_day(day)}) cannot be before the nonconformance was raised "
            f"({dates.format_day(raised)}).",
            field=field,
        )


def _not_future(nc: Nonconformance, day: dt.date | None, field: str, what: str) -> None:
    if day is not None and day > _today(nc):
        raise Invalid(f"{what} ({dates.format_day(day)}) cannot be in the future.", field=field)


def _check_open(nc: Nonconformance) -> None:
    if not nc.is_open:
        raise Invalid(f"{nc.code} is closed; its record can no longer change.", field="status")


def _check_member(organisation_id: int, user: Any, field: str) -> None:
    if user is None:
        raise Invalid("Choose who owns this action.", field=field)
    role = (
        Membership.objects.filter(organisation_id=organisation_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise Invalid("The owner must be a member of the organisation.", field=field)
    if role == Role.GUEST:
        # A guest only reads: they could never mark the action done.
        raise Invalid("A guest cannot own an action: choose a member.", field=field)


def _check_process(
    organisation_id: int, process: Process | None, current_id: int | None = None
) -> None:
    """A live process of the organisation (the one already linked may stay archived)."""
    if process is not None and process.organisation_id != organisation_id:
        raise Invalid("Choose a process of this organisation.", field="process")
    check_live_process(process, current_id)


MAX_TEXT = 10_000
"""Longest description, containment or root cause."""


def _check_text(values: dict[str, Any]) -> None:
    if "title" in values:
        values["title"] = str(values["title"] or "").strip()
        if not values["title"]:
            raise Invalid("Give the nonconformance a short title.", field="title")
        if len(values["title"]) > 200:
            raise Invalid("The title is limited to 200 characters.", field="title")
    if "severity" in values and values["severity"] not in Severity.values:
        raise Invalid(f"Unknown severity {values['severity']!r}.", field="severity")
    for key in ("description", "containment", "root_cause"):
        if key in values:
            values[key] = str(values[key] or "").strip()
            if len(values[key]) > MAX_TEXT:  # the API's limit, for the pages too
                raise Invalid(
                    f"At most {MAX_TEXT:,} characters: this has {len(values[key]):,}.", field=key
                )


def require_process_owner(actor: User, nc: Nonconformance, what: str) -> None:
    require(actor, Action.VIEW, nc)
    if not selectors.is_process_owner(actor, nc):
        owner = selectors.acting_owner(nc)
        who = f"the process owner ({owner.display_name})" if owner else "an admin"
        raise Forbidden(f"Only {who} can {what} a nonconformance.")


# --- Opening ----------------------------------------------------------------------------------


def _save_numbered(nc: Nonconformance) -> Nonconformance | None:
    """Insert ``nc`` with the organisation's next number; None if its source already has one.

    Two writers may take the same number at once: the unique constraint refuses the second,
    which tries the next number (inside a savepoint, so the caller's transaction goes on).
    """
    for _ in range(NUMBER_ATTEMPTS):
        top = Nonconformance.objects.filter(organisation_id=nc.organisation_id).aggregate(
            top=Max("number")
        )["top"]
        nc.number = (top or 0) + 1
        try:
            with transaction.atomic():
                nc.save(force_insert=True)
        except IntegrityError:
            nc.pk = None
            if (
                nc.source_key
                and Nonconformance.objects.filter(
                    organisation_id=nc.organisation_id, source_key=nc.source_key
                ).exists()
            ):
                return None
            continue
        return nc
    raise IntegrityError("Could not number the nonconformance; try again.")


@transaction.atomic
def raise_nonconformance(
    *,
    actor: User,
    organisation: Organisation,
    title: str,
    process: Process | None = None,
    description: str = "",
    severity: str = Severity.MINOR,
    containment: str = "",
) -> Nonconformance:
    """A person raises a nonconformance by hand (members and above)."""
    require(actor, Action.CONTRIBUTE, organisation)
    values: dict[str, Any] = {
        "title": title,
        "description": description,
        "severity": severity,
        "containment": containment,
    }
    _check_text(values)
    _check_process(organisation.pk, process)
    nc = Nonconformance(
        organisation=organisation,
        process=process,
        source=Source.MANUAL,
        raised_by=actor,
        **values,
    )
    saved = _save_numbered(nc)
    assert saved is not None  # a manual one has no source key to clash on
    history.record(actor=actor, obj=nc, action="raised", summary=f"{nc.code} raised by hand")
    return nc


SOURCE_OF_KIND = {
    Kind.OUT_OF_LIMITS: Source.OUT_OF_LIMITS,
    Kind.FAILED_CHECK: Source.FAILED_CHECK,
    Kind.MISSED_ROUTINE: Source.MISSED_ROUTINE,
    Kind.SLA_BREACH: Source.SLA_BREACH,
}


def source_key(deviation: Deviation) -> str:
    if deviation.request is not None:
        return f"request:{deviation.request.pk}:sla"
    occurrence = deviation.occurrence.pk if deviation.occurrence is not None else 0
    if deviation.step is not None:
        return f"occurrence:{occurrence}:step:{deviation.step.pk}"
    return f"occurrence:{occurrence}:missed"


def _severity(deviation: Deviation) -> str:
    if deviation.kind == Kind.SLA_BREACH:
        critical = deviation.request is not None and deviation.request.priority == Priority.CRITICAL
        return Severity.MAJOR if critical else Severity.MINOR
    return Severity.MAJOR


def open_from_deviations(found: Sequence[Deviation]) -> list[Nonconformance]:
    """Open one nonconformance per deviation not already followed up (called by operations
    inside its transaction). Returns the ones opened now."""
    opened = []
    for deviation in found:
        nc = Nonconformance(
            organisation_id=deviation.organisation_id,
            process_id=deviation.process_id,
            title=deviation.title[:200],
            description=deviation.detail,
            severity=_severity(deviation),
            source=SOURCE_OF_KIND[deviation.kind],
            source_key=source_key(deviation),
            occurrence=deviation.occurrence,
            step=deviation.step,
            routine=deviation.routine,
            request=deviation.request,
            reading=deviation.reading,
            raised_by=deviation.actor if getattr(deviation.actor, "pk", None) else None,
        )
        if _save_numbered(nc) is None:
            continue
        history.record(
            actor=deviation.actor,
            obj=nc,
            action="opened",
            summary=f"{nc.code} opened: {nc.get_source_display().lower()}",
        )
        opened.append(nc)
    return opened


class OperationsPort:
    """What operations calls (``operations.deviations``): registered in ``QualityConfig``."""

    def on_deviations(self, deviations: Sequence[Deviation]) -> None:
        open_from_deviations(deviations)

    def open_counts(self, organisation_id: int) -> dict[int, int]:
        return selectors.open_counts(organisation_id)


# --- Working on it ------------------------------------------------------------------------------


@transaction.atomic
def update_nonconformance(
    *, actor: User, nc: Nonconformance, expected_version: int | None, **values: Any
) -> Nonconformance:
    """Edit the record: title, description, severity, containment, root cause, process."""
    require(actor, Action.EDIT, nc)
    unknown = set(values) - set(NC_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    _check_open(nc)
    _check_text(values)
    if "process" in values:
        _check_process(nc.organisation_id, values["process"], nc.process_id)
        moved = getattr(values["process"], "pk", values["process"]) != nc.process_id
        if moved and not (selectors.is_process_owner(actor, nc) or can(actor, Action.MANAGE, nc)):
            # Whoever owns the process verifies and closes: moving the record to a process of
            # one's own would hand oneself that right.
            raise Forbidden(
                "Only the owner of its process or an admin moves a nonconformance to another "
                "process."
            )
    before = history.snapshot(nc, values)
    for key, value in values.items():
        setattr(nc, key, value)
    save_versioned(nc, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(nc, values))
    if changes:
        history.record(actor=actor, obj=nc, action="updated", changes=changes)
    return nc


def _check_action(nc: Nonconformance, values: dict[str, Any]) -> None:
    if "kind" in values and values["kind"] not in ActionKind.values:
        raise Invalid(f"Unknown kind of action {values['kind']!r}.", field="kind")
    if "description" in values:
        values["description"] = str(values["description"] or "").strip()
        if not values["description"]:
            raise Invalid("Say what the action is.", field="description")
        if len(values["description"]) > 300:
            raise Invalid("The description is limited to 300 characters.", field="description")
    if "owner" in values:
        _check_member(nc.organisation_id, values["owner"], "owner")
    if "due_on" in values:
        if values["due_on"] is None:
            raise Invalid("Give the action a due date.", field="due_on")
        dates.require_day_in_range(values["due_on"], "due_on")  # the page took year 3000
        _not_before_raised(nc, values["due_on"], "due_on", "The due date")
    if "status" in values and values["status"] not in ActionStatus.values:
        raise Invalid(f"Unknown status {values['status']!r}.", field="status")
    if "outcome" in values:
        values["outcome"] = str(values["outcome"] or "").strip()[:300]


@transaction.atomic
def add_action(
    *,
    actor: User,
    nc: Nonconformance,
    description: str,
    owner: User | None,
    due_on: dt.date | None,
    kind: str = ActionKind.CORRECTIVE,
) -> CapaAction:
    """Add a corrective or preventive action with its owner and due date (members)."""
    require(actor, Action.EDIT, nc)
    _check_open(nc)
    values: dict[str, Any] = {
        "kind": kind,
        "description": description,
        "owner": owner,
        "due_on": due_on,
    }
    _check_action(nc, values)
    action = CapaAction.objects.create(
        organisation_id=nc.organisation_id, nonconformance=nc, created_by=actor, **values
    )
    history.record(
        actor=actor,
        obj=nc,
        action="action added",
        summary=f"{action.get_kind_display()} action: {action.description}"
        f" (owner {action.owner.display_name if action.owner else '—'}, "
        f"due {dates.format_day(action.due_on)})",
    )
    _verification_outdated(actor, nc, f"an action was added after it ({action.description})")
    return action


@transaction.atomic
def update_action(
    *, actor: User, action: CapaAction, expected_version: int | None, **values: Any
) -> CapaAction:
    """Edit an action or mark it done (``status="done"``, ``done_on`` defaults to today)."""
    nc = action.nonconformance
    require(actor, Action.EDIT, action)
    unknown = set(values) - set(ACTION_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    _check_open(nc)
    _check_action(nc, values)
    status = values.get("status", action.status)
    if status == ActionStatus.DONE:
        if values.get("done_on") is None and ("done_on" in values or action.done_on is None):
            # A done action always has its date: kept when one clears it (it was erased, a gap
            # in the audit trail), today when none was given.
            values["done_on"] = action.done_on or _today(nc)
        done_on = values.get("done_on", action.done_on)
        _not_before_raised(nc, done_on, "done_on", "The done date")
        _not_future(nc, done_on, "done_on", "The done date")
    elif "status" in values:
        values["done_on"] = None
    elif values.get("done_on") is not None:
        raise Invalid("Only a done action has a done date.", field="done_on")
    reopened = action.status == ActionStatus.DONE and status == ActionStatus.OPEN
    before = history.snapshot(action, values)
    for key, value in values.items():
        setattr(action, key, value)
    save_versioned(action, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(action, values))
    if changes:
        history.record(actor=actor, obj=action, action="updated", changes=changes)
        done = changes.get("status", [None, None])[1] == ActionStatus.DONE
        words = ", ".join(ACTION_WORDS.get(key, key) for key in sorted(changes))
        history.record(
            actor=actor,
            obj=nc,
            action="action done" if done else "action updated",
            summary=f"{action.get_kind_display()} action “{action.description}”"
            + (f" done on {dates.format_day(action.done_on)}" if done else f": {words} changed"),
        )
    if reopened:
        _verification_outdated(actor, nc, f"an action was reopened ({action.description})")
    elif (
        action.done_on is not None
        and nc.verified_on is not None
        and action.done_on > nc.verified_on
    ):
        _verification_outdated(actor, nc, f"an action is now done after it ({action.description})")
    return action


# --- Verification and closure -------------------------------------------------------------------


def _verification_outdated(actor: User, nc: Nonconformance, reason: str) -> None:
    """An action added, reopened or done after a verification: that verification no longer
    covers every action, so it must be made again before closing. The result is cleared (the
    date, who and what was found stay, as the record of the last check) through a versioned
    save with a history entry; until 2026-12-05 a bare UPDATE cleared it unrecorded and the page
    then called it "Not effective"."""
    if nc.effective is None:
        return
    before = nc.effective
    nc.effective = None
    save_versioned(nc, expected_version=None, fields=["effective"])
    history.record(
        actor=actor,
        obj=nc,
        action="verification reset",
        changes={"effective": [before, None]},
        summary=f"Verification needed again: {reason}",
    )


def _open_actions(nc: Nonconformance) -> int:
    return nc.actions.filter(status=ActionStatus.OPEN).count()


def _check_grounds(nc: Nonconformance, what: str) -> None:
    """Found effective, or closed, only with a root cause and at least one done action: an
    effectiveness check of nothing proves nothing (ISO 9001 10.2)."""
    if not nc.root_cause.strip():
        raise Invalid(f"Record the root cause before {what}.", field="root_cause")
    if not nc.actions.filter(status=ActionStatus.DONE).exists():
        raise Invalid(f"Add at least one action and mark it done before {what}.", field="actions")


def _last_done(nc: Nonconformance) -> dt.date | None:
    top: dt.date | None = nc.actions.filter(status=ActionStatus.DONE).aggregate(top=Max("done_on"))[
        "top"
    ]
    return top


@transaction.atomic
def verify_nonconformance(
    *,
    actor: User,
    nc: Nonconformance,
    expected_version: int | None,
    verification: str,
    effective: bool,
    verified_on: dt.date | None = None,
) -> Nonconformance:
    """The process owner records whether the actions worked (who, when, result)."""
    require_process_owner(actor, nc, "verify")
    _check_open(nc)
    open_count = _open_actions(nc)
    if open_count:
        raise Invalid(
            f"{open_count} action{'s are' if open_count != 1 else ' is'} still open: verify "
            "effectiveness once the actions are done.",
            field="actions",
        )
    verification = str(verification or "").strip()
    if not verification:
        raise Invalid("Say how effectiveness was checked and what was found.", field="verification")
    if effective:
        _check_grounds(nc, "finding the actions effective")
    day = verified_on or _today(nc)
    _not_before_raised(nc, day, "verified_on", "The verification date")
    _not_future(nc, day, "verified_on", "The verification date")
    last_done = _last_done(nc)
    if last_done is not None and day < last_done:
        raise Invalid(
            f"The verification date ({dates.format_day(day)}) cannot be before the last action "
            f"was done ({dates.format_day(last_done)}).",
            field="verified_on",
        )
    values = {
        "verification": verification,
        "effective": bool(effective),
        "verified_on": day,
        "verified_by": actor,
    }
    before = history.snapshot(nc, values)
    for key, value in values.items():
        setattr(nc, key, value)
    save_versioned(nc, expected_version=expected_version, fields=list(values))
    history.record(
        actor=actor,
        obj=nc,
        action="verified",
        changes=history.diff(before, history.snapshot(nc, values)),
        summary="Actions verified effective" if effective else "Actions found not effective",
    )
    return nc


@transaction.atomic
def close_nonconformance(
    *, actor: User, nc: Nonconformance, expected_version: int | None
) -> Nonconformance:
    """The process owner closes: containment recorded, every action done, verified effective."""
    require_process_owner(actor, nc, "close")
    _check_open(nc)
    open_count = _open_actions(nc)
    if open_count:
        raise Invalid(
            f"{nc.code} has {open_count} open action{'s' if open_count != 1 else ''}: "
            "finish or update them before closing.",
            field="actions",
        )
    if not nc.containment.strip():
        raise Invalid("Record the containment action before closing.", field="containment")
    if nc.effective is not True:
        message = (
            "The last verification found the actions not effective: add an action and verify "
            "again before closing."
            if nc.effective is False
            else "Verify the effectiveness of the actions again: an action changed after the "
            "last verification."
            if nc.verified_on is not None
            else "Verify the effectiveness of the actions before closing."
        )
        raise Invalid(message, field="verification")
    _check_grounds(nc, "closing")  # the root cause may have been cleared since
    nc.status, nc.closed_at, nc.closed_by = NcStatus.CLOSED, timezone.now(), actor
    save_versioned(
        nc, expected_version=expected_version, fields=["status", "closed_at", "closed_by"]
    )
    history.record(
        actor=actor,
        obj=nc,
        action="closed",
        changes={"status": [NcStatus.OPEN, NcStatus.CLOSED]},
        summary=f"{nc.code} closed",
    )
    return nc
