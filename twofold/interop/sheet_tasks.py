"""Task lists from spreadsheets (CSV and XLSX): read the table, then turn mapped columns into
task rows with per-row errors. No Django: the service in ``twofold.interchange.sheet_import``
resolves people and writes the rows.

Reading refuses, before anything else happens, what is not a table we can trust: a file over
:data:`MAX_BYTES`, an XLSX whose unpacked size or entry count is out of proportion (a zip
bomb), a sheet with merged cells, more than :data:`MAX_COLUMNS` columns or :data:`MAX_ROWS`
rows, a NUL character anywhere, a workbook without a worksheet or with a damaged part (a bad
CRC, a broken deflate stream), and anything that is neither an XLSX workbook nor text in
UTF-8, Windows-1252 or UTF-16 with a byte-order mark (Excel's "Unicode text"); a CSV's first
line ``sep=;`` (Excel writes it) names the delimiter. XLSX is read
with openpyxl in read-only mode (streamed, ``defusedxml`` guards the XML); formula cells are
kept as formulas (never their cached value) so that :func:`tasks_from_table` can refuse a
formula where a value belongs.

Notation (what spreadsheet and Microsoft Project users type):

* durations ``5`` (days), ``5d``, ``2w`` (5 working days a week), ``4h``, ``30m``, ``1mo``
  (20 days), ``5 days``, ``2,5d``; a trailing ``?`` (Project's "estimated") is ignored;
  ``0`` makes a milestone. A day is 8 working hours.
* predecessors ``3`` (= finish-to-start), ``3FS+2d``, ``5SS``, ``7FF-1d``, ``2SF``, ``4FS+3h``,
  ``6FS+50%``, separated by commas or semicolons (in a cell with a semicolon, a comma between
  a lag's digits is its decimal comma: ``3FS+1,5;4``; without one, ``3FS+1,5`` is refused as
  ambiguous); the
  numbers are the ID column's values (``01`` is ``1``; a row whose ID cell is blank has no
  ID, so no predecessor can name it), or
  without an ID column each task's number in the list (1 = the first task, as Project's ID).
* hierarchy by an outline number (``1.2.3``), an outline level column (1 = top, as Project's
  "Outline Level") or the leading spaces of the names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_BYTES = 16 * 1024 * 1024
MAX_UNPACKED = 256 * 1024 * 1024
MAX_ENTRIES = 2_000
MAX_COLUMNS = 200
MAX_ROWS = 20_000
MAX_SCAN_ROWS = 100_000
"""The furthest row of a workbook read (empty rows between tasks count)."""
MAX_ERRORS = 1_000
MAX_LAG = 1000
MINUTES_PER_DAY = 480
MAX_DURATION = 2000 * MINUTES_PER_DAY
NAME_LENGTH = 200
ID_LENGTH = 64
"""The longest ID cell (Project's IDs have ten digits at most; a text ID may be a GUID)."""
FIRST_YEAR, LAST_YEAR = 1980, 2149

TARGETS: tuple[tuple[str, str], ...] = (
    ("id", "ID"),
    ("name", "Name"),
    ("wbs", "Outline number (WBS)"),
    ("level", "Outline level"),
    ("duration", "Duration"),
    ("start", "Start"),
    ("finish", "Finish"),
    ("predecessors", "Predecessors"),
    ("assignee", "Assignee e-mail"),
    ("notes", "Notes"),
)
LABELS = dict(TARGETS)
_GUESSES: dict[str, tuple[str, ...]] = {
    "id": ("id", "#", "no", "nr", "number", "taskid", "uniqueid"),
    "name": ("name", "taskname", "task", "title", "summary", "activity", "item"),
    "wbs": ("wbs", "outlinenumber", "outline", "wbscode", "code"),
    "level": ("outlinelevel", "level", "indent", "indentation"),
    "duration": ("duration", "days", "durationdays", "length", "estimate"),
    "start": ("start", "startdate", "begin", "from", "plannedstart"),
    "finish": ("finish", "finishdate", "end", "enddate", "due", "duedate", "to", "plannedfinish"),
    "predecessors": ("predecessors", "predecessor", "dependson", "dependencies", "depends"),
    "assignee": ("assignee", "assigneeemail", "email", "assignedto", "owner", "resourcenames"),
    "notes": ("notes", "note", "description", "comments", "details"),
}


_NEUTRALISED = ("'=", "'+", "'-", "'@")


def _unneutralised(name: str) -> str:
    """A name as written before an export made it inert in a spreadsheet (``'=1+1`` back to
    ``=1+1``: the apostrophe is the exports' formula guard, ``core.csv_export``); Twofold shows
    names as text, never as formulas."""
    return name[1:] if name.startswith(_NEUTRALISED) else name


class SheetError(ValueError):
    """The file cannot be read as a table; the message says why (nothing is imported)."""


@dataclass(frozen=True)
class Table:
    """A sheet's header and its non-empty rows, with each row's number as the sheet shows it."""

    header: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]
    formulas: frozenset[tuple[int, int]] = frozenset()  # (row index, column index)


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it (the header is row 1 in most files)
    column: str  # the mapped field's label, or "" for the whole file
    message: str


