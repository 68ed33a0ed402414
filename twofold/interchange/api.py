"""API for calendar feeds (/api/organisations/{org}/feeds) and Microsoft Project import and
export (…/mspdi-imports, …/projects/{id}/mspdi): the same services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.selectors import get_organisation
from twofold.core import selectors as core_selectors
from twofold.core.api import job_out
from twofold.core.api_schemas import READ, WRITE, BodyIn, ErrorOut, JobOut
from twofold.core.errors import Conflict, Invalid, NotFound
from twofold.core.models import Job, JobStatus
from twofold.core.policy import Action
from twofold.core.services import enqueue_job
from twofold.core.web import actor_of
from twofold.interchange import mspdi_export, mspdi_import, org_archive, selectors, services
from twofold.interchange.models import CalendarFeed, MspdiUpload, UploadStatus
from twofold.interchange.org_views import zip_response
from twofold.interop.mspdi import MAX_BYTES
from twofold.projects.selectors import get_project

router = Router(tags=["calendar feeds"])


class FeedOut(Schema):
    id: int
    kind: Literal["person", "project"]
    project_id: int | None
    label: str
    prefix: str = Field(..., description="The first characters of the secret, to tell feeds apart.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class FeedCreatedOut(FeedOut):
    url: str = Field(..., description="The subscription URL. Shown once: only a hash is kept.")


class FeedIn(BodyIn):
    kind: Literal["person", "project"]
    project_id: StrictInt | None = Field(None, description="For a project feed.")


def _out(feed: CalendarFeed) -> dict[str, object]:
    return {
        "id": feed.pk,
        "kind": feed.kind,
        "project_id": feed.project_id,
        "label": feed.label,
        "prefix": feed.prefix,
        "created_at": feed.created_at,
        "last_used_at": feed.last_used_at,
        "revoked_at": feed.revoked_at,
    }


def feed_url(secret: str) -> str:
    from django.conf import settings

    return settings.TWOFOLD_BASE_URL + reverse("interchange:feed", args=[secret])


@router.get("/organisations/{org_id}/feeds", response={200: list[FeedOut], **READ})
def list_feeds(request: HttpRequest, org_id: int) -> list[dict[str, object]]:
    """Your calendar feeds in this organisation (without their secrets)."""
    org = get_organisation(request.user, org_id)
    return [_out(f) for f in selectors.feeds_of(request.user, org)]


@router.post("/organisations/{org_id}/feeds", response={201: FeedCreatedOut, **WRITE})
def create_feed(request: HttpRequest, org_id: int, payload: FeedIn) -> Status[dict[str, object]]:
    """A new iCalendar subscription URL: your work, or a project's milestones and gates."""
    org = get_organisation(request.user, org_id)
    project = None
    if payload.kind == "project" and payload.project_id is not None:
        project = get_project(request.user, org, payload.project_id)
    feed, secret = services.create_feed(
        actor=actor_of(request), organisation=org, kind=payload.kind, project=project
    )
    return Status(201, {**_out(feed), "url": feed_url(secret)})


@router.delete("/organisations/{org_id}/feeds/{pk}", response={204: None, **WRITE})
def revoke_feed(request: HttpRequest, org_id: int, pk: int) -> Status[None]:
    """Revoke a feed: its URL answers 404 from now on."""
    org = get_organisation(request.user, org_id)
    feed = selectors.get_feed(request.user, org, pk)
    services.revoke_feed(actor=actor_of(request), feed=feed)
    return Status(204, None)


# --------------------------------------------------------------------------------------------
# Microsoft Project (MSPDI) import and export: the same services as the pages.


class MspdiUploadOut(Schema):
    id: int
    file_name: str
    size: int
    status: Literal["previewing", "ready", "failed", "importing", "imported"]
    error: str
    guid: str
    project_id: int | None
    preview: dict[str, Any] | None = Field(
        None,
        description="Counts, tasks with Twofold's and the file's dates, calendars, resources "
        "with a suggested member, repairs, notes on what is not kept, and the changes an "
        "update of a matched project makes.",
    )
    job: JobOut | None = Field(None, description="The background job reading or importing it.")


