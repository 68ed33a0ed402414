"""API for the trash (admins and owners): list it, restore an entry, delete one for good."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.params.functions import Query
from ninja.responses import Status

from twofold.accounts.selectors import get_organisation
from twofold.core import trash
from twofold.core.api_lists import MAX_LIMIT, Moment
from twofold.core.api_schemas import READ, WRITE, ErrorOut
from twofold.core.errors import Invalid
from twofold.core.models import TrashEntry
from twofold.core.web import actor_of

router = Router(tags=["trash"])


class TrashEntryOut(Schema):
    """Something in the trash, with what went with it (``summary``)."""

    id: int
    kind: str  # the model label, e.g. "projects.task"
    noun: str  # "task"
    object_id: int
    label: str
    summary: str
    deleted_by_id: int | None
    deleted_at: dt.datetime
    purge_after: dt.datetime
    version: int  # pass it back to restore


class TrashRestoredOut(Schema):
    kind: str
    object_id: int
    label: str
    url: str  # the restored object's page


def _out(entry: TrashEntry) -> TrashEntryOut:
    kind = trash.kinds().get(entry.kind)
    return TrashEntryOut(
        id=entry.pk,
        kind=entry.kind,
        noun=kind.noun if kind else entry.kind,
        object_id=entry.object_id,
        label=entry.label,
        summary=entry.summary,
        deleted_by_id=entry.deleted_by_id,
        deleted_at=entry.deleted_at,
        purge_after=entry.purge_after,
        version=entry.version,
    )


@router.get(
    "/organisations/{org_id}/trash",
    response={200: list[TrashEntryOut], 403: ErrorOut, **READ},
    summary="The organisation's trash, newest first (admins and owners)",
)
def list_trash(request: HttpRequest, org_id: int) -> list[TrashEntryOut]:
    organisation = get_organisation(request.user, org_id)
    trash.require_admin(request.user, organisation)
    return [_out(e) for e in trash.entries(organisation)]


@router.post(
    "/organisations/{org_id}/trash/{entry_id}/restore",
    response={200: TrashRestoredOut, **WRITE},
    summary="Restore an entry with everything trashed together with it (pass its version)",
)
def restore_entry(
    request: HttpRequest, org_id: int, entry_id: int, version: int = Query(..., ge=1)
) -> TrashRestoredOut:
    organisation = get_organisation(request.user, org_id)
    obj = trash.restore(
        actor=actor_of(request),
        organisation=organisation,
        entry_id=entry_id,
        expected_version=version,
    )
    kind = trash.kind_of(obj)
    return TrashRestoredOut(kind=kind.name, object_id=obj.pk, label=str(obj), url=kind.url(obj))


@router.delete(
    "/organisations/{org_id}/trash/{entry_id}",
    response={204: None, **WRITE},
    summary="Delete an entry for good now, rows and files (admins and owners)",
)
def purge_entry(request: HttpRequest, org_id: int, entry_id: int) -> Status[None]:
    organisation = get_organisation(request.user, org_id)
    trash.purge_now(actor=actor_of(request), organisation=organisation, entry_id=entry_id)
    return Status(204, None)


# --- Tombstones: what went to the trash, for clients that sync -------------------------------


class DeletedOut(Schema):
    kind: str = Field(..., description='The model label, e.g. "projects.task".')
    id: int
    deleted_at: dt.datetime


class DeletedQuery(Schema):
    deleted_since: Moment | None = Field(
        None,
        description="Only rows moved to the trash at or after this moment (ISO 8601 with an "
        "offset): send the `Date` header of your previous sync.",
    )
    kind: str | None = Field(
        None, max_length=60, description='One kind only ("projects.task", "risks.risk", …).'
    )
    offset: int = Field(0, ge=0, le=10**9)
    limit: int = Field(100, ge=1, le=MAX_LIMIT)


@router.get(
    "/organisations/{org_id}/deleted",
    response={200: list[DeletedOut], **READ, 422: WRITE[422]},
    summary="Tombstones: objects moved to the trash (to drop them from a synced copy)",
)
def list_deleted(
    request: HttpRequest,
    org_id: int,
    query: Annotated[DeletedQuery, Query()],
    reply: HttpResponse,
) -> list[DeletedOut]:
    """Every object of the organisation now in the trash, oldest deletion first: its kind, id
    and when it was trashed. Anyone who can read the organisation's lists may read this (only
    ids, no labels). A restored object leaves this list (and its restore is in its history);
    one purged for good leaves it too, after the retention (docs/api.md, "Deletions")."""
    organisation = get_organisation(request.user, org_id)
    if query.kind is not None and query.kind not in trash.kinds():
        raise Invalid(f"kind: one of {', '.join(sorted(trash.kinds()))}.", field="kind")
    rows = trash.deleted_rows(organisation, query.deleted_since, query.kind)
    reply["X-Total-Count"] = str(rows.count())
    return [
        DeletedOut(kind=kind, id=pk, deleted_at=at)
        for kind, pk, at in rows[query.offset : query.offset + query.limit]
    ]
