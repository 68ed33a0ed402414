"""The one adapter from project rows to the earned-value engine: work packages, control accounts,
the budget by cost category and the budget at completion (BAC).

* A leaf task's budget is its planned work (effort, else duration for one person) priced at
  its people's hourly rates (:mod:`twofold.evm.sources`): with several people on it
  (``Assignment`` rows, the People panel) each person's share of the work at their own rate, a
  person without a rate at the planned labour rate; without rows, all of it at the assignee's.
  A person's share is their work on the task, as capacity reads it (their ``work_minutes``;
  without it the task's effort shared by units, else duration × units). Milestones cost
  nothing.
* A planned expense (:class:`~twofold.evm.models.BudgetLine`) is a package of its own, spread
  over its control account's dates (else the project's) and earned with its progress.
* Control accounts are the top-level summary tasks of the WBS; a task outside any summary is in
  the project's own account (``None``).
* Dates and planned work are the latest baseline's (the performance measurement baseline,
  re-saved by each approved change), else the current schedule's: re-estimating a task's
  effort without a new baseline changes neither BAC nor EV. A task added after the latest
  baseline counts at its current plan until the next one. Rates are looked up as below (a
  person's, else their role's, on the task's baseline start), and **frozen with the
  baseline** (:func:`freeze_costs`): a rate entered after the baseline moves the actual cost,
  not the budget, as Microsoft Project's Baseline Cost. A task baselined before any rate was
  known (no rate for one of its people, no planned labour rate) is priced at the rates in force
  until the next baseline.
* A task's dates are the local days it starts and ends on; a finish at exactly local midnight
  (a shift ending at 24:00) ends the day before, not the next day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from twofold.engine.evm import ZERO, WorkPackage, cents
from twofold.evm import sources
from twofold.evm.models import BudgetLine, CostCategory, ProjectBudget
from twofold.projects.models import CURRENT_FIRST, Assignment, Baseline, BaselineTask, Project, Task
from twofold.projects.services import tz_of

HOUR = Decimal(60)
_MAX_FROZEN = Decimal(10) ** 18
"""The largest cost ``BaselineTask.cost`` holds (20 digits, two after the point)."""


@dataclass(frozen=True)
class TaskRow:
    """What costing needs of a task (lighter than a model instance; change impact builds these
    for tasks that exist only in a proposed plan)."""

    pk: int
    parent_id: int | None
    name: str
    work_minutes: int
    is_milestone: bool
    assignee_id: int | None
    percent_complete: int
    start: dt.date | None
    finish: dt.date | None
    baseline_cost: Decimal | None = None
    """The cost frozen in the latest baseline (None: priced at the rates in force)."""
    shares: tuple[tuple[int, Decimal], ...] | None = None
    """Its people (``Assignment`` rows) with their share of its work, (person id, minutes),
    in the rows' order; empty: none (the ``assignee`` does all of it); None: not read
    (:func:`costing` reads them)."""


Share = tuple[int, Decimal]


def shares_of(
    assignments: Sequence[tuple[int, int, int | None]], effort: int, duration: int
) -> tuple[Share, ...]:
    """Each person's work on a task (minutes) from its assignment rows (person, units, work),
    as capacity reads them (``capacity.demand``): the row's work; without it the task's effort
    shared by units over all its rows, else its duration × the person's units. When that is
    nothing for everyone (all rows at 0 h), shared by units, so that the task's work is still
    priced at its people's rates."""
    total = sum(units for _, units, _ in assignments)
    out = []
    for person, units, work in assignments:
        if work is not None:
            minutes = Decimal(work)
        elif effort:
            minutes = Decimal(effort) * units / max(total, 1)
        else:
            minutes = Decimal(duration) * units / 100
        out.append((person, minutes))
    if out and not any(m > 0 for _, m in out):
        out = [(person, Decimal(units)) for person, units, _ in assignments]
    return tuple(out)


