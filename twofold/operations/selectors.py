"""Reads for operations: every query scoped to what the user may see; metrics via the engine."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from django.db import connections, models, router
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import floatformat
from django.utils import timezone

from twofold.accounts.fiscal import fiscal_year_bounds, fiscal_year_of, today_of
from twofold.accounts.models import ROLE_RANK, Membership, Organisation, Role, User
from twofold.core.errors import Forbidden, NotFound
from twofold.core.fastread import FastRead, RawRows, Read
from twofold.core.policy import role_in
from twofold.engine.calendars import (
    CalendarRangeError,
    add_working_minutes,
    working_minutes_between,
)
from twofold.engine.control_charts import ChartRule, Signal, XmrChart, xmr_chart
from twofold.engine.kpi_status import GoodDirection as EngineDirection
from twofold.engine.kpi_status import KpiStatus, kpi_status
from twofold.engine.sla import (
    SlaClock,
    SlaState,
    pauses_from_changes,
    sla_clock,
    working_minutes_excluding,
)
from twofold.operations import deviations
from twofold.operations.calendars import (
    aware,
    engine_calendar,
    local,
    wall_clock,
    wall_clock_segments,
)
from twofold.operations.models import (
    DONE_STATUSES,
    KPI_STATE_LABELS,
    KPI_STATUS_LABELS,
    WAITING_STATUSES,
    BusinessCalendar,
    ChangePoint,
    GoodDirection,
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


def _archive_filter(qs: QuerySet[M], archived: bool | None) -> QuerySet[M]:
    """``archived``: False (the default everywhere) hides archived rows, True shows only them,
    None shows both (reports)."""
    if archived is None:
        return qs
    return qs.filter(archived_at__isnull=not archived)


def processes_of(organisation: Organisation, archived: bool | None = False) -> QuerySet[Process]:
    return _archive_filter(
        Process.objects.filter(organisation=organisation).select_related("owner", "team"), archived
    )


def _archived_of_process(model: type[models.Model]) -> str:
    table = model._meta.db_table
    return (
        f"(SELECT COUNT(*) FROM {table} c WHERE c.process_id = %s"  # noqa: S608 - model tables
        " AND c.archived_at IS NOT NULL AND c.deleted_at IS NULL)"
    )


_ARCHIVED_CHILDREN = RawRows(
    Process, "SELECT " + " + ".join(_archived_of_process(m) for m in (Kpi, Routine, Queue))
)


def archived_children(process: Process) -> int:
    """How many of the process's KPIs, routines and queues are archived (for "Show archived"):
    one statement."""
    return int(_ARCHIVED_CHILDREN.rows(*archived_children_read(process.pk)[1])[0][0])


def archived_children_read(process_id: int) -> Read:
    """:func:`archived_children`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    return _ARCHIVED_CHILDREN, [process_id] * 3


def _fast_one(model: type[M], related: tuple[str, ...]) -> FastRead[M]:
    """``_one``'s read of ``model`` (live rows of an organisation the user belongs to, with
    ``related`` joined as ``select_related`` joins them), compiled once (core/fastread.py)."""
    return FastRead(
        model,
        "t.id = %s AND t.deleted_at IS NULL AND t.organisation_id IN"  # noqa: S608 - model table
        f" (SELECT m.organisation_id FROM {Membership._meta.db_table} m WHERE m.user_id = %s)",
        related=related,
    )


def _fast_get(read: FastRead[M], user: Any, pk: int, what: str) -> M:
    obj = read.first([pk, user.pk])
    if obj is None:
        raise NotFound(f"{what} not found.")
    return obj


_PROCESS = _fast_one(Process, ("owner", "team", "organisation"))
_KPI = _fast_one(Kpi, ("process", "organisation"))


def get_process(user: Any, pk: int) -> Process:
    return _fast_get(_PROCESS, user, pk, "Process")


def sees_process_money(user: Any, process: Process) -> bool:
    """The one rule for a process's money (its annual budget, spend, fiscal-year budgets and
    costs): admins and owners of the organisation, and the process owner while a member. A
    guest never sees money, even one still named the process's owner (a member demoted to
    guest keeps the processes they owned). ``costs.selectors.sees_process_money`` is this."""
    role = role_in(user, process.organisation_id)
    if role is None or role == Role.GUEST:
        return False
    if ROLE_RANK[role] >= ROLE_RANK[Role.ADMIN]:
        return True
    return process.owner_id is not None and process.owner_id == getattr(user, "pk", None)


def require_process_money(user: Any, process: Process) -> None:
    """``Forbidden`` (403, no amounts) for someone who sees the process but not its money; the
    caller has already found the process (404 for those who may not see it)."""
    if not sees_process_money(user, process):
        raise Forbidden("Budgets and spend of a process are for its owner and admins.")


def process_read(user: Any, pk: int) -> Read:
    """:func:`get_process`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    return _PROCESS, [pk, user.pk]


def calendars_of(organisation: Organisation) -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.filter(organisation=organisation)


def get_calendar(user: Any, pk: int) -> BusinessCalendar:
    return _one(BusinessCalendar.objects.select_related("organisation"), user, pk, "Calendar")


def kpis_of(organisation: Organisation, archived: bool | None = False) -> QuerySet[Kpi]:
    return _archive_filter(
        Kpi.objects.filter(organisation=organisation).select_related("process"), archived
    )


def get_kpi(user: Any, pk: int) -> Kpi:
    return _fast_get(_KPI, user, pk, "KPI")


OPEN_STATUSES = [Status.NEW, Status.IN_PROGRESS, Status.WAITING]
OPEN_STATUS_VALUES = [str(s.value) for s in OPEN_STATUSES]


def queues_of(organisation: Organisation, archived: bool | None = False) -> QuerySet[Queue]:
    return _archive_filter(
        Queue.objects.filter(organisation=organisation).select_related("calendar", "process"),
        archived,
    )


def with_open_counts(queues: Iterable[Queue]) -> list[Queue]:
    """The queues, each with ``open_count``: one grouped query on the (queue, status) index."""
    listed = list(queues)
    counts = dict(
        Request.objects.filter(queue_id__in=[q.pk for q in listed], status__in=OPEN_STATUSES)
        .values("queue_id")
        .annotate(n=Count("id"))
        .values_list("queue_id", "n")
    )
    for q in listed:
        q.open_count = counts.get(q.pk, 0)  # type: ignore[attr-defined]
    return listed


_QUEUE = _fast_one(Queue, ("calendar", "process", "organisation"))


def get_queue(user: Any, pk: int) -> Queue:
    return _fast_get(_QUEUE, user, pk, "Queue")


def queue_read(user: Any, pk: int) -> Read:
    """:func:`get_queue`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    return _QUEUE, [pk, user.pk]


def requests_query() -> QuerySet[Request]:
    return Request.objects.select_related(
        "queue", "queue__calendar", "queue__organisation", "requester", "assignee"
    ).prefetch_related(Prefetch("events", queryset=RequestEvent.objects.order_by("at", "id")))


_REQUEST = _fast_one(Request, ("requester", "assignee"))
# The request's queue (with what the page shows of it) found from the request's id, so that it
# is read ahead with the request itself (one round trip on PostgreSQL) rather than after it,
# from its ``queue_id``; the request's own read does not join it again.
_QUEUE_OF_REQUEST = FastRead(
    Queue,
    f't.id = (SELECT q.queue_id FROM "{Request._meta.db_table}" q WHERE q.id = %s)',  # noqa: S608
    related=("calendar", "organisation"),
)
_EVENTS_OF = FastRead(RequestEvent, "t.request_id = %s", order_by="t.at, t.id", related="actor")


