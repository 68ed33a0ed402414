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
