"""The timesheet grid of one person's week: lines as rows, days as columns, against availability.

Rows are the lines with hours this week plus the person's open work (tasks assigned to them,
routine occurrences due this week, open requests) and any line asked for with ``extra``. The
whole grid takes a constant number of queries, whatever the number of lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from twofold.accounts.models import Organisation, User
from twofold.costs.models import EntryStatus, TimeEntry, Timer, Timesheet
from twofold.costs.services import Line, resolve_lines

ZERO = Decimal(0)
GONE_NOTE = "Kept as logged; no more hours here (waiting hours can be cleared)."
"""Why a line whose task or request went to the trash (or was deleted) takes no new hours."""


def closed_reason(line: Line) -> str | None:
    """Why ``line`` takes no new hours, None while it is open: the week page's note on a
    read-only line and the API's ``closed_reason``, one rule for both. A line is closed when
    what it names is in the trash or deleted (``Line.gone``) or it is closed to new time
    (``Line.closed``: its task became a summary task or its project is archived, its request's
    queue is archived or lost its process, its routine or process is archived)."""
    if line.gone:
        return GONE_NOTE
    if line.closed:
        return line.why or f"“{line.label}” takes no new time."
    return None


@dataclass
class GridCell:
    """One day of one line: its total and how much of it is locked (submitted or approved)."""

    day: dt.date
    hours: Decimal = ZERO
    locked: Decimal = ZERO
    statuses: set[str] = field(default_factory=set)
    typed: str | None = None  # what the person typed, shown again when saving was refused

    @property
    def status(self) -> str:
        """The least settled status of the cell's entries ("" if none)."""
        for s in (
            EntryStatus.RETURNED,
            EntryStatus.DRAFT,
            EntryStatus.SUBMITTED,
            EntryStatus.APPROVED,
        ):
            if s in self.statuses:
                return s
        return ""


@dataclass
class GridRow:
    line: Line
    cells: list[GridCell]
    return_reason: str = ""

    @property
    def total(self) -> Decimal:
        return sum((c.hours for c in self.cells), ZERO)

    @property
    def closed_reason(self) -> str | None:
        """Why the line takes no new hours (:func:`closed_reason`), None while it is open."""
        return closed_reason(self.line)

    @property
    def status(self) -> str:
        for s in (
            EntryStatus.RETURNED,
            EntryStatus.DRAFT,
            EntryStatus.SUBMITTED,
            EntryStatus.APPROVED,
        ):
            if any(c.status == s for c in self.cells):
                return s
        return ""


@dataclass
class Week:
    person: User
    start: dt.date
    days: list[dt.date]
    rows: list[GridRow]
    available: list[Decimal]
    sheet: Timesheet | None
    timer: Timer | None

    @property
    def day_totals(self) -> list[Decimal]:
        return [sum((r.cells[i].hours for r in self.rows), ZERO) for i in range(7)]

    @property
    def total(self) -> Decimal:
        return sum(self.day_totals, ZERO)

    @property
    def available_total(self) -> Decimal:
        return sum(self.available, ZERO)

    @property
    def to_submit(self) -> int:
        return sum(
            1
            for r in self.rows
            for c in r.cells
            if c.statuses & {EntryStatus.DRAFT, EntryStatus.RETURNED}
        )

    @property
    def version(self) -> int:
        return self.sheet.version if self.sheet else 1