@dataclass(frozen=True)
class Pred:
    ref: str
    type: str
    lag: int
    lag_unit: str


@dataclass
class SheetTask:
    """One row as a task: what the project will store (``parent`` and ``links`` are indexes)."""

    row: int
    ident: str
    name: str
    level: int
    duration_minutes: int | None
    is_milestone: bool
    start: dt.date | None
    finish: dt.date | None
    assignee: str
    notes: str
    preds: list[Pred] = field(default_factory=list)
    wbs: str = ""
    parent: int | None = None
    links: list[tuple[int, str, int, str]] = field(default_factory=list)  # pred index, type, lag


# --- Reading --------------------------------------------------------------------------------


def read_table(data: bytes, file_name: str = "") -> Table:
    """The first sheet of an XLSX workbook or a CSV file as a :class:`Table`."""
    if len(data) > MAX_BYTES:
        raise SheetError(f"The file is larger than {MAX_BYTES // 2**20} MiB.")
    if not data.strip():
        raise SheetError("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SheetError(
            "This is an old Excel (.xls) file: save it as .xlsx (Excel Workbook) or CSV first."
        )
    return _read_csv(data)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SEP_LINE = re.compile(r"\Asep=(.)[ \t]*\r?\n", re.IGNORECASE)


def _text_of(data: bytes) -> str:
    """The file's text: UTF-16 with a byte-order mark (Excel's "Unicode text"), UTF-8 or
    Windows-1252. A NUL anywhere is refused (no column can hold it)."""
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SheetError(
                "This UTF-16 (“Unicode text”) file is damaged: save it again, or as CSV UTF-8."
            ) from exc
    else:
        if b"\x00" in data[:65536]:
            raise SheetError("This is not a spreadsheet: upload an .xlsx workbook or a .csv file.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise SheetError(
                    f"This text is neither UTF-8 nor Windows-1252 (byte 0x{data[exc.start]:02X} "
                    f"at position {exc.start:,}): save it from Excel as “CSV UTF-8”."
                ) from exc
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SheetError(
            f"Line {line} holds a NUL character, which no task can hold: remove it and upload "
            "the file again."
        )
    return text


_DELIMITERS = (",", ";", "\t")
"""The separators a CSV may use (a ``sep=`` line may name another)."""
_GUESS_RECORDS = 50


def _dialect(delimiter: str) -> type[csv.Dialect]:
    """Excel's CSV with ``delimiter``: the double quote is the only quote character."""
    return type("Sheet", (csv.excel,), {"delimiter": delimiter})