def request_reads(user: Any, pk: int) -> list[Read]:
    """:func:`get_request`'s reads of the request, its queue and its events, to read ahead
    (``core.fastread.one_round_trip``)."""
    return [(_REQUEST, [pk, user.pk]), (_QUEUE_OF_REQUEST, [pk]), (_EVENTS_OF, [pk])]


def get_request(user: Any, pk: int) -> Request:
    """The request with its queue (its calendar and organisation joined), requester, assignee,
    and its events with their actors (the page lists them): three compiled reads, the events
    kept as ``prefetch_related`` keeps them (``request.events.all()`` reads nothing)."""
    req = _fast_get(_REQUEST, user, pk, "Request")
    queue = _QUEUE_OF_REQUEST.first([req.pk])
    assert queue is not None  # a request's queue lives as long as it (trashed together)
    req.queue = queue
    _set_events(req, _EVENTS_OF.all([req.pk]))
    return req


def _set_events(req: Request, found: list[RequestEvent]) -> None:
    """Keep ``found`` (the request's events in order) as ``prefetch_related`` keeps them."""
    events: QuerySet[RequestEvent] = QuerySet(RequestEvent)  # not the manager's: no filter built
    events._result_cache = found
    events._prefetch_done = True  # type: ignore[attr-defined]
    req._prefetched_objects_cache = {"events": events}  # type: ignore[attr-defined]


def routines_of(organisation: Organisation, archived: bool | None = False) -> QuerySet[Routine]:
    return _archive_filter(
        Routine.objects.filter(organisation=organisation).select_related("process", "assignee"),
        archived,
    )


_ROUTINE = _fast_one(Routine, ("process", "assignee", "calendar", "organisation"))


def get_routine(user: Any, pk: int) -> Routine:
    return _fast_get(_ROUTINE, user, pk, "Routine")


def routine_read(user: Any, pk: int) -> Read:
    """:func:`get_routine`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    return _ROUTINE, [pk, user.pk]


def get_occurrence(user: Any, pk: int) -> Occurrence:
    return _one(
        Occurrence.objects.select_related(
            "routine", "routine__process", "routine__organisation", "completed_by"
        ),
        user,
        pk,
        "Occurrence",
    )


_STEPS_OF = FastRead(
    RoutineStep, "t.routine_id = %s AND t.retired = %s", order_by="t.position, t.id"
)


def steps_of(routine_id: int) -> list[RoutineStep]:
    """The routine's current checklist steps in order (one compiled read)."""
    return _STEPS_OF.all([routine_id, False])


def evidence_of(occurrence: Occurrence) -> list[StepEvidence]:
    return list(
        StepEvidence.objects.filter(occurrence=occurrence).select_related("step", "uploaded_by")
    )


def get_step(occurrence: Occurrence, step_id: int) -> RoutineStep:
    step = RoutineStep.objects.filter(
        pk=step_id, routine_id=occurrence.routine_id, retired=False
    ).first()
    if step is None:
        raise NotFound("Step not found.")
    return step


def record_steps(occurrence: Occurrence, evidence: dict[int, StepEvidence]) -> list[RoutineStep]:
    """The steps an occurrence's record lists: its evidence's steps (retired ones too, as they
    were when recorded) and, while it is not done, the current checklist."""
    ids = set(evidence)
    current = Q(retired=False) if occurrence.status != OccurrenceStatus.DONE else Q(pk__in=[])
    return list(
        RoutineStep.objects.filter(Q(pk__in=ids) | current, routine_id=occurrence.routine_id)
    )


def get_measurement(user: Any, pk: int) -> Measurement:
    return _one(
        Measurement.objects.select_related("kpi", "kpi__process", "created_by", "voided_by"),
        user,
        pk,
        "Measurement",
    )


def get_step_evidence(user: Any, pk: int) -> StepEvidence:
    return _one(StepEvidence.objects.all(), user, pk, "Evidence")


# --- KPIs ------------------------------------------------------------------------------------


@dataclass
class SignalView:
    rule: str
    description: str
    direction: str
    dates: list[dt.date]
    values: list[float]
    indices: list[int] = field(default_factory=list)  # positions in the KPI's whole series

    @property
    def last_index(self) -> int:
        return self.indices[-1]


@dataclass
class PhaseView:
    """A stretch of the series between change points, with limits from its own points.

    The first phase takes its limits from the KPI's baseline period (when set); each phase after
    a change point takes them from every point since that change point.
    """

    label: str
    first: int  # index of the phase's first point in the whole series
    stop: int  # one past its last point
    dates: list[dt.date]
    chart: XmrChart | None
    change: ChangePoint | None = None

    @property
    def points(self) -> int:
        return self.stop - self.first

    @property
    def basis_dates(self) -> tuple[dt.date, dt.date] | None:
        """First and last day of the points the limits come from."""
        if self.chart is None:
            return None
        base = self.chart.baseline
        return self.dates[base.start], self.dates[base.stop - 1]

    @property
    def basis_points(self) -> int | None:
        """How many points the limits come from (the baseline's, not the phase's)."""
        if self.chart is None:
            return None
        base = self.chart.baseline
        return len(range(base.start, base.stop))

    @property
    def figures(self) -> ChartFigures | None:
        return chart_figures(self.chart) if self.chart is not None else None


class ChartFigures(NamedTuple):
    """A chart's centre line and natural process limits as the KPI page writes them."""

    centre: str
    lower: str
    upper: str


def chart_figures(chart: XmrChart) -> ChartFigures:
    """Two decimals, as the page writes any KPI figure (2.04); for a KPI of small values (the
    three all under 0.1 in size) as many as give the largest of them three significant figures:
    a centre line of 0.00145 with limits 0.00012 – 0.00278, not 0.00 – 0.00."""
    trio = (chart.centre_line, chart.lower_natural_process_limit, chart.upper_natural_process_limit)
    largest = max(abs(v) for v in trio)
    places = 2
    if 0 < largest < 0.1:
        places = min(2 - math.floor(math.log10(largest)), 15)
    centre, lower, upper = (floatformat(v, places) for v in trio)
    return ChartFigures(centre, lower, upper)


class _KpiBadges:
    """How a KPI's status (latest value against its target) and state read on a page."""

    if TYPE_CHECKING:  # given by the classes below (a field or a property)

        @property
        def state(self) -> str: ...

        @property
        def status(self) -> KpiStatus | None: ...

        kpi: Kpi
        latest: float | None

    @property
    def state_badge(self) -> str:
        return {"signal": "red", "off target": "amber", "in control": "green"}.get(self.state, "")

    @property
    def state_label(self) -> str:
        return KPI_STATE_LABELS[self.state]

    @property
    def status_badge(self) -> str:
        return self.status.value if self.status is not None else ""

    @property
    def status_label(self) -> str:
        """ "On target", "At risk", "Off target"; a green value short of the target (between it
        and the amber threshold) reads "Within tolerance"."""
        if self.status is None:
            return ""
        if self.status is KpiStatus.GREEN and self.latest is not None:
            up = self.kpi.good_direction == GoodDirection.UP
            if (self.latest < self.kpi.target) if up else (self.latest > self.kpi.target):
                return "Within tolerance"
        return KPI_STATUS_LABELS[self.status.value]


