"""Spreadsheet task import: the notation, the refusals (nothing written), and the import."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook

from twofold.accounts.models import Role
from twofold.core.errors import Forbidden, Invalid
from twofold.core.models import HistoryEntry
from twofold.interchange import sheet_import
from twofold.interchange.models import SheetUpload
from twofold.interop import sheet_tasks as st
from twofold.projects import services as projects
from twofold.projects.models import Link, Project, Task

GOOD_CSV = (
    b"ID,Task name,Duration,Start,Predecessors,Assignee,Notes\n"
    b"1,Plan,,,,,\n"
    b"2,  Design,5d,2026-03-02,,ana@example.org,Sketches first\n"
    b"3,  Build,2w,,2FS+2d,,\n"
    b"4,  Test,4h,,3SS;2,,\n"
    b"5,Go live,0,,4FF-1d,,\n"
)


def _xlsx(rows: list[list[Any]], merge: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- Notation (no database) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("5", 2400), ("5d", 2400), ("2w", 4800), ("4h", 240), ("30m", 30), ("2,5 days", 1200),
     ("3 days?", 1440), ("1mo", 9600), (1.5, 720), ("0", 0)],
)  # fmt: skip
def test_durations(text: Any, minutes: int) -> None:
    assert st.parse_duration(text) == minutes


def test_predecessor_notation() -> None:
    assert st.parse_predecessors("3FS+2d; 5SS, 7ff-1d,2SF,3,4FS+1.5d,6FS+50%,8SS+1w") == [
        st.Pred("3", "FS", 2, "d"), st.Pred("5", "SS", 0, "d"), st.Pred("7", "FF", -1, "d"),
        st.Pred("2", "SF", 0, "d"), st.Pred("3", "FS", 0, "d"), st.Pred("4", "FS", 12, "h"),
        st.Pred("6", "FS", 50, "%"), st.Pred("8", "SS", 5, "d"),
    ]  # fmt: skip
    assert st.parse_predecessors(3.0) == [st.Pred("3", "FS", 0, "d")]
    for bad in ("3XX", "three", "3FS+2ed"):
        with pytest.raises(ValueError, match=r"not a predecessor|elapsed lags"):
            st.parse_predecessors(bad)


def test_dates_real_iso_and_organisation_format() -> None:
    assert st.parse_date(dt.datetime(2026, 3, 2, 8)) == dt.date(2026, 3, 2)
    assert st.parse_date("2026-03-02") == dt.date(2026, 3, 2)
    assert st.parse_date("02/03/2026", "dd/mm/yyyy") == dt.date(2026, 3, 2)
    assert st.parse_date("03/02/2026", "mm/dd/yyyy") == dt.date(2026, 3, 2)
    assert st.parse_date("2 Mar 2026", "d_mon_y") == dt.date(2026, 3, 2)
    with pytest.raises(ValueError, match="not a date"):
        st.parse_date("02/03/2026", "yyyy-mm-dd")
    with pytest.raises(ValueError, match="a number, not a date"):
        st.parse_date(46083)


def test_hierarchy_by_outline_numbers_and_levels() -> None:
    table = st.read_table(b"WBS,Name\n1,A\n1.1,B\n1.1.1,C\n2,D\n1.2,E\n")
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert parsed.errors == []
    assert [(t.name, t.level, t.parent) for t in parsed.tasks] == [
        ("A", 0, None), ("B", 1, 0), ("C", 2, 1), ("D", 0, None), ("E", 1, 0)
    ]  # fmt: skip
    table = st.read_table(b"Outline level,Name\n1,A\n3,B\n")
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert [(e.row, e.column, e.message) for e in parsed.errors] == [
        (3, "Outline level", "Indented more than one level below the row above.")
    ]


def test_cycle_names_the_rows() -> None:
    table = st.read_table(b"Name;Predecessors\nA;3\nB;1\nC;2FS+1d\n")
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert [e.message for e in parsed.errors] == [
        "The predecessors form a cycle: row 2 “A” → row 3 “B” → row 4 “C” → row 2 “A”."
    ]


def test_refusals_before_reading_rows() -> None:
    cases = {
        b"%PDF-1.7\x00\x01binary": "not a spreadsheet",
        b"\xd0\xcf\x11\xe0old": "old Excel",
        _xlsx([["Name", "Start"], ["A", "B"], ["C", "D"]], merge="A2:B2"): "merged cells (A2:B2)",
        _xlsx([[f"c{i}" for i in range(1000)], ["A"]]): "values in column 1,000",
        b"PK\x03\x04broken": "damaged",
    }
    for data, words in cases.items():
        with pytest.raises(st.SheetError, match=words.replace("(", r"\(").replace(")", r"\)")):
            st.read_table(data)
    with pytest.raises(st.SheetError, match="larger than 16 MiB"):
        st.read_table(b"a" * (st.MAX_BYTES + 1))


def test_a_formula_where_a_date_belongs() -> None:
    table = st.read_table(_xlsx([["Name", "Start"], ["A", dt.date(2026, 3, 2)], ["B", "=B2+3"]]))
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert [(e.row, e.column) for e in parsed.errors] == [(3, "Start")]
    assert parsed.errors[0].message.startswith("A formula (=B2+3) where a date belongs")
    assert parsed.tasks[0].start == dt.date(2026, 3, 2)


# --- Service (database) ---------------------------------------------------------------------


@pytest.fixture
def plan(org: Any, owner: Any) -> Project:
    project = projects.create_project(actor=owner, organisation=org, name="Line 4", code="L4")
    projects.create_task(actor=owner, project=project, name="Existing")
    return project


@pytest.mark.django_db
def test_import_appends_all_rows_with_links_people_and_history(
    org: Any, owner: Any, member: Any, plan: Project, django_assert_max_num_queries: Any
) -> None:
    ana = member(org, Role.MEMBER, email="Ana@example.org")  # matched case-insensitively
    person = member(org, Role.MEMBER)
    upload = sheet_import.upload_sheet(
        actor=person, organisation=org, file_name="plan.csv", data=GOOD_CSV, project=plan
    )
    assert upload.mapping == {
        "id": 0, "name": 1, "wbs": None, "level": None, "duration": 2, "start": 3,
        "finish": None, "predecessors": 4, "assignee": 5, "notes": 6,
    }  # fmt: skip
    with django_assert_max_num_queries(40):
        project = sheet_import.import_upload(actor=person, upload=upload, mapping=upload.mapping)
    assert project == plan
    tasks = list(Task.objects.filter(project=plan).order_by("position"))
    assert [t.name for t in tasks] == ["Existing", "Plan", "Design", "Build", "Test", "Go live"]
    by = {t.name: t for t in tasks}
    assert by["Design"].parent == by["Plan"] and by["Go live"].parent is None
    assert by["Plan"].is_summary and by["Go live"].is_milestone
    assert by["Design"].assignee == ana and by["Design"].description == "Sketches first"
    assert (by["Design"].constraint_type, by["Design"].constraint_date) == (
        "snet",
        dt.date(2026, 3, 2),
    )
    assert by["Build"].duration_minutes == 4800 and by["Test"].duration_minutes == 240
    links = {
        (lk.pred.name, lk.succ.name, lk.type, lk.lag, lk.lag_unit)
        for lk in Link.objects.filter(project=plan)
    }
    assert links == {
        ("Design", "Build", "FS", 2, "d"), ("Build", "Test", "SS", 0, "d"),
        ("Design", "Test", "FS", 0, "d"), ("Test", "Go live", "FF", -1, "d"),
    }  # fmt: skip
    assert by["Build"].start is not None and by["Build"].start.date() == dt.date(2026, 3, 11)
    entry = HistoryEntry.objects.filter(object_id=plan.pk, action="imported").get()
    assert entry.summary == "Imported 5 tasks from plan.csv" and entry.actor == person
    upload.refresh_from_db()
    assert upload.created_count == 5 and bytes(upload.data) == b""
    with pytest.raises(Invalid, match="already imported"):
        sheet_import.import_upload(actor=person, upload=upload, mapping=upload.mapping)


@pytest.mark.django_db
def test_one_bad_row_creates_nothing_and_lists_every_error(
    org: Any, owner: Any, plan: Project
) -> None:
    data = (
        b"Name,Duration,Start,Predecessors,Assignee\n"
        b"A,5x,,,\n"
        b",1,,,\n"
        b"C,1,31/02/2026,9,nobody@example.org\n"
    )
    upload = sheet_import.upload_sheet(
        actor=owner, organisation=org, file_name="bad.csv", data=data, project=plan
    )
    before = Task.objects.count()
    with pytest.raises(sheet_import.SheetInvalid) as caught:
        sheet_import.import_upload(actor=owner, upload=upload, mapping=upload.mapping)
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (2, "Duration"), (3, "Name"), (4, "Start"), (4, "Predecessors"), (4, "Assignee e-mail"),
    ]  # fmt: skip
    assert Task.objects.count() == before and Link.objects.count() == 0


@pytest.mark.django_db
def test_permissions_and_new_project(org: Any, owner: Any, member: Any, plan: Project) -> None:
    guest = member(org, Role.GUEST)
    with pytest.raises(Forbidden):
        sheet_import.upload_sheet(
            actor=guest, organisation=org, file_name="p.csv", data=GOOD_CSV, project=plan
        )
    person = member(org, Role.MEMBER)
    with pytest.raises(Forbidden):  # a new project needs the admin role
        sheet_import.upload_sheet(actor=person, organisation=org, file_name="p.csv", data=GOOD_CSV)
    member(org, Role.MEMBER, email="ana@example.org")
    upload = sheet_import.upload_sheet(
        actor=owner, organisation=org, file_name="Roll-out plan.csv", data=GOOD_CSV
    )
    with pytest.raises(Invalid, match="chosen for both"):
        sheet_import.clean_mapping(upload, {**upload.mapping, "notes": 1})
    project = sheet_import.import_upload(actor=owner, upload=upload, mapping=upload.mapping)
    assert (project.name, project.code, project.target_start) == (
        "Roll-out plan",
        "ROLLOUTP",
        dt.date(2026, 3, 2),
    )
    assert Task.objects.filter(project=project).count() == 5
    assert SheetUpload.objects.get(pk=upload.pk).imported_project == project


@pytest.mark.django_db
def test_a_long_list_keeps_ordering_keys_short(org: Any, owner: Any, plan: Project) -> None:
    # Appended one after the other, 600 keys would reach 11 characters (10,000: 165, past the
    # columns' 80); spread below a bound they stay at most 3.
    rows = "".join(f"Task {n},1d\n" for n in range(1, 601))
    upload = sheet_import.upload_sheet(
        actor=owner, organisation=org, file_name="long.csv", data=f"Name,Duration\n{rows}".encode(),
        project=plan,
    )  # fmt: skip
    sheet_import.import_upload(actor=owner, upload=upload, mapping=upload.mapping)
    tasks = list(Task.objects.filter(project=plan).exclude(name="Existing").order_by("position"))
    assert [t.name for t in tasks] == [f"Task {n}" for n in range(1, 601)]
    assert max(len(t.position) for t in tasks) <= 3 and max(len(t.board_key) for t in tasks) <= 4
    existing = Task.objects.get(project=plan, name="Existing")
    assert existing.position < tasks[0].position


def test_a_decimal_comma_in_a_lag_is_a_decimal_or_refused_as_ambiguous_never_a_link() -> None:
    assert st.parse_predecessors("1FS+1,5;2") == [
        st.Pred("1", "FS", 12, "h"), st.Pred("2", "FS", 0, "d")
    ]  # fmt: skip
    assert st.parse_predecessors("1FS+2d,5") == [
        st.Pred("1", "FS", 2, "d"), st.Pred("5", "FS", 0, "d")
    ]  # fmt: skip
    table = st.read_table(
        b"ID;Name;Duration;Predecessors\n1;A;2,5;\n2;B;1;\n3;C;1;1FS+1,5\n4;D;1;\n5;E;1;\n"
    )
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert [(e.row, e.column, e.message) for e in parsed.errors] == [
        (4, "Predecessors", "“1FS+1,5” is ambiguous: a lag of 1,5 or a predecessor 5? Write "
         "the lag with a point (1FS+1.5) or separate the predecessors with semicolons."),
    ]  # fmt: skip
    assert parsed.tasks[0].duration_minutes == 1200 and parsed.tasks[2].links == []


def test_a_nul_anywhere_in_a_csv_is_refused_naming_its_line() -> None:
    rows = b"".join(b"Task %d,%s\n" % (i, b"x" * 60) for i in range(1200))
    data = b"Name,Notes\n" + rows + b"Evil\x00name,notes\n"
    assert len(data) > 65536
    with pytest.raises(st.SheetError) as caught:
        st.read_table(data, "nul.csv")
    assert str(caught.value) == (
        "Line 1202 holds a NUL character, which no task can hold: remove it and upload the "
        "file again."
    )


def test_encodings_excel_separator_line_padded_ids_and_fractional_levels() -> None:
    unicode_text = "Name\tDuration\r\nSchweißen\t2\r\n".encode("utf-16")  # Excel "Unicode text"
    table = st.read_table(unicode_text, "plan.txt")
    assert (table.header, table.rows) == (["Name", "Duration"], [["Schweißen", "2"]])
    with pytest.raises(st.SheetError) as caught:
        st.read_table(b"Name\nCaf\xe9 \x81\n", "plan.csv")
    assert str(caught.value) == (
        "This text is neither UTF-8 nor Windows-1252 (byte 0x81 at position 10): save it "
        "from Excel as “CSV UTF-8”."
    )
    table = st.read_table(b"sep=;\nID;Name;Predecessors\n01;A;\n02;B;01\n", "plan.csv")
    assert table.header == ["ID", "Name", "Predecessors"] and table.row_numbers == [3, 4]
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert parsed.errors == [] and parsed.tasks[1].links == [(0, "FS", 0, "d")]
    table = st.read_table(b"Outline level,Name\n1,A\n1.5,B\n")
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert [(e.row, e.column, e.message) for e in parsed.errors] == [
        (3, "Outline level", "“1.5” is not an outline level (1 = top level).")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_task_export_imports_back_as_the_same_plan(org: Any, owner: Any, kind: str) -> None:
    """Exporting a project's tasks and importing the file lost the tree and every link, made
    summaries milestones, pinned every task with a "start no earlier than" constraint and kept
    the apostrophe the export's formula guard adds ("'=1+1")."""
    from twofold.interchange import exports
    from twofold.interop.spreadsheet import csv_text, xlsx_bytes

    source = projects.create_project(
        actor=owner, organisation=org, name="Source", code="SRC", target_start=dt.date(2026, 3, 2)
    )

    def add(name: str, minutes: int = 480, **extra: Any) -> Task:
        return projects.create_task(
            actor=owner, project=source, name=name, duration_minutes=minutes, **extra
        )[0]

    phase = add("Phase 1")
    design = add("=1+1 design", 960, parent=phase)
    build = add("  Build", 1200, parent=phase)
    ship = add("Ship", 0, is_milestone=True)
    projects.add_link(actor=owner, project=source, pred=design, succ=build, lag=2, lag_unit="d")
    projects.add_link(
        actor=owner, project=source, pred=phase, succ=ship, type="SS", lag=4, lag_unit="h"
    )
    title, header, rows = exports.task_sheet(org, source.pk)
    data = csv_text(header, rows).encode() if kind == "csv" else xlsx_bytes([(title, header, rows)])
    upload = sheet_import.upload_sheet(
        actor=owner, organisation=org, file_name=f"tasks.{kind}", data=data
    )
    copy = sheet_import.import_upload(
        actor=owner, upload=upload, mapping=upload.mapping, name="Copy", code="CPY"
    )
    assert copy is not None
    got = {t.name: t for t in Task.objects.filter(project=copy)}
    build_name = build.name  # as the app stored "  Build"
    assert sorted(got) == sorted(["=1+1 design", build_name, "Phase 1", "Ship"])
    assert got["Phase 1"].is_summary and got["Ship"].is_milestone
    assert got["=1+1 design"].parent == got["Phase 1"] == got[build_name].parent
    assert (got["=1+1 design"].duration_minutes, got[build_name].duration_minutes) == (960, 1200)
    assert {t.constraint_type for t in got.values()} == {"asap"}
    assert sorted(
        (link.pred.name, link.succ.name, link.type, link.lag, link.lag_unit)
        for link in Link.objects.filter(project=copy).select_related("pred", "succ")
    ) == [
        ("=1+1 design", build_name, "FS", 2, "d"),
        ("Phase 1", "Ship", "SS", 4, "h"),
    ]
