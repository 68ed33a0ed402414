"""Model and form fields shared by apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    _Text = models.CharField[str, str]
else:
    _Text = models.CharField

INT64_MAX = 2**63 - 1
"""The largest value a 64-bit integer column (every id and version) holds: SQLite overflows and
PostgreSQL refuses beyond it."""


class OrderingKeyField(_Text):
    """A fractional-index ordering key (``twofold.engine.ordering``), compared byte by byte.

    The keys' digits are ``0-9A-Za-z`` in that (ASCII) order, and every reader that sorts them
    (``ORDER BY``, ``>`` and ``<`` in the placement's queries, Python's ``sorted``) must agree
    on it. SQLite compares text byte by byte (``BINARY``) whatever the database. PostgreSQL
    compares by the database's collation, which is linguistic on most installations
    (``en_US.UTF-8``, the default of the official container image; ICU locales): there
    ``"NTi" < "NTZ"`` and ``"a0" < "Z"``, so a board or a work breakdown would show its rows
    out of order and place a moved row next to the wrong neighbour. The column gets the ``C``
    collation there (byte order), whatever the database's default.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters: dict[str, Any] = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class DatePicker(forms.DateInput):
    """The browser's date picker (``<input type="date">``), whose value is always ISO 8601.

    A plain ``DateInput`` renders its value in the active locale's first input format
    (``17/12/2026`` under en-GB), which a date box cannot show: an edit form then opens with
    its dates blank, and saving it without retyping them fails "This field is required".
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"type": "date", **(attrs or {})}, format="%Y-%m-%d")


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A ``ModelMultipleChoiceField`` whose ids beyond 64 bits are an invalid choice.

    Django guards integer lookups against overflow, but not ``pk__in``: a posted
    ``members=9223372036854775808`` raised OverflowError on SQLite (a DataError on PostgreSQL)
    and the page answered 500.
    """

    def _check_values(self, value: Any) -> Any:
        if self.to_field_name in (None, "pk", "id"):
            for pk in value:
                text = str(pk).strip()
                try:
                    number = int(text)
                except ValueError:
                    continue  # not a number: Django's own check names it
                if not -INT64_MAX - 1 <= number <= INT64_MAX:  # "-9223372036854775809" too
                    raise ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": text[:30]},
                    )
        return super()._check_values(value)  # type: ignore[misc]  # Django's, not in the stubs
