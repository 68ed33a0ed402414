"""Resource-driven scheduling of one task: people with units and work, task type, effort-driven.

The rules (what follows when duration, work, units or people change) are the engine's
(:mod:`twofold.engine.effort`); this module reads a task's assignments into a
:class:`~twofold.engine.effort.Resourcing`, applies one rule, and writes the result back:
the task's ``duration_minutes`` and ``effort_minutes`` (its work), each assignment's units and
``work_minutes``, the primary ``assignee`` (the first person) — one transaction, the task's
version checked, history with before/after, the project rescheduled when the duration moved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from twofold.accounts.models import Membership, User
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Invalid, NotFound
from twofold.core.fastread import FastRead, Read
from twofold.core.policy import Action, require
from twofold.engine import effort
from twofold.projects.models import MAX_ASSIGNMENT_UNITS, Assignment, Task, TaskType
from twofold.projects.scheduling import Schedule

__all__ = [
    "add_person",
    "assignee_units",
    "follow_edit",
    "people_of",
    "remove_person",
    "resourcing_of",
    "set_person_units",
    "set_task_resourcing",
    "shares_of",
]

MAX_WORK_MINUTES = 10**7


def shares_of(task: Task, rows: list[Assignment] | None = None) -> list[effort.Share]:
    """The task's assignments as engine shares (a row without work counts ``duration × units``;
    a task without rows counts its assignee at 100 % with the task's work, else its duration,
    as the capacity model and levelling do: the People panel said 40 h where capacity counted
    the task's 80 h, and adding a second person doubled the work of an effort-driven task)."""
    if rows is None:
        rows = list(Assignment.objects.filter(task=task).order_by("position", "pk"))
    if not rows and task.assignee_id is not None and not task.is_milestone:
        work = task.effort_minutes or task.duration_minutes
        return [effort.Share(task.assignee_id, assignee_units(work, task.duration_minutes), work)]
    return [
        effort.Share(
            a.person_id,
            max(1, a.units),
            a.work_minutes
            if a.work_minutes is not None
            else (task.duration_minutes * a.units + 50) // 100,
        )
        for a in rows
    ]


