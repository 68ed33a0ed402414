"""Reads for capacity: one pool of people, loaded by project tasks and operations routines.

The load of a person on a day is the sum of

* each project task assigned to them, its effort (or, when the effort is empty, its duration at
  8 h a day) spread evenly over the working days from its scheduled start to its finish;
* each routine occurrence assigned to them, its expected effort on the due date. Stored
  occurrences count where the routine has them; beyond the last stored one the routine's rule is
  projected (occurrences are generated only a month ahead).

It is set against the person's *availability* that week: their working pattern minus the
organisation's holidays minus their absences (``capacity.availability``, counted by
``engine.availability``).

Every read is a constant number of queries; the per-day spreading is Python over a bounded window.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Team, User
from twofold.capacity import availability, demand, stamp
from twofold.capacity.models import Absence, AbsenceKind
from twofold.core.dates import format_day
from twofold.core.errors import Invalid
from twofold.engine.availability import DailyAvailability, weekly_totals
from twofold.engine.calendars import HORIZON_END, HORIZON_START
from twofold.engine.capacity import Source as DemandSource
from twofold.engine.capacity import weekly
from twofold.operations.models import Occurrence, Routine, ShiftRule
from twofold.projects.models import MINUTES_PER_DAY, Task
from twofold.projects.scheduling import working_day
from twofold.projects.services import tz_of

DEFAULT_WEEKS = 12
MAX_WEEKS = 26
# The days the capacity views may start on: their weeks (a week's Monday before the day, and up
# to MAX_WEEKS after it) stay inside the calendars' range. A day outside answered 500.
FIRST_DAY = HORIZON_START + dt.timedelta(days=7)
LAST_DAY = HORIZON_END - dt.timedelta(weeks=MAX_WEEKS + 1)
WINDOW_MESSAGE = (
    f"Choose a date between {format_day(FIRST_DAY)} and {format_day(LAST_DAY)} "
    "(the range the calendars cover, less the weeks shown)."
)


@dataclass(frozen=True)
class LevellingDelays:
    """A project's levelling delays (task id → minutes, only those above 0) and their version:
    a clear sends the version it read, and gets 409 if someone levelled or cleared since."""

    delays: dict[int, int]
    version: str


def levelling_delays(project: Any) -> LevellingDelays:
    """One query, whatever the number of tasks."""
    rows = list(
        Task.objects.filter(project=project, levelling_delay_minutes__gt=0)
        .order_by("pk")
        .values_list("pk", "levelling_delay_minutes")
    )
    text = ";".join(f"{pk}:{minutes}" for pk, minutes in rows)
    return LevellingDelays(dict(rows), hashlib.sha256(text.encode()).hexdigest()[:16])


def check_window(day: dt.date | None, field: str) -> None:
    """Refuse (Invalid naming ``field``) a day the capacity views cannot start on."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise Invalid(WINDOW_MESSAGE, field=field)


HOURS_PER_DAY = MINUTES_PER_DAY / 60
LOW_SHARE = 0.5


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class LoadItem:
    """Hours of one source (a task or a routine) on one day for one person."""

    person_id: int
    day: dt.date
    hours: float
    kind: str  # "task" or "routine"
    source_id: int
    name: str
    context: str  # the project or the process
    url: str


@dataclass
class Cell:
    """Hours planned in one week against the hours available that week (see availability)."""

    week: dt.date
    hours: float
    capacity: float
    away: list[str] = field(default_factory=list)  # "Holiday 2 d", "Sickness 0.5 d"
    project: float = 0.0  # of ``hours``: project tasks
    forecast: float = 0.0  # of ``hours``: forecast request work (the rest is operations)
    actual: float = 0.0  # approved timesheet hours that week (costs), beside the planned hours

    @property
    def operations(self) -> float:
        return round(self.hours - self.project, 1)

    @property
    def scale(self) -> float:
        """The bar's full width in hours: the capacity, or the load when it is over."""
        return max(self.hours, self.capacity, 0.1)

    @property
    def project_pct(self) -> int:
        return round(100 * self.project / self.scale)

    @property
    def operations_pct(self) -> int:
        return round(100 * max(self.operations, 0.0) / self.scale)

    @property
    def capacity_pct(self) -> int:
        return round(100 * self.capacity / self.scale)

    @property
    def over(self) -> float:
        return round(self.hours - self.capacity, 1) if self.hours > self.capacity + 0.05 else 0.0

    @property
    def low(self) -> bool:
        return self.capacity > 0 and self.hours < self.capacity * LOW_SHARE

    @property
    def share(self) -> int:
        return round(100 * self.hours / self.capacity) if self.capacity else 0

    @property
    def state(self) -> str:
        if self.over:
            return "over"
        if self.capacity == 0 and self.hours == 0:
            return "off"  # away (or not working) all week, and nothing planned
        return "low" if self.low else "ok"


