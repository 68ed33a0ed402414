"""Model fields shared by apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
