"""Split tasks by the position of each split (issue 16, item 2): a pause that sits in the
remaining part of a started task still delays its finish; one in the done part does not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from twofold.engine import plan as ep
from twofold.engine.cpm import schedule
from twofold.interop.mspdi import read_mspdi

H = 3600
DAY = 8 * H
MONDAY = dt.datetime(2025, 3, 3, 8)
FRIDAY = dt.datetime(2025, 3, 7, 8)
SPLIT_FILE = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "mspdi" / "mspdisplittask.xml"
)


def _finish(task: ep.Task, **plan: object) -> dt.datetime:
    result = schedule(ep.Plan(start=MONDAY, tasks=(task,), **plan))  # type: ignore[arg-type]
    return result.task(task.uid).finish


STARTED = {
    "uid": 1,
    "name": "Install",
    "duration": 4 * DAY,
    "actual_start": MONDAY,
    "percent_complete": 50.0,
}
STATUS = {"status_date": FRIDAY, "reschedule_after_status": True}


def test_a_pause_in_the_remaining_work_delays_the_finish() -> None:
    # 4 days, half done, rescheduled after the status date (Friday): 2 days remain. A one-day
    # pause after 3 days of work lies in the remaining part: Fri + Mon work, Tue pause... the
    # task finishes Tuesday 17:00. The old model (total pause time, all counted in the done
    # part) finished on Monday.
    late = ep.Task(**STARTED, splits=(ep.Split(3 * DAY, DAY),))  # type: ignore[arg-type]
    assert _finish(late, **STATUS) == dt.datetime(2025, 3, 11, 17)
    total_only = ep.Task(**STARTED, split_seconds=DAY)  # type: ignore[arg-type]
    assert _finish(total_only, **STATUS) == dt.datetime(2025, 3, 10, 17)


def test_a_pause_in_the_done_work_does_not() -> None:
    early = ep.Task(**STARTED, splits=(ep.Split(1 * DAY, DAY),))  # type: ignore[arg-type]
    assert _finish(early, **STATUS) == dt.datetime(2025, 3, 10, 17)


def test_positions_inside_the_work_count_and_others_do_not() -> None:
    task = {"uid": 1, "name": "T", "duration": 4 * DAY}
    inside = ep.Task(**task, splits=(ep.Split(2 * DAY, DAY),))  # type: ignore[arg-type]
    after = ep.Task(**task, splits=(ep.Split(4 * DAY, DAY),))  # type: ignore[arg-type]
    assert _finish(inside) == dt.datetime(2025, 3, 7, 17)  # 4 days + 1 pause
    assert _finish(after) == dt.datetime(2025, 3, 6, 17)  # after the last work: no effect


@pytest.mark.skipif(not SPLIT_FILE.exists(), reason="shared MSPDI files not present")
def test_mspdi_import_reads_each_split_position() -> None:
    plan = read_mspdi(SPLIT_FILE).plan
    splits = {t.uid: [(s.at // H, s.seconds // H) for s in t.splits] for t in plan.tasks}
    # Task 1: three pause days after 32 h of work; task 2: two after 24 h, three after 64 h.
    assert splits[1] == [(32, 8), (32, 8), (32, 8)]
    assert splits[2] == [(24, 8), (24, 8), (64, 8), (64, 8), (64, 8)]
