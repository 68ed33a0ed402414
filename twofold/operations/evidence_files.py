"""Evidence files on routine occurrences: checked like attachments, stored under a random name.

A file step's file arrives with the completion (the page's checklist) or ahead of it, on its own
(``upload_step_file``: the API's multipart upload, e.g. from a phone at the machine). Ahead of
completion it is kept on the occurrence as the step's evidence ("staged") and completing the
occurrence uses it unless another file is given. A completed occurrence's evidence stays as
recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Invalid
from twofold.core.policy import Action, require
from twofold.core.uploads import (
    SERVED_AS,
    check_file,
    clean_name,
    discard,
    extension_of,
    read_head,
    save_upload,
)
from twofold.operations.models import (
    Evidence,
    Occurrence,
    OccurrenceStatus,
    RoutineStep,
    StepEvidence,
)

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


def size_limit() -> int:
    """Evidence files: 10 MB, or the whole request's limit if that is lower."""
    return min(MAX_EVIDENCE_BYTES, int(settings.TWOFOLD_MAX_REQUEST_BYTES))


@dataclasses.dataclass(frozen=True)
class CheckedFile:
    name: str
    ext: str
    content_type: str
    size: int


def check_upload(upload: UploadedFile[Any], field: str) -> CheckedFile:
    """Size (the limit is stated), type and content that matches the extension; else Invalid."""
    name = clean_name(upload.name or "")
    size = int(upload.size or 0)
    if size > size_limit():  # before reading a byte of it
        check_file(name, size, b"", limit=size_limit(), field=field)
    ext = check_file(name, size, read_head(upload), limit=size_limit(), field=field)
    return CheckedFile(name, ext, SERVED_AS[ext], size)


def describe(row: StepEvidence, checked: CheckedFile) -> None:
    row.original_name = checked.name
    row.content_type = checked.content_type
    row.size = checked.size


def attach(row: StepEvidence, upload: Any, actor: User) -> str:
    """Store the checked ``upload`` of ``row`` under a random name now (the row is saved by the
    caller); a full disk raises StorageFull (507) with the partial file removed. The name."""
    field = row.file.field
    wanted = field.generate_filename(
        row, f"{secrets.token_hex(16)}{extension_of(row.original_name)}"
    )
    row.file.name = save_upload(row.file.storage, wanted, upload, max_length=field.max_length)
    row.file._committed = True  # type: ignore[attr-defined]  # as FieldFile.save does
    row.uploaded_by = actor
    row.uploaded_at = timezone.now()
    return str(row.file.name)


def staged_files(occurrence: Occurrence) -> dict[int, StepEvidence]:
    """Files uploaded ahead of completion, by step id."""
    return {
        e.step_id: e for e in StepEvidence.objects.filter(occurrence=occurrence).exclude(file="")
    }


def with_staged(occurrence: Occurrence, evidence: Mapping[int, Any]) -> dict[int, Any]:
    """``evidence`` (step id → StepInput) with ``staged`` set for steps that have a file already."""
    merged = dict(evidence)
    for step_id, row in staged_files(occurrence).items():
        given = merged.get(step_id)
        if given is None:
            from twofold.operations.services import StepInput  # a cycle at import time

            given = StepInput()
        merged[step_id] = dataclasses.replace(given, staged=row.pk)
    return merged


@contextlib.contextmanager
def discarded_on_error() -> Iterator[list[str]]:
    """Names of files stored inside the block (append them): if the block raises, they are
    deleted, as the rows naming them roll back. Around the service's transaction, a failure at
    its commit too. (A failure after the files were written, a history line or a
    nonconformance that could not be made, left them on disk, named by no row.)"""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            discard(StepEvidence.file.field.storage, name)
        raise


def save_rows(
    occurrence: Occurrence, rows: list[StepEvidence], actor: User, stored: list[str]
) -> None:
    """Save the evidence of a completion: new files stored under random names (appended to
    ``stored``, of :func:`discarded_on_error`), staged files kept (or replaced by a new one, the
    old file removed after commit)."""
    staged = staged_files(occurrence)
    gone: list[str] = []
    for row in rows:
        row.organisation_id = occurrence.organisation_id
        row.occurrence = occurrence
        before = staged.pop(row.step_id, None)
        if row.file and not getattr(row.file, "_committed", True):
            stored.append(attach(row, row.file.file, actor))
            if before is not None:
                gone.append(str(before.file.name))
        elif before is not None:
            for name in ("file", "original_name", "content_type", "size"):
                setattr(row, name, getattr(before, name))
            row.uploaded_by_id, row.uploaded_at = before.uploaded_by_id, before.uploaded_at
        if before is not None:
            before.delete()
        row.save()
    if gone:
        # Robust: a file that cannot be removed after the commit is logged, never an error that
        # would make ``discarded_on_error`` delete the new file the committed row names.
        transaction.on_commit(lambda: _remove(gone), robust=True)


def _remove(paths: list[str]) -> None:
    for path in paths:
        default_storage.delete(path)


def upload_step_file(
    *,
    actor: User,
    occurrence: Occurrence,
    step: RoutineStep,
    file: UploadedFile[Any],
    expected_version: int | None = None,
) -> StepEvidence:
    """Add (or replace, before completion) the file of one file step of an occurrence.

    The upload moves the occurrence's version: a completion (or another upload) from a page or
    client that read the occurrence before it is a Conflict, not a completion with a file its
    author never saw (or a replaced file nobody chose). ``expected_version`` is the version the
    uploader read (``None``: last upload wins, as a background job would)."""
    with discarded_on_error() as stored, transaction.atomic():
        return _upload(actor, occurrence, step, file, expected_version, stored)


def _upload(
    actor: User,
    occurrence: Occurrence,
    step: RoutineStep,
    file: UploadedFile[Any],
    expected_version: int | None,
    stored: list[str],
) -> StepEvidence:
    require(actor, Action.CONTRIBUTE, occurrence)
    field = f"step_{step.pk}"
    if step.routine_id != occurrence.routine_id or step.retired:
        raise Invalid(f"Step {step.pk} is not part of this routine.", field="step_id")
    if step.evidence != Evidence.FILE:
        raise Invalid(f"“{step.text}” does not take a file.", field="step_id")
    # Read again under a row lock: a page opened before the completion still holds "open"
    # (a stale upload replaced the completed evidence's file and deleted the recorded one).
    status = (
        Occurrence.objects.select_for_update()
        .filter(pk=occurrence.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status == OccurrenceStatus.DONE or occurrence.status == OccurrenceStatus.DONE:
        raise Invalid(
            "This occurrence is completed: its evidence stays as it was recorded.", field=field
        )
    checked = check_upload(file, field)
    save_versioned(occurrence, expected_version=expected_version, fields=[])
    row = StepEvidence.objects.filter(occurrence=occurrence, step=step).first()
    old = str(row.file.name) if row is not None and row.file else ""
    if row is None:
        row = StepEvidence(organisation_id=occurrence.organisation_id, occurrence=occurrence)
        row.step = step
    describe(row, checked)
    stored.append(attach(row, file, actor))
    row.save()
    history.record(
        actor=actor,
        obj=occurrence,
        action="evidence file added",
        changes={"evidence": [None, checked.name]},
        summary=f"“{step.text}”: uploaded {checked.name}"
        + (" (replacing the earlier file)" if old else ""),
    )
    if old:
        transaction.on_commit(lambda: default_storage.delete(old), robust=True)
    return row
