"""Writes for capacity: people's availability, and applying a levelling preview.

Capacity writes no task rows itself: applying a levelling preview records a levelling delay per
moved task through :func:`twofold.projects.services.set_levelling_delays`, which records history
and reschedules the project once; all moves share one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.capacity import levelling
from twofold.capacity.models import (
    HOUR_FIELDS,
    Absence,
    AbsenceKind,
    QueueWorkload,
    Reservation,
    WorkingPattern,
)
from twofold.capacity.selectors import levelling_delays
from twofold.core import dates, history
from twofold.core.concurrency import delete_versioned, save_versioned
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.models import Job
from twofold.core.policy import Action, can, require, role_in
from twofold.core.services import enqueue_job
from twofold.engine.availability import MAX_HOURS_PER_DAY
from twofold.engine.levelling import Method
from twofold.engine.levelling_problem import LevellingInputError
from twofold.projects import services as project_services
from twofold.projects.models import MINUTES_PER_DAY, Project, Task
from twofold.projects.services import DATE_MESSAGE, FIRST_DAY, LAST_DAY

STALE = (
    "The project changed since this preview was made (a task, a link or the project itself). "
    "Preview again to level the current plan."
)


@dataclass(frozen=True)
class Applied:
    project: Project
    moved: int
    finish: dt.datetime | None


LEVELLING_JOB = "capacity.levelling"


def _optimise_seconds(seconds: float | None) -> float:
    limit = seconds if seconds is not None else 5
    if not 1 <= limit <= levelling.MAX_OPTIMISE_SECONDS:
        raise Invalid(
            f"Optimise for 1 to {levelling.MAX_OPTIMISE_SECONDS} seconds.", field="seconds"
        )
    return float(limit)


def preview_levelling(
    *,
    actor: User,
    project: Project,
    method: Method = "heuristic",
    seconds: float | None = None,
    progress: levelling.LevelProgress | None = None,
) -> levelling.Preview:
    """A levelling preview; levelling is planning work, so it needs the right to edit tasks.

    Pages and the API run "optimise" as a job (:func:`start_levelling`); ``progress`` is the
    job's reporter.
    """
    require(actor, Action.EDIT, project)
    if method == "optimise":
        return levelling.preview(
            project, method="optimise", seconds=_optimise_seconds(seconds), progress=progress
        )
    return levelling.preview(project)


def start_levelling(*, actor: User, project: Project, seconds: float | None = None) -> Job:
    """Queue an "optimise" levelling of ``project`` for up to ``seconds`` (a background job).

    Its result is the preview as JSON (``levelling.preview_as_json``); nothing is applied.
    """
    require(actor, Action.EDIT, project)
    limit = _optimise_seconds(seconds)
    return enqueue_job(actor=actor, kind=LEVELLING_JOB, subject=project, params={"seconds": limit})


@transaction.atomic
def apply_levelling(
    *, actor: User, project: Project, version: str, moves: dict[int, dt.date]
) -> Applied:
    """Record a levelling delay on each moved task, if the project is still as previewed.

    As Microsoft Project's "leveling delay": the scheduler adds the delay to the task's early
    start after its predecessors allow it, so the task stays on its chain and the critical path
    and schedule risk keep their shape (a "start no earlier than" date would pin it). A task
    pushed only by a moved predecessor gets no delay of its own: the link moves it.

    Raises:
        Conflict: the project changed since the preview (``version`` is stale).
        Invalid: a move would break a link or a hard constraint, or names no task of the project.
    """
    require(actor, Action.EDIT, project)
    locked = Project.objects.select_for_update().get(pk=project.pk)
    project.version = locked.version
    try:
        built = levelling.build(project)
    except LevellingInputError as exc:
        raise Invalid(f"This plan cannot be levelled: {exc}.", field="moves") from exc
    if version != built.version:
        raise Conflict(STALE)
    if not moves:
        raise Invalid("Nothing to apply: levelling moves no task.", field="moves")
    problems = levelling.check_moves(built, moves)
    if problems:
        raise Invalid(f"This levelling cannot be applied: {problems[0]}", field="moves")
    # A task the preview leaves where it is keeps its place, even when it carries an older
    # levelling delay and a predecessor now moves: its delay is worked out again from its
    # current start (the old one came on top of the predecessor's new finish, and the task
    # landed on a clash the preview had avoided).
    kept = {
        task.pk: built.days[built.releases[i]]
        for i, task in enumerate(built.tasks)
        if task.levelling_delay_minutes
        and task.pk not in moves
        and built.releases[i] >= 0
        and built.releases[i] < len(built.days)
    }
    delays = {
        pk: periods * MINUTES_PER_DAY
        for pk, periods in levelling.delays_for(built, {**kept, **moves}).items()
    }
    count = sum(1 for pk, minutes in delays.items() if minutes and pk in moves)
    project_services.set_levelling_delays(
        actor=actor,
        project=project,
        delays=delays,
        summary=f"Levelled {project.code}: {count} task{'s' if count != 1 else ''} delayed "
        "(levelling delays; links and the critical path kept)",
    )
    project.refresh_from_db()
    return Applied(project, len(moves), project.scheduled_finish)


@transaction.atomic
def clear_levelling(*, actor: User, project: Project, seen: str | None = None) -> Applied:
    """Remove every levelling delay of ``project`` and reschedule (MS Project's "Clear
    Leveling"). Tasks keep their own constraints. ``seen``: the delays' version as read
    (:func:`~twofold.capacity.selectors.levelling_delays`).

    Raises:
        Conflict: ``seen`` is stale (someone levelled or cleared since).
        Invalid: no task of the project has a levelling delay.
    """
    require(actor, Action.EDIT, project)
    Project.objects.select_for_update().get(pk=project.pk)
    current = levelling_delays(project)
    if seen is not None and seen != current.version:
        n = len(current.delays)
        raise Conflict(
            "The levelling delays changed since you read them (someone levelled or cleared "
            f"this project): {n} task{' now has' if n == 1 else 's now have'} one. Look again "
            "before clearing."
        )
    delayed = list(current.delays)
    if not delayed:
        raise Invalid("No task of this project has a levelling delay.", field="project")
    project_services.set_levelling_delays(
        actor=actor,
        project=project,
        delays=dict.fromkeys(delayed, 0),
        summary=f"Cleared levelling of {project.code}: {len(delayed)} "
        f"delay{'s' if len(delayed) != 1 else ''} removed",
    )
    project.refresh_from_db()
    return Applied(project, len(delayed), project.scheduled_finish)


# ---------------------------------------------------------------------------------------------
# Availability: working patterns and absences
#
# A person edits their own; admins and owners edit anyone's in their organisation. Another
# member may see a person's availability but not change it (403); someone outside the
# organisation cannot see the person at all (404).

MAX_NOTE = 200
PATTERN_CHANGED = "the working pattern"


def _require_availability_edit(actor: User, organisation: Organisation, person: User) -> None:
    require(actor, Action.VIEW, organisation)
    if not Membership.objects.filter(organisation=organisation, user=person).exists():
        raise NotFound("Not found.")
    if actor.pk != person.pk and not can(actor, Action.MANAGE, organisation):
        raise Forbidden("Only the person themselves or an admin can change their availability.")


def _note(note: Any) -> str:
    if not isinstance(note, str):
        raise Invalid("The note is text.", field="note")
    text: str = note.strip()
    if len(text) > MAX_NOTE:
        raise Invalid(f"Keep the note under {MAX_NOTE} characters.", field="note")
    return text


def _date(value: Any, name: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise Invalid("Give a date.", field=name)
    if not FIRST_DAY <= value <= LAST_DAY:
        raise Invalid(DATE_MESSAGE, field=name)
    return value


def _weekday_hours(hours: Sequence[Any]) -> list[Decimal]:
    if len(hours) != len(HOUR_FIELDS):
        raise Invalid("Give hours for each of the 7 days, Monday to Sunday.", field="hours")
    out = []
    for name, value in zip(HOUR_FIELDS, hours, strict=True):
        if isinstance(value, bool):
            raise Invalid("Give a number of hours.", field=name)
        try:
            exact = Decimal(str(value))
            number = exact.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError) as exc:
            raise Invalid("Give a number of hours.", field=name) from exc
        if not Decimal(0) <= number <= Decimal(MAX_HOURS_PER_DAY):
            raise Invalid("Hours per day are between 0 and 24.", field=name)
        if number != exact:
            # As the page's form refuses it (the API stored 7.125 as 7.12, and 0.004 as a day off).
            raise Invalid("Give the hours with at most 2 decimal places.", field=name)
        out.append(number)
    return out


MAX_UNITS_LIMIT = 1000


def _max_units(value: Any) -> int | None:
    """Maximum units: whole percent, 1 to 1,000 (None: unchanged)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("Give maximum units as a whole percent.", field="max_units")
    if not 1 <= value <= MAX_UNITS_LIMIT:
        raise Invalid(
            f"Maximum units are between 1 % and {MAX_UNITS_LIMIT:,} %.", field="max_units"
        )
    return value


def _require_units_edit(actor: User, organisation: Organisation) -> None:
    """Only admins and owners change how much of a person one task may take."""
    if role_in(actor, organisation.pk) not in (Role.ADMIN, Role.OWNER):
        raise Forbidden("Only an admin changes a person's maximum units.")


def _pattern_in_effect(organisation: Organisation, person: User, day: dt.date) -> Any:
    rows = WorkingPattern.objects.filter(organisation=organisation, person=person)
    return rows.filter(effective_from__lte=day).order_by("-effective_from").first() or (
        rows.order_by("effective_from").first()
    )


@transaction.atomic
def set_working_pattern(
    *,
    actor: User,
    organisation: Organisation,
    person: User,
    hours: Sequence[Any],
    effective_from: dt.date | None = None,
    note: str = "",
    expected_version: int | None = None,
    max_units: Any = None,
) -> WorkingPattern:
    """Set ``person``'s hours per weekday (Monday first) from ``effective_from`` on, and
    (``max_units``, admins only when it changes) the most they can be assigned to one task.

    Without ``effective_from`` the pattern in effect today changes (or, for a person who has
    none, a first pattern starts today). A pattern that starts on the same date is updated;
    other dates add a change of pattern on that date (earlier and later ones stay).

    Raises:
        NotFound: the actor or the person is not in the organisation.
        Forbidden: a member changing someone else's pattern.
        Invalid: hours outside 0-24 (naming the weekday's field), a bad date or note.
        Conflict: ``expected_version`` is stale (0: there was no pattern at that date).
    """
    _require_availability_edit(actor, organisation, person)
    values = _weekday_hours(hours)
    note = _note(note)
    units = _max_units(max_units)
    if effective_from is None:
        current = _pattern_in_effect(organisation, person, timezone.localdate())
        effective_from = current.effective_from if current else timezone.localdate()
    effective_from = _date(effective_from, "effective_from")
    Membership.objects.select_for_update().filter(organisation=organisation, user=person).first()
    pattern = WorkingPattern.objects.filter(
        organisation=organisation, person=person, effective_from=effective_from
    ).first()
    fields = [*HOUR_FIELDS, "note", "max_units"]
    if pattern is None and expected_version:
        raise Conflict(
            f"The working pattern of {person.display_name} you read is gone (someone changed "
            "it since): look again and save yours."
        )
    if pattern is not None and expected_version == 0:
        raise Conflict(
            f"Someone saved a working pattern for {person.display_name} since you read it: "
            "look again and save yours."
        )
    if pattern is None:
        pattern = WorkingPattern(
            organisation=organisation, person=person, effective_from=effective_from, note=note
        )
        for name, value in zip(HOUR_FIELDS, values, strict=True):
            setattr(pattern, name, value)
        # A new pattern keeps the maximum units of the one in effect unless told otherwise.
        previous = _pattern_in_effect(organisation, person, effective_from)
        pattern.max_units = previous.max_units if previous else 100
        if units is not None and units != pattern.max_units:
            _require_units_edit(actor, organisation)
            pattern.max_units = units
        pattern.save()
        history.record(
            actor=actor,
            obj=pattern,
            action="created",
            changes={"weekly_hours": [None, pattern.weekly_hours]},
            summary=f"{person.display_name} works {pattern.weekly_hours:g} h a week "
            f"from {dates.format_day(effective_from)}",
        )
        return pattern
    before = history.snapshot(pattern, fields)
    for name, value in zip(HOUR_FIELDS, values, strict=True):
        setattr(pattern, name, value)
    pattern.note = note
    if units is not None and units != pattern.max_units:
        _require_units_edit(actor, organisation)
        pattern.max_units = units
    save_versioned(pattern, expected_version=expected_version, fields=fields)
    changes = history.diff(before, history.snapshot(pattern, fields))
    if changes:
        history.record(
            actor=actor,
            obj=pattern,
            action="updated",
            changes=changes,
            summary=f"{person.display_name}'s working pattern from "
            f"{dates.format_day(effective_from)}: {pattern.weekly_hours:g} h a week",
        )
    return pattern


@transaction.atomic
def delete_working_pattern(
    *, actor: User, pattern: WorkingPattern, expected_version: int | None = None
) -> None:
    """Remove one change of pattern; the one before it (or the standard week) holds again."""
    _require_availability_edit(actor, pattern.organisation, pattern.person)
    history.record(
        actor=actor,
        obj=pattern,
        action="deleted",
        summary=f"Removed {pattern.person.display_name}'s working pattern from "
        f"{dates.format_day(pattern.effective_from)}",
    )
    delete_versioned(pattern, expected_version=expected_version, what="this change of pattern")


ABSENCE_FIELDS = ("kind", "start", "end", "half_day", "note")


def _clean_absence(values: dict[str, Any], current: Absence | None) -> dict[str, Any]:
    """Validate ``values`` (the fields given) against the absence as it will be after the change."""
    unknown = set(values) - set(ABSENCE_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"Unknown field {name}.", field=name)
    if "kind" in values and values["kind"] not in AbsenceKind.values:
        raise Invalid(f"Choose one of: {', '.join(AbsenceKind.values)}.", field="kind")
    for name in ("start", "end"):
        if name in values:
            values[name] = _date(values[name], name)
        elif current is None:
            raise Invalid(f"Give the {name} date.", field=name)
    if "half_day" in values and not isinstance(values["half_day"], bool):
        raise Invalid("Half day is yes or no.", field="half_day")
    if "note" in values:
        values["note"] = _note(values["note"])
    merged: dict[str, Any] = {name: getattr(current, name, None) for name in ABSENCE_FIELDS}
    merged |= values
    if merged["end"] < merged["start"]:
        raise Invalid(
            "The absence ends before it starts: choose an end on or after the start.", field="end"
        )
    if merged["half_day"] and merged["start"] != merged["end"]:
        raise Invalid(
            "A half day is a single day: make the start and end the same date, "
            "or record whole days.",
            field="half_day",
        )
    return merged


def _refuse_overlap(
    organisation: Organisation, person: User, start: dt.date, end: dt.date, exclude: int | None
) -> None:
    others = Absence.objects.filter(
        organisation=organisation, person=person, start__lte=end, end__gte=start
    )
    if exclude is not None:
        others = others.exclude(pk=exclude)
    clash = others.order_by("start").first()
    if clash is not None:
        raise Invalid(
            f"This overlaps {person.display_name}'s {clash.get_kind_display().lower()} "
            f"({clash.span_label}). Change or delete that absence first.",
            field="start",
        )


@transaction.atomic
def create_absence(
    *, actor: User, organisation: Organisation, person: User, **values: Any
) -> Absence:
    """Record an absence of ``person`` (kind, start, end, half_day, note).

    Raises:
        Invalid: the end is before the start (``end``), a half day over several dates
            (``half_day``), an overlap with another absence of the person (``start``).
    """
    _require_availability_edit(actor, organisation, person)
    values.setdefault("kind", AbsenceKind.HOLIDAY)
    values.setdefault("half_day", False)
    values.setdefault("note", "")
    merged = _clean_absence(values, None)
    # One writer at a time per person, so two overlapping absences cannot both pass the check.
    Membership.objects.select_for_update().filter(organisation=organisation, user=person).first()
    _refuse_overlap(organisation, person, merged["start"], merged["end"], None)
    absence = Absence.objects.create(organisation=organisation, person=person, **merged)
    history.record(
        actor=actor,
        obj=absence,
        action="created",
        changes={name: [None, history.snapshot(absence, [name])[name]] for name in ABSENCE_FIELDS},
        summary=f"{person.display_name}: {absence}",
    )
    return absence


@transaction.atomic
def update_absence(
    *, actor: User, absence: Absence, expected_version: int | None, **values: Any
) -> Absence:
    """Change an absence; the same rules as :func:`create_absence`, and a version check."""
    person = absence.person
    _require_availability_edit(actor, absence.organisation, person)
    merged = _clean_absence(dict(values), absence)
    Membership.objects.select_for_update().filter(
        organisation_id=absence.organisation_id, user=person
    ).first()
    _refuse_overlap(absence.organisation, person, merged["start"], merged["end"], absence.pk)
    before = history.snapshot(absence, ABSENCE_FIELDS)
    for name in ABSENCE_FIELDS:
        setattr(absence, name, merged[name])
    save_versioned(absence, expected_version=expected_version, fields=list(ABSENCE_FIELDS))
    changes = history.diff(before, history.snapshot(absence, ABSENCE_FIELDS))
    if changes:
        history.record(
            actor=actor,
            obj=absence,
            action="updated",
            changes=changes,
            summary=f"{person.display_name}: {absence}",
        )
    return absence


@transaction.atomic
def delete_absence(*, actor: User, absence: Absence, expected_version: int | None = None) -> None:
    _require_availability_edit(actor, absence.organisation, absence.person)
    history.record(
        actor=actor,
        obj=absence,
        action="deleted",
        summary=f"{absence.person.display_name}: removed {absence}",
    )
    delete_versioned(absence, expected_version=expected_version, what="this absence")


# ---------------------------------------------------------------------------------------------
# Standing reservations ("30 % on-call for Line 2"), per person or per team
#
# Admins and owners set them (they shape everyone's capacity). A person's reservations never add
# up to more than 100 % on any day, counting those of their teams.

RESERVATION_FIELDS = ("label", "percent", "start", "end", "person", "team")
MAX_LABEL = 120


def _clean_reservation(
    organisation: Organisation, values: dict[str, Any], current: Reservation | None
) -> dict[str, Any]:
    unknown = set(values) - set(RESERVATION_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"Unknown field {name}.", field=name)
    merged: dict[str, Any] = {name: getattr(current, name, None) for name in RESERVATION_FIELDS}
    merged |= values
    label = merged["label"]
    if not isinstance(label, str) or not label.strip():
        raise Invalid(
            "Say what the time is reserved for, e.g. “On-call for Line 2”.", field="label"
        )
    if len(label.strip()) > MAX_LABEL:
        raise Invalid(f"Keep the label under {MAX_LABEL} characters.", field="label")
    merged["label"] = label.strip()
    percent = merged["percent"]
    if isinstance(percent, bool) or not isinstance(percent, int):
        raise Invalid("Give a whole percentage from 1 to 100.", field="percent")
    if not 1 <= percent <= 100:
        raise Invalid(
            f"A reservation takes 1 to 100 % of the time; {percent} % is not possible.",
            field="percent",
        )
    if merged["start"] is None:
        raise Invalid("Give the start date.", field="start")
    merged["start"] = _date(merged["start"], "start")
    if merged["end"] is not None:
        merged["end"] = _date(merged["end"], "end")
        if merged["end"] < merged["start"]:
            raise Invalid("The reservation ends before it starts.", field="end")
    person, team = merged["person"], merged["team"]
    if (person is None) == (team is None):
        raise Invalid("Reserve time of one person or of one team.", field="person")
    if (
        person is not None
        and not Membership.objects.filter(organisation=organisation, user=person).exists()
    ):
        raise Invalid("That person is not in this organisation.", field="person")
    if team is not None and team.organisation_id != organisation.pk:
        raise Invalid("That team is not in this organisation.", field="team")
    return merged


def _refuse_over_reserved(
    organisation: Organisation, merged: dict[str, Any], exclude: int | None
) -> None:
    """Refuse when any affected person would be reserved over 100 % on some day."""
    person, team = merged["person"], merged["team"]
    people = [person.pk] if person is not None else list(team.members.values_list("pk", flat=True))
    if not people:
        return
    start, end = merged["start"], merged["end"]
    others = Reservation.objects.filter(organisation=organisation).filter(
        Q(person_id__in=people) | Q(team__members__in=people)
    )
    if end is not None:
        others = others.filter(start__lte=end)
    others = others.filter(Q(end__isnull=True) | Q(end__gte=start)).distinct()
    if exclude is not None:
        others = others.exclude(pk=exclude)
    rows = list(others.select_related("person", "team").prefetch_related("team__members"))
    if not rows:
        return
    names = dict(User.objects.filter(pk__in=people).values_list("pk", "full_name"))
    # The sum can only change where a reservation starts: check each such day.
    checkpoints = {start} | {r.start for r in rows if r.start >= start}
    for pk in people:
        mine = [
            r
            for r in rows
            if r.person_id == pk
            or (r.team is not None and pk in {m.pk for m in r.team.members.all()})
        ]
        for day in checkpoints:
            if end is not None and day > end:
                continue
            on = [r for r in mine if r.start <= day and (r.end is None or r.end >= day)]
            total = merged["percent"] + sum(r.percent for r in on)
            if total > 100:
                name = names.get(pk) or "This person"
                taken = ", ".join(f"{r.label} {r.percent} %" for r in on)
                raise Invalid(
                    f"{name} would be reserved {total} % on {dates.format_day(day)} "
                    f"(already: {taken}). Reservations add up to 100 % at most.",
                    field="percent",
                )


def _require_manage(actor: User, organisation: Organisation) -> None:
    require(actor, Action.VIEW, organisation)
    if not can(actor, Action.MANAGE, organisation):
        raise Forbidden("Only an admin or owner can reserve people's time.")


def _reservation_summary(r: Reservation) -> str:
    who = r.person.display_name if r.person else f"team {r.team.name}" if r.team else "?"
    return f"Reserved {r.percent} % of {who} for {r.label} {r.span_label}"


@transaction.atomic
def create_reservation(*, actor: User, organisation: Organisation, **values: Any) -> Reservation:
    """Reserve a share of a person's or a team's time (label, percent, start, end, person|team).

    Raises:
        Forbidden: the actor is not an admin or owner.
        Invalid: a bad field (named), or a person would be reserved over 100 % (``percent``).
    """
    _require_manage(actor, organisation)
    merged = _clean_reservation(organisation, dict(values), None)
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    _refuse_over_reserved(organisation, merged, None)
    reservation = Reservation.objects.create(organisation=organisation, **merged)
    history.record(
        actor=actor,
        obj=reservation,
        action="created",
        changes={
            name: [None, history.snapshot(reservation, [name])[name]]
            for name in ("label", "percent", "start", "end")
        },
        summary=_reservation_summary(reservation),
    )
    return reservation


@transaction.atomic
def update_reservation(
    *, actor: User, reservation: Reservation, expected_version: int | None, **values: Any
) -> Reservation:
    """Change a reservation; the same rules as :func:`create_reservation`, and a version check."""
    organisation = reservation.organisation
    _require_manage(actor, organisation)
    merged = _clean_reservation(organisation, dict(values), reservation)
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    _refuse_over_reserved(organisation, merged, reservation.pk)
    fields = list(RESERVATION_FIELDS)
    before = history.snapshot(reservation, ["label", "percent", "start", "end"])
    for name in fields:
        setattr(reservation, name, merged[name])
    save_versioned(reservation, expected_version=expected_version, fields=fields)
    changes = history.diff(
        before, history.snapshot(reservation, ["label", "percent", "start", "end"])
    )
    if changes:
        history.record(
            actor=actor,
            obj=reservation,
            action="updated",
            changes=changes,
            summary=_reservation_summary(reservation),
        )
    return reservation


@transaction.atomic
def delete_reservation(
    *, actor: User, reservation: Reservation, expected_version: int | None = None
) -> None:
    _require_manage(actor, reservation.organisation)
    history.record(
        actor=actor,
        obj=reservation,
        action="deleted",
        summary=f"Removed: {_reservation_summary(reservation)}",
    )
    delete_versioned(reservation, expected_version=expected_version, what="this reservation")


@transaction.atomic
def set_queue_workload(
    *, actor: User, queue: Any, handling_minutes: Any, expected_version: int | None = None
) -> QueueWorkload:
    """Set the mean handling time of one request of ``queue`` (minutes, 1 to 1440).
    ``expected_version``: as read; 0 when the queue was on the default (a time set since is a
    Conflict, not overwritten)."""
    _require_manage(actor, queue.organisation)
    if isinstance(handling_minutes, bool) or not isinstance(handling_minutes, int):
        raise Invalid("Give whole minutes.", field="handling_minutes")
    if not 1 <= handling_minutes <= 24 * 60:
        raise Invalid("A request takes 1 to 1,440 minutes to handle.", field="handling_minutes")
    row, created = QueueWorkload.objects.select_for_update().get_or_create(
        queue=queue,
        defaults={"organisation_id": queue.organisation_id, "handling_minutes": handling_minutes},
    )
    before = None if created else row.handling_minutes
    if not created and expected_version == 0:
        raise Conflict(
            f"Someone set the handling time of {queue.name} since you read it "
            f"({row.handling_minutes} min): look again before saving yours."
        )
    if not created:
        row.handling_minutes = handling_minutes
        save_versioned(row, expected_version=expected_version, fields=["handling_minutes"])
    if before != handling_minutes:
        history.record(
            actor=actor,
            obj=row,
            action="created" if created else "updated",
            changes={"handling_minutes": [before, handling_minutes]},
            summary=f"{queue.name}: a request takes {handling_minutes} min to handle",
        )
    return row


# ---------------------------------------------------------------------------------------------
# Task assignments: several people per task, each at some units (percent of their day)


def max_units_of(organisation: Organisation, person_ids: list[int]) -> dict[int, int]:
    """Each person's maximum units today: the ``max_units`` of the pattern in effect (before a
    person's first pattern, the first holds; 100 without any). One query."""
    today = timezone.localdate()
    out = dict.fromkeys(person_ids, 100)
    seen: set[int] = set()
    rows = WorkingPattern.objects.filter(
        organisation=organisation, person_id__in=person_ids
    ).order_by("person_id", "effective_from")
    for row in rows:
        if row.person_id not in seen or row.effective_from <= today:
            out[row.person_id] = row.max_units
        seen.add(row.person_id)
    return out


@transaction.atomic
def set_assignments(
    *,
    actor: User,
    task: Task,
    rows: Sequence[tuple[User, Any, Any]],
    expected_version: int | None,
) -> Task:
    """Put ``rows`` (person, units %, work minutes or None) on ``task``, replacing its people.

    The first person becomes the task's assignee (the one other pages show). Nothing is written
    when any row is refused.

    Raises:
        Invalid: units of 0 or less, or above the person's maximum (``units``); work minutes that
            are not a whole number of 0 or more (``work_minutes``); a person twice or not in the
            organisation (``assignments``).
        Conflict: ``expected_version`` is stale.
    """
    require(actor, Action.EDIT, task)
    people = [person.pk for person, _, _ in rows]
    maximum = max_units_of(task.project.organisation, people)
    clean = []
    for person, units, work in rows:
        if isinstance(units, bool) or not isinstance(units, int):
            raise Invalid(
                f"Give {person.display_name}'s units as a whole percentage.", field="units"
            )
        if units <= 0:
            raise Invalid(
                f"{person.display_name}'s units must be above 0 % (100 % is full time).",
                field="units",
            )
        if units > maximum[person.pk]:
            raise Invalid(
                f"{person.display_name} can be assigned at most {maximum[person.pk]} % "
                f"(their maximum units); {units} % is more.",
                field="units",
            )
        if work is not None and (
            isinstance(work, bool) or not isinstance(work, int) or not 0 <= work <= 10**7
        ):
            raise Invalid("Give the work in whole minutes, 0 or more.", field="work_minutes")
        clean.append(project_services.AssignmentRow(person, units, work))
    return project_services.set_task_assignments(
        actor=actor, task=task, rows=clean, expected_version=expected_version
    )
