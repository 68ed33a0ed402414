"""Review of 6 Dec 2026: a base calendar's change that leaves a derived calendar without working
time, calendars routines use, a yearly holiday's week of the month, and a new default calendar.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.calendars import services
from twofold.calendars.models import Calendar, Holiday
from twofold.core import trash
from twofold.core.errors import Invalid
from twofold.core.history import HistoryEntry
from twofold.operations import services as operations
from twofold.operations.models import Routine
from twofold.projects import services as project_services
from twofold.projects.models import Project, Task

MONDAY = dt.date(2025, 3, 3)
SATURDAY = dt.date(2025, 3, 8)
CLOSED_WEEK = {str(d): [] for d in range(7)}


@pytest.fixture
def default(org: Any) -> Calendar:
    return services.ensure_default_calendar(org)


def _base(org: Any) -> str:
    return f"/api/organisations/{org.pk}/calendars"


@pytest.fixture
def weekend(org: Any, owner: Any, default: Calendar) -> dict[str, Any]:
    """The default also works Saturday mornings; "Weekend" derives from it, closing Mon-Fri,
    and a project schedules on Weekend."""
    services.update_calendar(
        actor=owner,
        calendar=default,
        expected_version=default.version,
        hours={**default.hours, "5": [["08:00", "12:00"]]},
    )
    default.refresh_from_db()
    derived = services.create_calendar(
        actor=owner,
        organisation=org,
        name="Weekend",
        hours={str(d): [] for d in range(5)},
        base=default,
    )
    project = project_services.create_project(
        actor=owner, organisation=org, name="Saturdays", code="SAT", target_start=MONDAY
    )
    project_services.update_project(
        actor=owner, project=project, expected_version=project.version, calendar=derived
    )
    task, _ = project_services.create_task(
        actor=owner, project=Project.objects.get(pk=project.pk), name="A", duration_minutes=240
    )
    return {"derived": derived, "project": project, "task": Task.objects.get(pk=task.pk)}


WEEKEND_LEFT_WITHOUT_WORK = (
    "Weekend, which derives from Standard, would have no working time at all: "
    "give Weekend working hours of its own first."
)


def test_closing_the_base_day_a_derived_calendar_relies_on_is_refused_on_hours(
    api: Any, owner: Any, org: Any, default: Calendar, weekend: dict[str, Any], client: Any
) -> None:
    """It answered 500 (the reschedule of Weekend's project found no working time); docs:
    "also when a derived calendar and its base together leave none" (422 on hours)."""
    client.raise_request_exception = False
    version, hours = default.version, dict(default.hours)
    task = weekend["task"]
    assert task.start.weekday() == 5  # Saturday morning
    r = api(owner).patch(
        f"{_base(org)}/{default.pk}", {"version": version, "hours": {**hours, "5": []}}
    )
    assert r.status_code == 422, r.content
    assert r.json()["field"] == "hours"
    assert r.json()["detail"] == WEEKEND_LEFT_WITHOUT_WORK
    default.refresh_from_db()
    assert (default.version, default.hours) == (version, hours)
    assert Task.objects.get(pk=task.pk).start == task.start

    # The page says the same, and keeps what was typed.
    form = {
        "version": str(version),
        "name": "Standard",
        "is_default": "on",
        **{f"day_{d}": "08:00–12:00, 13:00–17:00" for d in range(5)},
        "day_5": "closed",
        "day_6": "closed",
    }
    client.force_login(owner)
    r = client.post(f"/calendars/{default.pk}/", form)
    assert r.status_code == 422
    assert WEEKEND_LEFT_WITHOUT_WORK in r.content.decode()
    default.refresh_from_db()
    assert default.version == version

    # Closing Weekend's own Saturday is refused as before (the calendar itself).
    derived = weekend["derived"]
    with pytest.raises(Invalid) as caught:
        services.update_calendar(
            actor=owner,
            calendar=derived,
            expected_version=derived.version,
            hours={**derived.hours, "5": []},
        )
    assert caught.value.field == "hours"
    assert caught.value.message.startswith("This calendar would have no working time at all")


def test_a_base_calendar_chain_is_checked_to_the_end(
    owner: Any, org: Any, default: Calendar, weekend: dict[str, Any]
) -> None:
    """A calendar derived from the derived one is checked too (through the chain)."""
    derived = weekend["derived"]
    services.create_calendar(actor=owner, organisation=org, name="Night", hours={}, base=derived)
    with pytest.raises(Invalid) as caught:
        services.update_calendar(
            actor=owner,
            calendar=default,
            expected_version=default.version,
            hours={**default.hours, "5": []},
        )
    # The first calendar (by name) left without working time is named.
    assert caught.value.message == (
        "Night, which derives from Standard (through Weekend), would have no working time at "
        "all: "
        "give Night working hours of its own first."
    )


@pytest.fixture
def stocktake(org: Any, owner: Any, default: Calendar) -> dict[str, Any]:
    """A derived calendar closed all week works only on its base's short day (a holiday with
    hours, Saturday 8 March 2025), and a project schedules on it."""
    holiday, _ = services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=default.version,
        name="Stocktake",
        start=SATURDAY,
        hours=[["08:00", "12:00"]],
    )
    default.refresh_from_db()
    crew = services.create_calendar(
        actor=owner, organisation=org, name="Stocktake crew", hours=CLOSED_WEEK, base=default
    )
    project = project_services.create_project(
        actor=owner, organisation=org, name="Count", code="CNT", target_start=MONDAY
    )
    project_services.update_project(
        actor=owner, project=project, expected_version=project.version, calendar=crew
    )
    project_services.create_task(
        actor=owner, project=Project.objects.get(pk=project.pk), name="Count", duration_minutes=60
    )
    return {"holiday": holiday, "crew": crew}


CREW_LEFT_WITHOUT_WORK = (
    "Stocktake crew, which derives from Standard, would have no working time at all: "
    "give Stocktake crew working hours of its own first."
)


def test_removing_the_base_holiday_that_is_a_derived_calendars_only_work_is_refused(
    api: Any, owner: Any, org: Any, default: Calendar, stocktake: dict[str, Any], client: Any
) -> None:
    """Removing that holiday left the crew's calendar without working time (500 on the
    reschedule of its project)."""
    client.raise_request_exception = False
    holiday = stocktake["holiday"]
    r = api(owner).delete(
        f"{_base(org)}/{default.pk}/holidays/{holiday.pk}?version={default.version}"
    )
    assert r.status_code == 422, r.content
    assert r.json()["detail"] == CREW_LEFT_WITHOUT_WORK
    assert Holiday.objects.filter(pk=holiday.pk).exists()


def test_a_base_holiday_closing_a_derived_calendars_only_work_is_refused(
    api: Any, owner: Any, org: Any, default: Calendar, stocktake: dict[str, Any], client: Any
) -> None:
    client.raise_request_exception = False
    version = default.version
    r = api(owner).post(
        f"{_base(org)}/{default.pk}/holidays",
        {"version": version, "name": "Closed", "start": SATURDAY.isoformat()},
    )
    assert r.status_code == 422, r.content
    assert (r.json()["field"], r.json()["detail"]) == ("hours", CREW_LEFT_WITHOUT_WORK)
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Stocktake"]
    default.refresh_from_db()
    assert default.version == version


def test_deleting_a_calendar_a_routine_shifts_on_is_refused_naming_the_routines(
    api: Any, owner: Any, org: Any, default: Calendar, client: Any
) -> None:
    """The routine's calendar was set to empty without a word (no version, no history)."""
    night = services.create_calendar(
        actor=owner, organisation=org, name="Night shift", hours={"0": [["20:00", "24:00"]]}
    )
    process = operations.create_process(actor=owner, organisation=org, name="Dispatch")
    check = operations.create_routine(
        actor=owner, process=process, name="Check", rrule="FREQ=DAILY", shift="next", calendar=night
    )
    r = api(owner).delete(f"{_base(org)}/{night.pk}?version={night.version}")
    assert r.status_code == 422, r.content
    assert r.json()["field"] == "name"
    assert r.json()["detail"] == (
        "Night shift is still used by routine Check: choose another calendar there first."
    )
    check.refresh_from_db()
    assert (check.calendar_id, check.version) == (night.pk, 1)
    assert Calendar.objects.filter(pk=night.pk).exists()

    # A routine in the trash would come back without its calendar: it counts too. The page
    # refuses with the same words.
    trash.move_to_trash(actor=owner, obj=check)
    client.force_login(owner)
    r = client.post(f"/calendars/{night.pk}/delete/", {"version": str(night.version)}, follow=True)
    assert (
        "Night shift is still used by routine Check (in the trash): choose another calendar "
        "there first." in r.content.decode()
    )
    assert Calendar.objects.filter(pk=night.pk).exists()
    assert Routine.all_objects.get(pk=check.pk).calendar_id == night.pk

    # Once the routine uses another calendar, the delete goes through.
    Routine.all_objects.filter(pk=check.pk).update(calendar=default)
    r = api(owner).delete(f"{_base(org)}/{night.pk}?version={night.version}")
    assert r.status_code == 204
    assert not Calendar.objects.filter(pk=night.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2025-12-25", "repeat": "yearly", "week_of_month": -3}, "week_of_month"),
        ({"start": "2025-05-26", "repeat": "yearly_weekday", "week_of_month": 0}, "week_of_month"),
        ({"start": "2025-05-26", "repeat": "yearly_weekday", "week_of_month": 6}, "week_of_month"),
    ],
)
def test_a_week_of_the_month_outside_1_to_5_is_refused_on_its_field(
    api: Any, owner: Any, org: Any, default: Calendar, client: Any, body: dict[str, Any], field: str
) -> None:
    """-3 answered 409 (the database's CHECK failed, read as a clash); 0 became the week of the
    first day without a word."""
    client.raise_request_exception = False
    r = api(owner).post(
        f"{_base(org)}/{default.pk}/holidays", {"version": default.version, "name": "X", **body}
    )
    assert r.status_code == 422, r.content
    assert r.json()["field"] == field
    assert not Holiday.objects.exists()
    default.refresh_from_db()
    assert default.version == 1
    with pytest.raises(Invalid) as caught:
        services.add_holiday(
            actor=owner,
            calendar=default,
            expected_version=1,
            name="X",
            start=dt.date.fromisoformat(body["start"]),
            repeat=body["repeat"],
            week_of_month=body["week_of_month"],
        )
    assert caught.value.field == "week_of_month"
    assert caught.value.message == "The week of the month is 1 to 4, or 5 for the last."