@dataclass
class PersonRow:
    user: User
    capacity: float  # the weekly hours of the pattern in effect in the first week
    cells: list[Cell] = field(default_factory=list)

    @property
    def cells_html(self) -> Any:
        from twofold.capacity.grid_html import row_cells  # the page's markup, built in Python

        return row_cells(self)

    @property
    def head_html(self) -> Any:
        from twofold.capacity.grid_html import row_head

        return row_head(self)

    @property
    def overloaded_weeks(self) -> int:
        return sum(1 for c in self.cells if c.over)


@dataclass
class Usage:
    first: dt.date
    weeks: list[dt.date]
    rows: list[PersonRow]
    team: Team | None
    # The rendered rows, kept with the cached numbers they were built from (see rows_html).
    html_memo: dict[Any, Any] = field(default_factory=dict)
    actual_key: int = 0  # the approved hours shown, read per request beside the cached numbers

    @property
    def rows_html(self) -> Any:
        """Every row's ``<tr>`` (the grid's body), built once per cached grid, names and date
        format: the 2,400 cells of 200 people are most of the page's work."""
        from twofold.capacity.grid_html import rows_html
        from twofold.core import dates

        key = (
            tuple((r.user.pk, r.user.display_name) for r in self.rows),
            dates.active_format(),
            self.actual_key,
        )
        html = self.html_memo.get(key)
        if html is None:
            html = rows_html(self.rows)
            if len(self.html_memo) >= 6:  # a few name/format variants, then start again
                self.html_memo.clear()
            self.html_memo[key] = html
        return html

    @property
    def last(self) -> dt.date:
        return self.weeks[-1] + dt.timedelta(days=6)

    @property
    def previous(self) -> dt.date:
        return self.first - dt.timedelta(weeks=len(self.weeks))

    @property
    def next(self) -> dt.date:
        return self.first + dt.timedelta(weeks=len(self.weeks))

    @property
    def over_cells(self) -> int:
        if "over_cells" not in self.html_memo:  # numbers only: kept with the cached grid
            self.html_memo["over_cells"] = sum(row.overloaded_weeks for row in self.rows)
        return int(self.html_memo["over_cells"])

    @property
    def totals(self) -> list[Cell]:
        """The roll-up of the people shown: planned and available hours summed per week."""
        if "totals" not in self.html_memo:
            self.html_memo["totals"] = self._totals()
        return list(self.html_memo["totals"])

    def _totals(self) -> list[Cell]:
        return [
            Cell(
                week,
                round(sum(r.cells[i].hours for r in self.rows), 1),
                round(sum(r.cells[i].capacity for r in self.rows), 1),
                project=round(sum(r.cells[i].project for r in self.rows), 1),
                forecast=round(sum(r.cells[i].forecast for r in self.rows), 1),
            )
            for i, week in enumerate(self.weeks)
        ]


def teams_of(organisation: Organisation) -> list[Team]:
    return list(Team.objects.filter(organisation=organisation).order_by("name"))


def people_of(organisation: Organisation, team: Team | None = None) -> list[User]:
    """The organisation's members (guests too: they may be assigned work), by name."""
    memberships = Membership.objects.filter(organisation=organisation).select_related("user")
    if team is not None:
        memberships = memberships.filter(user__teams=team)
    return [m.user for m in memberships.order_by("user__full_name", "user__email")]


