"""Reads for risks, scoped to the organisation, each with a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Subquery

from twofold.accounts.models import Organisation
from twofold.core.errors import NotFound
from twofold.core.policy import Action, can
from twofold.projects.models import Project, Task
from twofold.risks.models import (
    ACTIVE_STATUSES,
    HIGH_SCORE,
    IMPACT_LABELS,
    PROBABILITY_LABELS,
    Category,
    Risk,
    RiskAnalysis,
    RiskStatus,
    level_of,
)

SORTS = {
    "score": ("-score", "-impact", "title"),
    "due": ("due_date", "-score"),
    "title": ("title",),
    "status": ("status", "-score"),
}
STATUS_FILTERS = [
    ("active", "Open and mitigating"),
    ("open", "Open"),
    ("mitigating", "Mitigating"),
    ("closed", "Closed"),
    ("all", "All"),
]


ACTIVE_RISK_STATUSES = tuple(str(s.value) for s in ACTIVE_STATUSES)


def open_high_risks_of(project: Any) -> Subquery:
    """The number of open high risks of ``project`` (an ``OuterRef``) as a subquery: ``NULL``
    when there are none. Its parameters: ``HIGH_SCORE`` then ``ACTIVE_RISK_STATUSES``."""
    return Subquery(
        Risk.objects.filter(
            project_id=project, status__in=ACTIVE_RISK_STATUSES, score__gte=HIGH_SCORE
        )
        .order_by()
        .values("project_id")
        .annotate(n=Count("pk"))
        .values("n")
    )


def open_high_risk_counts(organisation: Organisation) -> dict[int, int]:
    """Open high risks (not closed, score ≥ 15) per project id, in one aggregated query."""
    return dict(
        Risk.objects.filter(
            organisation=organisation, status__in=ACTIVE_STATUSES, score__gte=HIGH_SCORE
        )
        .values("project_id")
        .annotate(n=Count("pk"))
        .values_list("project_id", "n")
    )


@dataclass(frozen=True)
class Filters:
    status: str = "active"
    probability: int | None = None
    impact: int | None = None
    category: str = ""
    sort: str = "score"

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        def one_to_five(name: str) -> int | None:
            raw = params.get(name, "")
            return int(raw) if raw in {"1", "2", "3", "4", "5"} else None

        status = params.get("status", "active")
        category = params.get("category", "")
        sort = params.get("sort", "score")
        return cls(
            status=status if status in dict(STATUS_FILTERS) else "active",
            probability=one_to_five("p"),
            impact=one_to_five("i"),
            category=category if category in Category.values else "",
            sort=sort if sort in SORTS else "score",
        )

    def status_q(self) -> Q:
        if self.status == "active":
            return Q(status__in=ACTIVE_STATUSES)
        if self.status == "all":
            return Q()
        return Q(status=self.status)

    def apply(self, risks: QuerySet[Risk], *, cell: bool = True) -> QuerySet[Risk]:
        risks = risks.filter(self.status_q())
        if self.category:
            risks = risks.filter(category=self.category)
        if cell and self.probability:
            risks = risks.filter(probability=self.probability)
        if cell and self.impact:
            risks = risks.filter(impact=self.impact)
        return risks


def _base(organisation: Organisation) -> QuerySet[Risk]:
    return Risk.objects.filter(organisation=organisation)


def _listed(risks: QuerySet[Risk], sort: str) -> list[Risk]:
    return list(
        risks.select_related("owner", "project")
        .prefetch_related(
            Prefetch(
                "tasks", queryset=Task.objects.only("pk", "name", "project_id").order_by("position")
            )
        )
        .order_by(*SORTS[sort])
    )


def risks_of_project(project: Project, filters: Filters) -> list[Risk]:
    """The project's risks after ``filters`` (three queries whatever their number)."""
    return _listed(filters.apply(_base(project.organisation).filter(project=project)), filters.sort)


def _unarchived(organisation: Organisation) -> QuerySet[Risk]:
    """The organisation's risks but those of archived projects (which the organisation's
    register page, like its project list, leaves out)."""
    return _base(organisation).filter(project__archived_at__isnull=True)


def risks_of_organisation(organisation: Organisation, filters: Filters) -> list[Risk]:
    """The risks of every project not archived, after ``filters`` (three queries whatever
    their number)."""
    return _listed(filters.apply(_unarchived(organisation)), filters.sort)


@dataclass(frozen=True)
class Cell:
    probability: int
    impact: int
    count: int
    selected: bool

    @property
    def score(self) -> int:
        return self.probability * self.impact

    @property
    def level(self) -> str:
        return level_of(self.score)


@dataclass(frozen=True)
class HeatRow:
    probability: int
    label: str
    cells: list[Cell]


def heat_map(
    organisation: Organisation, filters: Filters, project: Project | None = None
) -> list[HeatRow]:
    """5×5 counts (probability rows from 5 down, impact columns 1-5), one aggregated query.

    The status and category filters apply; the selected cell does not (every cell stays visible).
    Without ``project``: the risks of every project not archived, as ``risks_of_organisation``.
    """
    if project is not None:
        risks = filters.apply(_base(organisation), cell=False).filter(project=project)
    else:
        risks = filters.apply(_unarchived(organisation), cell=False)
    counts = {
        (p, i): n
        for p, i, n in risks.values("probability", "impact")
        .annotate(n=Count("pk"))
        .values_list("probability", "impact", "n")
    }
    return [
        HeatRow(
            p,
            PROBABILITY_LABELS[p],
            [
                Cell(
                    p,
                    i,
                    counts.get((p, i), 0),
                    filters.probability == p and filters.impact == i,
                )
                for i in range(1, 6)
            ],
        )
        for p in range(5, 0, -1)
    ]


IMPACT_COLUMNS = [(i, IMPACT_LABELS[i]) for i in range(1, 6)]


def get_risk(user: Any, organisation: Organisation, risk_id: int) -> Risk:
    """The risk if ``user`` may see it, else ``NotFound``."""
    risk = (
        Risk.objects.filter(pk=risk_id, organisation=organisation)
        .select_related("project", "owner", "organisation")
        .first()
    )
    if risk is None or not can(user, Action.VIEW, risk):
        raise NotFound("Risk not found.")
    return risk


def get_project(user: Any, organisation: Organisation, project_id: int) -> Project:
    """The project if ``user`` may see it, else ``NotFound``."""
    project = (
        Project.objects.filter(pk=project_id, organisation=organisation)
        .select_related("organisation", "manager")
        .first()
    )
    if project is None or not can(user, Action.VIEW, project):
        raise NotFound("Project not found.")
    return project


def analysis_of(project: Project) -> RiskAnalysis:
    """The project's schedule risk analysis, or unsaved defaults if none was run or saved yet."""
    analysis = RiskAnalysis.objects.filter(project=project).select_related("ran_by").first()
    if analysis is None:
        analysis = RiskAnalysis(organisation_id=project.organisation_id, project=project)
    return analysis


def last_runs(organisation: Organisation) -> dict[int, RiskAnalysis]:
    """The stored run summary of each project that has one (one query), for P80 on lists."""
    return {
        a.project_id: a
        for a in RiskAnalysis.objects.filter(organisation=organisation, ran_at__isnull=False).only(
            "project_id", "p50", "p80", "p95", "chance_on_target", "ran_at"
        )
    }


def counts_by_status(organisation: Organisation, project: Project | None = None) -> dict[str, int]:
    risks = _base(organisation)
    if project is not None:
        risks = risks.filter(project=project)
    found = dict(risks.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {s: found.get(s, 0) for s in RiskStatus.values}
