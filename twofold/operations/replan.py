"""Routines' coming occurrences made again when what placed them changes: a calendar that
shifts them (a holiday added or removed, other working hours) or the organisation's time
zone. Those were left as generated: a new 31 December holiday left both 30 and 31 December in
the month, and a new time zone doubled every routine's occurrences (one at the old hour, one
at the new), each later marked missed.

Registered in ``OperationsConfig.ready``: as a calendar user (``calendars.usage``, so a calendar
change reaches routines without ``calendars`` importing operations) and as a listener of
organisation changes (``accounts.services.ORGANISATION_CHANGED``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Organisation
from twofold.calendars import usage
from twofold.core.concurrency import lock_rows
from twofold.operations.models import Occurrence, OccurrenceStatus, Routine, ShiftRule

__all__ = ["register", "replan"]


def replan(routines: Iterable[Routine]) -> int:
    """Drop the open occurrences of ``routines`` not yet due (none holding evidence uploaded
    ahead: they stay, with it) and make them again after the commit; returns how many
    routines. Inside the caller's transaction."""
    from twofold.operations.services import generate_occurrences

    chosen = [r for r in routines if r.active and r.archived_at is None]
    if not chosen:
        return 0
    # Locked first, in one order: a worker's generation pass holds a routine's lock while it
    # inserts, so it either finishes before this delete (which then drops its rows) or waits
    # and reads the new calendar or time zone (it put the old schedule back after the delete).
    lock_rows(Routine.all_objects.filter(pk__in=[r.pk for r in chosen]))
    Occurrence.objects.filter(
        routine__in=chosen, status=OccurrenceStatus.OPEN, due__gt=timezone.now()
    ).exclude(evidence__isnull=False).delete()
    transaction.on_commit(lambda: generate_occurrences(routines=chosen))
    return len(chosen)


def _on_calendars(organisation_id: int, ids: Sequence[int]) -> list[Routine]:
    return list(
        Routine.objects.filter(organisation_id=organisation_id, calendar_id__in=list(ids))
        .exclude(shift=ShiftRule.NONE)
        .select_related("organisation", "calendar")
    )


def _size(organisation_id: int, ids: Sequence[int], default: bool) -> int:
    return 0  # a few routines: never worth a background job of their own


def _reschedule(
    actor: Any,
    organisation_id: int,
    ids: Sequence[int],
    default: bool,
    reason: str,
    progress: usage.Progress | None,
) -> usage.Moved:
    moved = usage.Moved()
    moved.routines = replan(_on_calendars(organisation_id, ids))
    return moved


def _on_organisation(actor: Any, organisation: Organisation, changes: Mapping[str, Any]) -> None:
    if "timezone" in changes:
        replan(
            Routine.objects.filter(organisation=organisation).select_related(
                "organisation", "calendar"
            )
        )


def register() -> None:
    from twofold.accounts.services import ORGANISATION_CHANGED

    usage.register(usage.CalendarUser("routines", _size, _reschedule))
    if _on_organisation not in ORGANISATION_CHANGED:
        ORGANISATION_CHANGED.append(_on_organisation)
