"""Levelling defects a review found (2026-12-05), each reproduced first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.capacity.conftest import MONDAY, add_task
from twofold.capacity import services

pytestmark = pytest.mark.django_db


def test_a_task_of_someone_away_longer_than_the_window_is_planned_after_the_absence(
    org: Any, owner: Any, priya: Any, project: Any
) -> None:
    """Beyond the window (the plan plus 60 working days) everyone counted as free: a two-day
    task of someone away for 120 days was planned inside the absence, and applying the preview
    answered 422 ("... is not a working day in the plan's range")."""
    task = add_task(owner, project, "Commission", 2, assignee=priya)
    back = MONDAY + dt.timedelta(days=120)
    services.create_absence(
        actor=owner, organisation=org, person=priya, kind="other", start=MONDAY, end=back
    )
    preview = services.preview_levelling(actor=owner, project=project)
    [move] = preview.moves
    assert move.start_after > back
    services.apply_levelling(
        actor=owner,
        project=project,
        version=preview.version,
        moves={m.task.pk: m.start_after for m in preview.moves},
    )
    task.refresh_from_db()
    assert task.start is not None and task.start.date() == move.start_after


def test_adding_a_person_to_an_assignee_only_task_keeps_its_work(
    org: Any, owner: Any, priya: Any, member: Any, project: Any
) -> None:
    """A task with only an assignee counted its person's work as its duration, not its effort:
    adding a second person to an effort-driven task of 20 h over 5 days made it 40 h."""
    from twofold.projects import resourcing

    bob = member(org, full_name="Bob")
    task = add_task(owner, project, "T", 5, assignee=priya, effort_minutes=20 * 60)
    task.effort_driven = True
    task.save(update_fields=["effort_driven"])
    [(person, share)] = resourcing.people_of(task)
    # 20 h over 5 days of 8 h: Priya works half time on it (Project shows 50 %).
    assert (person.pk, share.units, share.work) == (priya.pk, 50, 1200)
    resourcing.add_person(
        actor=owner, task=task, person=bob, units=100, expected_version=task.version
    )
    task.refresh_from_db()
    # Effort-driven: the 20 h are shared 50 : 100, so 20 h / 150 % = 13 h 20 min.
    assert (task.effort_minutes, task.duration_minutes) == (1200, 800)
    assert [(s.person, s.units, s.work) for s in resourcing.shares_of(task)] == [
        (priya.pk, 50, 400),
        (bob.pk, 100, 800),
    ]


def test_fixed_duration_rules_do_not_push_units_past_a_persons_maximum(
    org: Any, owner: Any, priya: Any, member: Any, project: Any
) -> None:
    """A fixed-duration task of 5 days at 100 % given 80 h saved its person at 200 %; removing
    one of two people on an effort-driven fixed-duration task did the same to the other."""
    from twofold.core.errors import Invalid
    from twofold.projects import resourcing
    from twofold.projects.models import Assignment

    task = add_task(owner, project, "T", 5)
    resourcing.add_person(
        actor=owner, task=task, person=priya, units=100, expected_version=task.version
    )
    task.refresh_from_db()
    with pytest.raises(Invalid) as caught:
        resourcing.set_task_resourcing(
            actor=owner,
            task=task,
            task_type="fixed_duration",
            effort_driven=False,
            work_minutes=80 * 60,
            expected_version=task.version,
        )
    assert caught.value.field == "units" and "200 %" in caught.value.message
    assert list(Assignment.objects.filter(task=task).values_list("units", flat=True)) == [100]
    bob = member(org, full_name="Bob")
    task.refresh_from_db()
    resourcing.add_person(
        actor=owner, task=task, person=bob, units=100, expected_version=task.version
    )
    task.refresh_from_db()
    resourcing.set_task_resourcing(
        actor=owner,
        task=task,
        task_type="fixed_duration",
        effort_driven=True,
        work_minutes=None,
        expected_version=task.version,
    )
    task.refresh_from_db()
    with pytest.raises(Invalid):
        resourcing.remove_person(
            actor=owner, task=task, person_id=priya.pk, expected_version=task.version
        )
    assert sorted(Assignment.objects.filter(task=task).values_list("units", flat=True)) == [
        100,
        100,
    ]


def test_an_urgent_task_is_not_the_one_delayed(
    org: Any, owner: Any, priya: Any, member: Any, project: Any
) -> None:
    """Forward-backward improvement and CP-SAT shortened the plan by delaying the urgent task
    behind a normal one (docs/capacity.md: urgent is levelled first)."""
    from twofold.projects import services as ps
    from twofold.projects.models import Priority

    bob = member(org, full_name="Bob")
    a = add_task(owner, project, "A", 2, assignee=priya)
    c = add_task(owner, project, "C", 2, assignee=bob)
    ps.add_link(actor=owner, project=project, pred=a, succ=c)
    add_task(owner, project, "U", 2, assignee=priya, priority=Priority.URGENT)
    preview = services.preview_levelling(actor=owner, project=project)
    moved = {m.task.name for m in preview.moves}
    assert "U" not in moved and "A" in moved  # A waits for U; C follows A


def test_an_older_delay_does_not_push_a_task_the_preview_leaves_in_place(
    org: Any, owner: Any, priya: Any, member: Any, project: Any
) -> None:
    """C carried a 3-day levelling delay; the preview moved only its predecessor A and showed
    C where it was; applied, C's old delay came on top of A's new finish and C landed on a clash
    with D."""
    from twofold.projects import services as ps
    from twofold.projects.models import Constraint, Priority, Task

    def day(task: Any) -> dt.date:
        return Task.objects.get(pk=task.pk).start.date()

    bob = member(org, full_name="Bob")
    a = add_task(owner, project, "A", 2, assignee=priya)
    c = add_task(owner, project, "C", 2, assignee=bob)
    ps.add_link(actor=owner, project=project, pred=a, succ=c)
    ps.set_levelling_delays(actor=owner, project=project, delays={c.pk: 3 * 480}, summary="x")
    assert day(c) == MONDAY + dt.timedelta(days=7)
    add_task(
        owner,
        project,
        "D",
        2,
        assignee=bob,
        priority=Priority.URGENT,
        constraint_type=Constraint.SNET,
        constraint_date=MONDAY + dt.timedelta(days=9),
    )
    add_task(
        owner,
        project,
        "U",
        2,
        assignee=priya,
        priority=Priority.URGENT,
        constraint_type=Constraint.MSO,
        constraint_date=MONDAY,
    )
    preview = services.preview_levelling(actor=owner, project=project)
    shown = {m.task.pk: m.start_after for m in preview.all_rows}
    services.apply_levelling(
        actor=owner,
        project=project,
        version=preview.version,
        moves={m.task.pk: m.start_after for m in preview.moves},
    )
    assert day(c) == shown[c.pk]
    assert services.preview_levelling(actor=owner, project=project).moves == []


def test_a_task_after_a_started_and_an_unstarted_predecessor_lands_where_previewed(
    org: Any, owner: Any, priya: Any, member: Any, project: Any
) -> None:
    """X follows A (started, outside the problem) and B: its delay was measured from B alone
    and the scheduler added it after A too, so X landed two days after the preview's day."""
    from twofold.projects import services as ps
    from twofold.projects.models import Constraint, Priority, Task

    def day(task: Any) -> dt.date:
        return Task.objects.get(pk=task.pk).start.date()

    carl, dan = member(org, full_name="Carl"), member(org, full_name="Dan")
    a = add_task(owner, project, "A started", 3, assignee=carl)
    ps.update_task(actor=owner, task=a, expected_version=a.version, actual_start=MONDAY)
    b = add_task(owner, project, "B", 1, assignee=dan)
    x = add_task(owner, project, "X", 2, assignee=priya)
    ps.add_link(actor=owner, project=project, pred=a, succ=x)
    ps.add_link(actor=owner, project=project, pred=b, succ=x)
    add_task(
        owner,
        project,
        "Z",
        3,
        assignee=priya,
        priority=Priority.URGENT,
        constraint_type=Constraint.SNET,
        constraint_date=MONDAY + dt.timedelta(days=3),
    )
    assert day(x) == MONDAY + dt.timedelta(days=3)
    preview = services.preview_levelling(actor=owner, project=project)
    moves = {m.task.pk: m.start_after for m in preview.moves}
    assert moves == {x.pk: MONDAY + dt.timedelta(days=8)}
    services.apply_levelling(actor=owner, project=project, version=preview.version, moves=moves)
    assert day(x) == MONDAY + dt.timedelta(days=8)


