"""One capacity model: four sources of demand, assignments, reservations, levelling in hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.capacity.conftest import MONDAY, add_task
from twofold.accounts.models import Role, Team
from twofold.calendars import services as calendar_services
from twofold.calendars.working_time import STANDARD_HOURS
from twofold.capacity import demand, levelling, selectors, services
from twofold.capacity.models import QueueWorkload, Reservation, WorkingPattern
from twofold.core.errors import Forbidden, Invalid
from twofold.operations import services as ops
from twofold.operations.models import Request
from twofold.projects import services as project_services
from twofold.projects.models import Assignment, Priority, Task
from twofold.risks import services as risk_services


@pytest.fixture
def jonas(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Jonas Berg")


def _team(org: Any, name: str, *people: Any) -> Team:
    team = Team.objects.create(organisation=org, name=name)
    team.members.add(*people)
    return team


def _source_hours(detail: Any) -> dict[tuple[str, str], float]:
    return {(s.kind, s.name): s.hours for s in detail.sources}


def test_assignments_split_a_task_by_units_and_keep_the_first_as_assignee(
    owner: Any, priya: Any, jonas: Any, project: Any
) -> None:
    task = add_task(owner, project, "Cell layout", 3, effort_minutes=24 * 60)
    services.set_assignments(
        actor=owner,
        task=task,
        rows=[(priya, 50, None), (jonas, 100, None)],
        expected_version=task.version,
    )
    task.refresh_from_db()
    assert task.assignee_id == priya.pk  # the primary assignee other pages show
    week = selectors.usage(task.organisation, first=MONDAY, weeks=1)
    hours = {row.user.pk: row.cells[0].project for row in week.rows}
    # 24 h of effort shared 50 : 100 over Mon-Wed.
    assert hours[priya.pk] == 8.0 and hours[jonas.pk] == 16.0
    # Work given for one person counts as given.
    task.refresh_from_db()
    services.set_assignments(
        actor=owner, task=task, rows=[(jonas, 100, 6 * 60)], expected_version=task.version
    )
    week = selectors.usage(task.organisation, first=MONDAY, weeks=1)
    hours = {row.user.pk: row.cells[0].project for row in week.rows}
    assert hours[jonas.pk] == 6.0 and hours[priya.pk] == 0.0
    assert Task.objects.get(pk=task.pk).assignee_id == jonas.pk


@pytest.mark.parametrize(
    ("units", "message"),
    [
        (0, "Priya Raman's units must be above 0 % (100 % is full time)."),
        (-5, "Priya Raman's units must be above 0 % (100 % is full time)."),
        (60, "Priya Raman can be assigned at most 50 % (their maximum units); 60 % is more."),
    ],
)
def test_bad_units_are_refused_naming_the_field_and_nothing_changes(
    org: Any, owner: Any, priya: Any, jonas: Any, project: Any, units: int, message: str
) -> None:
    WorkingPattern.objects.create(
        organisation=org, person=priya, effective_from=MONDAY - dt.timedelta(days=30), max_units=50
    )
    task = add_task(owner, project, "Cell layout", 3, assignee=jonas)
    with pytest.raises(Invalid) as refused:
        services.set_assignments(
            actor=owner,
            task=task,
            rows=[(jonas, 100, None), (priya, units, None)],
            expected_version=task.version,
        )
    assert (refused.value.message, refused.value.field) == (message, "units")
    task.refresh_from_db()
    assert task.assignee_id == jonas.pk and not Assignment.objects.filter(task=task).exists()


def test_assignment_api_puts_people_on_a_task_and_refuses_bad_units(
    api: Any, org: Any, owner: Any, priya: Any, jonas: Any, project: Any
) -> None:
    task = add_task(owner, project, "Cell layout", 3)
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{task.pk}/assignments"
    bad = api(owner)._call(
        "put",
        url,
        {"version": task.version, "assignments": [{"person_id": priya.pk, "units": 0}]},
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "units"
    good = api(owner)._call(
        "put",
        url,
        {
            "version": task.version,
            "assignments": [
                {"person_id": jonas.pk, "units": 100},
                {"person_id": priya.pk, "units": 50, "work_minutes": 240},
            ],
        },
    )
    assert good.status_code == 200
    body = good.json()
    assert body["assignee_id"] == jonas.pk
    # Jonas's work, not given, is the duration at his units (the task has no effort of its
    # own); it is stored, and the task's work is the sum of its people's.
    assert [(a["name"], a["units"], a["work_minutes"]) for a in body["assignments"]] == [
        ("Jonas Berg", 100, 1440),
        ("Priya Raman", 50, 240),
    ]
    assert Task.objects.get(pk=task.pk).effort_minutes == 1440 + 240
    stale = api(owner)._call("put", url, {"version": task.version, "assignments": []})
    assert stale.status_code == 409
    assert api(owner).get(url).json() == body


def test_the_four_sources_in_one_week_and_the_drill_down(
    org: Any, owner: Any, priya: Any, jonas: Any, project: Any, routine: Any
) -> None:
    """Priya's week: a task, a routine, forecast request work, a standing reservation."""
    today = timezone.localdate()
    week = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
    project_services.update_project(
        actor=owner, project=project, expected_version=project.version, target_start=week
    )
    add_task(owner, project, "Cell layout", 5, effort_minutes=10 * 60, assignee=priya)
    # The routine (2 h on Wednesdays) belongs to "Quality checks": its team runs the queue.
    team = _team(org, "Quality", priya, jonas)
    process = routine.process
    process.team = team
    process.save()
    calendar = calendar_services.create_calendar(
        actor=owner, organisation=org, name="Office", hours=STANDARD_HOURS
    )
    queue = ops.create_queue(
        actor=owner, organisation=org, name="Gauge requests", calendar=calendar, process=process
    )
    # 40 requests in the last 8 weeks (40 working days): one a day, 48 min each, for two people.
    recent = timezone.now() - dt.timedelta(days=3)
    Request.objects.bulk_create(
        Request(organisation=org, queue=queue, title=f"R{i}", created_at=recent) for i in range(40)
    )
    QueueWorkload.objects.create(organisation=org, queue=queue, handling_minutes=48)
    services.create_reservation(
        actor=owner,
        organisation=org,
        person=priya,
        label="On-call for Line 2",
        percent=30,
        start=week,
        end=None,
    )
    grid = selectors.usage(org, first=week, weeks=1)
    cell = next(r for r in grid.rows if r.user.pk == priya.pk).cells[0]
    # Task 10 h, routine 2 h, requests 5 × 0.4 h = 2 h (forecast), reservation 30 % of 40 h.
    assert (cell.project, cell.operations, cell.forecast) == (10.0, 16.0, 2.0)
    assert (cell.hours, cell.capacity) == (26.0, 40.0)
    detail = selectors.cell_detail(org, priya, week)
    assert _source_hours(detail) == {
        ("task", "Cell layout"): 10.0,
        ("routine", "Weekly gauge check"): 2.0,
        ("request", "Gauge requests"): 2.0,
        ("reservation", "On-call for Line 2"): 12.0,
    }
    assert [s.kind for s in detail.project_sources] == ["task"]
    # Jonas shares the queue (2 h) and has nothing else.
    other = next(r for r in grid.rows if r.user.pk == jonas.pk).cells[0]
    assert (other.project, other.operations, other.forecast) == (0.0, 2.0, 2.0)


