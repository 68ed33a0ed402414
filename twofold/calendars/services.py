"""Writes for calendars. Each: permission, one transaction, version check, history, and the
rescheduling of every project that schedules on the changed calendar (directly, through a
derived calendar, or as the organisation's default).

Small reschedules run in the same transaction, so the answer can say what moved; large ones
(more than :data:`BACKGROUND_TASKS` tasks) run as a background job with progress.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import ForeignObjectRel, ProtectedError

from twofold.accounts.models import Organisation, User
from twofold.calendars import usage
from twofold.calendars.models import Calendar, Holiday, Repeat
from twofold.calendars.working_time import (
    FIRST_DAY,
    LAST_DAY,
    STANDARD_HOURS,
    build_specs,
    check_hours,
    check_periods,
    nth_of,
)
from twofold.core import dates, history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Invalid
from twofold.core.models import Job
from twofold.core.policy import Action, require
from twofold.engine.calendars import NoWorkingTimeError, compile_calendar

BACKGROUND_TASKS = 500
"""Above this many tasks to reschedule, a calendar change reschedules in a background job."""

RESCHEDULE_JOB = "calendars.reschedule"


@dataclass
class Outcome:
    """What a calendar change did to the plans: moved now, or a job that will say."""

    moved: usage.Moved | None = None
    job: Job | None = None

    @property
    def message(self) -> str:
        if self.job is not None:
            return "Rescheduling the projects that use this calendar in the background."
        return self.moved.summary if self.moved else ""


def ensure_default_calendar(organisation: Organisation) -> Calendar:
    """The organisation's default calendar, created (Standard week, no holidays) if missing.

    Call it when an organisation is created; it is idempotent.
    """
    found = Calendar.objects.filter(organisation=organisation, is_default=True).first()
    if found is not None:
        return found
    name = "Standard"
    if Calendar.objects.filter(organisation=organisation, name__iexact=name).exists():
        name = "Standard working week"
    return Calendar.objects.create(
        organisation=organisation, name=name, hours=STANDARD_HOURS, is_default=True
    )


# --- Checks -----------------------------------------------------------------------------------


def _clean_name(organisation: Organisation, name: str, calendar: Calendar | None) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("A calendar needs a name.", field="name")
    if len(name) > 80:
        raise Invalid("A calendar name has at most 80 characters.", field="name")
    clash = Calendar.objects.filter(organisation=organisation, name__iexact=name)
    if calendar is not None:
        clash = clash.exclude(pk=calendar.pk)
    if clash.exists():
        raise Invalid(f"There is already a calendar called {name}.", field="name")
    return name


def _clean_base(
    organisation: Organisation, base: Calendar | None, calendar: Calendar | None
) -> Calendar | None:
    if base is None:
        return None
    if base.organisation_id != organisation.pk:
        raise Invalid("Choose a base calendar of this organisation.", field="base")
    if calendar is not None:
        parents = dict(
            Calendar.objects.filter(organisation=organisation).values_list("id", "base_id")
        )
        step: int | None = base.pk
        while step is not None:
            if step == calendar.pk:
                raise Invalid(
                    "A calendar cannot derive from itself or from a calendar derived from it.",
                    field="base",
                )
            step = parents.get(step)
    return base


def _check_working_time(
    calendar: Calendar, holidays: list[Holiday] | None = None, *, field: str | None = "hours"
) -> None:
    """The calendar (as it would be saved), and every calendar derived from it, must leave some
    working time: else 422 on ``field`` naming the calendar that would have none.

    A derived calendar inherits its base's weekdays and holidays, so a change to the base
    (closing a weekday, a holiday) can leave a derived calendar without any working time; its
    projects could then not be scheduled (the reschedule answered 500).
    """
    rows = list(Calendar.objects.filter(organisation_id=calendar.organisation_id))
    rows = [r for r in rows if r.pk != calendar.pk] + [calendar]
    if holidays is None:
        holidays = list(Holiday.objects.filter(organisation_id=calendar.organisation_id))
    new = calendar.pk is None
    if new:
        calendar.pk = -1
    try:
        specs = build_specs(rows, holidays)
        try:
            compile_calendar(specs[calendar.pk])
        except NoWorkingTimeError as exc:
            raise Invalid(
                "This calendar would have no working time at all: give at least one day "
                "working hours.",
                field=field,
            ) from exc
        if new:
            return  # nothing derives from a calendar not saved yet
        names = {r.pk: r.name for r in rows}
        bases = {r.pk: r.base_id for r in rows}
        for pk in _derived_ids(calendar.pk, list(bases.items())):
            try:
                compile_calendar(specs[pk])
            except NoWorkingTimeError as exc:
                between = []
                step = bases[pk]
                while step is not None and step != calendar.pk:
                    between.append(names[step])
                    step = bases.get(step)
                through = f" (through {', '.join(between)})" if between else ""
                raise Invalid(
                    f"{names[pk]}, which derives from {calendar.name}{through}, would have no "
                    f"working time at all: give {names[pk]} working hours of its own first.",
                    field=field,
                ) from exc
    finally:
        if new:
            calendar.pk = None


def _derived_ids(pk: int, rows: list[tuple[int, int | None]]) -> list[int]:
    """Ids of every calendar deriving from ``pk`` (directly or through others), by name order
    of ``rows`` (id, base id)."""
    ids = {pk}
    grew = True
    while grew:
        more = {c for c, base in rows if base in ids} - ids
        ids |= more
        grew = bool(more)
    return [c for c, _ in rows if c in ids and c != pk]


def _demote_previous_default(actor: User, organisation: Organisation, calendar: Calendar) -> None:
    """The previous default stops being it: its version moves (an edit page of it opened
    before would put it back) and its history says so."""
    previous_defaults = Calendar.objects.filter(organisation=organisation, is_default=True)
    if calendar.pk is not None:
        previous_defaults = previous_defaults.exclude(pk=calendar.pk)
    for previous in previous_defaults:
        previous.is_default = False
        save_versioned(previous, expected_version=None, fields=["is_default"])
        history.record(
            actor=actor,
            obj=previous,
            action="updated",
            changes={"is_default": [True, False]},
            summary=f"No longer the default: {calendar.name} is",
        )


# --- Calendars --------------------------------------------------------------------------------


@transaction.atomic
def create_calendar(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    hours: Any,
    base: Calendar | None = None,
    is_default: bool = False,
) -> Calendar:
    """A new calendar (the Standard week if ``hours`` is None); derived if ``base`` is given."""
    require(actor, Action.MANAGE, organisation)
    name = _clean_name(organisation, name, None)
    base = _clean_base(organisation, base, None)
    try:
        clean = check_hours(STANDARD_HOURS if hours is None else hours, derived=base is not None)
    except ValueError as exc:
        raise Invalid(str(exc), field="hours") from exc
    calendar = Calendar(organisation=organisation, name=name, hours=clean, base=base)
    _check_working_time(calendar)
    if is_default:
        # As when an existing calendar becomes the default: the previous one says so.
        _demote_previous_default(actor, organisation, calendar)
        calendar.is_default = True
    calendar.save()
    history.record(actor=actor, obj=calendar, action="created", summary=f"Created calendar {name}")
    if is_default:
        # Projects on the organisation default now schedule on this calendar.
        _reschedule(actor, calendar, [], True, f"{name} became the default")
    return calendar


CALENDAR_FIELDS = ("name", "hours", "base", "is_default")


@transaction.atomic
def update_calendar(
    *, actor: User, calendar: Calendar, expected_version: int | None, **values: Any
) -> Outcome:
    """Change name, hours, base or default flag; reschedule what the change moves."""
    require(actor, Action.MANAGE, calendar)
    unknown = set(values) - set(CALENDAR_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    org = calendar.organisation
    if "name" in values:
        values["name"] = _clean_name(org, values["name"], calendar)
    if "base" in values:
        values["base"] = _clean_base(org, values["base"], calendar)
    derived = (values.get("base", calendar.base)) is not None
    if "hours" in values or "base" in values:
        try:
            values["hours"] = check_hours(values.get("hours", calendar.hours), derived=derived)
        except ValueError as exc:
            raise Invalid(str(exc), field="hours") from exc
    if values.get("is_default") is False and calendar.is_default:
        raise Invalid(
            "Make another calendar the default instead: an organisation always has one.",
            field="is_default",
        )
    fields = list(values)
    before = history.snapshot(calendar, fields)
    was_default = calendar.is_default
    for key, value in values.items():
        setattr(calendar, key, value)
    _check_working_time(calendar)
    if calendar.is_default and not was_default:
        _demote_previous_default(actor, org, calendar)
    changes = history.diff(before, history.snapshot(calendar, fields))
    if {"hours", "base"} & set(changes):
        _touch(calendar)
        fields.append("revision")
    save_versioned(calendar, expected_version=expected_version, fields=fields)
    if not changes:
        return Outcome()
    history.record(actor=actor, obj=calendar, action="updated", changes=changes)
    if calendar.is_default and not was_default:
        # Every project on the default now schedules on this calendar.
        return _reschedule(actor, calendar, [], True, f"{calendar.name} became the default")
    if {"hours", "base"} & set(changes):
        return _reschedule(actor, calendar, *_affected(calendar), f"{calendar.name} changed")
    return Outcome()


@transaction.atomic
def delete_calendar(*, actor: User, calendar: Calendar, expected_version: int | None) -> None:
    """Delete a calendar nothing schedules on (not the default, no derived calendar, unused)."""
    require(actor, Action.MANAGE, calendar)
    if calendar.is_default:
        raise Invalid("The default calendar cannot be deleted.", field="is_default")
    if expected_version is not None and calendar.version != expected_version:
        save_versioned(calendar, expected_version=expected_version, fields=[])
    holders, count = _detached_by_delete(calendar)
    if holders:
        more = count - len(holders)
        raise Invalid(
            f"{calendar.name} is still used by {', '.join(holders)}"
            + (f" and {more} more" if more else "")
            + ": choose another calendar there first.",
            field="name",
        )
    history.record(actor=actor, obj=calendar, action="deleted", summary=f"Deleted {calendar}")
    try:
        with transaction.atomic():
            calendar.delete()
    except ProtectedError as exc:
        raise Invalid(
            f"{calendar.name} is still used (by a project, a queue or a derived "
            "calendar): choose another calendar there first.",
            field="name",
        ) from exc


def _detached_by_delete(calendar: Calendar, shown: int = 5) -> tuple[list[str], int]:
    """What deleting ``calendar`` would silently change: the records people edit (they carry a
    ``version``) whose calendar the delete would set to empty, e.g. a routine shifting its
    occurrences on it. Up to ``shown`` of them by name ("routine Bank reconciliation"), and
    how many in all. Projects and queues protect their calendar (the delete fails on them);
    bookkeeping rows (an import's source calendar) just let go.

    Found through the reverse relations, so ``calendars`` imports none of the apps above it.
    """
    names: list[str] = []
    count = 0
    for relation in Calendar._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ForeignObjectRel) or relation.on_delete is not models.SET_NULL:
            continue
        model = relation.related_model
        if not isinstance(model, type) or not issubclass(model, models.Model):
            continue
        if "version" not in {f.name for f in model._meta.concrete_fields}:
            continue
        rows = model._base_manager.filter(**{relation.field.name: calendar}).order_by("pk")
        count += rows.count()
        for row in rows[: max(shown - len(names), 0)]:
            label = f"{model._meta.verbose_name} {row}"
            if getattr(row, "deleted_at", None) is not None:
                label += " (in the trash)"
            names.append(label)
    return names, count


# --- Holidays ---------------------------------------------------------------------------------


def _clean_holiday(values: dict[str, Any]) -> dict[str, Any]:
    name = str(values.get("name") or "").strip()
    if not name:
        raise Invalid("A holiday needs a name.", field="name")
    if len(name) > 120:
        raise Invalid("A holiday name has at most 120 characters.", field="name")
    start, end = values.get("start"), values.get("end") or values.get("start")
    if not isinstance(start, dt.date):
        raise Invalid("A holiday needs a first day.", field="start")
    for key, day in (("start", start), ("end", end), ("until", values.get("until"))):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise Invalid(
                f"{day:%Y-%m-%d} is outside the dates a calendar covers "
                f"({FIRST_DAY.year}–{LAST_DAY.year}).",
                field=key,
            )
    assert isinstance(end, dt.date)
    if end < start:
        raise Invalid("The last day must be on or after the first day.", field="end")
    if (end - start).days > 366:
        raise Invalid("A holiday lasts at most a year: split longer closures.", field="end")
    repeat = values.get("repeat") or Repeat.ONCE
    if repeat not in Repeat.values:
        raise Invalid(f"Unknown repeat {repeat!r}.", field="repeat")
    week = values.get("week_of_month")
    until = values.get("until")
    if week is not None and (
        isinstance(week, bool) or not isinstance(week, int) or not 1 <= week <= 5
    ):
        # The column holds no negative number: -3 answered a misleading 409 (the database's
        # CHECK failed), and 0 silently became the week of the first day.
        raise Invalid("The week of the month is 1 to 4, or 5 for the last.", field="week_of_month")
    if repeat != Repeat.YEARLY_WEEKDAY:
        week = None  # only a holiday on the same weekday of the month has one
    if repeat == Repeat.ONCE:
        until = None
    if repeat == Repeat.YEARLY_WEEKDAY:
        if end != start:
            raise Invalid("A holiday on the same weekday every year is one day long.", field="end")
        if week is None:
            week = nth_of(start)
    elif repeat == Repeat.YEARLY and (end - start).days > 31:
        raise Invalid("A yearly holiday lasts at most a month.", field="end")
    if until is not None and until < start:
        raise Invalid("A repeating holiday ends after it starts.", field="until")
    try:
        hours = check_periods(values.get("hours") or [])
    except ValueError as exc:
        raise Invalid(str(exc), field="hours") from exc
    return {
        "name": name,
        "start": start,
        "end": end,
        "repeat": repeat,
        "week_of_month": week,
        "until": until,
        "hours": hours,
    }


def describe(holiday: Holiday) -> str:
    """ "Christmas Day (25 Dec, every year)" for history lines and messages."""
    days = f"{dates.format_day(holiday.start)}"
    if holiday.end != holiday.start:
        days += f" – {dates.format_day(holiday.end)}"
    if holiday.repeat == Repeat.YEARLY:
        days = f"{dates.format_day_short(holiday.start)} every year from {holiday.start.year}"
    elif holiday.repeat == Repeat.YEARLY_WEEKDAY:
        days = f"{holiday.get_repeat_display().lower()} from {dates.format_day(holiday.start)}"
    return f"{holiday.name} ({days})"


@transaction.atomic
def add_holiday(
    *, actor: User, calendar: Calendar, expected_version: int | None, **values: Any
) -> tuple[Holiday, Outcome]:
    """Add days off (or other working hours) to ``calendar`` and reschedule what moves."""
    require(actor, Action.MANAGE, calendar)
    clean = _clean_holiday(values)
    holiday = Holiday(organisation_id=calendar.organisation_id, calendar=calendar, **clean)
    others = list(Holiday.objects.filter(organisation_id=calendar.organisation_id))
    _check_working_time(calendar, [*others, holiday])
    _touch(calendar)
    save_versioned(calendar, expected_version=expected_version, fields=["revision"])
    holiday.save()
    history.record(
        actor=actor, obj=calendar, action="updated", summary=f"Added {describe(holiday)}"
    )
    return holiday, _reschedule(
        actor, calendar, *_affected(calendar), f"{describe(holiday)} added to {calendar.name}"
    )


@transaction.atomic
def delete_holiday(*, actor: User, holiday: Holiday, expected_version: int | None) -> Outcome:
    """Remove a holiday from its calendar and reschedule what moves."""
    calendar = holiday.calendar
    require(actor, Action.MANAGE, calendar)
    # A holiday with working hours may be all the working time a derived calendar has left.
    others = list(
        Holiday.objects.filter(organisation_id=calendar.organisation_id).exclude(pk=holiday.pk)
    )
    _check_working_time(calendar, others, field=None)
    _touch(calendar)
    save_versioned(calendar, expected_version=expected_version, fields=["revision"])
    text = describe(holiday)
    holiday.delete()
    history.record(actor=actor, obj=calendar, action="updated", summary=f"Removed {text}")
    return _reschedule(
        actor, calendar, *_affected(calendar), f"{text} removed from {calendar.name}"
    )


def _touch(calendar: Calendar) -> None:
    """A new revision for ``calendar`` and every calendar derived from it (the cache key)."""
    calendar.revision = uuid.uuid4()
    ids, _ = _affected(calendar)
    Calendar.objects.filter(pk__in=[i for i in ids if i != calendar.pk]).update(
        revision=calendar.revision
    )


# --- Rescheduling -----------------------------------------------------------------------------


def _affected(calendar: Calendar) -> tuple[list[int], bool]:
    """Ids of ``calendar`` and every calendar derived from it, and whether the default is one."""
    rows = list(
        Calendar.objects.filter(organisation_id=calendar.organisation_id).values_list(
            "id", "base_id", "is_default"
        )
    )
    ids = {calendar.pk}
    grew = True
    while grew:
        more = {pk for pk, base, _ in rows if base in ids} - ids
        ids |= more
        grew = bool(more)
    default = any(is_default for pk, _, is_default in rows if pk in ids)
    return sorted(ids), default


def _reschedule(
    actor: User, calendar: Calendar, ids: list[int], default: bool, reason: str
) -> Outcome:
    org_id = calendar.organisation_id
    size = sum(user.size(org_id, ids, default) for user in usage.users())
    if size > BACKGROUND_TASKS:
        from twofold.core.services import enqueue_job

        job = enqueue_job(
            actor=actor,
            kind=RESCHEDULE_JOB,
            subject=calendar,
            params={"calendar_ids": ids, "default": default, "reason": reason},
            action=Action.MANAGE,
        )
        return Outcome(job=job)
    return Outcome(moved=reschedule_now(actor, org_id, ids, default, reason, None))


def reschedule_now(
    actor: User | None,
    organisation_id: int,
    ids: list[int],
    default: bool,
    reason: str,
    progress: usage.Progress | None,
) -> usage.Moved:
    """Reschedule everything that schedules on ``ids`` (and the default if ``default``)."""
    moved = usage.Moved()
    for user in usage.users():
        moved.add(user.reschedule(actor, organisation_id, ids, default, reason, progress))
    return moved
