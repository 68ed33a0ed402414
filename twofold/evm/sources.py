"""Where rates and actual costs come from: the one seam between earned value and the ``costs``
app (rates per person and role with effective dates, approved timesheets and expenses).

* Planned work is priced at the assignee's hourly rate in force on the task's planned start
  (their own, else their role's: ``costs.selectors.rates_for``); work without a rate (no
  assignee, or nobody's rate) at the project's planned labour rate.
* Actual cost (AC, ACWP) is approved time × the rate in force on the day (overtime factor
  included) plus approved expenses: ``costs.selectors.project_actuals``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Sum

from twofold.costs import selectors as costs
from twofold.costs.models import EntryStatus, Expense, TimeEntry
from twofold.projects.models import Project

RateLookup = Callable[[int | None, dt.date], Decimal | None]


class ActualRow(NamedTuple):
    """Cost recorded on a task (or on the project, ``task_id`` None) on a day."""

    task_id: int | None
    day: dt.date
    hours: Decimal
    cost: Decimal


def rate_lookup(
    organisation_id: int, person_ids: Iterable[int | None], start: dt.date, end: dt.date
) -> RateLookup:
    """``lookup(person_id, day)``: the person's hourly rate in force that day, or None (three
    queries, whatever the number of people)."""
    ids = {pk for pk in person_ids if pk is not None}
    book = costs.rates_for(organisation_id, ids, start, end)

    def lookup(person_id: int | None, day: dt.date) -> Decimal | None:
        return book.hourly(person_id, day) if person_id is not None else None

    return lookup


def actual_costs(project: Project, until: dt.date) -> list[ActualRow]:
    """The approved actual cost of ``project`` up to and including ``until`` (five queries)."""
    return [
        ActualRow(r.task_id, r.day, r.hours, r.cost)
        for r in costs.project_actuals(project, until=until)
    ]


def actual_costs_by_project(
    organisation_id: int, until: Mapping[int, dt.date]
) -> dict[int, Decimal]:
    """Total approved actual cost per project up to its own status date (four queries)."""
    totals: dict[int, Decimal] = {}
    if not until:
        return totals
    last = max(until.values())
    # Entries of equal hours on one day are grouped, each still costed (and rounded to the
    # cent) on its own, as the project's page costs them: the roll-up adds up to the pages.
    entries = list(
        TimeEntry.objects.filter(
            project_id__in=list(until), status=EntryStatus.APPROVED, day__lte=last
        )
        .values("project_id", "person_id", "day", "overtime", "hours")
        .annotate(n=Count("pk"))
        .values_list("project_id", "person_id", "day", "overtime", "hours", "n")
    )
    if entries:
        days = [e[2] for e in entries]
        book = costs.rates_for(organisation_id, {e[1] for e in entries}, min(days), max(days))
        for pid, person, day, overtime, hours, n in entries:
            if day <= until[pid]:
                cost = n * book.cost(person, day, hours, overtime=overtime)
                totals[pid] = totals.get(pid, Decimal(0)) + cost
    for pid, day, amount in (
        Expense.objects.filter(
            project_id__in=list(until), status=EntryStatus.APPROVED, spent_on__lte=last
        )
        .values("project_id", "spent_on")
        .annotate(a=Sum("amount"))
        .values_list("project_id", "spent_on", "a")
    ):
        if day <= until[pid]:
            totals[pid] = totals.get(pid, Decimal(0)) + amount
    return totals
