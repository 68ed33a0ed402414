"""The capacity model's data: rows of the four demand sources, loaded as engine spans.

Reads only (a constant number of queries whatever the number of people, tasks or routines):

* **project** work: each task's assignments (``projects.Assignment``, several people with
  units), or its ``assignee`` at 100 % when it has none (2 queries);
* **routine** occurrences: each routine's standard effort on each due day (stored occurrences,
  the routine's rule beyond the last stored one; 2 queries);
* **request** work, a forecast: each queue's arrivals per working day over the last
  :data:`HISTORY_WEEKS` weeks × its mean handling time (``QueueWorkload``), shared equally by
  the members of its process's team, from today on (3 queries);
* **reservations**: shares of each day's available hours (2 queries).

How each is counted is in ``twofold.engine.capacity`` (and docs/capacity.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db.models import (
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone

from twofold.accounts.models import Organisation, Team
from twofold.capacity import availability
from twofold.capacity.models import DEFAULT_HANDLING_MINUTES, QueueWorkload, Reservation
from twofold.engine import capacity as engine
from twofold.engine.availability import DailyAvailability
from twofold.engine.capacity import FloatArray, Load, Source

__all__ = ["ALL", "COMMITTED", "Filter", "Item", "Model", "Source", "load_model"]
from twofold.operations.models import Queue
from twofold.projects.models import Assignment, Phase, Task
from twofold.projects.services import tz_of

HISTORY_WEEKS = 8
SOURCE_LABELS = {
    Source.PROJECT: "Project task",
    Source.ROUTINE: "Routine",
    Source.REQUEST: "Request work (forecast)",
    Source.RESERVATION: "Reservation",
}


@dataclass(frozen=True)
class Item:
    """One source's demand on one person: what the drill-down lists (a task, a routine...)."""

    person_id: int
    source: Source
    source_id: int
    name: str
    context: str
    url: str
    first: dt.date
    last: dt.date
    hours: float  # total over first..last, per working day when ``daily``
    daily: bool = False
    share: float = 0.0  # reservations: the share of available hours (0-1)
    project_id: int | None = None


@dataclass(frozen=True)
class Filter:
    """Which project work counts: ``exclude_phases`` (e.g. proposals), ``only_project``."""

    exclude_phases: tuple[str, ...] = ()
    exclude_project: int | None = None
    only_project: int | None = None


ALL = Filter()
COMMITTED = Filter(exclude_phases=(Phase.INITIATION, Phase.CLOSURE))


def _window_tasks(
    organisation: Organisation, first: dt.date, last: dt.date, only: Filter
) -> QuerySet[Task]:
    # Plain comparisons with moments a day either side (a date cast per row is slow on SQLite);
    # the exact local days are worked out after.
    tzinfo = tz_of(organisation)
    rows = Task.objects.filter(
        organisation=organisation,
        # An archived project loads nobody (as an archived routine or process): it has left the
        # portfolio, the lists and My work. ``Task.objects`` leaves out tasks in the trash; a
        # project in the trash takes its tasks with it, and is left out here all the same.
        project__archived_at__isnull=True,
        project__deleted_at__isnull=True,
        is_summary=False,
        is_milestone=False,
        start__isnull=False,
        finish__isnull=False,
        start__lt=dt.datetime.combine(last + dt.timedelta(days=2), dt.time.min, tzinfo=tzinfo),
        finish__gte=dt.datetime.combine(first - dt.timedelta(days=1), dt.time.min, tzinfo=tzinfo),
    )
    if only.exclude_phases:
        rows = rows.exclude(project__phase__in=only.exclude_phases)
    if only.exclude_project is not None:
        rows = rows.exclude(project_id=only.exclude_project)
    if only.only_project is not None:
        rows = rows.filter(project_id=only.only_project)
    return rows


TASK_FIELDS = (
    "pk",
    "name",
    "effort_minutes",
    "duration_minutes",
    "start",
    "finish",
    "project_id",
    "project__code",
    "project__name",
)


