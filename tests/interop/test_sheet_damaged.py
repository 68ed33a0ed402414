"""Spreadsheets that crashed the import (a review found each): an ID cell of 5,000 digits
(``int()`` refuses more than 4,300: the upload and then its page answered 500 on every view),
a workbook without its worksheet part (IndexError) and a worksheet part with a bad CRC
(BadZipFile). Each is now a row error or a :class:`SheetError`, and the API answers so."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from twofold.interop.sheet_tasks import (
    ID_LENGTH,
    SheetError,
    parse_predecessors,
    read_table,
    tasks_from_table,
)

SHEET = "xl/worksheets/sheet1.xml"
HUGE = "9" * 5000


def _workbook(rows: int = 200) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Duration"])
    for i in range(rows):
        sheet.append([f"Task {i}", 1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _without_sheet() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_workbook(1)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            if name != SHEET:
                target.writestr(name, source.read(name))
    return out.getvalue()


def _bad_crc() -> bytes:
    """The workbook with the CRC of its sheet part changed, in the local header and the
    central directory alike (the data itself intact)."""
    data = _workbook()
    raw = bytearray(data)
    raw[zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).header_offset + 14] ^= 0xFF
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = int.from_bytes(raw[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + length] == SHEET.encode():
            raw[at + 16] ^= 0xFF
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(raw)


def test_a_workbook_without_its_worksheet_is_a_sheet_error() -> None:
    with pytest.raises(SheetError) as caught:
        read_table(_without_sheet(), "nosheet.xlsx")
    assert str(caught.value) == "The workbook has no worksheet: save it again from Excel."


def test_a_worksheet_with_a_bad_crc_is_a_sheet_error() -> None:
    with pytest.raises(SheetError) as caught:
        read_table(_bad_crc(), "badcrc.xlsx")
    assert str(caught.value) == (
        "This workbook is damaged (BadZipFile): save it again from a spreadsheet program, or "
        "export it as CSV."
    )


def test_an_id_of_5000_digits_is_a_row_error() -> None:
    table = read_table(
        f"ID,Name,Predecessors\n{HUGE},A,\n01,B,\n2,C,1\n3,D,{HUGE}\n".encode(), "ids.csv"
    )
    parsed = tasks_from_table(table, {"id": 0, "name": 1, "predecessors": 2})
    assert [(e.row, e.column, e.message) for e in parsed.errors] == [
        (2, "ID", f"An ID is at most {ID_LENGTH} characters."),
        (5, "Predecessors", f"“{HUGE[:20]}…”: an ID is at most {ID_LENGTH} characters."),
    ]
    assert [t.ident for t in parsed.tasks[1:3]] == ["1", "2"]  # "01" is still ID 1
    assert parsed.tasks[2].links == [(1, "FS", 0, "d")]
    # at the limit, still an ID
    assert parse_predecessors("0" * (ID_LENGTH - 1) + "7SS")[0].ref == "7"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("nosheet.xlsx", _without_sheet(), "The workbook has no worksheet"),
        ("badcrc.xlsx", _bad_crc(), "This workbook is damaged (BadZipFile)"),
    ],
)
def test_the_api_refuses_a_damaged_workbook_naming_the_file(
    org: Any, owner: Any, client: Any, api_token: Any, name: str, data: bytes, message: str
) -> None:
    client.raise_request_exception = False
    sent = client.post(
        f"/api/organisations/{org.pk}/sheet-imports",
        {"file": SimpleUploadedFile(name, data)},
        HTTP_AUTHORIZATION=f"Bearer {api_token(owner)}",
    )
    assert sent.status_code == 422, sent.content[:300]
    body = sent.json()
    assert body["field"] == "file" and body["detail"].startswith(message)


@pytest.mark.django_db
def test_the_api_lists_an_id_of_5000_digits_as_a_row_error_and_the_upload_stays_readable(
    org: Any, owner: Any, client: Any, api_token: Any
) -> None:
    client.raise_request_exception = False
    token = api_token(owner)
    base = f"/api/organisations/{org.pk}/sheet-imports"
    sent = client.post(
        base,
        {"file": SimpleUploadedFile("ids.csv", f"ID,Name\n{HUGE},A\n".encode())},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert sent.status_code == 201, sent.content[:300]
    check = sent.json()["check"]
    assert (check["ok"], check["error_count"]) == (False, 1)
    assert check["errors"] == [
        {"row": 2, "column": "ID", "message": f"An ID is at most {ID_LENGTH} characters."}
    ]
    again = client.get(f"{base}/{sent.json()['id']}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert again.status_code == 200 and again.json()["check"]["error_count"] == 1
    client.force_login(owner)
    assert client.get(f"/imports/spreadsheet/{sent.json()['id']}/").status_code == 200