def _open_work(organisation: Organisation, person: User, start: dt.date, end: dt.date) -> set[str]:
    """Line keys of the person's work that week: open tasks (assignee or assignment) scheduled
    to touch the week, occurrences of their routines due in it, their open requests."""
    from twofold.operations.models import DONE_STATUSES, Occurrence, Request, Routine
    from twofold.projects.models import Assignment, Task, TaskStatus

    begins = dt.datetime.combine(start - dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    ends = dt.datetime.combine(end + dt.timedelta(days=2), dt.time.min, tzinfo=dt.UTC)
    open_statuses = [s for s in TaskStatus.values if s != TaskStatus.DONE]
    touching = Q(start__lt=ends, finish__gte=begins) | Q(start__isnull=True)
    touching_task = Q(task__start__lt=ends, task__finish__gte=begins) | Q(task__start__isnull=True)
    # No organisation filter in SQL: it would steer SQLite to the organisation index (every
    # task); the person's own rows are few, so the organisation is checked here.
    org = organisation.pk
    keys = {
        f"task:{pk}"
        for pk, owner in Task.objects.filter(
            touching, assignee_id=person.pk, status__in=open_statuses, is_summary=False
        ).values_list("pk", "organisation_id")[:200]
        if owner == org
    }
    keys |= {
        f"task:{pk}"
        for pk, owner in Assignment.objects.filter(
            touching_task,
            person_id=person.pk,
            task__status__in=open_statuses,
            task__is_summary=False,
        ).values_list("task_id", "organisation_id")[:200]
        if owner == org
    }
    routines = Routine.objects.filter(organisation_id=organisation.pk, assignee_id=person.pk)
    keys |= {
        f"occurrence:{pk}"
        for pk in Occurrence.objects.filter(
            routine_id__in=routines.values("pk"),
            due__gte=dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
            due__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC),
        ).values_list("pk", flat=True)[:20]
    }
    keys |= {
        f"request:{pk}"
        for pk, owner in Request.objects.filter(assignee_id=person.pk, queue__process__isnull=False)
        .exclude(status__in=list(DONE_STATUSES))
        .values_list("pk", "organisation_id")[:20]
        if owner == org
    }
    return keys


def week_grid(
    organisation: Organisation,
    person: User,
    start: dt.date,
    *,
    extra: set[str] | None = None,
    suggest: bool = True,
    only: Q | None = None,
) -> Week:
    """The grid of ``person``'s week starting ``start`` (the organisation's week start).

    ``only`` (a Q on ``TimeEntry``) keeps the entries it matches and drops the rest, so every
    cell, row and total counts those entries alone: an approver who decides part of the week
    (``selectors.decides_filter``) gets the part they decide, entry by entry, not whole lines
    (a request's line can hold hours on two processes). Same number of queries."""
    from twofold.capacity.availability import availability

    days = [start + dt.timedelta(days=i) for i in range(7)]
    sheet = Timesheet.objects.filter(
        organisation=organisation, person=person, week_start=start
    ).first()
    found = TimeEntry.objects.filter(timesheet=sheet)
    if only is not None:
        found = found.filter(only)
    entries = list(found) if sheet else []
    asked = {e.line_key for e in entries} | (extra or set())
    keys = set(asked)
    if suggest:
        keys |= _open_work(organisation, person, start, days[-1])
    # Lines closed to new time (a task become a summary task, an archived process...) are
    # shown read-only when they hold hours or are asked for, not suggested.
    lines = {
        key: line
        for key, line in (resolve_lines(organisation, keys, gone_ok=True) if keys else {}).items()
        if key in asked or not line.closed
    }
    cells: dict[str, list[GridCell]] = {k: [GridCell(d) for d in days] for k in lines}
    reasons: dict[str, str] = defaultdict(str)
    for e in entries:
        cell = cells[e.line_key][(e.day - start).days]
        cell.hours += e.hours
        cell.statuses.add(e.status)
        if e.status in (EntryStatus.SUBMITTED, EntryStatus.APPROVED):
            cell.locked += e.hours
        if e.status == EntryStatus.RETURNED and e.return_reason:
            reasons[e.line_key] = e.return_reason
    order = {"task": 0, "request": 1, "occurrence": 2, "process": 3}
    rows = sorted(
        (GridRow(lines[k], cells[k], reasons[k]) for k in lines),
        key=lambda r: (order[r.line.kind], r.line.context, r.line.label),
    )
    daily = availability(organisation, [person.pk], start, days[-1]).of(person.pk)
    available = [Decimal(str(round(float(h), 2))) for h in daily.available]
    timer = Timer.objects.filter(organisation=organisation, person=person).first()
    return Week(person, start, days, rows, available, sheet, timer)