def _delimiter(text: str) -> str:
    """The separator of ``text`` among :data:`_DELIMITERS`, read as Excel writes CSV (fields in
    double quotes when they hold a separator, a quote or a line break).

    Only the separator is worked out, never the quote character: ``csv.Sniffer`` took the
    apostrophes of ``Review 'Phase 1' scope`` and of an export's formula guard
    (``'-1 day buffer``) for quotes and merged rows. Each separator splits the first records;
    the one whose header has more than one column and whose rows most often have the header's
    width wins (then the wider header; then comma, semicolon, tab, as ``csv.Sniffer``
    preferred). Comma when none splits the header."""
    sample = text[:65536]
    if len(text) > len(sample):  # the last record of a cut sample may be cut too
        sample = sample[: sample.rfind("\n") + 1] or sample
    best: tuple[int, int, int] | None = None
    chosen = ","
    for rank, delimiter in enumerate(reversed(_DELIMITERS)):
        if delimiter not in sample:
            continue
        records: list[list[str]] = []
        try:
            for record in csv.reader(io.StringIO(sample, newline=""), _dialect(delimiter)):
                if any(cell.strip() for cell in record):
                    records.append(record)
                if len(records) > _GUESS_RECORDS:
                    break
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        score = (sum(len(r) == width for r in records[1:]), width, rank)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen


def _read_csv(data: bytes) -> Table:
    text = _text_of(data)
    first = 1
    sep = _SEP_LINE.match(text)  # Excel's "sep=;" line names the delimiter: honoured
    if sep:
        text, first = text[sep.end() :], 2
    dialect = _dialect(sep.group(1) if sep else _delimiter(text))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        return _table(((n, row, ()) for n, row in enumerate(reader, start=first)))
    except csv.Error as exc:
        raise SheetError(f"This CSV file cannot be read: {exc}.") from exc


def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise SheetError("This is not a spreadsheet: the workbook is damaged.") from exc
    if len(entries) > MAX_ENTRIES:
        raise SheetError("The workbook has too many parts to be a task list.")
    if sum(e.file_size for e in entries) > MAX_UNPACKED:
        raise SheetError(
            f"The workbook unpacks to more than {MAX_UNPACKED // 2**20} MiB: too large to import."
        )
    if "xl/workbook.xml" not in {e.filename for e in entries}:
        raise SheetError("This is not an Excel workbook (.xlsx): upload an .xlsx or .csv file.")
    return archive


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    """One part of the workbook, unpacked; a damaged part (a bad CRC, a broken deflate
    stream, encryption, a part the directory lists but the file lacks) is a SheetError."""
    try:
        return archive.read(name)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        KeyError,
        RuntimeError,  # encrypted
        NotImplementedError,  # an unsupported compression method
    ) as exc:
        raise SheetError(
            f"This workbook is damaged ({type(exc).__name__}): save it again from a spreadsheet "
            "program, or export it as CSV."
        ) from exc


