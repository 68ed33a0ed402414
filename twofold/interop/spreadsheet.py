"""Spreadsheet files (CSV and XLSX) that open safely: the one writer every export uses.

Cells follow one rule (the neutraliser is ``twofold.core.csv_export``'s, the only one in the
code base): text that a spreadsheet would run as a formula — starting with ``=``, ``+``, ``-``,
``@``, a tab, a carriage return or a line feed — never becomes one. In CSV such text gets a
leading apostrophe (spreadsheets show it as text and hide the apostrophe). In XLSX it is
written as a string cell (``t="s"``), so it is shown exactly as typed and never evaluated.
Numbers stay numbers (``int``, ``float``, ``Decimal``), dates and date-times become real date
cells (date-times without their zone: the caller passes local times), booleans are "yes"/"no".

Other engineers' exports (costs) are meant to call :func:`xlsx_bytes` / :func:`csv_text` or
the response helpers in ``twofold.interchange.exports`` rather than write their own.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from twofold.core.csv_export import FORMULA_PREFIXES, safe_cell
from twofold.interop.xmltext import xml_text

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_SHEET_TITLE = 31


def is_formula_like(text: str) -> bool:
    """True for text a spreadsheet would evaluate (see the module docstring)."""
    return text.startswith(FORMULA_PREFIXES)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The CSV of ``rows`` (UTF-8 BOM first, so Excel reads accents right)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    if value is None:
        return WriteOnlyCell(sheet, value=None)
    if isinstance(value, bool):
        return WriteOnlyCell(sheet, value="yes" if value else "no")
    if isinstance(value, int | float | Decimal):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    cell = WriteOnlyCell(sheet, value=xml_text(str(value)))
    # openpyxl takes any text starting with "=" for a formula: force a plain string cell.
    cell.data_type = "s"
    return cell


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook with one sheet per ``(title, header, rows)``, streamed row by row."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=_title(title))
        sheet.append([_cell(sheet, h) for h in header])
        for row in rows:
            sheet.append([_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _title(title: str) -> str:
    clean = "".join(c for c in title if c not in "[]:*?/\\")
    return (clean or "Sheet")[:MAX_SHEET_TITLE]