def _task_items(
    organisation: Organisation, person_ids: Iterable[int], first: dt.date, last: dt.date
) -> list[LoadItem]:
    tzinfo = tz_of(organisation)
    rows = (
        Task.objects.filter(
            organisation=organisation,
            assignee_id__in=list(person_ids),
            is_summary=False,
            is_milestone=False,
            start__isnull=False,
            finish__isnull=False,
            start__date__lte=last + dt.timedelta(days=1),
            finish__date__gte=first - dt.timedelta(days=1),
        )
        .values_list(
            "pk",
            "name",
            "assignee_id",
            "effort_minutes",
            "duration_minutes",
            "start",
            "finish",
            "project_id",
            "project__code",
            "project__name",
        )
        .order_by("start", "pk")
    )
    items: list[LoadItem] = []
    for pk, name, person, effort, duration, start, finish, project_id, code, pname in rows:
        minutes = effort or duration
        if not minutes or start is None or finish is None:
            continue
        a, b = start.astimezone(tzinfo).date(), finish.astimezone(tzinfo).date()
        days = [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]
        work = [d for d in days if working_day(d)] or [a]
        per_day = minutes / 60 / len(work)
        url = reverse("projects:task", args=[project_id, pk])
        items.extend(
            LoadItem(person, d, per_day, "task", pk, name, f"{code} {pname}", url)
            for d in work
            if first <= d <= last
        )
    return items


@functools.lru_cache(maxsize=4096)
def _projected_cached(
    rrule: str,
    starts_on: dt.date,
    due_time: dt.time,
    shift: str,
    calendar: Any,
    revision: Any,
    begin: dt.date,
    last: dt.date,
    zone: str,
) -> tuple[dt.datetime, ...]:
    """A routine's due instants (as ``operations.services.due_between``): a pure function of
    its rule, start, due time, shift rule and calendar revision, so the capacity view and "can
    we take this on?" do not expand the same rule again on every request."""
    from twofold.calendars.working_time import engine_calendar
    from twofold.engine.calendars import is_working_day
    from twofold.operations import recurrence

    cal = engine_calendar(calendar) if shift != ShiftRule.NONE else None

    def working(day: dt.date) -> bool:
        return cal is None or is_working_day(cal, day)

    return tuple(
        recurrence.due_instants(
            rrule,
            starts_on,
            due_time,
            max(begin, starts_on),
            last,
            zone,
            shift=recurrence.Shift(shift),
            is_working_day=working,
        )
    )


def _projected(routine: Routine, begin: dt.date, last: dt.date, zone: str) -> Sequence[dt.datetime]:
    calendar = routine.calendar if routine.shift != ShiftRule.NONE else None
    return _projected_cached(
        routine.rrule,
        routine.starts_on,
        routine.due_time,
        str(routine.shift),
        calendar,  # hashed by id; its revision changes with its holidays and hours
        calendar.revision if calendar is not None else None,
        begin,
        last,
        zone,
    )


def _routine_items(
    organisation: Organisation, person_ids: Iterable[int], first: dt.date, last: dt.date
) -> list[LoadItem]:
    zone = organisation.timezone
    tzinfo = tz_of(organisation)
    ids = list(person_ids)
    routines = list(
        Routine.objects.filter(
            organisation=organisation,
            assignee_id__in=ids,
            active=True,
            archived_at__isnull=True,
            process__archived_at__isnull=True,
        )
        .select_related("process", "calendar")
        .annotate(last_stored=Max("occurrences__due"))
    )
    by_id = {r.pk: r for r in routines}
    items: list[LoadItem] = []

    urls: dict[int, str] = {}

    def add(routine: Routine, day: dt.date) -> None:
        url = urls.get(routine.pk) or urls.setdefault(
            routine.pk, reverse("operations:routine", args=[routine.pk])
        )
        hours = routine.effort_minutes / 60
        assert routine.assignee_id is not None
        items.append(
            LoadItem(
                routine.assignee_id,
                day,
                hours,
                "routine",
                routine.pk,
                routine.name,
                routine.process.name,
                url,
            )
        )

    stored = Occurrence.objects.filter(
        Q(routine_id__in=list(by_id)),
        due__gte=dt.datetime.combine(first - dt.timedelta(days=1), dt.time.min, tzinfo=tzinfo),
        due__lt=dt.datetime.combine(last + dt.timedelta(days=2), dt.time.min, tzinfo=tzinfo),
    ).values_list("routine_id", "due")
    for routine_id, due in stored:
        day = due.astimezone(tzinfo).date()
        if first <= day <= last:
            add(by_id[routine_id], day)
    for routine in routines:
        last_stored = getattr(routine, "last_stored", None)
        begin = first
        if last_stored is not None:
            begin = max(first, last_stored.astimezone(tzinfo).date() + dt.timedelta(days=1))
        if begin > last:
            continue
        try:
            dues = _projected(routine, begin, last, zone)
        except ValueError:  # an unusable stored rule: nothing to project
            continue
        for due in dues:
            day = due.astimezone(tzinfo).date()
            if begin <= day <= last:
                add(routine, day)
    return items


