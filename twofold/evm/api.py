"""API for budgets and earned value (the same reads and services as the pages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.selectors import get_organisation
from twofold.changes.selectors import get_project
from twofold.core.api_schemas import READ, WRITE, BodyIn, ErrorOut
from twofold.core.errors import Forbidden, Invalid, NotFound, fields_as
from twofold.costs.selectors import cost_settings
from twofold.engine.evm import Metrics
from twofold.evm import portfolio, services
from twofold.evm.access import require_money, sees_all_money
from twofold.evm.models import BudgetLine, ProjectBudget
from twofold.evm.report import project_evm
from twofold.projects.models import Project, Task

router = Router(tags=["earned value"])
MONEY_READ = {**READ, 403: ErrorOut}
Category = Literal["materials", "equipment", "subcontract", "travel", "software", "other"]
Amount = Annotated[
    Decimal, Field(ge=Decimal("-99999999999"), le=Decimal("99999999999"), decimal_places=2)
]


class EvmFiguresOut(Schema):
    bac: str
    pv: str
    ev: str
    ac: str
    sv: str
    cv: str
    spi: float | None
    cpi: float | None
    eac_atypical: str
    eac_cpi: str | None
    eac_cpi_spi: str | None
    etc: str
    vac: str
    tcpi: float | None
    bcws: str = Field(..., description="MS Project's name for PV")
    bcwp: str = Field(..., description="MS Project's name for EV")
    acwp: str = Field(..., description="MS Project's name for AC")


class EvmAccountOut(Schema):
    task_id: int | None
    name: str
    figures: EvmFiguresOut


class EvmWeekOut(Schema):
    week_ending: dt.date
    pv: str
    ev: str | None
    ac: str | None


class EvmProjectOut(Schema):
    project_id: int
    currency: str
    status_date: dt.date
    figures: EvmFiguresOut
    accounts: list[EvmAccountOut]
    weeks: list[EvmWeekOut]


class EvmRollupProjectOut(Schema):
    project_id: int
    figures: EvmFiguresOut


class EvmRollupGroupOut(Schema):
    programme: str
    projects: list[EvmRollupProjectOut]
    figures: EvmFiguresOut


class EvmRollupOut(Schema):
    currency: str
    programmes: list[EvmRollupGroupOut]
    figures: EvmFiguresOut


class BudgetRateIn(BodyIn):
    labour_rate: Annotated[Decimal, Field(ge=0, le=Decimal("99999.99"), decimal_places=2)]
    version: StrictInt | None = None


class BudgetRateOut(Schema):
    project_id: int
    labour_rate: str
    version: int


class BudgetLineIn(BodyIn):
    category: Category
    description: StrictStr = Field(..., min_length=1, max_length=200)
    amount: Amount
    account_id: StrictInt | None = None


class BudgetLineOut(Schema):
    id: int
    category: str
    description: str
    amount: str
    account_id: int | None


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _f(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 4)


def figures_out(m: Metrics) -> EvmFiguresOut:
    return EvmFiguresOut(
        bac=str(m.bac), pv=str(m.pv), ev=str(m.ev), ac=str(m.ac), sv=str(m.sv), cv=str(m.cv),
        spi=_f(m.spi), cpi=_f(m.cpi), eac_atypical=str(m.eac_atypical), eac_cpi=_s(m.eac_cpi),
        eac_cpi_spi=_s(m.eac_cpi_spi), etc=str(m.etc), vac=str(m.vac), tcpi=_f(m.tcpi),
        bcws=str(m.pv), bcwp=str(m.ev), acwp=str(m.ac),
    )  # fmt: skip


def _money_project(request: HttpRequest, org_id: int, project_id: int) -> Project:
    project = get_project(request.user, get_organisation(request.user, org_id), project_id)
    require_money(request.user, project)
    return project


@router.get(
    "/organisations/{org_id}/projects/{project_id}/earned-value",
    response={200: EvmProjectOut, **MONEY_READ},
)
def project_earned_value(request: HttpRequest, org_id: int, project_id: int) -> EvmProjectOut:
    report = project_evm(_money_project(request, org_id, project_id))
    return EvmProjectOut(
        project_id=report.project.pk,
        currency=cost_settings(org_id).currency,
        status_date=report.status_date,
        figures=figures_out(report.metrics),
        accounts=[
            EvmAccountOut(task_id=a.uid, name=a.name, figures=figures_out(a.metrics))
            for a in report.accounts
        ],
        weeks=[
            EvmWeekOut(week_ending=p.day, pv=str(p.pv), ev=_s(p.ev), ac=_s(p.ac))
            for p in report.curve
        ],
    )


@router.get("/organisations/{org_id}/earned-value", response={200: EvmRollupOut, **MONEY_READ})
def portfolio_earned_value(request: HttpRequest, org_id: int) -> EvmRollupOut:
    org = get_organisation(request.user, org_id)
    if not sees_all_money(request.user, org.pk):
        raise Forbidden("The portfolio's costs are for admins.")
    rollup = portfolio.rollup(org)
    return EvmRollupOut(
        currency=cost_settings(org.pk).currency,
        programmes=[
            EvmRollupGroupOut(
                programme=g.name,
                projects=[
                    EvmRollupProjectOut(project_id=r.project.pk, figures=figures_out(r.metrics))
                    for r in g.rows
                ],
                figures=figures_out(g.total),
            )
            for g in rollup.groups
        ],
        figures=figures_out(rollup.total),
    )


def _budget_rate_out(project: Project) -> BudgetRateOut:
    """The project's planned labour rate and the version a PUT sends back: a project with no
    budget row yet reads rate 0 at version 1, which is what the PUT's first save compares."""
    found = ProjectBudget.objects.filter(project=project).values_list("labour_rate", "version")
    rate, version = found.first() or (Decimal("0.00"), 1)
    return BudgetRateOut(project_id=project.pk, labour_rate=str(rate), version=version)