def task_items(
    organisation: Organisation,
    person_ids: Iterable[int] | None,
    first: dt.date,
    last: dt.date,
    only: Filter = ALL,
) -> list[Item]:
    """Project work of ``person_ids`` (None: everyone) touching ``first..last`` (2 queries)."""
    tzinfo = tz_of(organisation)
    tasks = _window_tasks(organisation, first, last, only)
    ids = None if person_ids is None else list(person_ids)
    total_units = (
        Assignment.objects.filter(task=OuterRef("task_id"))
        .values("task_id")
        .annotate(total=Sum("units"))
        .values("total")
    )
    shared = Assignment.objects.filter(task__in=tasks).annotate(
        total_units=Coalesce(Subquery(total_units, output_field=IntegerField()), 0)
    )
    alone = tasks.filter(assignee__isnull=False, assignments__isnull=True)
    if ids is not None:
        shared = shared.filter(person_id__in=ids)
        alone = alone.filter(assignee_id__in=ids)
    rows: list[tuple[int, int, float, tuple[object, ...]]] = []
    for values in shared.values_list(
        "person_id",
        "units",
        "work_minutes",
        "total_units",
        *(f"task__{f}" if f != "pk" else "task_id" for f in TASK_FIELDS),
    ):
        person, units, work, total, *task = values
        pk, name, effort, duration = task[0], task[1], task[2], task[3]
        if work is not None:
            minutes = float(work)
        elif effort:
            minutes = effort * units / max(total, 1)
        else:
            minutes = duration * units / 100
        rows.append((pk, person, minutes, tuple(task)))
        del name
    for values in alone.values_list("assignee_id", *TASK_FIELDS):
        person, *task = values
        effort, duration = task[2], task[3]
        rows.append((task[0], person, float(effort or duration), tuple(task)))
    items = []
    for pk, person, minutes, task in rows:
        _, name, _, _, start, finish, project_id, code, pname = task
        if not minutes:
            continue
        a = start.astimezone(tzinfo).date()  # type: ignore[attr-defined]
        b = max(a, finish.astimezone(tzinfo).date())  # type: ignore[attr-defined]
        items.append(
            Item(
                person,
                Source.PROJECT,
                int(pk),
                str(name),
                f"{code} {pname}",
                "",  # see url_of: reversing every row's URL would cost more than the model
                a,
                b,
                minutes / 60,
                project_id=int(project_id),  # type: ignore[call-overload]
            )
        )
    return items


def routine_items(
    organisation: Organisation, person_ids: Iterable[int], first: dt.date, last: dt.date
) -> list[Item]:
    """Routine occurrences of ``person_ids``: each routine's standard effort on its due day."""
    from twofold.capacity.selectors import _routine_items  # the existing projection

    return [
        Item(
            x.person_id,
            Source.ROUTINE,
            x.source_id,
            x.name,
            x.context,
            x.url,
            x.day,
            x.day,
            x.hours,
        )
        for x in _routine_items(organisation, person_ids, first, last)
    ]


