"""Microsoft Project's task-type table and effort-driven rule, one test per cell
(docs/scheduling.md, "Task types and effort-driven scheduling")."""

from __future__ import annotations

import pytest

from twofold.engine.effort import (
    Resourcing,
    Share,
    TaskType,
    add_person,
    remove_person,
    set_duration,
    set_task_type,
    set_units,
    set_work,
)

FU, FD, FW = TaskType.FIXED_UNITS, TaskType.FIXED_DURATION, TaskType.FIXED_WORK
DAY = 480


def one(task_type: TaskType, effort: bool = False) -> Resourcing:
    """5 days, Ann (1) full time: 40 h of work."""
    return Resourcing(5 * DAY, task_type, effort, (Share(1, 100, 5 * DAY),))


def two(task_type: TaskType, effort: bool = False) -> Resourcing:
    """5 days, Ann and Bob full time: 80 h."""
    return Resourcing(5 * DAY, task_type, effort, (Share(1, 100, 5 * DAY), Share(2, 100, 5 * DAY)))


# -- duration changed ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [FU, FD])
def test_duration_change_work_follows(kind: TaskType) -> None:
    r = set_duration(one(kind), 10 * DAY)
    assert (r.duration, r.work, r.units) == (10 * DAY, 10 * DAY, 100)


def test_fixed_work_duration_change_units_follow() -> None:
    r = set_duration(one(FW), 10 * DAY)
    assert (r.duration, r.work, r.shares[0].units) == (10 * DAY, 5 * DAY, 50)


# -- work changed -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [FU, FW])
def test_work_change_duration_follows(kind: TaskType) -> None:
    r = set_work(two(kind), 40 * 60)  # 40 h over two full-time people: 2.5 days
    assert (r.duration, r.work, r.units) == (1200, 2400, 200)
    assert [s.work for s in r.shares] == [1200, 1200]


def test_fixed_duration_work_change_units_follow() -> None:
    r = set_work(one(FD), 10 * DAY)
    assert (r.duration, r.work, r.shares[0].units) == (5 * DAY, 10 * DAY, 200)


def test_work_without_people_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a person"):
        set_work(Resourcing(DAY), 60)


# -- units changed ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [FU, FW])
def test_units_change_duration_follows(kind: TaskType) -> None:
    r = set_units(one(kind), 1, 50)
    assert (r.duration, r.work, r.units) == (10 * DAY, 5 * DAY, 50)


def test_fixed_duration_units_change_work_follows() -> None:
    r = set_units(one(FD), 1, 50)
    assert (r.duration, r.work, r.units) == (5 * DAY, 5 * DAY // 2, 50)


# -- a person added -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [FU, FW])
def test_add_effort_driven_duration_shrinks(kind: TaskType) -> None:
    r = add_person(one(kind, effort=True), 2, 100)
    assert (r.duration, r.work) == (5 * DAY // 2, 5 * DAY)
    assert [(s.person, s.units, s.work) for s in r.shares] == [(1, 100, 1200), (2, 100, 1200)]


def test_add_effort_driven_fixed_duration_units_shrink() -> None:
    r = add_person(one(FD, effort=True), 2, 100)
    assert (r.duration, r.work) == (5 * DAY, 5 * DAY)
    assert [(s.units, s.work) for s in r.shares] == [(50, 1200), (50, 1200)]


@pytest.mark.parametrize("kind", [FU, FD])
def test_add_not_effort_driven_work_grows(kind: TaskType) -> None:
    r = add_person(one(kind), 2, 50)
    assert (r.duration, r.work) == (5 * DAY, 5 * DAY + 5 * DAY // 2)
    assert [(s.units, s.work) for s in r.shares] == [(100, 2400), (50, 1200)]


def test_fixed_work_is_always_effort_driven() -> None:
    assert Resourcing(DAY, FW, effort_driven=False).effort_driven is True
    assert set_task_type(one(FU), FW, effort_driven=False).effort_driven is True
    r = add_person(one(FW, effort=False), 2, 100)
    assert r.duration == 5 * DAY // 2


@pytest.mark.parametrize("kind", [FU, FD, FW])
def test_first_person_keeps_the_duration(kind: TaskType) -> None:
    r = add_person(Resourcing(3 * DAY, kind, True), 7, 50)
    assert (r.duration, r.work, r.units) == (3 * DAY, 3 * DAY // 2, 50)


def test_uneven_split_keeps_work_exact() -> None:
    r = add_person(two(FU, effort=True), 3, 100)  # 80 h over three people
    assert r.work == 10 * DAY
    assert [s.work for s in r.shares] == [1600, 1600, 1600]
    assert r.duration == 1600
    r = add_person(r, 4, 50)  # 4800 over 350 %: 1371.43 min
    assert r.work == 10 * DAY and r.duration == 1371
    assert [s.work for s in r.shares] == [1372, 1371, 1371, 686]


# -- a person removed ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [FU, FW])
def test_remove_effort_driven_duration_grows(kind: TaskType) -> None:
    r = remove_person(two(kind, effort=True), 2)
    assert (r.duration, r.work) == (10 * DAY, 10 * DAY)
    assert [(s.person, s.units, s.work) for s in r.shares] == [(1, 100, 10 * DAY)]


def test_remove_effort_driven_fixed_duration_units_grow() -> None:
    r = remove_person(two(FD, effort=True), 2)
    assert (r.duration, r.work) == (5 * DAY, 10 * DAY)
    assert [(s.units, s.work) for s in r.shares] == [(200, 10 * DAY)]


@pytest.mark.parametrize("kind", [FU, FD])
def test_remove_not_effort_driven_work_shrinks(kind: TaskType) -> None:
    r = remove_person(two(kind), 1)
    assert (r.duration, r.work) == (5 * DAY, 5 * DAY)
    assert [s.person for s in r.shares] == [2]


@pytest.mark.parametrize("kind", [FU, FD, FW])
def test_remove_last_person_keeps_duration(kind: TaskType) -> None:
    r = remove_person(one(kind, True), 1)
    assert (r.duration, r.work, r.shares) == (5 * DAY, 0, ())


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="units"):
        add_person(one(FU), 2, 0)
    with pytest.raises(ValueError, match="already"):
        add_person(one(FU), 1, 100)
    with pytest.raises(KeyError):
        remove_person(one(FU), 9)
    with pytest.raises(ValueError, match="duration"):
        set_duration(one(FU), -1)