def load_items(
    organisation: Organisation, person_ids: Iterable[int], first: dt.date, last: dt.date
) -> list[LoadItem]:
    """Every day's load of ``person_ids`` from ``first`` to ``last`` (both included)."""
    ids = list(person_ids)
    if not ids:
        return []
    return _task_items(organisation, ids, first, last) + _routine_items(
        organisation, ids, first, last
    )


def usage(
    organisation: Organisation,
    *,
    first: dt.date,
    weeks: int = DEFAULT_WEEKS,
    team: Team | None = None,
) -> Usage:
    """People × weeks: project and operations hours against each person's available hours.

    The capacity model (``capacity.demand``): a constant number of queries, numpy per day. The
    numbers are kept per process under the capacity data stamp (``capacity.stamp``): until a
    task, assignment, routine, request, pattern, absence, reservation, calendar or membership
    changes, a repeated view reads the stamp and the people instead of the model.
    """
    first = monday_of(first)
    weeks = max(1, min(weeks, MAX_WEEKS))
    starts = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    # Only what the grid shows of each person (a full User row each was most of the reads).
    people = list(
        User.objects.filter(memberships__organisation=organisation)
        .filter(**({"teams": team} if team is not None else {}))
        .only("pk", "full_name", "email")
        .order_by("full_name", "email")
    )
    ids = [p.pk for p in people]
    # The request forecast starts today: part of the key, like everything the model reads.
    key = ("usage", organisation.pk, first, weeks, tuple(ids), timezone.localdate())

    def compute() -> tuple[list[tuple[float, list[Cell]]], dict[Any, Any]]:
        return _usage_numbers(organisation, ids, first, starts), {}

    numbers, memo = stamp.cached(key, compute)
    # Approved timesheet hours are not capacity inputs (the stamp does not follow them): read
    # each time (one query) and set on copies of the cached cells.
    actual = _actual_hours(organisation, ids, first, starts[-1] + dt.timedelta(days=6))
    rows = [
        PersonRow(
            person,
            capacity,
            [replace(c, actual=a) if (a := actual.get((person.pk, c.week))) else c for c in cells]
            if actual
            else cells,
        )
        for person, (capacity, cells) in zip(people, numbers, strict=True)
    ]
    return Usage(first, starts, rows, team, memo, actual_key=hash(frozenset(actual.items())))


def _usage_numbers(
    organisation: Organisation, ids: list[int], first: dt.date, starts: list[dt.date]
) -> list[tuple[float, list[Cell]]]:
    """Each person's weekly hours of their pattern and their cells (the cached part)."""
    model = demand.load_model(organisation, ids, first, len(starts) * 7)
    total = sum(model.demand.values(), np.zeros_like(model.available))
    # Plain lists: reading numpy scalars one by one costs more than the whole model.
    hours = weekly(total).round(1).tolist()
    project = weekly(model.project).round(1).tolist()
    forecast = weekly(model.demand[DemandSource.REQUEST]).round(1).tolist()
    out = []
    for i, pk in enumerate(ids):
        weekly_free = _weekly(model.daily_of(pk), first)
        out.append(
            (
                round(sum(availability.current_hours(model.free.patterns.get(pk, []), first)), 1),
                [
                    Cell(
                        week,
                        hours[i][w],
                        capacity,
                        away,
                        project=project[i][w],
                        forecast=forecast[i][w],
                    )
                    for w, (week, (capacity, away)) in enumerate(
                        zip(starts, weekly_free, strict=True)
                    )
                ],
            )
        )
    return out


def _actual_hours(
    organisation: Organisation, ids: list[int], first: dt.date, last: dt.date
) -> dict[tuple[int, dt.date], float]:
    """Approved timesheet hours per (person, Monday) from ``first`` to ``last``: one query."""
    from twofold.costs.selectors import actual_hours_by_person_week

    found = actual_hours_by_person_week(
        organisation.pk, ids, first, last, first.weekday(), approved_only=True
    )
    return {key: round(float(value), 1) for key, value in found.items()}


