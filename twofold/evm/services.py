"""Writes for project budgets: the planned labour rate and planned expense lines."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from twofold.accounts.models import User
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Invalid
from twofold.costs.services import check_amount_decimals
from twofold.evm.access import require_money
from twofold.evm.models import BudgetLine, CostCategory, ProjectBudget
from twofold.projects.models import Project, Task

MAX_AMOUNT = Decimal("1e11")


def _decimal(value: Decimal | int) -> Decimal:
    """``value`` as a Decimal (callers in code pass whole numbers as ints)."""
    return value if isinstance(value, Decimal) else Decimal(value)


def budget_of(project: Project) -> ProjectBudget:
    budget, _ = ProjectBudget.objects.get_or_create(
        project=project, defaults={"organisation_id": project.organisation_id}
    )
    return budget


@transaction.atomic
def set_labour_rate(
    *, actor: User, project: Project, rate: Decimal, expected_version: int | None
) -> ProjectBudget:
    """The hourly rate planned work is priced at (where a person has no rate of their own).

    Raises:
        Invalid: a rate below 0 or from 100,000, or with more decimals than the organisation's
            currency has (``labour_rate``); Conflict: a stale ``expected_version``.
    """
    require_money(actor, project)
    if not Decimal(0) <= rate < Decimal(100000):
        raise Invalid("The rate must be between 0 and 99,999.99 an hour.", field="labour_rate")
    # No more decimals than the organisation's currency has (a yen has none), as a person's
    # rate: ¥1,000.50 was kept, priced the plan at 1,000.50 and was shown ¥1,001.
    check_amount_decimals(
        project.organisation_id, _decimal(rate), "labour_rate", "The planned labour rate"
    )
    budget = budget_of(project)
    before = budget.labour_rate
    budget.labour_rate = rate
    save_versioned(budget, expected_version=expected_version, fields=["labour_rate"])
    if before != rate:
        history.record(
            actor=actor,
            obj=project,
            action="labour rate set",
            changes={"planned labour rate": [str(before), str(rate)]},
        )
    return budget


@transaction.atomic
def add_budget_line(
    *,
    actor: User,
    project: Project,
    category: str,
    description: str,
    amount: Decimal,
    account: Task | None = None,
) -> BudgetLine:
    """A planned expense in a cost category, optionally on a control account.

    Raises:
        Invalid: labour or an unknown category (``category``), no description or a long one
            (``description``), an amount out of range or with more decimals than the
            organisation's currency has (``amount``), an account that is not a top-level
            summary task of the project (``account``; the API names it ``account_id``).
    """
    require_money(actor, project)
    if category not in CostCategory.values or category == CostCategory.LABOUR:
        raise Invalid(
            "Choose a cost category other than labour (labour comes from planned work).",
            field="category",
        )
    if not description.strip():
        raise Invalid("Describe the expense.", field="description")
    if len(description) > 200:
        raise Invalid("At most 200 characters.", field="description")
    if not -MAX_AMOUNT < amount < MAX_AMOUNT:
        raise Invalid("The amount is out of range.", field="amount")
    # As an expense's amount: ¥100.50 was kept, and two of them read ¥101 + ¥101 under a BAC
    # of ¥201.
    check_amount_decimals(project.organisation_id, _decimal(amount), "amount", "The amount")
    if account is not None and (
        account.project_id != project.pk or account.parent_id is not None or not account.is_summary
    ):
        raise Invalid("Choose a top-level summary task of this project.", field="account")
    line = BudgetLine.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        category=category,
        description=description.strip(),
        amount=amount,
        account=account,
    )
    history.record(
        actor=actor,
        obj=project,
        action="budget line added",
        summary=f"{line.get_category_display()}: {line.description} {amount:,.2f}",
    )
    return line


@transaction.atomic
def delete_budget_line(*, actor: User, line: BudgetLine) -> None:
    require_money(actor, line.project)
    history.record(
        actor=actor,
        obj=line.project,
        action="budget line removed",
        summary=f"{line.get_category_display()}: {line.description} {line.amount:,.2f}",
    )
    line.delete()