def test_the_week_of_the_month_is_kept_only_for_a_holiday_on_a_weekday(
    owner: Any, default: Calendar
) -> None:
    yearly, _ = services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=1,
        name="Christmas",
        start=dt.date(2025, 12, 25),
        repeat="yearly",
        week_of_month=2,
    )
    spring, _ = services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=2,
        name="Spring bank holiday",
        start=dt.date(2025, 5, 26),
        repeat="yearly_weekday",
    )
    first, _ = services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=3,
        name="Early May",
        start=dt.date(2025, 5, 5),
        repeat="yearly_weekday",
        week_of_month=1,
    )
    assert [Holiday.objects.get(pk=h.pk).week_of_month for h in (yearly, spring, first)] == [
        None,
        4,
        1,
    ]


def test_a_new_default_calendar_moves_the_previous_defaults_version_and_says_so(
    api: Any, owner: Any, org: Any, default: Calendar
) -> None:
    """The previous default changed with no version bump and no history: an edit page of it
    opened before could make it the default again over the new one."""
    r = api(owner).post(_base(org), {"name": "New", "is_default": True})
    assert r.status_code == 201, r.content
    default.refresh_from_db()
    assert (default.is_default, default.version) == (False, 2)
    entry = HistoryEntry.objects.filter(
        content_type__model="calendar", object_id=default.pk, action="updated"
    ).get()
    assert entry.summary == "No longer the default: New is"
    assert entry.changes == {"is_default": [True, False]}
    assert list(
        Calendar.objects.filter(organisation=org, is_default=True).values_list("name", flat=True)
    ) == ["New"]
    # The page opened before on the old default is now stale.
    r = api(owner).patch(f"{_base(org)}/{default.pk}", {"version": 1, "is_default": True})
    assert r.status_code == 409
