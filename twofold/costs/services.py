"""Writes of costs: currency, rates, timesheet cells, submit/approve/return, timer, expenses,
process budgets. Each checks permission, runs in one transaction and records history.

Who may do what:

* currency, rates: admins and owners (``manage`` the organisation);
* a timesheet: only its person logs and submits it;
* approving or returning a line: the project's manager (task lines) or the process owner
  (occurrence, request and "process: general" lines), and admins and owners for any line;
  never one's own timesheet unless one is an owner of the organisation;
* expenses: any member records one on a project or process; approval like time;
* a process budget: admins, owners and the process owner.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone as tz

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.core import dates, history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.policy import Action, require, role_in
from twofold.costs import budget_sync, selectors
from twofold.costs.models import (
    CostSettings,
    EntryStatus,
    Expense,
    ExpenseCategory,
    LineKind,
    ProcessBudget,
    Rate,
    TimeEntry,
    Timer,
    Timesheet,
)

MAX_HOURS_PER_DAY = Decimal(24)
CURRENCY = re.compile(r"^[A-Z]{3}$")


# --- Currency ---------------------------------------------------------------------------------


@transaction.atomic
def update_cost_settings(
    *,
    actor: User,
    organisation: Organisation,
    currency: str,
    locale: str,
    expected_version: int | None,
) -> CostSettings:
    """Set the organisation's currency (ISO 4217 code) and the locale amounts are written in."""
    from twofold.costs.money import CURRENCIES, LOCALES

    require(actor, Action.MANAGE, organisation)
    currency = currency.strip().upper()
    if not CURRENCY.match(currency) or currency not in CURRENCIES:
        raise Invalid(
            "Choose a currency by its ISO 4217 code, e.g. EUR, GBP or USD.", field="currency"
        )
    if locale not in LOCALES:
        raise Invalid("Choose one of the listed locales.", field="locale")
    row, created = CostSettings.objects.get_or_create(organisation=organisation)
    before = history.snapshot(row, ["currency", "locale"])
    row.currency, row.locale = currency, locale
    save_versioned(
        row, expected_version=None if created else expected_version, fields=["currency", "locale"]
    )
    changes = history.diff(before, history.snapshot(row, ["currency", "locale"]))
    if "currency" in changes:
        # Costs are rounded to the currency's minor unit (a yen has none): the cost figures
        # cached under the organisation's rates stamp are stale.
        Organisation.objects.filter(pk=organisation.pk).update(rates_stamp=F("rates_stamp") + 1)
    if changes:
        history.record(actor=actor, obj=row, action="updated", changes=changes)
    return row


# --- Rates ------------------------------------------------------------------------------------


def _kept_amount(organisation_id: int, value: Decimal, field: str, what: str) -> Decimal:
    """``value`` as it is stored, once its decimals fit the organisation's currency (refused
    naming ``field`` with more: a yen has none), as every amount of the pages and the API."""
    from twofold.costs.money import decimals_refused

    why = decimals_refused(value, selectors.cost_settings(organisation_id).currency, what)
    if why:
        raise Invalid(why, field=field)
    return value.quantize(selectors.CENT)


def check_amount_decimals(organisation_id: int, value: Decimal, field: str, what: str) -> None:
    """``operations.services.AMOUNT_CHECKS``: a process's annual budget or spend in the
    organisation's currency (refused with more decimals than it has, naming ``field``)."""
    _kept_amount(organisation_id, value, field, what)


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise Invalid("Enter a number.", field=field) from exc
    if not number.is_finite():
        raise Invalid("Enter a number.", field=field)
    return number


@transaction.atomic
def create_rate(
    *,
    actor: User,
    organisation: Organisation,
    hourly: Any,
    effective_from: dt.date,
    person: User | None = None,
    role: str = "",
    overtime_factor: Any = "1",
) -> Rate:
    """Add a person's or a role's hourly rate from ``effective_from`` on. Earlier rates stay (the
    history); a second rate from the same day for the same person or role is refused."""
    require(actor, Action.MANAGE, organisation)
    dates.require_day_in_range(effective_from, "effective_from")
    role = role.strip()
    if (person is None) == (not role):
        raise Invalid(
            "A rate is for one person or for one role: choose exactly one.", field="person"
        )
    if (
        person is not None
        and not Membership.objects.filter(organisation=organisation, user=person).exists()
    ):
        raise Invalid("Choose a person of this organisation.", field="person")
    amount = _decimal(hourly, "hourly")
    if amount < 0 or amount >= Decimal("100000000"):
        raise Invalid("An hourly rate is zero or more (and below 100,000,000).", field="hourly")
    amount = _kept_amount(organisation.pk, amount, "hourly", "An hourly rate")
    factor = _decimal(overtime_factor, "overtime_factor")
    if factor < 1 or factor > 5:
        raise Invalid(
            "The overtime factor is between 1 and 5 (1.5 = time and a half).",
            field="overtime_factor",
        )
    same = Rate.objects.filter(organisation=organisation, effective_from=effective_from)
    if person is not None:
        taken = same.filter(person=person).exists()
    else:
        # Roles match as the rate book matches them (``casefold``), not as the database's
        # ``iexact`` would (ASCII only on SQLite, ``UPPER()`` on PostgreSQL): "Straßenbauer"
        # and "STRASSENBAUER" are one role, and two rates of it from one day would leave the
        # cost of an hour to whichever row the database returned last.
        key = role.strip().casefold()
        taken = any(
            other.strip().casefold() == key
            for other in same.filter(person__isnull=True).values_list("role", flat=True)
        )
    who = person.display_name if person is not None else f"the role “{role}”"
    clash = f"{who} already has a rate from {effective_from.isoformat()}: a rate applies until the next one starts, so choose another date."
    if taken:
        raise Invalid(clash, field="effective_from")
    try:
        with transaction.atomic():
            rate = Rate.objects.create(
                organisation=organisation,
                person=person,
                role=role,
                hourly=amount,
                overtime_factor=factor.quantize(selectors.CENT),
                effective_from=effective_from,
                created_by=actor,
            )
    except IntegrityError as exc:
        raise Invalid(clash, field="effective_from") from exc
    history.record(
        actor=actor,
        obj=rate,
        action="created",
        changes={
            "hourly": [None, str(rate.hourly)],
            "effective_from": [None, effective_from.isoformat()],
        },
        summary=f"Rate of {who}: {rate.hourly}/h from {effective_from.isoformat()}",
    )
    return rate


