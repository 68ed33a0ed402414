"""Background jobs of interchange: previewing and importing large MSPDI files, importing large
spreadsheets, exporting an organisation (registered in ``InterchangeConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from twofold.core.errors import NotFound
from twofold.core.jobs import JobKind, Progress
from twofold.core.models import Job
from twofold.interchange import mspdi_import, org_archive, sheet_import
from twofold.interchange.models import MspdiUpload, SheetUpload, UploadStatus


def _upload(job: Job) -> MspdiUpload:
    upload = (
        MspdiUpload.objects.select_related("organisation", "owner")
        .filter(pk=job.subject_id)
        .first()
    )
    if upload is None:
        raise NotFound("The uploaded file is gone.")
    return upload


def run_preview(job: Job, progress: Progress) -> dict[str, Any] | None:
    result = mspdi_import.preview_upload(_upload(job), progress)
    return result if result is not None else {"stopped_early": True}


def run_import(job: Job, progress: Progress) -> dict[str, Any]:
    # The upload stays "importing" when the run stops early or fails: the job's end puts it
    # back to "ready" (``import_abandoned``), unless the run is given back to the queue.
    upload = _upload(job)
    params = job.params
    project = mspdi_import.apply_upload(
        actor=job.owner,
        upload=upload,
        mode=str(params.get("mode", "new")),
        name=str(params.get("name", "")),
        code=str(params.get("code", "")),
        resource_map={int(k): v for k, v in (params.get("resources") or {}).items()},
        progress=progress,
    )
    if project is None:
        return {"stopped_early": True}
    return {"project_id": project.pk}


def import_abandoned(job: Job) -> None:
    """The import job ended without importing (cancelled, queued or running; failed; its
    worker gone): the file may be imported again. An upload imported meanwhile stays so."""
    MspdiUpload.objects.filter(pk=job.subject_id, status=UploadStatus.IMPORTING).update(
        status=UploadStatus.READY
    )


def import_repeatable(job: Job) -> bool:
    """A cut-off import runs again only while its upload is still "importing": the import's
    transaction marks it "imported" with everything it creates, so it did not commit."""
    return MspdiUpload.objects.filter(pk=job.subject_id, status=UploadStatus.IMPORTING).exists()


PREVIEW_ABANDONED = (
    "Reading this file stopped before the end (it was cancelled, or the background worker "
    "stopped). Nothing was created: upload the file again to import it."
)


def preview_abandoned(job: Job) -> None:
    """The preview job ended without a preview: the upload no longer says "reading" for ever."""
    MspdiUpload.objects.filter(pk=job.subject_id, status=UploadStatus.PREVIEWING).update(
        status=UploadStatus.FAILED, error=PREVIEW_ABANDONED
    )


def preview_repeatable(job: Job) -> bool:
    """Reading the file again is harmless while no preview was stored (once it is, the upload
    is "ready" and may be importing: a second preview would set it "ready" again)."""
    return MspdiUpload.objects.filter(pk=job.subject_id, status=UploadStatus.PREVIEWING).exists()


def page_url(job: Job) -> str:
    return f"{reverse('interchange:mspdi_upload', args=[job.subject_id])}?job={job.pk}"


PREVIEW = JobKind(
    name=mspdi_import.PREVIEW_JOB,
    label="Read a Microsoft Project file",
    run=run_preview,
    page_url=page_url,
    repeatable=preview_repeatable,
    on_abandoned=preview_abandoned,
)
IMPORT = JobKind(
    name=mspdi_import.IMPORT_JOB,
    label="Import a Microsoft Project file",
    run=run_import,
    page_url=page_url,
    repeatable=import_repeatable,
    on_abandoned=import_abandoned,
)


def run_organisation_export(job: Job, progress: Progress) -> dict[str, Any] | None:
    from twofold.accounts.models import Organisation

    organisation = Organisation.objects.filter(pk=job.subject_id).first()
    if organisation is None:
        raise NotFound("The organisation is gone.")
    result = org_archive.export_to_storage(organisation, progress)
    return result if result is not None else {"stopped_early": True}


ORGANISATION_EXPORT = JobKind(
    name=org_archive.EXPORT_JOB,
    label="Export the organisation",
    run=run_organisation_export,
    page_url=lambda job: f"{reverse('interchange:org_transfer')}?job={job.pk}",
    # A file written by a cut-off run is left behind unnamed by any job; the next run writes
    # a new one.
    repeatable=True,
)


def run_sheet_import(job: Job, progress: Progress) -> dict[str, Any]:
    upload = (
        SheetUpload.objects.select_related("organisation", "owner", "project")
        .filter(pk=job.subject_id)
        .first()
    )
    if upload is None:
        raise NotFound("The uploaded file is gone.")
    params = job.params
    project = sheet_import.import_upload(
        actor=job.owner,
        upload=upload,
        mapping=sheet_import.clean_mapping(upload, dict(params.get("mapping") or {})),
        name=str(params.get("name", "")),
        code=str(params.get("code", "")),
        progress=progress,
    )
    if project is None:
        return {"stopped_early": True}
    upload.refresh_from_db(fields=["created_count"])
    return {"project_id": project.pk, "created": upload.created_count}


def sheet_import_repeatable(job: Job) -> bool:
    """Only while the upload is not imported: the import's transaction stamps ``applied_at``
    with everything it creates, so it did not commit."""
    return SheetUpload.objects.filter(pk=job.subject_id, applied_at__isnull=True).exists()


SHEET_IMPORT = JobKind(
    name=sheet_import.IMPORT_JOB,
    label="Import tasks from a spreadsheet",
    run=run_sheet_import,
    page_url=lambda job: f"{reverse('interchange:sheet', args=[job.subject_id])}?job={job.pk}",
    repeatable=sheet_import_repeatable,
)
