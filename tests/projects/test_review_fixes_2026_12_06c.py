"""The 2026-12-06 scheduling review, reproduced: calendars whose day is not 08:00-17:00, the
task API's milestones and constraints, and refusals that name the right field and reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from twofold.calendars import services as cal_services
from twofold.capacity import levelling
from twofold.core import trash
from twofold.core.errors import Conflict, Invalid
from twofold.core.models import TrashEntry
from twofold.projects import selectors, services
from twofold.projects.forms import TaskInlineForm
from twofold.projects.models import Constraint, Link, Project, Task
from twofold.risks import services as risk_services

pytestmark = pytest.mark.django_db

MON = dt.date(2025, 3, 3)


def _local(project: Project, moment: dt.datetime | None) -> str:
    assert moment is not None
    return f"{timezone.localtime(moment, services.tz_of(project.organisation)):%a %d %H:%M}"


def _span(task: Task) -> tuple[str, str]:
    task.refresh_from_db()
    return _local(task.project, task.start), _local(task.project, task.finish)


def _project_on(
    org: Any, owner: Any, hours: list[list[str]], target_finish: dt.date | None = None
) -> Project:
    cal = cal_services.create_calendar(
        actor=owner, organisation=org, name="Shift", hours={str(d): hours for d in range(5)}
    )
    return services.create_project(
        actor=owner,
        organisation=org,
        name="P",
        code="P",
        target_start=MON,
        calendar=cal,
        target_finish=target_finish,
    )


def _mk(project: Project, owner: Any, name: str, minutes: int = 480, **kw: Any) -> Task:
    task, _ = services.create_task(
        actor=owner, project=project, name=name, duration_minutes=minutes, **kw
    )
    task.refresh_from_db()
    return task


def _base(org: Any, project: Project) -> str:
    return f"/api/organisations/{org.pk}/projects/{project.pk}"


# ---------------------------------------------------------------------------------------------
# 1. The plan starts at the calendar's first working moment of the start day


def test_an_early_shift_plan_starts_at_seven_and_its_successor_keeps_the_hour(org, owner):
    project = _project_on(org, owner, [["07:00", "15:00"]])
    a = _mk(project, owner, "A")
    b = _mk(project, owner, "B")
    services.add_link(actor=owner, project=project, pred=a, succ=b)
    assert _span(a) == ("Mon 03 07:00", "Mon 03 15:00")
    assert _span(b) == ("Tue 04 07:00", "Tue 04 15:00")
    project.refresh_from_db()
    assert _local(project, project.scheduled_finish) == "Tue 04 15:00"


def test_a_standard_plan_still_starts_at_eight(project, owner):
    assert _span(_mk(project, owner, "A")) == ("Mon 03 08:00", "Mon 03 17:00")


def test_the_monte_carlo_starts_and_measures_the_target_on_the_project_calendar(org, owner):
    project = _project_on(org, owner, [["07:00", "15:00"]], target_finish=MON)
    a = _mk(project, owner, "A")
    analysis = risk_services.run_simulation(
        actor=owner, project=project, expected_version=None, estimates={a.pk: (480, 480, 480)}
    )
    # From 08:00 the one-day task ended Tuesday 08:00 and the target was Monday 17:00 (7 of
    # the shift's working hours): no iteration met it.
    assert _local(project, analysis.p50) == "Mon 03 15:00"
    assert analysis.result["target"] == "2025-03-03T15:00"
    assert analysis.chance_on_target == 1.0


def test_levelling_counts_a_start_at_five_on_a_late_shift_in_that_day(org, owner):
    project = _project_on(org, owner, [["09:00", "18:00"]])
    a = _mk(project, owner, "A")  # 8 h: Mon 09:00-17:00
    b = _mk(project, owner, "B")
    services.add_link(actor=owner, project=project, pred=a, succ=b)
    assert _span(b)[0] == "Mon 03 17:00"
    built = levelling.build(project)
    # At 17:00 on every calendar, B was released on Tuesday (period 1).
    assert dict(zip([t.name for t in built.tasks], built.releases, strict=True)) == {
        "A": 0,
        "B": 0,
    }


# ---------------------------------------------------------------------------------------------
# 2. The target date ends when the calendar's day ends


def test_finishing_at_the_end_of_a_late_shift_on_the_target_day_is_not_late(org, owner):
    project = _project_on(org, owner, [["09:00", "18:00"]], target_finish=dt.date(2025, 3, 7))
    _mk(project, owner, "A", 5 * 9 * 60)
    project.refresh_from_db()
    assert _local(project, project.scheduled_finish) == "Fri 07 18:00"
    card = selectors.project_card(org, project)
    # Measured at 17:00 it read "Finish 0.1 working days after the target date" (red). The
    # plan lies in the past and nothing is done: progress is behind as well.
    reasons = [
        "Only 0 working days of float to the target date",
        "Progress 100 points behind plan",
    ]
    assert list(card.health.reasons) == reasons
    portfolio = [c for c in selectors.portfolio(org) if c.project.pk == project.pk]
    assert list(portfolio[0].health.reasons) == reasons


# ---------------------------------------------------------------------------------------------
# 3. The API keeps is_milestone in step with the duration, as the task pages do


def test_api_duration_on_a_milestone_makes_it_a_two_day_task(project, owner, org, api):
    c = api(owner)
    task = c.post(_base(org, project) + "/tasks", {"name": "M", "is_milestone": True}).json()[
        "task"
    ]
    r = c.patch(
        _base(org, project) + f"/tasks/{task['id']}",
        {"version": task["version"], "duration_minutes": 960},
    )
    assert r.status_code == 200
    out = r.json()["task"]
    assert (out["duration_minutes"], out["is_milestone"]) == (960, False)
    assert _span(Task.objects.get(pk=task["id"])) == ("Mon 03 08:00", "Tue 04 17:00")


def test_api_zero_duration_makes_a_milestone_as_the_task_table_does(project, owner, org, api):
    c = api(owner)
    api_task = _mk(project, owner, "By API")
    page_task = _mk(project, owner, "By page")
    r = c.patch(
        _base(org, project) + f"/tasks/{api_task.pk}",
        {"version": api_task.version, "duration_minutes": 0},
    )
    assert (r.status_code, r.json()["task"]["is_milestone"]) == (200, True)
    form = TaskInlineForm({"version": page_task.version, "duration_days": "0"}, project=project)
    assert form.is_valid()
    assert form.changes(page_task) == {"duration_minutes": 0, "is_milestone": True}


def test_api_duration_on_a_summary_leaves_it_a_summary(project, owner, org, api):
    summary = _mk(project, owner, "S")
    _mk(project, owner, "C", parent=summary)
    summary.refresh_from_db()
    r = api(owner).patch(
        _base(org, project) + f"/tasks/{summary.pk}",
        {"version": summary.version, "duration_minutes": 0},
    )
    assert r.status_code == 200
    assert (r.json()["task"]["is_summary"], r.json()["task"]["is_milestone"]) == (True, False)


# ---------------------------------------------------------------------------------------------
# 4. Constraints through the API; an unknown field is a 422 naming it


def test_api_sets_finish_no_later_than_and_must_start_on(project, owner, org, api):
    c = api(owner)
    a = _mk(project, owner, "A")
    url = _base(org, project) + f"/tasks/{a.pk}"
    r = c.patch(
        url, {"version": a.version, "constraint_type": "fnlt", "constraint_date": "2025-03-10"}
    )
    assert r.status_code == 200
    a.refresh_from_db()
    assert (a.constraint_type, a.constraint_date) == (Constraint.FNLT, dt.date(2025, 3, 10))
    # The type alone keeps the date; a must-start-on moves the task there.
    r = c.patch(url, {"version": a.version, "constraint_type": "mso"})
    assert r.status_code == 200
    a.refresh_from_db()
    assert (a.constraint_type, a.constraint_date) == (Constraint.MSO, dt.date(2025, 3, 10))
    assert _span(a) == ("Mon 10 08:00", "Mon 10 17:00")
    # The date alone moves the current constraint; asap clears the date.
    r = c.patch(url, {"version": a.version, "constraint_date": "2025-03-12"})
    a.refresh_from_db()
    assert (r.status_code, a.constraint_type, a.constraint_date) == (
        200,
        Constraint.MSO,
        dt.date(2025, 3, 12),
    )
    r = c.patch(url, {"version": a.version, "constraint_type": "asap"})
    a.refresh_from_db()
    assert (r.status_code, a.constraint_type, a.constraint_date) == (200, Constraint.ASAP, None)
    assert _span(a) == ("Mon 03 08:00", "Mon 03 17:00")


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        (
            {"constraint_typo": "fnlt"},
            "constraint_typo",
            "constraint_typo: Extra inputs are not permitted",
        ),
        (
            {"constraint_type": "fnlt"},
            "constraint_date",
            "This constraint needs a date.",
        ),
        (
            {"constraint_type": "late"},
            "constraint_type",
            "constraint_type: Input should be 'asap', 'snet', 'fnlt' or 'mso'",
        ),
        (
            {"constraint_type": None},
            "constraint_type",
            "constraint_type cannot be null.",
        ),
        (
            {"constraint_date": "2025-03-10"},
            "constraint_type",
            "A has no constraint (asap): send constraint_type with the date.",
        ),
        (
            {"start_no_earlier_than": "2025-03-10", "constraint_type": "fnlt"},
            "start_no_earlier_than",
            "Send start_no_earlier_than or constraint_type and constraint_date, not both.",
        ),
    ],
)
def test_api_constraint_refusals_name_the_field_and_change_nothing(
    project, owner, org, api, body, field, detail
):
    a = _mk(project, owner, "A")
    r = api(owner).patch(_base(org, project) + f"/tasks/{a.pk}", {"version": a.version, **body})
    assert (r.status_code, r.json()["field"], r.json()["detail"]) == (422, field, detail)
    before = a.version
    a.refresh_from_db()
    assert (a.version, a.constraint_type, a.constraint_date) == (before, Constraint.ASAP, None)


def test_api_refuses_a_constraint_on_a_summary_as_the_page_does(project, owner, org, api):
    summary = _mk(project, owner, "S")
    _mk(project, owner, "C", parent=summary)
    summary.refresh_from_db()
    r = api(owner).patch(
        _base(org, project) + f"/tasks/{summary.pk}",
        {"version": summary.version, "constraint_type": "fnlt", "constraint_date": "2025-03-10"},
    )
    assert (r.status_code, r.json()["field"], r.json()["detail"]) == (
        422,
        "constraint_type",
        "S is a summary: its dates follow its subtasks, so put the constraint on them.",
    )


# ---------------------------------------------------------------------------------------------
# 5. A lead before 1980 says so, on the lag


def test_a_lead_before_1980_names_the_first_day_and_the_lag(org, owner):
    p = services.create_project(
        actor=owner, organisation=org, name="Old", code="OLD", target_start=dt.date(1980, 1, 2)
    )
    a = _mk(p, owner, "A")
    b = _mk(p, owner, "B")
    with pytest.raises(Invalid) as exc:
        services.add_link(actor=owner, project=p, pred=a, succ=b, type="FS", lag=-10)
    assert (exc.value.message, exc.value.field) == (
        "The schedule would start before 1 Jan 1980, the first day the calendar covers.",
        "lag",
    )
    assert not Link.objects.filter(project=p).exists()


def test_a_link_past_2149_still_names_the_last_day(org, owner):
    p = services.create_project(
        actor=owner, organisation=org, name="Late", code="LATE", target_start=dt.date(2149, 12, 1)
    )
    a = _mk(p, owner, "A")
    b = _mk(p, owner, "B")
    with pytest.raises(Invalid) as exc:
        services.add_link(actor=owner, project=p, pred=a, succ=b, type="FS", lag=100)
    assert (exc.value.message, exc.value.field) == (
        "The schedule would run past 31 Dec 2149, the last day the calendar covers.",
        "lag",
    )


# ---------------------------------------------------------------------------------------------
# 6. Indent, outdent and restore refuse a summary over a task it is linked to, naming parent

SUMMARY_OVER = (
    "{} is linked to {}, which would become its subtask: a summary cannot depend on its own "
    "subtasks. Remove the link first."
)


def test_indent_under_a_task_linked_to_a_subtask_names_parent(project, owner, org, api):
    a = _mk(project, owner, "A")
    t = _mk(project, owner, "T")
    c1 = _mk(project, owner, "C1", parent=t)
    services.add_link(actor=owner, project=project, pred=a, succ=c1)
    t.refresh_from_db()
    r = api(owner).post(_base(org, project) + f"/tasks/{t.pk}/indent", {"version": t.version})
    assert (r.status_code, r.json()["field"], r.json()["detail"]) == (
        422,
        "parent",
        SUMMARY_OVER.format("A", "C1"),
    )
    version = t.version
    t.refresh_from_db()
    assert (t.parent_id, t.version) == (None, version)


def test_outdent_over_a_linked_later_sibling_names_parent(project, owner, org, api):
    p = _mk(project, owner, "P")
    a = _mk(project, owner, "A", parent=p)
    b = _mk(project, owner, "B", parent=p)
    services.add_link(actor=owner, project=project, pred=a, succ=b)
    a.refresh_from_db()
    r = api(owner).post(_base(org, project) + f"/tasks/{a.pk}/outdent", {"version": a.version})
    assert (r.status_code, r.json()["field"], r.json()["detail"]) == (
        422,
        "parent",
        SUMMARY_OVER.format("A", "B"),
    )
    b.refresh_from_db()
    assert b.parent_id == p.pk


def test_outdent_moves_the_later_siblings_versions_on(project, owner):
    p = _mk(project, owner, "P")
    a = _mk(project, owner, "A", parent=p)
    b = _mk(project, owner, "B", parent=p)
    read = b.version
    services.outdent_task(actor=owner, task=a, expected_version=a.version)
    b.refresh_from_db()
    assert (b.parent_id, b.version) == (a.pk, read + 1)
    with pytest.raises(Conflict):
        services.update_task(actor=owner, task=b, expected_version=read, name="B2")
    assert Task.objects.get(pk=b.pk).name == "B"


def test_a_restore_that_puts_a_task_under_a_summary_it_is_linked_to_names_parent(
    project, owner, django_capture_on_commit_callbacks
):
    a = _mk(project, owner, "A")
    t = _mk(project, owner, "T")
    c1 = _mk(project, owner, "C1", parent=t)
    _mk(project, owner, "C2", parent=t)
    services.add_link(actor=owner, project=project, pred=a, succ=c1)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_task(actor=owner, task=Task.objects.get(pk=c1.pk))
    t.refresh_from_db()
    services.indent_task(actor=owner, task=t, expected_version=t.version)  # T (and C2) under A
    entry = TrashEntry.objects.get(object_id=c1.pk, kind="projects.task")
    with pytest.raises(Invalid) as exc:
        trash.restore(actor=owner, organisation=project.organisation, entry_id=entry.pk)
    assert (exc.value.message, exc.value.field) == (SUMMARY_OVER.format("A", "C1"), "parent")
    assert not Task.objects.filter(pk=c1.pk).exists()