def people_of(rows: Sequence[TaskRow]) -> set[int]:
    """Everyone whose rate can price ``rows``: the assignees and the people on the tasks."""
    ids = {r.assignee_id for r in rows if r.assignee_id is not None}
    for r in rows:
        ids.update(person for person, _ in r.shares or ())
    return ids


def _finish_day(finish: dt.datetime, start: dt.datetime | None, tzinfo: dt.tzinfo) -> dt.date:
    """The local day ``finish`` ends: a finish at exactly midnight (a shift ending at 24:00 is
    stored as the next day's 00:00) is the end of the day before, when it is after the start
    (until 2026-12-06 the planned value of such a task slipped to the next day)."""
    local = finish.astimezone(tzinfo)
    if local.time() == dt.time(0) and (start is None or finish > start):
        return local.date() - dt.timedelta(days=1)
    return local.date()


@dataclass
class Costing:
    """A project's budget: packages for the engine, BAC and its split by category and account."""

    packages: list[WorkPackage]
    accounts: dict[int | None, str]
    by_category: dict[str, Decimal]
    labour_rate: Decimal
    account_of: dict[int, int | None] = field(default_factory=dict)

    @property
    def bac(self) -> Decimal:
        return sum((p.budget for p in self.packages), ZERO)

    def by_account(self) -> dict[int | None, Decimal]:
        out: dict[int | None, Decimal] = {}
        for p in self.packages:
            out[p.account] = out.get(p.account, ZERO) + p.budget
        return out


def labour_rate(project: Project) -> Decimal:
    return labour_rates([project.pk]).get(project.pk, ZERO)


def labour_rates(project_ids: Sequence[int]) -> dict[int, Decimal]:
    """The planned labour rate per project (one query; projects without budget settings: 0)."""
    return dict(
        ProjectBudget.objects.filter(project_id__in=list(project_ids)).values_list(
            "project_id", "labour_rate"
        )
    )


def task_rows(project: Project) -> list[TaskRow]:
    """Every task of ``project`` with its baseline dates (three queries)."""
    return rows_by_project([project], tz_of(project.organisation)).get(project.pk, [])


def rows_by_project(projects: Sequence[Project], tzinfo: dt.tzinfo) -> dict[int, list[TaskRow]]:
    """Every task of ``projects`` with its latest baseline's dates and its people (three
    queries in all)."""
    ids = [p.pk for p in projects]
    latest: dict[int, int] = {}
    for pid, bid in (
        Baseline.objects.filter(project_id__in=ids)
        .order_by("project_id", "created_at", "number")
        .values_list("project_id", "pk")
    ):
        latest[pid] = bid  # the last one per project wins: the current baseline (CURRENT_FIRST)
    planned: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
    baseline_work: dict[int, int] = {}
    baseline_cost: dict[int, Decimal] = {}
    if latest:
        for tid, s, f, work, duration, cost in BaselineTask.objects.filter(
            baseline_id__in=list(latest.values())
        ).values_list("task_id", "start", "finish", "work_minutes", "duration_minutes", "cost"):
            planned[tid] = (s, f)
            baseline_work[tid] = work or duration
            if cost is not None:
                baseline_cost[tid] = cost
    # One row per task and person on it (LEFT JOIN: a task without people gives one row with
    # none), so that pricing each person's share costs no query of its own.
    out: dict[int, list[TaskRow]] = {pid: [] for pid in ids}
    people: dict[int, list[tuple[int, int, int | None]]] = {}
    work_of: dict[int, tuple[int, int]] = {}
    for (
        pid, pk, parent, name, effort, duration, milestone, assignee, pc, start, finish,
        person, units, own_work,
    ) in (
        Task.objects.filter(project_id__in=ids)
        .order_by("position", "pk", "assignments__position", "assignments__pk")
        .values_list(
            "project_id", "pk", "parent_id", "name", "effort_minutes", "duration_minutes",
            "is_milestone", "assignee_id", "percent_complete", "start", "finish",
            "assignments__person_id", "assignments__units", "assignments__work_minutes",
        )
    ):  # fmt: skip
        if person is not None:
            people.setdefault(pk, []).append((person, units, own_work))
        if pk in work_of:
            continue  # the same task again, with its next person
        work_of[pk] = (effort or 0, duration or 0)
        s, f = planned.get(pk, (start, finish))
        out[pid].append(
            TaskRow(
                pk=pk,
                parent_id=parent,
                name=name,
                # The budget is the baseline's work: re-estimating a task's effort after the
                # baseline moved BAC and EV with it (an overrun hidden by a bigger estimate).
                work_minutes=0 if milestone else baseline_work.get(pk, effort or duration),
                is_milestone=milestone,
                assignee_id=assignee,
                percent_complete=pc,
                start=s.astimezone(tzinfo).date() if s else None,
                finish=_finish_day(f, s, tzinfo) if f else None,
                baseline_cost=None if milestone else baseline_cost.get(pk),
                shares=(),
            )
        )
    if people:
        for pid, rows in out.items():
            out[pid] = [
                replace(r, shares=shares_of(people[r.pk], *work_of[r.pk])) if r.pk in people else r
                for r in rows
            ]
    return out


