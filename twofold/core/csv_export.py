"""CSV exports that spreadsheets open safely.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed is a
formula to Excel, LibreOffice and Google Sheets ("CSV injection"; a leading line break hides a
formula on the cell's second line): user text such as ``=HYPERLINK(...)`` would run when someone opens the export. Such text cells get a leading apostrophe, which
spreadsheets show as text and do not display. Numbers stay numbers (a negative number is data).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse

from twofold.core.uploads import content_disposition

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> str | int | float:
    """The value as a CSV cell that a spreadsheet will not evaluate."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value if not isinstance(value, Decimal) else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV download (UTF-8 with BOM so Excel reads accents right)."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
