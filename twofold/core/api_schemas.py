"""Error schemas every API router declares, so the OpenAPI document lists each status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import model_validator


class BodyIn(Schema):
    """A JSON-object request body. ninja's ``Schema`` reads attributes off whatever it is given,
    so without this an array, a number or a string body would pass as an object whose fields
    all take their defaults (or, for a string, its methods: ``"x".title``)."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        given = value._obj if isinstance(value, DjangoGetter) else value
        if isinstance(given, list | str | bytes | int | float | bool) or given is None:
            raise ValueError("the request body must be a JSON object")
        return value


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class ConflictOut(ErrorOut):
    """A stale write (409): ``current`` is the object as GET answers now, with its version."""

    current: Any = Field(
        None,
        description="The object as GET answers it now (with its current `version`); "
        "null when it is gone or the conflict is not about a version.",
    )


class FieldErrorOut(Schema):
    field: str | None
    message: str


class ValidationErrorOut(ErrorOut):
    errors: list[FieldErrorOut] = []


# Statuses a read can answer, and a write (400 malformed, 403 role, 409 stale, 413 too large,
# 422 invalid); spread into ``response=`` next to the success status.
ObjectId = Annotated[int, Field(ge=1, le=2**63 - 1)]
"""A row's id as a query parameter: a number no id column holds is a 422 naming it (the database
refused one beyond 64 bits: a 500)."""

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