def request_items(
    organisation: Organisation,
    person_ids: Iterable[int] | None,
    first: dt.date,
    last: dt.date,
    today: dt.date | None = None,
) -> list[Item]:
    """Each queue's forecast load, shared by its process's team, from today on (3 queries)."""
    today = today or timezone.localdate()
    begin = max(first, today)
    if begin > last:
        return []
    since = today - dt.timedelta(weeks=HISTORY_WEEKS)
    since_moment = dt.datetime.combine(since, dt.time.min, tzinfo=tz_of(organisation))
    queues = list(
        Queue.objects.filter(
            organisation=organisation,
            archived_at__isnull=True,
            process__isnull=False,
            process__team__isnull=False,
            process__archived_at__isnull=True,
            # A process in the trash leaves its queues behind (they stay, unlinked once it is
            # purged): its team no longer takes their work.
            process__deleted_at__isnull=True,
        )
        .annotate(
            # Requests in the trash are not arrivals (a join does not go through the manager).
            arrivals=Count(
                "requests",
                filter=Q(requests__created_at__gte=since_moment, requests__deleted_at__isnull=True),
            ),
        )
        .values_list("pk", "name", "process__name", "process__team_id", "arrivals")
    )
    if not queues:
        return []
    handling = dict(
        QueueWorkload.objects.filter(queue_id__in=[q[0] for q in queues]).values_list(
            "queue_id", "handling_minutes"
        )
    )
    members: dict[int, list[int]] = defaultdict(list)
    through = Team.members.through.objects.filter(team_id__in={q[3] for q in queues})
    for team_id, user_id in through.order_by("user_id").values_list("team_id", "user_id"):
        members[team_id].append(user_id)
    wanted = None if person_ids is None else set(person_ids)
    history_days = int(
        np.busday_count(np.datetime64(since, "D"), np.datetime64(today, "D"), weekmask="1111100")
    )
    items = []
    for pk, name, process, team_id, arrivals in queues:
        team = members.get(team_id, [])
        if not arrivals or not team or history_days <= 0:
            continue
        minutes = handling.get(pk, DEFAULT_HANDLING_MINUTES)
        per_day = arrivals / history_days * minutes / 60 / len(team)
        url = reverse("operations:queue", args=[pk])
        for person in team:
            if wanted is None or person in wanted:
                items.append(
                    Item(person, Source.REQUEST, pk, name, process, url, begin, last, per_day, True)
                )
    return items


def reservation_items(
    organisation: Organisation, person_ids: Iterable[int] | None, first: dt.date, last: dt.date
) -> list[Item]:
    """Standing reservations touching ``first..last``, one item per person (2 queries)."""
    rows = list(
        Reservation.objects.filter(organisation=organisation, start__lte=last)
        .filter(Q(end__isnull=True) | Q(end__gte=first))
        .select_related("team")
        .order_by("start", "pk")
    )
    team_ids = {r.team_id for r in rows if r.team_id}
    members: dict[int, list[int]] = defaultdict(list)
    if team_ids:
        through = Team.members.through.objects.filter(team_id__in=team_ids)
        for team_id, user_id in through.values_list("team_id", "user_id"):
            members[team_id].append(user_id)
    wanted = None if person_ids is None else set(person_ids)
    url = reverse("capacity:reservations")
    items = []
    for r in rows:
        people = [r.person_id] if r.person_id else members.get(r.team_id or 0, [])
        context = f"Team {r.team.name}" if r.team else "Personal"
        for person in people:
            if person is not None and (wanted is None or person in wanted):
                items.append(
                    Item(
                        person,
                        Source.RESERVATION,
                        r.pk,
                        r.label,
                        context,
                        url,
                        max(r.start, first),
                        min(r.end or last, last),
                        0.0,
                        share=r.percent / 100,
                    )
                )
    return items


def url_of(item: Item) -> str:
    """The page of an item's source (tasks get theirs here, only when shown)."""
    if item.url or item.source is not Source.PROJECT or item.project_id is None:
        return item.url
    return reverse("projects:task", args=[item.project_id, item.source_id])