def _weekly(daily: DailyAvailability, first: dt.date) -> list[tuple[float, list[str]]]:
    """Per week from ``first`` (a Monday): available hours and what took hours away."""
    capacity = weekly_totals(daily.available, first)
    holidays = weekly_totals((daily.holiday > 0).astype(float), first)
    kinds = {k: weekly_totals(v, first) for k, v in sorted(daily.absence_days.items())}
    out = []
    for i, hours in enumerate(capacity):
        away = [
            f"{AbsenceKind(kind).label} {_days(days[i])}" for kind, days in kinds.items() if days[i]
        ]
        if holidays[i]:
            away.append(f"Public holiday {_days(holidays[i])}")
        out.append((round(float(hours), 1), away))
    return out


def _days(value: float) -> str:
    return f"{value:g} d"


@dataclass
class Source:
    kind: str  # "task", "routine", "request", "reservation"
    name: str
    context: str
    url: str
    hours: float
    days: int
    forecast: bool = False
    label: str = ""

    @property
    def operational(self) -> bool:
        return self.kind != "task"


KIND_OF = {
    demand.Source.PROJECT: "task",
    demand.Source.ROUTINE: "routine",
    demand.Source.REQUEST: "request",
    demand.Source.RESERVATION: "reservation",
}


@dataclass
class CellDetail:
    person: User
    week: dt.date
    cell: Cell
    sources: list[Source]
    absences: list[Absence] = field(default_factory=list)

    @property
    def project_sources(self) -> list[Source]:
        return [s for s in self.sources if not s.operational]

    @property
    def operations_sources(self) -> list[Source]:
        return [s for s in self.sources if s.operational]


def cell_detail(organisation: Organisation, person: User, week: dt.date) -> CellDetail:
    """What makes up ``person``'s load in the week starting ``week``: each task, routine, queue
    and reservation with its hours that week (the same model as the grid's cell)."""
    week = monday_of(week)
    model = demand.load_model(organisation, [person.pk], week, 7, keep_items=True)
    grouped: dict[tuple[str, int], Source] = {}
    for item in model.items:
        hours_by_day = demand.demand_by_source(
            [item], [person.pk], week, 7, model.holidays, model.available
        )[item.source][0]
        hours = float(hours_by_day.sum())
        if hours <= 0:
            continue
        key = (str(item.source), item.source_id)
        if key not in grouped:
            grouped[key] = Source(
                KIND_OF[item.source],
                item.name,
                item.context,
                demand.url_of(item),
                0.0,
                0,
                forecast=item.source is demand.Source.REQUEST,
                label=demand.SOURCE_LABELS[item.source],
            )
        grouped[key].hours += hours
        grouped[key].days += int((hours_by_day > 0).sum())
    sources = []
    for source in grouped.values():
        source.hours = round(source.hours, 1)
        sources.append(source)
    sources.sort(key=lambda s: (s.operational, -s.hours, s.name))
    ((capacity, away),) = _weekly(model.daily_of(person.pk), week)
    total = sum(model.demand.values(), np.zeros_like(model.available))
    cell = Cell(
        week,
        round(float(total.sum()), 1),
        capacity,
        away,
        project=round(float(model.project.sum()), 1),
        forecast=round(float(model.demand[demand.Source.REQUEST].sum()), 1),
    )
    return CellDetail(person, week, cell, sources, model.free.absences.get(person.pk, []))


def person_in(organisation: Organisation, person_id: int) -> User | None:
    membership = (
        Membership.objects.filter(organisation=organisation, user_id=person_id)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def as_json(usage_: Usage) -> dict[str, Any]:
    return {
        "weeks": [w.isoformat() for w in usage_.weeks],
        "people": [
            {
                "id": row.user.pk,
                "name": row.user.display_name,
                "capacity": row.capacity,
                "available": [c.capacity for c in row.cells],
                "hours": [c.hours for c in row.cells],
                "project": [c.project for c in row.cells],
                "operations": [c.operations for c in row.cells],
                "forecast": [c.forecast for c in row.cells],
                "away": [c.away for c in row.cells],
            }
            for row in usage_.rows
        ],
    }
