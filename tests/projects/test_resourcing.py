"""Resource-driven scheduling on the task page and API: people with units and work, task
types, effort-driven (rules in twofold.engine.effort, tested cell by cell in tests/engine)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from twofold.accounts.models import Role
from twofold.capacity.models import WorkingPattern
from twofold.core.errors import Conflict, Invalid
from twofold.core.models import HistoryEntry
from twofold.projects import resourcing, services
from twofold.projects.models import Assignment, Task

DAY = 480


@pytest.fixture
def ann(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Ann Architect")


@pytest.fixture
def bob(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Bob Builder")


def _fresh(task: Task) -> Task:
    task.refresh_from_db()
    return task


def _on_fixed_work(owner: Any, person: Any, task: Task) -> Task:
    """``task`` with ``person`` on it at 100 %, made a fixed-work task."""
    resourcing.add_person(
        actor=owner, task=task, person=person, units=100, expected_version=task.version
    )
    task = _fresh(task)
    resourcing.set_task_resourcing(
        actor=owner,
        task=task,
        task_type="fixed_work",
        effort_driven=False,
        work_minutes=None,
        expected_version=task.version,
    )
    return _fresh(task)


def _people(task: Task) -> list[tuple[str, int, int | None]]:
    return [
        (a.person.display_name, a.units, a.work_minutes)
        for a in Assignment.objects.filter(task=task).select_related("person")
    ]


def test_effort_driven_add_and_remove_move_the_duration_and_successors(
    owner: Any, ann: Any, bob: Any, chain: list[Task]
) -> None:
    a, b, _m = chain
    b_start = b.start
    a.effort_driven = True
    a.save(update_fields=["effort_driven"])
    resourcing.add_person(actor=owner, task=a, person=ann, units=100, expected_version=a.version)
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes, a.assignee_id) == (3 * DAY, 3 * DAY, ann.pk)
    moved = resourcing.add_person(
        actor=owner, task=a, person=bob, units=100, expected_version=a.version
    )
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes) == (720, 3 * DAY)  # 24 h over two people
    assert _people(a) == [("Ann Architect", 100, 720), ("Bob Builder", 100, 720)]
    assert moved is not None and b.pk in {t.pk for t in moved.moved}
    assert _fresh(b).start < b_start
    resourcing.remove_person(actor=owner, task=a, person_id=ann.pk, expected_version=a.version)
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes, a.assignee_id) == (3 * DAY, 3 * DAY, bob.pk)
    entry = HistoryEntry.objects.filter(object_id=a.pk, action="updated").order_by("-pk").first()
    assert entry is not None and entry.changes["duration_minutes"] == [720, 3 * DAY]


def test_not_effort_driven_adds_work_and_keeps_duration(
    owner: Any, ann: Any, bob: Any, chain: list[Task]
) -> None:
    a = chain[0]
    resourcing.add_person(actor=owner, task=a, person=ann, units=100, expected_version=a.version)
    a = _fresh(a)
    assert (
        resourcing.add_person(actor=owner, task=a, person=bob, units=50, expected_version=a.version)
        is None
    )  # nothing moved
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes) == (3 * DAY, 3 * DAY + 720)


def test_fixed_duration_effort_driven_shares_units(
    owner: Any, ann: Any, bob: Any, chain: list[Task]
) -> None:
    a = chain[0]
    resourcing.set_task_resourcing(
        actor=owner,
        task=a,
        task_type="fixed_duration",
        effort_driven=True,
        work_minutes=None,
        expected_version=a.version,
    )
    a = _fresh(a)
    resourcing.add_person(actor=owner, task=a, person=ann, units=100, expected_version=a.version)
    a = _fresh(a)
    resourcing.add_person(actor=owner, task=a, person=bob, units=100, expected_version=a.version)
    a = _fresh(a)
    assert a.duration_minutes == 3 * DAY
    assert _people(a) == [("Ann Architect", 50, 720), ("Bob Builder", 50, 720)]


def test_fixed_work_duration_edit_changes_units_and_work_edit_changes_duration(
    owner: Any, ann: Any, chain: list[Task]
) -> None:
    a = _on_fixed_work(owner, ann, chain[0])
    assert a.effort_driven is True  # fixed work always is
    services.update_task(actor=owner, task=a, expected_version=a.version, duration_minutes=6 * DAY)
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes) == (6 * DAY, 3 * DAY)
    assert _people(a) == [("Ann Architect", 50, 3 * DAY)]
    resourcing.set_task_resourcing(
        actor=owner,
        task=a,
        task_type="fixed_units",
        effort_driven=False,
        work_minutes=2 * DAY,
        expected_version=a.version,
    )
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes) == (4 * DAY, 2 * DAY)  # 16 h at 50 %


def test_bad_units_are_field_errors_and_stale_versions_conflict(
    owner: Any, org: Any, ann: Any, chain: list[Task]
) -> None:
    a = chain[0]
    for units, text in ((0, "above 0"), (-5, "above 0"), (150, "at most 100")):
        with pytest.raises(Invalid, match=text) as err:
            resourcing.add_person(
                actor=owner, task=a, person=ann, units=units, expected_version=a.version
            )
        assert err.value.field == "units"
    WorkingPattern.objects.create(
        organisation=org, person=ann, effective_from="2020-01-01", max_units=150
    )
    resourcing.add_person(actor=owner, task=a, person=ann, units=150, expected_version=a.version)
    with pytest.raises(Conflict):
        resourcing.set_person_units(
            actor=owner, task=a, person=ann, units=50, expected_version=a.version - 1
        )
    assert _people(_fresh(a)) == [("Ann Architect", 150, 4.5 * DAY)]


def test_api_people_routes(
    api: Any, owner: Any, org: Any, project: Any, ann: Any, bob: Any, member: Any, chain: Any
) -> None:
    a = chain[0]
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{a.pk}/people"
    client = api(owner)
    r = client.post(url, {"version": a.version, "person_id": ann.pk, "units": 100})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["people"] == [
        {"person_id": ann.pk, "name": "Ann Architect", "units": 100, "work_minutes": 3 * DAY}
    ]
    version = body["version"]
    r = client._call(
        "put",
        url.replace("/people", "/resourcing"),
        {"version": version, "task_type": "fixed_units", "effort_driven": True},
    )
    assert r.status_code == 200 and r.json()["effort_driven"] is True
    version = r.json()["version"]
    r = client._call(
        "put",
        url.replace("/people", "/resourcing"),
        {
            "version": version,
            "task_type": "fixed_units",
            "effort_driven": True,
            "work_minutes": 9_000_000,
        },
    )
    # Named as the body names it (the answer said "work").
    assert r.status_code == 422 and r.json()["field"] == "work_minutes", r.content
    r = client.post(url, {"version": version, "person_id": bob.pk, "units": 0})
    assert r.status_code == 422 and "units" in r.content.decode()
    r = client.post(url, {"version": version - 1, "person_id": bob.pk, "units": 100})
    assert r.status_code == 409
    r = client.post(url, {"version": version, "person_id": bob.pk, "units": 200})
    assert r.status_code == 422 and "at most 100 %" in r.json()["detail"]
    WorkingPattern.objects.create(
        organisation=org, person=bob, effective_from="2020-01-01", max_units=200
    )
    r = client.post(url, {"version": version, "person_id": bob.pk, "units": 200})
    assert r.status_code == 201 and r.json()["duration_minutes"] == 480  # 24 h at 300 %
    version = r.json()["version"]
    r = client.patch(f"{url}/{bob.pk}", {"version": version, "units": 50})
    assert r.status_code == 200 and r.json()["duration_minutes"] == 960  # 24 h at 150 %
    version = r.json()["version"]
    r = client.delete(f"{url}/{bob.pk}?version={version}")
    assert r.status_code == 200 and r.json()["duration_minutes"] == 3 * DAY
    assert [p["person_id"] for p in r.json()["people"]] == [ann.pk]
    viewer = member(org, Role.GUEST)
    r = api(viewer).post(url, {"version": r.json()["version"], "person_id": bob.pk})
    assert r.status_code == 403


def test_task_page_people_forms(
    signed_in: Any, owner: Any, ann: Any, chain: list[Task], project: Any
) -> None:
    a = chain[0]
    client = signed_in(owner)
    url = reverse("projects:task", args=[project.pk, a.pk])
    r = client.post(
        url, {"form": "person_add", "add-version": a.version, "add-person": ann.pk, "add-units": 0}
    )
    assert r.status_code == 422
    assert "units must be above 0" in r.content.decode()
    r = client.post(
        url, {"form": "person_add", "add-version": a.version, "add-person": ann.pk, "add-units": 50}
    )
    assert r.status_code == 302
    a = _fresh(a)
    assert _people(a) == [("Ann Architect", 50, 720)]
    r = client.post(
        url,
        {
            "form": "person_units",
            "units-version": a.version,
            "units-person": ann.pk,
            "units-units": 100,
        },
    )
    assert r.status_code == 302
    a = _fresh(a)
    assert (a.duration_minutes, _people(a)) == (720, [("Ann Architect", 100, 720)])
    page = client.get(url).content.decode()
    assert "People and work" in page and "Ann Architect" in page and "12 h" in page
    r = client.post(
        url, {"form": "person_remove", "remove-version": a.version - 1, "remove-person": ann.pk}
    )
    assert r.status_code == 409
    r = client.post(
        url, {"form": "person_remove", "remove-version": a.version, "remove-person": ann.pk}
    )
    assert r.status_code == 302 and _people(a) == []


def test_history_names_the_people_it_references(
    signed_in: Any,
    api: Any,
    org: Any,
    owner: Any,
    ann: Any,
    bob: Any,
    chain: list[Task],
    project: Any,
    django_assert_num_queries: Any,
) -> None:
    """An assignee change reads "Assignee: — → Ann Architect", not the stored id; a person no
    longer there reads "#id (deleted)"; the names cost one query for all entries."""
    a = chain[0]
    services.set_task_assignments(
        actor=owner, task=a, rows=[services.AssignmentRow(ann, 100)], expected_version=a.version
    )
    a = _fresh(a)
    services.set_task_assignments(
        actor=owner, task=a, rows=[services.AssignmentRow(bob, 100)], expected_version=a.version
    )
    page = signed_in(owner).get(reverse("projects:task", args=[project.pk, a.pk])).content
    text = " ".join(re.sub(r"<[^>]+>", "", page.decode()).split())
    assert "Assignee: — → Ann Architect" in text and "Ann Architect → Bob Builder" in text
    history = api(owner).get(
        f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{a.pk}/history"
    )
    changes = [c for e in history.json() for c in e["changes"] if c["field"] == "Assignee"]
    assert changes == [
        {"field": "Assignee", "before": "Ann Architect", "after": "Bob Builder"},
        {"field": "Assignee", "before": "—", "after": "Ann Architect"},
    ]

    from twofold.core.history import history_for

    with django_assert_num_queries(2):  # the entries with their actors; the people named
        entries = history_for(a, viewer=None)
        words = [(c.before, c.after) for e in entries for c in e.readable_changes]
    assert ("Ann Architect", "Bob Builder") in words
    bob_pk = bob.pk
    Assignment.objects.filter(person=bob).delete()
    Task.objects.filter(assignee=bob).update(assignee=None)
    bob.delete()
    words = [(c.before, c.after) for e in history_for(a, viewer=None) for c in e.readable_changes]
    assert ("Ann Architect", f"#{bob_pk} (deleted)") in words


def test_an_assignee_only_task_follows_the_rules_from_its_own_units(
    owner: Any, ann: Any, bob: Any, chain: list[Task]
) -> None:
    """A task whose only person is its assignee showed that person at 100 % whatever its work,
    and an effort edit in the task form left the duration alone (a review's "repro B"): its
    units are now its work over its duration, and the task type's rules follow from them."""
    a, b, _m = chain
    b_start = b.start
    # A 3-day task (24 h) with 6 h of work: Ann at 25 %.
    services.update_task(actor=owner, task=a, expected_version=a.version, assignee=ann)
    a = _fresh(a)
    # The first effort only gives the units: the duration stays.
    services.update_task(actor=owner, task=a, expected_version=a.version, effort_minutes=360)
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes) == (3 * DAY, 360)
    [(person, share)] = resourcing.people_of(a)
    assert (person.pk, share.units, share.work) == (ann.pk, 25, 360)
    # Fixed units: twice the work, twice the duration (12 h at 25 % = 6 days); B follows.
    services.update_task(actor=owner, task=a, expected_version=a.version, effort_minutes=720)
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes) == (6 * DAY, 720)
    assert _fresh(b).start > b_start
    # Fixed units: a shorter duration takes the work down with it (2 days at 25 % = 4 h).
    services.update_task(actor=owner, task=a, expected_version=a.version, duration_minutes=2 * DAY)
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes) == (2 * DAY, 240)
    assert Assignment.objects.filter(task=a).count() == 0  # still the simple form
    # Fixed duration: more work raises the units, not the duration.
    a.task_type = "fixed_duration"
    a.save(update_fields=["task_type"])
    services.update_task(actor=owner, task=a, expected_version=a.version, effort_minutes=480)
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes) == (2 * DAY, 480)
    assert [(s.units, s.work) for s in resourcing.shares_of(a)] == [(50, 480)]
    # A new person in the same edit is the first person: work and duration as typed.
    services.update_task(
        actor=owner,
        task=a,
        expected_version=a.version,
        assignee=bob,
        effort_minutes=600,
        duration_minutes=3 * DAY,
    )
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes, a.assignee_id) == (3 * DAY, 600, bob.pk)