def with_shares(project: Project, rows: Sequence[TaskRow]) -> list[TaskRow]:
    """``rows`` with the people of those whose ``shares`` were not read (one query; rows built
    elsewhere, as change impact's, for tasks of ``project``)."""
    wanted = [r.pk for r in rows if r.shares is None and r.pk > 0]
    if not wanted:
        return list(rows)
    people: dict[int, list[tuple[int, int, int | None]]] = {}
    task_of: dict[int, tuple[int, int]] = {}
    for tid, person, units, work, effort, duration in Assignment.objects.filter(
        task_id__in=wanted, task__project_id=project.pk
    ).values_list(
        "task_id", "person_id", "units", "work_minutes", "task__effort_minutes",
        "task__duration_minutes",
    ):  # fmt: skip
        people.setdefault(tid, []).append((person, units, work))
        task_of[tid] = (effort or 0, duration or 0)
    return [
        r
        if r.shares is not None
        else replace(r, shares=shares_of(people.get(r.pk, []), *task_of.get(r.pk, (0, 0))))
        for r in rows
    ]


def _priced(
    r: TaskRow, day: dt.date, rate: Decimal, lookup: sources.RateLookup
) -> tuple[Decimal, bool]:
    """The planned cost of leaf ``r`` at the rates in force on ``day``, and whether all of its
    work had a rate (a person's own or role's, else the planned labour rate)."""
    shares = r.shares or ()
    total = sum((m for _, m in shares), ZERO)
    if not shares or total <= 0:
        hourly = lookup(r.assignee_id, day) if r.assignee_id else None
        priced = hourly is not None or bool(rate)
        return cents(Decimal(r.work_minutes) / HOUR * (rate if hourly is None else hourly)), priced
    weighted, priced = ZERO, True
    for person, minutes in shares:
        hourly = lookup(person, day)
        priced = priced and (hourly is not None or bool(rate))
        weighted += minutes * (rate if hourly is None else hourly)
    # Each person's share of the task's (baseline) work at their own rate: the task's work at
    # their rates weighted by their work (one person: exactly their rate, as without rows).
    return cents(Decimal(r.work_minutes) / HOUR * (weighted / total)), priced


