"""The background job of quality: the audit trail export of a large range (``QualityConfig``).

The ZIP is written under ``VAR_DIR/exports/`` (not the public media folder); the download view
hands it only to people who may see the job and its process.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse

from twofold.core.errors import NotFound
from twofold.core.jobs import JobKind, Progress
from twofold.core.models import Job
from twofold.operations.models import Process
from twofold.quality import audit

AUDIT_JOB = "quality.audit_export"


def export_dir() -> Path:
    return Path(settings.VAR_DIR) / "exports"


def export_path(job: Job) -> Path:
    return export_dir() / f"audit-{job.organisation_id}-{job.pk}.zip"


def run(job: Job, progress: Progress) -> dict[str, Any]:
    process = (
        Process.objects.select_related("organisation")
        .filter(pk=job.subject_id, organisation_id=job.organisation_id)
        .first()
    )
    if process is None:
        raise NotFound("The process of this export no longer exists.")
    scope = audit.AuditScope(
        process,
        dt.date.fromisoformat(job.params["start"]),
        dt.date.fromisoformat(job.params["end"]),
    )
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    try:
        with partial.open("wb") as target:
            counts = audit.write_zip(scope, target, by=job.owner, progress=progress)
    except audit.ExportCancelled:
        partial.unlink(missing_ok=True)
        return {"stopped_early": True}
    partial.replace(path)
    return {"file_name": scope.file_name, "size": path.stat().st_size, "counts": counts}


def page_url(job: Job) -> str:
    return f"{reverse('quality:audit', args=[job.subject_id])}?job={job.pk}"


AUDIT_EXPORT = JobKind(
    name=AUDIT_JOB,
    label="Audit trail export",
    run=run,
    page_url=page_url,
    repeatable=True,  # the job's own file, written aside and moved into place at the end
)