def _status_of(kpi: Kpi, latest: float | None) -> KpiStatus | None:
    if latest is None:
        return None
    return kpi_status(
        latest,
        target=kpi.target,
        good_direction=EngineDirection(kpi.good_direction),
        red_threshold=kpi.red_threshold,
        amber_threshold=kpi.amber_threshold,
    )


@dataclass
class KpiSummary(_KpiBadges):
    """A KPI's latest value, status and state from the rollup stored on it (``state`` and
    ``latest_value``, refreshed by every write that can change them): what a list of KPIs
    shows, without reading their measurements."""

    kpi: Kpi
    latest: float | None
    status: KpiStatus | None
    state: str


def kpi_summaries(kpis: Iterable[Kpi]) -> list[KpiSummary]:
    """Each KPI's summary from its stored rollup (no query beyond ``kpis``)."""
    return [KpiSummary(k, k.latest_value, _status_of(k, k.latest_value), k.state) for k in kpis]


@dataclass
class KpiView(_KpiBadges):
    """A KPI with its series, XmR chart, latest status and overall state.

    ``chart`` is the chart of the current (last charted) phase; ``phases`` has one entry per
    stretch between change points (one phase when the KPI has no change point).
    """

    kpi: Kpi
    dates: list[dt.date]
    values: list[float]
    chart: XmrChart | None
    signals: list[SignalView]
    latest: float | None
    status: KpiStatus | None
    recent_signal: bool
    baseline_dates: tuple[dt.date, dt.date] | None
    measurements: list[Measurement] = field(default_factory=list)
    """The values that count, aligned with ``dates``/``values`` (corrected ones included)."""
    voided: list[Measurement] = field(default_factory=list)
    """Voided values: shown greyed, left out of the limits, the status and everything else."""
    phases: list[PhaseView] = field(default_factory=list)
    changes: list[ChangePoint] = field(default_factory=list)  # every change point, by date

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
    def phased(self) -> bool:
        return len(self.phases) > 1

    @property
    def figures(self) -> ChartFigures | None:
        """The current chart's centre line and limits as the page writes them."""
        return chart_figures(self.chart) if self.chart is not None else None

    @property
    def baseline_points(self) -> int | None:
        """How many points the first chart's limits come from (as ``baseline_dates``)."""
        return next((p.basis_points for p in self.phases if p.chart is not None), None)

    def chart_data(self) -> dict[str, Any]:
        """What the Chart.js script draws (passed with json_script).

        With change points, ``centre``/``lower``/``upper`` are one value per point (each phase
        drawn with its own limits, None where a phase has too few points) and ``changes`` marks
        where each phase starts.
        """
        flagged: set[int] = set()
        for sv in self.signals:
            flagged.update(sv.indices)
        # Every point on one date axis: the values that count, and the voided ones (null in the
        # main series, their value in the greyed "voided" series).
        points: list[tuple[dt.date, int, Measurement | None]] = sorted(
            [(m.measured_on, i, m) for i, m in enumerate(self.measurements)]
            + [(m.measured_on, -1, m) for m in self.voided],
            key=lambda p: (p[0], p[1] < 0),
        )
        if len(self.measurements) != len(self.values):  # built without rows (tests, callers)
            points = [(d, i, None) for i, d in enumerate(self.dates)]
        values: list[float | None] = []
        voided: list[float | None] = []
        signal: list[bool] = []
        corrected: list[dict[str, Any] | None] = []
        ids: list[int | None] = []
        position: dict[int, int] = {}  # index of a value that counts -> its place on the axis
        for place, (_day, index, m) in enumerate(points):
            ids.append(m.pk if m is not None else None)
            counts = index >= 0
            if counts:
                position[index] = place
            values.append(self.values[index] if counts else None)
            voided.append(None if counts or m is None else m.value)
            signal.append(counts and index in flagged)
            if m is not None and m.voided:
                corrected.append({"voided": True, "reason": m.void_reason})
            elif m is not None and m.original_value is not None:
                corrected.append({"original": m.original_value, "reason": m.correction_reason})
            else:
                corrected.append(None)
        data: dict[str, Any] = {
            "labels": [p[0].isoformat() for p in points],
            "values": values,
            "voided": voided,
            "corrected": corrected,
            "ids": ids,
            "signal": signal,
            "centre": self.chart.centre_line if self.chart else None,
            "lower": self.chart.lower_natural_process_limit if self.chart else None,
            "upper": self.chart.upper_natural_process_limit if self.chart else None,
            "target": self.kpi.target,
            "unit": self.kpi.unit,
            "name": self.kpi.name,
            "changes": [],
        }
        if self.phased:
            n = len(points)
            centre: list[float | None] = [None] * n
            lower: list[float | None] = [None] * n
            upper: list[float | None] = [None] * n
            for phase in self.phases:
                if phase.chart is None:
                    continue
                # The phase's span on the axis, voided points inside it included.
                for i in range(position[phase.first], position[phase.stop - 1] + 1):
                    centre[i] = phase.chart.centre_line
                    lower[i] = phase.chart.lower_natural_process_limit
                    upper[i] = phase.chart.upper_natural_process_limit
            data.update(centre=centre, lower=lower, upper=upper)
            data["changes"] = [
                {"index": position[p.first], "label": p.change.label if p.change else p.label}
                for p in self.phases[1:]
            ]
        return data


def _baseline(kpi: Kpi, dates: Sequence[dt.date]) -> slice | None:
    if kpi.baseline_start is None and kpi.baseline_end is None:
        return None
    lo = kpi.baseline_start or dt.date.min
    hi = kpi.baseline_end or dt.date.max
    idx = [i for i, d in enumerate(dates) if lo <= d <= hi]
    if len(idx) < 2:
        return None
    return slice(idx[0], idx[-1] + 1)


def _phases(
    kpi: Kpi, dates: list[dt.date], values: list[float], changes: Sequence[ChangePoint]
) -> list[PhaseView]:
    """Split the series at each change point's date (a point on that day belongs to the new
    phase) and chart each phase with its own limits."""
    by_day: dict[dt.date, ChangePoint] = {}
    for point in sorted(changes, key=lambda c: (c.date, c.pk or 0)):
        by_day.setdefault(point.date, point)
    cuts = sorted(by_day)
    bounds = [0, *(bisect.bisect_left(dates, day) for day in cuts), len(dates)]
    phases: list[PhaseView] = []
    for k in range(len(bounds) - 1):
        first, stop = bounds[k], bounds[k + 1]
        if stop <= first:
            continue
        part_dates, part = dates[first:stop], values[first:stop]
        base = _baseline(kpi, part_dates) if k == 0 else None
        chart = xmr_chart(part, baseline=base) if len(part) >= 2 else None
        change = by_day[cuts[k - 1]] if k > 0 else None
        label = "Before the first change" if k == 0 and cuts else "All points"
        if change is not None:
            label = f"Since {change.date.isoformat()}: {change.label}"
        phases.append(PhaseView(label, first, stop, part_dates, chart, change))
    return phases


