"""Days counted on the project's own calendar, holidays and working week included, wherever
the app counts them outside the engine: a bar's end dragged, a task marked done, the baseline
variance and the portfolio card's slip (all counted the Standard Monday-Friday until
2026-12-05)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.calendars import services as calendars
from twofold.projects import selectors, services
from twofold.projects.models import Project, Task

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 3, 3)
DAY = 480


def _holiday(org: Any, owner: Any, day: dt.date) -> None:
    cal = calendars.ensure_default_calendar(org)
    calendars.add_holiday(
        actor=owner, calendar=cal, expected_version=cal.version, name="Holiday", start=day
    )


def _project(org: Any, owner: Any) -> Project:
    return services.create_project(
        actor=owner, organisation=org, name="Press line", code="PL", target_start=MONDAY
    )


def test_a_bar_dragged_over_a_holiday_counts_its_working_days(org: Any, owner: Any) -> None:
    _holiday(org, owner, dt.date(2025, 3, 5))  # Wednesday
    task, _ = services.create_task(
        actor=owner, project=_project(org, owner), name="Frame", duration_minutes=DAY
    )
    task.refresh_from_db()
    task, _ = services.resize_task(
        actor=owner, task=task, expected_version=task.version, finish=dt.date(2025, 3, 6)
    )
    assert task.duration_minutes == 3 * DAY  # Mon, Tue, Thu (it read 4 days, to Friday)


def test_a_six_day_week_counts_saturday(org: Any, owner: Any) -> None:
    hours = {str(d): ([["08:00", "12:00"], ["13:00", "17:00"]] if d < 6 else []) for d in range(7)}
    calendars.create_calendar(
        actor=owner, organisation=org, name="Six days", hours=hours, is_default=True
    )
    task, _ = services.create_task(
        actor=owner, project=_project(org, owner), name="Frame", duration_minutes=DAY
    )
    task.refresh_from_db()
    task, _ = services.resize_task(
        actor=owner, task=task, expected_version=task.version, finish=dt.date(2025, 3, 8)
    )
    assert task.duration_minutes == 6 * DAY  # Monday to Saturday (it read 5, to Friday)


def test_a_task_marked_done_keeps_its_working_days_over_a_holiday(org: Any, owner: Any) -> None:
    project = _project(org, owner)
    task, _ = services.create_task(
        actor=owner, project=project, name="Frame", duration_minutes=3 * DAY
    )
    _holiday(org, owner, dt.date(2025, 3, 4))  # Tuesday: Mon, Wed, Thu
    task.refresh_from_db()
    task, _ = services.update_task(
        actor=owner, task=task, expected_version=task.version, status="done"
    )
    assert (task.actual_start, task.actual_finish) == (dt.date(2025, 3, 3), dt.date(2025, 3, 6))


def test_slip_and_variance_count_the_projects_working_days(
    org: Any, owner: Any, signed_in: Any
) -> None:
    _holiday(org, owner, dt.date(2025, 3, 10))  # the Monday after
    project = _project(org, owner)
    task, _ = services.create_task(
        actor=owner, project=project, name="Frame", duration_minutes=5 * DAY
    )
    services.save_baseline(actor=owner, project=project, name="Plan")
    task.refresh_from_db()
    services.update_task(
        actor=owner, task=task, expected_version=task.version, duration_minutes=6 * DAY
    )  # Friday 7 becomes Tuesday 11: one working day later, over the holiday
    project.refresh_from_db()
    card = selectors.project_card(org, project)
    assert card.slip_days == 1.0
    assert [c.slip_days for c in selectors.portfolio(org) if c.project.pk == project.pk] == [1.0]
    page = signed_in(owner).get(f"/projects/{project.pk}/baselines/")
    row = next(v for v in page.context["variance"] if v["row"].task.pk == task.pk)
    assert (row["start_var"], row["finish_var"]) == (0.0, 1.0)
    assert Task.objects.get(pk=task.pk).duration_minutes == 6 * DAY


def test_milestones_get_no_subtasks_and_summaries_no_constraints(org: Any, owner: Any) -> None:
    """Both were accepted through other paths than indent (a milestone became a Mon-Fri
    summary still marked a milestone), and a summary's constraint was kept and ignored."""
    from twofold.core.errors import Invalid

    project = _project(org, owner)
    gate, _ = services.create_task(actor=owner, project=project, name="Gate", is_milestone=True)
    with pytest.raises(Invalid) as refused:
        services.create_task(actor=owner, project=project, name="Under", parent=gate)
    assert refused.value.field == "parent"
    phase, _ = services.create_task(actor=owner, project=project, name="Phase")
    inner, _ = services.create_task(
        actor=owner, project=project, name="Sign-off", parent=phase, is_milestone=True
    )
    services.create_task(actor=owner, project=project, name="After", parent=phase)
    inner.refresh_from_db()
    with pytest.raises(Invalid, match="A milestone cannot have subtasks"):
        services.outdent_task(actor=owner, task=inner, expected_version=inner.version)
    phase.refresh_from_db()
    with pytest.raises(Invalid) as summary:
        services.update_task(
            actor=owner,
            task=phase,
            expected_version=phase.version,
            constraint_type="snet",
            constraint_date=dt.date(2025, 3, 10),
        )
    assert summary.value.field == "constraint_type"
    assert Task.objects.get(pk=phase.pk).constraint_type == "asap"
    assert list(Task.objects.filter(parent=gate)) == []


