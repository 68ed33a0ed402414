"""MSPDI import/export against the real files in ../shared/data/mspdi, and hostile input."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from twofold.engine.calendars import compile_calendar, is_working_day
from twofold.engine.cpm import schedule
from twofold.engine.plan import LagKind, LinkType
from twofold.interop.mspdi import (
    MspdiError,
    format_duration,
    parse_duration,
    read_mspdi,
    write_mspdi,
)
from twofold.interop.mspdi_check import check_file, main

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mspdi"


def _files() -> list[Path]:
    if not DATA.is_dir():
        return []
    return sorted(DATA.glob("*.xml"))


needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"MSPDI oracle files not found at {DATA}")


def test_durations() -> None:
    assert parse_duration("PT57H8M24S") == 57 * 3600 + 8 * 60 + 24
    assert parse_duration("PT0H0M0S") == 0
    assert format_duration(3600 * 8) == "PT8H0M0S"
    with pytest.raises(MspdiError):
        parse_duration("eight hours")


@needs_data
@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_file_matches_project_and_round_trips(path: Path) -> None:
    report = check_file(path)
    assert report.error is None
    assert report.compared > 0
    assert report.matching == report.compared, report.mismatches[:3]
    document = read_mspdi(path)
    again = read_mspdi(write_mspdi(document))
    assert again.plan == document.plan
    assert [t.baselines for t in again.tasks if not t.is_null] == [
        t.baselines for t in document.tasks if not t.is_null
    ]


@needs_data
def test_links_lags_and_constraints_are_read() -> None:
    plan = read_mspdi(DATA / "task-links-project2010-mspdi.xml").plan
    by_succ = {link.succ: link for link in plan.links}
    assert by_succ[8].lag == 5 * 8 * 3600 and by_succ[8].lag_kind is LagKind.WORKING
    assert by_succ[12].type is LinkType.SF
    assert by_succ[16].type is LinkType.FF
    sample = read_mspdi(DATA / "sample.xml").plan
    assert any(link.lag == -8 * 3600 for link in sample.links)


@needs_data
@pytest.mark.parametrize(
    "name",
    [
        "calendar-recurring-exceptions-project2010-mspdi.xml",
        "calendar-recurring-exceptions-project2016-mspdi.xml",
    ],
)
def test_recurring_exceptions_expand_like_project(name: str) -> None:
    """Our expansion of the recurring rules equals the day list Project wrote beside them."""
    import defusedxml.ElementTree as SafeET

    root = SafeET.parse(DATA / name).getroot()
    q = "{http://schemas.microsoft.com/project}"
    expected: set[date] = set()
    for wd in root.iter(q + "WeekDay"):
        if wd.findtext(q + "DayType") == "0":
            start = datetime.fromisoformat(wd.findtext(f"{q}TimePeriod/{q}FromDate") or "").date()
            finish = datetime.fromisoformat(wd.findtext(f"{q}TimePeriod/{q}ToDate") or "").date()
            expected |= {
                date.fromordinal(d) for d in range(start.toordinal(), finish.toordinal() + 1)
            }
    spec = read_mspdi(DATA / name).plan.calendars["1"]
    assert any(ex.recurrence is not None for ex in spec.exceptions)
    ours = {d for ex in spec.exceptions if not ex.working_times for d in ex.dates()}
    working_changes = {d for ex in spec.exceptions if ex.working_times for d in ex.dates()}
    assert ours | working_changes >= expected - working_changes
    assert ours - working_changes <= expected
    cal = compile_calendar(spec)
    assert not is_working_day(cal, date(2002, 1, 7))  # "first Monday every 2 months"


@needs_data
def test_check_command_output(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(DATA / "mspdirelations.xml"), str(DATA / "sample.xml")])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "mspdirelations.xml: 6/6 tasks match"
    assert out[-1] == "MATCH 26 / 26 tasks"
    assert code == 0


def test_hostile_and_malformed_files_are_refused(tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<Project xmlns="http://schemas.microsoft.com/project">&lol2;</Project>'
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Project xmlns="http://schemas.microsoft.com/project"><Name>&x;</Name></Project>'
    )
    # A DTD after a long prolog (read in chunks), an external one, and one in UTF-16.
    late = b"<!-- " + b"x" * 200_000 + b' --><!DOCTYPE p SYSTEM "http://x/p.dtd"><Project/>'
    utf16 = b"\xff\xfe" + '<!DOCTYPE a [<!ENTITY a "b">]><Project/>'.encode("utf-16-le")
    for payload in (late, utf16):
        with pytest.raises(MspdiError, match="DTD or entities"):
            read_mspdi(payload)
    for payload in (laughs, xxe, b"<Project><Tasks>", b"<NotAProject/>", b""):
        with pytest.raises(MspdiError):
            read_mspdi(payload)
    bad = tmp_path / "bad.xml"
    bad.write_bytes(xxe)
    assert main([str(bad)]) == 2


def test_export_of_an_app_plan_round_trips() -> None:
    from twofold.engine.calendars import make_calendar
    from twofold.engine.plan import ConstraintType, Link, Plan, Task
    from twofold.interop.mspdi import MspdiDocument

    site = make_calendar(
        {d: [("07:00", "15:00")] for d in range(6)}, [(date(2024, 5, 1), date(2024, 5, 1))]
    )
    plan = Plan(
        start=datetime(2024, 4, 29, 8),
        tasks=(
            Task(1, "Phase"),
            Task(2, "Dig", parent=1, duration=16 * 3600, calendar="site"),
            Task(
                3,
                "Pour",
                parent=1,
                duration=8 * 3600,
                constraint=ConstraintType.SNET,
                constraint_date=datetime(2024, 5, 6, 8),
            ),
            Task(4, "Done"),
        ),
        links=(
            Link(2, 3, LinkType.FS, 4 * 3600),
            Link(3, 4, LinkType.FF, 24 * 3600, LagKind.ELAPSED),
        ),
        calendars={"1": make_calendar(None, name="Standard"), "site": site},
        calendar="1",
    )
    result = schedule(plan)
    again = read_mspdi(write_mspdi(MspdiDocument(plan, (), (), ()), result))
    assert [(t.uid, t.parent, t.duration, t.constraint) for t in again.plan.tasks] == [
        (t.uid, t.parent, t.duration, t.constraint) for t in plan.tasks
    ]
    assert [(link.type, link.lag, link.lag_kind) for link in again.plan.links] == [
        (link.type, link.lag, link.lag_kind) for link in plan.links
    ]
    assert [t.start for t in again.tasks] == [result.task(t.uid).start for t in plan.tasks]
    rescheduled = schedule(again.plan)
    assert (rescheduled.start == result.start).all() and (rescheduled.finish == result.finish).all()


def test_overflowing_numbers_and_oversized_bytes_are_clear_errors() -> None:
    from twofold.interop import mspdi

    doc = (
        b'<Project xmlns="http://schemas.microsoft.com/project"><Calendars><Calendar><UID>1</UID>'
        b"<Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar></Calendar></Calendars>"
        b"<CalendarUID>1</CalendarUID><Tasks><Task><UID>1e999</UID><Name>x</Name></Task></Tasks>"
        b"</Project>"
    )
    with pytest.raises(mspdi.MspdiError):
        mspdi.read_mspdi(doc)
    with pytest.raises(mspdi.MspdiError, match="larger than"):
        mspdi.read_mspdi(b" " * (mspdi.MAX_BYTES + 1))