def kpi_view(
    kpi: Kpi, measurements: Iterable[Measurement], changes: Sequence[ChangePoint] = ()
) -> KpiView:
    """The KPI's chart and status from its values, in phases split at its change points;
    voided values are set aside (``voided``)."""
    every = sorted(measurements, key=lambda m: m.measured_on)
    rows = [m for m in every if m.voided_at is None]
    dates = [m.measured_on for m in rows]
    values = [float(m.value) for m in rows]
    phases = _phases(kpi, dates, values, changes)
    charted = [p for p in phases if p.chart is not None]
    chart = charted[-1].chart if charted else None
    signals: list[SignalView] = []
    recent = False
    for phase in charted:
        assert phase.chart is not None
        for s in phase.chart.signals:
            signals.append(_signal_view(s, dates, values, phase.first))
            if max(s.indices) + phase.first >= len(values) - RECENT_POINTS:
                recent = True
    latest = values[-1] if values else None
    status = _status_of(kpi, latest)
    baseline_dates = charted[0].basis_dates if charted else None
    ordered = sorted(changes, key=lambda c: (c.date, c.pk or 0))
    return KpiView(
        kpi,
        dates,
        values,
        chart,
        signals,
        latest,
        status,
        recent,
        baseline_dates,
        measurements=rows,
        voided=[m for m in every if m.voided_at is not None],
        phases=phases,
        changes=ordered,
    )


def _signal_view(
    signal: Signal, dates: Sequence[dt.date], values: Sequence[float], offset: int = 0
) -> SignalView:
    indices = [i + offset for i in signal.indices]
    return SignalView(
        rule=signal.rule.value,
        description=RULE_TEXT[signal.rule],
        direction="above / rising" if signal.direction.value == "up" else "below / falling",
        dates=[dates[i] for i in indices],
        values=[values[i] for i in indices],
        indices=indices,
    )


# One KPI's values (voided ones too) and change points, compiled once (core/fastread.py): the
# KPI page.
_VALUES_OF = FastRead(Measurement, "t.kpi_id = %s", order_by="t.measured_on, t.id")
_CHANGE_POINTS_OF = FastRead(ChangePoint, "t.kpi_id = %s", order_by="t.date, t.id")


def kpi_page_reads(user: Any, pk: int) -> list[Read]:
    """The KPI page's reads of the KPI, its values and change points, to read ahead
    (``core.fastread.one_round_trip``)."""
    return [(_KPI, [pk, user.pk]), (_VALUES_OF, [pk]), (_CHANGE_POINTS_OF, [pk])]


def kpi_page_view(kpi: Kpi) -> KpiView:
    """``kpi_views([kpi], with_voided=True)[0]`` in two compiled reads."""
    return kpi_view(kpi, _VALUES_OF.all([kpi.pk]), _CHANGE_POINTS_OF.all([kpi.pk]))


def kpi_views(kpis: Iterable[Kpi], with_voided: bool = False) -> list[KpiView]:
    """Views for many KPIs with one query for all their measurements (the voided ones too, for
    the KPI page's chart, with ``with_voided``) and one for their change points."""
    kpi_list = list(kpis)
    by_kpi: dict[int, list[Measurement]] = {k.pk: [] for k in kpi_list}
    rows = Measurement.objects.filter(kpi_id__in=list(by_kpi))
    if not with_voided:
        rows = rows.filter(voided_at__isnull=True)
    for m in rows.order_by("measured_on"):
        by_kpi[m.kpi_id].append(m)
    changes: dict[int, list[ChangePoint]] = {k.pk: [] for k in kpi_list}
    for c in ChangePoint.objects.filter(kpi_id__in=list(by_kpi)):
        changes[c.kpi_id].append(c)
    return [kpi_view(k, by_kpi[k.pk], changes[k.pk]) for k in kpi_list]


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
    # Overdue by part of a minute is overdue by a minute: "overdue by 0 min" in red read as a
    # contradiction on a clock breached seconds ago.
    total = math.ceil(-minutes - 1e-9) if minutes < 0 else round(minutes)
    hours, mins = divmod(total, 60)
    if hours and mins:
        text = f"{hours} h {mins} min"
    elif hours:
        text = f"{hours} h"
    else:
        text = f"{mins} min"
    return sign + text


STOPPED_STATUSES = WAITING_STATUSES | DONE_STATUSES
"""Statuses in which neither SLA clock runs."""


def request_view(
    request: Request,
    now: dt.datetime | None = None,
    cal: Any = None,
    changes: Sequence[tuple[dt.datetime, str]] | None = None,
    *,
    live: bool = False,
) -> RequestView:
    """Both SLA clocks of a request (its events must be prefetched for constant queries).
    For a list of one queue's requests: ``cal``, the queue's engine calendar, and
    ``changes``, the request's events as (moment, status it went to) in order.

    A resolved request's resolution clock is the one stored when its outcome was fixed
    (:func:`fixed_resolution`), an answered request's response clock the one stored at its
    first response (:func:`fixed_response`), unless ``live`` asks for them to be computed again
    from today's targets and calendar (as fixing the outcomes does)."""
    response, resolution = _clocks(request, ("response", "resolution"), now, cal, changes)
    if live:
        return RequestView(request, response, resolution)
    return RequestView(
        request, fixed_response(request, response), fixed_resolution(request, resolution)
    )


def _clocks(
    request: Request,
    kinds: Sequence[str],
    now: dt.datetime | None,
    cal: Any,
    changes: Sequence[tuple[dt.datetime, str]] | None,
) -> list[SlaClock]:
    """The request's SLA clocks of ``kinds`` ("response", "resolution") at ``now``, as
    :func:`request_view` reads them."""
    queue = request.queue
    zone = queue.organisation.timezone
    if cal is None:
        cal = engine_calendar(queue.calendar)
    instant = now or timezone.now()
    moment = local(instant, zone)
    if changes is None:
        changes = [(e.at, e.to_status) for e in request.events.all()]
    # Waiting on the requester pauses both clocks; so does the time a request spent resolved
    # or closed before it was reopened (the clock resumes where it stopped).
    # Built from the stored (aware) instants, then read on the wall clock: in the repeated
    # autumn hour local times run backwards, and the wall-clock minutes they give are corrected
    # by _clock_change_minutes (which reads the same pauses the same way).
    pauses = _local_pauses(_stops(changes), zone)
    start = local(request.created_at, zone)
    clocks = []
    for kind in kinds:
        stopped = request.first_response_at if kind == "response" else request.resolved_at
        clock = sla_clock(
            cal,
            start=start,
            now=moment,
            target_minutes=queue.target_minutes(request.priority, kind),
            pauses=pauses,
            stopped_at=local(stopped, zone) if stopped else None,
            adjust_minutes=_clock_change_minutes(
                cal, request.created_at, stopped or instant, changes, zone
            ),
        )
        if clock.due_at is not None:
            # The engine's due time is on the wall clock; the instant counts real time across a
            # clock change, starting from it (computed once).
            due = _due_instant(cal, instant, clock.remaining_minutes, zone, clock.due_at)
            clock = replace(clock, due_at=due)
        clocks.append(clock)
    return clocks


def _stops(changes: Sequence[tuple[dt.datetime, str]]) -> list[tuple[dt.datetime, Any]]:
    """The spans (aware instants) in which neither clock runs, from the status changes."""
    return pauses_from_changes([(at, status in STOPPED_STATUSES) for at, status in changes])


def _local_pauses(
    stops: Sequence[tuple[dt.datetime, dt.datetime | None]], zone: str
) -> list[tuple[dt.datetime, dt.datetime | None]]:
    return [(local(p, zone), local(q, zone) if q else None) for p, q in stops]


