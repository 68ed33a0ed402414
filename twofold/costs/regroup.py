"""Timesheets follow the organisation's first weekday.

A timesheet is one person's week from the organisation's first weekday. When that day changes,
every week's hours are regrouped into the sheets of the new weeks: a Monday-to-Sunday sheet's
Sunday goes to the week that now starts on that Sunday. Before, the grid of a new week showed
only its own (empty) sheet, so hours logged before the change vanished from every grid while
they still counted toward the day's 24 hours and the costs.

Each entry keeps its day, hours, status and decision; only the sheet holding it changes. A new
sheet holding submitted hours is marked submitted at the latest submission of the sheets they
came from; sheets left empty are removed. ``accounts.services.update_organisation`` calls
:func:`on_organisation_changed` in its transaction (registered in ``CostsConfig.ready``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef

from twofold.accounts.models import Organisation
from twofold.core import history
from twofold.costs.models import EntryStatus, TimeEntry, Timesheet
from twofold.costs.services import week_start_of


def regroup_weeks(organisation: Organisation, actor: Any = None) -> int:
    """Move every time entry of ``organisation`` into the sheet of its day's week (by the
    organisation's current first weekday); returns how many entries moved.

    Queries: the misplaced sheets, the sheets of their new weeks, one update per new week
    holding moved hours, and the removal of the emptied sheets.
    """
    old_sheets = [
        sheet
        for sheet in Timesheet.objects.filter(organisation=organisation).only(
            "id", "person_id", "week_start", "submitted_at"
        )
        if week_start_of(organisation, sheet.week_start) != sheet.week_start
    ]
    if not old_sheets:
        return 0
    # Each old sheet's seven days fall in at most two new weeks.
    wanted: dict[tuple[int, dt.date], list[Timesheet]] = defaultdict(list)
    for sheet in old_sheets:
        first = week_start_of(organisation, sheet.week_start)
        for start in (first, first + dt.timedelta(days=7)):
            wanted[(sheet.person_id, start)].append(sheet)
    existing = {
        (sheet.person_id, sheet.week_start): sheet
        for sheet in Timesheet.objects.filter(
            organisation=organisation,
            person_id__in={person for person, _ in wanted},
            week_start__in={start for _, start in wanted},
        )
    }
    moved = 0
    for (person, start), sources in sorted(wanted.items(), key=lambda item: item[0]):
        entries = TimeEntry.objects.filter(
            timesheet_id__in=[s.pk for s in sources],
            day__gte=start,
            day__lt=start + dt.timedelta(days=7),
        )
        submitted = [s.submitted_at for s in sources if s.submitted_at is not None]
        target = existing.get((person, start))
        if target is None:
            if not entries.exists():
                continue
            target = Timesheet.objects.create(
                organisation=organisation, person_id=person, week_start=start
            )
        count = entries.update(timesheet=target)
        moved += count
        if (
            count
            and submitted
            and TimeEntry.objects.filter(timesheet=target, status=EntryStatus.SUBMITTED).exists()
        ):
            latest = max([*submitted, *([target.submitted_at] if target.submitted_at else [])])
            Timesheet.objects.filter(pk=target.pk).update(submitted_at=latest)
    Timesheet.objects.filter(pk__in=[s.pk for s in old_sheets]).exclude(
        Exists(TimeEntry.objects.filter(timesheet_id=OuterRef("pk")))
    ).delete()
    if moved:
        history.record(
            actor=actor,
            obj=organisation,
            action="timesheets regrouped",
            summary=f"{moved} time entries moved into the weeks of the new first weekday",
        )
    return moved


def on_organisation_changed(
    actor: Any, organisation: Organisation, changes: Mapping[str, Any]
) -> None:
    if "week_start" in changes:
        regroup_weeks(organisation, actor)


def register() -> None:
    from twofold.accounts.services import ORGANISATION_CHANGED

    if on_organisation_changed not in ORGANISATION_CHANGED:
        ORGANISATION_CHANGED.append(on_organisation_changed)