# A cell with content (not a self-closing styled blank): its column letters.
_FILLED_CELL = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]{1,3})[0-9]+\"[^>]*(?<!/)>")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*ref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    archive = _check_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
        raise SheetError(f"This workbook cannot be read ({type(exc).__name__}).") from exc
    try:
        if not book.worksheets:  # a workbook whose sheet parts are missing (openpyxl skips them)
            raise SheetError("The workbook has no worksheet: save it again from Excel.")
        sheet = book.worksheets[0]
        path = getattr(sheet, "_worksheet_path", "")
        if path:
            xml = _member(archive, path.lstrip("/"))
            widest = max((_column_number(c) for c in set(_FILLED_CELL.findall(xml))), default=0)
            if widest > MAX_COLUMNS:
                raise SheetError(
                    f"The sheet has values in column {widest:,}; a task list has at most "
                    f"{MAX_COLUMNS} columns."
                )
            merged = _MERGE.findall(xml)
            if merged:
                shown = ", ".join(m.decode() for m in merged[:5])
                raise SheetError(
                    f"The sheet “{sheet.title}” has merged cells ({shown}"
                    f"{', …' if len(merged) > 5 else ''}): unmerge them so each row is one "
                    "task with one value per column."
                )

        # The sheet's declared size (``<dimension>``) is not trusted: openpyxl pads every row
        # to its width and fills in every row up to its height, so a 5 KB file declaring
        # A1:XFD1048576 took about an hour of a core. Rows are read no wider than one column
        # past the limit (enough to refuse a wider table) and no further than MAX_SCAN_ROWS.
        sheet.reset_dimensions()

        def rows() -> Iterable[tuple[int, list[Any], tuple[int, ...]]]:
            blank: object = None  # openpyxl fills missing rows with one shared empty row
            for n, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1), start=1):
                if n > MAX_SCAN_ROWS:
                    raise SheetError(
                        f"The sheet has rows beyond row {MAX_SCAN_ROWS:,}; a task list has at "
                        f"most {MAX_ROWS:,} rows: split it into parts."
                    )
                if cells is blank:
                    continue
                if all(getattr(cell, "value", None) is None for cell in cells):
                    blank = cells
                    continue
                values, formulas = [], []
                for i, cell in enumerate(cells):
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", None) == "f":
                        formulas.append(i)
                    values.append(value)
                row_number = getattr(cells[0], "row", n) if cells else n
                yield row_number or n, values, tuple(formulas)

        try:
            return _table(rows())
        except SheetError:
            raise
        except Exception as exc:  # a damaged cell (a date of "garbage", a missing string...)
            raise SheetError(
                f"A cell of the sheet cannot be read ({type(exc).__name__}): save the workbook "
                "again from a spreadsheet program, or export it as CSV."
            ) from exc
    finally:
        book.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(source: Iterable[tuple[int, list[Any], tuple[int, ...]]]) -> Table:
    header: list[str] | None = None
    rows: list[list[Any]] = []
    numbers: list[int] = []
    formulas: set[tuple[int, int]] = set()
    for number, raw, formula_columns in source:
        values = list(raw)
        while values and _blank(values[-1]):
            values.pop()
        if not values:
            continue
        if len(values) > MAX_COLUMNS:
            raise SheetError(
                f"Row {number} has {len(values)} columns; a task list has at most {MAX_COLUMNS}."
            )
        if header is None:
            header = [str(v).strip() if not _blank(v) else "" for v in values]
            continue
        if len(rows) >= MAX_ROWS:
            raise SheetError(f"The sheet has more than {MAX_ROWS:,} rows: split it into parts.")
        for column in formula_columns:
            formulas.add((len(rows), column))
        rows.append(values)
        numbers.append(number)
    if header is None:
        raise SheetError("The sheet is empty.")
    width = max([len(header), *(len(r) for r in rows)])
    header += [""] * (width - len(header))
    header = [h or f"Column {i + 1}" for i, h in enumerate(header)]
    return Table(header, rows, numbers, frozenset(formulas))


def table_bytes(table: Table) -> bytes:
    """``table`` as compact JSON (dates tagged), so a stored upload is read once, not per check."""

    def cell(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return ["T", value.isoformat()]
        if isinstance(value, dt.date):
            return ["D", value.isoformat()]
        if isinstance(value, dt.time | dt.timedelta):
            return str(value)
        return value

    body = {
        "header": table.header,
        "rows": [[cell(v) for v in row] for row in table.rows],
        "numbers": table.row_numbers,
        "formulas": sorted(table.formulas),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def table_from_bytes(data: bytes) -> Table:
    """The :class:`Table` that :func:`table_bytes` wrote."""

    def cell(value: Any) -> Any:
        if isinstance(value, list):
            tag, text = value
            return dt.datetime.fromisoformat(text) if tag == "T" else dt.date.fromisoformat(text)
        return value

    body = json.loads(data)
    return Table(
        body["header"],
        [[cell(v) for v in row] for row in body["rows"]],
        body["numbers"],
        frozenset((r, c) for r, c in body["formulas"]),
    )


# --- Mapping --------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9#]", "", text.lower())


def guess_mapping(header: list[str]) -> dict[str, int | None]:
    """A column for each target, from the header's words (None where nothing fits)."""
    out: dict[str, int | None] = {}
    taken: set[int] = set()
    normed = [_norm(h) for h in header]
    for target, _label in TARGETS:
        out[target] = None
        for word in _GUESSES[target]:
            hit = next((i for i, h in enumerate(normed) if h == word and i not in taken), None)
            if hit is not None:
                out[target] = hit
                taken.add(hit)
                break
    return out


# --- Values ---------------------------------------------------------------------------------

_DURATION = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mo|mons?|months?)?\s*\??$",
    re.IGNORECASE,
)
_UNIT_MINUTES = {"m": 1, "h": 60, "d": MINUTES_PER_DAY, "w": 5 * MINUTES_PER_DAY}


