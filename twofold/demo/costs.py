"""The demo's money: a currency, rates, a year of timesheets, expenses and process budgets.

What it tells (``docs/costs.md`` lists it for earned value):

* rates by role (job title) from a year ago, a few personal rates, and one rate change
  (Kwame Asante, maintenance) six months ago;
* every project task's *actual hours* = its percent complete × planned work (effort) × a
  project factor, logged by its assignee on the working days it has run: **OPX-03** (Line 3
  automation cell) burns 1/0.86 of the earned work (CPI ≈ 0.86), **QMS-26** (ISO 9001
  recertification) the earned work, each task a little over or under, the whole a hair under
  (CPI 1.01), the others 0.95-1.05; each task's hours vary from day to day;
* people who run processes log "process: general" hours on them every working day;
* project time approved up to yesterday (so AC matches EV's status date); process time approved
  up to the end of the week before last, last week's submitted (waiting in Approvals), this
  week's in draft; OPX-03 and QMS-26 carry no expenses (their AC is time only), the other
  projects and the processes have approved and waiting expenses;
* process budgets for the current fiscal year: "Monthly close" runs under budget,
  "Preventive maintenance" over;
* each entry was written on its day, each week's timesheet submitted on its Friday and approved
  the Monday after, each expense entered on its day and approved a few days later (they all
  read the time the demo was loaded).

Every project whose tasks have people gets their hours, the improvement projects too (CI-05
"Final inspection vision check" had none until its tasks had people).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.costs import selectors
from twofold.costs.models import (
    CostSettings,
    EntryStatus,
    Expense,
    ProcessBudget,
    Rate,
    TimeEntry,
    Timesheet,
)
from twofold.demo.backdate import at_local, past

ROLE_RATES = {
    "Head of Operations & PMO": 95, "Managing Director": 120, "Engineering Manager": 90,
    "Senior Process Engineer": 78, "Automation Engineer": 74, "Project Manager": 82,
    "Design Engineer": 68, "Production Manager": 80, "Shift Lead, Line 1": 52,
    "Shift Lead, Line 2": 52, "Production Planner": 50, "Quality Manager": 80,
    "Quality Inspector": 46, "Quality Engineer": 64, "Maintenance Supervisor": 58,
    "Maintenance Technician": 48, "IT Manager": 84, "Systems Administrator": 66,
    "Service Desk Analyst": 44, "Finance Controller": 86, "Management Accountant": 62,
}  # fmt: skip
PROJECT_FACTOR = {"OPX-03": Decimal(1) / Decimal("0.86"), "QMS-26": Decimal(1)}
PROCESS_HOURS = {  # process name → (person, hours per working day)
    "Monthly close": [("Henrik Lund", 2), ("Mei Chen", 5)],
    "Line 2 production": [("Jonas Berg", 6), ("Aisha Mensah", 3), ("Fatima Zahra", 2)],
    "Server patching": [("Raj Patel", 3), ("Sofia Rossi", 2)],
    # Dana (the demo's sign-in) chairs the weekly complaint review: her own week has hours too.
    "Customer complaints": [("Ben Carter", 3), ("Hana Sato", 1), ("Dana Whitfield", 1)],
    "Preventive maintenance": [("Luis Ortega", 5), ("Kwame Asante", 6)],
}
BUDGET_PACE = {"Monthly close": Decimal("1.12"), "Preventive maintenance": Decimal("0.9")}
QUARTER = Decimal("0.25")


def _q(value: Decimal) -> Decimal:
    return (value / QUARTER).quantize(Decimal(1), rounding=ROUND_HALF_UP) * QUARTER


def _working_days(start: dt.date, end: dt.date) -> list[dt.date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _rates(org: Organisation, people: dict[str, User], today: dt.date) -> None:
    since = today - dt.timedelta(days=400)
    Rate.objects.bulk_create(
        [Rate(organisation=org, role=role, hourly=Decimal(h), effective_from=since,
              overtime_factor=Decimal("1.5")) for role, h in ROLE_RATES.items()]
    )  # fmt: skip
    personal = [("Priya Raman", 84, since), ("Kwame Asante", 48, since)]
    personal.append(("Kwame Asante", 52, today - dt.timedelta(days=182)))  # a raise: history
    Rate.objects.bulk_create(
        Rate(organisation=org, person=people[name], hourly=Decimal(h), effective_from=day)
        for name, h, day in personal
        if name in people
    )


def _project_hours(org: Organisation, today: dt.date, rng: random.Random) -> list[tuple[Any, ...]]:
    """(person id, day, hours, task, project id) of the demo projects' earned work × factor."""
    from twofold.projects.models import Project, Task

    rows = []
    # Some days a person logs more on a task than on others (an even spread made a project's
    # weekly actual cost equal its planned value to the cent): its own stream, so the factors
    # drawn from ``rng`` stay as they were.
    spread = random.Random(2604)
    for project in Project.objects.filter(organisation=org):
        factor = PROJECT_FACTOR.get(project.code, Decimal(str(round(rng.uniform(0.95, 1.05), 2))))
        plans: list[tuple[Task, Decimal, Decimal, list[dt.date], list[Decimal]]] = []
        for task in Task.objects.filter(
            project=project, is_summary=False, is_milestone=False
        ).exclude(assignee=None):
            if not task.percent_complete or task.start is None:
                continue
            earned = (
                Decimal(task.effort_minutes or task.duration_minutes)
                / 60
                * task.percent_complete
                / 100
            )
            first = task.actual_start or task.start.date()
            last = min(task.actual_finish or today, today - dt.timedelta(days=1))
            days = _working_days(first, max(first, last)) or [first]
            # On budget is not to the hour: each task a little over or under its plan.
            jitter = Decimal(str(round(spread.uniform(0.96, 1.04), 2))) if factor == 1 else 1
            weights = [Decimal(str(round(spread.uniform(0.6, 1.4), 2))) for _ in days]
            plans.append((task, earned, earned * factor * jitter, days, weights))
        if factor == 1 and plans:
            # On budget as a whole, whatever the draws: a hair under the earned work (CPI 1.01),
            # so it never reads "90 % of budget spent at 89 % earned" (it did, or not, with the
            # draws of the other projects' tasks).
            earned_all = sum((e for _t, e, _p, _d, _w in plans), Decimal(0))
            drawn = sum((p for _t, _e, p, _d, _w in plans), Decimal(0))
            scale = earned_all * Decimal("0.99") / drawn if drawn else Decimal(1)
            plans = [(t, e, p * scale, d, w) for t, e, p, d, w in plans]
        for task, _earned, planned, days, weights in plans:
            total = _q(planned)
            whole, running, logged = sum(weights), Decimal(0), Decimal(0)
            for i, day in enumerate(days):
                running += weights[i]
                upto = total if i == len(days) - 1 else _q(total * running / whole)
                hours = upto - logged
                if hours > 0:
                    rows.append((task.assignee_id, day, hours, task, project.pk))
                    logged += hours
    return rows