@transaction.atomic
def delete_rate(*, actor: User, rate: Rate, expected_version: int | None = None) -> None:
    """Remove a rate entered by mistake; costs already computed from it change accordingly.

    With ``expected_version`` (the API's ``version``) a rate changed since it was read is a
    Conflict: the check and the delete are one statement."""
    require(actor, Action.MANAGE, rate)
    history.record(actor=actor, obj=rate, action="deleted", summary=f"Deleted rate {rate}")
    rows = Rate.objects.filter(pk=rate.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    deleted, _ = rows.delete()
    if not deleted:
        if expected_version is not None and Rate.objects.filter(pk=rate.pk).exists():
            raise Conflict(
                "Someone else changed this rate since you read it. Reload it and try again."
            )
        raise NotFound("Rate not found.")


# --- Timesheet lines --------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A timesheet row: what the hours are on and who approves them."""

    kind: str
    target_id: int
    project_id: int | None
    process_id: int | None
    label: str
    context: str
    gone: bool = False
    """What the line names is in the trash or deleted: its hours are shown, not written."""
    closed: bool = False
    """Closed to new time: a task of an archived project or one that became a summary task,
    a request whose queue is archived or has no process, an archived routine or process. Its
    hours are shown and may be lowered, not raised (``why`` says so)."""
    why: str = ""
    """Why a closed line takes no new time: the message refusing it (names the line)."""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.target_id}"

    def fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "task_id": self.target_id if self.kind == LineKind.TASK else None,
            "occurrence_id": self.target_id if self.kind == LineKind.OCCURRENCE else None,
            "request_id": self.target_id if self.kind == LineKind.REQUEST else None,
            "project_id": self.project_id,
            "process_id": self.process_id,
        }


LINE_KEY = re.compile(r"^(task|occurrence|request|process):(\d{1,18})$")


def resolve_lines(
    organisation: Organisation, keys: set[str], *, gone_ok: bool = False
) -> dict[str, Line]:
    """The lines named by ``keys`` (``task:12``…) in the organisation: four queries at most.
    A key that names nothing here raises Invalid (field ``line``); with ``gone_ok`` (to show a
    week whose hours are on a task or request since moved to the trash or deleted) it gets a
    line marked ``gone`` instead (one query more). A line closed to new time (see
    ``Line.closed``) comes back ``closed``; without ``gone_ok`` a summary task, or a request
    whose queue has no process, raises Invalid instead (nothing could take time there)."""
    from twofold.operations.models import Occurrence, Process, Request
    from twofold.projects.models import Task

    wanted: dict[str, set[int]] = defaultdict(set)
    for key in keys:
        found = LINE_KEY.match(key)
        if not found:
            raise Invalid(f"“{key}” is not a timesheet line.", field="line")
        wanted[found[1]].add(int(found[2]))
    lines: dict[str, Line] = {}
    org = organisation.pk

    def refuse(why: str) -> None:
        if not gone_ok:
            raise Invalid(why, field="line")

    # Tuples, not model instances: the week page resolves every line on each view.
    if wanted["task"]:
        for pk, name, summary, project_id, code, project_name, archived in Task.objects.filter(
            pk__in=wanted["task"], organisation_id=org, project__deleted_at__isnull=True
        ).values_list(
            "pk",
            "name",
            "is_summary",
            "project_id",
            "project__code",
            "project__name",
            "project__archived_at",
        ):
            context = f"{code} {project_name}"
            why = ""
            if summary:
                # Hours logged before the task got subtasks stay readable (and lowerable).
                why = f"“{name}” ({context}) is a summary task: log time on its tasks."
                refuse(why)
            elif archived:
                why = (
                    f"“{name}” ({context}) is in an archived project: it takes no new time "
                    "(unarchive the project to log more)."
                )
            lines[f"task:{pk}"] = Line(
                "task", pk, project_id, None, name, context, closed=bool(why), why=why
            )
    if wanted["occurrence"]:
        for (
            pk,
            due,
            process_id,
            routine_name,
            process_name,
            r_archived,
            p_archived,
        ) in Occurrence.objects.filter(
            pk__in=wanted["occurrence"], organisation_id=org
        ).values_list(
            "pk",
            "due",
            "routine__process_id",
            "routine__name",
            "routine__process__name",
            "routine__archived_at",
            "routine__process__archived_at",
        ):
            label = f"{routine_name} ({due:%d %b})"
            why = ""
            if p_archived:
                why = _archived_process(label, process_name)
            elif r_archived:
                why = (
                    f"“{label}” ({process_name}): the routine is archived, so it takes no new "
                    "time (unarchive the routine to log more)."
                )
            lines[f"occurrence:{pk}"] = Line(
                "occurrence", pk, None, process_id, label, process_name, closed=bool(why), why=why
            )
    if wanted["request"]:
        for (
            pk,
            title,
            process_id,
            queue_name,
            q_archived,
            p_archived,
            process_name,
        ) in Request.objects.filter(pk__in=wanted["request"], organisation_id=org).values_list(
            "pk",
            "title",
            "queue__process_id",
            "queue__name",
            "queue__archived_at",
            "queue__process__archived_at",
            "queue__process__name",
        ):
            label = f"#{pk} {title}"
            why = ""
            if process_id is None:
                why = (
                    f"The queue “{queue_name}” belongs to no process, so nobody could approve "
                    f"time on #{pk}: give the queue a process first."
                )
                refuse(why)
            elif p_archived:
                why = _archived_process(label, process_name)
            elif q_archived:
                why = (
                    f"“{label}” ({queue_name}): the queue is archived, so it takes no new time "
                    "(unarchive the queue to log more)."
                )
            lines[f"request:{pk}"] = Line(
                "request", pk, None, process_id, label, queue_name, closed=bool(why), why=why
            )
    if wanted["process"]:
        for pk, name, archived in Process.objects.filter(
            pk__in=wanted["process"], organisation_id=org
        ).values_list("pk", "name", "archived_at"):
            why = _archived_process("General", name) if archived else ""
            lines[f"process:{pk}"] = Line(
                "process", pk, None, pk, "General", name, closed=bool(why), why=why
            )
    missing = sorted(keys - set(lines))
    if missing and gone_ok:
        lines.update(_gone_lines(org, missing))
    elif missing:
        raise Invalid(f"No such line here: {', '.join(missing)}.", field="line")
    return lines


