"""Error schemas every API router declares, so the OpenAPI document lists each status."""

from __future__ import annotations

from ninja import Schema


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