def test_a_link_into_a_summary_holds_its_subtasks_in_levelling(
    org: Any, owner: Any, priya: Any, member: Any, project: Any
) -> None:
    """P links to summary S over X: levelling dropped the link, delayed P and left X beside
    it; applied, the scheduler pushed X after P, onto the days of Bob's urgent Y."""
    from twofold.projects import services as ps
    from twofold.projects.models import Constraint, Priority, Task

    def day(task: Any) -> dt.date:
        return Task.objects.get(pk=task.pk).start.date()

    bob = member(org, full_name="Bob")
    p = add_task(owner, project, "P", 2, assignee=priya)
    add_task(
        owner,
        project,
        "Q",
        2,
        assignee=priya,
        priority=Priority.URGENT,
        constraint_type=Constraint.MSO,
        constraint_date=MONDAY,
    )
    s = add_task(owner, project, "S", 1)
    x = add_task(owner, project, "X", 2, assignee=bob, parent=s)
    ps.add_link(actor=owner, project=project, pred=p, succ=s)
    add_task(
        owner,
        project,
        "Y",
        2,
        assignee=bob,
        priority=Priority.URGENT,
        constraint_type=Constraint.MSO,
        constraint_date=MONDAY + dt.timedelta(days=4),
    )
    preview = services.preview_levelling(actor=owner, project=project)
    shown = {m.task.name: m.start_after for m in preview.all_rows}
    services.apply_levelling(
        actor=owner,
        project=project,
        version=preview.version,
        moves={m.task.pk: m.start_after for m in preview.moves},
    )
    assert (day(p), day(x)) == (shown["P"], shown["X"])
    assert shown["X"] >= shown["P"] + dt.timedelta(days=2)  # after P, as the link says
