"""API for risks and schedule risk (same services as the pages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictFloat, StrictInt, StrictStr

from twofold.accounts.models import User
from twofold.accounts.selectors import get_organisation
from twofold.core.api import job_out
from twofold.core.api_lists import SYNCED, Sync, synced_page
from twofold.core.api_schemas import READ, WRITE, BodyIn, ErrorOut, JobOut
from twofold.core.errors import Invalid, NotFound
from twofold.core.models import Job
from twofold.core.web import actor_of
from twofold.projects.api import StrictDate
from twofold.projects.models import Project, Task
from twofold.risks import selectors, services
from twofold.risks.models import MAX_ITERATIONS, Risk

router = Router(tags=["risks"])

CategoryName = Literal[
    "technical", "supplier", "schedule", "quality", "people", "compliance", "financial", "safety"
]
StatusName = Literal["open", "mitigating", "closed"]
ResponseName = Literal["avoid", "mitigate", "transfer", "accept"]
DistributionName = Literal["triangular", "pert"]
OneToFive = Annotated[StrictInt, Field(ge=1, le=5)]
Days = Annotated[StrictInt | StrictFloat, Field(ge=0, le=1000)]


class RiskOut(Schema):
    id: int
    project_id: int
    title: str
    description: str
    category: CategoryName
    owner_id: int | None
    probability: int
    impact: int
    score: int
    level: Literal["green", "amber", "red"]
    status: StatusName
    response: ResponseName
    mitigation: str
    due_date: dt.date | None
    task_ids: list[int]
    impact_min_days: float | None
    impact_likely_days: float | None
    impact_max_days: float | None
    version: int


class RiskIn(BodyIn):
    title: StrictStr = Field(..., min_length=1, max_length=200)
    description: StrictStr = ""
    category: CategoryName = "technical"
    owner_id: StrictInt | None = None
    probability: OneToFive = 3
    impact: OneToFive = 3
    status: StatusName = "open"
    response: ResponseName = "mitigate"
    mitigation: StrictStr = ""
    due_date: StrictDate | None = None
    task_ids: list[StrictInt] = Field(default_factory=list, max_length=500)
    impact_min_days: Days | None = None
    impact_likely_days: Days | None = None
    impact_max_days: Days | None = None


class RiskPatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    title: StrictStr | None = Field(None, min_length=1, max_length=200)
    description: StrictStr | None = None
    category: CategoryName | None = None
    owner_id: StrictInt | None = None
    probability: OneToFive | None = None
    impact: OneToFive | None = None
    status: StatusName | None = None
    response: ResponseName | None = None
    mitigation: StrictStr | None = None
    due_date: StrictDate | None = None
    task_ids: list[StrictInt] | None = Field(None, max_length=500)
    impact_min_days: Days | None = None
    impact_likely_days: Days | None = None
    impact_max_days: Days | None = None


# A PATCH may clear these with null; every other field needs a value.
PATCH_NULLABLE = {
    "owner_id",
    "due_date",
    "impact_min_days",
    "impact_likely_days",
    "impact_max_days",
}


class EstimateIn(Schema):
    task_id: StrictInt
    optimistic_minutes: StrictInt = Field(..., ge=0, le=960_000)
    likely_minutes: StrictInt = Field(..., ge=0, le=960_000)
    pessimistic_minutes: StrictInt = Field(..., ge=0, le=960_000)


class SimulationIn(BodyIn):
    version: StrictInt | None = Field(
        None, description="The analysis version you read; a stale one answers 409."
    )
    distribution: DistributionName | None = None
    iterations: StrictInt | None = Field(None, ge=100, le=MAX_ITERATIONS)
    seed: StrictInt | None = Field(None, ge=0, le=2**31 - 1)
    estimates: list[EstimateIn] | None = Field(None, max_length=5000)


class PercentileOut(Schema):
    level: int
    at: str


class CriticalityOut(Schema):
    task_id: int
    name: str
    criticality: float
    sensitivity: float


class SimulationOut(Schema):
    project_id: int
    version: int
    distribution: DistributionName
    iterations: int
    seed: int
    ran_at: dt.datetime | None
    p50: dt.datetime | None
    p80: dt.datetime | None
    p95: dt.datetime | None
    deterministic_finish: dt.datetime | None
    target_finish: dt.date | None
    chance_on_target: float | None
    percentiles: list[PercentileOut]
    tasks: list[CriticalityOut]
    tornado: list[int]


def _project(request: HttpRequest, org_id: int, project_id: int) -> Project:
    return selectors.get_project(request.user, get_organisation(request.user, org_id), project_id)


def _risk(request: HttpRequest, org_id: int, project_id: int, risk_id: int) -> Risk:
    project = _project(request, org_id, project_id)
    risk = selectors.get_risk(request.user, project.organisation, risk_id)
    if risk.project_id != project.pk:
        raise NotFound("Risk not found.")
    return risk


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _risk_out(r: Risk) -> RiskOut:
    return RiskOut(
        id=r.pk,
        project_id=r.project_id,
        title=r.title,
        description=r.description,
        category=r.category,  # type: ignore[arg-type]
        owner_id=r.owner_id,
        probability=r.probability,
        impact=r.impact,
        score=r.score,
        level=r.level,  # type: ignore[arg-type]
        status=r.status,  # type: ignore[arg-type]
        response=r.response,  # type: ignore[arg-type]
        mitigation=r.mitigation,
        due_date=r.due_date,
        task_ids=sorted(t.pk for t in r.tasks.all()),
        impact_min_days=_float(r.impact_min_days),
        impact_likely_days=_float(r.impact_likely_days),
        impact_max_days=_float(r.impact_max_days),
        version=r.version,
    )


def _person(project: Project, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(
        pk=user_id, memberships__organisation_id=project.organisation_id
    ).first()
    if user is None:
        raise Invalid("Choose a member of the organisation.", field="owner_id")
    return user


def _tasks(project: Project, ids: list[int]) -> list[Task]:
    tasks = list(Task.objects.filter(project=project, pk__in=set(ids)))
    if len(tasks) != len(set(ids)):
        raise Invalid("Link only tasks of this project.", field="task_ids")
    return tasks


def _values(project: Project, payload: Schema, fields: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in fields - {"version", "task_ids", "owner_id"}:
        value = getattr(payload, name)
        values[name] = (
            Decimal(str(value)) if name.startswith("impact_") and value is not None else value
        )
    if "owner_id" in fields:
        values["owner"] = _person(project, payload.owner_id)  # type: ignore[attr-defined]
    return values


@router.get(
    "/organisations/{org_id}/projects/{project_id}/risks", response={200: list[RiskOut], **SYNCED}
)
def list_risks(
    request: HttpRequest, org_id: int, project_id: int, sync: Sync, reply: HttpResponse
) -> list[RiskOut]:
    project = _project(request, org_id, project_id)
    risks = (
        Risk.objects.filter(project=project)
        .prefetch_related(Prefetch("tasks", queryset=Task.objects.only("pk")))
        .order_by("-score", "title", "pk")
    )
    page = synced_page(request, risks, sync)
    page.stamp(reply)
    return [_risk_out(r) for r in page.rows]


@router.post(
    "/organisations/{org_id}/projects/{project_id}/risks", response={201: RiskOut, **WRITE}
)
def create_risk(
    request: HttpRequest, org_id: int, project_id: int, payload: RiskIn
) -> Status[RiskOut]:
    project = _project(request, org_id, project_id)
    values = _values(project, payload, set(RiskIn.model_fields))
    risk = services.create_risk(
        actor=actor_of(request), project=project, tasks=_tasks(project, payload.task_ids), **values
    )
    return Status(201, _risk_out(risk))


@router.get(
    "/organisations/{org_id}/projects/{project_id}/risks/{risk_id}",
    response={200: RiskOut, **READ},
)
def get_risk(request: HttpRequest, org_id: int, project_id: int, risk_id: int) -> RiskOut:
    return _risk_out(_risk(request, org_id, project_id, risk_id))


@router.patch(
    "/organisations/{org_id}/projects/{project_id}/risks/{risk_id}",
    response={200: RiskOut, **WRITE},
)
def patch_risk(
    request: HttpRequest, org_id: int, project_id: int, risk_id: int, payload: RiskPatch
) -> RiskOut:
    risk = _risk(request, org_id, project_id, risk_id)
    fields = set(payload.model_fields_set)
    for key in sorted(fields - PATCH_NULLABLE - {"version"}):
        if getattr(payload, key) is None:
            raise Invalid(f"{key} cannot be null.", field=key)
    values = _values(risk.project, payload, fields)
    tasks = _tasks(risk.project, payload.task_ids) if payload.task_ids is not None else None
    risk = services.update_risk(
        actor=actor_of(request),
        risk=risk,
        expected_version=payload.version,
        tasks=tasks,
        **values,
    )
    return _risk_out(risk)


@router.delete(
    "/organisations/{org_id}/projects/{project_id}/risks/{risk_id}",
    response={204: None, **WRITE},
)
def delete_risk(
    request: HttpRequest,
    org_id: int,
    project_id: int,
    risk_id: int,
    version: int | None = None,
) -> Status[None]:
    """Move the risk to the trash (an admin can restore it within the retention); with
    ``?version=`` a risk changed since you read it answers 409, as on its page."""
    services.delete_risk(
        actor=actor_of(request),
        risk=_risk(request, org_id, project_id, risk_id),
        expected_version=version,
    )
    return Status(204, None)


def _simulation_out(project: Project) -> SimulationOut:
    a = selectors.analysis_of(project)
    result = a.result or {}
    return SimulationOut(
        project_id=project.pk,
        version=a.version,
        distribution=a.distribution,  # type: ignore[arg-type]
        iterations=a.iterations,
        seed=a.seed,
        ran_at=a.ran_at,
        p50=a.p50,
        p80=a.p80,
        p95=a.p95,
        deterministic_finish=a.deterministic_finish,
        target_finish=project.target_finish,
        chance_on_target=a.chance_on_target,
        percentiles=[PercentileOut(**row) for row in result.get("percentiles", [])],
        tasks=[
            CriticalityOut(
                task_id=row["id"],
                name=row["name"],
                criticality=row["ci"],
                sensitivity=row["sensitivity"],
            )
            for row in result.get("criticality", [])
        ],
        tornado=[row["id"] for row in result.get("tornado", [])],
    )


@router.get(
    "/organisations/{org_id}/projects/{project_id}/schedule-risk",
    response={200: SimulationOut, **READ},
)
def get_simulation(request: HttpRequest, org_id: int, project_id: int) -> SimulationOut:
    return _simulation_out(_project(request, org_id, project_id))


@router.post(
    "/organisations/{org_id}/projects/{project_id}/schedule-risk/run",
    response={200: SimulationOut, 202: JobOut, **WRITE},
    description=(
        "A small run (iterations × tasks up to 5 million) answers 200 with the result. A larger "
        "one runs in the background and answers 202 with the job: poll its `url`; when it has "
        "succeeded, GET the schedule risk for the result."
    ),
)
def run_simulation(
    request: HttpRequest, org_id: int, project_id: int, payload: SimulationIn
) -> SimulationOut | Status[JobOut]:
    project = _project(request, org_id, project_id)
    settings: dict[str, Any] = {
        k: getattr(payload, k)
        for k in ("distribution", "iterations", "seed")
        if getattr(payload, k) is not None
    }
    if payload.estimates is not None:
        settings["estimates"] = {
            e.task_id: (e.optimistic_minutes, e.likely_minutes, e.pessimistic_minutes)
            for e in payload.estimates
        }
    outcome = services.request_simulation(
        actor=actor_of(request), project=project, expected_version=payload.version, **settings
    )
    if isinstance(outcome, Job):
        return Status(202, job_out(outcome))
    return _simulation_out(project)


__all__ = ["ErrorOut", "router"]
