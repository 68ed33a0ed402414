"""Found by a review on 2026-12-06, each failing before its fix: the task-type form saved
unchanged zeroed the work, a new assignee left the old person's work on the task, levelling and
"Can we take this on?" answered 500 near the calendars' end, the pattern API rounded hours the page
refuses, the assignments API said 100 % where the People API said 25 %, and a refused units
change named a field the request did not send."""

import datetime as dt
import re
from typing import Any

from django.urls import reverse

from tests.capacity.conftest import MONDAY, add_task
from twofold.accounts.models import Role
from twofold.capacity import selectors
from twofold.capacity import services as cap
from twofold.projects import resourcing, services


def _field(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert found is not None
    m = re.search(r'value="([^"]*)"', found.group(0))
    return m.group(1) if m else ""


# 1 -------------------------------------------------------------------------------------------
def test_1_saving_the_task_type_form_unchanged_keeps_the_duration(
    signed_in: Any, owner: Any, priya: Any, project: Any
) -> None:
    task = add_task(owner, project, "Wire panel", 4, assignee=priya)  # 4 d, no effort typed
    client = signed_in(owner)
    url = reverse("projects:task", args=[project.pk, task.pk])
    page = client.get(url).content.decode()
    assert _field(page, "type-work_hours") == "32.0"  # as the panel lists Priya (it showed 0.0)
    client.post(
        url,
        {
            "form": "resourcing",
            "type-version": _field(page, "type-version"),
            "type-task_type": "fixed_units",
            "type-effort_driven": "on",
            "type-work_hours": _field(page, "type-work_hours"),
        },
    )
    task.refresh_from_db()
    assert (task.duration_minutes, task.effort_driven) == (4 * 480, True)
    # Work of 0 on a task with people is refused, naming the field, and nothing changes.
    response = client.post(
        url,
        {
            "form": "resourcing",
            "type-version": str(task.version),
            "type-task_type": "fixed_units",
            "type-effort_driven": "on",
            "type-work_hours": "0",
        },
    )
    assert response.status_code == 422
    assert "A task with people needs some work" in response.content.decode()
    task.refresh_from_db()
    assert task.duration_minutes == 4 * 480


# 2 -------------------------------------------------------------------------------------------
def test_2_a_new_assignee_takes_the_first_persons_place(
    api: Any, org: Any, owner: Any, member: Any, priya: Any, project: Any
) -> None:
    carol = member(org, Role.MEMBER, full_name="Carol")
    task = add_task(owner, project, "Wire panel", 4, assignee=carol)
    resourcing.set_person_units(
        actor=owner, task=task, person=carol, units=100, expected_version=task.version
    )  # now an Assignment row
    task.refresh_from_db()
    base = f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{task.pk}"
    assert (
        api(owner).patch(base, {"version": task.version, "assignee_id": priya.pk}).status_code
        == 200
    )
    task.refresh_from_db()
    people = api(owner).get(base + "/people").json()["people"]
    grid = {r.user.pk: r.cells[0].project for r in selectors.usage(org, first=MONDAY, weeks=1).rows}
    assert task.assignee_id == priya.pk
    assert [p["person_id"] for p in people] == [priya.pk]
    assert grid[priya.pk] == 32.0


# 3 -------------------------------------------------------------------------------------------
def test_3a_levelling_with_a_long_absence_says_why(
    client: Any, api: Any, org: Any, owner: Any, priya: Any, project: Any
) -> None:
    client.raise_request_exception = False
    add_task(owner, project, "A", 3, assignee=priya)
    cap.create_absence(
        actor=owner,
        organisation=org,
        person=priya,
        kind="other",
        start=dt.date(2025, 6, 2),
        end=dt.date(2149, 12, 31),
    )  # accepted
    r = api(owner).post(
        f"/api/organisations/{org.pk}/projects/{project.pk}/level/preview", {"method": "heuristic"}
    )
    assert r.status_code == 200
    assert r.json()["error"] == (
        "This plan cannot be levelled: it would need working days after 31 Dec 2149, "
        "the last day the calendars cover."
    )


def test_3b_levelling_and_take_on_late_in_the_calendar_say_why(
    client: Any, api: Any, signed_in: Any, org: Any, owner: Any, priya: Any
) -> None:
    client.raise_request_exception = False
    project = services.create_project(
        actor=owner, organisation=org, name="Late", code="LT", target_start=dt.date(2149, 10, 6)
    )  # accepted
    services.create_task(
        actor=owner, project=project, name="A", duration_minutes=20 * 480, assignee=priya
    )
    a = api(owner)
    codes = [
        a.post(f"/api/organisations/{org.pk}/projects/{project.pk}/level/preview", {}).status_code,
        a.get(f"/api/organisations/{org.pk}/capacity/take-on/{project.pk}").status_code,
    ]
    page = signed_in(owner)
    codes += [
        page.get(reverse("capacity:level", args=[project.pk])).status_code,
        page.get(reverse("capacity:take_on") + f"?project={project.pk}").status_code,
    ]
    assert codes == [200, 422, 200, 422]
    took = a.get(f"/api/organisations/{org.pk}/capacity/take-on/{project.pk}").json()
    assert took == {
        "detail": "LT lies too close to the last day the calendars cover (31 Dec 2149) to look "
        "for a start.",
        "field": "project_id",
    }


# 4 -------------------------------------------------------------------------------------------
def test_4_pattern_hours_api_refuses_what_the_page_refuses(
    api: Any, signed_in: Any, org: Any, owner: Any, priya: Any
) -> None:
    hours = {
        "mon_hours": 7.125,
        "tue_hours": 8,
        "wed_hours": 8,
        "thu_hours": 8,
        "fri_hours": 8,
        "sat_hours": 0,
        "sun_hours": 0,
    }
    page = signed_in(owner).post(
        reverse("capacity:pattern_save", args=[priya.pk]),
        {**{k: str(v) for k, v in hours.items()}, "version": "0"},
    )
    assert page.status_code == 422  # "at most 2 decimal places"
    r = api(owner).put(f"/api/organisations/{org.pk}/people/{priya.pk}/availability/pattern", hours)
    assert r.status_code == 422, (r.status_code, r.json())


# 5 -------------------------------------------------------------------------------------------
def test_5_assignments_api_and_people_api_agree_on_units(
    api: Any, org: Any, owner: Any, priya: Any, project: Any
) -> None:
    t = add_task(owner, project, "Review", 12, assignee=priya, effort_minutes=24 * 60)
    base = f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{t.pk}"
    people = api(owner).get(base + "/people").json()["people"]
    rows = api(owner).get(base + "/assignments").json()["assignments"]
    assert people[0]["units"] == rows[0]["units"]


# 6 -------------------------------------------------------------------------------------------
def test_6_a_refused_units_change_names_units(api: Any, org: Any, owner: Any, priya: Any) -> None:
    project = services.create_project(
        actor=owner, organisation=org, name="Late", code="LT", target_start=dt.date(2149, 11, 3)
    )
    task, _ = services.create_task(actor=owner, project=project, name="T", duration_minutes=5 * 480)
    task.refresh_from_db()
    base = f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{task.pk}/people"
    r = api(owner).post(base, {"version": task.version, "person_id": priya.pk, "units": 100})
    r = api(owner).patch(base + f"/{priya.pk}", {"version": r.json()["version"], "units": 1})
    assert r.status_code == 422 and r.json()["field"] == "units", r.json()
