"""API for the trash (admins and owners): list it, restore an entry, delete one for good."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Query
from ninja.responses import Status

from twofold.accounts.selectors import get_organisation
from twofold.core import trash
from twofold.core.api_schemas import READ, WRITE, ErrorOut
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