def _archived_process(label: str, process_name: str) -> str:
    return (
        f"“{label}” ({process_name}): the process is archived, so it takes no new time "
        "(unarchive the process to log more)."
    )


_GONE_NOUN = {"task": "task", "occurrence": "routine", "request": "request", "process": "process"}


def _gone_lines(organisation_id: int, keys: list[str]) -> dict[str, Line]:
    """Read-only lines for hours on things no longer here: a trashed task keeps its name."""
    from twofold.projects.models import Task

    wanted = {int(m[2]) for m in map(LINE_KEY.match, keys) if m and m[1] == "task"}
    trashed = {
        pk: (name, project_id, f"{code} {project_name}")
        for pk, name, project_id, code, project_name in Task.all_objects.filter(
            pk__in=wanted, organisation_id=organisation_id
        ).values_list("pk", "name", "project_id", "project__code", "project__name")
    }
    out = {}
    for key in keys:
        kind, _, raw = key.partition(":")
        pk = int(raw) if raw.isdecimal() else 0
        if kind == "task" and pk in trashed:
            name, project_id, context = trashed[pk]
            out[key] = Line(kind, pk, project_id, None, f"{name} (in the trash)", context, True)
        else:
            noun = _GONE_NOUN.get(kind, "line")
            out[key] = Line(kind, pk, None, None, f"A deleted {noun}", "", True)
    return out


def resolve_expense_target(
    organisation: Organisation,
    *,
    project_id: int | None = None,
    process_id: int | None = None,
    task_id: int | None = None,
) -> dict[str, Any]:
    """The project, process and task an expense is on, by id, in the organisation, as the
    keyword arguments of ``create_expense`` (one query per id given). An id that names nothing
    here raises Invalid naming its field; the API and the expenses page both use this."""
    from twofold.operations.models import Process
    from twofold.projects.models import Project, Task

    found: dict[str, Any] = {"project": None, "process": None, "task": None}
    wanted = (
        ("project", project_id, Project.objects.filter(deleted_at__isnull=True)),
        ("process", process_id, Process.objects.filter(deleted_at__isnull=True)),
        ("task", task_id, Task.objects.all()),
    )
    for name, pk, rows in wanted:
        if pk is None:
            continue
        found[name] = rows.filter(pk=pk, organisation=organisation).first()
        if found[name] is None:
            raise Invalid(f"No such {name} here.", field=f"{name}_id")
    return found


def check_task_lines(organisation: Organisation, person: User, lines: list[Line]) -> None:
    """Refuse new time on ``lines`` that ``person`` may not log on (``Invalid`` naming the
    line, field ``line``): a closed line (``Line.closed``: an archived project, process,
    routine or queue, a summary task, a request whose queue has no process), or a task of a
    project the person is not on. On a project means its manager or sponsor, the assignee of one of its
    tasks, or assigned to one (an ``Assignment``); admins and owners log on any project. Done
    tasks take time (the last hours are often logged after the task is closed; the manager
    approves them as any others). Two queries at most, whatever the number of lines."""
    from twofold.projects.models import Assignment, Project, Task

    for line in lines:
        if line.closed and not line.gone:
            raise Invalid(line.why or f"“{line.label}” takes no new time.", field="line")
    tasks = [line for line in lines if line.kind == LineKind.TASK and not line.gone]
    project_ids = {line.project_id for line in tasks if line.project_id is not None}
    if not project_ids or selectors.sees_all_money(person, organisation.pk):
        return
    on = set(
        Project.objects.filter(pk__in=project_ids)
        .filter(Q(manager_id=person.pk) | Q(sponsor_id=person.pk))
        .values_list("pk", flat=True)
    )
    if project_ids - on:
        on |= set(
            Task.objects.filter(project_id__in=project_ids - on)
            .filter(
                Q(assignee_id=person.pk)
                | Q(pk__in=Assignment.objects.filter(person_id=person.pk).values("task_id"))
            )
            .values_list("project_id", flat=True)
            .distinct()
        )
    for line in tasks:
        if line.project_id not in on:
            raise Invalid(
                f"“{line.label}” ({line.context}): you are not on this project (its manager, "
                "sponsor or someone assigned to one of its tasks), so you cannot log time on it.",
                field="line",
            )


def week_start_of(organisation: Organisation, day: dt.date) -> dt.date:
    """The first day of ``day``'s week, by the organisation's week start."""
    return day - dt.timedelta(days=(day.weekday() - organisation.week_start) % 7)


def _hold_week_start(organisation: Organisation) -> None:
    """Lock the organisation's row and read its first weekday afresh (in the caller's
    transaction): a change of it regroups every sheet (``costs.regroup``), and a week saved on
    the old weekday meanwhile either found no sheet to move to (500) or fell out of the new
    weeks' grids. On PostgreSQL this waits for such a change to commit; SQLite has one writer."""
    found = (
        Organisation.objects.select_for_update()
        .filter(pk=organisation.pk)
        .values_list("week_start", flat=True)
        .first()
    )
    if found is not None:
        organisation.week_start = found


def _sheet(organisation: Organisation, person: User, week_start: dt.date) -> Timesheet:
    sheet, _ = Timesheet.objects.get_or_create(
        organisation=organisation, person=person, week_start=week_start
    )
    return sheet