def test_date_constraints_and_actual_dates_use_the_calendars_hours(org: Any, owner: Any) -> None:
    """On a 09:00-18:00 calendar a one-day task to finish no later than Wednesday runs on
    Wednesday (it ran from Tuesday 17:00, the Standard day's end), and a task marked done
    shows that calendar's day (it showed 08:00-17:00, partly outside working time)."""
    from zoneinfo import ZoneInfo

    hours = {str(d): ([["09:00", "13:00"], ["14:00", "18:00"]] if d < 5 else []) for d in range(7)}
    calendars.create_calendar(
        actor=owner, organisation=org, name="Late", hours=hours, is_default=True
    )
    project = _project(org, owner)
    london = ZoneInfo("Europe/London")

    def local(task: Task) -> tuple[str, str]:
        task.refresh_from_db()
        return (
            f"{task.start.astimezone(london):%a %H:%M}",
            f"{task.finish.astimezone(london):%a %H:%M}",
        )

    week, _ = services.create_task(
        actor=owner, project=project, name="Build", duration_minutes=5 * DAY
    )
    fnlt, _ = services.create_task(
        actor=owner,
        project=project,
        name="Inspect",
        duration_minutes=DAY,
        constraint_type="fnlt",
        constraint_date=dt.date(2025, 3, 5),
    )
    services.add_link(actor=owner, project=project, pred=week, succ=fnlt)
    # The link wants Monday 10; the limit (which wins, as in Microsoft Project) is the end of
    # Wednesday on this calendar: 18:00.
    assert local(fnlt) == ("Wed 09:00", "Wed 18:00")
    done, _ = services.create_task(actor=owner, project=project, name="Clean", duration_minutes=DAY)
    done.refresh_from_db()
    services.update_task(actor=owner, task=done, expected_version=done.version, status="done")
    assert local(done) == ("Mon 09:00", "Mon 18:00")


def test_a_saturday_finish_on_a_six_day_week_shows_as_saturday(org: Any, owner: Any) -> None:
    """The pages' finish dates snapped every finish to the Standard week: a six-day task
    ending Saturday 17:00 read Friday 7 March in the task table and on the task page."""
    from twofold.projects.dates import finish_day

    hours = {str(d): ([["08:00", "12:00"], ["13:00", "17:00"]] if d < 6 else []) for d in range(7)}
    calendars.create_calendar(
        actor=owner, organisation=org, name="Six days", hours=hours, is_default=True
    )
    task, _ = services.create_task(
        actor=owner, project=_project(org, owner), name="Frame", duration_minutes=6 * DAY
    )
    task.refresh_from_db()
    assert finish_day(task.finish, start=task.start) == dt.date(2025, 3, 8)
    # A morning instant still stands for the working day before (a milestone after a task).
    monday_8 = dt.datetime(2025, 3, 10, 8, 0)
    assert finish_day(monday_8, start=dt.datetime(2025, 3, 3, 8, 0)) == dt.date(2025, 3, 7)


def test_a_task_cannot_be_linked_to_its_own_summary(org: Any, owner: Any) -> None:
    from twofold.core.errors import Invalid

    project = _project(org, owner)
    phase, _ = services.create_task(actor=owner, project=project, name="Phase")
    inner, _ = services.create_task(actor=owner, project=project, name="Weld", parent=phase)
    phase.refresh_from_db()
    for pred, succ in ((phase, inner), (inner, phase)):
        with pytest.raises(Invalid) as refused:
            services.add_link(actor=owner, project=project, pred=pred, succ=succ)
        assert refused.value.message == (
            "“Phase” is a summary above “Weld”: a task cannot be linked to its own summary. "
            "Link it to a task outside that summary instead."
        )
