"""The seam between operations and quality records: deviations found while running operations.

Operations finds deviations (a reading outside a step's limits, a failed check, a missed
occurrence of a critical routine, a breached SLA on a queue that asks for it) but does not know
what a nonconformance is: the ``quality`` app sits above operations and registers a
:class:`QualityPort` in its ``AppConfig.ready``. Operations reports each deviation inside the
transaction that records it, so the nonconformance and the record are saved together or not at
all; the port opens it idempotently (one per source), so a rerun or a second worker never
duplicates one. It also answers the open counts the overview shows on each process card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from twofold.operations.models import Occurrence, Request, Routine, RoutineStep


class Kind(StrEnum):
    OUT_OF_LIMITS = "out_of_limits"
    FAILED_CHECK = "failed_check"
    MISSED_ROUTINE = "missed_routine"
    SLA_BREACH = "sla_breach"


@dataclass(frozen=True)
class Deviation:
    """One deviation and where it came from (an occurrence's step, an occurrence, a request)."""

    kind: Kind
    organisation_id: int
    process_id: int | None
    title: str
    detail: str
    actor: Any = None  # the person who recorded it, None for the worker
    occurrence: Occurrence | None = None
    step: RoutineStep | None = None
    routine: Routine | None = None
    request: Request | None = None
    reading: float | None = None


class QualityPort(Protocol):
    def on_deviations(self, deviations: Sequence[Deviation]) -> None: ...

    def open_counts(self, organisation_id: int) -> dict[int, int]: ...


_port: QualityPort | None = None


def connect(port: QualityPort) -> None:
    """Called once by the quality app when Django starts."""
    global _port
    _port = port


def report(deviations: Sequence[Deviation]) -> None:
    """Hand deviations to quality (inside the caller's transaction); nothing when none."""
    if deviations and _port is not None:
        _port.on_deviations(deviations)


def open_counts(organisation_id: int) -> dict[int, int]:
    """Open nonconformances per process id (one query), for the overview's cards."""
    return _port.open_counts(organisation_id) if _port is not None else {}