def _require_own(actor: User, organisation: Organisation, person: User) -> None:
    require(actor, Action.CONTRIBUTE, organisation)
    if actor.pk != person.pk:
        raise Forbidden("Only the person whose timesheet it is logs time on it.")


@dataclass(frozen=True)
class Cell:
    """Hours typed into one day of one line (the new total of that cell)."""

    line: str
    day: dt.date
    hours: Any
    note: str = ""
    overtime: bool | None = None
    """True or False sets the cell's overtime flag; None (the page, which has no such input)
    keeps it as it was: a correction of submitted or approved hours takes their flag, new
    hours are not overtime."""


def _hours(value: Any, field: str, where: str = "") -> Decimal:
    """The hours typed in a cell: 0 to 24, to the hundredth. ``where`` names the cell in the
    message (the page shows one message for the whole grid)."""
    if value in (None, ""):
        return Decimal(0)
    hours = _decimal(value, field)
    if hours < 0:
        raise Invalid(
            "Hours cannot be negative: to correct a day, type its new total.", field=field
        )
    if hours > MAX_HOURS_PER_DAY:
        raise Invalid("A day has at most 24 hours.", field=field)
    rounded = hours.quantize(selectors.CENT)  # after the range checks: 1e30 cannot be quantized
    if hours != rounded:
        # Rounded, 0.004 h was "Saved." with nothing stored (the API refuses it too).
        raise Invalid(
            f"{where}{value} h has more than 2 decimals: hours are kept to the hundredth (0.01 h).",
            field=field,
        )
    return rounded


@transaction.atomic
def save_cells(
    *,
    actor: User,
    organisation: Organisation,
    person: User,
    week_start: dt.date,
    cells: list[Cell],
    expected_version: int | None,
) -> Timesheet:
    """Set the hours of some cells of a person's week (each value is the cell's new total).

    Draft and returned hours are replaced; submitted hours wait for their decision (changing
    them is refused); approved hours stay locked and a different total becomes a *correction*
    entry (the difference, possibly negative) that is approved like any other. Refused as a
    whole (nothing saved): negative hours, more than 24 hours on a cell or on a day, a day
    outside the week, a line that is not here.
    """
    _require_own(actor, organisation, person)
    if not dt.date(2000, 1, 1) <= week_start <= dt.date(2100, 12, 31):
        # The weeks the page and the API read: hours saved outside could never be seen.
        raise Invalid("Choose a week between 2000 and 2100.", field="week")
    _hold_week_start(organisation)
    if week_start != week_start_of(organisation, week_start):
        raise Invalid(
            "A timesheet week starts on the organisation's first day of the week.", field="week"
        )
    days = [week_start + dt.timedelta(days=i) for i in range(7)]
    typed: dict[tuple[str, dt.date], Cell] = {}
    for cell in cells:
        if cell.day not in days:
            raise Invalid(
                f"{cell.day.isoformat()} is not in the week of {week_start.isoformat()}.",
                field="day",
            )
        typed[(cell.line, cell.day)] = cell
    # A line gone to the trash (or deleted) may still be posted: its draft hours can be cleared;
    # a closed one (an archived project or process, a summary task...) can be lowered.
    lines = resolve_lines(organisation, {line for line, _ in typed}, gone_ok=True)
    for i, cell in enumerate(cells):
        line = lines[cell.line]
        named = f"{line.label} ({line.context})" if line.context else line.label
        _hours(cell.hours, f"cells.{i}.hours", f"{named} on {cell.day.isoformat()}: ")
    sheet = _sheet(organisation, person, week_start)
    save_versioned(sheet, expected_version=expected_version, fields=[])
    entries = list(TimeEntry.objects.filter(timesheet=sheet).order_by("id"))
    by_cell: dict[tuple[str, dt.date], list[TimeEntry]] = defaultdict(list)
    for e in entries:
        by_cell[(e.line_key, e.day)].append(e)
    held = {e.line_key for e in entries}
    never_here = sorted(key for key, line in lines.items() if line.gone and key not in held)
    if never_here:  # gone lines are the week's own; anything else names nothing here
        raise Invalid(f"No such line here: {', '.join(never_here)}.", field="line")
    day_totals: dict[dt.date, Decimal] = defaultdict(Decimal)
    for e in entries:
        if (e.line_key, e.day) not in typed:
            day_totals[e.day] += e.hours
    # Hours on these days in another week's sheet count too (after the organisation changed
    # its first weekday, a day sits in two sheets: 24 h more could be saved on it).
    for day, hours in (
        TimeEntry.objects.filter(organisation=organisation, person=person, day__in=days)
        .exclude(timesheet=sheet)
        .values_list("day", "hours")
    ):
        day_totals[day] += hours
    # New time (a cell raised) only where the person may log; lowering and clearing stay open.
    raised = {
        key
        for (key, day), cell in typed.items()
        if _hours(cell.hours, "hours")
        > sum((e.hours for e in by_cell.get((key, day), [])), Decimal(0))
    }
    check_task_lines(organisation, person, [lines[key] for key in sorted(raised)])
    changed = []
    for (key, day), cell in typed.items():
        total = _hours(cell.hours, "hours")
        day_totals[day] += total
        existing = by_cell.get((key, day), [])
        if lines[key].gone and total not in (0, sum((e.hours for e in existing), Decimal(0))):
            raise Invalid(
                f"“{lines[key].label}” is no longer here: its hours can only be cleared.",
                field="hours",
            )
        fixed = [e for e in existing if e.status in (EntryStatus.APPROVED, EntryStatus.SUBMITTED)]
        loose = [e for e in existing if e not in fixed]
        fixed_hours = sum((e.hours for e in fixed), Decimal(0))
        rest = total - fixed_hours
        waiting = [e for e in fixed if e.status == EntryStatus.SUBMITTED]
        if waiting and rest != sum((e.hours for e in loose), Decimal(0)) and rest < 0:
            raise Invalid(
                f"{lines[key].label} on {day.isoformat()} is submitted and waits for approval: "
                "change it after it is approved or returned.",
                field="hours",
            )
        if cell.overtime is not None:
            overtime = cell.overtime
        elif loose:
            overtime = any(e.overtime for e in loose)
        else:
            # No flag sent ("keeps it") and nothing loose: a correction of submitted or
            # approved hours carries the flag of the hours it corrects (the last of them).
            corrected = [e for e in fixed if e.status == EntryStatus.APPROVED] or fixed
            overtime = corrected[-1].overtime if corrected else False
        # The overtime flag alone is a change too (it was skipped when the hours were the same).
        flag_changed = any(e.overtime != overtime for e in loose)
        if (
            loose
            and sum((e.hours for e in loose), Decimal(0)) == rest
            and not cell.note
            and not flag_changed
        ):
            continue
        if not loose and rest == 0:
            if cell.overtime is not None and any(e.overtime != cell.overtime for e in fixed):
                raise Invalid(
                    f"{lines[key].label} on {day.isoformat()}: its hours are "
                    f"{'submitted' if waiting else 'approved'}, so their overtime flag stays "
                    "as it is (a correction of the hours carries its own).",
                    field="overtime",
                )
            continue
        TimeEntry.objects.filter(pk__in=[e.pk for e in loose]).delete()
        if rest != 0:
            approved = [e for e in fixed if e.status == EntryStatus.APPROVED]
            owner = lines[key].fields()
            if owner["project_id"] is None and owner["process_id"] is None and existing:
                # A deleted line, or a request whose queue lost its process: the correction is
                # approved where the hours it corrects were.
                owner.update(project_id=existing[-1].project_id, process_id=existing[-1].process_id)
            TimeEntry.objects.create(
                organisation=organisation,
                timesheet=sheet,
                person=person,
                day=day,
                hours=rest,
                note=cell.note[:200],
                overtime=overtime,
                corrects=approved[-1] if rest < 0 or approved else None,
                **owner,
            )
        changed.append(
            f"{lines[key].label} {day.isoformat()}: {total} h" + (" overtime" if overtime else "")
        )
    for day, total in day_totals.items():
        if total > MAX_HOURS_PER_DAY:
            raise Invalid(
                f"{day.isoformat()} would have {total} hours: a day has at most 24.", field="hours"
            )
    if changed:
        history.record(actor=actor, obj=sheet, action="updated", summary="; ".join(changed)[:300])
    return sheet


