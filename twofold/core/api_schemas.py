"""Error schemas every API router declares, so the OpenAPI document lists each status."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class FieldErrorOut(Schema):
    field: str | None
    message: str


class ValidationErrorOut(ErrorOut):
    errors: list[FieldErrorOut] = []


# Statuses a read can answer, and a write (400 malformed, 403 role, 409 stale, 413 too large,
# 422 invalid); spread into ``response=`` next to the success status.
READ = {401: ErrorOut, 404: ErrorOut}
WRITE = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ValidationErrorOut,
}


class JobOut(Schema):
    """A background job: poll ``url`` until ``status`` is succeeded, failed or cancelled."""

    id: int
    kind: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float = Field(..., description="0 to 1.")
    message: str = Field(..., description="What the job is doing, e.g. the best result so far.")
    cancel_requested: bool
    result: Any = Field(None, description="Set when it ended; a cancelled job may have one too.")
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    url: str = Field(..., description="This job in the API.")
