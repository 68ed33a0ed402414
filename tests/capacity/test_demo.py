"""The large demo's availability: bulk-inserted, deterministic, no overlapping absences."""

from __future__ import annotations

import itertools
from typing import Any

from twofold.capacity import demo_large
from twofold.capacity.models import Absence, WorkingPattern


def test_large_demo_availability_is_bulk_inserted_without_overlaps(
    org: Any, member: Any, django_assert_max_num_queries: Any
) -> None:
    people = {f"Person {i}": member(org, full_name=f"Person {i}") for i in range(40)}
    with django_assert_max_num_queries(4):
        summary = demo_large.load(org, people)
    patterns, absences = WorkingPattern.objects.count(), Absence.objects.count()
    assert summary == f"{patterns} part-time patterns and {absences} absences"
    assert patterns == 6  # every seventh person: 3, 10, 17, 24, 31, 38
    assert 40 <= absences <= 120
    by_person: dict[int, list[Absence]] = {}
    for a in Absence.objects.order_by("person_id", "start"):
        by_person.setdefault(a.person_id, []).append(a)
        assert a.start <= a.end and (not a.half_day or a.start == a.end)
    for rows in by_person.values():
        assert all(x.end < y.start for x, y in itertools.pairwise(rows))


def test_migration_turns_an_old_weekly_capacity_into_a_pattern(org: Any, member: Any) -> None:
    import importlib
    from decimal import Decimal

    from django.apps import apps

    migration = importlib.import_module(
        "twofold.capacity.migrations.0002_patterns_from_weekly_capacity"
    )
    member(org, full_name="Full Timer")  # 40 h: the standard week, no pattern needed
    part = member(org, full_name="Part Timer", weekly_capacity_hours=Decimal(30))
    migration.forwards(apps, None)
    pattern = WorkingPattern.objects.get()
    assert pattern.person_id == part.pk
    assert pattern.hours == (6.0, 6.0, 6.0, 6.0, 6.0, 0.0, 0.0)


def test_the_demo_keeps_tomasz_s_course_out_of_the_line_3_crunch(demo_org: Any) -> None:
    """The levelling story (Tomasz booked twice on Line 3) must not depend on the day the demo is
    loaded: his safety course starts on the Monday three weeks after Line 3's planned finish,
    so no absence of his falls on one of his Line 3 tasks (on 2026-12-04 a course on fixed days
    did, and levelling moved the plan for it instead)."""
    import datetime as dt

    from twofold.projects.models import Task

    line3 = Task.objects.filter(project__organisation=demo_org, project__code="OPX-03")
    done = max(t.finish for t in line3 if t.finish).date()
    course = Absence.objects.get(person__full_name="Tomasz Nowak", kind="training")
    assert course.start.weekday() == 0 and course.end == course.start + dt.timedelta(days=2)
    assert done + dt.timedelta(weeks=2) < course.start <= done + dt.timedelta(weeks=3)
    for task in line3.filter(assignee__full_name="Tomasz Nowak"):
        assert task.start is not None and task.finish is not None
        days = (task.start.date(), task.finish.date())
        for away in Absence.objects.filter(person__full_name="Tomasz Nowak"):
            assert away.end < days[0] or away.start > days[1], (task.name, away.note)
