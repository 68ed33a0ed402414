"""Errors that services raise and every view (HTML or API) turns into the right answer."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    INVALID = "invalid"


class ServiceError(Exception):
    """Base class: ``code`` says which HTTP status it maps to, ``message`` is for people."""

    code: ErrorCode = ErrorCode.INVALID
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    """The object does not exist *or the user may not see it*: both answer 404."""

    code = ErrorCode.NOT_FOUND
    status = 404


class Forbidden(ServiceError):
    """The user can see the object but may not do this to it."""

    code = ErrorCode.FORBIDDEN
    status = 403


class Conflict(ServiceError):
    """A stale edit: the object changed since the user loaded it (optimistic concurrency)."""

    code = ErrorCode.CONFLICT
    status = 409


class Invalid(ServiceError):
    """Bad input; ``field`` names the offending field when there is one."""

    code = ErrorCode.INVALID
    status = 422
