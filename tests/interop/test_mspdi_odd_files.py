"""Odd but plausible MSPDI input, hand-made (a review fed ~230 such files): each is read with
a repair listed, or refused with one message, and never stops ``twofold mspdi-check`` midway.

Before: a time-zone suffix crashed the reader (naive and aware dates compared); an actual finish
before the actual start, ``<Units>INF</Units>``, a constraint in 2200 or a 20-digit UID or lag
raised a traceback that stopped the whole folder; inactive and external tasks drove their
successors; one unreadable calendar exception dropped all the others; a project calendar that
was missing fell back to a calendar without working time; no calendar, a second calendar or
task with the same UID, or ``MinutesPerDay`` -60 refused the file; a link between a summary and
its own subtask was reported as a cycle.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.interop.test_mspdi_tolerant import STANDARD, WEEK, dates, fs, project, task
from twofold.interop import mspdi_check
from twofold.interop.mspdi import MspdiError, read_mspdi

UNSCHEDULED = "Project: the file holds no calculated dates"


def repairs(data: bytes) -> list[str]:
    """The repairs, less the note every file of tasks without stored dates gets."""
    return [str(r) for r in read_mspdi(data).repairs if not str(r).startswith(UNSCHEDULED)]


A = task(1, "A", Start="2024-03-04T08:00:00", Finish="2024-03-05T17:00:00")


def test_time_zone_offsets_are_dropped_and_listed_once() -> None:
    data = project(
        task(1, "A", Start="2024-03-04T08:00:00Z", Finish="2024-03-05T17:00:00+01:00")
        + task(2, "B", links=fs(1), Start="2024-03-06T08:00:00", Finish="2024-03-07T17:00:00"),
        start=None,
    )
    assert dates(data)["B"] == (datetime(2024, 3, 6, 8), datetime(2024, 3, 7, 17))
    assert repairs(data) == [
        "Project <StartDate>: missing: the earliest task start 2024-03-04 08:00:00 is used",
        "task UID 1 'A' <Start> and 2 more: a time-zone offset: dropped, the time is read as "
        "written (Project writes local times without one)",
    ]


def test_an_actual_finish_before_the_actual_start_is_dropped() -> None:
    data = project(
        task(1, "A", ActualStart="2024-03-06T08:00:00", ActualFinish="2024-03-04T17:00:00")
    )
    [plan_task] = read_mspdi(data).plan.tasks
    assert (plan_task.actual_start, plan_task.actual_finish) == (datetime(2024, 3, 6, 8), None)
    assert repairs(data) == [
        "task UID 1 'A' <ActualFinish>: 2024-03-04 17:00:00 is before the actual start "
        "2024-03-06 08:00:00: the actual finish is dropped"
    ]


@pytest.mark.parametrize("units", ["INF", "NaN", "-1"])
def test_units_that_are_no_share_of_time_are_100_percent(units: str) -> None:
    data = project(
        A,
        resources="<Resource><UID>1</UID><Name>Ann</Name><Type>1</Type></Resource>",
        assignments=(
            "<Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID>"
            f"<Units>{units}</Units><Work>PT16H0M0S</Work></Assignment>"
        ),
    )
    assert read_mspdi(data).assignments[0].units == 1.0
    assert dates(data)["A"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    assert repairs(data) == [
        f"assignment UID 1 <Units>: {units!r} is not a share of time: 100 % used"
    ]


def test_dates_outside_the_calendar_years_are_dropped_not_fatal() -> None:
    data = project(
        task(
            1,
            "A",
            ConstraintType="2",
            ConstraintDate="2200-01-01T08:00:00",
            Deadline="9999-12-31T17:00:00",
        )
    )
    assert dates(data)["A"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    assert repairs(data)[:2] == [
        "task UID 1 'A' <ConstraintDate>: 2200-01-01 is outside the years a schedule covers "
        "(1980-2149): the constraint is dropped",
        "task UID 1 'A' <ConstraintDate>: MSO without a date: as soon as possible",
    ]
    assert repairs(data)[2].startswith("task UID 1 'A' <Deadline>: 9999-12-31 is outside")


def test_numbers_beyond_32_bits_are_repaired_or_refused_in_words() -> None:
    huge = "99999999999999999999"
    data = project(
        task(int(huge), "Big") + task(2, "B", links=fs(1).replace("<LinkLag>0", f"<LinkLag>{huge}"))
    )
    assert repairs(data) == [
        f"task UID {huge} 'Big': UID '{huge}' is not a task UID: skipped",
        f"task UID 2 <PredecessorLink> <LinkLag>: {huge} is out of range: used 0",
        "task UID 2 <PredecessorLink>: task 1 is not in the file: link ignored",
    ]
    with pytest.raises(MspdiError) as caught:
        read_mspdi(project(task(1, "Long", duration="PT99999999999H0M0S")))
    assert str(caught.value) == (
        "task UID 1 'Long': <Duration> of 99,999,999,999 hours is longer than the years a "
        "schedule can cover"
    )


def test_a_second_task_with_the_same_uid_is_left_out() -> None:
    data = project(A + task(1, "Copy") + task(2, "B", links=fs(1)))
    assert [t.name for t in read_mspdi(data).plan.tasks] == ["A", "B"]
    assert repairs(data) == [
        "task UID 1 'Copy': a second task with this UID: left out (links and assignments "
        "naming the UID go to the first)"
    ]


def _outlined(uid: int, name: str, level: int, **fields: str) -> str:
    return task(uid, name, **fields).replace(
        "<OutlineLevel>1</OutlineLevel>", f"<OutlineLevel>{level}</OutlineLevel>"
    )


def test_inactive_tasks_do_not_drive_their_successors() -> None:
    data = project(
        task(1, "Dropped", duration="PT80H0M0S", Active="0")
        + task(2, "B", links=fs(1))
        + _outlined(3, "Phase", 1, Summary="1", Active="0")
        + _outlined(4, "Inside", 2, duration="PT40H0M0S")
        + task(5, "C", links=fs(4))
    )
    got = dates(data)
    assert got["B"][0] == datetime(2024, 3, 4, 8)  # not after Dropped's two weeks
    assert got["C"][0] == datetime(2024, 3, 4, 8)  # Inside is inactive with its summary
    assert repairs(data) == [
        "task UID 1 'Dropped' <Active>: inactive: it does not drive its successors, as in "
        "Project (1 link(s) from it left out)",
        "task UID 4 'Inside' <Active>: inactive: it does not drive its successors, as in "
        "Project (1 link(s) from it left out)",
    ]


def test_an_external_task_stays_at_its_stored_start() -> None:
    data = project(
        task(1, "Ext", ExternalTask="1", Start="2024-03-11T08:00:00", Finish="2024-03-12T17:00:00")
        + task(2, "B", links=fs(1))
    )
    assert dates(data)["B"][0] == datetime(2024, 3, 13, 8)
    assert repairs(data) == [
        "task UID 1 'Ext': an external task (from another project): kept at its stored start "
        "2024-03-11 08:00:00 (must start on)"
    ]


def test_a_summary_linked_to_its_own_subtask_loses_the_link_not_the_file() -> None:
    data = project(_outlined(10, "Phase", 1, Summary="1", links=fs(11)) + _outlined(11, "Child", 2))
    assert dates(data)["Child"][0] == datetime(2024, 3, 4, 8)
    assert repairs(data) == [
        "task UID 10 <PredecessorLink>: links a summary and its own subtask (task 11), which "
        "Project does not allow: ignored"
    ]


HOLIDAY = (
    "<Exception><EnteredByOccurrences>0</EnteredByOccurrences><TimePeriod>"
    "<FromDate>2024-03-05T00:00:00</FromDate><ToDate>2024-03-05T23:59:00</ToDate></TimePeriod>"
    "<Occurrences>1</Occurrences><Name>Holiday</Name><Type>1</Type><DayWorking>0</DayWorking>"
    "</Exception>"
)


def _with_exceptions(*exceptions: str) -> str:
    return STANDARD.replace(
        "</WeekDays>", f"</WeekDays><Exceptions>{''.join(exceptions)}</Exceptions>"
    )


def test_one_unreadable_exception_keeps_the_others() -> None:
    bad = HOLIDAY.replace("2024-03-05T00:00:00", "xx").replace("Holiday", "Bad")
    data = project(A, calendars=_with_exceptions(HOLIDAY, bad))
    assert dates(data)["A"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 6, 17))
    assert repairs(data) == [
        "calendar UID 1 'Standard' <Exception> 'Bad' (Invalid isoformat string: 'xx'): "
        "unreadable: this exception is skipped, the others are kept"
    ]
    no_end = HOLIDAY.replace("<ToDate>2024-03-05T23:59:00</ToDate>", "")
    data = project(A, calendars=_with_exceptions(no_end))
    assert dates(data)["A"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 6, 17))
    assert repairs(data) == [
        "calendar UID 1 'Standard' <Exception> 'Holiday': no <ToDate>: read as the one day it "
        "starts on"
    ]


def test_calendar_fallbacks_keep_the_file() -> None:
    nowork = (
        "<Calendar><UID>9</UID><Name>Budget</Name><IsBaseCalendar>0</IsBaseCalendar>"
        "<BaseCalendarUID>-1</BaseCalendarUID><WeekDays>"
        + "".join(
            f"<WeekDay><DayType>{d}</DayType><DayWorking>0</DayWorking></WeekDay>"
            for d in range(1, 8)
        )
        + "</WeekDays></Calendar>"
    )
    # The project names calendar 5, which is missing; the first calendar has no working time.
    data = project(A, calendars=nowork + STANDARD).replace(
        b"<CalendarUID>1</CalendarUID>", b"<CalendarUID>5</CalendarUID>"
    )
    assert dates(data)["A"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    assert repairs(data)[0] == (
        "Project <CalendarUID>: calendar 5 is not in the file: used calendar 1 'Standard'"
    )
    assert dates(project(A, calendars="")) == {
        "A": (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    }
    assert repairs(project(A, calendars="")) == [
        "Project <Calendars>: the file has no calendar: Project's Standard calendar is used "
        "(Monday to Friday, 08:00-12:00 and 13:00-17:00)"
    ]
    other = STANDARD.replace("<Name>Standard</Name>", "<Name>Other</Name>").replace(
        "<WeekDays>" + WEEK, "<WeekDays>"
    )
    assert repairs(project(A, calendars=STANDARD + other)) == [
        "calendar UID 1 'Other': a second calendar with this UID: left out (the first is used)"
    ]
    weird = project(A).replace(b"<MinutesPerDay>480", b"<MinutesPerDay>-60")
    assert read_mspdi(weird).plan.settings.minutes_per_day == 480
    assert repairs(weird) == [
        "Project <MinutesPerDay>: -60 is not above 0: Project's default 480 used"
    ]


def test_the_check_reports_a_failing_file_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.xml").write_bytes(project(A))
    (tmp_path / "b.xml").write_bytes(project(A))
    real = mspdi_check.schedule
    calls = []

    def flaky(plan: object) -> object:
        calls.append(plan)
        if len(calls) == 1:
            raise IndexError("index 61000 is out of bounds")
        return real(plan)  # type: ignore[arg-type]

    monkeypatch.setattr(mspdi_check, "schedule", flaky)
    assert mspdi_check.main([str(tmp_path)]) == 2
    assert capsys.readouterr().out.splitlines() == [
        "a.xml: ERROR the schedule runs outside the years the calendars cover",
        "b.xml: 1/1 tasks match",
        "MATCH 1 / 1 tasks",
    ]


def test_a_summary_start_no_earlier_than_holds_its_subtasks_back() -> None:
    data = project(
        _outlined(
            10, "Phase", 1, Summary="1", ConstraintType="4", ConstraintDate="2024-03-11T08:00:00"
        )
        + _outlined(11, "Early", 2)
        + _outlined(12, "Later", 2, ConstraintType="4", ConstraintDate="2024-03-18T08:00:00")
        + task(13, "Outside")
    )
    got = dates(data)
    assert got["Early"][0] == datetime(2024, 3, 11, 8)
    assert got["Later"][0] == datetime(2024, 3, 18, 8)  # its own later date stands
    assert got["Outside"][0] == datetime(2024, 3, 4, 8)
    assert repairs(data) == [
        "task UID 10 'Phase' <ConstraintType>: start no earlier than 2024-03-11 08:00:00 on a "
        "summary: given to its 1 subtask(s) that started earlier, as Project holds them back"
    ]


def test_progress_and_manual_dates_that_contradict_themselves_are_repaired() -> None:
    data = project(
        task(1, "A", Start="2024-03-04T08:00:00", ActualFinish="2024-03-05T17:00:00")
        + task(2, "M", Manual="1", Start="2024-03-12T08:00:00", Finish="2024-03-11T17:00:00")
    )
    plan = read_mspdi(data).plan
    assert plan.tasks[0].actual_start == datetime(2024, 3, 4, 8)  # a zero-length task before
    assert not plan.tasks[1].manual
    assert repairs(data) == [
        "task UID 1 'A' <ActualStart>: missing beside an actual finish: the stored start "
        "2024-03-04 08:00:00 is used",
        "task UID 2 'M': manually scheduled to start 2024-03-12 08:00:00 after its finish "
        "2024-03-11 17:00:00: scheduled automatically",
    ]