def _due_instant(
    cal: Any, now: dt.datetime, remaining: float, zone: str, on_wall_clock: dt.datetime
) -> dt.datetime | None:
    """The instant (aware, in ``zone``) at which ``remaining`` working minutes from ``now``
    (aware) run out, counting real time across clock changes: the hour skipped in spring is
    not worked, the repeated autumn hour is worked twice where the calendar works then. None
    if the calendar's horizon ends first. ``on_wall_clock``: when they run out on the wall
    clock (naive, the SLA clock's ``due_at``), the first guess."""
    tz = zoneinfo.ZoneInfo(zone)
    if remaining <= 0:
        return now.astimezone(tz)
    try:
        guess = aware(on_wall_clock, zone)
        pieces = wall_clock_segments(now, guess + dt.timedelta(days=7), zone)
        left = remaining
        for i, (a, b, offset) in enumerate(pieces):
            wall_a = wall_clock(a, offset)
            last = i == len(pieces) - 1
            here = math.inf if last else working_minutes_between(cal, wall_a, wall_clock(b, offset))
            if left <= here:
                # Within the first piece (no clock change before it, the usual case): the
                # wall-clock answer itself, not computed again.
                wall_due = on_wall_clock if i == 0 else add_working_minutes(cal, wall_a, left)
                return (wall_due - offset).replace(tzinfo=dt.UTC).astimezone(tz)
            left -= here
    except CalendarRangeError:
        return None
    return None  # pragma: no cover - the last piece is open-ended


def fixed_resolution(request: Request, computed: SlaClock) -> SlaClock:
    """The resolution clock of a resolved request as its stored outcome has it: the business
    minutes used and the target in force when it was resolved, so later changes to the queue's
    targets, its calendar or the request's priority do not rewrite the past. Rows resolved
    before the minutes were kept show the computed clock with the stored outcome. Open
    requests (or those without an outcome yet) get ``computed`` back."""
    if request.resolved_at is None:
        return computed
    return _fixed(
        computed,
        request.resolution_met,
        request.resolution_minutes,
        request.resolution_target_minutes,
    )


def fixed_response(request: Request, computed: SlaClock) -> SlaClock:
    """The response clock of an answered request as stored at its first response: the business
    minutes it took and the target in force then, so a later change of the request's priority
    or of the queue's targets or calendar does not re-judge it. Rows answered before these were
    kept (and not yet filled by ``services.refresh_sla_outcomes``), and requests not answered
    yet, get ``computed`` back: an unanswered request's clock follows the current target."""
    if request.first_response_at is None:
        return computed
    return _fixed(
        computed, request.response_met, request.response_minutes, request.response_target_minutes
    )


def _fixed(
    computed: SlaClock, met: bool | None, elapsed: float | None, target: float | None
) -> SlaClock:
    """A stopped clock as stored (outcome, business minutes used, target then in force);
    ``computed`` without an outcome, ``computed`` with the outcome without the minutes."""
    if met is None:
        return computed
    state = SlaState.MET if met else SlaState.BREACHED
    if elapsed is None or target is None:
        return replace(computed, state=state)
    return SlaClock(
        target_minutes=target,
        elapsed_minutes=elapsed,
        remaining_minutes=target - elapsed,
        fraction_left=(target - elapsed) / target,
        paused=False,
        stopped=True,
        state=state,
        due_at=None,
    )


def _clock_change_minutes(
    cal: Any,
    start: dt.datetime,
    end: dt.datetime,
    changes: Sequence[tuple[dt.datetime, str]],
    zone: str,
) -> float:
    """Real working minutes from ``start`` to ``end`` (aware) less those the wall clock gives:
    0 unless the clocks changed in between (then the skipped spring hour, or the repeated autumn
    hour, where the calendar works in it). Pauses as in :func:`request_view`."""
    pieces = wall_clock_segments(start, end, zone)
    if len(pieces) < 2:
        return 0.0
    stops = _stops(changes)
    real = 0.0
    for a, b, offset in pieces:
        inside = [
            (wall_clock(max(p, a), offset), wall_clock(min(q or b, b), offset))
            for p, q in stops
            if p < b and (q is None or q > a)
        ]
        real += working_minutes_excluding(cal, wall_clock(a, offset), wall_clock(b, offset), inside)
    naive_pauses = _local_pauses(stops, zone)
    return real - working_minutes_excluding(cal, local(start, zone), local(end, zone), naive_pauses)


def resolution_met(request: Request) -> bool | None:
    """Whether a resolved request met its resolution target (None while it is open)."""
    if request.resolved_at is None:
        return None
    return resolution_clock(request).state is SlaState.MET


def resolution_clock(request: Request) -> SlaClock:
    """The resolution clock of a request computed afresh at its resolution (or now, if open)."""
    return _clocks(request, ("resolution",), request.resolved_at, None, None)[0]


def response_clock(request: Request) -> SlaClock:
    """The response clock of a request computed afresh at its first response (or now, if not
    answered yet)."""
    return _clocks(request, ("response",), request.first_response_at, None, None)[0]


# --- The queue page's reads, compiled once (core/fastread.py) --------------------------------
# The board: the queue's open requests and those resolved since a moment, their status
# changes, and the resolution SLA attainment; the queue itself is read (and checked) by
# get_queue.

# Open, or resolved since: two ranges of the live requests' (queue, resolved_at) index. Written
# as one condition with OR, both databases filtered every request the queue ever had (1.5 ms
# for a queue of 3,300; 0.4 ms so). The index is partial on ``deleted_at IS NULL``: each branch
# says so itself, or PostgreSQL cannot use it there and reads every request of the queue.
_ON_BOARD = (
    f"t.id IN (SELECT b.id FROM {Request._meta.db_table} b"  # noqa: S608 - model table
    " WHERE b.queue_id = %s AND b.resolved_at IS NULL AND b.deleted_at IS NULL"
    f" UNION ALL SELECT b.id FROM {Request._meta.db_table} b"
    " WHERE b.queue_id = %s AND b.resolved_at >= %s AND b.deleted_at IS NULL)"
    " AND t.deleted_at IS NULL"
)
_BOARD_REQUESTS = FastRead(
    Request,
    _ON_BOARD,
    order_by="t.created_at DESC",
    defer=("description", "deleted_by", "trash_batch"),  # not on the board
)
# Their assignees, each person once (a queue's ~70 requests are shared by a few people).
_BOARD_ASSIGNEES = FastRead(
    User,
    f"t.id IN (SELECT t.assignee_id FROM {Request._meta.db_table} t WHERE {_ON_BOARD})",  # noqa: S608
)
_BOARD_CHANGES = RawRows(
    RequestEvent,
    f"SELECT e.request_id, e.at, e.to_status FROM {RequestEvent._meta.db_table} e"  # noqa: S608
    f" WHERE e.request_id IN (SELECT t.id FROM {Request._meta.db_table} t WHERE {_ON_BOARD})"
    " ORDER BY e.request_id, e.at, e.id",
)
_ATTAINMENT = RawRows(
    Request,
    "SELECT COUNT(r.resolution_met),"  # noqa: S608 - model table, no user input
    " SUM(CASE WHEN r.resolution_met THEN 1 ELSE 0 END)"
    f" FROM {Request._meta.db_table} r"
    " WHERE r.queue_id = %s AND r.deleted_at IS NULL AND r.resolved_at >= %s",
)


def _aware(value: Any, zone: dt.tzinfo) -> dt.datetime:
    """A moment as the driver gives it (SQLite: naive, in the connection's ``zone``), aware."""
    moment: dt.datetime = value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _moment(value: dt.datetime) -> Any:
    return connections[router.db_for_read(Request)].ops.adapt_datetimefield_value(value)