class MspdiApplyIn(BodyIn):
    mode: Literal["new", "update"] = "new"
    name: StrictStr = Field("", max_length=160)
    code: StrictStr = Field("", max_length=20)
    resources: dict[str, StrictInt | None] = Field(
        default_factory=dict,
        description="File resource UID → member id to assign (null or left out: unassigned).",
    )


class MspdiAppliedOut(Schema):
    project_id: int | None
    job: JobOut | None


def _upload_out(upload: MspdiUpload, job: Job | None = None) -> dict[str, Any]:
    return {
        "id": upload.pk,
        "file_name": upload.file_name,
        "size": upload.size,
        "status": upload.status,
        "error": upload.error,
        "guid": upload.guid,
        "project_id": upload.project_id,
        "preview": upload.preview,
        "job": job_out(job) if job is not None else None,
    }


@router.post(
    "/organisations/{org_id}/mspdi-imports",
    response={201: MspdiUploadOut, 202: MspdiUploadOut, **WRITE},
    tags=["microsoft project"],
)
def upload_mspdi(
    request: HttpRequest, org_id: int, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """Upload an MSPDI (.xml) file (multipart ``file``): 201 with its preview, or 202 with the
    background job that reads a large one. Nothing is created until it is applied."""
    org = get_organisation(request.user, org_id)
    upload = mspdi_import.upload_mspdi(
        actor=actor_of(request),
        organisation=org,
        file_name=file.name or "project.xml",
        data=file.read(MAX_BYTES + 1),
    )
    if upload.status == UploadStatus.PREVIEWING:
        job = enqueue_job(actor=actor_of(request), kind=mspdi_import.PREVIEW_JOB, subject=upload)
        return Status(202, _upload_out(upload, job))
    return Status(201, _upload_out(upload))


@router.get(
    "/organisations/{org_id}/mspdi-imports/{pk}",
    response={200: MspdiUploadOut, **READ},
    tags=["microsoft project"],
)
def get_mspdi_upload(request: HttpRequest, org_id: int, pk: int) -> dict[str, Any]:
    """An upload of yours with its preview (only the person who uploaded it sees it)."""
    org = get_organisation(request.user, org_id)
    return _upload_out(selectors.get_upload(request.user, org, pk))


@router.post(
    "/organisations/{org_id}/mspdi-imports/{pk}/apply",
    response={201: MspdiAppliedOut, 202: MspdiAppliedOut, **WRITE},
    tags=["microsoft project"],
)
def apply_mspdi_upload(
    request: HttpRequest, org_id: int, pk: int, payload: MspdiApplyIn
) -> Status[dict[str, Any]]:
    """Create a project from the upload (``mode=new``) or update the project imported from a
    file with the same GUID (``mode=update``); all or nothing. 202 with a job for large files."""
    org = get_organisation(request.user, org_id)
    upload = selectors.get_upload(request.user, org, pk)
    if upload.status != UploadStatus.READY:
        raise Invalid(f"This upload is {upload.get_status_display().lower()}.", field="mode")
    resources: dict[int, int | None] = {}
    for key, value in payload.resources.items():
        if not (key.isascii() and key.isdigit()) or len(key) > 18:
            raise Invalid("Resource keys are the file's resource UIDs.", field="resources")
        resources[int(key)] = value
    if upload.size > mspdi_import.INLINE_BYTES:
        job = mspdi_import.queue_import(
            actor=actor_of(request),
            upload=upload,
            params={"mode": payload.mode, "name": payload.name, "code": payload.code},
            resources=resources,
        )
        return Status(202, {"project_id": None, "job": job_out(job)})
    project = mspdi_import.apply_upload(
        actor=actor_of(request),
        upload=upload,
        mode=payload.mode,
        name=payload.name,
        code=payload.code,
        resource_map=resources,
    )
    return Status(201, {"project_id": project.pk if project else None, "job": None})


@router.get(
    "/organisations/{org_id}/projects/{project_id}/mspdi",
    response={200: None, **READ},
    tags=["microsoft project"],
)
def export_project_mspdi(request: HttpRequest, org_id: int, project_id: int) -> HttpResponse:
    """The project as a Microsoft Project XML (MSPDI) file (``application/xml``)."""
    project = get_project(request.user, get_organisation(request.user, org_id), project_id)
    response = HttpResponse(mspdi_export.export_mspdi(project), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{mspdi_export.file_name(project)}"'
    return response


# --- organisation export and import -----------------------------------------------------------


class OrgImportOut(Schema):
    organisation_id: int
    name: str
    slug: str
    rows: int = Field(..., description="Rows created, all models together.")
    counts: dict[str, int] = Field(..., description="Rows created per model (app.Model).")
    files: int
    people_invited: int = Field(
        0,
        description="The archive's members (but you): invited in their role, they join when "
        "they accept (GET /api/me/invitations; someone without an account first chooses a "
        "password through the sign-in page's password reset). Whether an address had an "
        "account here is not told.",
    )


@router.post(
    "/organisations/{org_id}/export",
    response={200: None, 202: JobOut, **WRITE},
    tags=["organisation export"],
)
def export_organisation(
    request: HttpRequest, org_id: int, background: bool = False
) -> HttpResponse | Status[JobOut]:
    """Export the organisation (owners): 200 with the ZIP for an organisation of up to
    20,000 rows, else (or with ``background=true``) 202 with the job that writes it; fetch it
    from ``/exports/{job_id}/archive`` when the job succeeded."""
    org = get_organisation(request.user, org_id)
    org_archive.require_export(actor_of(request), org)
    if not background and org_archive.count_rows(org) <= org_archive.INLINE_ROWS:
        return zip_response(org_archive.export_bytes(org), org_archive.export_file_name(org))
    job = enqueue_job(
        actor=actor_of(request), kind=org_archive.EXPORT_JOB, subject=org, action=Action.OWN
    )
    return Status(202, job_out(job))


@router.get(
    "/organisations/{org_id}/exports/{job_id}/archive",
    response={200: None, 403: ErrorOut, 409: ErrorOut, **READ},
    tags=["organisation export"],
)
def export_archive(request: HttpRequest, org_id: int, job_id: int) -> HttpResponseBase:
    """The ZIP written by a finished export job (owners); 409 while the job has not succeeded."""
    org = get_organisation(request.user, org_id)
    job = core_selectors.get_job(
        request.user, org, job_id, subject=org, kind=org_archive.EXPORT_JOB
    )
    org_archive.require_export(actor_of(request), org)
    name = (job.result or {}).get("file") if job.status == JobStatus.SUCCEEDED else None
    if not name:
        raise Conflict(f"The export is {job.get_status_display().lower()}, not ready.")
    if not default_storage.exists(name):
        raise NotFound("The export's file was removed.")
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=str((job.result or {}).get("file_name") or "organisation.zip"),
        content_type="application/zip",
    )


@router.post(
    "/organisation-imports",
    response={201: OrgImportOut, **WRITE},
    tags=["organisation export"],
)
def import_organisation(
    request: HttpRequest, file: File[UploadedFile], name: Form[str] = ""
) -> Status[dict[str, Any]]:
    """Create a new organisation from an export (multipart ``file``, optional ``name``); you
    become its owner. All or nothing: a refused archive answers 422 on ``file``."""
    result = org_archive.import_organisation(actor=actor_of(request), source=file, name=name)
    org = result.organisation
    return Status(
        201,
        {
            "organisation_id": org.pk,
            "name": org.name,
            "slug": org.slug,
            "rows": sum(result.counts.values()),
            "counts": result.counts,
            "files": result.files,
            "people_invited": result.people_invited,
        },
    )
