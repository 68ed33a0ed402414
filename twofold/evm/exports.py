"""The earned-value tables as CSV and XLSX: text that looks like a formula is neutralised
(:func:`twofold.core.csv_export.safe_cell`), numbers stay numbers."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

from twofold.core.csv_export import csv_response, safe_cell
from twofold.core.uploads import content_disposition
from twofold.costs.selectors import cost_settings
from twofold.engine.evm import Metrics
from twofold.evm.report import ProjectEvm
from twofold.interop.xmltext import xml_text

SUMMARY_HEADER = ["Measure", "MS Project field", "Value"]
CURVE_HEADER = ["Week ending", "PV (BCWS)", "EV (BCWP)", "AC (ACWP)"]
ACCOUNT_HEADER = [
    "Control account",
    "BAC",
    "PV (BCWS)",
    "EV (BCWP)",
    "AC (ACWP)",
    "SV",
    "CV",
    "SPI",
    "CPI",
    "EAC",
]


def _num(value: Decimal | None, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


def summary_rows(m: Metrics) -> list[list[Any]]:
    return [
        ["Budget at completion", "BAC", _num(m.bac)],
        ["Planned value", "BCWS", _num(m.pv)],
        ["Earned value", "BCWP", _num(m.ev)],
        ["Actual cost", "ACWP", _num(m.ac)],
        ["Schedule variance", "SV", _num(m.sv)],
        ["Cost variance", "CV", _num(m.cv)],
        ["Schedule performance index", "SPI", _num(m.spi, 3)],
        ["Cost performance index", "CPI", _num(m.cpi, 3)],
        ["EAC = AC + (BAC − EV)", "", _num(m.eac_atypical)],
        ["EAC = BAC / CPI", "EAC", _num(m.eac_cpi)],
        ["EAC = AC + (BAC − EV) / (CPI × SPI)", "", _num(m.eac_cpi_spi)],
        ["Estimate to complete", "", _num(m.etc)],
        ["Variance at completion", "VAC", _num(m.vac)],
        ["To-complete performance index", "TCPI", _num(m.tcpi, 3)],
    ]


def _sheets(report: ProjectEvm) -> list[tuple[str, list[str], list[list[Any]]]]:
    curve = [[p.day, _num(p.pv), _num(p.ev), _num(p.ac)] for p in report.curve]
    accounts = [
        [
            a.name,
            _num(a.metrics.bac),
            _num(a.metrics.pv),
            _num(a.metrics.ev),
            _num(a.metrics.ac),
            _num(a.metrics.sv),
            _num(a.metrics.cv),
            _num(a.metrics.spi, 3),
            _num(a.metrics.cpi, 3),
            _num(a.metrics.eac),
        ]
        for a in report.accounts
    ]
    return [
        ("Summary", SUMMARY_HEADER, summary_rows(report.metrics)),
        ("Control accounts", ACCOUNT_HEADER, accounts),
        ("Weekly S-curve", CURVE_HEADER, curve),
    ]


def as_csv(report: ProjectEvm) -> StreamingHttpResponse:
    """One CSV with the three tables one after the other, each under its own heading row."""
    currency = cost_settings(report.project.organisation_id).currency
    rows: list[Sequence[Any]] = [[report.project.name, report.status_date, currency]]
    for i, (title, header, body) in enumerate(_sheets(report)):
        if i:
            rows.append([])
        rows.append([title])
        rows.append(header)
        rows.extend(body)
    code = report.project.code
    return csv_response(
        f"{code}-earned-value-{report.status_date.isoformat()}.csv",
        ["Earned value", "Status date", "Currency"],
        rows,
    )


def _xlsx_cell(value: Any) -> Any:
    """Numbers and dates stay typed; text is neutralised like the CSV's, without the characters
    XML cannot hold (openpyxl refuses them: a 500)."""
    if value is None or isinstance(value, int | float | dt.date):
        return value
    cell = safe_cell(value)
    return xml_text(cell) if isinstance(cell, str) else cell


def as_xlsx(report: ProjectEvm) -> HttpResponse:
    """A workbook with one sheet per table; numbers are numeric cells."""
    from openpyxl import Workbook

    book = Workbook()
    first = True
    for title, header, body in _sheets(report):
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = title
        sheet.append([_xlsx_cell(h) for h in header])
        for row in body:
            sheet.append([_xlsx_cell(v) for v in row])
        sheet.column_dimensions["A"].width = 34
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition(
        f"{report.project.code}-earned-value-{report.status_date.isoformat()}.xlsx"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