def queue_page_reads(queue_id: int, *, resolved_days: int, now: dt.datetime) -> list[Read]:
    """:func:`queue_page`'s reads, to read ahead (``core.fastread.one_round_trip``)."""
    board = [queue_id, queue_id, _moment(now - dt.timedelta(days=resolved_days))]
    return [
        (_BOARD_REQUESTS, board),
        (_BOARD_ASSIGNEES, board),
        (_BOARD_CHANGES, board),
        (_ATTAINMENT, [queue_id, _moment(now - dt.timedelta(days=METRICS_DAYS))]),
    ]


@dataclass(frozen=True)
class QueuePage:
    """What the queue page shows besides the queue."""

    views: list[RequestView]  # open requests and those resolved since, soonest breach first
    attainment: float | None  # share of the last 90 days' resolved requests that met the SLA


def queue_page(queue: Queue, *, resolved_days: int, now: dt.datetime) -> QueuePage:
    """The board: the queue's open requests and those resolved in the last ``resolved_days``
    with both SLA clocks, sorted by business time left to breach (a queue with years of
    history does not replay every clock), and the resolution SLA attainment over 90 days
    (from the outcome stored on each request): four compiled reads. Every request gets
    ``queue`` itself, not a copy per request, and each assignee is read once."""
    reads = queue_page_reads(queue.pk, resolved_days=resolved_days, now=now)
    requests = _BOARD_REQUESTS.all(reads[0][1])
    people = {u.pk: u for u in _BOARD_ASSIGNEES.all(reads[1][1])}
    zone = connections[router.db_for_read(Request)].timezone or dt.UTC
    changes: dict[int, list[tuple[dt.datetime, str]]] = {}
    for request_id, at, to_status in _BOARD_CHANGES.rows(*reads[2][1]):
        changes.setdefault(request_id, []).append((_aware(at, zone), to_status))
    cal = engine_calendar(queue.calendar)
    assignee = Request._meta.get_field("assignee")
    views = []
    for req in requests:
        req.queue = queue
        if req.assignee_id is None or req.assignee_id in people:
            assignee.set_cached_value(req, people.get(req.assignee_id))  # type: ignore[arg-type]
        # else: reassigned between the two reads; the assignee is read when shown
        views.append(request_view(req, now, cal, changes.get(req.pk, [])))
    views.sort(key=lambda v: (v.resolution.stopped, v.resolution.remaining_minutes))
    stopped, met = _ATTAINMENT.rows(*reads[3][1])[0]
    return QueuePage(views, int(met or 0) / stopped if stopped else None)


def sla_attainment(views: Iterable[RequestView]) -> float | None:
    """Share of stopped resolution clocks that met their target (None if none stopped)."""
    stopped = [v for v in views if v.resolution.stopped]
    if not stopped:
        return None
    return sum(v.resolution.state is SlaState.MET for v in stopped) / len(stopped)


# --- Routines --------------------------------------------------------------------------------


def _occurrences_counted(**filters: Any) -> Coalesce:
    """How many of the outer routine's occurrences match ``filters`` (a correlated count on the
    (routine, due) index: the routines' rows are not grouped)."""
    rows = Occurrence.objects.filter(routine_id=OuterRef("pk"), **filters).order_by()
    return Coalesce(Subquery(rows.values("routine_id").annotate(n=Count("*")).values("n")), 0)


def with_on_time(qs: QuerySet[Routine], now: dt.datetime | None = None) -> QuerySet[Routine]:
    """Annotate on-time, late, missed and open counts over occurrences due in the last 90 days."""
    moment = now or timezone.now()
    since = moment - dt.timedelta(days=METRICS_DAYS)
    window = {"due__gte": since, "due__lte": moment}
    done = OccurrenceStatus.DONE
    return qs.annotate(
        on_time_count=_occurrences_counted(**window, status=done, completed_at__lte=F("due")),
        late_count=_occurrences_counted(**window, status=done, completed_at__gt=F("due")),
        missed_count=_occurrences_counted(**window, status=OccurrenceStatus.MISSED),
        overdue_count=_occurrences_counted(status=OccurrenceStatus.OPEN, due__lt=moment),
    )


# with_on_time's four counts for every routine of one process in one pass over their
# occurrences (the process page), the SQL written once: the ORM spent ~5 ms building the
# annotated query that the database answers in ~0.3 ms.
_COUNTED = "SUM(CASE WHEN {} THEN 1 ELSE 0 END)"
_IN_WINDOW = "o.due >= %s AND o.due <= %s AND o.status = %s"


def _on_time_counts(rest: str) -> RawRows:
    """The routine id and the four counts of the occurrences ``o`` that ``rest`` (joins,
    ``WHERE … GROUP BY o.routine_id``) selects; parameters as :func:`_on_time_params`."""
    return RawRows(
        Occurrence,
        "SELECT o.routine_id, "  # noqa: S608 - table names from the models, no user input
        + ", ".join(
            _COUNTED.format(condition)
            for condition in (
                f"{_IN_WINDOW} AND o.completed_at <= o.due",  # on time
                f"{_IN_WINDOW} AND o.completed_at > o.due",  # late
                _IN_WINDOW,  # missed (its status)
                "o.status = %s AND o.due < %s",  # overdue now
            )
        )
        + f" FROM {Occurrence._meta.db_table} o {rest}",
    )


_ON_TIME_OF_PROCESS = _on_time_counts(
    f"INNER JOIN {Routine._meta.db_table} r ON r.id = o.routine_id"
    " WHERE r.process_id = %s AND r.deleted_at IS NULL GROUP BY o.routine_id"
)
_ON_TIME_OF_ROUTINE = _on_time_counts("WHERE o.routine_id = %s GROUP BY o.routine_id")


def _on_time_params(owner_id: int, moment: dt.datetime) -> list[Any]:
    """The parameters of an :func:`_on_time_counts` read whose last parameter is
    ``owner_id`` (a process's or a routine's)."""
    ops = connections[router.db_for_read(Occurrence)].ops
    since = ops.adapt_datetimefield_value(moment - dt.timedelta(days=METRICS_DAYS))
    until = ops.adapt_datetimefield_value(moment)
    done, missed = OccurrenceStatus.DONE.value, OccurrenceStatus.MISSED.value
    window = [since, until]
    return [
        *window,
        done,
        *window,
        done,
        *window,
        missed,
        OccurrenceStatus.OPEN.value,
        until,
        owner_id,
    ]


def add_on_time(routines: list[Routine], process_id: int, now: dt.datetime | None = None) -> None:
    """Set :func:`with_on_time`'s counts and the on-time rate on ``routines`` (routines of the
    process ``process_id``) from one grouped read."""
    params = _on_time_params(process_id, now or timezone.now())
    _set_on_time(routines, _ON_TIME_OF_PROCESS.rows(*params))


def _set_on_time(routines: list[Routine], rows: list[tuple[Any, ...]]) -> None:
    counts = {row[0]: row[1:] for row in rows}
    for r in routines:
        on_time, late, missed_n, overdue = (int(n or 0) for n in counts.get(r.pk, (0, 0, 0, 0)))
        r.on_time_count, r.late_count = on_time, late  # type: ignore[attr-defined]
        r.missed_count, r.overdue_count = missed_n, overdue  # type: ignore[attr-defined]
        r.on_time_rate = on_time_rate(r)  # type: ignore[attr-defined]