@transaction.atomic
def submit_timesheet(*, actor: User, timesheet: Timesheet, expected_version: int | None) -> int:
    """Send the week's draft and returned hours for approval; returns how many entries went."""
    _require_own(actor, timesheet.organisation, timesheet.person)
    save_versioned(timesheet, expected_version=expected_version, fields=[])
    sent = TimeEntry.objects.filter(
        timesheet=timesheet, status__in=[EntryStatus.DRAFT, EntryStatus.RETURNED]
    ).update(status=EntryStatus.SUBMITTED, return_reason="", version=F("version") + 1)
    if not sent:
        raise Invalid("There are no new hours to submit this week.", field="week")
    timesheet.submitted_at = tz.now()
    Timesheet.objects.filter(pk=timesheet.pk).update(submitted_at=timesheet.submitted_at)
    history.record(
        actor=actor, obj=timesheet, action="submitted", summary=f"Submitted {sent} entries"
    )
    _tell_deciders(actor, timesheet, sent)
    return sent


def _tell_deciders(actor: User, timesheet: Timesheet, sent: int) -> None:
    """Notify who approves the submitted lines: the projects' managers and the processes'
    owners (admins find every week on the approvals page)."""
    from django.urls import reverse

    from twofold.notifications.hooks import TIMESHEET_APPROVAL
    from twofold.notifications.services import notify

    deciders: set[int] = set()
    for manager_id, owner_id in TimeEntry.objects.filter(
        timesheet=timesheet, status=EntryStatus.SUBMITTED
    ).values_list("project__manager_id", "process__owner_id"):
        deciders.update(i for i in (manager_id, owner_id) if i)
    assert timesheet.submitted_at is not None
    notify(
        recipients=deciders,
        kind=TIMESHEET_APPROVAL,
        actor=actor,
        target=timesheet,
        summary=(
            f"{timesheet.person.display_name} submitted {sent} entries for the week of "
            f"{timesheet.week_start:%d %b %Y}"
        ),
        url=reverse("costs:approval", args=[timesheet.pk]),
        event_key=f"timesheet:{timesheet.pk}:{int(timesheet.submitted_at.timestamp())}",
    )


def _check_not_own(actor: User, organisation_id: int, person_id: int | None, what: str) -> None:
    if person_id == actor.pk and role_in(actor, organisation_id) != Role.OWNER:
        raise Forbidden(f"You cannot approve or return your own {what}; someone else decides it.")