def test_an_assignee_without_an_effort_is_full_time_and_its_duration_edits_set_no_work(
    owner: Any, ann: Any, chain: list[Task]
) -> None:
    a = chain[0]
    services.update_task(actor=owner, task=a, expected_version=a.version, assignee=ann)
    a = _fresh(a)
    assert [(s.units, s.work) for s in resourcing.shares_of(a)] == [(100, 3 * DAY)]
    services.update_task(actor=owner, task=a, expected_version=a.version, duration_minutes=5 * DAY)
    a = _fresh(a)
    assert (a.duration_minutes, a.effort_minutes) == (5 * DAY, 0)  # no effort given


def test_task_edits_keep_the_people_panels_limits(owner: Any, ann: Any, chain: list[Task]) -> None:
    a = _on_fixed_work(owner, ann, chain[0])
    before = (a.version, a.duration_minutes, _people(a))
    # A fixed-work task shortened to one minute put Ann at 384,000 % (the panel refuses above
    # her maximum of 100 %).
    with pytest.raises(Invalid, match="above their maximum") as raised:
        services.update_task(actor=owner, task=a, expected_version=a.version, duration_minutes=1)
    assert raised.value.field == "duration_minutes"
    a = _fresh(a)
    assert (a.version, a.duration_minutes, _people(a)) == before
    # 1,000 h of work at her units: a task of 2,000+ days (the panel's limit).
    resourcing.set_task_resourcing(
        actor=owner,
        task=a,
        task_type="fixed_units",
        effort_driven=False,
        work_minutes=None,
        expected_version=a.version,
    )
    a = _fresh(a)
    with pytest.raises(Invalid, match="2000 days") as raised:
        services.update_task(
            actor=owner, task=a, expected_version=a.version, effort_minutes=1_000_000 * 60
        )
    assert raised.value.field == "effort_minutes"