@router.get(
    "/organisations/{org_id}/projects/{project_id}/budget",
    response={200: BudgetRateOut, **MONEY_READ},
)
def get_budget(request: HttpRequest, org_id: int, project_id: int) -> BudgetRateOut:
    """The planned labour rate and its ``version`` (also the ``current`` of a stale PUT's 409)."""
    return _budget_rate_out(_money_project(request, org_id, project_id))


@router.put(
    "/organisations/{org_id}/projects/{project_id}/budget",
    response={200: BudgetRateOut, **WRITE},
)
def put_budget(
    request: HttpRequest, org_id: int, project_id: int, payload: BudgetRateIn
) -> BudgetRateOut:
    project = get_project(request.user, get_organisation(request.user, org_id), project_id)
    services.set_labour_rate(
        actor=request.user,  # type: ignore[arg-type]
        project=project,
        rate=payload.labour_rate,
        expected_version=payload.version,
    )
    return _budget_rate_out(project)  # as stored (to the cent), as the GET answers


@router.get(
    "/organisations/{org_id}/projects/{project_id}/budget/lines",
    response={200: list[BudgetLineOut], **MONEY_READ},
)
def list_lines(request: HttpRequest, org_id: int, project_id: int) -> list[BudgetLineOut]:
    project = _money_project(request, org_id, project_id)
    return [_line_out(line) for line in BudgetLine.objects.filter(project=project)]


def _line_out(line: BudgetLine) -> BudgetLineOut:
    return BudgetLineOut(
        id=line.pk,
        category=line.category,
        description=line.description,
        amount=str(line.amount),
        account_id=line.account_id,
    )


@router.post(
    "/organisations/{org_id}/projects/{project_id}/budget/lines",
    response={201: BudgetLineOut, **WRITE},
)
def add_line(
    request: HttpRequest, org_id: int, project_id: int, payload: BudgetLineIn
) -> Status[BudgetLineOut]:
    project = get_project(request.user, get_organisation(request.user, org_id), project_id)
    account = None
    if payload.account_id is not None:
        account = Task.objects.filter(project=project, pk=payload.account_id).first()
        if account is None:
            raise Invalid("Choose a top-level summary task of this project.", field="account_id")
    # The service names the account ``account``; the request sent ``account_id``.
    with fields_as({"account": "account_id"}):
        line = services.add_budget_line(
            actor=request.user,  # type: ignore[arg-type]
            project=project,
            category=payload.category,
            description=payload.description,
            amount=payload.amount,
            account=account,
        )
    return Status(201, _line_out(line))


@router.delete(
    "/organisations/{org_id}/projects/{project_id}/budget/lines/{line_id}",
    response={204: None, **WRITE},
)
def delete_line(request: HttpRequest, org_id: int, project_id: int, line_id: int) -> Status[None]:
    project = get_project(request.user, get_organisation(request.user, org_id), project_id)
    line = BudgetLine.objects.filter(project=project, pk=line_id).select_related("project").first()
    if line is None:
        require_money(request.user, project)
        raise NotFound("Budget line not found.")
    services.delete_budget_line(actor=request.user, line=line)  # type: ignore[arg-type]
    return Status(204, None)
