"""Two people approving the same submitted week at once: exactly one succeeds, the other gets
a Conflict (the version compare-and-set on the timesheet; on PostgreSQL the second UPDATE waits
for the first's row lock and then finds the version moved on)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection

from twofold.core.errors import Conflict
from twofold.costs import services
from twofold.costs.models import EntryStatus, TimeEntry, Timesheet
from twofold.costs.services import Cell

from .conftest import MONDAY


@pytest.mark.django_db(transaction=True)
def test_approving_the_same_week_twice_at_once_exactly_one_succeeds(
    org: Any, worker: Any, pm: Any, owner: Any, tasks: list[Any]
) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("SQLite's in-memory test database cannot be shared by threads")
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[Cell(f"task:{tasks[0].pk}", MONDAY + dt.timedelta(days=i), "8") for i in range(5)],
        expected_version=None,
    )
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    version = Timesheet.objects.get(pk=sheet.pk).version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user: Any) -> None:
        try:
            mine = Timesheet.objects.select_related("organisation").get(pk=sheet.pk)
            barrier.wait()
            n = services.decide_timesheet(
                actor=user, timesheet=mine, approve=True, expected_version=version
            )
            outcomes.append(f"approved {n}")
        except Conflict:
            outcomes.append("conflict")
        except BaseException as exc:  # pragma: no cover - reported below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (pm, owner)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved 5", "conflict"]
    assert TimeEntry.objects.filter(status=EntryStatus.APPROVED).count() == 5
    assert Timesheet.objects.get(pk=sheet.pk).version == version + 1
