"""A new first weekday regroups the timesheets: each entry moves into the sheet of its day's new
week, so the new weeks' grids show the hours logged before the change (they showed nothing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from twofold.accounts import services as account_services
from twofold.core.errors import Invalid
from twofold.core.models import HistoryEntry
from twofold.costs import services
from twofold.costs.models import EntryStatus, TimeEntry, Timesheet
from twofold.costs.services import Cell
from twofold.costs.weeks import week_grid

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

SUNDAY_BEFORE = MONDAY - dt.timedelta(days=1)
SUNDAY_AFTER = MONDAY + dt.timedelta(days=6)


def _log(org: Any, worker: Any, line: str, hours: dict[dt.date, str]) -> Timesheet:
    return services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[Cell(line, day, value) for day, value in hours.items()],
        expected_version=None,
    )


def _grid_hours(org: Any, worker: Any, start: dt.date) -> dict[dt.date, Decimal]:
    week = week_grid(org, worker, start, suggest=False)
    return {day: total for day, total in zip(week.days, week.day_totals, strict=True) if total}


def test_a_new_first_weekday_moves_each_entry_into_its_new_week(
    org: Any, owner: Any, worker: Any, tasks: list[Any], client: Any
) -> None:
    line = f"task:{tasks[0].pk}"
    sheet = _log(org, worker, line, {MONDAY: "8", MONDAY + dt.timedelta(days=2): "6"})
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=None)
    _log(org, worker, f"task:{tasks[1].pk}", {SUNDAY_AFTER: "3"})  # a draft on the Sunday
    sheet.refresh_from_db()
    submitted_at = sheet.submitted_at
    assert submitted_at is not None

    account_services.update_organisation(
        actor=owner, organisation=org, expected_version=None, week_start=6
    )
    org.refresh_from_db()

    # Monday to Saturday are in the week from the Sunday before, the Sunday starts the next.
    assert _grid_hours(org, worker, SUNDAY_BEFORE) == {
        MONDAY: Decimal(8),
        MONDAY + dt.timedelta(days=2): Decimal(6),
    }
    assert _grid_hours(org, worker, SUNDAY_AFTER) == {SUNDAY_AFTER: Decimal(3)}
    sheets = {s.week_start: s for s in Timesheet.objects.filter(person=worker)}
    # The emptied Monday sheet was submitted: it stays (its deciders' notification opens it).
    assert sorted(sheets) == [SUNDAY_BEFORE, MONDAY, SUNDAY_AFTER]
    assert not sheets[MONDAY].entries.exists()
    assert sheets[MONDAY].submitted_at == submitted_at
    client.force_login(owner)
    assert client.get(f"/costs/approvals/{sheets[MONDAY].pk}/").status_code == 200
    assert sheets[SUNDAY_BEFORE].submitted_at == submitted_at
    assert sheets[SUNDAY_AFTER].submitted_at is None
    statuses = sorted(TimeEntry.objects.filter(person=worker).values_list("day", "status"))
    assert statuses == [
        (MONDAY, EntryStatus.SUBMITTED),
        (MONDAY + dt.timedelta(days=2), EntryStatus.SUBMITTED),
        (SUNDAY_AFTER, EntryStatus.DRAFT),
    ]
    entry = HistoryEntry.objects.get(action="timesheets regrouped")
    assert (entry.actor, entry.summary) == (
        owner,
        "3 time entries moved into the weeks of the new first weekday",
    )
    # The new week's draft can be submitted and its Sunday still holds at most 24 hours.
    with pytest.raises(Invalid, match=r"would have 25\.00 hours"):
        services.save_cells(
            actor=worker,
            organisation=org,
            person=worker,
            week_start=SUNDAY_AFTER,
            cells=[Cell(line, SUNDAY_AFTER, "22")],
            expected_version=None,
        )
    new_week = Timesheet.objects.get(person=worker, week_start=SUNDAY_AFTER)
    assert services.submit_timesheet(actor=worker, timesheet=new_week, expected_version=None) == 1


def test_changing_back_restores_the_first_grouping(
    org: Any, owner: Any, worker: Any, tasks: list[Any]
) -> None:
    _log(org, worker, f"task:{tasks[0].pk}", {MONDAY: "8", SUNDAY_AFTER: "2"})
    for week_start in (6, 0):
        account_services.update_organisation(
            actor=owner, organisation=org, expected_version=None, week_start=week_start
        )
    org.refresh_from_db()
    assert list(Timesheet.objects.filter(person=worker).values_list("week_start", flat=True)) == [
        MONDAY
    ]
    assert _grid_hours(org, worker, MONDAY) == {MONDAY: Decimal(8), SUNDAY_AFTER: Decimal(2)}
    assert HistoryEntry.objects.filter(action="timesheets regrouped").count() == 2


def test_another_change_to_the_organisation_moves_nothing(
    org: Any, owner: Any, worker: Any, tasks: list[Any]
) -> None:
    _log(org, worker, f"task:{tasks[0].pk}", {MONDAY: "8"})
    account_services.update_organisation(
        actor=owner, organisation=org, expected_version=None, name="Acme Works"
    )
    assert not HistoryEntry.objects.filter(action="timesheets regrouped").exists()
    assert list(Timesheet.objects.values_list("week_start", flat=True)) == [MONDAY]


def test_a_week_saved_with_the_old_first_weekday_is_refused_after_the_change(
    org: Any, owner: Any, worker: Any, tasks: list[Any]
) -> None:
    """A save that read the organisation before the change (a page opened before it) made a
    sheet on the old weekday after the regrouping: its hours fell out of the new weeks' grids.
    The save reads the first weekday afresh, under a lock on the organisation's row."""
    from twofold.accounts.models import Organisation

    stale = Organisation.objects.get(pk=org.pk)
    account_services.update_organisation(
        actor=owner, organisation=org, expected_version=None, week_start=6
    )
    with pytest.raises(Invalid, match="first day of the week"):
        _log(stale, worker, f"task:{tasks[0].pk}", {MONDAY: "8"})
    assert not Timesheet.objects.exists()