def project_hours(
    organisation: Organisation,
    person_ids: Sequence[int],
    start: dt.date,
    days: int,
    holidays: set[dt.date],
    only: Filter = ALL,
) -> FloatArray:
    """Project work per person and day, the grid's fast path (2 queries, numpy after).

    The same rule as :func:`task_items` (assignments by units, else the assignee at 100 %),
    without building one object per row: the capacity view of a large organisation reads tens of
    thousands of task-days.
    """
    ids = list(person_ids)
    out = np.zeros((len(ids), days), dtype=np.float64)
    if not ids:
        return out
    last = start + dt.timedelta(days=days - 1)
    tasks = _window_tasks(organisation, start, last, only)
    text = CharField()
    # One pass over the window's tasks, each joined to its assignments (a task without any
    # gives one row with none): no correlated subquery, no second scan; the units a task
    # shares out are summed in numpy below.
    rows = list(
        tasks.order_by()
        .annotate(start_text=Cast("start", text), finish_text=Cast("finish", text))
        .values_list(
            "pk",
            "assignee_id",
            "effort_minutes",
            "duration_minutes",
            "start_text",
            "finish_text",
            "assignments__person_id",
            "assignments__units",
            "assignments__work_minutes",
        )
    )
    if not rows:
        return out
    task_id, assignee, effort, duration, starts_t, finishes_t, a_person, a_units, a_work = zip(
        *rows, strict=True
    )
    has = np.asarray([p is not None for p in a_person], dtype=bool)
    task_a = np.asarray(task_id, dtype=np.int64)
    units_a = np.asarray([u if u is not None else 0 for u in a_units], dtype=np.float64)
    # Each task's total units over all its assignments (everyone, not only the people shown).
    uniq, inverse = np.unique(task_a, return_inverse=True)
    total = np.bincount(inverse, weights=units_a, minlength=len(uniq))[inverse]
    person_all = np.where(
        has,
        np.asarray([p or 0 for p in a_person], dtype=np.int64),
        np.asarray([p or 0 for p in assignee], dtype=np.int64),
    )
    effort_a = np.asarray([e or 0 for e in effort], dtype=np.float64)
    duration_a = np.asarray([d or 0 for d in duration], dtype=np.float64)
    work_a = np.asarray([-1 if w is None else w for w in a_work], dtype=np.float64)
    minutes_all = np.where(
        has,
        np.where(
            work_a >= 0,
            work_a,
            np.where(
                effort_a > 0,
                effort_a * units_a / np.maximum(total, 1),
                duration_a * units_a / 100,
            ),
        ),
        np.where(effort_a > 0, effort_a, duration_a),
    )
    wanted = np.isin(person_all, np.asarray(ids, dtype=np.int64)) & (person_all > 0)
    if not wanted.any():
        return out
    pick = np.flatnonzero(wanted)
    person = person_all[pick]
    minutes = minutes_all[pick]
    starts = [starts_t[i] for i in pick.tolist()]
    finishes = [finishes_t[i] for i in pick.tolist()]
    first_day = _local_days(starts, organisation, start)
    last_day = np.maximum(first_day, _local_days(finishes, organisation, start))
    holidays = holidays | _holidays_beyond(
        organisation,
        start,
        days,
        int(first_day.min(initial=0)),
        int(last_day.max(initial=days - 1)),
    )
    order = np.argsort(np.asarray(ids, dtype=np.int64))
    sorted_ids = np.asarray(ids, dtype=np.int64)[order]
    rows_of = order[np.searchsorted(sorted_ids, person)]
    keep = minutes > 0
    return engine.spread_arrays(
        rows_of[keep],
        first_day[keep],
        last_day[keep],
        minutes[keep] / 60,
        np.zeros(int(keep.sum()), dtype=bool),
        len(ids),
        start,
        days,
        holidays,
    )


def _holidays_beyond(
    organisation: Organisation, start: dt.date, days: int, first: int, last: int
) -> set[dt.date]:
    """The organisation's holidays over the days ``first..last`` (after ``start``) when they
    reach outside the window of ``days`` days (one read), else none to add: a task spread over
    working days counts its whole span's holidays, so a week read on its own (a cell's make-up)
    gives that week the hours the grid gives it."""
    if first >= 0 and last <= days - 1:
        return set()
    return availability.organisation_holidays(
        organisation,
        start + dt.timedelta(days=min(first, 0)),
        start + dt.timedelta(days=max(last, days - 1)),
    )


def _local_days(texts: list[str], organisation: Organisation, start: dt.date) -> np.ndarray:
    """Stored UTC moments as text → the organisation's local day, as days after ``start``.

    The database's text of a moment (``2026-12-01 07:00:00``, with ``+00`` on PostgreSQL) is
    parsed by numpy in one go; the local offset is looked up once per UTC day.
    """
    utc = np.array([t[:19] for t in texts], dtype="datetime64[s]")
    zone = tz_of(organisation)
    unique, inverse = np.unique(utc.astype("datetime64[D]"), return_inverse=True)
    offsets = np.zeros(len(unique), dtype=np.int64)
    for i, day in enumerate(unique.tolist()):
        moment = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        offset = moment.astimezone(zone).utcoffset()
        offsets[i] = int(offset.total_seconds()) if offset is not None else 0
    shift = offsets[inverse]
    local = (utc + shift.astype("timedelta64[s]")).astype("datetime64[D]")
    result: np.ndarray = (local - np.datetime64(start, "D")).astype(np.int64)
    return result


