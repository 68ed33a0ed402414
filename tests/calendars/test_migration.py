"""The data migration: business calendars become calendars (same ids, holidays kept), queues
keep pointing at them, and every organisation gets a default calendar."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("accounts", "0001_initial"),
    ("operations", "0002_rollups_and_retired_steps"),
    ("projects", "0002_planned_curve"),
    ("calendars", None),
]


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs on SQLite only: the data migration uses the ORM alone, so its logic does not "
    "depend on the database, and unapplying and reapplying every migration costs ~40 s here; "
    "PostgreSQL applies every migration in CI's migrate step",
)
@pytest.mark.django_db(transaction=True)
def test_business_calendars_move_with_their_holidays_and_queues() -> None:
    from twofold.core.stamps import EVERY

    for stamp in EVERY:  # as ``migrate`` does first (pre_migrate); they name new tables
        stamp.drop_all_triggers()
    executor = MigrationExecutor(connection)
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

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    for stamp in EVERY:  # as ``migrate`` does last (post_migrate)
        stamp.install_triggers()

    from twofold.calendars.models import Calendar
    from twofold.operations.models import Queue

    moved = Calendar.objects.get(pk=office.pk)
    assert (moved.name, moved.version, moved.is_default) == ("Standard", 3, False)
    assert moved.hours["0"] == [["08:00", "17:00"]] and moved.hours["6"] == []
    assert [h.start for h in moved.holidays.all()] == [dt.date(2025, 12, 25), dt.date(2025, 12, 26)]
    assert Queue.objects.get(name="Desk").calendar_id == office.pk
    defaults = Calendar.objects.filter(is_default=True).order_by("organisation_id")
    assert [(c.organisation_id, c.name) for c in defaults] == [
        (org.pk, "Standard working week"),
        (bare.pk, "Standard"),
    ]
    created = Calendar.objects.create(organisation_id=org.pk, name="New", hours={})
    assert created.pk > max(c.pk for c in defaults)
