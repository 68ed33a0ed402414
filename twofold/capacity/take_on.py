""" "Can we take this on?": a proposed project against committed projects and operations.

A proposed project is one in the initiation phase. Its tasks, as its own plan schedules them,
become demand per team and week (each person counts in one team: the first by name, or "No
team"). Committed demand is the capacity model of everyone (``capacity.demand``) with the project
work of every project past initiation, plus routines, forecast request work and reservations.
The engine (``engine.capacity.earliest_fit``) slides the proposal week by week from this week on
and answers the earliest start at which it adds no overload to any team in any week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from twofold.accounts.models import Organisation, Team
from twofold.capacity import demand
from twofold.capacity.selectors import monday_of, people_of
from twofold.core import dates
from twofold.core.errors import Invalid
from twofold.engine import capacity as engine
from twofold.engine.calendars import HORIZON_END, CalendarRangeError
from twofold.engine.capacity import FloatArray
from twofold.projects.models import Phase, Project, Task
from twofold.projects.services import tz_of

SEARCH_WEEKS = 52
NO_TEAM = "No team"


@dataclass(frozen=True)
class TeamWeeks:
    name: str
    proposal: list[float]  # hours the proposal asks of the team each week (planned start)
    free: list[float]  # hours the team has left after committed work those weeks
    overload: list[float]  # hours over, caused by the proposal, those weeks

    @property
    def cells(self) -> list[tuple[float, float, float]]:
        """(over, asks, free) per week."""
        return list(zip(self.overload, self.proposal, self.free, strict=True))

    @property
    def total_overload(self) -> float:
        return round(sum(self.overload), 1)


@dataclass(frozen=True)
class TakeOn:
    project: Project
    planned_start: dt.date  # the Monday of the proposal's first scheduled week
    weeks: list[dt.date]  # the weeks of the proposal at its planned start
    teams: list[TeamWeeks]
    earliest_start: dt.date | None  # a Monday; None when it fits nowhere in the search
    searched_until: dt.date
    hours: float  # the proposal's assigned hours
    unassigned_tasks: int

    @property
    def fits_as_planned(self) -> bool:
        return all(not any(v > 0 for v in t.overload) for t in self.teams)

    @property
    def overloaded_cells(self) -> int:
        return sum(1 for t in self.teams for v in t.overload if v > 0)

    @property
    def weeks_later(self) -> int | None:
        if self.earliest_start is None:
            return None
        return (self.earliest_start - self.planned_start).days // 7


def proposals(organisation: Organisation) -> list[Project]:
    """The organisation's proposed projects (phase initiation, not archived), by code."""
    return list(
        Project.objects.filter(
            organisation=organisation, phase=Phase.INITIATION, archived_at__isnull=True
        ).order_by("code")
    )


def _team_rows(organisation: Organisation, person_ids: list[int]) -> tuple[list[str], list[int]]:
    """Row names and each person's row: their first team by name, else "No team" (one query)."""
    teams = list(Team.objects.filter(organisation=organisation).order_by("name"))
    first_team: dict[int, str] = {}
    through = Team.members.through.objects.filter(team__organisation=organisation)
    names = {t.pk: t.name for t in teams}
    # The rows' own order (the database's, by name), not Python's: under a linguistic collation
    # "alpha" comes before "Beta" there and after it in Python.
    rank = {t.pk: i for i, t in enumerate(teams)}
    for team_id, user_id in sorted(
        through.values_list("team_id", "user_id"), key=lambda r: rank.get(r[0], len(rank))
    ):
        first_team.setdefault(user_id, names[team_id])
    rows = [t.name for t in teams]
    if any(pk not in first_team for pk in person_ids):
        rows.append(NO_TEAM)
    index = {name: i for i, name in enumerate(rows)}
    return rows, [index[first_team.get(pk, NO_TEAM)] for pk in person_ids]


def _by_team(values: FloatArray, rows: int, row_of: list[int]) -> FloatArray:
    out = np.zeros((rows, values.shape[1]), dtype=np.float64)
    np.add.at(out, np.asarray(row_of, dtype=np.int64), values)
    return out


