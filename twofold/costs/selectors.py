"""Reads of costs: rates in force, actuals (approved time × rates + approved expenses), money
visibility, fiscal years, timesheet weeks and approval queues.

The functions ``hourly_rate``, ``rates_for``, ``project_actuals`` and ``process_actuals`` are the
face other apps (earned value, budgets) build on: their signatures stay stable.

*Actual cost* of an approved time entry is ``hours × hourly rate in force that day`` (the person's
own rate, else the rate of their role, i.e. their job title), times the rate's overtime factor on
an overtime entry. An entry with no rate in force costs nothing and is reported ``rated=False``.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from decimal import Context as DecimalContext
from typing import Any

from twofold.accounts.fiscal import fiscal_year_bounds as fiscal_year_bounds
from twofold.accounts.fiscal import fiscal_year_label as fiscal_year_label
from twofold.accounts.fiscal import fiscal_year_of as fiscal_year_of
from twofold.accounts.models import ROLE_RANK, Organisation, Role, User
from twofold.core.fastread import FastRead, RawRows, Read
from twofold.core.policy import Action, can
from twofold.costs.models import (
    CostSettings,
    EntryStatus,
    Expense,
    ProcessBudget,
    Rate,
    TimeEntry,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal, unit: Decimal = CENT) -> Decimal:
    """``value`` rounded half-up to the cent (or to ``unit``, a currency's minor unit)."""
    return value.quantize(unit, rounding=ROUND_HALF_UP)


# --- Currency and fiscal years --------------------------------------------------------------


# Every page that shows an amount reads these, compiled once (core/fastread.py).
_SETTINGS_OF = FastRead(CostSettings, "t.organisation_id = %s", order_by="t.id", limited=True)


def cost_settings_read(organisation_id: int) -> Read:
    """:func:`cost_settings`' read, to read ahead (``core.readahead``, panel ``money``)."""
    return _SETTINGS_OF, [organisation_id, 1]


def cost_settings(organisation_id: int) -> CostSettings:
    """The organisation's currency settings (an unsaved default, EUR in en-GB, if none yet)."""
    found = _SETTINGS_OF.first(cost_settings_read(organisation_id)[1])
    return found or CostSettings(organisation_id=organisation_id)


FISCAL_YEARS = range(2000, 2101)
"""The fiscal years a budget can be set for and shown in (the page, the form, the API)."""


# --- Who sees money ---------------------------------------------------------------------------


def _rank(user: Any, organisation_id: int) -> int:
    from twofold.core.policy import role_in

    role = role_in(user, organisation_id)
    return -1 if role is None else ROLE_RANK[role]


def sees_all_money(user: Any, organisation_id: int) -> bool:
    """Admins and owners see every rate and amount of the organisation."""
    return _rank(user, organisation_id) >= ROLE_RANK[Role.ADMIN]


def sees_expense(user: Any, expense: Any) -> bool:
    """An expense's amount is for whoever may list it: its submitter, those who decide it, and
    the organisation's admins and owners (:func:`visible_expenses`)."""
    return bool(visible_expenses(user, expense.organisation_id).filter(pk=expense.pk).exists())


def sees_rate(user: Any, rate: Any) -> bool:
    """A rate (and its history) is for the organisation's admins and owners."""
    return sees_all_money(user, rate.organisation_id)


def sees_project_money(user: Any, project: Any) -> bool:
    """The one rule for a project's money (rates, costs, budgets, earned value): admins and
    owners of the organisation, and a member who is the project's manager or its sponsor (the
    sponsor owns the charter's budget). Other members see hours, guests never see money."""
    rank = _rank(user, project.organisation_id)
    if rank >= ROLE_RANK[Role.ADMIN]:
        return True
    if rank < ROLE_RANK[Role.MEMBER]:
        return False
    pk = getattr(user, "pk", None)
    return pk is not None and pk in (project.manager_id, project.sponsor_id)


def sees_process_money(user: Any, process: Any) -> bool:
    """Admins, owners and the process owner while a member see its costs and budget; guests
    never (``operations.selectors.sees_process_money``: one rule for the process page, its
    spend and its budgets)."""
    from twofold.operations.selectors import sees_process_money as rule

    return rule(user, process)


def may_set_process_budget(user: Any, process: Any) -> bool:
    """Admins and owners set a process's budgets (they edit the process and its annual
    budget); the process owner sees them only."""
    return can(user, Action.MANAGE, process)


def managed_project_ids(user: Any, organisation_id: int) -> set[int]:
    """Ids of the projects ``user`` manages in the organisation (one query)."""
    from twofold.projects.models import Project

    return set(
        Project.objects.filter(organisation_id=organisation_id, manager_id=user.pk).values_list(
            "id", flat=True
        )
    )


# --- Rates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateInForce:
    """An hourly rate and its overtime factor."""

    hourly: Decimal
    overtime_factor: Decimal


@dataclass
class RateBook:
    """Every rate that can apply to some people over a period, looked up without queries.

    ``rate(person_id, day)`` is the person's own rate in force on ``day``, else the rate of the
    role (job title) they held on ``day``. ``unit`` is the minor unit of the organisation's
    currency that costs are rounded to (a cent; a yen, which has none).
    """

    person_rates: dict[int, list[tuple[dt.date, RateInForce]]] = field(default_factory=dict)
    role_rates: dict[str, list[tuple[dt.date, RateInForce]]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    title_periods: dict[int, list[tuple[dt.date, str]]] = field(default_factory=dict)
    unit: Decimal = CENT

    def role_on(self, person_id: int, day: dt.date) -> str:
        """The job title ``person_id`` held on ``day`` (their current one without history)."""
        periods = self.title_periods.get(person_id)
        if not periods:
            return self.roles.get(person_id, "")
        i = bisect_right([d for d, _ in periods], day)
        return periods[i - 1][1] if i else periods[0][1]

    @staticmethod
    def _pick(
        history: list[tuple[dt.date, RateInForce]] | None, day: dt.date
    ) -> RateInForce | None:
        if not history:
            return None
        i = bisect_right([d for d, _ in history], day)
        return history[i - 1][1] if i else None

    def rate(self, person_id: int, day: dt.date) -> RateInForce | None:
        own = self._pick(self.person_rates.get(person_id), day)
        if own is not None:
            return own
        role = self.role_on(person_id, day)
        return self._pick(self.role_rates.get(role.casefold()), day) if role else None

    def hourly(self, person_id: int, day: dt.date) -> Decimal | None:
        found = self.rate(person_id, day)
        return found.hourly if found else None

    def cost(self, person_id: int, day: dt.date, hours: Decimal, *, overtime: bool) -> Decimal:
        """Cost of ``hours``, rounded half-up to the currency's minor unit (0 when no rate is
        in force)."""
        found = self.rate(person_id, day)
        if found is None:
            return ZERO
        factor = found.overtime_factor if overtime else Decimal(1)
        return cents(hours * found.hourly * factor, self.unit)


def rates_for(
    org: Organisation | int,
    person_ids: Iterable[int],
    start: dt.date,
    end: dt.date,
) -> RateBook:
    """A ``RateBook`` with the rates that can apply to ``person_ids`` between ``start`` and
    ``end`` (three queries, whatever the number of people or days), costing in the minor unit
    of the organisation's currency."""
    from django.db.models import Subquery

    from twofold.costs.money import minor_unit

    organisation_id = org if isinstance(org, int) else org.pk
    ids = set(person_ids)
    book = RateBook()
    if not ids:
        return book
    # Each person's current title, and the titles they held from each day on (one LEFT JOIN:
    # a person without history comes back once, with no period); with the organisation's
    # currency, read in the same query (the default, EUR, while it has no settings).
    currency = Subquery(
        CostSettings.objects.filter(organisation_id=organisation_id).values("currency")[:1]
    )
    for pk, title, since, held, code in (
        User.objects.filter(pk__in=ids)
        .annotate(org_currency=currency)
        .order_by("pk", "title_periods__since")
        .values_list(
            "pk", "job_title", "title_periods__since", "title_periods__title", "org_currency"
        )
    ):
        book.unit = minor_unit(code or "EUR")  # CostSettings' default
        book.roles[pk] = (title or "").strip()
        if since is not None:
            book.title_periods.setdefault(pk, []).append((since, (held or "").strip()))
    rows = Rate.objects.filter(organisation_id=organisation_id, effective_from__lte=end)
    for person_id, hourly, factor, since in (
        rows.filter(person_id__in=ids)
        .order_by("effective_from", "pk")
        .values_list("person_id", "hourly", "overtime_factor", "effective_from")
    ):
        book.person_rates.setdefault(person_id, []).append((since, RateInForce(hourly, factor)))
    titles = {t.casefold() for t in book.roles.values() if t} | {
        t.casefold() for periods in book.title_periods.values() for _d, t in periods if t
    }
    if titles:
        for role, hourly, factor, since in (
            rows.filter(person__isnull=True)
            .order_by("effective_from", "pk")
            .values_list("role", "hourly", "overtime_factor", "effective_from")
        ):
            if role.strip().casefold() in titles:
                book.role_rates.setdefault(role.strip().casefold(), []).append(
                    (since, RateInForce(hourly, factor))
                )
    return book


def hourly_rate(
    person_id: int, project_id: int | None, day: dt.date, *, organisation_id: int | None = None
) -> Decimal | None:
    """The hourly cost rate of a person on ``day``: their own rate in force, else their role's,
    else None. Rates belong to an organisation: the project's, else ``organisation_id``, else
    the person's first organisation. (No project-specific rates exist yet; ``project_id`` names
    the organisation and keeps the signature ready for them.)"""
    if project_id is not None:
        from twofold.projects.models import Project

        organisation_id = (
            Project.all_objects.filter(pk=project_id)
            .values_list("organisation_id", flat=True)
            .first()
        )
    if organisation_id is None:
        from twofold.accounts.models import Membership

        organisation_id = (
            Membership.objects.filter(user_id=person_id)
            .order_by("joined_at")
            .values_list("organisation_id", flat=True)
            .first()
        )
    if organisation_id is None:
        return None
    return rates_for(organisation_id, [person_id], day, day).hourly(person_id, day)


def rate_history(organisation_id: int) -> list[Rate]:
    """Every rate of the organisation, people's first (by name), newest first within each."""
    return list(
        Rate.objects.filter(organisation_id=organisation_id)
        .select_related("person", "created_by")
        .order_by("person__full_name", "person__email", "role", "-effective_from")
    )


# --- Actuals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActualRow:
    """One actual: approved time (``person_id`` set) or an approved expense (``category`` set).

    ``cost`` is in the organisation's currency, rounded to its minor unit (the cent; a whole
    yen); ``hours`` is 0 for an
    expense. ``rated`` is False for time logged by someone with no rate in force that day.
    """

    task_id: int | None
    day: dt.date
    hours: Decimal
    cost: Decimal
    person_id: int | None = None
    category: str | None = None
    rated: bool = True


def _time_rows(entries: list[tuple[Any, ...]], organisation_id: int) -> list[ActualRow]:
    if not entries:
        return []
    days = [e[1] for e in entries]
    book = rates_for(organisation_id, {e[3] for e in entries}, min(days), max(days))
    rows = []
    for task_id, day, hours, person_id, overtime in entries:
        rated = book.rate(person_id, day) is not None
        rows.append(
            ActualRow(
                task_id=task_id,
                day=day,
                hours=hours,
                cost=book.cost(person_id, day, hours, overtime=overtime),
                person_id=person_id,
                rated=rated,
            )
        )
    return rows


def project_actuals(project: Any, *, until: dt.date | None = None) -> list[ActualRow]:
    """Approved time × rates and approved expenses of a project, by day (optionally up to and
    including ``until``). Five queries whatever the project's size."""
    entries = TimeEntry.objects.filter(project_id=project.pk, status=EntryStatus.APPROVED)
    expenses = Expense.objects.filter(project_id=project.pk, status=EntryStatus.APPROVED)
    if until is not None:
        entries = entries.filter(day__lte=until)
        expenses = expenses.filter(spent_on__lte=until)
    rows = _time_rows(
        list(entries.values_list("task_id", "day", "hours", "person_id", "overtime")),
        project.organisation_id,
    )
    rows.extend(
        ActualRow(task_id=task_id, day=day, hours=ZERO, cost=amount, category=category)
        for task_id, day, amount, category in expenses.values_list(
            "task_id", "spent_on", "amount", "category"
        )
    )
    rows.sort(key=lambda r: (r.day, r.task_id or 0))
    return rows


@dataclass(frozen=True)
class MonthActual:
    """A month of a process's fiscal year: time cost, expenses, the spend recorded on the
    process page (its spend log), and all three summed."""

    month: dt.date
    hours: Decimal
    time_cost: Decimal
    expenses: Decimal
    recorded: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.time_cost + self.expenses + self.recorded


@dataclass(frozen=True)
class ProcessActuals:
    """A process's fiscal year: budget (None if not set), monthly actuals, totals."""

    fiscal_year: int
    start: dt.date
    end: dt.date
    budget: Decimal | None
    months: list[MonthActual]
    unrated_hours: Decimal

    @property
    def hours(self) -> Decimal:
        return sum((m.hours for m in self.months), ZERO)

    @property
    def time_cost(self) -> Decimal:
        return sum((m.time_cost for m in self.months), ZERO)

    @property
    def expenses(self) -> Decimal:
        return sum((m.expenses for m in self.months), ZERO)

    @property
    def recorded(self) -> Decimal:
        return sum((m.recorded for m in self.months), ZERO)

    @property
    def total(self) -> Decimal:
        return self.time_cost + self.expenses + self.recorded

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.total

    @property
    def used_percent(self) -> float | None:
        if not self.budget:
            return None
        return float(self.total / self.budget * 100)


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def process_actuals(process: Any, fiscal_year: int) -> ProcessActuals:
    """Approved time × rates, approved expenses and the spend recorded on the process page
    (``operations.SpendEntry``) in a fiscal year, by month, with its budget for that year (the
    year's own; for the current year of a process set up before the two were kept in step, its
    annual budget: they are one budget, kept in step by ``costs.services.set_process_budget``
    and ``costs.budget_sync``). Seven queries whatever the number of entries."""
    organisation = process.organisation
    start, end = fiscal_year_bounds(organisation, fiscal_year)
    entries = list(
        TimeEntry.objects.filter(
            process_id=process.pk, status=EntryStatus.APPROVED, day__range=(start, end)
        ).values_list("task_id", "day", "hours", "person_id", "overtime")
    )
    time = _time_rows(entries, process.organisation_id)
    hours: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    cost: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    spent: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    unrated = ZERO
    for row in time:
        month = row.day.replace(day=1)
        hours[month] += row.hours
        cost[month] += row.cost
        if not row.rated:
            unrated += row.hours
    for day, amount in Expense.objects.filter(
        process_id=process.pk, status=EntryStatus.APPROVED, spent_on__range=(start, end)
    ).values_list("spent_on", "amount"):
        spent[day.replace(day=1)] += amount
    from twofold.operations.models import SpendEntry

    recorded: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for day, amount in SpendEntry.objects.filter(
        process_id=process.pk, spent_on__range=(start, end)
    ).values_list("spent_on", "amount"):
        recorded[day.replace(day=1)] += amount
    budget = (
        ProcessBudget.objects.filter(process_id=process.pk, fiscal_year=fiscal_year)
        .values_list("amount", flat=True)
        .first()
    )
    if budget is None and process.annual_budget:
        from twofold.costs.budget_sync import current_fiscal_year

        if fiscal_year == current_fiscal_year(organisation):  # a process older than the sync
            budget = process.annual_budget
    months = [
        MonthActual(
            month=m, hours=hours[m], time_cost=cost[m], expenses=spent[m], recorded=recorded[m]
        )
        for m in _month_starts(start, end)
    ]
    return ProcessActuals(fiscal_year, start, end, budget, months, unrated)


# One process's page (the process page) reads its budget, cost stamp and approved expenses
# through these, which it sends ahead with its own reads (``core.readahead``, panel
# ``process_costs``); lists of processes read through the ORM.
_BUDGET_OF = FastRead(ProcessBudget, "t.process_id = %s AND t.fiscal_year = %s", order_by="t.id")
_STAMP_OF = RawRows(Expense, "SELECT cost_stamp FROM operations_process WHERE id = %s")
_EXPENSES_OF = RawRows(
    Expense,
    "SELECT SUM(amount) FROM costs_expense "
    "WHERE process_id = %s AND status = %s AND spent_on BETWEEN %s AND %s",
)
_FROM_FLOAT = DecimalContext(prec=15).create_decimal_from_float


def _amount(value: Any) -> Decimal:
    """A summed amount as the ORM gives it (SQLite answers a float, PostgreSQL a Decimal)."""
    if value is None:
        return ZERO
    found = value if isinstance(value, Decimal) else _FROM_FLOAT(value)
    return found.quantize(CENT)


def _year_reads(process_id: int, organisation: Any, first: dt.date, last: dt.date) -> list[Read]:
    return [
        (_BUDGET_OF, [process_id, fiscal_year_of(organisation, first)]),
        (_STAMP_OF, [process_id]),
        (_EXPENSES_OF, [process_id, str(EntryStatus.APPROVED), first, last]),
    ]


def process_cost_reads(subject: Any) -> list[Read]:
    """What :func:`process_budgets` and :func:`process_costs` read for one process and fiscal
    year (``subject``: ``(process, first, last)``, the process with its organisation), to send
    ahead (``core.readahead``, panel ``process_costs``)."""
    process, first, last = subject
    return _year_reads(process.pk, process.organisation, first, last)


def process_budgets(
    organisation: Any, process_ids: Sequence[int], first: dt.date, last: dt.date
) -> dict[int, Decimal]:
    """Each process's budget for the fiscal year starting ``first`` (one query): the budget
    the operations pages show (``operations.selectors.PROCESS_BUDGET_HOOKS``), so a year's
    budget set ahead shows from its first day, whatever the stored annual budget says."""
    year = fiscal_year_of(organisation, first)
    if len(process_ids) == 1:
        (pid,) = process_ids
        found = _BUDGET_OF.first(_year_reads(pid, organisation, first, last)[0][1])
        return {pid: found.amount} if found is not None else {}
    return dict(
        ProcessBudget.objects.filter(process_id__in=list(process_ids), fiscal_year=year)
        .order_by()
        .values_list("process_id", "amount")
    )


def process_costs(
    organisation: Any, process_ids: Sequence[int], first: dt.date, last: dt.date
) -> dict[int, Decimal]:
    """Approved time × rates plus approved expenses per process from ``first`` to ``last``:
    what the operations pages add to the spend recorded on a process, so its budget is compared
    with all it cost (``operations.selectors.PROCESS_COST_HOOKS``).

    Two queries when nothing changed: the processes' ``cost_stamp`` (moved by every decision on
    time or an expense booked on them, ``costs.budget_sync``), which with the organisation's
    ``rates_stamp`` keys each process's time cost in the cache, and the expenses summed; the
    entries of the processes whose key moved are read and priced (the large demo's 50
    processes and 35,000 approved entries in a fiscal year took 215 ms a request priced every
    time, 37 ms keyed on an aggregate of the entries)."""
    import hashlib

    from django.core.cache import cache
    from django.db.models import Sum

    ids = list(process_ids)
    if not ids:
        return {}
    approved = TimeEntry.objects.filter(
        process_id__in=ids, status=EntryStatus.APPROVED, day__range=(first, last)
    )
    from twofold.operations.models import Process

    keys: dict[int, str] = {}
    one = _year_reads(ids[0], organisation, first, last) if len(ids) == 1 else []
    stamps = (
        [(ids[0], row[0]) for row in _STAMP_OF.rows(*one[1][1])]
        if one
        else Process.all_objects.filter(pk__in=ids).values_list("pk", "cost_stamp")
    )
    for pid, stamp in stamps:
        parts = (organisation.pk, pid, first, last, stamp, organisation.rates_stamp)
        digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()
        keys[pid] = f"proccost1:{digest}"
    cached: dict[str, Any] = cache.get_many(list(keys.values()))
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    missing = []
    for pid, key in keys.items():
        if key in cached:
            out[pid] = Decimal(cached[key])
        else:
            missing.append(pid)
    if missing:
        fresh: dict[int, Decimal] = defaultdict(lambda: ZERO)
        entries = list(
            approved.filter(process_id__in=missing).values_list(
                "process_id", "day", "hours", "person_id", "overtime"
            )
        )
        for row in _time_rows(entries, organisation.pk):
            fresh[int(row.task_id or 0)] += row.cost
        cache.set_many({keys[pid]: str(fresh[pid]) for pid in missing}, 15 * 60)
        for pid in missing:
            out[pid] = fresh[pid]
    if one:
        totals = [(ids[0], _amount(row[0])) for row in _EXPENSES_OF.rows(*one[2][1])]
    else:
        totals = list(
            Expense.objects.filter(
                process_id__in=ids, status=EntryStatus.APPROVED, spent_on__range=(first, last)
            )
            .order_by()
            .values("process_id")
            .annotate(total=Sum("amount"))
            .values_list("process_id", "total")
        )
    for pid, total in totals:
        if total is not None:
            out[pid] += total
    return dict(out)


def task_actual_hours(task_ids: Iterable[int]) -> dict[int, Decimal]:
    """Approved hours per task (one query): the *actual work* of each task."""
    from django.db.models import Sum

    return {
        row["task_id"]: row["total"]
        for row in TimeEntry.objects.filter(task_id__in=list(task_ids), status=EntryStatus.APPROVED)
        .values("task_id")
        .annotate(total=Sum("hours"))
    }


def actual_hours_by_person_week(
    organisation_id: int,
    person_ids: Iterable[int],
    start: dt.date,
    end: dt.date,
    week_start: int,
    *,
    approved_only: bool = False,
) -> dict[tuple[int, dt.date], Decimal]:
    """Logged hours (submitted or approved; ``approved_only``: approved) per (person, first day
    of the week) between ``start`` and ``end`` (one query): the *actual* beside the capacity
    view's planned hours."""
    from django.db.models import Sum

    statuses = (
        [EntryStatus.APPROVED] if approved_only else [EntryStatus.SUBMITTED, EntryStatus.APPROVED]
    )

    totals: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    for person_id, day, total in (
        TimeEntry.objects.filter(
            organisation_id=organisation_id,
            person_id__in=list(person_ids),
            day__range=(start, end),
            status__in=statuses,
        )
        .values_list("person_id", "day")
        .annotate(total=Sum("hours"))
    ):
        monday = day - dt.timedelta(days=(day.weekday() - week_start) % 7)
        totals[(person_id, monday)] += total
    return dict(totals)


# --- Lists: approvals, entries and expenses a person may see ---------------------------------


def decides_filter(user: Any, organisation_id: int) -> Any:
    """Q of the entries or expenses ``user`` approves: all for admins and owners, else (members)
    those on the projects they manage and the processes they own; none for guests."""
    from django.db.models import Q

    if sees_all_money(user, organisation_id):
        return Q(pk__isnull=False)  # not Q(): an empty Q vanishes when OR-ed with another
    if _rank(user, organisation_id) < ROLE_RANK[Role.MEMBER]:
        # Guests decide nothing and see no one else's money, even while still named a
        # project's manager or a process's owner (a member demoted to guest keeps both).
        return Q(pk__isnull=True)  # matches no row
    return Q(project__manager_id=user.pk) | Q(process__owner_id=user.pk)


def visible_filter(user: Any, organisation_id: int, *, own_field: str) -> Any:
    """Q of the rows ``user`` may list: the ones they decide, and their own."""
    from django.db.models import Q

    return decides_filter(user, organisation_id) | Q(**{own_field: user.pk})


@dataclass(frozen=True)
class PendingWeek:
    """A submitted week waiting for ``user``'s decision."""

    timesheet_id: int
    person: str
    week_start: dt.date
    hours: Decimal
    entries: int


def pending_weeks(user: Any, organisation_id: int) -> list[PendingWeek]:
    """Weeks with submitted hours on lines ``user`` decides (one query). Their own week is
    listed only for an owner (nobody else approves their own time)."""
    from django.db.models import Count, Sum

    rows = TimeEntry.objects.filter(
        organisation_id=organisation_id, status=EntryStatus.SUBMITTED
    ).filter(decides_filter(user, organisation_id))
    from twofold.core.policy import role_in

    if role_in(user, organisation_id) != Role.OWNER:
        rows = rows.exclude(person_id=user.pk)
    found = (
        rows.values("timesheet_id", "timesheet__week_start", "person__full_name", "person__email")
        .annotate(hours=Sum("hours"), n=Count("id"))
        .order_by("timesheet__week_start", "person__full_name")
    )
    return [
        PendingWeek(
            r["timesheet_id"],
            r["person__full_name"] or r["person__email"],
            r["timesheet__week_start"],
            r["hours"],
            r["n"],
        )
        for r in found
    ]


def visible_expenses(user: Any, organisation_id: int) -> Any:
    """The organisation's expenses ``user`` may list, newest first, with what they are on."""
    return (
        Expense.objects.filter(organisation_id=organisation_id)
        .filter(visible_filter(user, organisation_id, own_field="submitted_by_id"))
        .select_related("project", "process", "task", "submitted_by", "decided_by")
    )


def visible_entries(user: Any, organisation_id: int) -> Any:
    """The organisation's time entries ``user`` may list (their own and those they decide)."""
    return (
        TimeEntry.objects.filter(organisation_id=organisation_id)
        .filter(visible_filter(user, organisation_id, own_field="person_id"))
        .select_related(
            "person", "task", "project", "process", "occurrence__routine", "request", "decided_by"
        )
    )


def process_budget_version(process_id: int, fiscal_year: int) -> int:
    """The version of a process's budget for ``fiscal_year``, 0 while it has none (one query):
    what a budget form sends back as ``version``."""
    return (
        ProcessBudget.objects.filter(process_id=process_id, fiscal_year=fiscal_year)
        .values_list("version", flat=True)
        .first()
        or 0
    )
