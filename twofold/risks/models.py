"""Risks: the risk register of each project, and the schedule risk analysis (Monte Carlo).

A risk's score is probability × impact (each 1-5). An *open high risk* is a risk that is not
closed (open or mitigating) with a score of 15 or more: the red cells of the 5×5 heat map. Those
feed project health (see ``selectors.open_high_risk_counts``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.core.trash import Trashable
from twofold.projects.models import Project, Task

HIGH_SCORE = 15
"""A risk scoring this much or more is high (red on the heat map)."""

MEDIUM_SCORE = 5
"""A risk scoring this much or more (and less than ``HIGH_SCORE``) is medium (amber)."""

# Chance that a risk occurs, used when it becomes a Monte Carlo risk event.
PROBABILITY_OF = {1: 0.1, 2: 0.3, 3: 0.5, 4: 0.7, 5: 0.9}
PROBABILITY_LABELS = {
    1: "Rare (≈10 %)",
    2: "Unlikely (≈30 %)",
    3: "Possible (≈50 %)",
    4: "Likely (≈70 %)",
    5: "Almost certain (≈90 %)",
}
IMPACT_LABELS = {1: "Negligible", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Severe"}


def level_of(score: int) -> str:
    """``green``, ``amber`` or ``red`` for a score of 1-25."""
    if score >= HIGH_SCORE:
        return "red"
    if score >= MEDIUM_SCORE:
        return "amber"
    return "green"


class Category(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    SUPPLIER = "supplier", "Supplier"
    SCHEDULE = "schedule", "Schedule"
    QUALITY = "quality", "Quality"
    PEOPLE = "people", "People"
    COMPLIANCE = "compliance", "Compliance"
    FINANCIAL = "financial", "Financial"
    SAFETY = "safety", "Safety"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Mitigating"
    CLOSED = "closed", "Closed"


ACTIVE_STATUSES = (RiskStatus.OPEN, RiskStatus.MITIGATING)


class Response(models.TextChoices):
    AVOID = "avoid", "Avoid"
    MITIGATE = "mitigate", "Mitigate"
    TRANSFER = "transfer", "Transfer"
    ACCEPT = "accept", "Accept"


_ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class Risk(Trashable):
    """A project risk with its assessment, response and optional schedule impact."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=12, choices=Category.choices, default=Category.TECHNICAL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    probability = models.PositiveSmallIntegerField(default=3, validators=_ONE_TO_FIVE)
    impact = models.PositiveSmallIntegerField(default=3, validators=_ONE_TO_FIVE)
    score = models.PositiveSmallIntegerField(default=9, editable=False)
    status = models.CharField(max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    response = models.CharField(max_length=8, choices=Response.choices, default=Response.MITIGATE)
    mitigation = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)
    tasks = models.ManyToManyField(Task, blank=True, related_name="risks")
    # Schedule impact if the risk occurs: working days added to each linked task.
    impact_min_days = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    impact_likely_days = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    impact_max_days = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    created_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-score", "title"]
        indexes = [
            models.Index(fields=["organisation", "status", "score"]),
            models.Index(fields=["project", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def level(self) -> str:
        return level_of(self.score)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_high(self) -> bool:
        return self.is_active and self.score >= HIGH_SCORE

    @property
    def has_schedule_impact(self) -> bool:
        return self.impact_likely_days is not None

    @property
    def chance(self) -> float:
        return PROBABILITY_OF[self.probability]


class Distribution(models.TextChoices):
    TRIANGULAR = "triangular", "Triangular"
    PERT = "pert", "PERT (beta)"


DEFAULT_ITERATIONS = 5000
MAX_ITERATIONS = 50_000


class RiskAnalysis(models.Model):
    """The schedule risk settings of a project and the summary of its last Monte Carlo run.

    ``estimates`` maps a task id (as a string) to ``[optimistic, most likely, pessimistic]``
    working minutes; a task without an entry uses −10 % / duration / +30 %.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="risk_analysis")
    distribution = models.CharField(
        max_length=10, choices=Distribution.choices, default=Distribution.TRIANGULAR
    )
    iterations = models.PositiveIntegerField(default=DEFAULT_ITERATIONS)
    seed = models.PositiveIntegerField(default=1)
    estimates = models.JSONField(default=dict, blank=True)
    # The last run
    ran_at = models.DateTimeField(null=True, blank=True)
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    p50 = models.DateTimeField(null=True, blank=True)
    p80 = models.DateTimeField(null=True, blank=True)
    p95 = models.DateTimeField(null=True, blank=True)
    deterministic_finish = models.DateTimeField(null=True, blank=True)
    chance_on_target = models.FloatField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "risk analyses"

    def __str__(self) -> str:
        return f"Schedule risk of project {self.project_id}"
