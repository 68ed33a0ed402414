"""Out-of-sequence progress: retained logic versus progress override, on hand-made plans.

A task that started before its predecessors allow is "out of sequence". Progress override
(Microsoft Project's behaviour, ``Plan.retained_logic=False``) lets its remaining work go on from
where the done part ends; retained logic (Primavera's default) makes the remaining work wait for
what the links require. The week of 8 January 2024 starts on Monday; days are 8-12, 13-17.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from twofold.engine.cpm import schedule
from twofold.engine.plan import Link, LinkType, Plan, Task

H = 3600
D = 8 * H
MONDAY = datetime(2024, 1, 8, 8)


def finish_of(uid: int, *tasks: Task, links: tuple[Link, ...], retained: bool) -> datetime:
    plan = Plan(start=MONDAY, tasks=tasks, links=links, retained_logic=retained)
    dates = schedule(plan).task(uid)
    return dates.finish


# B started on Monday although its FS predecessor A (5 days, not started) has not finished; two
# of B's four days are done.
A = Task(1, name="Pour foundations", duration=5 * D)
B = Task(2, name="Frame walls", duration=4 * D, actual_start=MONDAY, remaining_duration=2 * D)


def test_progress_override_continues_where_the_done_part_ends() -> None:
    assert finish_of(2, A, B, links=(Link(1, 2),), retained=False) == datetime(2024, 1, 11, 17)


def test_retained_logic_makes_the_remaining_work_wait_for_the_predecessor() -> None:
    # A finishes Friday 12 January 17:00; B's two remaining days are Monday and Tuesday.
    assert finish_of(2, A, B, links=(Link(1, 2),), retained=True) == datetime(2024, 1, 16, 17)
    result = schedule(Plan(start=MONDAY, tasks=(A, B), links=(Link(1, 2),), retained_logic=True))
    assert result.task(2).start == MONDAY  # the actual start stays


def test_retained_logic_keeps_a_lag() -> None:
    link = Link(1, 2, LinkType.FS, D)
    assert finish_of(2, A, B, links=(link,), retained=True) == datetime(2024, 1, 17, 17)


def test_retained_logic_with_a_finished_predecessor_counts_its_actual_finish() -> None:
    done = Task(
        1,
        duration=2 * D,
        actual_start=MONDAY,
        actual_finish=datetime(2024, 1, 12, 17),  # ran late, finished Friday
    )
    assert finish_of(2, done, B, links=(Link(1, 2),), retained=False) == datetime(2024, 1, 11, 17)
    assert finish_of(2, done, B, links=(Link(1, 2),), retained=True) == datetime(2024, 1, 16, 17)


def test_retained_logic_bounds_the_finish_with_a_finish_to_finish_link() -> None:
    link = Link(1, 2, LinkType.FF)
    assert finish_of(2, A, B, links=(link,), retained=False) == datetime(2024, 1, 11, 17)
    assert finish_of(2, A, B, links=(link,), retained=True) == datetime(2024, 1, 12, 17)


@pytest.mark.parametrize("retained", [False, True])
def test_progress_in_sequence_is_the_same_under_both_rules(retained: bool) -> None:
    # A finished on Tuesday; B started on Wednesday as the link allows: nothing to retain.
    done = Task(1, duration=2 * D, actual_start=MONDAY, actual_finish=datetime(2024, 1, 9, 17))
    started = Task(
        2, duration=4 * D, actual_start=datetime(2024, 1, 10, 8), remaining_duration=2 * D
    )
    assert finish_of(2, done, started, links=(Link(1, 2),), retained=retained) == datetime(
        2024, 1, 15, 17
    )


def test_a_successor_of_the_out_of_sequence_task_follows_the_rule() -> None:
    c = Task(3, name="Roof", duration=D)
    links = (Link(1, 2), Link(2, 3))
    assert finish_of(3, A, B, c, links=links, retained=False) == datetime(2024, 1, 12, 17)
    assert finish_of(3, A, B, c, links=links, retained=True) == datetime(2024, 1, 17, 17)


def test_retained_logic_gives_the_predecessor_the_float_the_remaining_work_leaves() -> None:
    # The started task's latest resume point is its late finish less its remaining work, so
    # Pour (which it waits for) is critical with no float, not −2 days.
    result = schedule(Plan(start=MONDAY, tasks=(A, B), links=(Link(1, 2),), retained_logic=True))
    assert result.task(1).total_float == 0 and result.task(1).critical
    assert result.task(1).late_finish == datetime(2024, 1, 12, 17)


def test_retained_remaining_work_longer_than_the_duration_keeps_the_driver_critical() -> None:
    long_rest = Task(2, duration=2 * D, actual_start=MONDAY, remaining_duration=6 * D)
    result = schedule(
        Plan(start=MONDAY, tasks=(A, long_rest), links=(Link(1, 2),), retained_logic=True)
    )
    assert result.task(2).finish == datetime(2024, 1, 22, 17)
    assert result.task(1).total_float == 0 and result.task(1).critical
