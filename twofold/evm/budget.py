"""The one adapter from project rows to the earned-value engine: work packages, control accounts,
the budget by cost category and the budget at completion (BAC).

* A leaf task's budget is its planned work (effort, else duration for one person) × the
  assignee's hourly rate (:mod:`twofold.evm.sources`); milestones cost nothing.
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
  known (no rate for its person, no planned labour rate) is priced at the rates in force until
  the next baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from twofold.engine.evm import ZERO, WorkPackage, cents
from twofold.evm import sources
from twofold.evm.models import BudgetLine, CostCategory, ProjectBudget
from twofold.projects.models import CURRENT_FIRST, Baseline, BaselineTask, Project, Task
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
    """Every task of ``projects`` with its latest baseline's dates (three queries in all)."""
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
    out: dict[int, list[TaskRow]] = {pid: [] for pid in ids}
    for pid, pk, parent, name, effort, duration, milestone, assignee, pc, start, finish in (
        Task.objects.filter(project_id__in=ids)
        .order_by("position")
        .values_list(
            "project_id",
            "pk",
            "parent_id",
            "name",
            "effort_minutes",
            "duration_minutes",
            "is_milestone",
            "assignee_id",
            "percent_complete",
            "start",
            "finish",
        )
    ):
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
                finish=f.astimezone(tzinfo).date() if f else None,
                baseline_cost=None if milestone else baseline_cost.get(pk),
            )
        )
    return out


def costing(
    project: Project,
    rows: Sequence[TaskRow],
    lines: Sequence[BudgetLine] | None = None,
    rate: Decimal | None = None,
    lookup: sources.RateLookup | None = None,
) -> Costing:
    """The budget of ``project`` planned on ``rows`` (see the module doc). ``lookup`` gives a
    person's rate on a day (built here for the assignees of ``rows`` when not given)."""
    rate = labour_rate(project) if rate is None else rate
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
            project.organisation_id, {r.assignee_id for r in rows}, min(starts), max(starts)
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
            hourly = lookup(r.assignee_id, start) if r.assignee_id else None
            budget = cents(Decimal(r.work_minutes) / HOUR * (rate if hourly is None else hourly))
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
    baseline is saved); returns how many rows got a cost. A task whose cost came from no rate
    at all (no rate for its person and no planned labour rate) keeps none."""
    latest = Baseline.objects.filter(project=project).order_by(*CURRENT_FIRST).first()
    if latest is None:
        return 0
    rows = task_rows(project)
    rate = labour_rate(project)
    parents = {r.parent_id for r in rows if r.parent_id}
    fallback = dt.date.fromisoformat(str(project.target_start))
    starts = [r.start for r in rows if r.start] or [fallback]
    lookup = sources.rate_lookup(
        project.organisation_id, {r.assignee_id for r in rows}, min(starts), max(starts)
    )
    costs: dict[int, Decimal] = {}
    for r in rows:
        if r.pk in parents or r.is_milestone:
            continue
        hourly = lookup(r.assignee_id, r.start or fallback) if r.assignee_id else None
        if hourly is None and not rate:
            continue  # no rate known yet: priced at the rates in force until a new baseline
        cost = cents(Decimal(r.work_minutes) / HOUR * (rate if hourly is None else hourly))
        if abs(cost) < _MAX_FROZEN:  # else priced at the rates in force (the column's limit)
            costs[r.pk] = cost
    found = list(BaselineTask.objects.filter(baseline=latest, task_id__in=list(costs)))
    for row in found:
        row.cost = costs[row.task_id]
    BaselineTask.objects.bulk_update(found, ["cost"], batch_size=500)
    return len(found)
