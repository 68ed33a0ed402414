"""The tolerant importer, on hand-made MSPDI fragments: one per class of real-world file.

Each class comes from real files that failed: files saved by old versions of Project whose
header start is later than the stored schedule, data the schedule does not need that is broken
(a calendar with no working time on a cost resource, a malformed timestamp in timephased data),
files saved without a calculated schedule, and exceptions written only in the older
``WeekDay``/``DayType 0`` form. Every repair is listed; what cannot be scheduled is one message.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from twofold.engine.calendars import from_instant
from twofold.engine.cpm import schedule
from twofold.interop.mspdi import MspdiError, read_mspdi
from twofold.interop.mspdi_check import check_file, main

WEEK = "".join(
    f"<WeekDay><DayType>{d}</DayType><DayWorking>0</DayWorking></WeekDay>" for d in (1, 7)
) + "".join(
    f"<WeekDay><DayType>{d}</DayType><DayWorking>1</DayWorking><WorkingTimes>"
    "<WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime></WorkingTime>"
    "<WorkingTime><FromTime>13:00:00</FromTime><ToTime>17:00:00</ToTime></WorkingTime>"
    "</WorkingTimes></WeekDay>"
    for d in range(2, 7)
)
STANDARD = (
    "<Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>"
    f"<BaseCalendarUID>-1</BaseCalendarUID><WeekDays>{WEEK}</WeekDays></Calendar>"
)


def project(
    tasks: str,
    *,
    start: str | None = "2024-03-04T08:00:00",
    calendars: str = STANDARD,
    resources: str = "",
    assignments: str = "",
) -> bytes:
    header = f"<StartDate>{start}</StartDate>" if start else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Project xmlns="http://schemas.microsoft.com/project"><Name>t</Name>'
        f"{header}<CalendarUID>1</CalendarUID><MinutesPerDay>480</MinutesPerDay>"
        f"<Calendars>{calendars}</Calendars><Tasks>{tasks}</Tasks>"
        f"<Resources>{resources}</Resources><Assignments>{assignments}</Assignments></Project>"
    ).encode()


def task(uid: int, name: str, duration: str = "PT16H0M0S", **fields: str) -> str:
    extra = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items() if k not in ("links", "children"))
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>1</OutlineLevel>"
        f"<Duration>{duration}</Duration><DurationFormat>7</DurationFormat>{extra}"
        f"{fields.get('links', '')}</Task>"
    )


def fs(pred: int) -> str:
    return (
        f"<PredecessorLink><PredecessorUID>{pred}</PredecessorUID><Type>1</Type>"
        "<LinkLag>0</LinkLag><LagFormat>7</LagFormat></PredecessorLink>"
    )


BUILD = task(1, "Build", Start="2024-03-04T08:00:00", Finish="2024-03-05T17:00:00")


def dates(data: bytes) -> dict[str, tuple[datetime, datetime]]:
    plan = read_mspdi(data).plan
    result = schedule(plan)
    return {
        t.name: (from_instant(int(result.start[i])), from_instant(int(result.finish[i])))
        for i, t in enumerate(plan.tasks)
    }


def repairs(data: bytes) -> list[str]:
    return [str(r) for r in read_mspdi(data).repairs]


def test_an_old_file_keeps_its_stored_schedule_before_a_later_header_start(
    tmp_path: Path,
) -> None:
    # Project 2003 saved the header start (March 11) without recalculating; the work was
    # constrained to start no earlier than March 4 and its successor followed it.
    tasks = task(
        1,
        "Survey",
        ConstraintType="4",
        ConstraintDate="2024-03-04T08:00:00",
        Start="2024-03-04T08:00:00",
        Finish="2024-03-05T17:00:00",
    ) + task(
        2,
        "Report",
        links=fs(1),
        Start="2024-03-06T08:00:00",
        Finish="2024-03-07T17:00:00",
    )
    data = project(tasks, start="2024-03-11T08:00:00")
    assert dates(data) == {
        "Survey": (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17)),
        "Report": (datetime(2024, 3, 6, 8), datetime(2024, 3, 7, 17)),
    }
    path = tmp_path / "old.xml"
    path.write_bytes(data)
    report = check_file(path)
    assert (report.matching, report.compared) == (2, 2)
    assert [str(r) for r in report.repairs] == [
        "Project <StartDate>: 2024-03-11 08:00:00 is later than every task's stored start "
        "(saved without recalculating): the stored schedule is kept, from 2024-03-04 08:00:00"
    ]


def test_an_old_file_without_constraints_keeps_its_stored_schedule_too() -> None:
    """Found by a review on 2026-12-05: without a "start no earlier than" on the first task,
    every task moved a week, to the header start Project had not recalculated."""
    summary = (
        "<Task><UID>0</UID><Name>Plant</Name><OutlineLevel>0</OutlineLevel><Summary>1</Summary>"
        "<Duration>PT32H0M0S</Duration><Start>2024-03-04T08:00:00</Start>"
        "<Finish>2024-03-07T17:00:00</Finish></Task>"
    )
    tasks = (
        summary
        + task(1, "Survey", Start="2024-03-04T08:00:00", Finish="2024-03-05T17:00:00")
        + task(2, "Report", links=fs(1), Start="2024-03-06T08:00:00", Finish="2024-03-07T17:00:00")
    )
    data = project(tasks, start="2024-03-11T08:00:00")
    assert dates(data) == {
        "Plant": (datetime(2024, 3, 4, 8), datetime(2024, 3, 7, 17)),
        "Survey": (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17)),
        "Report": (datetime(2024, 3, 6, 8), datetime(2024, 3, 7, 17)),
    }
    # One stored start on or after the header start: the header is the project's start.
    later = project(
        task(1, "Survey", Start="2024-03-04T08:00:00", Finish="2024-03-05T17:00:00")
        + task(2, "Audit", Start="2024-03-11T08:00:00", Finish="2024-03-12T17:00:00"),
        start="2024-03-11T08:00:00",
    )
    assert dates(later)["Survey"][0] == datetime(2024, 3, 11, 8)
    assert not any("StartDate" in line for line in repairs(later))


def test_an_unconstrained_task_without_predecessors_still_starts_at_the_project_start() -> None:
    data = project(task(1, "Kick-off") + task(2, "Next", links=fs(1)))
    assert dates(data)["Kick-off"][0] == datetime(2024, 3, 4, 8)
    assert dates(data)["Next"][0] == datetime(2024, 3, 6, 8)


def test_a_cost_resource_calendar_without_working_time_is_left_out() -> None:
    empty = (
        "<Calendar><UID>9</UID><Name>Budget</Name><IsBaseCalendar>1</IsBaseCalendar>"
        "<BaseCalendarUID>-1</BaseCalendarUID><WeekDays>"
        + "".join(
            f"<WeekDay><DayType>{d}</DayType><DayWorking>0</DayWorking></WeekDay>"
            for d in range(1, 8)
        )
        + "</WeekDays></Calendar>"
    )
    resource = (
        "<Resource><UID>5</UID><Name>Travel budget</Name><Type>2</Type>"
        "<CalendarUID>9</CalendarUID></Resource>"
    )
    data = project(BUILD, calendars=STANDARD + empty, resources=resource)
    assert dates(data)["Build"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    assert repairs(data) == [
        "calendar UID 9 'Budget': has no working time: left out; tasks and resources using "
        "it follow the project calendar"
    ]


def test_a_project_calendar_without_working_time_is_one_clear_error() -> None:
    empty = (
        "<Calendar><UID>1</UID><Name>Nothing</Name><IsBaseCalendar>1</IsBaseCalendar>"
        "<BaseCalendarUID>-1</BaseCalendarUID><WeekDays>"
        + "".join(
            f"<WeekDay><DayType>{d}</DayType><DayWorking>0</DayWorking></WeekDay>"
            for d in range(1, 8)
        )
        + "</WeekDays></Calendar>"
    )
    with pytest.raises(MspdiError, match=r"project calendar 'Nothing' .* has no working time"):
        read_mspdi(project(task(1, "Build"), calendars=empty))


def test_a_malformed_timestamp_in_timephased_data_is_skipped_and_reported() -> None:
    resource = "<Resource><UID>1</UID><Name>Ana</Name><Type>1</Type></Resource>"
    assignment = (
        "<Assignment><UID>7</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID>"
        "<Units>1</Units><Work>PT16H0M0S</Work><WorkContour>0</WorkContour>"
        "<TimephasedData><Type>1</Type><UID>7</UID><Start>2024-03-04T08:00:00</Start>"
        "<Finish>2024-03-0X</Finish><Unit>2</Unit><Value>PT8H0M0S</Value></TimephasedData>"
        "<TimephasedData><Type>1</Type><UID>7</UID><Start>2024-03-05T08:00:00</Start>"
        "<Finish>2024-03-05T17:00:00</Finish><Unit>2</Unit><Value>PT8H0M0S</Value>"
        "</TimephasedData></Assignment>"
    )
    data = project(BUILD, resources=resource, assignments=assignment)
    assert dates(data)["Build"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    document = read_mspdi(data)
    assert len(document.assignments[0].timephased) == 1
    assert repairs(data) == [
        "assignment UID 7 <TimephasedData>: 1 row(s) skipped (<Finish> is not a date-time: "
        "'2024-03-0X'); the schedule does not need them"
    ]


def test_a_file_without_calculated_dates_is_scheduled_from_the_project_start() -> None:
    tasks = (
        task(1, "Design")
        + task(2, "Build", links=fs(1))
        + task(3, "Sketch", Manual="1")  # a manual task Project never gave dates
    )
    data = project(tasks)
    assert dates(data) == {
        "Design": (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17)),
        "Build": (datetime(2024, 3, 6, 8), datetime(2024, 3, 7, 17)),
        "Sketch": (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17)),
    }
    assert repairs(data) == [
        "task UID 3 'Sketch': manually scheduled without dates: scheduled automatically",
        "Project: the file holds no calculated dates (saved without recalculating): every task "
        "is scheduled from the project start",
    ]


def test_a_missing_header_start_is_taken_from_the_earliest_task() -> None:
    tasks = task(1, "Design", Start="2024-03-05T08:00:00", Finish="2024-03-06T17:00:00")
    data = project(tasks, start=None)
    assert dates(data)["Design"][0] == datetime(2024, 3, 5, 8)
    assert repairs(data) == [
        "Project <StartDate>: missing: the earliest task start 2024-03-05 08:00:00 is used"
    ]
    with pytest.raises(MspdiError, match="no <StartDate> and no task has a start date"):
        read_mspdi(project(task(1, "Design"), start=None))


CHRISTMAS_EVERY_YEAR = (
    "<FromDate>2024-12-25T00:00:00</FromDate><ToDate>2030-12-25T23:59:00</ToDate>"
    "</TimePeriod><Type>2</Type><Month>11</Month><MonthDay>25</MonthDay>"
)


@pytest.mark.parametrize(
    "modern",
    [
        "<FromDate>2024-12-25T00:00:00</FromDate><ToDate>2024-12-25T23:59:00</ToDate>"
        "</TimePeriod><Type>1</Type>",
        # A recurring modern exception dropped every older-form one (review, 2026-12-05).
        CHRISTMAS_EVERY_YEAR,
    ],
    ids=["one-day", "recurring"],
)
def test_a_legacy_exception_missing_from_the_modern_list_is_applied(modern: str) -> None:
    # A resource calendar derived from Standard with a one-day exception (Tuesday March 5)
    # written only in the pre-2007 WeekDay form, next to a modern list holding another day.
    derived = (
        "<Calendar><UID>3</UID><Name>Ana</Name><IsBaseCalendar>0</IsBaseCalendar>"
        "<BaseCalendarUID>1</BaseCalendarUID><WeekDays>"
        "<WeekDay><DayType>0</DayType><DayWorking>0</DayWorking><TimePeriod>"
        "<FromDate>2024-03-05T00:00:00</FromDate><ToDate>2024-03-05T23:59:00</ToDate>"
        f"</TimePeriod></WeekDay></WeekDays><Exceptions><Exception><TimePeriod>{modern}"
        "<DayWorking>0</DayWorking></Exception></Exceptions></Calendar>"
    )
    resource = "<Resource><UID>1</UID><Name>Ana</Name><Type>1</Type><CalendarUID>3</CalendarUID></Resource>"
    assignment = (
        "<Assignment><UID>7</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID>"
        "<Units>1</Units><Work>PT16H0M0S</Work><WorkContour>0</WorkContour></Assignment>"
    )
    data = project(
        task(1, "Build", Start="2024-03-04T08:00:00", Finish="2024-03-06T17:00:00"),
        calendars=STANDARD + derived,
        resources=resource,
        assignments=assignment,
    )
    # Monday, then Wednesday: Ana is off on Tuesday.
    assert dates(data)["Build"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 6, 17))
    assert repairs(data) == []


def test_broken_links_and_fields_are_repaired_and_listed() -> None:
    tasks = task(1, "Design", Deadline="soon", PercentComplete="half") + task(
        2, "Build", links=fs(1) + fs(99) + fs(2)
    )
    assert repairs(project(tasks)) == [
        "task UID 1 'Design' <Deadline>: malformed date-time 'soon': deadline ignored",
        "task UID 1 'Design' <PercentComplete>: not a number 'half': used 0",
        "task UID 2 <PredecessorLink>: task 99 is not in the file: link ignored",
        "task UID 2 <PredecessorLink>: links the task to itself: ignored",
        "Project: the file holds no calculated dates (saved without recalculating): every task "
        "is scheduled from the project start",
    ]


def test_an_unreadable_duration_names_the_task() -> None:
    with pytest.raises(MspdiError, match="task UID 1 'Design': <Duration> not an ISO 8601"):
        read_mspdi(project(task(1, "Design", duration="two days")))


def test_the_check_command_lists_repairs_with_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "links.xml"
    path.write_bytes(
        project(
            task(1, "Design", Start="2024-03-04T08:00:00", Finish="2024-03-05T17:00:00")
            + task(
                2, "Build", links=fs(99), Start="2024-03-04T08:00:00", Finish="2024-03-05T17:00:00"
            )
        )
    )
    assert main([str(path), "--report"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "links.xml: 2/2 tasks match (1 repairs)",
        "  repair: task UID 2 <PredecessorLink>: task 99 is not in the file: link ignored",
        "MATCH 2 / 2 tasks",
    ]


MORNINGS = (
    "<Calendar><UID>4</UID><Name>Mornings</Name><IsBaseCalendar>1</IsBaseCalendar>"
    "<BaseCalendarUID>-1</BaseCalendarUID><WeekDays>"
    + "".join(
        f"<WeekDay><DayType>{d}</DayType><DayWorking>0</DayWorking></WeekDay>" for d in (1, 7)
    )
    + "".join(
        f"<WeekDay><DayType>{d}</DayType><DayWorking>1</DayWorking><WorkingTimes>"
        "<WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime></WorkingTime>"
        "</WorkingTimes></WeekDay>"
        for d in range(2, 7)
    )
    + "</WeekDays></Calendar>"
)
SIX_DAYS = (
    "<Calendar><UID>5</UID><Name>Six days</Name><IsBaseCalendar>1</IsBaseCalendar>"
    "<BaseCalendarUID>-1</BaseCalendarUID><WeekDays>"
    "<WeekDay><DayType>1</DayType><DayWorking>0</DayWorking></WeekDay>"
    + "".join(
        f"<WeekDay><DayType>{d}</DayType><DayWorking>1</DayWorking><WorkingTimes>"
        "<WorkingTime><FromTime>08:00:00</FromTime><ToTime>17:00:00</ToTime></WorkingTime>"
        "</WorkingTimes></WeekDay>"
        for d in range(2, 8)
    )
    + "</WeekDays></Calendar>"
)


@pytest.mark.parametrize(
    ("ignore", "finish"),
    [
        # Work runs where both calendars work: mornings only, so 8 h take Monday and Tuesday.
        ("0", datetime(2024, 3, 5, 12)),
        # "Ignore resource calendars" on the task: the task's own calendar alone (8 to 17, no break).
        ("1", datetime(2024, 3, 4, 16)),
    ],
)
def test_a_resource_driven_task_with_its_own_calendar_works_where_both_calendars_work(
    ignore: str, finish: datetime
) -> None:
    resource = (
        "<Resource><UID>1</UID><Name>Ana</Name><Type>1</Type><CalendarUID>4</CalendarUID>"
        "</Resource>"
    )
    assignment = (
        "<Assignment><UID>7</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID>"
        "<Units>1</Units><Work>PT8H0M0S</Work><WorkContour>0</WorkContour></Assignment>"
    )
    data = project(
        task(
            1,
            "Build",
            duration="PT8H0M0S",
            RemainingDuration="PT8H0M0S",
            CalendarUID="5",
            IgnoreResourceCalendar=ignore,
        ),
        calendars=STANDARD + MORNINGS + SIX_DAYS,
        resources=resource,
        assignments=assignment,
    )
    assert dates(data)["Build"] == (datetime(2024, 3, 4, 8), finish)
    document = read_mspdi(data)
    from twofold.interop.mspdi import write_mspdi

    assert read_mspdi(write_mspdi(document)).plan == document.plan


# --- Found by a review of hand-made files on 2026-12-05 -----------------------------------------

PUMP = task(2, "Pour", links=fs(1), Start="2024-03-06T08:00:00", Finish="2024-03-07T17:00:00")


def test_a_manual_task_on_the_ole_null_date_is_scheduled_automatically() -> None:
    """1899-12-30 (or 2200) on a manual task made the in-app import answer 500."""
    for day in ("1899-12-30T00:00:00", "2200-01-01T08:00:00"):
        data = project(BUILD + task(2, "Sign-off", Manual="1", Start=day, Finish=day))
        assert dates(data)["Sign-off"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
        assert (
            f"task UID 2 'Sign-off': manually scheduled from {day.replace('T', ' ')} to "
            f"{day.replace('T', ' ')}, outside the years a schedule covers (1980-2149): "
            "scheduled automatically"
        ) in repairs(data)


def test_a_task_at_outline_level_zero_is_read_at_level_one() -> None:
    data = project(
        task(1, "Dig", Start="2024-03-04T08:00:00", Finish="2024-03-05T17:00:00").replace(
            "<OutlineLevel>1</OutlineLevel>", "<OutlineLevel>0</OutlineLevel>"
        )
        + PUMP.replace("<OutlineLevel>1</OutlineLevel>", "<OutlineLevel>0</OutlineLevel>")
    )
    plan = read_mspdi(data).plan
    assert [(t.uid, t.parent) for t in plan.tasks] == [(1, None), (2, None)]
    assert dates(data) == {
        "Dig": (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17)),
        "Pour": (datetime(2024, 3, 6, 8), datetime(2024, 3, 7, 17)),
    }
    assert "task UID 1 'Dig' <OutlineLevel>: 0 is the project summary's level: read as 1" in (
        repairs(data)
    )


def test_a_header_start_outside_the_calendar_years_falls_back_to_the_stored_starts() -> None:
    data = project(
        task(1, "Survey", Start="2024-03-04T08:00:00", Finish="2024-03-05T17:00:00") + PUMP,
        start="1899-12-30T00:00:00",
    )
    assert dates(data)["Survey"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    assert repairs(data)[0] == (
        "Project <StartDate>: 1899-12-30 is outside the years a schedule covers (1980-2149): "
        "the earliest task start is used"
    )
    with pytest.raises(MspdiError, match="starts on 2300-03-04, outside the years"):
        read_mspdi(project(task(1, "Survey"), start="2300-03-04T08:00:00"))


def test_numbers_no_float_holds_are_repaired_where_the_schedule_does_not_need_them() -> None:
    nines = "PT" + "9" * 320 + "H0M0S"
    assignment = (
        "<Assignment><UID>7</UID><TaskUID>1</TaskUID><ResourceUID>-65535</ResourceUID>"
        "<TimephasedData><Type>INF</Type><UID>7</UID><Start>2024-03-04T08:00:00</Start>"
        "<Finish>2024-03-04T17:00:00</Finish><Value>PT8H0M0S</Value></TimephasedData>"
        "</Assignment>"
    )
    baseline = f"<Baseline><Number>0</Number><Duration>{nines}</Duration></Baseline>"
    build = BUILD.replace("</Task>", baseline + "</Task>")
    data = project(build, assignments=assignment)
    assert dates(data)["Build"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    found = repairs(data)
    assert any(line.startswith("task UID 1 'Build' baseline 0 <Duration>") for line in found)
    assert any(
        line.startswith("assignment UID 7 <TimephasedData>: 1 row(s) skipped (<Type> is not a")
        for line in found
    )
    # On a task's own duration it is one message naming the task.
    with pytest.raises(MspdiError, match="task UID 1 'Build': <Duration> not a duration"):
        read_mspdi(project(task(1, "Build", duration=nines)))


def test_a_fractional_uid_is_skipped_and_does_not_push_out_the_real_task() -> None:
    data = project(task(3, "Dig") + task(4, "Pour", links=fs(3))).replace(
        b"<Tasks>",
        b"<Tasks><Task><UID>3.7</UID><Name>Junk</Name><OutlineLevel>1</OutlineLevel>"
        b"<Duration>PT8H0M0S</Duration></Task>",
    )
    assert list(dates(data)) == ["Dig", "Pour"]
    assert "task UID 3.7 'Junk': UID '3.7' is not a task UID: skipped" in repairs(data)


def test_a_summary_duration_the_schedule_ignores_is_ignored() -> None:
    phase = task(1, "Phase", duration="P1W", Summary="1")
    dig = task(2, "Dig").replace("<OutlineLevel>1</OutlineLevel>", "<OutlineLevel>2</OutlineLevel>")
    data = project(phase + dig)
    assert dates(data)["Dig"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    assert (
        "task UID 1 'Phase' <Duration>: not an ISO 8601 duration: 'P1W': ignored, as a "
        "summary's dates are its subtasks'"
    ) in repairs(data)


def test_a_percent_complete_outside_0_to_100_is_clamped() -> None:
    build = task(
        1,
        "Build",
        Start="2024-03-04T08:00:00",
        Finish="2024-03-05T17:00:00",
        ActualStart="2024-03-04T08:00:00",
        PercentComplete="-50",
    )
    data = project(build)
    assert dates(data)["Build"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    assert "task UID 1 'Build' <PercentComplete>: -50 is not within 0-100: 0 used" in (
        repairs(data)
    )


@pytest.mark.parametrize("afternoon", ["13:00:00.000", "13:00:00Z", "13:00"])
def test_working_times_with_fractions_or_a_zone_are_read(afternoon: str) -> None:
    week = WEEK.replace("<FromTime>13:00:00</FromTime>", f"<FromTime>{afternoon}</FromTime>")
    calendar = STANDARD.replace(WEEK, week)
    assert dates(project(BUILD, calendars=calendar))["Build"] == (
        datetime(2024, 3, 4, 8),
        datetime(2024, 3, 5, 17),
    )


def test_a_file_without_the_mspdi_namespace_is_read_and_the_repair_listed() -> None:
    data = project(BUILD).replace(b' xmlns="http://schemas.microsoft.com/project"', b"")
    assert dates(data)["Build"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    assert (
        repairs(data)[0]
        == "Project: not in the MSPDI namespace (no namespace): read as an MSPDI file"
    )
    other = project(BUILD).replace(b"http://schemas.microsoft.com/project", b"urn:other")
    assert dates(other)["Build"] == (datetime(2024, 3, 4, 8), datetime(2024, 3, 5, 17))
    with pytest.raises(MspdiError, match="the root element is not <Project>"):
        read_mspdi(b"<Plan><Tasks/></Plan>")


def test_a_missing_resource_calendar_is_listed_when_its_tasks_have_calendars_of_their_own() -> None:
    resource = (
        "<Resource><UID>1</UID><Name>Ana</Name><Type>1</Type><CalendarUID>99</CalendarUID>"
        "</Resource>"
    )
    assignment = (
        "<Assignment><UID>7</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID>"
        "<Units>1</Units><Work>PT8H0M0S</Work><WorkContour>0</WorkContour></Assignment>"
    )
    data = project(
        task(1, "Build", duration="PT8H0M0S", CalendarUID="4"),
        calendars=STANDARD + MORNINGS,
        resources=resource,
        assignments=assignment,
    )
    assert (
        "resource UID 1 'Ana': calendar 99 is missing or has no working time: its work follows "
        "the calendars of the tasks it is on"
    ) in repairs(data)


def test_outline_levels_counted_from_zero_keep_every_phase() -> None:
    """A level-0 summary other than UID 0 means the tool counts levels from 0: the in-app
    import dropped the first such phase as if it were the project (review, 2026-12-05)."""

    def at(level: int, xml: str) -> str:
        return xml.replace(
            "<OutlineLevel>1</OutlineLevel>", f"<OutlineLevel>{level}</OutlineLevel>"
        )

    data = project(
        at(0, task(1, "Phase S", Summary="1"))
        + task(2, "S.a")
        + at(0, task(3, "T"))
        + at(0, task(4, "Phase U", Summary="1"))
        + task(5, "U.a")
    )
    plan = read_mspdi(data).plan
    assert [(t.name, t.parent) for t in plan.tasks] == [
        ("Phase S", None),
        ("S.a", 1),
        ("T", None),
        ("Phase U", None),
        ("U.a", 4),
    ]
    assert repairs(data)[0].startswith("task UID 1 'Phase S' <OutlineLevel>: a summary at level 0")


def test_older_form_exceptions_over_centuries_are_read_at_once() -> None:
    """Listing every day of a 1900-9999 range to compare it with a recurrence took a minute."""
    import time

    legacy = "".join(
        "<WeekDay><DayType>0</DayType><DayWorking>0</DayWorking><TimePeriod>"
        f"<FromDate>1900-01-{day:02d}T00:00:00</FromDate><ToDate>9999-12-31T23:59:00</ToDate>"
        "</TimePeriod></WeekDay>"
        for day in range(1, 21)
    )
    calendar = (
        "<Calendar><UID>3</UID><Name>Ana</Name><IsBaseCalendar>0</IsBaseCalendar>"
        f"<BaseCalendarUID>1</BaseCalendarUID><WeekDays>{legacy}</WeekDays><Exceptions>"
        f"<Exception><TimePeriod>{CHRISTMAS_EVERY_YEAR}<DayWorking>0</DayWorking></Exception>"
        "</Exceptions></Calendar>"
    )
    began = time.perf_counter()
    read_mspdi(project(BUILD, calendars=STANDARD + calendar))
    assert time.perf_counter() - began < 5  # 53 s before the fix; about 0.1 s now