def on_time_rate(routine: Any) -> float | None:
    total = routine.on_time_count + routine.late_count + routine.missed_count
    return routine.on_time_count / total if total else None


# --- The routine page's reads, compiled once (core/fastread.py) ------------------------------

OCCURRENCES_SHOWN_DAYS = 120
"""The routine page lists the occurrences due from this many days ago on (and every future
one generated)."""

_OCCURRENCES_SINCE = FastRead(
    Occurrence, "t.routine_id = %s AND t.due >= %s", order_by="t.due DESC"
)
# Who completed them, each person once (a routine is done by few people, ~100 times).
_COMPLETERS_SINCE = FastRead(
    User,
    f"t.id IN (SELECT o.completed_by_id FROM {Occurrence._meta.db_table} o"  # noqa: S608
    " WHERE o.routine_id = %s AND o.due >= %s)",
)


def routine_page_reads(routine_id: int, now: dt.datetime) -> list[Read]:
    """:func:`routine_page`'s reads, to read ahead (``core.fastread.one_round_trip``)."""
    ops = connections[router.db_for_read(Occurrence)].ops
    since = ops.adapt_datetimefield_value(now - dt.timedelta(days=OCCURRENCES_SHOWN_DAYS))
    return [
        (_ON_TIME_OF_ROUTINE, _on_time_params(routine_id, now)),
        (_OCCURRENCES_SINCE, [routine_id, since]),
        (_COMPLETERS_SINCE, [routine_id, since]),
        (_STEPS_OF, [routine_id, False]),
    ]


@dataclass(frozen=True)
class RoutinePage:
    """What the routine page shows besides the routine (which gets :func:`with_on_time`'s
    counts and ``on_time_rate`` set)."""

    occurrences: list[Occurrence]  # newest due first, with ``completed_by``
    steps: list[RoutineStep]


def routine_page(routine: Routine, now: dt.datetime) -> RoutinePage:
    """The routine's on-time counts, recent occurrences with who completed them, and
    checklist: four compiled reads."""
    reads = routine_page_reads(routine.pk, now)
    _set_on_time([routine], _ON_TIME_OF_ROUTINE.rows(*reads[0][1]))
    occurrences = _OCCURRENCES_SINCE.all(reads[1][1])
    people = {u.pk: u for u in _COMPLETERS_SINCE.all(reads[2][1])}
    completed_by = Occurrence._meta.get_field("completed_by")
    for o in occurrences:
        if o.completed_by_id is None or o.completed_by_id in people:
            completed_by.set_cached_value(o, people.get(o.completed_by_id))  # type: ignore[arg-type]
    return RoutinePage(occurrences, _STEPS_OF.all(reads[3][1]))


# --- The process page's reads, compiled once (core/fastread.py) ------------------------------
# The process is read (and checked) first; these read its parts. ``archived_too``: "Show
# archived", or an archived process (which shows everything it had).


def _part_of_process(model: type[M], related: Any, *, archived_too: bool) -> FastRead[M]:
    where = "t.process_id = %s AND t.deleted_at IS NULL"
    if not archived_too:
        where += " AND t.archived_at IS NULL"
    return FastRead(model, where, order_by="t.name", related=related)


_PROCESS_KPIS = {a: _part_of_process(Kpi, "process", archived_too=a) for a in (False, True)}
_PROCESS_ROUTINES = {
    a: _part_of_process(Routine, ("process", "assignee"), archived_too=a) for a in (False, True)
}
_PROCESS_QUEUES = {
    a: _part_of_process(Queue, ("calendar", "process"), archived_too=a) for a in (False, True)
}
_OPEN_IN_QUEUES_OF = RawRows(
    Request,
    f"SELECT r.queue_id, COUNT(*) FROM {Request._meta.db_table} r"  # noqa: S608 - model tables
    f" INNER JOIN {Queue._meta.db_table} q ON q.id = r.queue_id"
    " WHERE q.process_id = %s AND r.deleted_at IS NULL AND r.status IN (%s, %s, %s)"
    " GROUP BY r.queue_id",
)
_SPEND_BETWEEN = FastRead(
    SpendEntry,
    "t.process_id = %s AND t.spent_on >= %s AND t.spent_on <= %s",
    order_by="t.spent_on DESC, t.id DESC",
)


def _day(value: dt.date) -> Any:
    return connections[router.db_for_read(SpendEntry)].ops.adapt_datefield_value(value)


@dataclass(frozen=True)
class ProcessParts:
    """What the process page shows of a process besides its own row."""

    kpis: list[KpiSummary]
    routines: list[Routine]  # with add_on_time's counts
    queues: list[Queue]  # with ``open_count``
    spend: list[SpendEntry]  # the year's, newest first


def process_part_reads(
    process_id: int,
    *,
    archived_too: bool,
    spend_between: tuple[dt.date, dt.date],
    now: dt.datetime,
) -> list[Read]:
    """:func:`process_parts`' reads, to read ahead (``core.fastread.one_round_trip``);
    ``spend_between``: the first and last day of the spend to read (the fiscal year's)."""
    first, last = _day(spend_between[0]), _day(spend_between[1])
    return [
        (_PROCESS_KPIS[archived_too], [process_id]),
        (_PROCESS_ROUTINES[archived_too], [process_id]),
        (_ON_TIME_OF_PROCESS, _on_time_params(process_id, now)),
        (_PROCESS_QUEUES[archived_too], [process_id]),
        (_OPEN_IN_QUEUES_OF, [process_id, *OPEN_STATUS_VALUES]),
        (_SPEND_BETWEEN, [process_id, first, last]),
    ]


def process_parts(
    process_id: int,
    *,
    archived_too: bool,
    spend_between: tuple[dt.date, dt.date],
    now: dt.datetime,
) -> ProcessParts:
    """The process's KPIs (from their stored rollup), routines with their on-time counts,
    queues with their open requests and the spend recorded between the two days (the fiscal
    year's): six compiled reads."""
    reads = process_part_reads(
        process_id, archived_too=archived_too, spend_between=spend_between, now=now
    )
    kpis = _PROCESS_KPIS[archived_too].all(reads[0][1])
    routines = _PROCESS_ROUTINES[archived_too].all(reads[1][1])
    add_on_time(routines, process_id, now)
    queues = _PROCESS_QUEUES[archived_too].all(reads[3][1])
    open_counts = dict(_OPEN_IN_QUEUES_OF.rows(*reads[4][1]))
    for q in queues:
        q.open_count = int(open_counts.get(q.pk, 0))  # type: ignore[attr-defined]
    spend = _SPEND_BETWEEN.all(reads[5][1])
    return ProcessParts(kpi_summaries(kpis), routines, queues, spend)


# --- Overview --------------------------------------------------------------------------------


