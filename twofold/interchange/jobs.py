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
    upload = _upload(job)
    params = job.params
    try:
        project = mspdi_import.apply_upload(
            actor=job.owner,
            upload=upload,
            mode=str(params.get("mode", "new")),
            name=str(params.get("name", "")),
            code=str(params.get("code", "")),
            resource_map={int(k): v for k, v in (params.get("resources") or {}).items()},
            progress=progress,
        )
    except Exception:
        MspdiUpload.objects.filter(pk=upload.pk, status=UploadStatus.IMPORTING).update(
            status=UploadStatus.READY
        )
        raise
    if project is None:
        MspdiUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.READY)
        return {"stopped_early": True}
    return {"project_id": project.pk}


def page_url(job: Job) -> str:
    return f"{reverse('interchange:mspdi_upload', args=[job.subject_id])}?job={job.pk}"


PREVIEW = JobKind(
    name=mspdi_import.PREVIEW_JOB,
    label="Read a Microsoft Project file",
    run=run_preview,
    page_url=page_url,
)
IMPORT = JobKind(
    name=mspdi_import.IMPORT_JOB,
    label="Import a Microsoft Project file",
    run=run_import,
    page_url=page_url,
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


SHEET_IMPORT = JobKind(
    name=sheet_import.IMPORT_JOB,
    label="Import tasks from a spreadsheet",
    run=run_sheet_import,
    page_url=lambda job: f"{reverse('interchange:sheet', args=[job.subject_id])}?job={job.pk}",
)
