"""Workbooks written to hurt: a declared size of a million rows by 16,384 columns (openpyxl
padded every row to it: a 5 KB file took about an hour of a core), a value far right, damaged
cells (a 500). Each is refused with a message or read as what it holds, at once."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from openpyxl import Workbook

from twofold.interop.sheet_tasks import SheetError, read_table


def _xlsx(cells: dict[str, object], *, dimension: str = "", replace: bytes = b"") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for ref, value in cells.items():
        sheet[ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                if dimension:
                    data = re.sub(
                        rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data
                    )
                if replace:
                    data = re.sub(rb'<c r="B2"[^>]*>.*?</c>', replace, data)
            target.writestr(info, data)
    return out.getvalue()


def test_a_declared_size_is_not_read_as_rows_and_columns() -> None:
    data = _xlsx({"A1": "Name", "A2": "Survey", "A3000": "Report"}, dimension="A1:XFD1048576")
    assert len(data) < 10_000
    started = time.perf_counter()
    table = read_table(data, "tasks.xlsx")
    assert time.perf_counter() - started < 2  # 30 s and more before
    assert table.header == ["Name"] and table.rows == [["Survey"], ["Report"]]
    assert table.row_numbers == [2, 3000]


def test_rows_far_down_or_values_far_right_are_refused_at_once() -> None:
    far_down = _xlsx({"A1": "Name", "A2": "Survey", "A1048576": "x"}, dimension="A1:A1048576")
    started = time.perf_counter()
    with pytest.raises(SheetError, match="rows beyond row 100,000"):
        read_table(far_down, "tasks.xlsx")
    assert time.perf_counter() - started < 2
    with pytest.raises(SheetError, match="values in column 702; a task list has at most 200"):
        read_table(_xlsx({"A1": "Name", "A2": "Survey", "ZZ2": "x"}), "tasks.xlsx")


@pytest.mark.parametrize(
    "cell",
    [b'<c r="B2" t="d"><v>garbage</v></c>', b'<c r="B2" t="s"><v>99999</v></c>'],
)
def test_a_damaged_cell_is_a_message_not_a_500(cell: bytes) -> None:
    data = _xlsx({"A1": "Name", "B1": "Start", "A2": "Survey", "B2": 1}, replace=cell)
    with pytest.raises(SheetError, match="A cell of the sheet cannot be read"):
        read_table(data, "tasks.xlsx")


def test_a_number_too_long_for_a_float_is_a_row_error_not_a_500() -> None:
    """400 nines read as infinity and round() raised OverflowError: the upload's page answered
    500 on every view (a review found it), for a duration and for a lag alike."""
    from twofold.interop.sheet_tasks import parse_duration, parse_predecessors, tasks_from_table

    nines = "9" * 400
    for cell in (nines, f"{nines}d", f"{nines}.5h", 10**400, 1e308):
        with pytest.raises(ValueError, match="between 0 and 2000 days"):
            parse_duration(cell)
    for lag in (f"1FS+{nines}d", f"1FS+{nines}%", f"1SS-{nines}.5d", f"1FF+{nines}w"):
        with pytest.raises(ValueError, match="a lag is at most 1000 units"):
            parse_predecessors(lag)
    table = read_table(
        f"ID,Name,Duration,Predecessors\n1,A,{nines},\n2,B,1,1FS+{nines}d\n".encode(), "d.csv"
    )
    parsed = tasks_from_table(table, {"id": 0, "name": 1, "duration": 2, "predecessors": 3})
    assert [(e.row, e.message) for e in parsed.errors] == [
        (2, "A duration is between 0 and 2000 days."),
        (3, f"“1FS+{nines}d”: a lag is at most 1000 units."),
    ]