def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Currency, rates, a year of timesheets, expenses and process budgets for the demo."""
    from twofold.operations.models import Process

    org, rng = organisation, random.Random(1414)
    today = timezone.localdate()
    CostSettings.objects.create(organisation=org, currency="GBP", locale="en-GB")
    _rates(org, people, today)
    this_week = today - dt.timedelta(days=(today.weekday() - org.week_start) % 7)
    last_week = this_week - dt.timedelta(days=7)
    year_ago = this_week - dt.timedelta(weeks=52)
    processes = {p.name: p for p in Process.objects.filter(organisation=org)}
    cells: list[tuple[Any, ...]] = [
        (pid, day, hours, task, project_id, None)
        for pid, day, hours, task, project_id in _project_hours(org, today, rng)
        if day >= year_ago
    ]
    for name, staff in PROCESS_HOURS.items():
        process = processes.get(name)
        for who, daily in staff:
            if process is None or who not in people:
                continue
            for day in _working_days(year_ago, today):
                hours = _q(Decimal(daily) * Decimal(str(rng.uniform(0.75, 1.2))))
                cells.append((people[who].pk, day, hours, None, None, process))

    def week_of(day: dt.date) -> dt.date:
        return day - dt.timedelta(days=(day.weekday() - org.week_start) % 7)

    sheets = {
        key: Timesheet(organisation=org, person_id=key[0], week_start=key[1])
        for key in sorted({(c[0], week_of(c[1])) for c in cells})
    }
    Timesheet.objects.bulk_create(sheets.values(), batch_size=1000)
    approver = people.get("Dana Whitfield")

    def approved(start: dt.date) -> dt.datetime:  # the Monday after the week, or just now
        return past(at_local(org, start + dt.timedelta(days=7), 10))

    entries = []
    for pid, day, hours, task, project_id, process in cells:
        start = week_of(day)
        # Project time is all approved (earned value reads approved actuals); recent process
        # time waits: last week's submitted (in Approvals), this week's still a draft.
        status = EntryStatus.APPROVED
        if task is None and start >= last_week:
            status = EntryStatus.SUBMITTED if start == last_week else EntryStatus.DRAFT
        entries.append(
            TimeEntry(
                organisation=org,
                timesheet=sheets[(pid, start)],
                person_id=pid,
                day=day,
                hours=hours,
                kind="task" if task else "process",
                task=task,
                project_id=project_id,
                process=process,
                status=status,
                decided_by=approver if status == EntryStatus.APPROVED else None,
                decided_at=approved(start) if status == EntryStatus.APPROVED else None,
                created_at=past(at_local(org, day, 17)),
            )
        )
    TimeEntry.objects.bulk_create(entries, batch_size=2000)
    for week in sorted({key[1] for key in sheets if key[1] < this_week}):
        Timesheet.objects.filter(organisation=org, week_start=week).update(
            submitted_at=at_local(org, week + dt.timedelta(days=4), 16, 30)
        )
    expenses = _expenses(org, people, processes, today, rng)
    _budgets(org, processes, today)
    return f"{len(entries)} time entries in {len(sheets)} timesheets, {expenses} expenses"


def _expenses(
    org: Organisation,
    people: dict[str, User],
    processes: dict[str, Any],
    today: dt.date,
    rng: random.Random,
) -> int:
    from twofold.projects.models import Project

    projects = {p.code: p for p in Project.objects.filter(organisation=org)}
    by = people.get("Marcus Obi")
    rows = []
    plan = [
        # OPX-05's installation ran over its budget line (the earned-value demo's amber CPI).
        ("OPX-05", "equipment", "Spindle tooling set", "Sandvik Coromant", 6400),
        ("OPX-05", "services", "Machine installation and levelling", "DMG Mori Service", 11800),
        # DIG-02 is in planning: only the consultants' discovery phase is spent so far (the
        # licences are budgeted, bought in execution).
        ("DIG-02", "services", "Data migration consultants: discovery", "Navisys Ltd", 6200),
        ("DIG-01", "equipment", "Energy meters (12)", "Schneider Electric", 3960),
    ]
    for code, category, text, supplier, amount in plan:
        if code in projects:
            spent = today - dt.timedelta(days=rng.randint(10, 60))
            rows.append(
                Expense(
                    organisation=org,
                    project=projects[code],
                    category=category,
                    description=text,
                    supplier=supplier,
                    amount=Decimal(amount),
                    spent_on=spent,
                    status=EntryStatus.APPROVED,
                    submitted_by=by,
                    decided_by=people.get("Dana Whitfield"),
                    created_at=at_local(org, spent, 15),
                    decided_at=at_local(org, spent + dt.timedelta(days=3), 10),
                )
            )
    waiting = [
        ("DIG-02", "travel", "Vendor workshop, train fares", "Avanti West Coast", 386),
        ("OPX-08", "services", "Racking survey", "Storage Design Co", 1450),
    ]
    for code, category, text, supplier, amount in waiting:
        if code in projects:
            rows.append(
                Expense(
                    organisation=org,
                    project=projects[code],
                    category=category,
                    description=text,
                    supplier=supplier,
                    amount=Decimal(amount),
                    spent_on=today - dt.timedelta(days=3),
                    status=EntryStatus.SUBMITTED,
                    submitted_by=people.get("Chloe Martin"),
                    created_at=at_local(org, today - dt.timedelta(days=3), 15),
                )
            )
    start, _ = selectors.fiscal_year_bounds(org, selectors.fiscal_year_of(org, today))
    monthly = {
        "Preventive maintenance": ("materials", "Spare parts", "RS Components", 3800),
        "Monthly close": ("software", "Accounting add-ons", "Sage", 420),
        "Server patching": ("software", "Patch management subscription", "Ivanti", 650),
    }
    for name, (category, text, supplier, amount) in monthly.items():
        if name not in processes:
            continue
        month = start
        while month <= today:
            spent = min(month + dt.timedelta(days=14), today)
            rows.append(
                Expense(
                    organisation=org,
                    process=processes[name],
                    category=category,
                    description=text,
                    supplier=supplier,
                    spent_on=spent,
                    created_at=past(at_local(org, spent, 15)),
                    decided_at=past(at_local(org, spent + dt.timedelta(days=3), 10)),
                    amount=(Decimal(amount) * Decimal(str(rng.uniform(0.85, 1.15)))).quantize(
                        Decimal("0.01")
                    ),
                    status=EntryStatus.APPROVED,
                    submitted_by=processes[name].owner,
                    decided_by=people.get("Dana Whitfield"),
                )
            )
            month = (month + dt.timedelta(days=32)).replace(day=1)
    Expense.objects.bulk_create(rows)
    return len(rows)


def _budgets(org: Organisation, processes: dict[str, Any], today: dt.date) -> None:
    """Each process's budget for the current fiscal year: its pace so far projected to the
    year, × 1.12 for "Monthly close" (under budget), × 0.9 for maintenance (over), else 1.05."""
    year = selectors.fiscal_year_of(org, today)
    start, end = selectors.fiscal_year_bounds(org, year)
    elapsed = Decimal((today - start).days + 1) / Decimal((end - start).days + 1)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for name, process in processes.items():
        totals[name] = selectors.process_actuals(process, year).total
    rows = ProcessBudget.objects.bulk_create(
        ProcessBudget(
            organisation=org,
            process=process,
            fiscal_year=year,
            amount=(
                totals[name]
                / max(elapsed, Decimal("0.05"))
                * BUDGET_PACE.get(name, Decimal("1.05"))
            ).quantize(Decimal(1000)),
        )
        for name, process in processes.items()
    )
    # One budget: the process page's annual budget is this fiscal year's (costs.budget_sync).
    from twofold.operations.models import Process

    for row in rows:
        Process.objects.filter(pk=row.process_id).update(annual_budget=row.amount)


def load_large(organisation: Organisation, people: dict[str, User]) -> str:
    """For the large demo: role rates for every job title, a year of timesheets for every
    person who is no guest (a task of theirs and a process each working day, 7-8.5 hours),
    last week submitted and this week in draft, and a few expenses per project."""
    from twofold.accounts.models import Membership
    from twofold.operations.models import Process
    from twofold.projects.models import Project, Task

    org, rng = organisation, random.Random(2026)
    today = timezone.localdate()
    CostSettings.objects.get_or_create(organisation=org, defaults={"currency": "GBP"})
    since = today - dt.timedelta(days=400)
    titles = {u.job_title for u in people.values() if u.job_title}
    Rate.objects.bulk_create(
        Rate(organisation=org, role=t, hourly=Decimal(ROLE_RATES.get(t, rng.randint(45, 90))),
             effective_from=since, overtime_factor=Decimal("1.5"))
        for t in sorted(titles)
    )  # fmt: skip
    guests = set(
        Membership.objects.filter(organisation=org, role="guest").values_list("user_id", flat=True)
    )
    workers = [u for u in people.values() if u.pk not in guests]
    processes: list[int | None] = list(
        Process.objects.filter(organisation=org).values_list("pk", flat=True)
    ) or [None]
    task_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, project_id, who in Task.objects.filter(
        organisation=org, is_summary=False, is_milestone=False, assignee__isnull=False
    ).values_list("pk", "project_id", "assignee_id"):
        if len(task_of[who]) < 6:
            task_of[who].append((pk, project_id))
    this_week = today - dt.timedelta(days=(today.weekday() - org.week_start) % 7)
    last_week = this_week - dt.timedelta(days=7)
    start = this_week - dt.timedelta(weeks=52)
    days = _working_days(start, today)
    weeks = sorted({d - dt.timedelta(days=(d.weekday() - org.week_start) % 7) for d in days})
    sheets = {
        (u.pk, w): Timesheet(organisation=org, person=u, week_start=w)
        for u in workers
        for w in weeks
    }
    Timesheet.objects.bulk_create(sheets.values(), batch_size=2000)
    entries: list[TimeEntry] = []
    count = 0
    for u in workers:
        own = task_of.get(u.pk, [])
        for day in days:
            week = day - dt.timedelta(days=(day.weekday() - org.week_start) % 7)
            status = EntryStatus.APPROVED
            if week == last_week:
                status = EntryStatus.SUBMITTED
            elif week == this_week:
                status = EntryStatus.DRAFT
            total = _q(Decimal(str(rng.uniform(7, 8.5))))
            project_part = (
                _q(total * Decimal(str(rng.uniform(0.4, 0.8)))) if own and processes[0] else total
            )
            split: list[tuple[str, int | None, int | None, int | None, Decimal]] = []
            if own:
                task_id, project_id = own[(day.toordinal() // 14) % len(own)]
                split.append(
                    ("task", task_id, project_id, None, project_part if processes[0] else total)
                )
            if processes[0] is not None and total - (split[0][4] if split else 0) > 0:
                split.append(
                    (
                        "process",
                        None,
                        None,
                        processes[u.pk % len(processes)],
                        total - (split[0][4] if split else 0),
                    )
                )
            for kind, line_task, line_project, line_process, hours in split:
                entries.append(TimeEntry(
                    organisation=org, timesheet=sheets[(u.pk, week)], person_id=u.pk, day=day, hours=hours,
                    kind=kind, task_id=line_task, project_id=line_project, process_id=line_process,
                    status=status,
                ))  # fmt: skip
        if len(entries) > 20000:
            TimeEntry.objects.bulk_create(entries, batch_size=5000)
            count += len(entries)
            entries = []
    TimeEntry.objects.bulk_create(entries, batch_size=5000)
    count += len(entries)
    expenses = [
        Expense(organisation=org, project_id=pk, category=rng.choice(["materials", "services", "travel"]),
                description="Supplies", supplier="Acme Supplies", amount=Decimal(rng.randint(50, 5000)),
                spent_on=today - dt.timedelta(days=rng.randint(1, 300)), status=EntryStatus.APPROVED)
        for pk in Project.objects.filter(organisation=org).values_list("pk", flat=True)
        for _ in range(4)
    ]  # fmt: skip
    Expense.objects.bulk_create(expenses, batch_size=2000)
    _large_budgets(org, today, rng)
    return f"{count} time entries in {len(sheets)} timesheets, {len(expenses)} expenses"


def _large_budgets(org: Organisation, today: dt.date, rng: random.Random) -> None:
    """Each process's budget for this fiscal year (its annual budget too: one budget): all it
    cost so far (recorded spend, approved time and expenses) projected to the year, 0.9-1.25
    of it, so most run within budget and a few over."""
    from twofold.operations.models import Process
    from twofold.operations.selectors import costs_between

    year = selectors.fiscal_year_of(org, today)
    start, end = selectors.fiscal_year_bounds(org, year)
    elapsed = Decimal((today - start).days + 1) / Decimal((end - start).days + 1)
    processes = list(Process.objects.filter(organisation=org).order_by("pk"))
    spent = costs_between(org, [p.pk for p in processes], start, end)
    rows = []
    for process in processes:
        pace = Decimal(str(round(rng.uniform(0.9, 1.25), 2)))
        amount = (
            spent.get(process.pk, Decimal(0)) / max(elapsed, Decimal("0.05")) * pace
        ).quantize(Decimal(1000))
        Process.objects.filter(pk=process.pk).update(annual_budget=amount)
        rows.append(
            ProcessBudget(organisation=org, process=process, fiscal_year=year, amount=amount)
        )
    ProcessBudget.objects.bulk_create(rows)