@transaction.atomic
def decide_timesheet(
    *,
    actor: User,
    timesheet: Timesheet,
    approve: bool,
    expected_version: int | None,
    reason: str = "",
    lines: list[str] | None = None,
) -> int:
    """Approve (or return, with a reason) the submitted lines of a week that ``actor`` decides;
    ``lines`` narrows it to some line keys. The version check comes first, so of two people
    deciding the same week at once exactly one succeeds (the other gets a Conflict)."""
    require(actor, Action.VIEW, timesheet)
    _check_not_own(actor, timesheet.organisation_id, timesheet.person_id, "timesheet")
    malformed = [key for key in lines or [] if not LINE_KEY.match(key)]
    if malformed:
        raise Invalid(
            f"“{malformed[0]}” is not a timesheet line (task:ID, occurrence:ID, request:ID or "
            "process:ID).",
            field="lines",
        )
    scope = TimeEntry.objects.filter(timesheet=timesheet, status=EntryStatus.SUBMITTED).filter(
        selectors.decides_filter(actor, timesheet.organisation_id)
    )
    decidable = list(scope)
    if lines is not None and decidable:  # only who decides some of the week learns its lines
        week = {e.line_key for e in TimeEntry.objects.filter(timesheet=timesheet)}
        unknown = sorted(set(lines) - week)
        if unknown:
            raise Invalid(f"This week has no line {', '.join(unknown)}.", field="lines")
        # Named lines with submitted hours someone else decides: refused, not skipped (they
        # were answered "nothing submitted to decide", or left out of a decision silently).
        yours = {e.line_key for e in decidable}
        others = sorted(
            {
                e.line_key
                for e in TimeEntry.objects.filter(timesheet=timesheet, status=EntryStatus.SUBMITTED)
                if e.line_key in lines
            }
            - yours
        )
        if others:
            named = resolve_lines(timesheet.organisation, set(others), gone_ok=True)
            raise Forbidden(
                "You do not decide "
                + ", ".join(f"“{named[k].label}” ({named[k].context or k})" for k in others)
                + ": its submitted hours are decided by its project's manager or its process's "
                "owner (or an admin); leave it out of `lines`.",
                field="lines",
            )
    ids = [e.pk for e in decidable if lines is None or e.line_key in lines]
    if not ids:
        submitted = TimeEntry.objects.filter(timesheet=timesheet, status=EntryStatus.SUBMITTED)
        if submitted.exists() and not scope.exists():
            raise Forbidden("None of the submitted lines are yours to decide.")
        raise Conflict(
            "There is nothing submitted to decide on this week (someone may just have decided it)."
        )
    # Only someone who decides these lines learns what else is wrong with the decision.
    reason = reason.strip()
    if not approve and not reason:
        raise Invalid("Say why you return these hours, so the person can fix them.", field="reason")
    save_versioned(timesheet, expected_version=expected_version, fields=[])
    status = EntryStatus.APPROVED if approve else EntryStatus.RETURNED
    done = TimeEntry.objects.filter(pk__in=ids, status=EntryStatus.SUBMITTED).update(
        status=status,
        decided_by=actor,
        decided_at=tz.now(),
        return_reason=reason[:300],
        version=F("version") + 1,
    )
    if done != len(ids):
        raise Conflict(
            "Someone decided these hours at the same moment. Reload to see what they did."
        )
    hours = TimeEntry.objects.filter(pk__in=ids).aggregate(h=Sum("hours"))["h"]
    history.record(
        actor=actor,
        obj=timesheet,
        action="approved" if approve else "returned",
        summary=f"{'Approved' if approve else 'Returned'} {done} entries ({hours} h)"
        + (f": {reason}" if reason else ""),
    )
    return done


# --- Timer ------------------------------------------------------------------------------------


@transaction.atomic
def start_timer(*, actor: User, organisation: Organisation, line: str) -> Timer:
    """Start timing a task or a request; a timer already running is stopped (and logged) first."""
    require(actor, Action.CONTRIBUTE, organisation)
    if not line.startswith(("task:", "request:")):
        raise Invalid("A timer runs on a task or a request.", field="line")
    resolved = resolve_lines(organisation, {line})[line]
    check_task_lines(organisation, actor, [resolved])
    running = Timer.objects.filter(organisation=organisation, person=actor).first()
    if running is not None:
        stop_timer(actor=actor, organisation=organisation)
    timer = Timer.objects.create(
        organisation=organisation,
        person=actor,
        task_id=resolved.target_id if resolved.kind == "task" else None,
        request_id=resolved.target_id if resolved.kind == "request" else None,
    )
    history.record(
        actor=actor,
        obj=timer,
        action="started",
        changes={"line": [None, line]},
        summary=f"Timer started on {resolved.label} ({resolved.context})",
    )
    return timer


@dataclass(frozen=True)
class TimerStop:
    """What stopping a timer did: the hours logged, and why none were when ``hours`` is 0."""

    hours: Decimal
    note: str = ""


def stop_timer(
    *, actor: User, organisation: Organisation, now: dt.datetime | None = None
) -> Decimal:
    """Stop the running timer (see ``stop_timer_explained``); returns the hours logged."""
    return stop_timer_explained(actor=actor, organisation=organisation, now=now).hours


@transaction.atomic
def stop_timer_explained(
    *, actor: User, organisation: Organisation, now: dt.datetime | None = None
) -> TimerStop:
    """Stop the running timer and add its hours (to the hundredth) to today's cell of its line:
    what fits in the day's 24 hours. Nothing is logged (0 h, and ``note`` says why) when no
    time passed or none fits, or when its line takes no new time any more: its task or request
    went to the trash, its project or process was archived, its task became a summary task,
    the person is no longer on its project. The timer stops all the same: before, it could be
    neither stopped nor replaced (starting another stops it first)."""
    require(actor, Action.CONTRIBUTE, organisation)
    timer = (
        Timer.objects.select_for_update().filter(organisation=organisation, person=actor).first()
    )
    if timer is None:
        raise Conflict("No timer is running.")
    moment = now or tz.now()
    hours = Decimal(max((moment - timer.started_at).total_seconds(), 0) / 3600).quantize(
        selectors.CENT
    )
    line = f"task:{timer.task_id}" if timer.task_id else f"request:{timer.request_id}"
    resolved = resolve_lines(organisation, {line}, gone_ok=True)[line]
    stopped = _stop_timer(actor, organisation, timer, line, resolved, hours, moment)
    # The timer's history says how it ended, logged or not (the hours logged are also in the
    # timesheet's history, as any other change of a cell).
    history.record(
        actor=actor,
        obj=timer,
        action="stopped",
        changes={"line": [line, None]},
        summary=f"Timer stopped on {resolved.label}: "
        + (f"{stopped.hours} h logged" if stopped.hours else f"nothing logged, {stopped.note}"),
    )
    timer.delete()
    return stopped


