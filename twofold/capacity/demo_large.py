"""Availability for the large demo: patterns and absences for its 200 people, bulk-inserted.

Called by ``twofold/demo/large.py`` inside its transaction. Deterministic (seeded); about one in
seven people works part-time, everyone has a holiday or two in the coming weeks, some a sick day
or a training course. Rows are written with ``bulk_create`` (no per-row history: the large demo
is for benchmarks).
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.capacity.models import HOUR_FIELDS, Absence, AbsenceKind, WorkingPattern

BATCH = 1000
PART_TIME = (
    ((8, 8, 8, 8, 0, 0, 0), "Four days a week"),
    ((6, 6, 6, 6, 6, 0, 0), "Five short days"),
    ((8, 8, 4, 0, 0, 0, 0), "Two and a half days"),
)


def load(organisation: Organisation, people: dict[str, User]) -> str:
    rng = random.Random(11)
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    patterns: list[WorkingPattern] = []
    absences: list[Absence] = []
    for n, person in enumerate(sorted(people.values(), key=lambda u: u.pk)):
        if n % 7 == 3:
            hours, note = PART_TIME[n % len(PART_TIME)]
            patterns.append(
                WorkingPattern(
                    organisation=organisation,
                    person=person,
                    effective_from=monday - dt.timedelta(weeks=52),
                    note=note,
                    **dict(zip(HOUR_FIELDS, hours, strict=True)),
                )
            )
        # Non-overlapping absences: each starts after the previous one ends.
        day = monday + dt.timedelta(days=rng.randint(0, 20))
        for _ in range(rng.randint(1, 3)):
            kind = rng.choices(
                [AbsenceKind.HOLIDAY, AbsenceKind.SICKNESS, AbsenceKind.TRAINING],
                weights=[6, 2, 2],
            )[0]
            length = {"holiday": rng.randint(1, 10), "sickness": rng.randint(1, 3)}.get(
                kind, rng.randint(1, 3)
            )
            half = kind == AbsenceKind.SICKNESS and length == 1 and rng.random() < 0.3
            end = day + dt.timedelta(days=length - 1)
            absences.append(
                Absence(
                    organisation=organisation,
                    person=person,
                    kind=kind,
                    start=day,
                    end=end,
                    half_day=half,
                )
            )
            day = end + dt.timedelta(days=rng.randint(7, 40))
    WorkingPattern.objects.bulk_create(patterns, batch_size=BATCH)
    Absence.objects.bulk_create(absences, batch_size=BATCH)
    return f"{len(patterns)} part-time patterns and {len(absences)} absences"
