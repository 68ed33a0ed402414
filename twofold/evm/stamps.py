"""Keeping the cached cost figures' keys true: the stamps they include, moved with each change.

The portfolio cards' earned-value figures are cached under a hash of what they depend on
(``portfolio._signatures``). Two inputs are not in the rows that hash reads:

* what an hour costs: a rate added or removed, a person's job title that picks a role's rate.
  Each moves ``Organisation.rates_stamp``;
* a task's assignee, work or assignments when its dates stay where they are (a reschedule moves
  ``Project.plan_stamp`` itself, in the statement that writes the schedule summary).

* what the project has cost or may cost besides its plan: a budget line added or removed, the
  planned labour rate, an approved change's budget, a baseline saved (entries on the project),
  and a decision on time or an expense booked on it (entries on the timesheet or the expense).
  Each moves ``Project.cost_stamp``: the portfolio no longer reads the time entries, expenses
  and budget lines of every project to find out whether the cached figures still hold.

All three are moved here, in the writing transaction (``history.on_record_changes``): every such
change goes through a service that records it, so a figure cached before the change is never
read after it, in any process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import F

from twofold.accounts.models import Membership, Organisation
from twofold.costs.models import EntryStatus, Expense, Rate, TimeEntry, Timesheet
from twofold.projects.models import Project, Task

# Entries on a project that change its budget, its baseline or what it has cost.
PROJECT_COST_ACTIONS = frozenset(
    {
        "budget line added",
        "budget line removed",
        "labour rate set",
        "budget changed",
        "baseline saved",
    }
)
# Decisions on time and expenses (approved hours and money are the actual cost).
DECISIONS = frozenset({EntryStatus.APPROVED.value, EntryStatus.RETURNED.value})
# A task change that can move its planned cost without moving its dates.
TASK_COST_FIELDS = frozenset({"assignee", "effort_minutes", "assignments", "parent", "work"})


def stamp(obj: models.Model, action: str, organisation_id: int, changes: Mapping[str, Any]) -> None:
    """The history listener: move the stamp the change can affect (one UPDATE), or none."""
    if isinstance(obj, Rate):
        Organisation.objects.filter(pk=obj.organisation_id).update(rates_stamp=F("rates_stamp") + 1)
    elif isinstance(obj, Membership) and "job_title" in changes:
        # A person's title is theirs in every organisation they are in.
        Organisation.objects.filter(memberships__user_id=obj.user_id).update(
            rates_stamp=F("rates_stamp") + 1
        )
    elif isinstance(obj, Task) and (action != "updated" or TASK_COST_FIELDS & set(changes)):
        Project.all_objects.filter(pk=obj.project_id).update(plan_stamp=F("plan_stamp") + 1)
    elif isinstance(obj, Project) and action in PROJECT_COST_ACTIONS:
        if action == "baseline saved":
            from twofold.evm.budget import freeze_costs

            freeze_costs(obj)  # the budget as agreed now: later rates leave it alone
        Project.all_objects.filter(pk=obj.pk).update(cost_stamp=F("cost_stamp") + 1)
    elif isinstance(obj, Timesheet) and action in DECISIONS:
        Project.all_objects.filter(
            pk__in=TimeEntry.objects.filter(timesheet_id=obj.pk, project_id__isnull=False)
            .order_by()
            .values("project_id")
        ).update(cost_stamp=F("cost_stamp") + 1)
    elif isinstance(obj, Expense) and action in DECISIONS and obj.project_id:
        Project.all_objects.filter(pk=obj.project_id).update(cost_stamp=F("cost_stamp") + 1)