def test_a_duration_the_rules_made_uneven_saves_unchanged_from_the_task_page(
    signed_in: Any, owner: Any, chain: list[Task], project: Any
) -> None:
    a = chain[0]
    services.update_task(
        actor=owner, task=a, expected_version=a.version, duration_minutes=1280, effort_minutes=1000
    )
    a = _fresh(a)
    client = signed_in(owner)
    url = reverse("projects:task", args=[project.pk, a.pk])
    page = client.get(url).content.decode()
    # 1,280 minutes are 2.666… days: shown unrounded, the unchanged form was refused on save.
    assert 'name="duration_days" value="2.67"' in page
    assert 'name="effort_hours" value="16.7"' in page
    assert "duration 2.67 d · work 16.7 h" in page  # the panel's line said "work 17 h"
    form = {
        "form": "task",
        "version": a.version,
        "name": "Renamed",
        "description": "",
        "priority": a.priority,
        "assignee": "",
        "duration_days": "2.67",
        "effort_hours": "16.7",
        "constraint_type": a.constraint_type,
        "constraint_date": "",
    }
    assert client.post(url, form).status_code == 302
    a = _fresh(a)
    assert (a.name, a.duration_minutes, a.effort_minutes) == ("Renamed", 1280, 1000)
    # A value typed in is taken as typed.
    assert client.post(url, form | {"version": a.version, "duration_days": "3"}).status_code == 302
    assert _fresh(a).duration_minutes == 1440


