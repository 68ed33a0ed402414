"""API for spreadsheet task import (…/sheet-imports) and the history export (…/history/export):
the same services and rules as the pages."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts.selectors import get_organisation
from twofold.core.api import job_out
from twofold.core.api_schemas import READ, WRITE, BodyIn, JobOut, ObjectId
from twofold.core.errors import Invalid
from twofold.core.web import actor_of
from twofold.interchange import exports, selectors, sheet_import
from twofold.interchange.models import SheetUpload
from twofold.interop import sheet_tasks
from twofold.projects.selectors import get_project

router = Router(tags=["spreadsheet import"])

TargetName = Literal[
    "id", "name", "wbs", "level", "duration", "start", "finish", "predecessors", "assignee", "notes"
]


class SheetRowErrorOut(Schema):
    row: int = Field(..., description="The row number as the spreadsheet shows it (0: the file).")
    column: str = Field(..., description="The task field whose column holds the problem.")
    message: str


class SheetPreviewRowOut(Schema):
    row: int
    id: str
    name: str
    level: int
    duration_days: float | None
    milestone: bool
    start: str | None
    finish: str | None
    predecessors: str
    assignee: str


class SheetCheckOut(Schema):
    ok: bool
    task_count: int
    error_count: int
    errors: list[SheetRowErrorOut] = Field(..., description="The first 1,000 problems, by row.")
    rows: list[SheetPreviewRowOut] = Field(..., description="The first 200 rows as tasks.")


class SheetUploadOut(Schema):
    id: int
    file_name: str
    size: int
    columns: list[str]
    mapping: dict[str, int | None] = Field(
        ..., description="Task field → column index (0-based) in `columns`, or null."
    )
    row_count: int
    project_id: int | None = Field(..., description="The project the tasks go into; null: new.")
    imported_project_id: int | None
    created_count: int
    check: SheetCheckOut | None = Field(None, description="Every row checked under `mapping`.")


class SheetMappingIn(BodyIn):
    mapping: dict[TargetName, StrictInt | None] = Field(
        ..., description="Task field → column index (0-based), or null for none."
    )


class SheetApplyIn(BodyIn):
    mapping: dict[TargetName, StrictInt | None] | None = Field(
        None, description="Left out: the mapping last saved (guessed from the header at upload)."
    )
    name: StrictStr = Field("", max_length=160, description="A new project's name.")
    code: StrictStr = Field("", max_length=20, description="A new project's code.")


class SheetAppliedOut(Schema):
    project_id: int
    created: int


class SheetQueuedOut(Schema):
    job: JobOut = Field(
        ...,
        description="The background job importing a large file; its result has `project_id` "
        "and `created` when it succeeded.",
    )


def _check_out(checked: sheet_import.Checked) -> dict[str, Any]:
    rows = sheet_import.preview_rows(checked)
    for row in rows:
        row["start"] = sheet_import.date_text(row["start"]) or None
        row["finish"] = sheet_import.date_text(row["finish"]) or None
    return {
        "ok": checked.ok,
        "task_count": len(checked.tasks),
        "error_count": checked.error_count,
        "errors": [
            {"row": e.row, "column": e.column, "message": e.message} for e in checked.errors
        ],
        "rows": rows,
    }


def _out(upload: SheetUpload, checked: sheet_import.Checked | None = None) -> dict[str, Any]:
    return {
        "id": upload.pk,
        "file_name": upload.file_name,
        "size": upload.size,
        "columns": upload.columns,
        "mapping": upload.mapping,
        "row_count": upload.row_count,
        "project_id": upload.project_id,
        "imported_project_id": upload.imported_project_id,
        "created_count": upload.created_count,
        "check": _check_out(checked) if checked is not None else None,
    }


def _checked(upload: SheetUpload) -> sheet_import.Checked | None:
    if upload.applied_at is not None:
        return None
    return sheet_import.check_upload(upload, upload.mapping)


@router.post("/organisations/{org_id}/sheet-imports", response={201: SheetUploadOut, **WRITE})
def upload_sheet(
    request: HttpRequest,
    org_id: int,
    file: File[UploadedFile],
    project_id: Form[int | None] = None,
) -> Status[dict[str, Any]]:
    """Upload a task list (multipart ``file``: .xlsx or .csv; ``project_id`` to append to a
    project, left out for a new project). 201 with the columns, the guessed mapping and every
    row checked under it. Nothing is created until it is applied."""
    org = get_organisation(request.user, org_id)
    project = get_project(request.user, org, project_id) if project_id is not None else None
    if (file.size or 0) > sheet_tasks.MAX_BYTES:
        raise Invalid(
            f"The file is larger than {sheet_tasks.MAX_BYTES // 2**20} MiB.", field="file"
        )
    upload = sheet_import.upload_sheet(
        actor=actor_of(request),
        organisation=org,
        file_name=file.name or "tasks.csv",
        data=file.read(sheet_tasks.MAX_BYTES + 1),
        project=project,
    )
    return Status(201, _out(upload, _checked(upload)))


@router.get("/organisations/{org_id}/sheet-imports/{pk}", response={200: SheetUploadOut, **READ})
def get_sheet_upload(request: HttpRequest, org_id: int, pk: int) -> dict[str, Any]:
    """An upload of yours, checked under its saved mapping (only its uploader sees it)."""
    upload = selectors.get_sheet_upload(request.user, get_organisation(request.user, org_id), pk)
    return _out(upload, _checked(upload))


@router.post(
    "/organisations/{org_id}/sheet-imports/{pk}/check", response={200: SheetUploadOut, **WRITE}
)
def check_sheet_upload(
    request: HttpRequest, org_id: int, pk: int, payload: SheetMappingIn
) -> dict[str, Any]:
    """Save a column mapping and check every row under it (nothing is created)."""
    upload = selectors.get_sheet_upload(request.user, get_organisation(request.user, org_id), pk)
    if upload.applied_at is not None:
        raise Invalid("This file was already imported.", field="mapping")
    mapping = sheet_import.clean_mapping(upload, {str(k): v for k, v in payload.mapping.items()})
    sheet_import.save_mapping(actor=actor_of(request), upload=upload, mapping=mapping)
    return _out(upload, sheet_import.check_upload(upload, mapping))


@router.post(
    "/organisations/{org_id}/sheet-imports/{pk}/apply",
    response={201: SheetAppliedOut, 202: SheetQueuedOut, **WRITE},
)
def apply_sheet_upload(
    request: HttpRequest, org_id: int, pk: int, payload: SheetApplyIn
) -> Status[dict[str, Any]]:
    """Import every row (all or nothing). 422 lists each bad row as ``errors`` (field
    ``row N, Column``); nothing is created then. A file of more rows than the instance imports
    in a request (``TWOFOLD_SHEET_INLINE_ROWS``, 2,000 by default) answers 202 with the
    background job that imports it (its result names the project; a failed job's error lists
    the first bad row)."""
    upload = selectors.get_sheet_upload(request.user, get_organisation(request.user, org_id), pk)
    raw = (
        {str(k): v for k, v in payload.mapping.items()}
        if payload.mapping is not None
        else upload.mapping
    )
    mapping = sheet_import.clean_mapping(upload, raw)
    if sheet_import.runs_in_background(upload) and upload.applied_at is None:
        job = sheet_import.queue_import(
            actor=actor_of(request),
            upload=upload,
            mapping=mapping,
            name=payload.name,
            code=payload.code,
        )
        return Status(202, {"job": job_out(job)})
    try:
        project = sheet_import.import_upload(
            actor=actor_of(request),
            upload=upload,
            mapping=mapping,
            name=payload.name,
            code=payload.code,
        )
    except sheet_import.SheetInvalid as exc:
        return Status(
            422,
            {
                "detail": exc.message,
                "field": "file",
                "errors": [
                    {
                        "field": f"row {e.row}, {e.column}" if e.row else e.column,
                        "message": e.message,
                    }
                    for e in exc.errors
                ],
            },
        )
    assert project is not None  # no progress callback: never cancelled
    return Status(201, {"project_id": project.pk, "created": upload.created_count})


@router.get(
    "/organisations/{org_id}/history/export", response={200: None, **READ}, tags=["history"]
)
def export_history(
    request: HttpRequest,
    org_id: int,
    format: Query[Literal["csv", "xlsx"]] = "csv",
    project_id: Query[ObjectId | None] = None,
) -> HttpResponse:
    """The history as CSV or XLSX: the organisation's (as its activity page shows it), or one
    project's with ``project_id``. Formula-like text is neutralised, times are local; amounts
    only for those who see the money (as the activity feed)."""
    org = get_organisation(request.user, org_id)
    if project_id is not None:
        project = get_project(request.user, org, project_id)
        sheet = exports.history_sheet(org, project.pk, viewer=request.user)
        return exports.spreadsheet_response(sheet, format, f"{project.code}-history")
    sheet = exports.history_sheet(org, viewer=request.user)
    return exports.spreadsheet_response(sheet, format, "history")
