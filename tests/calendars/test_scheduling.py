"""The engine wired to stored calendars: holidays move tasks, changes reschedule and say so."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from twofold.calendars import services
from twofold.calendars.models import Calendar
from twofold.core.history import HistoryEntry
from twofold.core.jobs import run_pending
from twofold.core.models import JobStatus
from twofold.projects import services as project_services
from twofold.projects.models import Project, Task

MONDAY = dt.date(2025, 3, 3)


@pytest.fixture
def default(org: Any) -> Calendar:
    return services.ensure_default_calendar(org)


@pytest.fixture
def project(org: Any, owner: Any, default: Calendar) -> Project:
    return project_services.create_project(
        actor=owner, organisation=org, name="Line 3 retrofit", code="L3R", target_start=MONDAY
    )


@pytest.fixture
def chain(project: Project, owner: Any) -> list[Task]:
    """A (3 d) → B (2 d), FS."""
    a, _ = project_services.create_task(
        actor=owner, project=project, name="A", duration_minutes=3 * 480
    )
    b, _ = project_services.create_task(
        actor=owner, project=project, name="B", duration_minutes=2 * 480
    )
    project_services.add_link(actor=owner, project=project, pred=a, succ=b)
    return [a, b]


def _dates(task: Task) -> tuple[str, str]:
    task.refresh_from_db()
    zone = project_services.tz_of(task.project.organisation)
    start = timezone.localtime(task.start, zone)
    finish = timezone.localtime(task.finish, zone)
    return f"{start:%a %d %b %H:%M}", f"{finish:%a %d %b %H:%M}"


def test_a_holiday_moves_tasks_by_a_working_day_and_the_change_is_recorded(
    owner: Any, default: Calendar, project: Project, chain: list[Task]
) -> None:
    a, b = chain
    assert _dates(a) == ("Mon 03 Mar 08:00", "Wed 05 Mar 17:00")
    assert _dates(b) == ("Thu 06 Mar 08:00", "Fri 07 Mar 17:00")

    holiday, outcome = services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=default.version,
        name="Founders' day",
        start=dt.date(2025, 3, 4),
    )

    assert _dates(a) == ("Mon 03 Mar 08:00", "Thu 06 Mar 17:00")
    assert _dates(b) == ("Fri 07 Mar 08:00", "Mon 10 Mar 17:00")
    assert outcome.moved is not None and outcome.job is None
    assert outcome.message == (
        "1 project rescheduled, 2 tasks moved; "
        "Line 3 retrofit: 2 tasks moved; finish 7 Mar → 10 Mar."
    )
    entry = HistoryEntry.objects.get(object_id=project.pk, action="rescheduled")
    assert entry.summary == (
        "Calendar change (Founders' day (4 Mar 2025) added to Standard): "
        "2 tasks moved; finish 7 Mar → 10 Mar"
    )
    assert HistoryEntry.objects.filter(
        object_id=default.pk, summary="Added Founders' day (4 Mar 2025)"
    ).exists()
    project.refresh_from_db()
    assert f"{timezone.localtime(project.scheduled_finish):%d %b}" == "10 Mar"

    # Removing it moves them back.
    default.refresh_from_db()
    services.delete_holiday(actor=owner, holiday=holiday, expected_version=default.version)
    assert _dates(b) == ("Thu 06 Mar 08:00", "Fri 07 Mar 17:00")


def test_a_yearly_holiday_recurs_and_a_derived_calendar_inherits_it(
    org: Any, owner: Any, default: Calendar, project: Project
) -> None:
    services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=default.version,
        name="Christmas Day",
        start=dt.date(2020, 12, 25),
        repeat="yearly",
    )
    saturdays = services.create_calendar(
        actor=owner,
        organisation=org,
        name="Six-day week",
        hours={"5": [["08:00", "12:00"]]},
        base=default,
    )
    project_services.update_project(
        actor=owner,
        project=project,
        expected_version=project.version,
        calendar=saturdays,
        target_start=dt.date(2025, 12, 24),
    )
    task, _ = project_services.create_task(
        actor=owner, project=project, name="Install", duration_minutes=2 * 480
    )
    # Wed 24 Dec, Thu 25 Dec is the base's yearly holiday, Fri 26 Dec finishes.
    assert _dates(task) == ("Wed 24 Dec 08:00", "Fri 26 Dec 17:00")
    task3, _ = project_services.create_task(
        actor=owner, project=project, name="Commission", duration_minutes=3 * 480
    )
    # Wed, Fri, then Saturday's four hours and Monday's first four.
    assert _dates(task3) == ("Wed 24 Dec 08:00", "Mon 29 Dec 12:00")


def test_changing_the_hours_of_a_base_calendar_reschedules_projects_on_derived_ones(
    org: Any, owner: Any, default: Calendar, project: Project, chain: list[Task]
) -> None:
    derived = services.create_calendar(
        actor=owner, organisation=org, name="Derived", hours={}, base=default
    )
    project_services.update_project(
        actor=owner, project=project, expected_version=project.version, calendar=derived
    )
    four_days = {
        str(d): ([["08:00", "12:00"], ["13:00", "17:00"]] if d < 4 else []) for d in range(7)
    }
    outcome = services.update_calendar(
        actor=owner, calendar=default, expected_version=default.version, hours=four_days
    )
    assert outcome.moved is not None and outcome.moved.projects == 1
    # Fridays off: A Mon-Wed, B Thu and next Mon.
    assert _dates(chain[1]) == ("Thu 06 Mar 08:00", "Mon 10 Mar 17:00")


def test_choosing_another_calendar_reschedules_the_project(
    org: Any, owner: Any, api: Any, project: Project, chain: list[Task], client: Any
) -> None:
    seven = services.create_calendar(
        actor=owner,
        organisation=org,
        name="Every day",
        hours={str(d): [["08:00", "16:00"]] for d in range(7)},
    )
    token = api(owner).headers
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/calendar"
    r = client.put(
        url,
        {"version": project.version, "calendar_id": seven.pk},
        content_type="application/json",
        **token,
    )
    assert r.status_code == 200, r.content
    assert r.json()["project"]["calendar_id"] == seven.pk
    assert r.json()["rescheduled"]["summary"] == "2 tasks moved; finish 7 Mar → 7 Mar"
    assert _dates(chain[1]) == ("Thu 06 Mar 08:00", "Fri 07 Mar 16:00")
    stale = client.put(
        url, {"version": 1, "calendar_id": None}, content_type="application/json", **token
    )
    assert stale.status_code == 409
    other = client.put(
        url,
        {"version": r.json()["project"]["version"], "calendar_id": 999999},
        content_type="application/json",
        **token,
    )
    assert other.status_code == 422 and other.json()["field"] == "calendar_id"


def test_a_large_change_reschedules_in_a_background_job(
    owner: Any, default: Calendar, project: Project, chain: list[Task], monkeypatch: Any
) -> None:
    monkeypatch.setattr(services, "BACKGROUND_TASKS", 1)
    _holiday, outcome = services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=default.version,
        name="Strike",
        start=dt.date(2025, 3, 4),
    )
    assert outcome.job is not None and outcome.moved is None
    assert _dates(chain[1]) == ("Thu 06 Mar 08:00", "Fri 07 Mar 17:00")  # not yet
    assert run_pending("test") == 1
    outcome.job.refresh_from_db()
    assert outcome.job.status == JobStatus.SUCCEEDED
    assert outcome.job.result["projects"] == 1 and outcome.job.result["tasks"] == 2
    assert _dates(chain[1]) == ("Fri 07 Mar 08:00", "Mon 10 Mar 17:00")


def test_a_holiday_on_the_last_monday_of_may_recurs_on_the_last_monday(
    org: Any, owner: Any, default: Calendar
) -> None:
    from twofold.calendars.working_time import spec_for
    from twofold.engine.calendars import compile_calendar, is_working_day

    services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=default.version,
        name="Spring bank holiday",
        start=dt.date(2026, 5, 25),
        repeat="yearly_weekday",
        week_of_month=5,
    )
    cal = compile_calendar(spec_for(org.pk, None))
    assert not is_working_day(cal, dt.date(2026, 5, 25))
    assert not is_working_day(cal, dt.date(2027, 5, 31))  # the last Monday, a fifth one
    assert is_working_day(cal, dt.date(2027, 5, 24))
    assert is_working_day(cal, dt.date(2025, 5, 26))  # before it started


def test_a_cancelled_reschedule_says_which_projects_it_left(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    """Cancel pressed after the first of two projects: the second kept its old dates and the job
    still read "succeeded", 100 %, "1 project rescheduled"."""
    from twofold.core import jobs
    from twofold.core.models import Job, JobStatus

    default = services.ensure_default_calendar(org)
    plans = []
    for name in ("A plan", "B plan"):
        p = project_services.create_project(
            actor=owner, organisation=org, name=name, code=name[0], target_start=MONDAY
        )
        project_services.create_task(actor=owner, project=p, name="T1", duration_minutes=3 * 480)
        t2, _ = project_services.create_task(
            actor=owner, project=p, name="T2", duration_minutes=2 * 480
        )
        plans.append(t2)
    monkeypatch.setattr(services, "BACKGROUND_TASKS", 1)
    _h, outcome = services.add_holiday(
        actor=owner,
        calendar=default,
        expected_version=default.version,
        name="Strike",
        start=dt.date(2025, 3, 3),
    )
    job = outcome.job
    assert job is not None
    real = jobs.Reporter.__call__

    def cancel_after_first(self: Any, fraction: float, message: str = "") -> bool:
        if fraction > 0:  # Cancel pressed once the first project is done
            Job.objects.filter(pk=self.job_id).update(cancel_requested=True)
        self.last = float("-inf")
        return real(self, fraction, message)

    monkeypatch.setattr(jobs.Reporter, "__call__", cancel_after_first)
    jobs.run_pending("w1")
    job.refresh_from_db()
    assert _dates(plans[0]) != _dates(plans[1])  # B was left on the old dates
    assert job.status == JobStatus.CANCELLED
    assert job.result["skipped"] == ["B plan"]
    assert job.result["summary"].startswith(
        "Cancelled: 1 project not rescheduled on the changed calendar (B plan); "
        "1 rescheduled before the cancel."
    )


def test_a_page_of_many_calendars_builds_their_specs_in_two_queries(
    org: Any, owner: Any, django_assert_num_queries: Any
) -> None:
    """Each calendar missing from the cache built every calendar of the organisation and kept
    one: with 400 calendars a cold portfolio took 48 s (a review found it)."""
    import datetime as dt

    from twofold.calendars import working_time
    from twofold.engine.calendars import is_working_day

    base = services.create_calendar(actor=owner, organisation=org, name="Plant", hours=None)
    services.add_holiday(
        actor=owner,
        calendar=base,
        expected_version=base.version,
        name="Plant shutdown",
        start=dt.date(2026, 8, 3),
    )
    made = [base] + [
        services.create_calendar(
            actor=owner, organisation=org, name=f"Line {n}", hours=None, base=base
        )
        for n in range(12)
    ]
    working_time._SPECS.clear()
    with django_assert_num_queries(3):  # revisions, then the calendars and their holidays
        specs = working_time.project_specs(org.pk)
    assert {pk for pk in specs if pk is not None} == {c.pk for c in made}
    for calendar in made:
        calendar.refresh_from_db()
        compiled = working_time.engine_calendar(calendar)
        assert not is_working_day(compiled, dt.date(2026, 8, 3))  # the base's holiday
    with django_assert_num_queries(1):  # all from the cache now
        working_time.project_specs(org.pk)


def test_making_a_calendar_the_default_records_the_previous_default_and_moves_its_version(
    org: Any, owner: Any
) -> None:
    """The previous default lost its flag in an UPDATE with no version or history (a review)."""
    first = services.create_calendar(
        actor=owner, organisation=org, name="Office", hours=None, is_default=True
    )
    second = services.create_calendar(actor=owner, organisation=org, name="Plant", hours=None)
    first.refresh_from_db()
    read = first.version
    services.update_calendar(
        actor=owner, calendar=second, expected_version=second.version, is_default=True
    )
    first.refresh_from_db()
    assert (first.is_default, first.version) == (False, read + 1)
    entry = HistoryEntry.objects.filter(
        content_type__model="calendar", object_id=first.pk, action="updated"
    ).latest("pk")
    assert entry.changes == {"is_default": [True, False]}
    assert entry.summary == "No longer the default: Plant is"
