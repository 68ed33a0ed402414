"""Errors that services raise and every view (HTML or API) turns into the right answer."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    INVALID = "invalid"
    STORAGE_FULL = "storage_full"


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


class StorageFull(ServiceError):
    """The server's disk (or the account's quota) is full: nothing was saved (507)."""

    code = ErrorCode.STORAGE_FULL
    status = 507


_UNIQUE_SQLITE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w., ]+)")
_UNIQUE_POSTGRES = re.compile(r'unique constraint "(?P<name>[^"]+)"')


def clash_field(message: str) -> str | None:
    """The field a unique-constraint violation is about, from the database's message.

    SQLite names the columns (``UNIQUE constraint failed: projects_project.organisation_id,
    projects_project.code``), PostgreSQL the constraint (``project_unique_code``); either way
    the last column that is not the owning object's id is the one a person chose.
    """
    found = _UNIQUE_SQLITE.search(message)
    if found:
        columns = [c.strip().rsplit(".", 1)[-1] for c in found["columns"].split(",")]
    else:
        named = _UNIQUE_POSTGRES.search(message)
        if not named:
            return None
        columns = _constraint_columns(named["name"])
    chosen = [c for c in columns if not c.endswith("_id")] or columns
    return chosen[-1] if chosen else None


def _constraint_columns(name: str) -> list[str]:
    from django.apps import apps

    for model in apps.get_models():
        for constraint in getattr(model._meta, "constraints", ()):
            if getattr(constraint, "name", None) == name:
                return [str(f) for f in getattr(constraint, "fields", ())]
    return []


def clash_conflict(exc: Exception) -> Conflict:
    """A unique-constraint violation met by a write that checked first but lost a race to a
    concurrent one (check, then write): a 409 naming the field, not a 500."""
    field = clash_field(str(exc))
    what = f"the same {field.replace('_', ' ')}" if field else "the same values"
    return Conflict(
        f"Someone else saved something with {what} at the same moment. "
        "Reload to see it, then choose another.",
        field=field,
    )


@contextmanager
def fields_as(names: Mapping[str, str]) -> Iterator[None]:
    """Re-raise an :class:`Invalid` naming a service's field (``owner``) under the name the
    request used (``owner_id``): an API route wraps its service call in it, so its 422 names
    the field the client sent (found by a review on 2026-12-05: improvement items, expenses)."""
    try:
        yield
    except Invalid as exc:
        if exc.field is not None and exc.field in names:
            raise Invalid(exc.message, field=names[exc.field]) from exc
        raise
