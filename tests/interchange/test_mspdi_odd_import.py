"""Odd Microsoft Project files in the app: what a review found crashing or misleading there.

Before: the task Project writes at outline level 0 (the project itself) became a summary over
every imported task; an elapsed duration of 2 days became 48 working hours (6 days); the preview
compared the app's dates with the engine's reading of the file only, so tasks read otherwise than
Project (an inactive one) showed as "same"; a time-zone suffix, ``<Units>INF</Units>`` or an
actual finish before the actual start answered 500.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.interchange.test_mspdi_import import CALENDAR, NS, _link, _task
from twofold.interchange import mspdi_import
from twofold.interchange.models import UploadStatus
from twofold.projects.models import Task

pytestmark = pytest.mark.django_db


def _file(tasks: str, extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?><Project xmlns="{NS}"><Name></Name>'
        f"<StartDate>2026-03-02T08:00:00</StartDate><CalendarUID>1</CalendarUID>{CALENDAR}"
        f"<Tasks>{tasks}</Tasks>{extra}</Project>"
    ).encode()


def _import(org: Any, owner: Any, data: bytes) -> tuple[dict[str, Any], dict[str, Task]]:
    upload = mspdi_import.upload_mspdi(actor=owner, organisation=org, file_name="f.xml", data=data)
    assert upload.status == UploadStatus.READY, upload.error
    project = mspdi_import.apply_upload(actor=owner, upload=upload, mode="new")
    assert project is not None
    return upload.preview, {t.name: t for t in Task.objects.filter(project=project)}


def test_the_project_summary_task_is_the_project_not_a_task(org: Any, owner: Any) -> None:
    data = _file(
        _task(0, "Line 4 retrofit", 0, level=0).replace(
            "<Duration>", "<Summary>1</Summary><Duration>"
        )
        + _task(1, "Phase", 0, level=1).replace("<Duration>", "<Summary>1</Summary><Duration>")
        + _task(2, "Dig", 16, level=2)
        + _task(3, "Pour", 8, level=1, preds=_link(2))
    )
    preview, tasks = _import(org, owner, data)
    assert sorted(tasks) == ["Dig", "Phase", "Pour"]
    assert tasks["Phase"].parent is None and tasks["Pour"].parent is None
    assert tasks["Dig"].parent == tasks["Phase"]
    assert preview["name"] == "Line 4 retrofit"  # the file has no <Name>: the summary's
    assert preview["counts"]["tasks"] == 3


def test_an_elapsed_duration_becomes_the_working_time_inside_it(org: Any, owner: Any) -> None:
    # 2 elapsed days from Monday 08:00 end Wednesday 08:00: 16 working hours on 8-hour days.
    elapsed = _task(1, "Cure", 48).replace(
        "<DurationFormat>7</DurationFormat>", "<DurationFormat>8</DurationFormat>"
    )
    preview, tasks = _import(org, owner, _file(elapsed))
    assert tasks["Cure"].duration_minutes == 16 * 60
    # Tuesday 17:00 in the app, Wednesday 08:00 in the file's schedule: one working moment,
    # not a difference.
    assert preview["counts"]["differ"] == 0
    assert preview["notes"] == [
        "Task 1 “Cure”: an elapsed duration of 2 days is imported as 16 h, the working time of "
        "the project calendar in those days (Twofold durations are working time)"
    ]


def test_the_preview_names_tasks_whose_stored_dates_the_file_does_not_give(
    org: Any, owner: Any
) -> None:
    # Project stored Pour on Monday (its predecessor is inactive); our reading agrees now, but
    # a stored date that no reading gives is listed with both dates.
    data = _file(
        _task(1, "Dig", 16).replace(
            "</Name>",
            "</Name><Start>2026-03-02T08:00:00</Start><Finish>2026-03-03T17:00:00</Finish>",
        )
        + _task(2, "Pour", 8, preds=_link(1)).replace(
            "</Name>",
            "</Name><Start>2026-03-09T08:00:00</Start><Finish>2026-03-09T17:00:00</Finish>",
        )
    )
    preview, _tasks = _import(org, owner, data)
    assert preview["counts"]["unlike_project"] == 1
    assert preview["unlike_project"] == [
        {
            "uid": 2,
            "name": "Pour",
            "start": "2026-03-04T08:00",
            "finish": "2026-03-04T17:00",
            "stored_start": "2026-03-09T08:00",
            "stored_finish": "2026-03-09T17:00",
        }
    ]


def test_files_that_answered_500_import(org: Any, owner: Any) -> None:
    data = _file(
        _task(1, "Dig", 16).replace(
            "</Name>",
            "</Name><Start>2026-03-02T08:00:00Z</Start><ActualStart>2026-03-04T08:00:00"
            "</ActualStart><ActualFinish>2026-03-02T17:00:00</ActualFinish>"
            "<PercentComplete>100</PercentComplete>",
        ),
        extra=(
            "<Resources><Resource><UID>1</UID><Name>Ann</Name><Type>1</Type></Resource></Resources>"
            "<Assignments><Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID>"
            "<Units>INF</Units></Assignment></Assignments>"
        ),
    )
    preview, tasks = _import(org, owner, data)
    assert tasks["Dig"].actual_finish is None
    assert [r.split(":")[0] for r in preview["repairs"]] == [
        "assignment UID 1 <Units>",
        "task UID 1 'Dig' <ActualFinish>",
        "Project",  # no calculated dates (no stored finish)
        "task UID 1 'Dig' <Start>",  # the time-zone suffix
    ]


def test_a_preview_that_fails_on_our_side_marks_the_upload_failed(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    """A large file previewed by the worker stayed "previewing" with no message when the reader
    crashed."""
    from tests.interchange.test_mspdi_import import PLAN
    from twofold.interchange.models import MspdiUpload

    monkeypatch.setattr(mspdi_import, "INLINE_BYTES", 100)  # previewed "by the worker"
    upload = mspdi_import.upload_mspdi(actor=owner, organisation=org, file_name="f.xml", data=PLAN)

    def crash(*args: Any) -> Any:
        raise TypeError("can't compare offset-naive and offset-aware datetimes")

    monkeypatch.setattr(mspdi_import, "build_preview", crash)
    with pytest.raises(TypeError):
        mspdi_import.preview_upload(upload)
    upload = MspdiUpload.objects.get(pk=upload.pk)
    assert upload.status == UploadStatus.FAILED
    assert upload.error.startswith("Twofold could not preview this file")


def test_a_long_hourly_lag_becomes_days_and_a_milestone_with_work_says_so(
    org: Any, owner: Any
) -> None:
    """A lag of 130 days and 1 hour (1,041 h) was refused (at most 1,000 units); a milestone
    flag on a task with a duration was dropped without a word."""
    lag = (130 * 480 + 60) * 10  # tenths of a minute
    data = _file(
        _task(1, "Order", 8).replace("</Name>", "</Name><Milestone>1</Milestone>")
        + _task(2, "Deliver", 8, preds=_link(1, lag))
    )
    preview, _tasks = _import(org, owner, data)
    assert preview["notes"] == [
        "Task 1 “Order”: marked as a milestone with a duration in the file; imported as a task "
        "of that duration (a Twofold milestone has none)",
        "Link 1 → 2 (task “Deliver”): lag of 1041 h rounded to 130 days",
    ]