def test_a_stale_people_edit_leaves_the_task_as_stored(
    owner: Any, ann: Any, chain: list[Task]
) -> None:
    a = chain[0]
    resourcing.add_person(actor=owner, task=a, person=ann, units=100, expected_version=a.version)
    a = _fresh(a)
    stored = a.duration_minutes
    with pytest.raises(Conflict):
        resourcing.set_person_units(
            actor=owner, task=a, person=ann, units=50, expected_version=a.version - 1
        )
    # The object the 409 page draws from showed the refused duration (twice the stored one).
    assert a.duration_minutes == stored and _fresh(a).duration_minutes == stored


def test_a_task_of_a_few_minutes_saved_unchanged_stays_a_task(
    signed_in: Any, owner: Any, chain: list[Task], project: Any
) -> None:
    a = chain[0]
    services.update_task(actor=owner, task=a, expected_version=a.version, duration_minutes=2)
    a = _fresh(a)
    form = {
        "form": "task",
        "version": a.version,
        "name": "Renamed",
        "description": "",
        "priority": a.priority,
        "assignee": "",
        "duration_days": "0.00",  # as shown for 2 minutes
        "effort_hours": "0.0",
        "constraint_type": a.constraint_type,
        "constraint_date": "",
    }
    url = reverse("projects:task", args=[project.pk, a.pk])
    assert signed_in(owner).post(url, form).status_code == 302
    a = _fresh(a)
    assert (a.name, a.duration_minutes, a.is_milestone) == ("Renamed", 2, False)