def take_on(
    organisation: Organisation, project: Project, *, today: dt.date | None = None
) -> TakeOn:
    """The overload ``project`` would cause per team and week, and its earliest fitting start.

    Raises:
        Invalid: the search would reach past the calendars' last day (a project late in 2149;
            it answered 500).
    """
    try:
        return _take_on(organisation, project, today=today)
    except CalendarRangeError as exc:
        raise Invalid(
            f"{project.code} lies too close to the last day the calendars cover "
            f"({dates.format_day(HORIZON_END - dt.timedelta(days=1))}) to look for a start.",
            field="project_id",
        ) from exc


def _take_on(organisation: Organisation, project: Project, *, today: dt.date | None) -> TakeOn:
    today = today or timezone.localdate()
    people = people_of(organisation)
    ids = [p.pk for p in people]
    index = {pk: i for i, pk in enumerate(ids)}
    tasks = Task.objects.filter(project=project, is_summary=False, is_milestone=False)
    unassigned = tasks.filter(assignee__isnull=True, assignments__isnull=True).count()
    bounds = [
        (t.start, t.finish)
        for t in tasks.filter(start__isnull=False, finish__isnull=False).only("start", "finish")
        if t.start is not None and t.finish is not None
    ]
    tzinfo = tz_of(organisation)
    first_day = min((s.astimezone(tzinfo).date() for s, _ in bounds), default=project.target_start)
    last_day = max((f.astimezone(tzinfo).date() for _, f in bounds), default=first_day)
    planned = monday_of(first_day)
    length = (last_day - planned).days // 7 + 1
    items = demand.task_items(
        organisation, None, planned, last_day, demand.Filter(only_project=project.pk)
    )
    items = [x for x in items if x.person_id in index]
    proposal_days = demand.demand_by_source(
        items, ids, planned, length * 7, set(), np.zeros((len(ids), length * 7))
    )[engine.Source.PROJECT]
    origin = monday_of(today)
    start_offset = max(0, (planned - origin).days // 7)
    horizon = start_offset + SEARCH_WEEKS + length
    model = demand.load_model(
        organisation,
        ids,
        origin,
        horizon * 7,
        projects=demand.Filter(exclude_phases=(Phase.INITIATION,), exclude_project=project.pk),
    )
    # The proposal's hours on the people's own holidays and leave: the engine spreads over the
    # organisation's working days; weekly sums per team are what is compared.
    names, row_of = _team_rows(organisation, ids)
    committed_days = sum(model.demand.values(), np.zeros_like(model.available))
    capacity = engine.weekly(_by_team(model.available, len(names), row_of))
    committed = engine.weekly(_by_team(committed_days, len(names), row_of))
    proposal = engine.weekly(_by_team(proposal_days, len(names), row_of))
    fit = engine.earliest_fit(capacity, committed, proposal)
    # The overload at the planned start (or this week, when the planned start is past).
    at_plan = np.zeros_like(capacity)
    at_plan[:, start_offset : start_offset + length] = proposal
    overload = engine.added_overload(capacity, committed, at_plan)
    window = slice(start_offset, start_offset + length)
    free = np.maximum(capacity - committed, 0.0)[:, window]
    shown_start = origin + dt.timedelta(weeks=start_offset)
    teams = [
        TeamWeeks(
            name,
            [round(float(v), 1) for v in proposal[r]],
            [round(float(v), 1) for v in free[r]],
            [round(float(v), 1) for v in overload[r, window]],
        )
        for r, name in enumerate(names)
        if proposal[r].sum() > 0
    ]
    earliest = None
    if fit.offset is not None:
        earliest = origin + dt.timedelta(weeks=fit.offset)
    return TakeOn(
        project,
        shown_start,
        [shown_start + dt.timedelta(weeks=i) for i in range(length)],
        teams,
        earliest,
        origin + dt.timedelta(weeks=horizon - length),
        round(float(proposal.sum()), 1),
        unassigned,
    )
