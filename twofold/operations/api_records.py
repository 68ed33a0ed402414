"""API for records an auditor reads: correct and void KPI values, import a CSV file of values,
upload and list routine evidence files. The same services and permission rules as the pages
(guests read; members record, correct and upload); a stale ``version`` answers 409."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import StrictBool, StrictInt, StrictStr

from twofold.core.api_schemas import READ, WRITE, BodyIn, ErrorOut
from twofold.core.errors import Invalid
from twofold.core.web import actor_of
from twofold.operations import corrections, evidence_files, selectors, services
from twofold.operations.api import (
    MeasurementOut,
    MeasurementsErrorOut,
    Number,
    measurement_out,
    rows_refused,
)
from twofold.operations.forms import MAX_CSV_BYTES
from twofold.operations.models import StepEvidence

router = Router(tags=["operations: records"])
REFUSED = {**WRITE, 422: MeasurementsErrorOut}


class MeasurementCorrectIn(BodyIn):
    version: StrictInt
    value: Number
    reason: StrictStr = Field(..., max_length=300, description="Why; kept with the value.")
    confirm: StrictBool = Field(
        False, description="Save a value that looks wrong anyway (else 422 with `warnings`)."
    )


class MeasurementVoidIn(BodyIn):
    version: StrictInt
    reason: StrictStr = Field(..., max_length=300, description="Why the value does not count.")


class EvidenceFileOut(Schema):
    id: int
    occurrence_id: int
    step_id: int
    step: str
    note: str
    number: float | None
    passed: bool | None
    file_name: str = Field(..., description="The name it was uploaded with ('' for no file).")
    content_type: str
    size: int
    uploaded_by_id: int | None
    uploaded_at: dt.datetime | None
    download_url: str | None = Field(
        None, description="Served with safe headers (attachment, nosniff, sandbox)."
    )


class StagedFileOut(EvidenceFileOut):
    occurrence_version: int = Field(
        ..., description="The occurrence's version after the upload: complete it with this."
    )


def _evidence_out(e: StepEvidence) -> EvidenceFileOut:
    has_file = bool(e.file)
    return EvidenceFileOut(
        id=e.pk,
        occurrence_id=e.occurrence_id,
        step_id=e.step_id,
        step=e.step.text,
        note=e.note,
        number=e.number,
        passed=e.passed,
        file_name=e.file_label if has_file else "",
        content_type=e.served_type if has_file else "",
        size=(e.size or 0) if has_file else 0,
        uploaded_by_id=e.uploaded_by_id,
        uploaded_at=e.uploaded_at,
        download_url=reverse("operations:evidence_file", args=[e.pk]) if has_file else None,
    )


@router.get("/measurements/{pk}", response={200: MeasurementOut, **READ})
def get_measurement(request: HttpRequest, pk: int) -> MeasurementOut:
    return measurement_out(selectors.get_measurement(request.user, pk))


@router.post(
    "/measurements/{pk}/correct",
    response={200: MeasurementOut, **REFUSED},
    summary="Correct a value (a voided one is restored); the original stays in the history",
)
def correct_measurement(request: HttpRequest, pk: int, payload: MeasurementCorrectIn) -> Any:
    m = selectors.get_measurement(request.user, pk)
    try:
        corrections.correct_measurement(
            actor=actor_of(request),
            measurement=m,
            value=payload.value,
            reason=payload.reason,
            expected_version=payload.version,
            confirmed=payload.confirm,
        )
    except services.MeasurementsImplausible as exc:
        return rows_refused(exc)
    return measurement_out(m)


@router.post(
    "/measurements/{pk}/void",
    response={200: MeasurementOut, **WRITE},
    summary="Void a value: kept and shown, left out of the chart's limits and the status",
)
def void_measurement(request: HttpRequest, pk: int, payload: MeasurementVoidIn) -> MeasurementOut:
    m = selectors.get_measurement(request.user, pk)
    corrections.void_measurement(
        actor=actor_of(request),
        measurement=m,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return measurement_out(m)


@router.post(
    "/kpis/{pk}/measurements/csv",
    response={201: list[MeasurementOut], **REFUSED},
    summary="Import a CSV file (date,value[,note]): every row checked first, all saved or none",
)
def import_measurements_csv(
    request: HttpRequest,
    pk: int,
    file: File[UploadedFile],
    confirm: Form[bool] = False,
) -> Any:
    """422 lists every bad row (``errors``) and every row that looks wrong (``warnings``);
    resend with ``confirm=true`` to import rows that only look wrong."""
    kpi = selectors.get_kpi(request.user, pk)
    if file.size is not None and file.size > MAX_CSV_BYTES:
        raise Invalid("The file is larger than 5 MB.", field="file")
    try:
        saved = services.import_measurements_csv(
            actor=actor_of(request), kpi=kpi, data=file.read(), confirmed=confirm
        )
    except (services.MeasurementsInvalid, services.MeasurementsImplausible) as exc:
        return rows_refused(exc)
    return Status(201, [measurement_out(m) for m in saved])


@router.get("/occurrences/{pk}/evidence", response={200: list[EvidenceFileOut], **READ})
def list_evidence(request: HttpRequest, pk: int) -> list[EvidenceFileOut]:
    """What was recorded for each step, with a download link for files."""
    occurrence = selectors.get_occurrence(request.user, pk)
    return [_evidence_out(e) for e in selectors.evidence_of(occurrence)]


@router.post(
    "/occurrences/{pk}/steps/{step_id}/file",
    response={201: StagedFileOut, **WRITE, 413: ErrorOut},
    summary="Upload the file of a file step (multipart), before completing the occurrence",
)
def upload_step_file(
    request: HttpRequest,
    pk: int,
    step_id: int,
    file: File[UploadedFile],
    version: Form[int | None] = None,
) -> Status[StagedFileOut]:
    """The file is checked like an attachment: at most 10 MB, an allowed type, content that
    matches the extension. Completing the occurrence then needs no file for that step.

    The upload moves the occurrence's version (``occurrence_version`` in the answer: complete
    with it). ``version`` (a form field) is the occurrence's version you read: if someone has
    uploaded or completed since, the answer is 409 and nothing is replaced. Without it the
    last upload wins."""
    occurrence = selectors.get_occurrence(request.user, pk)
    step = selectors.get_step(occurrence, step_id)
    row = evidence_files.upload_step_file(
        actor=actor_of(request),
        occurrence=occurrence,
        step=step,
        file=file,
        expected_version=version,
    )
    out = _evidence_out(row)
    return Status(201, StagedFileOut(**out.model_dump(), occurrence_version=occurrence.version))
