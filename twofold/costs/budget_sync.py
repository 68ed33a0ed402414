"""A process has one budget: the operations page's annual budget is its current fiscal year's.

The costs app keeps a budget per fiscal year (``ProcessBudget``); the process page shows and
edits an annual budget (``Process.annual_budget``). Until 2026-12-05 the two were unrelated
numbers: a process could show 120,000 on its page and 90,000 for the same year on its
fiscal-year page. Now setting the current fiscal year's budget writes the annual budget
(``services.set_process_budget``), and an annual budget set on the process page (or when the
process is made) writes the current fiscal year's budget (:func:`on_record_changes`, in the
writing transaction). A fiscal year without a budget of its own is read with the annual budget
(``selectors.process_actuals``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import F

from twofold.accounts.fiscal import current_fiscal_year as current_fiscal_year
from twofold.accounts.models import Organisation


def on_record_changes(
    obj: models.Model, action: str, organisation_id: int, changes: Mapping[str, Any]
) -> None:
    """The history listener: a process's annual budget, set on its page or API, is its current
    fiscal year's budget too (one UPDATE or INSERT; nothing for other changes)."""
    from twofold.costs.models import ProcessBudget
    from twofold.operations.models import Process

    _stamp_costs(obj, action)
    if not isinstance(obj, Process):
        return
    if not (
        (action == "updated" and "annual_budget" in changes)
        or (action == "created" and obj.annual_budget)
    ):
        return
    organisation = Organisation.objects.get(pk=obj.organisation_id)
    year = current_fiscal_year(organisation)
    moved = ProcessBudget.objects.filter(process_id=obj.pk, fiscal_year=year).update(
        amount=obj.annual_budget, version=F("version") + 1
    )
    if not moved:
        ProcessBudget.objects.create(
            organisation_id=obj.organisation_id,
            process_id=obj.pk,
            fiscal_year=year,
            amount=obj.annual_budget,
        )


DECISIONS = frozenset({"approved", "returned"})


def _stamp_costs(obj: models.Model, action: str) -> None:
    """A decision on a week of time or on an expense moves the ``cost_stamp`` of the processes
    it books on (``selectors.process_costs`` keys their cached time cost on it)."""
    from twofold.costs.models import Expense, TimeEntry, Timesheet
    from twofold.operations.models import Process

    if action not in DECISIONS:
        return
    if isinstance(obj, Timesheet):
        Process.all_objects.filter(
            pk__in=TimeEntry.objects.filter(timesheet_id=obj.pk, process_id__isnull=False)
            .order_by()
            .values("process_id")
        ).update(cost_stamp=F("cost_stamp") + 1)
    elif isinstance(obj, Expense) and obj.process_id:
        Process.all_objects.filter(pk=obj.process_id).update(cost_stamp=F("cost_stamp") + 1)