def costing(
    project: Project,
    rows: Sequence[TaskRow],
    lines: Sequence[BudgetLine] | None = None,
    rate: Decimal | None = None,
    lookup: sources.RateLookup | None = None,
) -> Costing:
    """The budget of ``project`` planned on ``rows`` (see the module doc). ``lookup`` gives a
    person's rate on a day (built here for :func:`people_of` ``rows`` when not given; when
    given, it must know them all). Rows whose people were not read are read here (one
    query)."""
    rate = labour_rate(project) if rate is None else rate
    rows = with_shares(project, rows)
    if lines is None:
        lines = list(BudgetLine.objects.filter(project=project))
    parents = {r.parent_id for r in rows if r.parent_id}
    by_pk = {r.pk: r for r in rows}
    account_of: dict[int, int | None] = {}
    for r in rows:
        top, seen = r, 0
        while top.parent_id is not None and top.parent_id in by_pk and seen < 100:
            top, seen = by_pk[top.parent_id], seen + 1
        account_of[r.pk] = top.pk if top.pk in parents else None
    accounts: dict[int | None, str] = {None: project.name}
    for r in rows:
        if r.pk in parents and r.parent_id is None:
            accounts[r.pk] = r.name
    fallback = dt.date.fromisoformat(str(project.target_start))
    if lookup is None:
        starts = [r.start for r in rows if r.start] or [fallback]
        lookup = sources.rate_lookup(
            project.organisation_id, people_of(rows), min(starts), max(starts)
        )
    packages: list[WorkPackage] = []
    labour = ZERO
    spans: dict[int | str | None, list[dt.date]] = {}
    progress: dict[int | str | None, list[tuple[Decimal, int]]] = {}
    for r in rows:
        if r.pk in parents:
            continue
        start = r.start or fallback
        finish = max(r.finish or start, start)
        if r.baseline_cost is not None:
            budget = r.baseline_cost  # frozen when the baseline was saved
        else:
            budget, _ = _priced(r, start, rate, lookup)
        labour += budget
        account = account_of.get(r.pk)
        packages.append(
            WorkPackage(
                uid=r.pk,
                budget=budget,
                start=start,
                finish=finish,
                percent_complete=float(r.percent_complete),
                account=account,
            )
        )
        for group in (account, "all"):
            span = spans.setdefault(group, [start, finish])
            span[0], span[1] = min(span[0], start), max(span[1], finish)
            progress.setdefault(group, []).append(
                (Decimal(max(r.work_minutes, 1)), r.percent_complete)
            )
    by_category: dict[str, Decimal] = {CostCategory.LABOUR.value: labour}
    for i, line in enumerate(lines):
        account = line.account_id if line.account_id in accounts else None
        key: int | str | None = account if account is not None and account in spans else "all"
        start, finish = spans.get(key, [fallback, fallback])
        weights = progress.get(key, [])
        total = sum((w for w, _ in weights), ZERO)
        pc = float(sum((w * p for w, p in weights), ZERO) / total) if total else 0.0
        packages.append(
            WorkPackage(
                uid=-(i + 1),
                budget=line.amount,
                start=start,
                finish=finish,
                percent_complete=min(max(pc, 0.0), 100.0),
                account=account,
            )
        )
        by_category[line.category] = by_category.get(line.category, ZERO) + line.amount
    return Costing(
        packages=packages,
        accounts=accounts,
        by_category=by_category,
        labour_rate=rate,
        account_of=account_of,
    )


def freeze_costs(project: Project) -> int:
    """Write each task's planned cost into the project's latest baseline (called when a
    baseline is saved); returns how many rows got a cost. A task with work that had no rate
    (no rate for one of its people and no planned labour rate) keeps none."""
    latest = Baseline.objects.filter(project=project).order_by(*CURRENT_FIRST).first()
    if latest is None:
        return 0
    rows = task_rows(project)
    rate = labour_rate(project)
    parents = {r.parent_id for r in rows if r.parent_id}
    fallback = dt.date.fromisoformat(str(project.target_start))
    starts = [r.start for r in rows if r.start] or [fallback]
    lookup = sources.rate_lookup(project.organisation_id, people_of(rows), min(starts), max(starts))
    costs: dict[int, Decimal] = {}
    for r in rows:
        if r.pk in parents or r.is_milestone:
            continue
        cost, priced = _priced(r, r.start or fallback, rate, lookup)
        if not priced:
            continue  # no rate known yet: priced at the rates in force until a new baseline
        if abs(cost) < _MAX_FROZEN:  # else priced at the rates in force (the column's limit)
            costs[r.pk] = cost
    found = list(BaselineTask.objects.filter(baseline=latest, task_id__in=list(costs)))
    for row in found:
        row.cost = costs[row.task_id]
    BaselineTask.objects.bulk_update(found, ["cost"], batch_size=500)
    return len(found)