def _stop_timer(
    actor: User,
    organisation: Organisation,
    timer: Timer,
    line: str,
    resolved: Line,
    hours: Decimal,
    moment: dt.datetime,
) -> TimerStop:
    """What stopping ``timer`` logs (see ``stop_timer_explained``)."""
    if resolved.gone:
        return TimerStop(Decimal(0), "what it ran on is no longer here (in the trash or deleted).")
    try:
        check_task_lines(organisation, actor, [resolved])
    except Invalid as exc:
        return TimerStop(Decimal(0), exc.message)
    if hours <= 0:
        return TimerStop(Decimal(0), "no time passed.")
    from zoneinfo import ZoneInfo

    today = moment.astimezone(ZoneInfo(organisation.timezone)).date()
    _hold_week_start(organisation)
    start = week_start_of(organisation, today)
    day = TimeEntry.objects.filter(
        timesheet__person=actor, timesheet__organisation=organisation, day=today
    )
    current = day.filter(
        **{"task_id" if timer.task_id else "request_id": timer.task_id or timer.request_id}
    ).aggregate(h=Sum("hours"))["h"] or Decimal(0)
    others = (day.aggregate(h=Sum("hours"))["h"] or Decimal(0)) - current
    # The day holds at most 24 hours in all: the timer logs what still fits (with 23 h on
    # other lines, a two-hour timer could be neither stopped nor replaced: "would have 25").
    total = min(current + hours, MAX_HOURS_PER_DAY - others)
    if total <= current:
        return TimerStop(Decimal(0), "today already has 24 hours.")
    save_cells(
        actor=actor,
        organisation=organisation,
        person=actor,
        week_start=start,
        cells=[Cell(line, today, total)],
        expected_version=None,
    )
    return TimerStop(total - current)


# --- Expenses ---------------------------------------------------------------------------------


def _latest_allowed(organisation: Organisation, today: dt.date) -> dt.date:
    return selectors.fiscal_year_bounds(
        organisation, selectors.fiscal_year_of(organisation, today)
    )[1]


@transaction.atomic
def create_expense(
    *,
    actor: User,
    organisation: Organisation,
    spent_on: dt.date,
    category: str,
    amount: Any,
    description: str,
    supplier: str = "",
    project: Any = None,
    task: Any = None,
    process: Any = None,
    attachment: Any = None,
    today: dt.date | None = None,
) -> Expense:
    """Record an expense on a project (optionally one of its tasks) or a process; it waits for
    approval by the project manager or process owner."""
    from twofold.core.uploads import save_field_file

    require(actor, Action.CONTRIBUTE, organisation)
    if (project is None) == (process is None):
        raise Invalid("An expense is on one project or one process.", field="project")
    owner = project if project is not None else process
    if owner.organisation_id != organisation.pk:
        raise NotFound("Not found.")
    if owner.archived_at is not None:  # as new time: the page offered none, the API took it
        kind = "project" if project is not None else "process"
        raise Invalid(f"This {kind} is archived: it takes no new expenses.", field=kind)
    if task is not None and (project is None or task.project_id != project.pk):
        raise Invalid("Choose a task of this project.", field="task")
    if category not in ExpenseCategory.values:
        raise Invalid("Choose a category.", field="category")
    value = _decimal(amount, "amount")
    if value <= 0:
        raise Invalid("An expense is more than zero.", field="amount")
    if value >= Decimal("10000000000"):
        raise Invalid("That amount is too large.", field="amount")
    value = _kept_amount(organisation.pk, value, "amount", "The amount")
    description = description.strip()
    if not description:
        raise Invalid("Say what it was for.", field="description")
    today = today or tz.localdate()
    dates.require_day_in_range(spent_on, "spent_on")
    latest = _latest_allowed(organisation, today)
    if spent_on > latest:
        raise Invalid(
            f"{spent_on.isoformat()} is beyond the current fiscal year (it ends {latest.isoformat()}).",
            field="spent_on",
        )
    expense = Expense(
        organisation=organisation,
        project=project,
        task=task,
        process=process,
        spent_on=spent_on,
        category=category,
        amount=value,
        supplier=supplier.strip()[:160],
        description=description[:200],
        submitted_by=actor,
        status=EntryStatus.SUBMITTED,
    )
    if attachment is not None:
        size = getattr(attachment, "size", 0) or 0
        expense.attachment_name = _receipt_name(attachment, size, "attachment")
        save_field_file(expense.attachment, attachment)
    expense.save()
    history.record(
        actor=actor,
        obj=expense,
        action="created",
        summary=f"Expense {expense.description}: {expense.amount}",
    )
    return expense


@transaction.atomic
def decide_expense(
    *, actor: User, expense: Expense, approve: bool, expected_version: int | None, reason: str = ""
) -> Expense:
    """Approve or return (with a reason) a submitted expense."""
    require(actor, Action.VIEW, expense)
    _check_not_own(actor, expense.organisation_id, expense.submitted_by_id, "expense")
    allowed = Expense.objects.filter(pk=expense.pk).filter(
        selectors.decides_filter(actor, expense.organisation_id)
    )
    if not allowed.exists():
        raise Forbidden(
            "Only the project manager, the process owner or an admin decides this expense."
        )
    if expense.status != EntryStatus.SUBMITTED:
        raise Conflict(
            "This expense is not waiting for a decision (someone may just have decided it)."
        )
    reason = reason.strip()
    if not approve and not reason:
        raise Invalid("Say why you return this expense.", field="reason")
    expense.status = EntryStatus.APPROVED if approve else EntryStatus.RETURNED
    expense.decided_by, expense.decided_at, expense.return_reason = actor, tz.now(), reason[:300]
    save_versioned(
        expense,
        expected_version=expected_version,
        fields=["status", "decided_by", "decided_at", "return_reason"],
    )
    history.record(
        actor=actor,
        obj=expense,
        action=expense.status,
        changes={"status": [EntryStatus.SUBMITTED.value, expense.status]},
    )
    return expense