def parse_duration(value: Any) -> int:
    """Working minutes of a duration cell (see the module docstring); ValueError says why."""
    if isinstance(value, bool):
        raise ValueError("Not a duration.")
    if isinstance(value, int | float):
        try:
            amount, unit = float(value), "d"
        except OverflowError:  # an integer cell too large for a float
            raise ValueError("A duration is between 0 and 2000 days.") from None
    else:
        match = _DURATION.match(str(value).strip())
        if not match:
            raise ValueError(
                f"“{value}” is not a duration: write 5, 5d, 2w, 4h or 30m (working time)."
            )
        amount = float(match.group(1).replace(",", "."))
        word = (match.group(2) or "d").lower()
        unit = "mo" if word.startswith("mo") else word[0]
    if not math.isfinite(amount) or amount > MAX_DURATION:  # 400 nines read as infinity
        raise ValueError("A duration is between 0 and 2000 days.")
    minutes = round(amount * (4 * 5 * MINUTES_PER_DAY if unit == "mo" else _UNIT_MINUTES[unit]))
    if minutes < 0 or minutes > MAX_DURATION:
        raise ValueError("A duration is between 0 and 2000 days.")
    return minutes


_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
)}  # fmt: skip
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_WORDY = re.compile(r"^(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})$")
FORMAT_HINT = {
    "dd/mm/yyyy": "31/12/2026",
    "mm/dd/yyyy": "12/31/2026",
    "d_mon_y": "31 Dec 2026",
    "yyyy-mm-dd": "2026-12-31",
}


