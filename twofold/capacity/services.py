"""Writes for capacity: people's availability, and applying a levelling preview.

Capacity writes no task rows itself: each move becomes a "start no earlier than" constraint set
by :func:`twofold.projects.services.update_task`, which checks the task's version, records
history and reschedules the project; all moves share one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, User
from twofold.capacity import levelling
from twofold.capacity.models import HOUR_FIELDS, Absence, AbsenceKind, WorkingPattern
from twofold.core import dates, history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.models import Job
from twofold.core.policy import Action, can, require
from twofold.core.services import enqueue_job
from twofold.engine.availability import MAX_HOURS_PER_DAY
from twofold.engine.levelling import Method
from twofold.projects import services as project_services
from twofold.projects.models import Constraint, Project
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
    """Set each moved task's start-no-earlier-than date, if the project is still as previewed.

    Raises:
        Conflict: the project changed since the preview (``version`` is stale).
        Invalid: a move would break a link or a hard constraint, or names no task of the project.
    """
    require(actor, Action.EDIT, project)
    locked = Project.objects.select_for_update().get(pk=project.pk)
    project.version = locked.version
    built = levelling.build(project)
    if version != built.version:
        raise Conflict(STALE)
    if not moves:
        raise Invalid("Nothing to apply: levelling moves no task.", field="moves")
    problems = levelling.check_moves(built, moves)
    if problems:
        raise Invalid(f"This levelling cannot be applied: {problems[0]}", field="moves")
    tasks = {t.pk: t for t in built.tasks}
    for task_id, day in sorted(moves.items(), key=lambda item: item[1]):
        task = tasks[task_id]
        task.project = project
        if task.constraint_type == Constraint.SNET and task.constraint_date == day:
            continue
        project_services.update_task(
            actor=actor,
            task=task,
            expected_version=task.version,
            constraint_type=Constraint.SNET,
            constraint_date=day,
        )
    project.refresh_from_db()
    history.record(
        actor=actor,
        obj=project,
        action="levelled",
        changes={"moved": [None, len(moves)]},
        summary=f"Levelled {project.code}: {len(moves)} task{'s' if len(moves) != 1 else ''} "
        "moved by start-no-earlier-than constraints",
    )
    return Applied(project, len(moves), project.scheduled_finish)


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
            number = Decimal(str(value)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError) as exc:
            raise Invalid("Give a number of hours.", field=name) from exc
        if not Decimal(0) <= number <= Decimal(MAX_HOURS_PER_DAY):
            raise Invalid("Hours per day are between 0 and 24.", field=name)
        out.append(number)
    return out


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
) -> WorkingPattern:
    """Set ``person``'s hours per weekday (Monday first) from ``effective_from`` on.

    Without ``effective_from`` the pattern in effect today changes (or, for a person who has
    none, a first pattern starts today). A pattern that starts on the same date is updated;
    other dates add a change of pattern on that date (earlier and later ones stay).

    Raises:
        NotFound: the actor or the person is not in the organisation.
        Forbidden: a member changing someone else's pattern.
        Invalid: hours outside 0-24 (naming the weekday's field), a bad date or note.
        Conflict: ``expected_version`` is stale.
    """
    _require_availability_edit(actor, organisation, person)
    values = _weekday_hours(hours)
    note = _note(note)
    if effective_from is None:
        current = _pattern_in_effect(organisation, person, timezone.localdate())
        effective_from = current.effective_from if current else timezone.localdate()
    effective_from = _date(effective_from, "effective_from")
    Membership.objects.select_for_update().filter(organisation=organisation, user=person).first()
    pattern = WorkingPattern.objects.filter(
        organisation=organisation, person=person, effective_from=effective_from
    ).first()
    fields = [*HOUR_FIELDS, "note"]
    if pattern is None:
        pattern = WorkingPattern(
            organisation=organisation, person=person, effective_from=effective_from, note=note
        )
        for name, value in zip(HOUR_FIELDS, values, strict=True):
            setattr(pattern, name, value)
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
def delete_working_pattern(*, actor: User, pattern: WorkingPattern) -> None:
    """Remove one change of pattern; the one before it (or the standard week) holds again."""
    _require_availability_edit(actor, pattern.organisation, pattern.person)
    history.record(
        actor=actor,
        obj=pattern,
        action="deleted",
        summary=f"Removed {pattern.person.display_name}'s working pattern from "
        f"{dates.format_day(pattern.effective_from)}",
    )
    pattern.delete()


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
def delete_absence(*, actor: User, absence: Absence) -> None:
    _require_availability_edit(actor, absence.organisation, absence.person)
    history.record(
        actor=actor,
        obj=absence,
        action="deleted",
        summary=f"{absence.person.display_name}: removed {absence}",
    )
    absence.delete()
