"""Keeping the cached cost figures' keys true: the stamps they include, moved with each change.

The portfolio cards' earned-value figures are cached under a hash of what they depend on
(``portfolio._signatures``). Two inputs are not in the rows that hash reads:

* what an hour costs: a rate added or removed, a person's job title that picks a role's rate.
  Each moves ``Organisation.rates_stamp``;
* a task's assignee, work or assignments when its dates stay where they are (a reschedule moves
  ``Project.plan_stamp`` itself, in the statement that writes the schedule summary).

Both are moved here, in the writing transaction (``history.on_record_changes``): every such
change goes through a service that records it, so a figure cached before the change is never
read after it, in any process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import F

from twofold.accounts.models import Membership, Organisation
from twofold.costs.models import Rate
from twofold.projects.models import Project, Task

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