def parse_date(value: Any, date_format: str = "yyyy-mm-dd") -> dt.date:
    """A date cell: a real date (XLSX), ISO text, or text in the organisation's format."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f"{value} is a number, not a date: format the column as dates, or write 2026-12-31."
        )
    else:
        day = _date_text(str(value).strip(), date_format)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day.isoformat()} is outside {FIRST_YEAR}–{LAST_YEAR}.")
    return day


def _date_text(text: str, date_format: str) -> dt.date:
    hint = FORMAT_HINT.get(date_format, "31 Dec 2026")
    problem = f"“{text}” is not a date: write 2026-12-31 or {hint}."
    try:
        if m := _ISO.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if (m := _SLASHED.match(text)) and date_format in ("dd/mm/yyyy", "mm/dd/yyyy"):
            a, b = int(m[1]), int(m[2])
            day, month = (a, b) if date_format == "dd/mm/yyyy" else (b, a)
            return dt.date(int(m[3]), month, day)
        if (m := _WORDY.match(text)) and m[2][:3].lower() in _MONTHS:
            return dt.date(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1]))
    except ValueError as exc:
        raise ValueError(problem) from exc
    raise ValueError(problem)


_PRED = re.compile(
    r"^(\d+)\s*(FS|SS|FF|SF)?\s*(?:([+-])\s*(\d+(?:[.,]\d+)?)\s*"
    r"(%|d|days?|h|hrs?|hours?|w|wks?|weeks?|ed|edays?)?)?$",
    re.IGNORECASE,
)


_DECIMAL_COMMA = re.compile(r"([+-]\s*\d+),(\d)")


def parse_predecessors(value: Any) -> list[Pred]:
    """``3FS+2d; 5SS`` as links; ValueError names the part it cannot read."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if ";" in text:
        # Semicolons separate predecessors here (Project's list separator where the decimal mark
        # is a comma): a comma right after a lag's digits, before a digit, is its decimal comma.
        text = _DECIMAL_COMMA.sub(r"\1.\2", text)
    elif ambiguous := _DECIMAL_COMMA.search(text):
        # "1FS+1,5" once became a 1-day lag and a second link, to 5.
        whole, tail = ambiguous.group(1).lstrip("+-").strip(), ambiguous.group(2)
        raise ValueError(
            f"“{text}” is ambiguous: a lag of {whole},{tail} or a predecessor {tail}? Write the "
            "lag with a point (1FS+1.5) or separate the predecessors with semicolons."
        )
    out = []
    for part in re.split(r"[;,]", text):
        text = part.strip()
        if not text:
            continue
        match = _PRED.match(text)
        if not match:
            raise ValueError(
                f"“{text}” is not a predecessor: write an ID with an optional type and lag, "
                "like 3, 3FS+2d, 5SS, 7FF-1d or 2SF."
            )
        ref, kind, sign, amount_text, unit_text = match.groups()
        lag, unit = 0, "d"
        if amount_text:
            amount = float(amount_text.replace(",", "."))
            if not math.isfinite(amount) or amount > MAX_LAG * 5:  # 400 nines: infinity
                raise ValueError(f"“{text}”: a lag is at most {MAX_LAG} units.")
            word = (unit_text or "d").lower()
            if word.startswith("e"):
                raise ValueError(
                    f"“{text}”: elapsed lags (ed) are not supported; use working days."
                )
            if word == "%":
                lag, unit = round(amount), "%"
            elif word.startswith("h"):
                lag, unit = round(amount), "h"
            elif word.startswith("w"):
                lag, unit = round(amount * 5), "d"
            elif amount.is_integer():
                lag, unit = int(amount), "d"
            else:
                lag, unit = round(amount * 8), "h"
            lag = -lag if sign == "-" else lag
            if abs(lag) > MAX_LAG:
                raise ValueError(f"“{text}”: a lag is at most {MAX_LAG} units.")
        if len(ref) > ID_LENGTH:  # int() refuses more than 4,300 digits
            raise ValueError(f"“{text[:20]}…”: an ID is at most {ID_LENGTH} characters.")
        out.append(Pred(ref=str(int(ref)), type=(kind or "FS").upper(), lag=lag, lag_unit=unit))
    return out


def weekdays_between(start: dt.date, finish: dt.date) -> int:
    """Monday-to-Friday days from ``start`` to ``finish``, both counted."""
    days = (finish - start).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(rest):
        if (start.weekday() + offset) % 7 < 5:
            count += 1
    return count


# --- Rows to tasks --------------------------------------------------------------------------


@dataclass
class Parsed:
    tasks: list[SheetTask]
    errors: list[RowError]
    error_count: int = 0

    def add(self, row: int, target: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, LABELS.get(target, target), message))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def tasks_from_table(
    table: Table, mapping: dict[str, int | None], date_format: str = "yyyy-mm-dd"
) -> Parsed:
    """Every row as a task, every problem as a :class:`RowError` (all rows are checked)."""
    out = Parsed([], [])
    width = len(table.header)
    used = {t: c for t, c in mapping.items() if c is not None and 0 <= c < width}
    if "name" not in used:
        out.add(0, "name", "Choose the column that holds the task names.")
        return out
    indent_unit = _indent_unit(table, used["name"]) if not {"wbs", "level"} & set(used) else 0
    for index, (values, number) in enumerate(zip(table.rows, table.row_numbers, strict=True)):

        def cell(target: str, values: list[Any] = values, index: int = index) -> Any:
            column = used.get(target)
            if column is None or column >= len(values):
                return None
            if (index, column) in table.formulas:
                raise _Formula(target, str(values[column]))
            value = values[column]
            return None if _blank(value) else value

        ident = "" if "id" in used else str(index + 1)  # a blank ID cell is no ID at all
        out.tasks.append(_task(out, cell, number, ident, indent_unit, date_format))
    _hierarchy(out, table, used)
    _links(out)
    return out


