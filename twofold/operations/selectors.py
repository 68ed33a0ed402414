"""Reads for operations: every query scoped to what the user may see; metrics via the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from twofold.accounts.models import Organisation
from twofold.core.errors import NotFound
from twofold.engine.control_charts import ChartRule, Signal, XmrChart, xmr_chart
from twofold.engine.kpi_status import GoodDirection as EngineDirection
from twofold.engine.kpi_status import KpiStatus, kpi_status
from twofold.engine.sla import SlaClock, SlaState, pauses_from_changes, sla_clock
from twofold.operations.calendars import engine_calendar, local
from twofold.operations.models import (
    WAITING_STATUSES,
    BusinessCalendar,
    Kpi,
    Measurement,
    Occurrence,
    OccurrenceStatus,
    Process,
    Queue,
    Request,
    RequestEvent,
    Routine,
    RoutineStep,
    SpendEntry,
    Status,
    StepEvidence,
)

RULE_TEXT: dict[ChartRule, str] = {
    ChartRule.BEYOND_LIMITS: "A point outside the natural process limits.",
    ChartRule.RUN_OF_EIGHT: "Eight or more points in a row on the same side of the centre line.",
    ChartRule.TWO_OF_THREE_BEYOND_TWO_SIGMA: "Two of three points beyond two sigma on one side.",
    ChartRule.FOUR_OF_FIVE_BEYOND_ONE_SIGMA: "Four of five points beyond one sigma on one side.",
    ChartRule.TREND_OF_SIX: "Six points in a row each rising (or each falling).",
    ChartRule.MOVING_RANGE_ABOVE_LIMIT: "A jump between two points above the upper range limit.",
}
RECENT_POINTS = 8
"""A signal touching one of the last this-many points makes a KPI "signal" on the overview."""
METRICS_DAYS = 90


M = TypeVar("M", bound=models.Model)


def _visible(qs: QuerySet[M], user: Any) -> QuerySet[M]:
    return qs.filter(organisation__memberships__user_id=user.pk)


def _one(qs: QuerySet[M], user: Any, pk: int, what: str) -> M:
    obj = _visible(qs, user).filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{what} not found.")
    return obj


# --- Lookups ---------------------------------------------------------------------------------


def processes_of(organisation: Organisation) -> QuerySet[Process]:
    return Process.objects.filter(organisation=organisation).select_related("owner", "team")


def get_process(user: Any, pk: int) -> Process:
    return _one(
        Process.objects.select_related("owner", "team", "organisation"), user, pk, "Process"
    )


def calendars_of(organisation: Organisation) -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.filter(organisation=organisation)


def kpis_of(organisation: Organisation) -> QuerySet[Kpi]:
    return Kpi.objects.filter(organisation=organisation).select_related("process")


def get_kpi(user: Any, pk: int) -> Kpi:
    return _one(Kpi.objects.select_related("process", "organisation"), user, pk, "KPI")


def queues_of(organisation: Organisation) -> QuerySet[Queue]:
    return (
        Queue.objects.filter(organisation=organisation)
        .select_related("calendar", "process")
        .annotate(
            open_count=Count("requests", filter=~Q(requests__status__in=["resolved", "closed"]))
        )
    )


def get_queue(user: Any, pk: int) -> Queue:
    return _one(
        Queue.objects.select_related("calendar", "process", "organisation"), user, pk, "Queue"
    )


def requests_query() -> QuerySet[Request]:
    return Request.objects.select_related(
        "queue", "queue__calendar", "queue__organisation", "requester", "assignee"
    ).prefetch_related(Prefetch("events", queryset=RequestEvent.objects.order_by("at", "id")))


def get_request(user: Any, pk: int) -> Request:
    return _one(requests_query(), user, pk, "Request")


def routines_of(organisation: Organisation) -> QuerySet[Routine]:
    return Routine.objects.filter(organisation=organisation).select_related("process", "assignee")


def get_routine(user: Any, pk: int) -> Routine:
    return _one(
        Routine.objects.select_related("process", "assignee", "calendar", "organisation"),
        user,
        pk,
        "Routine",
    )


def get_occurrence(user: Any, pk: int) -> Occurrence:
    return _one(
        Occurrence.objects.select_related(
            "routine", "routine__process", "routine__organisation", "completed_by"
        ),
        user,
        pk,
        "Occurrence",
    )


def steps_of(routine_id: int) -> list[RoutineStep]:
    return list(RoutineStep.objects.filter(routine_id=routine_id))


def evidence_of(occurrence: Occurrence) -> list[StepEvidence]:
    return list(StepEvidence.objects.filter(occurrence=occurrence).select_related("step"))


# --- KPIs ------------------------------------------------------------------------------------


@dataclass
class SignalView:
    rule: str
    description: str
    direction: str
    dates: list[dt.date]
    values: list[float]


@dataclass
class KpiView:
    """A KPI with its series, XmR chart, latest status and overall state."""

    kpi: Kpi
    dates: list[dt.date]
    values: list[float]
    chart: XmrChart | None
    signals: list[SignalView]
    latest: float | None
    status: KpiStatus | None
    recent_signal: bool
    baseline_dates: tuple[dt.date, dt.date] | None

    @property
    def state(self) -> str:
        if self.status is None:
            return "no data"
        if self.recent_signal:
            return "signal"
        if self.status is not KpiStatus.GREEN:
            return "off target"
        return "in control"

    @property
    def state_badge(self) -> str:
        return {"signal": "red", "off target": "amber", "in control": "green"}.get(self.state, "")

    @property
    def status_badge(self) -> str:
        return self.status.value if self.status is not None else ""

    def chart_data(self) -> dict[str, Any]:
        """What the Chart.js script draws (passed with json_script)."""
        flagged: set[int] = set()
        for s in self.chart.signals if self.chart else ():
            flagged.update(s.indices)
        return {
            "labels": [d.isoformat() for d in self.dates],
            "values": self.values,
            "signal": [i in flagged for i in range(len(self.values))],
            "centre": self.chart.centre_line if self.chart else None,
            "lower": self.chart.lower_natural_process_limit if self.chart else None,
            "upper": self.chart.upper_natural_process_limit if self.chart else None,
            "target": self.kpi.target,
            "unit": self.kpi.unit,
            "name": self.kpi.name,
        }


def _baseline(kpi: Kpi, dates: Sequence[dt.date]) -> slice | None:
    if kpi.baseline_start is None and kpi.baseline_end is None:
        return None
    lo = kpi.baseline_start or dt.date.min
    hi = kpi.baseline_end or dt.date.max
    idx = [i for i, d in enumerate(dates) if lo <= d <= hi]
    if len(idx) < 2:
        return None
    return slice(idx[0], idx[-1] + 1)


def kpi_view(kpi: Kpi, measurements: Iterable[Measurement]) -> KpiView:
    rows = sorted(measurements, key=lambda m: m.measured_on)
    dates = [m.measured_on for m in rows]
    values = [float(m.value) for m in rows]
    chart = None
    base = _baseline(kpi, dates)
    if len(values) >= 2:
        chart = xmr_chart(values, baseline=base)
    signals: list[SignalView] = []
    recent = False
    for s in chart.signals if chart else ():
        signals.append(_signal_view(s, dates, values))
        if max(s.indices) >= len(values) - RECENT_POINTS:
            recent = True
    latest = values[-1] if values else None
    status = None
    if latest is not None:
        status = kpi_status(
            latest,
            target=kpi.target,
            good_direction=EngineDirection(kpi.good_direction),
            red_threshold=kpi.red_threshold,
            amber_threshold=kpi.amber_threshold,
        )
    baseline_dates = None
    if chart is not None:
        b = chart.baseline
        baseline_dates = (dates[b.start], dates[b.stop - 1])
    return KpiView(kpi, dates, values, chart, signals, latest, status, recent, baseline_dates)


def _signal_view(signal: Signal, dates: Sequence[dt.date], values: Sequence[float]) -> SignalView:
    return SignalView(
        rule=signal.rule.value,
        description=RULE_TEXT[signal.rule],
        direction="above / rising" if signal.direction.value == "up" else "below / falling",
        dates=[dates[i] for i in signal.indices],
        values=[values[i] for i in signal.indices],
    )


def kpi_views(kpis: Iterable[Kpi]) -> list[KpiView]:
    """Views for many KPIs with one query for all their measurements."""
    kpi_list = list(kpis)
    by_kpi: dict[int, list[Measurement]] = {k.pk: [] for k in kpi_list}
    for m in Measurement.objects.filter(kpi_id__in=list(by_kpi)).order_by("measured_on"):
        by_kpi[m.kpi_id].append(m)
    return [kpi_view(k, by_kpi[k.pk]) for k in kpi_list]


# --- Requests and SLAs -----------------------------------------------------------------------


@dataclass
class RequestView:
    request: Request
    response: SlaClock
    resolution: SlaClock

    @property
    def paused(self) -> bool:
        return self.resolution.paused

    @property
    def badge(self) -> str:
        return _SLA_BADGE[self.resolution.state]

    @property
    def remaining_text(self) -> str:
        return format_minutes(self.resolution.remaining_minutes)

    @property
    def response_text(self) -> str:
        return format_minutes(self.response.remaining_minutes)


_SLA_BADGE = {
    SlaState.ON_TRACK: "green",
    SlaState.MET: "green",
    SlaState.WARNING: "amber",
    SlaState.BREACHED: "red",
}


def format_minutes(minutes: float) -> str:
    """Business time as "3 h 20 min"; negative amounts read "overdue by …"."""
    sign = "overdue by " if minutes < 0 else ""
    total = round(abs(minutes))
    hours, mins = divmod(total, 60)
    if hours and mins:
        text = f"{hours} h {mins} min"
    elif hours:
        text = f"{hours} h"
    else:
        text = f"{mins} min"
    return sign + text


def request_view(request: Request, now: dt.datetime | None = None) -> RequestView:
    """Both SLA clocks of a request (its events must be prefetched for constant queries)."""
    queue = request.queue
    zone = queue.organisation.timezone
    cal = engine_calendar(queue.calendar)
    moment = local(now or timezone.now(), zone)
    events = list(request.events.all())
    pauses = pauses_from_changes(
        [(local(e.at, zone), e.to_status in WAITING_STATUSES) for e in events]
    )
    start = local(request.created_at, zone)
    response = sla_clock(
        cal,
        start=start,
        now=moment,
        target_minutes=queue.target_minutes(request.priority, "response"),
        pauses=pauses,
        stopped_at=local(request.first_response_at, zone) if request.first_response_at else None,
    )
    resolution = sla_clock(
        cal,
        start=start,
        now=moment,
        target_minutes=queue.target_minutes(request.priority, "resolution"),
        pauses=pauses,
        stopped_at=local(request.resolved_at, zone) if request.resolved_at else None,
    )
    return RequestView(request, response, resolution)


def queue_requests(
    queue: Queue, *, open_only: bool = False, now: dt.datetime | None = None
) -> list[RequestView]:
    """Requests of a queue with their clocks, sorted by business time left to breach."""
    qs = requests_query().filter(queue=queue)
    if open_only:
        qs = qs.exclude(status__in=[Status.RESOLVED, Status.CLOSED])
    views = [request_view(r, now) for r in qs]
    views.sort(key=lambda v: (v.resolution.stopped, v.resolution.remaining_minutes))
    return views


def sla_attainment(views: Iterable[RequestView]) -> float | None:
    """Share of stopped resolution clocks that met their target (None if none stopped)."""
    stopped = [v for v in views if v.resolution.stopped]
    if not stopped:
        return None
    return sum(v.resolution.state is SlaState.MET for v in stopped) / len(stopped)


# --- Routines --------------------------------------------------------------------------------


def with_on_time(qs: QuerySet[Routine], now: dt.datetime | None = None) -> QuerySet[Routine]:
    """Annotate on-time, late, missed and open counts over occurrences due in the last 90 days."""
    moment = now or timezone.now()
    since = moment - dt.timedelta(days=METRICS_DAYS)
    window = Q(occurrences__due__gte=since, occurrences__due__lte=moment)
    done = Q(occurrences__status=OccurrenceStatus.DONE)
    return qs.annotate(
        on_time_count=Count(
            "occurrences",
            filter=window & done & Q(occurrences__completed_at__lte=F("occurrences__due")),
        ),
        late_count=Count(
            "occurrences",
            filter=window & done & Q(occurrences__completed_at__gt=F("occurrences__due")),
        ),
        missed_count=Count(
            "occurrences", filter=window & Q(occurrences__status=OccurrenceStatus.MISSED)
        ),
        overdue_count=Count(
            "occurrences",
            filter=Q(occurrences__status=OccurrenceStatus.OPEN, occurrences__due__lt=moment),
        ),
    )


def on_time_rate(routine: Any) -> float | None:
    total = routine.on_time_count + routine.late_count + routine.missed_count
    return routine.on_time_count / total if total else None


# --- Overview --------------------------------------------------------------------------------


@dataclass
class ProcessCard:
    process: Process
    kpis: list[KpiView] = field(default_factory=list)
    sla: float | None = None
    open_requests: int = 0
    on_time: float | None = None
    spent: Decimal = Decimal(0)

    @property
    def budget_use(self) -> float | None:
        budget = self.process.annual_budget
        return float(self.spent / budget) if budget else None

    @property
    def budget_badge(self) -> str:
        use = self.budget_use
        if use is None:
            return ""
        return "red" if use > 1 else "amber" if use > year_elapsed() + 0.1 else "green"


def year_elapsed(today: dt.date | None = None) -> float:
    day = today or dt.date.today()
    start = dt.date(day.year, 1, 1)
    return (day - start).days / 365.0


def spend_this_year(process_ids: Sequence[int], year: int) -> dict[int, Decimal]:
    rows = (
        SpendEntry.objects.filter(process_id__in=process_ids, spent_on__year=year)
        .values("process_id")
        .annotate(total=Sum("amount"))
    )
    return {r["process_id"]: r["total"] or Decimal(0) for r in rows}


def overview(organisation: Organisation, now: dt.datetime | None = None) -> list[ProcessCard]:
    """One card per process; a constant number of queries whatever the data size."""
    moment = now or timezone.now()
    processes = list(processes_of(organisation))
    cards = {p.pk: ProcessCard(p) for p in processes}
    for view in kpi_views(kpis_of(organisation)):
        cards[view.kpi.process_id].kpis.append(view)
    since = moment - dt.timedelta(days=METRICS_DAYS)
    recent = requests_query().filter(queue__organisation=organisation, queue__process__isnull=False)
    recent = recent.filter(Q(resolved_at__gte=since) | Q(resolved_at__isnull=True))
    by_process: dict[int, list[RequestView]] = {}
    for r in recent:
        by_process.setdefault(r.queue.process_id or 0, []).append(request_view(r, moment))
    for pid, views in by_process.items():
        if pid in cards:
            cards[pid].sla = sla_attainment(views)
            cards[pid].open_requests = sum(not v.resolution.stopped for v in views)
    totals: dict[int, list[int]] = {}
    routine: Any
    for routine in with_on_time(routines_of(organisation), moment):
        t = totals.setdefault(routine.process_id, [0, 0])
        t[0] += routine.on_time_count
        t[1] += routine.on_time_count + routine.late_count + routine.missed_count
    for pid, (good, total) in totals.items():
        cards[pid].on_time = good / total if total else None
    for pid, spent in spend_this_year(list(cards), moment.date().year).items():
        cards[pid].spent = spent
    return [cards[p.pk] for p in processes]
