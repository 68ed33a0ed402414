"""API for My work: the same merged list as the page, for the caller, in one organisation."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Query

from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, ValidationErrorOut
from twofold.core.web import actor_of
from twofold.work import selectors

router = Router(tags=["my work"])

KindName = Literal["task", "routine", "request", "gate", "handover", "improvement"]


class WorkItemOut(Schema):
    kind: KindName
    id: int
    title: str
    url: str
    context: str
    due: dt.datetime | None
    state: str
    badge: str
    waiting_since: dt.datetime | None


class MyWorkOut(Schema):
    items: list[WorkItemOut]
    counts: dict[str, int]
    total: int


@router.get(
    "/organisations/{org_id}/my-work", response={200: MyWorkOut, **READ, 422: ValidationErrorOut}
)
def my_work(
    request: HttpRequest,
    org_id: int,
    kind: KindName | None = Query(None, description="Only this kind"),  # noqa: B008
) -> MyWorkOut:
    """Everything waiting for the caller, due soonest first (undated rows last)."""
    org = get_organisation(request.user, org_id)
    work = selectors.my_work(actor_of(request), org, kind=kind or "")
    return MyWorkOut(
        items=[
            WorkItemOut(
                kind=i.kind.value,
                id=i.id,
                title=i.title,
                url=i.url,
                context=i.context,
                due=i.due,
                state=i.state,
                badge=i.badge,
                waiting_since=i.since,
            )
            for i in work.items
        ],
        counts=work.counts,
        total=work.total,
    )