class _Formula(Exception):
    def __init__(self, target: str, text: str) -> None:
        self.target, self.text = target, text


def _indent_unit(table: Table, column: int) -> int:
    widths = set()
    for values in table.rows:
        if column < len(values) and isinstance(values[column], str):
            raw = values[column].replace("\t", "    ")
            lead = len(raw) - len(raw.lstrip(" "))
            if lead and raw.strip():
                widths.add(lead)
    return min(widths) if widths else 0


def _task(
    out: Parsed, cell: Any, number: int, ident: str, indent_unit: int, date_format: str
) -> SheetTask:
    """Row ``number`` as a task; ``ident`` is its ID when the ID cell gives none (its place in
    the list without an ID column; "" with one: no predecessor can name it)."""
    task = SheetTask(number, ident, "", 0, None, False, None, None, "", "")

    def read(target: str) -> Any:
        try:
            return cell(target)
        except _Formula as formula:
            kind = "date" if target in ("start", "finish") else "value"
            out.add(
                number,
                target,
                f"A formula ({formula.text[:40]}) where a {kind} belongs: copy the column "
                "and paste it back as values.",
            )
            return None

    raw_name = read("name")
    if raw_name is None:
        out.add(number, "name", "A task needs a name.")
    else:
        text = _text(raw_name).replace("\t", "    ")
        task.name = _unneutralised(text.strip())
        if indent_unit:
            task.level = (len(text) - len(text.lstrip(" "))) // indent_unit
        if len(task.name) > NAME_LENGTH:
            out.add(number, "name", f"The name is longer than {NAME_LENGTH} characters.")
    ident = read("id")
    if ident is not None:
        text = _text(ident).strip()
        task.ident = text
        if len(text) > ID_LENGTH:  # 5,000 digits made int() raise: a 500, on every view
            out.add(number, "id", f"An ID is at most {ID_LENGTH} characters.")
        elif text.isascii() and text.isdigit():
            task.ident = str(int(text))  # "01" is ID 1, as a predecessor "01" is
    for target in ("duration", "start", "finish"):
        value = read(target)
        if value is None:
            continue
        try:
            if target == "duration":
                task.duration_minutes = parse_duration(value)
            else:
                setattr(task, target, parse_date(value, date_format))
        except (ValueError, OverflowError) as exc:
            out.add(number, target, str(exc) if isinstance(exc, ValueError) else "Out of range.")
    if task.start and task.finish and task.finish < task.start:
        out.add(number, "finish", "The finish is before the start.")
    if task.duration_minutes is None and task.start and task.finish and task.finish >= task.start:
        task.duration_minutes = weekdays_between(task.start, task.finish) * MINUTES_PER_DAY
    task.is_milestone = task.duration_minutes == 0
    preds = read("predecessors")
    if preds is not None:
        try:
            task.preds = parse_predecessors(preds)
        except ValueError as exc:
            out.add(number, "predecessors", str(exc))
        except OverflowError:
            out.add(number, "predecessors", "A lag or an ID out of range.")
    assignee = read("assignee")
    task.assignee = _text(assignee).strip().lower() if assignee is not None else ""
    notes = read("notes")
    task.notes = _text(notes).strip() if notes is not None else ""
    task.wbs = _text(read("wbs")).strip()
    level = read("level")
    if level is not None:
        try:
            amount = float(_text(level))
            if not amount.is_integer() or amount < 1:  # 1.5 was read as level 1
                raise ValueError
            task.level = int(amount) - 1
        except (ValueError, OverflowError):
            out.add(number, "level", f"“{level}” is not an outline level (1 = top level).")
    return task