def test_the_capacity_view_and_its_drill_down_render_the_stacked_bar(
    client: Any, org: Any, owner: Any, priya: Any, project: Any, routine: Any
) -> None:
    add_task(owner, project, "Cell layout", 5, effort_minutes=20 * 60, assignee=priya)
    client.force_login(owner)
    page = client.get(reverse("capacity:usage"), {"start": MONDAY.isoformat(), "weeks": 1})
    html = page.content.decode()
    assert "Priya Raman, week of 3 Mar: 22 of 40 hours (20 project, 2 operations)" in html
    assert 'class="cap-bar-proj" style="width: 50%"' in html
    assert 'class="cap-bar-ops" style="width: 5%"' in html
    detail = client.get(
        reverse("capacity:cell"),
        {"person": priya.pk, "week": MONDAY.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    part = detail.content.decode()
    assert "<html" not in part and "Project work" in part and "Operations" in part
    assert "Weekly gauge check" in part and "Cell layout" in part


def test_the_capacity_view_costs_the_same_queries_for_more_people(
    client: Any, org: Any, owner: Any, member: Any, project: Any, routine: Any
) -> None:
    def add_people(count: int) -> None:
        for i in range(count):
            person = member(org, Role.MEMBER, full_name=f"Person {i}")
            add_task(owner, project, f"Task {i}", 2, assignee=person)
            services.create_reservation(
                actor=owner,
                organisation=org,
                person=person,
                label="Cover",
                percent=10,
                start=MONDAY,
            )

    client.force_login(owner)
    url = reverse("capacity:usage") + f"?start={MONDAY.isoformat()}&weeks=12"
    add_people(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_people(8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 30


@pytest.mark.parametrize(
    ("percent", "message"),
    [
        (0, "A reservation takes 1 to 100 % of the time; 0 % is not possible."),
        (101, "A reservation takes 1 to 100 % of the time; 101 % is not possible."),
        (
            80,
            "Priya Raman would be reserved 110 % on 3 Mar 2025 (already: Line 2 on-call 30 %). "
            "Reservations add up to 100 % at most.",
        ),
    ],
)
def test_a_reservation_over_100_percent_is_refused_and_nothing_is_created(
    org: Any, owner: Any, priya: Any, percent: int, message: str
) -> None:
    team = _team(org, "Line 2", priya)
    services.create_reservation(
        actor=owner, organisation=org, team=team, label="Line 2 on-call", percent=30, start=MONDAY
    )
    with pytest.raises(Invalid) as refused:
        services.create_reservation(
            actor=owner,
            organisation=org,
            person=priya,
            label="Audit",
            percent=percent,
            start=MONDAY - dt.timedelta(days=7),
            end=MONDAY + dt.timedelta(days=7),
        )
    assert (refused.value.message, refused.value.field) == (message, "percent")
    assert Reservation.objects.count() == 1


def test_reservations_page_and_api(
    client: Any, api: Any, org: Any, owner: Any, priya: Any, member: Any
) -> None:
    client.force_login(owner)
    url = reverse("capacity:reservations")
    bad = client.post(
        url, {"label": "On-call", "percent": "120", "person": priya.pk, "start": "2025-03-03"}
    )
    assert bad.status_code == 422 and not Reservation.objects.exists()
    good = client.post(
        url, {"label": "On-call", "percent": "30", "person": priya.pk, "start": "2025-03-03"}
    )
    assert good.status_code == 302
    assert Reservation.objects.get().percent == 30
    base = f"/api/organisations/{org.pk}/capacity/reservations"
    over = api(owner).post(
        base, {"label": "Audit", "percent": 80, "person_id": priya.pk, "start": "2025-03-10"}
    )
    assert over.status_code == 422 and over.json()["field"] == "percent"
    made = api(owner).post(
        base, {"label": "Audit", "percent": 70, "person_id": priya.pk, "start": "2025-03-10"}
    )
    assert made.status_code == 201
    guest = member(org, Role.MEMBER, full_name="Mo Member")
    denied = api(guest).post(
        base, {"label": "Mine", "percent": 10, "person_id": guest.pk, "start": "2025-03-10"}
    )
    assert denied.status_code == 403
    changed = api(owner).patch(
        f"{base}/{made.json()['id']}", {"version": made.json()["version"], "percent": 71}
    )
    assert changed.status_code == 422  # 30 + 71
    assert api(owner).delete(f"{base}/{made.json()['id']}").status_code == 204


def test_only_admins_reserve_time(org: Any, priya: Any) -> None:
    with pytest.raises(Forbidden):
        services.create_reservation(
            actor=priya, organisation=org, person=priya, label="x", percent=10, start=MONDAY
        )


def test_an_overlapping_absence_is_refused_naming_the_field(
    org: Any, owner: Any, priya: Any
) -> None:
    services.create_absence(
        actor=owner, organisation=org, person=priya, start=MONDAY, end=MONDAY + dt.timedelta(days=4)
    )
    with pytest.raises(Invalid) as refused:
        services.create_absence(
            actor=owner,
            organisation=org,
            person=priya,
            kind="training",
            start=MONDAY + dt.timedelta(days=4),
            end=MONDAY + dt.timedelta(days=5),
        )
    assert refused.value.field == "start"
    assert "overlaps Priya Raman's holiday" in refused.value.message


# ---------------------------------------------------------------------------------------------
# Levelling in hours


def _daily_routine(org: Any, owner: Any, person: Any, name: str, minutes: int) -> Any:
    process = ops.create_process(actor=owner, organisation=org, name=f"{name} process")
    return ops.create_routine(
        actor=owner,
        process=process,
        name=name,
        rrule="FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        starts_on=MONDAY - dt.timedelta(days=7),
        effort_minutes=minutes,
        assignee=person,
    )


def test_two_tasks_share_a_day_when_the_hours_allow(owner: Any, jonas: Any, project: Any) -> None:
    add_task(owner, project, "Wiring", 2, effort_minutes=8 * 60, assignee=jonas)
    add_task(owner, project, "Labels", 2, effort_minutes=8 * 60, assignee=jonas)
    # 4 h a day each, 8 h free: both on Monday and Tuesday.
    assert services.preview_levelling(actor=owner, project=project).moves == []


def test_levelling_respects_a_routine_heavy_persons_week(
    org: Any, owner: Any, jonas: Any, project: Any
) -> None:
    _daily_routine(org, owner, jonas, "Line walk and shift handover", 4 * 60)
    first = add_task(
        owner,
        project,
        "Wiring",
        2,
        effort_minutes=8 * 60,
        assignee=jonas,
        priority=Priority.HIGH,
    )
    second = add_task(owner, project, "Labels", 2, effort_minutes=8 * 60, assignee=jonas)
    built = levelling.build(project)
    # 4 h of routines a day leave 4 h (16 quarter hours) for project work.
    assert built.problem.resources[0].capacity[:5] == (16, 16, 16, 16, 16)
    preview = services.preview_levelling(actor=owner, project=project)
    assert [(m.task.pk, m.delay_days) for m in preview.moves] == [(second.pk, 2)]
    assert preview.moves[0].reason == "Waits for Jonas Berg, busy on 'Wiring' until Tue 4 Mar"
    # Never more than the free hours on any day.
    starts = {m.task.pk: m.start_after for m in preview.all_rows}
    assert starts[first.pk] == MONDAY


def test_a_reservation_is_named_when_it_leaves_no_room(
    org: Any, owner: Any, jonas: Any, project: Any
) -> None:
    services.create_reservation(
        actor=owner,
        organisation=org,
        person=jonas,
        label="On-call for Line 2",
        percent=50,
        start=MONDAY,
        end=MONDAY + dt.timedelta(days=4),
    )
    task = add_task(owner, project, "Wiring", 1, effort_minutes=6 * 60, assignee=jonas)
    preview = services.preview_levelling(actor=owner, project=project)
    # 6 h asked, 4 h free in the reserved week: the task waits for the week after.
    assert [(m.task.pk, m.start_after) for m in preview.moves] == [
        (task.pk, MONDAY + dt.timedelta(days=7))
    ]
    assert preview.moves[0].reason == "Waits for Jonas Berg: 50 % reserved for On-call for Line 2"


@pytest.fixture
def chain(owner: Any, priya: Any, jonas: Any, project: Any) -> tuple[Any, ...]:
    """A → B → C for Jonas, Priya, Jonas; X (urgent, Priya) holds Priya for 4 days."""
    a = add_task(owner, project, "Design", 2, assignee=jonas)
    b = add_task(owner, project, "Build", 2, assignee=priya)
    c = add_task(owner, project, "Test", 2, assignee=jonas)
    x = add_task(owner, project, "Audit", 4, assignee=priya, priority=Priority.URGENT)
    project_services.add_link(actor=owner, project=project, pred=a, succ=b)
    project_services.add_link(actor=owner, project=project, pred=b, succ=c)
    return a, b, c, x


def test_apply_keeps_the_critical_path_and_schedule_risk(
    owner: Any, project: Any, chain: tuple[Any, ...]
) -> None:
    a, b, c, x = chain
    preview = services.preview_levelling(actor=owner, project=project)
    moves = {m.task.pk: m.start_after for m in preview.moves}
    assert moves == {b.pk: MONDAY + dt.timedelta(days=4), c.pk: MONDAY + dt.timedelta(days=8)}
    services.apply_levelling(actor=owner, project=project, version=preview.version, moves=moves)
    rows = {t.pk: t for t in Task.objects.filter(project=project)}
    # B waits 2 days for Priya (a levelling delay); C just follows B (no delay of its own).
    assert (rows[b.pk].levelling_delay_minutes, rows[c.pk].levelling_delay_minutes) == (960, 0)
    assert rows[b.pk].start.date() == MONDAY + dt.timedelta(days=4)
    assert rows[c.pk].finish.date() == MONDAY + dt.timedelta(days=9)
    # The chain stays critical (a start-no-earlier-than on B would give A two days of float).
    assert [rows[t.pk].is_critical for t in (a, b, c)] == [True, True, True]
    assert rows[x.pk].is_critical is False
    analysis = risk_services.run_simulation(actor=owner, project=project, expected_version=None)
    assert analysis.p50 < analysis.p80  # uncertainty still flows through the whole chain
    # Levelled: nothing left to move; clearing removes the delays.
    assert services.preview_levelling(actor=owner, project=project).moves == []
    cleared = services.clear_levelling(actor=owner, project=project)
    assert cleared.moved == 1
    b.refresh_from_db()
    assert b.levelling_delay_minutes == 0 and b.start.date() == MONDAY + dt.timedelta(days=2)
    with pytest.raises(Invalid):
        services.clear_levelling(actor=owner, project=project)


def test_clear_levelling_page_and_api(
    client: Any, api: Any, org: Any, owner: Any, project: Any, chain: tuple[Any, ...]
) -> None:
    preview = services.preview_levelling(actor=owner, project=project)
    services.apply_levelling(
        actor=owner,
        project=project,
        version=preview.version,
        moves={m.task.pk: m.start_after for m in preview.moves},
    )
    client.force_login(owner)
    page = client.get(reverse("capacity:level", args=[project.pk])).content.decode()
    assert "Clear levelling" in page
    seen = page.split('name="seen" value="', 1)[1].split('"', 1)[0]
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/level"
    read = api(owner).get(f"{url}/delays").json()
    delays = dict(
        Task.objects.filter(project=project, levelling_delay_minutes__gt=0).values_list(
            "pk", "levelling_delay_minutes"
        )
    )
    assert read["version"] == seen and len(delays) == 1
    assert {d["task_id"]: d["minutes"] for d in read["delays"]} == delays
    # Someone else changes the delays after the page was drawn: the page's clear is refused
    # (409, the page drawn again with the message) and nothing is cleared.
    moved = Task.objects.get(pk=next(iter(delays)))
    Task.objects.filter(pk=moved.pk).update(
        levelling_delay_minutes=moved.levelling_delay_minutes * 2
    )
    stale = client.post(reverse("capacity:level_clear", args=[project.pk]), {"seen": seen})
    assert stale.status_code == 409
    assert "The levelling delays changed since you read them" in stale.content.decode()
    assert api(owner).post(f"{url}/clear?version={seen}").status_code == 409
    assert Task.objects.filter(project=project, levelling_delay_minutes__gt=0).count() == 1
    fresh = api(owner).get(f"{url}/delays").json()["version"]
    assert fresh != seen
    answer = client.post(reverse("capacity:level_clear", args=[project.pk]), {"seen": fresh})
    assert answer.status_code == 302
    assert not Task.objects.filter(project=project, levelling_delay_minutes__gt=0).exists()
    assert api(owner).get(f"{url}/delays").json()["delays"] == []
    # No body at all and no version: whatever delays there are (none now).
    none = api(owner)._call("post", f"{url}/clear")
    assert none.status_code == 422 and none.json()["field"] == "project"


def test_the_model_reads_a_constant_number_of_queries(
    org: Any, owner: Any, member: Any, project: Any, routine: Any
) -> None:
    ids = []
    for i in range(6):
        person = member(org, Role.MEMBER, full_name=f"P{i}")
        ids.append(person.pk)
        add_task(owner, project, f"T{i}", 3, assignee=person)
    with CaptureQueriesContext(connection) as three:
        demand.load_model(org, ids[:3], MONDAY, 28)
    with CaptureQueriesContext(connection) as six:
        demand.load_model(org, ids, MONDAY, 28)
    assert len(three) == len(six)


def test_a_proposed_projects_work_does_not_block_levelling_of_committed_work(
    owner: Any, priya: Any, project: Any, other_project: Any
) -> None:
    from twofold.projects.models import Phase, Project

    Project.objects.filter(pk=project.pk).update(phase=Phase.EXECUTION)
    project.refresh_from_db()
    add_task(owner, other_project, "Proposal study", 2, assignee=priya)  # initiation
    add_task(owner, project, "PLC integration", 2, assignee=priya)
    assert services.preview_levelling(actor=owner, project=project).moves == []
    Project.objects.filter(pk=other_project.pk).update(phase=Phase.EXECUTION)
    moved = services.preview_levelling(actor=owner, project=project).moves
    assert [m.reason for m in moved] == [
        "Waits for Priya Raman, busy on 'Proposal study' until Tue 4 Mar"
    ]


def test_assignment_api_refuses_people_on_a_summary_or_a_milestone(
    api: Any, org: Any, owner: Any, priya: Any, project: Any
) -> None:
    from twofold.projects import services as project_services

    parent = add_task(owner, project, "Commissioning", 3)
    child = add_task(owner, project, "Dry run", 2)
    project_services.indent_task(actor=owner, task=child)
    milestone = add_task(owner, project, "Handover", 0, is_milestone=True)
    for task, words in ((parent, "is a summary"), (milestone, "is a milestone")):
        task.refresh_from_db()
        url = f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{task.pk}/assignments"
        r = api(owner)._call(
            "put",
            url,
            {"version": task.version, "assignments": [{"person_id": priya.pk, "units": 100}]},
        )
        # Both were accepted, and capacity then counted those people for nothing.
        assert r.status_code == 422 and words in r.json()["detail"]
        assert r.json()["field"] == "assignments"


def test_assignments_store_every_persons_work_and_the_task_work_is_their_sum(
    owner: Any, priya: Any, jonas: Any, project: Any
) -> None:
    """The People panel, capacity and the task's work agree on a task whose people were put on
    it without work (until 2026-12-06 the panel read such a row as duration × units, capacity
    as the effort's share, and the task kept its effort whatever work the rows gave)."""
    from twofold.projects import resourcing

    task = add_task(owner, project, "Cell layout", 3, effort_minutes=25 * 60)
    services.set_assignments(
        actor=owner,
        task=task,
        rows=[(priya, 50, None), (jonas, 100, None)],
        expected_version=task.version,
    )
    task.refresh_from_db()
    # 25 h shared 50 : 100 is 8 h 20 min and 16 h 40 min: exact, stored on the rows.
    rows = list(Assignment.objects.filter(task=task).values_list("person_id", "work_minutes"))
    assert rows == [(priya.pk, 500), (jonas.pk, 1000)] and task.effort_minutes == 1500
    panel = {user.pk: share.work for user, share in resourcing.people_of(task)}
    assert panel == {priya.pk: 500, jonas.pk: 1000}
    week = selectors.usage(task.organisation, first=MONDAY, weeks=1)
    hours = {row.user.pk: row.cells[0].project for row in week.rows}
    assert (hours[priya.pk], hours[jonas.pk]) == (round(500 / 60, 1), round(1000 / 60, 1))
    # Work given for one person and not the other: the other's is the effort's share by units
    # over everyone (as capacity reads it), and the task's work becomes their sum.
    services.set_assignments(
        actor=owner,
        task=task,
        rows=[(priya, 50, 30 * 60), (jonas, 100, None)],
        expected_version=task.version,
    )
    task.refresh_from_db()
    rows = list(Assignment.objects.filter(task=task).values_list("person_id", "work_minutes"))
    assert rows == [(priya.pk, 1800), (jonas.pk, 1000)] and task.effort_minutes == 2800
    from twofold.core.models import HistoryEntry

    entry = HistoryEntry.objects.filter(
        content_type__model="task", object_id=task.pk, action="updated"
    ).order_by("-pk")[0]
    assert entry.changes["effort_minutes"] == [1500, 2800]
    # The same people sent again change nothing: Jonas keeps the work stored for him (it grew
    # by the effort's share at every call).
    for _ in range(2):
        task.refresh_from_db()
        services.set_assignments(
            actor=owner,
            task=task,
            rows=[(priya, 50, 30 * 60), (jonas, 100, None)],
            expected_version=task.version,
        )
    task.refresh_from_db()
    rows = list(Assignment.objects.filter(task=task).values_list("person_id", "work_minutes"))
    assert rows == [(priya.pk, 1800), (jonas.pk, 1000)] and task.effort_minutes == 2800
    # More work than a task can have (the task page takes 100,000 h): refused, naming the field.
    with pytest.raises(Invalid) as refused:
        services.set_assignments(
            actor=owner,
            task=task,
            rows=[(priya, 50, 10**7 // 2), (jonas, 100, 10**7 // 2)],
            expected_version=task.version,
        )
    assert refused.value.field == "work_minutes" and "at most 100,000 h" in refused.value.message


def test_the_data_migration_resolves_work_as_the_service_does() -> None:
    """``projects/0018`` stores the work of rows saved without it; it keeps its own copy of the
    rule (a migration must not change with the code), which must give the service's answers."""
    import importlib
    import random
    from types import SimpleNamespace

    from twofold.projects.services import AssignmentRow, _resolved_work

    migration = importlib.import_module("twofold.projects.migrations.0018_assignment_work_stored")
    pick = random.Random(6)
    for _ in range(500):
        effort = pick.choice([0, pick.randrange(1, 5000)])
        duration = pick.randrange(0, 5000)
        rows = [
            (pick.randrange(1, 300), pick.choice([None, pick.randrange(0, 3000)]))
            for _ in range(pick.randrange(1, 5))
        ]
        task = SimpleNamespace(effort_minutes=effort, duration_minutes=duration)
        service = _resolved_work(
            task,  # type: ignore[arg-type]
            [
                AssignmentRow(SimpleNamespace(pk=i), units, work)  # type: ignore[arg-type]
                for i, (units, work) in enumerate(rows)
            ],
            {},
        )
        assert migration._resolved(effort, duration, rows) == service
        if effort and all(work is None for _, work in rows):
            assert sum(service) == effort