@dataclass
class Model:
    """People × days: available hours and demand per source, over one window (Monday first)."""

    start: dt.date
    days: int
    person_ids: list[int]
    holidays: set[dt.date]  # in the window and over the whole span of every load in it
    free: availability.PeopleAvailability
    available: FloatArray
    demand: dict[Source, FloatArray]
    items: list[Item] = field(default_factory=list)

    @property
    def index(self) -> dict[int, int]:
        return {pk: i for i, pk in enumerate(self.person_ids)}

    @property
    def operational(self) -> FloatArray:
        return sum(
            (a for s, a in self.demand.items() if s.operational),
            np.zeros_like(self.available),
        )

    @property
    def project(self) -> FloatArray:
        return self.demand[Source.PROJECT]

    def daily_of(self, person_id: int) -> DailyAvailability:
        return self.free.of(person_id)


def spans(items: Sequence[Item], index: dict[int, int], start: dt.date) -> list[Load]:
    """Items (not reservations) as engine loads on the rows of ``index``."""
    return [
        Load(
            index[x.person_id],
            (x.first - start).days,
            (x.last - start).days,
            x.hours,
            x.daily,
        )
        for x in items
        if x.source is not Source.RESERVATION and x.person_id in index
    ]


def shares(items: Sequence[Item], index: dict[int, int], start: dt.date, days: int) -> FloatArray:
    """Reserved share of each person and day (summed; the engine caps it at 1)."""
    out = np.zeros((len(index), days), dtype=np.float64)
    for x in items:
        if x.source is Source.RESERVATION and x.person_id in index:
            a = max(0, (x.first - start).days)
            b = min(days, (x.last - start).days + 1)
            if a < b:
                out[index[x.person_id], a:b] += x.share
    return out


def demand_by_source(
    items: Sequence[Item],
    person_ids: list[int],
    start: dt.date,
    days: int,
    holidays: set[dt.date],
    available: FloatArray,
) -> dict[Source, FloatArray]:
    """Hours per person and day of each source (the engine's spread and reserved hours)."""
    index = {pk: i for i, pk in enumerate(person_ids)}
    out = {}
    for source in (Source.PROJECT, Source.ROUTINE, Source.REQUEST):
        chosen = [x for x in items if x.source is source]
        out[source] = engine.spread(spans(chosen, index, start), len(index), start, days, holidays)
    out[Source.RESERVATION] = engine.reserved_hours(shares(items, index, start, days), available)
    return out


def load_model(
    organisation: Organisation,
    person_ids: Sequence[int],
    start: dt.date,
    days: int,
    *,
    projects: Filter = ALL,
    keep_items: bool = False,
) -> Model:
    """The capacity model of ``person_ids`` for ``days`` days from ``start`` (constant queries)."""
    ids = list(person_ids)
    last = start + dt.timedelta(days=days - 1)
    free = availability.availability(organisation, ids, start, last)
    available = (
        np.vstack([free.of(pk).available for pk in ids])
        if ids
        else np.zeros((0, days), dtype=np.float64)
    )
    items: list[Item] = []
    if ids:
        items = (
            (task_items(organisation, ids, start, last, projects) if keep_items else [])
            + routine_items(organisation, ids, start, last)
            + request_items(organisation, ids, start, last)
            + reservation_items(organisation, ids, start, last)
        )
    spanned = [x for x in items if x.source is not Source.RESERVATION]
    holidays = free.holidays
    if spanned:
        holidays = holidays | _holidays_beyond(
            organisation,
            start,
            days,
            min((x.first - start).days for x in spanned),
            max((x.last - start).days for x in spanned),
        )
    demand = demand_by_source(items, ids, start, days, holidays, available)
    if not keep_items:
        demand[Source.PROJECT] = project_hours(organisation, ids, start, days, holidays, projects)
    return Model(
        start,
        days,
        ids,
        holidays,
        free,
        available,
        demand,
        items if keep_items else [],
    )
