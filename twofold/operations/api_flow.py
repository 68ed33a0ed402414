"""API for flow metrics: the flow page's figures (throughput, cycle time, ageing WIP,
cumulative flow and Monte Carlo forecasts) for requests or routine occurrences."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, ValidationErrorOut
from twofold.core.errors import Invalid
from twofold.operations import flowdata
from twofold.operations.api import StrictDate

router = Router(tags=["operations"])


class FlowThroughputOut(Schema):
    labels: list[str] = Field(..., description="ISO weeks, oldest first.")
    counts: list[int]


class FlowPointOut(Schema):
    x: str = Field(..., description="The day the item finished.")
    y: float = Field(..., description="Its cycle time in days.")


class FlowLineOut(Schema):
    level: int = Field(..., description="Percentile.")
    days: float


class FlowCycleOut(Schema):
    points: list[FlowPointOut]
    lines: list[FlowLineOut]


class FlowWipOut(Schema):
    ages: list[float] = Field(..., description="Age in days of each item in progress.")
    exceeded: list[int] = Field(..., description="The highest percentile each age exceeds.")
    lines: list[FlowLineOut]


class FlowCfdOut(Schema):
    labels: list[str]
    states: list[str]
    cumulative: list[list[int]] = Field(..., description="Per state, a count per day.")


class FlowHowManyOut(Schema):
    level: int
    items: int


class FlowWhenOut(Schema):
    level: int
    date: str | None
    days: int | None


class FlowMetricsOut(Schema):
    source: Literal["requests", "occurrences"]
    throughput: FlowThroughputOut
    cycle: FlowCycleOut
    wip: FlowWipOut
    cfd: FlowCfdOut
    how_many: list[FlowHowManyOut] | None = Field(
        ..., description="How many items by `by`, per confidence level (null without history)."
    )
    when: list[FlowWhenOut] | None = Field(
        ..., description="When `items` more are done, per confidence level."
    )
    items: int
    done: int


class FlowQuery(Schema):
    source: Literal["requests", "occurrences"] = "requests"
    by: StrictDate | None = Field(
        None,
        description="Forecast date: after today, at most 10 years ahead (default: in 28 days).",
    )
    items: Annotated[int, Field(ge=1, le=10_000)] = 20


@router.get(
    "/organisations/{org_id}/flow-metrics",
    response={200: FlowMetricsOut, **READ, 422: ValidationErrorOut},
)
def flow_metrics(request: HttpRequest, org_id: int, query: Query[FlowQuery]) -> dict[str, object]:
    """The flow page's figures, computed the same way (one pass over the last weeks' items)."""
    org = get_organisation(request.user, org_id)
    today = flowdata.today_of(org)
    by = query.by or today + dt.timedelta(days=28)
    problem = flowdata.by_problem(by, today)  # today or earlier, or over 10 years ahead
    if problem:
        raise Invalid(problem, field="by")
    data = flowdata.flow_metrics(
        org, query.source, today=today, forecast_by=by, forecast_items=query.items
    )
    return {"source": query.source, **data}
