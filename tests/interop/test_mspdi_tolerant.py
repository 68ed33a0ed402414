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
    assert (report.matching, report.compared, report.repairs) == (2, 2, ())


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


def test_a_legacy_exception_missing_from_the_modern_list_is_applied() -> None:
    # A resource calendar derived from Standard with a one-day exception (Tuesday March 5)
    # written only in the pre-2007 WeekDay form, next to a modern list holding another day.
    derived = (
        "<Calendar><UID>3</UID><Name>Ana</Name><IsBaseCalendar>0</IsBaseCalendar>"
        "<BaseCalendarUID>1</BaseCalendarUID><WeekDays>"
        "<WeekDay><DayType>0</DayType><DayWorking>0</DayWorking><TimePeriod>"
        "<FromDate>2024-03-05T00:00:00</FromDate><ToDate>2024-03-05T23:59:00</ToDate>"
        "</TimePeriod></WeekDay></WeekDays><Exceptions><Exception><TimePeriod>"
        "<FromDate>2024-12-25T00:00:00</FromDate><ToDate>2024-12-25T23:59:00</ToDate>"
        "</TimePeriod><Type>1</Type><DayWorking>0</DayWorking></Exception></Exceptions>"
        "</Calendar>"
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
