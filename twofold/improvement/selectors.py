"""Reads for continuous improvement: items, the operations signals worth acting on, handovers.

Every list is built with a constant number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from twofold.accounts.models import Organisation
from twofold.core import dates
from twofold.core.errors import NotFound
from twofold.core.policy import Action, can
from twofold.improvement.models import (
    OPEN_STATUSES,
    Handover,
    HandoverStatus,
    ImprovementItem,
    ItemStatus,
    Source,
)
from twofold.operations import selectors as ops
from twofold.operations.models import Kpi, Queue, Request, Routine

SLA_WINDOW_DAYS = 28
SLA_FLOOR = 0.9
ON_TIME_FLOOR = 0.8
KPI_STATES = ("signal", "off target")


# --- Items -----------------------------------------------------------------------------------


def items_of(organisation: Organisation) -> QuerySet[ImprovementItem]:
    return ImprovementItem.objects.filter(organisation=organisation).select_related(
        "owner", "process", "project", "kpi"
    )


def get_item(user: Any, pk: int) -> ImprovementItem:
    """The item if ``user`` may see it, else ``NotFound``."""
    item = (
        ImprovementItem.objects.filter(pk=pk)
        .select_related(
            "organisation", "owner", "process", "project", "kpi", "queue", "routine", "created_by"
        )
        .first()
    )
    if item is None or not can(user, Action.VIEW, item):
        raise NotFound("Improvement item not found.")
    return item


@dataclass
class Column:
    status: str
    label: str
    items: list[ImprovementItem]


BOARD_COLUMNS = [
    ItemStatus.NEW,
    ItemStatus.TRIAGED,
    ItemStatus.IN_PROGRESS,
    ItemStatus.DONE,
    ItemStatus.REJECTED,
]


def by_priority(items: Iterable[ImprovementItem]) -> list[ImprovementItem]:
    return sorted(items, key=lambda i: (-i.score, i.title.lower()))


def board(organisation: Organisation) -> list[Column]:
    """One column per status, the highest priority first: one query."""
    items = by_priority(items_of(organisation))
    return [
        Column(s.value, s.label, [i for i in items if i.status == s.value]) for s in BOARD_COLUMNS
    ]


def item_list(
    organisation: Organisation, *, status: str = "", source: str = "", sort: str = "priority"
) -> list[ImprovementItem]:
    qs = items_of(organisation)
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if sort == "newest":
        return list(qs)
    return by_priority(qs)


# --- Signals ---------------------------------------------------------------------------------


@dataclass
class SignalRow:
    """An operations signal worth acting on, and the open item already raised from it."""

    kind: str  # Source value: kpi, sla or routine
    obj: Kpi | Queue | Routine
    process_name: str
    headline: str
    evidence: str
    severity: str  # badge colour
    value: float | None = None
    item: ImprovementItem | None = None
    improving: bool = False

    @property
    def kind_label(self) -> str:
        return Source(self.kind).label


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _unit(value: float, unit: str) -> str:
    if not unit:
        return _num(value)
    return f"{_num(value)} {unit}" if unit != "%" else f"{_num(value)} %"


def _day(day: dt.date) -> str:
    return dates.format_day(day)


def _first_recent(view: ops.KpiView) -> ops.SignalView | None:
    """The earliest-starting signal that touches the last few points."""
    if view.chart is None:
        return None
    recent = [s for s in view.signals if s.last_index >= len(view.values) - ops.RECENT_POINTS]
    return min(recent, key=lambda s: s.dates[0]) if recent else None


def _improving(view: ops.KpiView) -> bool:
    """A signal in the good direction: worth locking in, less urgent than a bad one."""
    first = _first_recent(view) if view.state == "signal" else None
    if first is None:
        return False
    up = first.direction.startswith("above")
    return up == (view.kpi.good_direction == "up")


def _centre_of(view: ops.KpiView, signal: ops.SignalView) -> float:
    """The centre line of the phase the signal is in (the chart's, the last phase's, if none)."""
    assert view.chart is not None
    for phase in view.phases:
        if phase.chart is not None and phase.first <= signal.indices[0] < phase.stop:
            return phase.chart.centre_line
    return view.chart.centre_line


def kpi_evidence(view: ops.KpiView) -> str:
    """One sentence a person can check: what the KPI did and since when."""
    kpi = view.kpi
    latest = view.latest
    tail = ""
    if latest is not None:
        tail = f"latest {_unit(latest, kpi.unit)}, target {_unit(kpi.target, kpi.unit)}"
    if view.state == "signal" and view.chart is not None:
        first = _first_recent(view)
        if first is not None:
            side = "above" if first.direction.startswith("above") else "below"
            if first.rule == "beyond_limits":
                limit = "upper" if side == "above" else "lower"
                what = (
                    f"{_unit(first.values[-1], kpi.unit)} {side} the {limit} natural process "
                    f"limit on {_day(first.dates[-1])}"
                )
            elif first.rule == "run_of_eight":
                what = (
                    f"{len(first.dates)} points in a row {side} the centre line "
                    f"({_unit(_centre_of(view, first), kpi.unit)}) since {_day(first.dates[0])}"
                )
            else:
                what = f"{first.description.rstrip('.')} since {_day(first.dates[0])}"
            return f"{kpi.name}: {what}; {tail}." if tail else f"{kpi.name}: {what}."
    return f"{kpi.name}: off target, {tail}." if tail else f"{kpi.name}: off target."


def sla_windows(
    queues: list[Queue], now: dt.datetime | None = None
) -> dict[int, tuple[float | None, float | None, int]]:
    """Per queue: (attainment in the last 4 weeks, in the 4 weeks before, resolved lately).

    One grouped query on the (queue, resolved_at, resolution_met) index.
    """
    moment = now or timezone.now()
    recent = moment - dt.timedelta(days=SLA_WINDOW_DAYS)
    before = recent - dt.timedelta(days=SLA_WINDOW_DAYS)
    rows = (
        Request.objects.filter(queue_id__in=[q.pk for q in queues], resolved_at__gte=before)
        .values("queue_id")
        .annotate(
            now_n=Count("resolution_met", filter=Q(resolved_at__gte=recent)),
            now_met=Count("resolution_met", filter=Q(resolved_at__gte=recent, resolution_met=True)),
            then_n=Count("resolution_met", filter=Q(resolved_at__lt=recent)),
            then_met=Count("resolution_met", filter=Q(resolved_at__lt=recent, resolution_met=True)),
        )
    )
    out: dict[int, tuple[float | None, float | None, int]] = {}
    for r in rows:
        current = r["now_met"] / r["now_n"] if r["now_n"] else None
        previous = r["then_met"] / r["then_n"] if r["then_n"] else None
        out[r["queue_id"]] = (current, previous, r["now_n"])
    return out


def _pct(value: float) -> str:
    # Half up, as people round (round() goes to the even neighbour: 62.5 % read "62 %").
    return f"{math.floor(value * 100 + 0.5)} %"


def open_items_by_source(organisation: Organisation) -> dict[tuple[str, int], ImprovementItem]:
    """The open item raised from each KPI, queue or routine (one query)."""
    found: dict[tuple[str, int], ImprovementItem] = {}
    for item in ImprovementItem.objects.filter(
        organisation=organisation, status__in=OPEN_STATUSES
    ).exclude(source=Source.IDEA):
        key_id = {"kpi": item.kpi_id, "sla": item.queue_id, "routine": item.routine_id}.get(
            item.source
        )
        if key_id is not None:
            found.setdefault((item.source, key_id), item)
    return found


def open_item_from(kind: str, obj: Kpi | Queue | Routine) -> ImprovementItem | None:
    """The open item already raised from this KPI, queue or routine, if any (one query)."""
    key = {Source.KPI_SIGNAL: "kpi", Source.SLA_TREND: "queue", Source.ROUTINE_MISSES: "routine"}
    if kind not in key:
        return None
    return (
        ImprovementItem.objects.filter(
            organisation_id=obj.organisation_id,
            source=kind,
            status__in=OPEN_STATUSES,
            **{key[Source(kind)]: obj},
        )
        .order_by("created_at", "id")
        .first()
    )


def kpi_signals(kpis: Iterable[Kpi]) -> list[SignalRow]:
    rows = []
    for view in ops.kpi_views(kpis):
        if view.state not in KPI_STATES:
            continue
        kpi = view.kpi
        improving = _improving(view)
        rows.append(
            SignalRow(
                kind=Source.KPI_SIGNAL,
                obj=kpi,
                process_name=kpi.process.name,
                headline=f"{kpi.name} — {view.state_label.lower()}"
                + (" (improving)" if improving else ""),
                evidence=kpi_evidence(view),
                severity="green" if improving else view.state_badge,
                value=view.latest,
                improving=improving,
            )
        )
    return rows


def queue_signal(
    queue: Queue, window: tuple[float | None, float | None, int] | None
) -> SignalRow | None:
    if window is None or window[0] is None:
        return None
    previous, count = window[1], window[2]
    current: float = window[0]
    falling = previous is not None and current < previous - 0.05
    if current >= SLA_FLOOR and not falling:
        return None
    trend = ""
    if previous is not None:
        word = "down" if current < previous else "up" if current > previous else "level"
        trend = f", {word} from {_pct(previous)} the 4 weeks before"
    evidence = (
        f"{queue.name}: {_pct(current)} of {count} requests resolved within SLA in the last "
        f"4 weeks{trend} (floor {_pct(SLA_FLOOR)})."
    )
    return SignalRow(
        kind=Source.SLA_TREND,
        obj=queue,
        process_name=queue.process.name if queue.process else "",
        headline=f"{queue.name} — SLA {_pct(current)}" + (" and falling" if falling else ""),
        evidence=evidence,
        severity="red" if current < 0.75 else "amber",
        value=round(current * 100, 1),
    )


def routine_signal(routine: Routine) -> SignalRow | None:
    rate = ops.on_time_rate(routine)
    if rate is None or rate >= ON_TIME_FLOOR:
        return None
    total = routine.on_time_count + routine.late_count + routine.missed_count  # type: ignore[attr-defined]
    evidence = (
        f"{routine.name}: on time {_pct(rate)} over the last 90 days "
        f"({routine.on_time_count} on time, {routine.late_count} late, "  # type: ignore[attr-defined]
        f"{routine.missed_count} missed of {total})."  # type: ignore[attr-defined]
    )
    return SignalRow(
        kind=Source.ROUTINE_MISSES,
        obj=routine,
        process_name=routine.process.name,
        headline=f"{routine.name} — on time {_pct(rate)}",
        evidence=evidence,
        severity="red" if rate < 0.6 else "amber",
        value=round(rate * 100, 1),
    )


def signals(organisation: Organisation, now: dt.datetime | None = None) -> list[SignalRow]:
    """KPIs out of control or off target, queues under 90 % SLA or falling, routines under
    80 % on time; each with the open item already raised from it. Six queries."""
    # Nothing of an archived process signals (archiving a process leaves its KPIs, queues and
    # routines as they are, but hides them from the improvement signals: docs/operations.md).
    live = {"process__archived_at__isnull": False}
    kpis = list(ops.kpis_of(organisation).filter(state__in=KPI_STATES).exclude(**live))
    rows = kpi_signals(kpis)
    queues = list(ops.queues_of(organisation).exclude(**live))
    windows = sla_windows(queues, now)
    for queue in queues:
        row = queue_signal(queue, windows.get(queue.pk))
        if row is not None:
            rows.append(row)
    routines = ops.with_on_time(
        ops.routines_of(organisation).filter(active=True).exclude(**live).select_related("process"),
        now,
    )
    for routine in routines:
        row = routine_signal(routine)
        if row is not None:
            rows.append(row)
    raised = open_items_by_source(organisation)
    for row in rows:
        row.item = raised.get((row.kind, row.obj.pk))
    order = {"red": 0, "amber": 1}
    rows.sort(key=lambda r: (r.item is not None, order.get(r.severity, 2), r.headline))
    return rows


def signal_for(kind: str, obj: Kpi | Queue | Routine) -> SignalRow | None:
    """The current signal of one KPI, queue or routine (None if it is not signalling now)."""
    if kind == Source.KPI_SIGNAL and isinstance(obj, Kpi):
        found = kpi_signals([obj])
        return found[0] if found else None
    if kind == Source.SLA_TREND and isinstance(obj, Queue):
        return queue_signal(obj, sla_windows([obj]).get(obj.pk))
    if kind == Source.ROUTINE_MISSES and isinstance(obj, Routine):
        routine = ops.with_on_time(Routine.objects.filter(pk=obj.pk).select_related("process"))
        first = routine.first()
        return routine_signal(first) if first is not None else None
    return None


def source_object(user: Any, kind: str, pk: int) -> Kpi | Queue | Routine:
    """The KPI, queue or routine a signal comes from, if the user may see it."""
    getters: dict[str, Callable[[Any, int], Kpi | Queue | Routine]] = {
        Source.KPI_SIGNAL.value: ops.get_kpi,
        Source.SLA_TREND.value: ops.get_queue,
        Source.ROUTINE_MISSES.value: ops.get_routine,
    }
    getter = getters.get(kind)
    if getter is None:
        raise NotFound("Unknown signal source.")
    obj: Kpi | Queue | Routine = getter(user, pk)
    return obj


# --- Handovers -------------------------------------------------------------------------------


def handovers_query() -> QuerySet[Handover]:
    return Handover.objects.select_related(
        "project",
        "project__manager",
        "process",
        "process__owner",
        "new_process_owner",
        "proposed_by",
        "decided_by",
    )


def handovers_of(
    organisation: Organisation, *, status: str = "", owner_id: int | None = None
) -> list[Handover]:
    qs = handovers_query().filter(organisation=organisation)
    if status:
        qs = qs.filter(status=status)
    if owner_id is not None:
        qs = qs.filter(
            Q(process__owner_id=owner_id) | Q(process__isnull=True, new_process_owner_id=owner_id)
        )
    return list(qs)


def pending_handovers(organisation: Organisation) -> list[Handover]:
    return handovers_of(organisation, status=HandoverStatus.PROPOSED)


def get_handover(user: Any, pk: int) -> Handover:
    handover = handovers_query().select_related("organisation").filter(pk=pk).first()
    if handover is None or not can(user, Action.VIEW, handover):
        raise NotFound("Handover not found.")
    return handover


def handovers_for_project(project_id: int) -> list[Handover]:
    return list(handovers_query().filter(project_id=project_id))


def items_for_project(project_id: int) -> list[ImprovementItem]:
    return list(ImprovementItem.objects.filter(project_id=project_id))


def project_card(organisation: Organisation, project_id: int) -> Any:
    """The linked project's live progress and health from the projects selectors."""
    from twofold.projects import selectors as projects

    for card in projects.portfolio(organisation, sparklines=False):
        if card.project.pk == project_id:
            return card
    return None