def _hierarchy(out: Parsed, table: Table, used: dict[str, int]) -> None:
    tasks = out.tasks
    if "wbs" in used:
        by_wbs: dict[str, int] = {}
        for i, task in enumerate(tasks):
            wbs = task.wbs.rstrip(".")
            if not re.fullmatch(r"\d+(\.\d+)*", wbs):
                out.add(task.row, "wbs", f"“{wbs}” is not an outline number like 1.2.3.")
                continue
            if wbs in by_wbs:
                out.add(
                    task.row, "wbs", f"Outline number {wbs} is also row {tasks[by_wbs[wbs]].row}."
                )
                continue
            parts = wbs.split(".")
            task.level = len(parts) - 1
            if task.level:
                parent = ".".join(parts[:-1])
                if parent not in by_wbs:
                    out.add(task.row, "wbs", f"No row above it has outline number {parent}.")
                    continue
                task.parent = by_wbs[parent]
            by_wbs[wbs] = i
        return
    stack: list[int] = []  # the open ancestors, by level
    column = "level" if "level" in used else "name"
    for i, task in enumerate(tasks):
        if task.level > len(stack):
            out.add(
                task.row,
                column,
                "Indented more than one level below the row above."
                if i
                else "The first task must be at the top level.",
            )
            continue
        del stack[task.level :]
        task.parent = stack[-1] if stack else None
        stack.append(i)


def _ancestors(tasks: list[SheetTask], i: int) -> set[int]:
    seen = set()
    parent = tasks[i].parent
    while parent is not None and parent not in seen:
        seen.add(parent)
        parent = tasks[parent].parent
    return seen


def _links(out: Parsed) -> None:
    tasks = out.tasks
    index: dict[str, int] = {}
    for i, task in enumerate(tasks):
        if not task.ident:  # a blank ID cell under an ID column: no predecessor names it
            continue
        if task.ident in index:
            out.add(task.row, "id", f"ID {task.ident} is also row {tasks[index[task.ident]].row}.")
        index[task.ident] = i
    before = out.error_count
    for i, task in enumerate(tasks):
        seen: set[int] = set()
        for pred in task.preds:
            j = index.get(pred.ref)
            if j is None:
                out.add(task.row, "predecessors", f"No task has ID {pred.ref}.")
            elif j == i:
                out.add(task.row, "predecessors", "A task cannot be its own predecessor.")
            elif j in seen:
                out.add(task.row, "predecessors", f"ID {pred.ref} is listed twice.")
            elif j in _ancestors(tasks, i) or i in _ancestors(tasks, j):
                out.add(
                    task.row,
                    "predecessors",
                    f"ID {pred.ref} is this task's summary or one of its subtasks: link tasks "
                    "that do not contain each other.",
                )
            else:
                seen.add(j)
                task.links.append((j, pred.type, pred.lag, pred.lag_unit))
    if out.error_count == before:
        cycle = find_cycle(tasks)
        if cycle:
            path = " → ".join(f"row {tasks[i].row} “{tasks[i].name}”" for i in [*cycle, cycle[0]])
            out.add(tasks[cycle[0]].row, "predecessors", f"The predecessors form a cycle: {path}.")


def find_cycle(tasks: list[SheetTask]) -> list[int]:
    """Indexes of one dependency cycle in the tasks' links (in link order), or []."""
    succs: dict[int, list[int]] = {}
    indegree = [0] * len(tasks)
    for i, task in enumerate(tasks):
        for j, *_rest in task.links:
            succs.setdefault(j, []).append(i)
            indegree[i] += 1
    ready = [i for i, d in enumerate(indegree) if d == 0]
    while ready:
        node = ready.pop()
        for nxt in succs.get(node, []):
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    left = {i for i, d in enumerate(indegree) if d > 0}
    if not left:
        return []
    # Walk backwards through predecessors still in a cycle until a node repeats.
    node = min(left)
    path: list[int] = []
    where: dict[int, int] = {}
    while node not in where:
        where[node] = len(path)
        path.append(node)
        node = next(j for j, *_rest in tasks[node].links if j in left)
    loop = list(reversed(path[where[node] :]))
    first = loop.index(min(loop))  # start at the topmost row, as people read the sheet
    return loop[first:] + loop[:first]
