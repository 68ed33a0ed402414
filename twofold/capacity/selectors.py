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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Q
from django.urls import reverse

from twofold.accounts.models import Membership, Organisation, Team, User
from twofold.capacity import availability
from twofold.capacity.models import Absence, AbsenceKind
from twofold.engine.availability import DailyAvailability, weekly_totals
from twofold.operations.models import Occurrence, Routine
from twofold.operations.services import due_between
from twofold.projects.models import MINUTES_PER_DAY, Task
from twofold.projects.scheduling import working_day
from twofold.projects.services import tz_of

DEFAULT_WEEKS = 12
MAX_WEEKS = 26
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
    def overloaded_weeks(self) -> int:
        return sum(1 for c in self.cells if c.over)


@dataclass
class Usage:
    first: dt.date
    weeks: list[dt.date]
    rows: list[PersonRow]
    team: Team | None

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
        return sum(row.overloaded_weeks for row in self.rows)

    @property
    def totals(self) -> list[Cell]:
        """The roll-up of the people shown: planned and available hours summed per week."""
        return [
            Cell(
                week,
                round(sum(r.cells[i].hours for r in self.rows), 1),
                round(sum(r.cells[i].capacity for r in self.rows), 1),
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

    def add(routine: Routine, day: dt.date) -> None:
        url = reverse("operations:routine", args=[routine.pk])
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
        due__date__gte=first - dt.timedelta(days=1),
        due__date__lte=last + dt.timedelta(days=1),
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
            dues = due_between(routine, begin, last, zone)
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
    """People × weeks: hours planned against each person's weekly capacity."""
    first = monday_of(first)
    weeks = max(1, min(weeks, MAX_WEEKS))
    starts = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    last = starts[-1] + dt.timedelta(days=6)
    people = people_of(organisation, team)
    totals: dict[tuple[int, int], float] = defaultdict(float)
    for item in load_items(organisation, [p.pk for p in people], first, last):
        totals[(item.person_id, (item.day - first).days // 7)] += item.hours
    free = availability.availability(organisation, [p.pk for p in people], first, last)
    rows = []
    for person in people:
        weekly = _weekly(free.of(person.pk), first)
        rows.append(
            PersonRow(
                person,
                round(sum(availability.current_hours(free.patterns.get(person.pk, []), first)), 1),
                [
                    Cell(week, round(totals[(person.pk, i)], 1), capacity, away)
                    for i, (week, (capacity, away)) in enumerate(zip(starts, weekly, strict=True))
                ],
            )
        )
    return Usage(first, starts, rows, team)


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
    kind: str
    name: str
    context: str
    url: str
    hours: float
    days: int


@dataclass
class CellDetail:
    person: User
    week: dt.date
    cell: Cell
    sources: list[Source]
    absences: list[Absence] = field(default_factory=list)


def cell_detail(organisation: Organisation, person: User, week: dt.date) -> CellDetail:
    """What makes up ``person``'s load in the week starting ``week``."""
    week = monday_of(week)
    last = week + dt.timedelta(days=6)
    grouped: dict[tuple[str, int], Source] = {}
    days: dict[tuple[str, int], set[dt.date]] = defaultdict(set)
    for item in load_items(organisation, [person.pk], week, last):
        key = (item.kind, item.source_id)
        if key not in grouped:
            grouped[key] = Source(item.kind, item.name, item.context, item.url, 0.0, 0)
        grouped[key].hours += item.hours
        days[key].add(item.day)
    sources = []
    for key, source in grouped.items():
        source.hours = round(source.hours, 1)
        source.days = len(days[key])
        sources.append(source)
    sources.sort(key=lambda s: (-s.hours, s.kind, s.name))
    free = availability.availability(organisation, [person.pk], week, last)
    ((capacity, away),) = _weekly(free.of(person.pk), week)
    total = round(sum(s.hours for s in sources), 1)
    return CellDetail(
        person, week, Cell(week, total, capacity, away), sources, free.absences.get(person.pk, [])
    )


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
                "away": [c.away for c in row.cells],
            }
            for row in usage_.rows
        ],
    }