@dataclass
class ProcessCard:
    process: Process
    kpis: list[Kpi] = field(default_factory=list)
    sla: float | None = None
    open_requests: int = 0
    on_time: float | None = None
    spent: Decimal = Decimal(0)
    open_nonconformances: int = 0
    extras: str = ""  # HTML the joining apps add (core.panels "operations.process_card")
    sees_money: bool = False  # the viewer may see its budget and spend (set by the view)
    year_share: float = 0.0  # the share of the fiscal year gone (set by ``overview``)

    budget: Decimal | None = None  # this fiscal year's (``overview``), else the annual budget

    @property
    def budget_value(self) -> Decimal:
        return self.process.annual_budget if self.budget is None else self.budget

    @property
    def budget_use(self) -> float | None:
        budget = self.budget_value
        return float(self.spent / budget) if budget else None

    @property
    def budget_badge(self) -> str:
        use = self.budget_use
        if use is None:
            return ""
        return "red" if use > 1 else "amber" if use > self.year_share + 0.1 else "green"

    # Texts and badge colours precomputed for the overview template (40+ cards render in a
    # few milliseconds without an include per figure).
    @property
    def sla_text(self) -> str:
        return percent(self.sla)

    @property
    def sla_badge(self) -> str:
        return rate_badge(self.sla)

    @property
    def on_time_text(self) -> str:
        return percent(self.on_time)

    @property
    def on_time_badge(self) -> str:
        return rate_badge(self.on_time)

    @property
    def budget_text(self) -> str:
        return percent(self.budget_use)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def rate_badge(value: float | None) -> str:
    if value is None:
        return ""
    return "green" if value >= 0.9 else "amber" if value >= 0.75 else "red"


def year_elapsed(organisation: Organisation, today: dt.date) -> float:
    """The share of the organisation's current fiscal year gone by ``today`` (the budget's
    year: a spend above it by 10 points is amber)."""
    first, last = fiscal_year_bounds(organisation, fiscal_year_of(organisation, today))
    return (today - first).days / ((last - first).days + 1)


PROCESS_COST_HOOKS: list[
    Callable[[Organisation, Sequence[int], dt.date, dt.date], dict[int, Decimal]]
] = []
"""Joining apps add what processes cost besides the spend recorded on them (the costs app:
approved time × rates and approved expenses), registered in their AppConfig.ready: the budget
on the process page and card is compared with all of it, as on the fiscal-year page."""


PROCESS_BUDGET_HOOKS: list[
    Callable[[Organisation, Sequence[int], dt.date, dt.date], dict[int, Decimal]]
] = []
"""Joining apps give each process's budget for the fiscal year from the first day to the last
(the costs app: its fiscal-year budgets); a process without one shows its annual budget."""


def budgets_between(
    organisation: Organisation, process_ids: Sequence[int], first: dt.date, last: dt.date
) -> dict[int, Decimal]:
    """The processes' budgets for that fiscal year from :data:`PROCESS_BUDGET_HOOKS` (the
    processes with none are not in it)."""
    out: dict[int, Decimal] = {}
    for hook in PROCESS_BUDGET_HOOKS:
        out.update(hook(organisation, process_ids, first, last))
    return out


def other_costs_between(
    organisation: Organisation, process_ids: Sequence[int], first: dt.date, last: dt.date
) -> dict[int, Decimal]:
    """What the joining apps say the processes cost from ``first`` to ``last`` besides the spend
    recorded on them (:data:`PROCESS_COST_HOOKS`)."""
    out: dict[int, Decimal] = {}
    for hook in PROCESS_COST_HOOKS:
        for pid, amount in hook(organisation, process_ids, first, last).items():
            out[pid] = out.get(pid, Decimal(0)) + amount
    return out


def costs_between(
    organisation: Organisation, process_ids: Sequence[int], first: dt.date, last: dt.date
) -> dict[int, Decimal]:
    """All that the processes cost from ``first`` to ``last``: the spend recorded on them and
    what the joining apps add."""
    out = dict(spend_between(process_ids, first, last))
    for pid, amount in other_costs_between(organisation, process_ids, first, last).items():
        out[pid] = out.get(pid, Decimal(0)) + amount
    return out


def spend_between(process_ids: Sequence[int], first: dt.date, last: dt.date) -> dict[int, Decimal]:
    """The spend recorded per process from ``first`` to ``last`` (one query)."""
    rows = (
        SpendEntry.objects.filter(process_id__in=process_ids, spent_on__range=(first, last))
        .values("process_id")
        .annotate(total=Sum("amount"))
    )
    return {r["process_id"]: r["total"] or Decimal(0) for r in rows}


def overview(
    organisation: Organisation, now: dt.datetime | None = None, archived: bool = False
) -> list[ProcessCard]:
    """One card per process in five queries, all aggregated in SQL whatever the data size.

    KPI states come from the rollup stored on each KPI (refreshed on every write that can change
    it); SLA attainment counts the stored outcomes of requests resolved in the last 90 days;
    routine on-time rates count occurrences due in the last 90 days.
    """
    moment = now or timezone.now()
    since = moment - dt.timedelta(days=METRICS_DAYS)
    processes = list(processes_of(organisation, archived))
    cards = {p.pk: ProcessCard(p) for p in processes}
    for kpi in Kpi.objects.filter(organisation=organisation, archived_at__isnull=True).only(
        "id", "process_id", "name", "state", "latest_value", "unit"
    ):
        if kpi.process_id in cards:  # not a KPI of an archived process
            cards[kpi.process_id].kpis.append(kpi)
    process_of = dict(
        Queue.objects.filter(
            organisation=organisation, process__isnull=False, archived_at__isnull=True
        ).values_list("pk", "process_id")
    )
    # Index-only range scans on (queue, resolved_at, resolution_met): open requests, then
    # those resolved in the window (one OR query would scan every request of the queues).
    in_queues = Request.objects.filter(queue_id__in=list(process_of))
    tallies: dict[int, list[int]] = {}
    for queue_id, n in (
        in_queues.filter(resolved_at__isnull=True)
        .values("queue_id")
        .annotate(n=Count("*"))
        .values_list("queue_id", "n")
    ):
        tallies.setdefault(process_of[queue_id], [0, 0, 0])[0] += n
    for row in (
        in_queues.filter(resolved_at__gte=since)
        .values("queue_id")
        .annotate(
            stopped=Count("resolution_met"),  # counts the non-null outcomes
            met=Count("resolution_met", filter=Q(resolution_met=True)),
        )
    ):
        tally = tallies.setdefault(process_of[row["queue_id"]], [0, 0, 0])
        tally[1] += row["stopped"]
        tally[2] += row["met"]
    for pid, (open_count, stopped, met) in tallies.items():
        if pid in cards:
            cards[pid].open_requests = open_count
            cards[pid].sla = met / stopped if stopped else None
    done = Q(status=OccurrenceStatus.DONE)
    occurrences = (
        Occurrence.objects.filter(
            organisation=organisation,
            due__gte=since,
            due__lte=moment,
            routine__archived_at__isnull=True,
        )
        .values("routine__process_id")
        .annotate(
            on_time=Count("id", filter=done & Q(completed_at__lte=F("due"))),
            total=Count("id", filter=done | Q(status=OccurrenceStatus.MISSED)),
        )
    )
    for counted in occurrences:
        card = cards.get(counted["routine__process_id"])
        if card is not None and counted["total"]:
            card.on_time = counted["on_time"] / counted["total"]
    # The budget is the current fiscal year's (costs.budget_sync): so is the spend beside it.
    today = today_of(organisation, moment)
    year = fiscal_year_of(organisation, today)
    bounds = fiscal_year_bounds(organisation, year)
    for pid, spent in costs_between(organisation, list(cards), *bounds).items():
        if pid in cards:
            cards[pid].spent = spent
    for pid, budget in budgets_between(organisation, list(cards), *bounds).items():
        if pid in cards:
            cards[pid].budget = budget
    share = year_elapsed(organisation, today)
    for card in cards.values():
        card.year_share = share
    for pid, count in deviations.open_counts(organisation.pk).items():
        if pid in cards:
            cards[pid].open_nonconformances = count
    return [cards[p.pk] for p in processes]
