"""API for a process's spend against its annual budget (the process page's spend form)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import AfterValidator, StrictFloat, StrictStr

from twofold.core.api_schemas import READ, WRITE, BodyIn, ValidationErrorOut
from twofold.core.web import actor_of
from twofold.operations import selectors, services
from twofold.operations.api import StrictDate, _finite
from twofold.operations.models import SpendEntry

router = Router(tags=["operations"])


class SpendOut(Schema):
    id: int
    spent_on: dt.date
    amount: Decimal
    description: str
    created_by_id: int | None


class SpendIn(BodyIn):
    spent_on: StrictDate
    amount: Annotated[
        StrictFloat,
        AfterValidator(_finite),
        Field(gt=-(10**10), lt=10**10, description="Non-zero; negative for a refund."),
    ]
    description: Annotated[StrictStr, Field(min_length=1, max_length=200)]


def _out(entry: SpendEntry) -> SpendOut:
    return SpendOut(
        id=entry.pk,
        spent_on=entry.spent_on,
        amount=entry.amount,
        description=entry.description,
        created_by_id=entry.created_by_id,
    )


class SpendQuery(Schema):
    year: Annotated[int | None, Field(ge=1980, le=2149)] = Field(
        None, description="Calendar year (default: this year)."
    )


@router.get(
    "/processes/{pk}/spend",
    response={200: list[SpendOut], **READ, 403: WRITE[403], 422: ValidationErrorOut},
)
def list_spend(request: HttpRequest, pk: int, query: Query[SpendQuery]) -> list[SpendOut]:
    """The process's spend in ``year`` (this year by default), newest first (admins, owners and
    the process owner: 403 without amounts for others who see the process)."""
    process = selectors.get_process(request.user, pk)
    selectors.require_process_money(request.user, process)
    year = query.year or timezone.localdate().year
    return [_out(e) for e in process.spend.filter(spent_on__year=year).order_by("-spent_on", "-id")]


@router.post("/processes/{pk}/spend", response={201: SpendOut, **WRITE})
def add_spend(request: HttpRequest, pk: int, payload: SpendIn) -> Status[SpendOut]:
    """Record money spent on the process (admins, owners and the process owner)."""
    process = selectors.get_process(request.user, pk)
    entry = services.add_spend(
        actor=actor_of(request),
        process=process,
        spent_on=payload.spent_on,
        amount=str(payload.amount),
        description=payload.description,
    )
    return Status(201, _out(entry))