def assignee_units(work: int, duration: int) -> int:
    """The units of a task's only person, an assignee without an assignment row: the task's
    work over its duration, whole percent, at least 1 (24 h over a 12-day task is 25 %, as
    Project shows it and as the capacity model spreads it; the panel said 100 %, and giving
    the task more work then shortened it to the work itself)."""
    if duration <= 0:
        return 100
    return max(1, (2 * work * 100 + duration) // (2 * duration))


# Assignment.objects.filter(task=…).select_related("person") in the model's order, compiled
# once (core/fastread.py): the task page reads it on every request.
_ASSIGNMENTS = FastRead(Assignment, "t.task_id = %s", order_by="t.position, t.id", related="person")


def assignments_read(task: Task) -> Read:
    """:func:`people_of`'s read of the rows, to read ahead (``core.fastread.one_round_trip``)."""
    return _ASSIGNMENTS, [task.pk]


def people_of(task: Task) -> list[tuple[User, effort.Share]]:
    """The people on ``task`` with their shares, in order (two queries at most; one when the
    task has rows, or when its only person is an assignee already read with it). Kept on the
    instance: the task page reads them for its panel and for the work its type form shows."""
    known: list[tuple[User, effort.Share]] | None = task.__dict__.get("_people_of")
    if known is None:
        known = task.__dict__["_people_of"] = _read_people(task)
    return known


def _read_people(task: Task) -> list[tuple[User, effort.Share]]:
    rows = _ASSIGNMENTS.all(assignments_read(task)[1])
    shares = shares_of(task, rows)
    if rows:
        return [(a.person, s) for a, s in zip(rows, shares, strict=True)]
    if not shares:
        return []
    assignee = task.assignee if Task.assignee.is_cached(task) else None
    if assignee is not None and [s.person for s in shares] == [assignee.pk]:
        return [(assignee, shares[0])]
    people = {u.pk: u for u in User.objects.filter(pk__in=[s.person for s in shares])}
    return [(people[s.person], s) for s in shares if s.person in people]


def resourcing_of(task: Task, rows: list[Assignment] | None = None) -> effort.Resourcing:
    return effort.Resourcing(
        duration=0 if task.is_milestone else task.duration_minutes,
        task_type=effort.TaskType(task.task_type),
        effort_driven=task.effort_driven,
        shares=tuple(shares_of(task, rows)),
    )


def work_of(task: Task) -> int:
    """The task's work in minutes as the People panel shows it: its people's work, else its
    effort estimate (the task-type form showed the estimate, 0 on a task with an assignee and no
    estimate, and saving it unchanged set the work to 0: a 4-day task became 0 days)."""
    people = people_of(task)
    return sum(s.work for _p, s in people) if people else task.effort_minutes


def _max_units(task: Task, person_id: int) -> int:
    # The person's maximum units live with their working pattern (capacity); imported here so
    # that projects does not depend on capacity at import time.
    from twofold.capacity.services import max_units_of

    return max_units_of(task.project.organisation, [person_id])[person_id]


def _check_units(task: Task, person: User, units: Any) -> int:
    if isinstance(units, bool) or not isinstance(units, int):
        raise Invalid("Give the units as a whole percentage (100 = full time).", field="units")
    if units <= 0:
        raise Invalid(
            f"{person.display_name}'s units must be above 0 % (100 % is full time).",
            field="units",
        )
    maximum = min(_max_units(task, person.pk), MAX_ASSIGNMENT_UNITS)
    if units > maximum:
        raise Invalid(
            f"{person.display_name} can be assigned at most {maximum} % (their maximum "
            f"units); {units} % is more.",
            field="units",
        )
    return units


def _check_raised_units(task: Task, before: effort.Resourcing, after: effort.Resourcing) -> None:
    """Units the rules raised (a fixed-duration task given more work, or losing a person) stay
    within each person's maximum: a fixed-duration task of 5 days at 100 % given 80 h saved its
    person at 200 %."""
    was = {s.person: s.units for s in before.shares}
    raised = [s for s in after.shares if s.units > was.get(s.person, 0)]
    if not raised:
        return
    from twofold.capacity.services import max_units_of

    maxima = max_units_of(task.project.organisation, [s.person for s in raised])
    for share in raised:
        top = min(maxima[share.person], MAX_ASSIGNMENT_UNITS)
        if share.units > top:
            name = User.objects.filter(pk=share.person).values_list("full_name", flat=True).first()
            raise Invalid(
                f"That would put {name or 'someone'} at {share.units} %, above their maximum "
                f"of {top} %: add a person, lengthen the task or give it less work.",
                field="units",
            )


def _check_member(task: Task, person: User) -> None:
    if not Membership.objects.filter(
        organisation_id=task.organisation_id, user_id=person.pk
    ).exists():
        raise Invalid(f"{person.display_name} is not in this organisation.", field="person")


def _check_leaf(task: Task) -> None:
    if task.is_summary:
        raise Invalid(f"{task.name} is a summary: put people on its subtasks.", field="person")
    if task.is_milestone:
        raise Invalid(f"{task.name} is a milestone: it has no work to share.", field="person")


def _describe(r: effort.Resourcing, names: dict[int, str]) -> list[str]:
    return [f"{names.get(s.person, s.person)} {s.units} % {s.work} min" for s in r.shares]


def _write(
    *,
    actor: User,
    task: Task,
    before: effort.Resourcing,
    after: effort.Resourcing,
    expected_version: int | None,
    summary: str,
    estimate: int | None = None,
    field: str = "duration_minutes",
) -> Schedule | None:
    """Save ``after`` onto ``task`` and its assignment rows; reschedule when the duration moved
    (a plan pushed past the calendars' end names ``field``, the one the caller sent)."""
    task.__dict__.pop("_people_of", None)  # the people read before the write are gone
    from twofold.projects import services  # services imports this module's callers

    rows = {a.person_id: a for a in Assignment.objects.filter(task=task)}
    people = {
        u.pk: u.display_name
        for u in User.objects.filter(pk__in={*rows, *(s.person for s in after.shares)})
    }
    old = {
        "duration_minutes": task.duration_minutes,
        "effort_minutes": task.effort_minutes,
        "task_type": task.task_type,
        "effort_driven": task.effort_driven,
        "assignee": task.assignee_id,
    }
    task.duration_minutes = after.duration
    if after.shares:
        task.effort_minutes = after.work
    elif estimate is not None:
        task.effort_minutes = estimate
    task.task_type = str(after.task_type)
    task.effort_driven = after.effort_driven
    task.assignee_id = after.shares[0].person if after.shares else None
    # On a conflict the task takes its stored values again (save_versioned), so that the page
    # answering 409 shows the stored duration, not the refused one.
    save_versioned(task, expected_version=expected_version, fields=[*old])
    keep = {s.person for s in after.shares}
    Assignment.objects.filter(task=task).exclude(person_id__in=keep).delete()
    changed, new = [], []
    for i, s in enumerate(after.shares):
        row = rows.get(s.person)
        if row is None:
            new.append(
                Assignment(
                    organisation_id=task.organisation_id,
                    task=task,
                    person_id=s.person,
                    units=s.units,
                    work_minutes=s.work,
                    position=i,
                )
            )
        elif (row.units, row.work_minutes, row.position) != (s.units, s.work, i):
            row.units, row.work_minutes, row.position = s.units, s.work, i
            changed.append(row)
    if changed:
        Assignment.objects.bulk_update(changed, ["units", "work_minutes", "position"])
    if new:
        Assignment.objects.bulk_create(new)
    changes: dict[str, list[Any]] = {
        key: [value, getattr(task, "assignee_id" if key == "assignee" else key)]
        for key, value in old.items()
        if value != getattr(task, "assignee_id" if key == "assignee" else key)
    }
    if before.shares != after.shares:
        changes["assignments"] = [_describe(before, people), _describe(after, people)]
    if changes:
        history.record(actor=actor, obj=task, action="updated", changes=changes, summary=summary)
    if old["duration_minutes"] != task.duration_minutes:
        return services.reschedule_project(task.project, field=field)
    return None


def _apply(
    *,
    actor: User,
    task: Task,
    expected_version: int | None,
    rule: Callable[[effort.Resourcing], effort.Resourcing],
    summary: str,
    field: str,
    estimate: int | None = None,
) -> Schedule | None:
    before = resourcing_of(task)
    try:
        after = rule(before)
    except KeyError as exc:
        raise NotFound("That person is not on this task.") from exc
    except ValueError as exc:
        raise Invalid(f"{str(exc).capitalize()}.", field=field) from exc
    if after.duration > 2000 * 480:
        raise Invalid(
            "That would make the task longer than 2000 days; give more people or less work.",
            field=field,
        )
    _check_raised_units(task, before, after)
    return _write(
        actor=actor,
        task=task,
        before=before,
        after=after,
        expected_version=expected_version,
        summary=summary,
        estimate=estimate,
        field=field,
    )


@transaction.atomic
def add_person(
    *, actor: User, task: Task, person: User, units: Any, expected_version: int | None
) -> Schedule | None:
    """Put ``person`` on ``task`` at ``units`` %; effort-driven tasks keep their work.

    Raises:
        Invalid: units of 0 or less, or above the person's maximum units (``units``); a person
            not in the organisation, already on the task, or a summary/milestone (``person``).
        Conflict: ``expected_version`` is stale.
    """
    require(actor, Action.EDIT, task)
    _check_leaf(task)
    _check_member(task, person)
    value = _check_units(task, person, units)
    if Assignment.objects.filter(task=task, person=person).exists():
        raise Invalid(f"{person.display_name} is already on this task.", field="person")
    return _apply(
        actor=actor,
        task=task,
        expected_version=expected_version,
        rule=lambda r: effort.add_person(r, person.pk, value),
        summary=f"{task.name}: {person.display_name} added at {value} %",
        field="person",
    )


@transaction.atomic
def remove_person(
    *, actor: User, task: Task, person_id: int, expected_version: int | None
) -> Schedule | None:
    """Take a person off ``task``; effort-driven tasks keep their work (the others lose it)."""
    require(actor, Action.EDIT, task)
    person = User.objects.filter(pk=person_id).first()
    name = person.display_name if person is not None else None
    return _apply(
        actor=actor,
        task=task,
        expected_version=expected_version,
        rule=lambda r: effort.remove_person(r, person_id),
        summary=f"{task.name}: {name or 'a person'} removed",
        field="person",
    )


@transaction.atomic
def set_person_units(
    *, actor: User, task: Task, person: User, units: Any, expected_version: int | None
) -> Schedule | None:
    """Change one person's units on ``task`` (duration or work follows, by the task type)."""
    require(actor, Action.EDIT, task)
    value = _check_units(task, person, units)
    return _apply(
        actor=actor,
        task=task,
        expected_version=expected_version,
        rule=lambda r: effort.set_units(r, person.pk, value),
        summary=f"{task.name}: {person.display_name} at {value} %",
        field="units",
    )


@transaction.atomic
def set_task_resourcing(
    *,
    actor: User,
    task: Task,
    task_type: str,
    effort_driven: bool,
    work_minutes: int | None,
    expected_version: int | None,
) -> Schedule | None:
    """Set the task type and effort-driven flag, and (optionally) the task's work.

    A new work follows the (new) type's rule: duration follows for fixed units and fixed work,
    units follow for fixed duration. Without people the work is the task's effort estimate.
    """
    require(actor, Action.EDIT, task)
    if task_type not in TaskType.values:
        raise Invalid("Choose fixed units, fixed duration or fixed work.", field="task_type")
    if work_minutes is not None and not 0 <= work_minutes <= MAX_WORK_MINUTES:
        raise Invalid("Give the work in hours, 0 or more.", field="work")
    kind = effort.TaskType(task_type)

    def rule(r: effort.Resourcing) -> effort.Resourcing:
        r = effort.set_task_type(r, kind, effort_driven)
        if work_minutes == 0 and r.shares:
            raise ValueError("a task with people needs some work: give hours or remove them")
        if work_minutes is not None and r.shares and work_minutes != r.work:
            r = effort.set_work(r, work_minutes)
        return r

    estimate = (
        work_minutes
        if work_minutes is not None and not Assignment.objects.filter(task=task).exists()
        else None
    )
    return _apply(
        actor=actor,
        task=task,
        expected_version=expected_version,
        rule=rule,
        summary=f"{task.name}: {TaskType(task_type).label.lower()}"
        + (", effort-driven" if effort_driven or kind is effort.TaskType.FIXED_WORK else ""),
        field="work",
        estimate=estimate,
    )


_UNCHANGED = object()


def _named_assignee(values: dict[str, Any]) -> Any:
    """The assignee id an edit names (``assignee``, a person or an id, or ``assignee_id``;
    None clears it), or ``_UNCHANGED`` when it names none."""
    if "assignee" in values:
        person = values["assignee"]
        return getattr(person, "pk", person)
    if "assignee_id" in values:
        return values["assignee_id"]
    return _UNCHANGED


def _assignee_follows(task: Task, values: dict[str, Any]) -> bool:
    """A task whose only person is its assignee (no assignment rows) follows the rules too,
    when it has work of its own (an effort) and keeps that person: its units are the work over
    the duration (:func:`assignee_units`). A first effort only sets those units, and a person
    given in the same edit is the first person (duration and work stay), as in Project."""
    if task.assignee_id is None or task.is_summary or not task.effort_minutes:
        return False
    named = _named_assignee(values)
    return named is _UNCHANGED or named == task.assignee_id


def follow_assignee(task: Task, values: dict[str, Any]) -> dict[str, list[Any]]:
    """A new assignee (``values["assignee"]`` or ``assignee_id``) on a task with people
    (assignment rows): the assignee is the first of them, so the new person takes the first
    person's place, units and work (Microsoft Project's "replace resource"). Until 2026-12-06
    the rows stayed, and the old person kept the work in the People panel and the capacity grid.

    Called by ``services.update_task`` inside its transaction. Returns the people's change for
    the task's history entry.

    Raises:
        Invalid: clearing the assignee of a task with people, or choosing one of its other
            people (``assignee``: change them in People and work).
    """
    new_id = _named_assignee(values)
    if new_id is _UNCHANGED or new_id == task.assignee_id:
        return {}
    rows = list(
        Assignment.objects.filter(task=task).select_related("person").order_by("position", "pk")
    )
    if not rows:
        return {}
    if new_id is None:
        raise Invalid(
            f"{task.name} has people: remove them under People and work.", field="assignee"
        )
    first = rows[0]
    if any(row.person_id == new_id for row in rows[1:]):
        raise Invalid(
            "That person is already on this task: change the people under People and work.",
            field="assignee",
        )
    person = User.objects.filter(pk=new_id).first()
    if person is None:
        raise Invalid("Choose a person of this organisation.", field="assignee")
    try:
        _check_member(task, person)
        _check_units(task, person, first.units)
    except Invalid as exc:
        raise Invalid(exc.message, field="assignee") from exc
    before = resourcing_of(task, rows)
    names = {row.person_id: row.person.display_name for row in rows}
    names[person.pk] = person.display_name
    first.person = person
    first.save(update_fields=["person"])
    task.__dict__.pop("_people_of", None)
    after = resourcing_of(task, rows)
    return {"assignments": [_describe(before, names), _describe(after, names)]}


def edit_rule(
    task: Task, rows: list[Assignment], values: dict[str, Any]
) -> tuple[effort.Resourcing, effort.Resourcing] | None:
    """The task type's rule for an edit (``values``) of ``task``'s duration or effort, with its
    people ``rows``: the resourcing before and after (work, units or the duration follow), or
    None when the edit leaves the people alone (a milestone, no duration, nobody on it).

    Reads and writes nothing: ``follow_edit`` applies it to a saved task, and a change request's
    impact preview (``changes.impact``) to its copy of the plan, so the two cannot differ.

    Raises:
        Invalid: the rule cannot be met, or the task would run longer than 2000 days.
    """
    duration = values.get("duration_minutes", task.duration_minutes)
    work = values.get("effort_minutes")
    if values.get("is_milestone", task.is_milestone) or not duration:
        return None
    if not rows and not _assignee_follows(task, values):
        return None
    before = r = resourcing_of(task, rows)
    field = (
        "effort_minutes" if work is not None and work != task.effort_minutes else "duration_minutes"
    )
    try:
        if duration != r.duration:
            r = effort.set_duration(r, duration)
        if work is not None and work != r.work and work != task.effort_minutes:
            r = effort.set_work(r, work)
    except ValueError as exc:
        raise Invalid(f"{str(exc).capitalize()}.", field=field) from exc
    # The limits the People panel keeps (a fixed-work task shortened to a minute put its people
    # at 384,000 %; 1,000 h of work at 1 % made a task of 12,500 days).
    if r.duration > 2000 * 480:
        raise Invalid(
            "That would make the task longer than 2000 days; give more people or less work.",
            field=field,
        )
    return before, r


def follow_edit(task: Task, values: dict[str, Any]) -> dict[str, list[Any]]:
    """A task edit (``values``, not yet saved) changes the duration or the effort of a task
    with people (assignment rows, or an assignee with an effort): the task type's rule decides
    what follows (work, units or the duration; :func:`edit_rule`).

    Called by ``services.update_task`` inside its transaction; writes the assignment rows and
    puts the resulting ``duration_minutes``/``effort_minutes`` into ``values``. Returns the
    people's change for the task's history entry (their units and work changed unrecorded).
    """
    duration = values.get("duration_minutes", task.duration_minutes)
    if values.get("is_milestone", task.is_milestone) or not duration:
        return {}
    rows = list(
        Assignment.objects.filter(task=task).select_related("person").order_by("position", "pk")
    )
    ruled = edit_rule(task, rows, values)
    if ruled is None:
        return {}
    before, r = ruled
    work = values.get("effort_minutes")
    field = (
        "effort_minutes" if work is not None and work != task.effort_minutes else "duration_minutes"
    )
    try:
        _check_raised_units(task, before, r)
    except Invalid as exc:
        raise Invalid(exc.message, field=field) from exc
    if rows:
        for row, share in zip(rows, r.shares, strict=True):
            row.units, row.work_minutes = share.units, share.work
        Assignment.objects.bulk_update(rows, ["units", "work_minutes"])
    task.__dict__.pop("_people_of", None)
    values["duration_minutes"] = r.duration
    values["effort_minutes"] = r.work
    if rows and before.shares != r.shares:
        names = {row.person_id: row.person.display_name for row in rows}
        return {"assignments": [_describe(before, names), _describe(r, names)]}
    return {}
