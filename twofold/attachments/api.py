"""API for attachments: the attachments page's list, upload, download and delete.

The same services and rules as the pages: anyone who may contribute to a project or task
uploads (size and type checked before the file is read further); the uploader or an admin
deletes; objects the user may not see answer 404.
"""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from twofold.accounts.selectors import get_organisation
from twofold.attachments import selectors, services
from twofold.attachments.models import Attachment
from twofold.attachments.views import file_response
from twofold.core.api_lists import SYNCED, Sync, synced_page
from twofold.core.api_schemas import READ, WRITE, ErrorOut
from twofold.core.errors import Invalid
from twofold.core.web import actor_of
from twofold.customfields.selectors import get_target

router = Router(tags=["attachments"])

ON = "/organisations/{org_id}/attachments/{kind}/{target_id}"
ONE = "/organisations/{org_id}/attachments/{attachment_id}"


class _TooLarge(Invalid):
    """A file over the size limit: 413, as the page answers."""

    status = 413


class AttachmentOut(Schema):
    id: int
    target_kind: str
    target_id: int
    name: str
    content_type: str
    size: int
    uploaded_by_id: int | None
    uploaded_at: dt.datetime


def _out(a: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=a.pk,
        target_kind=a.target_kind,
        target_id=a.target_id,
        name=a.original_name,
        content_type=a.content_type,
        size=a.size,
        uploaded_by_id=a.uploaded_by_id,
        uploaded_at=a.uploaded_at,
    )


@router.get(ON, response={200: list[AttachmentOut], **SYNCED})
def list_attachments(
    request: HttpRequest, org_id: int, kind: str, target_id: int, sync: Sync, reply: HttpResponse
) -> list[AttachmentOut]:
    """The files attached to a project (``kind=project``) or a task (``kind=task``), newest
    first."""
    target = get_target(request.user, get_organisation(request.user, org_id), kind, target_id)
    rows = selectors.attachments_of(target).order_by("-uploaded_at", "-id")
    # An attachment's history is written on its target: its upload time says when it changed.
    page = synced_page(request, rows, sync, stamps=("uploaded_at",))
    page.stamp(reply)
    return [_out(a) for a in page.rows]


@router.post(ON, response={201: AttachmentOut, **WRITE, 413: ErrorOut, 507: ErrorOut})
def upload_attachment(
    request: HttpRequest, org_id: int, kind: str, target_id: int, file: File[UploadedFile]
) -> Status[AttachmentOut]:
    """Attach one file (multipart, field ``file``); its size and type are checked first."""
    try:
        services.check_upload(file.name or "", int(file.size or 0))
    except Invalid as exc:
        if int(file.size or 0) > services.size_limit():
            raise _TooLarge(exc.message, field="file") from exc
        raise
    target = get_target(request.user, get_organisation(request.user, org_id), kind, target_id)
    attachment = services.upload(actor=actor_of(request), target=target, file=file)
    return Status(201, _out(attachment))


@router.get(
    "/organisations/{org_id}/attachment-files/{attachment_id}", response={200: None, **READ}
)
def download_attachment(request: HttpRequest, org_id: int, attachment_id: int) -> FileResponse:
    """The file itself, with the download page's safe headers (attachment, nosniff, sandbox)."""
    a, _target = selectors.get_attachment(
        request.user, get_organisation(request.user, org_id), attachment_id
    )
    return file_response(a)


@router.delete(ONE, response={204: None, **WRITE})
def delete_attachment(request: HttpRequest, org_id: int, attachment_id: int) -> Status[None]:
    """The uploader (still a member) or an admin deletes a file."""
    a, target = selectors.get_attachment(
        request.user, get_organisation(request.user, org_id), attachment_id
    )
    services.delete(actor=actor_of(request), attachment=a, target=target)
    return Status(204, None)
