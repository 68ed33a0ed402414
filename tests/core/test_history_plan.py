"""The synced lists' fingerprint on PostgreSQL reads each row's newest history entry through the
(content type, object, time) index, whatever the history's shape.

With an index on the time alone, PostgreSQL's planner answered "the newest entry of this task"
by walking the whole history backwards from the newest entry and filtering, when the history
was concentrated on a few objects (a new organisation whose few edited tasks have many
entries): 2,000 tasks × every entry, 263 ms for the large demo's task list against 2.4 ms.
Whether the planner takes that path depends on its statistics and the indexes' sizes (a fresh
test database does not reproduce it), so the first test checks the cause (no index that orders
the whole history by time) and the second the plan the fingerprint gets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from twofold.core.api_lists import fingerprint
from twofold.core.models import HistoryEntry
from twofold.projects import services
from twofold.projects.models import Task

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def test_no_index_orders_the_whole_history_by_time_alone() -> None:
    """The planner cannot take the trap: every index on the history that leads with the time is
    scoped (an object's entries, an organisation's feed)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "core_historyentry")
    indexes = [c["columns"] for c in constraints.values() if c["index"]]
    assert [columns for columns in indexes if columns[0] == "at"] == []
    assert ["content_type_id", "object_id", "at"] in indexes
    assert ["organisation_id", "at", "id"] in indexes


@postgres_only
def test_the_fingerprint_reads_history_by_object_when_history_is_concentrated(
    org: Any, owner: Any
) -> None:
    project = services.create_project(actor=owner, organisation=org, name="Rollout", code="RO")
    Task.objects.bulk_create(
        Task(
            organisation=org,
            project=project,
            name=f"Task {i}",
            position=f"{i:05d}",
            board_key=f"a{i:05d}",
        )
        for i in range(2000)
    )
    edited = list(Task.objects.filter(project=project).order_by("pk")[:6])
    kind = ContentType.objects.get_for_model(Task)
    now = timezone.now()
    HistoryEntry.objects.bulk_create(
        HistoryEntry(
            organisation=org,
            actor=owner,
            at=now + dt.timedelta(seconds=i),
            content_type=kind,
            object_id=edited[i % 6].pk,
            object_repr="Commission the second press line and train its operators",
            changes={"duration_minutes": [960, 1440], "finish": ["2027-03-01", "2027-03-02"]},
            action="updated",
        )
        for i in range(800)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_historyentry")
        cursor.execute("ANALYZE projects_task")
    with CaptureQueriesContext(connection) as ctx:
        count, _digest = fingerprint(Task.objects.filter(project=project))
    assert count == 2000
    (query,) = [q["sql"] for q in ctx.captured_queries if "core_historyentry" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    history_nodes = [line for line in plan.splitlines() if "on core_historyentry" in line]
    assert history_nodes, plan
    assert all("content_" in line and "Backward" not in line for line in history_nodes), plan
    assert "Rows Removed by Filter" not in plan, plan
