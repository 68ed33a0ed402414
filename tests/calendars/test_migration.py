"""The data migration: business calendars become calendars (same ids, holidays kept), queues
keep pointing at them, and every organisation gets a default calendar."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("accounts", "0001_initial"),
    ("operations", "0003_archive_and_plain_names"),
    ("projects", "0002_planned_curve"),
    ("calendars", None),
]
MOVE = ("operations", "0004_calendars_move_to_working_time")


@pytest.fixture
def fresh_database(django_db_blocker: Any) -> Iterator[MigrationExecutor]:
    """A new, empty in-memory SQLite database standing in for ``default`` during the test.

    The migration is applied forward onto it from nothing, as on an installation that last
    migrated before it, instead of unapplying and reapplying every later migration of the test
    database (~45 s). The test database itself is not touched.
    """
    original = connections["default"]
    settings = {**original.settings_dict, "NAME": ":memory:"}
    fresh = type(original)(settings, "default")
    connections["default"] = fresh
    try:
        with django_db_blocker.unblock():
            yield MigrationExecutor(fresh)
    finally:
        # The wrapper's own close() keeps an in-memory database open (Django's test databases
        # live as long as the process); the base class's closes it.
        BaseDatabaseWrapper.close(fresh)
        connections["default"] = original


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs on SQLite only (a fresh in-memory database): the data migration's logic is "
    "the ORM's, the same on both databases; its one PostgreSQL-only step (moving the id "
    "sequence past the copied ids) is not exercised by this test",
)
def test_business_calendars_move_with_their_holidays_and_queues(
    fresh_database: MigrationExecutor,
) -> None:
    executor = fresh_database
    executor.migrate(BEFORE)
    old = executor.loader.project_state([n for n in BEFORE if n[1]]).apps
    org = old.get_model("accounts", "Organisation").objects.create(name="A", slug="a")
    bare = old.get_model("accounts", "Organisation").objects.create(name="B", slug="b")
    office = old.get_model("operations", "BusinessCalendar").objects.create(
        organisation=org,
        name="Standard",
        hours={"0": [["08:00", "17:00"]]},
        holidays=["2025-12-25", "2025-12-26"],
        version=3,
    )
    old.get_model("operations", "Queue").objects.create(
        organisation=org, name="Desk", calendar=office
    )

    executor.loader.build_graph()  # the applied migrations, as a new `migrate` would read them
    executor.migrate([MOVE])
    new = executor.loader.project_state(MOVE, at_end=True).apps
    Calendar = new.get_model("calendars", "Calendar")
    Queue = new.get_model("operations", "Queue")

    moved = Calendar.objects.get(pk=office.pk)
    assert (moved.name, moved.version, moved.is_default) == ("Standard", 3, False)
    assert moved.hours["0"] == [["08:00", "17:00"]] and moved.hours["6"] == []
    holidays = new.get_model("calendars", "Holiday").objects.filter(calendar_id=moved.pk)
    assert [h.start for h in holidays.order_by("start")] == [
        dt.date(2025, 12, 25),
        dt.date(2025, 12, 26),
    ]
    assert Queue.objects.get(name="Desk").calendar_id == office.pk
    defaults = Calendar.objects.filter(is_default=True).order_by("organisation_id")
    assert [(c.organisation_id, c.name) for c in defaults] == [
        (org.pk, "Standard working week"),
        (bare.pk, "Standard"),
    ]
    created = Calendar.objects.create(organisation_id=org.pk, name="New", hours={})
    assert created.pk > max(c.pk for c in defaults)
