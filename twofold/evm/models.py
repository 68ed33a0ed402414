"""Project budgets: the planned labour rate and the planned expenses by cost category and
control account (a WBS summary task). The budget at completion (BAC) is computed from them."""

from __future__ import annotations

from django.db import models

from twofold.accounts.models import Organisation
from twofold.projects.models import Project, Task


class CostCategory(models.TextChoices):
    LABOUR = "labour", "Labour"
    MATERIALS = "materials", "Materials"
    EQUIPMENT = "equipment", "Equipment"
    SUBCONTRACT = "subcontract", "Subcontracts"
    TRAVEL = "travel", "Travel"
    SOFTWARE = "software", "Software and licences"
    OTHER = "other", "Other"


class ProjectBudget(models.Model):
    """A project's costing settings: the hourly rate used for planned work without a person's own
    rate (until rates per person exist, for all planned work)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="budget")
    labour_rate = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Budget of {self.project}"


class BudgetLine(models.Model):
    """A planned expense of a project in a cost category, optionally on a control account."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(max_length=12, choices=CostCategory.choices)
    account = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    change_number = models.PositiveIntegerField(
        null=True, blank=True, help_text="The change request that added this line, if any."
    )

    class Meta:
        ordering = ["category", "pk"]
        indexes = [models.Index(fields=["project", "category"])]

    def __str__(self) -> str:
        return f"{self.description} ({self.amount})"
