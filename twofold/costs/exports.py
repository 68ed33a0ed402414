"""Timesheet and expense exports, as CSV and as XLSX, that spreadsheets open safely.

Text that a spreadsheet would take for a formula is neutralised the way ``core.csv_export``
does it (a leading apostrophe); in XLSX such a cell is also stored as a string, never a formula.
Numbers stay numbers and dates are real dates.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

from twofold.core.csv_export import FORMULA_PREFIXES, csv_response
from twofold.core.uploads import content_disposition
from twofold.interop.xmltext import xml_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float | dt.date):
        return value
    text = xml_text(str(value))
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def xlsx_response(
    filename: str, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """The rows as a one-sheet workbook download (header bold and frozen)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for row in rows:
        values = [_xlsx_value(v) for v in row]
        ws.append(values)
        for cell, value in zip(ws[ws.max_row], values, strict=True):
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_response(
    fmt: str, stem: str, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """CSV (``fmt == "csv"``) or XLSX of the same rows."""
    if fmt == "xlsx":
        return xlsx_response(f"{stem}.xlsx", sheet, header, rows)
    return csv_response(f"{stem}.csv", header, rows)  # type: ignore[return-value]