def test_units_for_someone_not_on_the_task_say_so_on_the_page(
    signed_in: Any, owner: Any, ann: Any, bob: Any, chain: list[Task], project: Any
) -> None:
    a = chain[0]
    resourcing.add_person(actor=owner, task=a, person=ann, units=100, expected_version=a.version)
    a = _fresh(a)
    url = reverse("projects:task", args=[project.pk, a.pk])
    r = signed_in(owner).post(
        url,
        {
            "form": "person_units",
            "units-version": a.version,
            "units-person": bob.pk,
            "units-units": 999999,
        },
    )
    # The error went to a row form the page does not draw: a 422 without any message.
    assert r.status_code == 422
    assert "That person is not on this task." in r.content.decode()
    assert _people(_fresh(a)) == [("Ann Architect", 100, 3 * DAY)]


def test_a_duration_edit_records_the_units_it_changed(
    owner: Any, ann: Any, chain: list[Task]
) -> None:
    """The people's units and work changed by a duration edit were written unrecorded: the
    task's entry said only the duration (a review found it)."""
    from twofold.core.models import HistoryEntry

    a = _on_fixed_work(owner, ann, chain[0])
    services.update_task(actor=owner, task=a, expected_version=a.version, duration_minutes=6 * DAY)
    entry = HistoryEntry.objects.filter(
        content_type__model="task", object_id=a.pk, action="updated"
    ).latest("pk")
    assert entry.changes["duration_minutes"] == [3 * DAY, 6 * DAY]
    assert entry.changes["assignments"] == [
        [f"Ann Architect 100 % {3 * DAY} min"],
        [f"Ann Architect 50 % {3 * DAY} min"],
    ]