@transaction.atomic
def resubmit_expense(
    *, actor: User, expense: Expense, expected_version: int | None, **values: Any
) -> Expense:
    """The person who recorded a returned expense corrects and resubmits it."""
    require(actor, Action.CONTRIBUTE, expense)
    if expense.submitted_by_id != actor.pk:
        raise Forbidden("Only the person who recorded this expense resubmits it.")
    if expense.status != EntryStatus.RETURNED:
        raise Conflict("Only a returned expense can be resubmitted.")
    before = {"amount": str(expense.amount), "description": expense.description}
    if "amount" in values:
        value = _decimal(values["amount"], "amount")
        if value <= 0:
            raise Invalid("An expense is more than zero.", field="amount")
        if value >= Decimal("10000000000"):
            raise Invalid("That amount is too large.", field="amount")
        expense.amount = _kept_amount(expense.organisation_id, value, "amount", "The amount")
    if "description" in values and values["description"].strip():
        expense.description = values["description"].strip()[:200]
    expense.status = EntryStatus.SUBMITTED
    save_versioned(
        expense, expected_version=expected_version, fields=["amount", "description", "status"]
    )
    after = {"amount": str(expense.amount), "description": expense.description}
    # What the approver decides on: the history says what changed since it was returned.
    history.record(
        actor=actor,
        obj=expense,
        action="resubmitted",
        changes={key: [before[key], after[key]] for key in before if before[key] != after[key]},
    )
    return expense


def _receipt_name(attachment: Any, size: int, field: str) -> str:
    """The receipt's own file name once its size, type and content pass the upload rules (not
    the extension ``check_file`` answers: receipts were shown and served as ".pdf" until
    2026-12-05)."""
    from twofold.core.uploads import check_file, clean_name, read_head

    check_file(
        attachment.name or "file", size, read_head(attachment), limit=RECEIPT_LIMIT, field=field
    )
    return clean_name(attachment.name or "file")


RECEIPT_LIMIT = 10 * 1024 * 1024
"""Largest receipt, in bytes (the expenses page says 10 MB)."""


@transaction.atomic
def attach_receipt(
    *, actor: User, expense: Expense, attachment: Any, expected_version: int | None = None
) -> Expense:
    """The person who recorded an expense adds (or replaces) its receipt until it is approved:
    what the expenses page takes with the expense, for the API (a review found none there)."""
    from twofold.core.uploads import save_field_file

    require(actor, Action.CONTRIBUTE, expense)
    if expense.submitted_by_id != actor.pk:
        raise Forbidden("Only the person who recorded this expense adds its receipt.")
    if expense.status == EntryStatus.APPROVED:
        raise Conflict("An approved expense keeps the receipt it was approved with.")
    if expected_version is not None and expense.version != expected_version:
        # Before the file is stored: a stale upload left its file behind.
        raise Conflict("Someone changed this expense since you read it. Reload it and try again.")
    name = _receipt_name(attachment, getattr(attachment, "size", 0) or 0, "file")
    before = expense.attachment_name or None
    old = expense.attachment.name if expense.attachment else ""
    expense.attachment_name = name
    save_field_file(expense.attachment, attachment)
    save_versioned(
        expense, expected_version=expected_version, fields=["attachment", "attachment_name"]
    )
    if old and old != expense.attachment.name:
        storage = expense.attachment.storage
        transaction.on_commit(lambda: storage.delete(old), robust=True)
    history.record(
        actor=actor,
        obj=expense,
        action="receipt attached",
        changes={"receipt": [before, expense.attachment_name]},
    )
    return expense


# --- Process budgets --------------------------------------------------------------------------


@transaction.atomic
def set_process_budget(
    *, actor: User, process: Any, fiscal_year: int, amount: Any, expected_version: int | None = None
) -> ProcessBudget:
    """Set a process's budget for a fiscal year: those who manage the process (admins and
    owners), as the current year's budget is its annual budget, edited with the process. The
    process owner reads it (:func:`~twofold.costs.selectors.sees_process_money`).

    ``expected_version``: the budget's version when it was read, 0 when the year had none
    (:func:`~twofold.costs.selectors.process_budget_version`); another version is a Conflict,
    and nothing is written. ``None``: last write wins."""
    require(actor, Action.VIEW, process)
    if not selectors.may_set_process_budget(actor, process):
        raise Forbidden("Only an admin sets a process's budget.")
    years = selectors.FISCAL_YEARS
    if fiscal_year not in years:  # beyond them a budget could be saved but never shown
        raise Invalid(f"Choose a fiscal year from {years[0]} to {years[-1]}.", field="fiscal_year")
    value = _decimal(amount, "amount")
    if value < 0 or value >= Decimal("1000000000000"):
        raise Invalid("A budget is zero or more.", field="amount")
    value = _kept_amount(process.organisation_id, value, "amount", "A budget")
    from twofold.operations.models import Process

    # The process row first, as a change of its annual budget locks it before this year's
    # budget (costs.budget_sync): two saves at once wait for each other, never deadlock.
    Process.all_objects.select_for_update().filter(pk=process.pk).values_list("pk").first()
    row, created = ProcessBudget.objects.select_for_update().get_or_create(
        process=process,
        fiscal_year=fiscal_year,
        defaults={
            "organisation_id": process.organisation_id,
            "amount": value,
        },
    )
    if expected_version is not None and (0 if created else row.version) != expected_version:
        raise Conflict(
            "Someone else set this budget since you read it. Reload to see theirs, then set "
            "yours again."
        )
    before = None if created else str(row.amount)
    if not created:
        row.amount = value
        save_versioned(row, expected_version=None, fields=["amount"])
    if fiscal_year == budget_sync.current_fiscal_year(process.organisation):
        # The process page's annual budget is this year's: one budget, not two (its version
        # moves only when the amount does, so an edit opened before gets a 409).
        Process.objects.filter(pk=process.pk).exclude(annual_budget=row.amount).update(
            annual_budget=row.amount, version=F("version") + 1
        )
    history.record(
        actor=actor,
        obj=process,
        action="budget set",
        changes={f"budget FY{fiscal_year}": [before, str(row.amount)]},
    )
    return row


def on_member_removed(obj: Any, action: str, organisation_id: int, changes: Any) -> None:
    """The history listener: a person removed from an organisation has no timer left there."""
    from twofold.accounts.models import Membership

    if isinstance(obj, Membership) and action == "member removed":
        Timer.objects.filter(organisation_id=organisation_id, person_id=obj.user_id).delete()
