"""Reads for quality records, scoped to the user's organisations; constant queries per list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from twofold.accounts.models import Organisation
from twofold.core.errors import NotFound
from twofold.core.policy import Action, can
from twofold.quality.models import (
    ActionStatus,
    CapaAction,
    NcStatus,
    Nonconformance,
    Severity,
    Source,
)

STATUS_FILTERS = [("open", "Open"), ("closed", "Closed"), ("all", "All")]


def nonconformances_query() -> QuerySet[Nonconformance]:
    """Nonconformances with what their lists show, and their open and total action counts."""
    return Nonconformance.objects.select_related(
        "organisation",
        "process",
        "process__owner",
        "raised_by",
        "occurrence",
        "routine",
        "step",
        "request",
        "verified_by",
        "closed_by",
    ).annotate(
        open_actions=Count("actions", filter=Q(actions__status=ActionStatus.OPEN)),
        action_count=Count("actions"),
    )


@dataclass(frozen=True)
class Filters:
    """The list's filters from the query string (unknown values are ignored)."""

    status: str = "open"
    severity: str = ""
    process_id: int | None = None
    occurrence_id: int | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> Filters:
        status = str(query.get("status") or "open")
        severity = str(query.get("severity") or "")

        def number(key: str) -> int | None:
            raw = str(query.get(key) or "")
            return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None

        occurrence = number("occurrence")
        return cls(
            # A link from an occurrence shows its nonconformances whatever their status.
            status=status if status in {"open", "closed", "all"} else "open",
            severity=severity if severity in Severity.values else "",
            process_id=number("process"),
            occurrence_id=occurrence,
        )


def nonconformances_of(
    organisation: Organisation, filters: Filters | None = None
) -> list[Nonconformance]:
    """The organisation's nonconformances, newest first, filtered. One query."""
    f = filters or Filters()
    qs = nonconformances_query().filter(organisation=organisation)
    if f.occurrence_id is not None:
        qs = qs.filter(occurrence_id=f.occurrence_id)
    elif f.status in (NcStatus.OPEN, NcStatus.CLOSED):
        qs = qs.filter(status=f.status)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.process_id is not None:
        qs = qs.filter(process_id=f.process_id)
    return list(qs)


def counts_of(
    organisation: Organisation,
    process_id: int | None = None,
    *,
    severity: str = "",
    occurrence_id: int | None = None,
) -> dict[str, int]:
    """Open and closed counts for the status tabs (one query), under the list's other filters
    (severity, occurrence): a tab's count is the rows it shows."""
    qs = Nonconformance.objects.filter(organisation=organisation)
    if process_id is not None:
        qs = qs.filter(process_id=process_id)
    if severity:
        qs = qs.filter(severity=severity)
    if occurrence_id is not None:
        qs = qs.filter(occurrence_id=occurrence_id)
    row = qs.aggregate(
        open=Count("id", filter=Q(status=NcStatus.OPEN)),
        closed=Count("id", filter=Q(status=NcStatus.CLOSED)),
    )
    return {"open": row["open"], "closed": row["closed"], "all": row["open"] + row["closed"]}


def get_nonconformance(user: Any, pk: int) -> Nonconformance:
    """The nonconformance if ``user`` may see it, else ``NotFound``."""
    nc = nonconformances_query().filter(pk=pk).first()
    if nc is None or not can(user, Action.VIEW, nc):
        raise NotFound("Nonconformance not found.")
    return nc


def actions_of(nc: Nonconformance) -> list[CapaAction]:
    return list(nc.actions.select_related("owner", "created_by"))


def get_action(user: Any, pk: int) -> CapaAction:
    action = (
        CapaAction.objects.filter(pk=pk)
        .select_related("nonconformance", "nonconformance__process", "owner")
        .first()
    )
    if action is None or not can(user, Action.VIEW, action):
        raise NotFound("Action not found.")
    return action


def open_counts(organisation_id: int) -> dict[int, int]:
    """Open nonconformances per process (one query): the overview's process cards."""
    rows = (
        Nonconformance.objects.filter(
            organisation_id=organisation_id, status=NcStatus.OPEN, process__isnull=False
        )
        .values("process_id")
        .annotate(n=Count("id"))
        .values_list("process_id", "n")
    )
    return dict(rows)


@dataclass(frozen=True)
class SourceLink:
    """Where a nonconformance came from, in words, with a link when there is a page for it."""

    label: str
    url: str | None


def source_link(nc: Nonconformance) -> SourceLink:
    """A link to the occurrence, request or routine that produced ``nc`` (no query)."""
    if nc.occurrence_id is not None:
        step = f": {nc.step.text}" if nc.step is not None else ""
        routine = nc.routine.name if nc.routine is not None else "Occurrence"
        return SourceLink(
            f"{routine}{step}", reverse("operations:occurrence", args=[nc.occurrence_id])
        )
    if nc.request_id is not None and nc.request is not None:
        return SourceLink(
            f"Request #{nc.request_id} {nc.request.title}",
            reverse("operations:request", args=[nc.request_id]),
        )
    if nc.routine_id is not None and nc.routine is not None:
        return SourceLink(nc.routine.name, reverse("operations:routine", args=[nc.routine_id]))
    if nc.source == Source.MANUAL:
        return SourceLink("Raised by hand", None)
    return SourceLink(f"{nc.get_source_display()} (the record was deleted)", None)


def is_process_owner(user: Any, nc: Nonconformance) -> bool:
    """The process owner verifies and closes; an admin does when the process has no owner, or
    an owner who cannot (a guest, or someone who has left the organisation)."""
    if acting_owner(nc) is not None:
        return bool(nc.process.owner_id == getattr(user, "pk", None))  # type: ignore[union-attr]
    return can(user, Action.MANAGE, nc)


def acting_owner(nc: Nonconformance) -> Any:
    """The process owner when they may act on ``nc`` (EDIT, not VIEW: a guest who owns a process
    only reads, docs/quality.md); None otherwise."""
    process = nc.process
    if process is None or process.owner_id is None:
        return None
    owner = process.owner
    return owner if can(owner, Action.EDIT, nc) else None


def open_signals(organisation: Organisation) -> list[Nonconformance]:
    """Open nonconformances for the improvement signals page: critical first. One query."""
    order = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2}
    rows = list(nonconformances_query().filter(organisation=organisation, status=NcStatus.OPEN))
    rows.sort(key=lambda nc: (order.get(Severity(nc.severity), 3), -nc.number))
    return rows
