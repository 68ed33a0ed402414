"""Calendar feeds: secret subscription URLs whose iCalendar bodies parse back with the
``icalendar`` package, hold what the person may see, and stop answering when revoked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone as tz
from icalendar import Calendar

from twofold.accounts.models import Membership, Role
from twofold.capacity import services as capacity_services
from twofold.interchange import services
from twofold.interchange.models import CalendarFeed, FeedKind
from twofold.operations import services as ops
from twofold.operations.models import Occurrence
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday())


@pytest.fixture
def project(org: Any, owner: Any) -> Any:
    return project_services.create_project(
        actor=owner, organisation=org, name="Press line upgrade", code="PLU", target_start=MONDAY
    )


@pytest.fixture
def worker(org: Any, member: Any) -> Any:
    person = member(org, Role.MEMBER, full_name="Ana Weld")
    person.timezone = "Europe/Berlin"
    person.save(update_fields=["timezone"])
    return person


def _feed_url(secret: str) -> str:
    return f"/feeds/{secret}.ics"


def _events(body: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(body)
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def test_a_person_feed_holds_tasks_milestones_routines_and_absences(
    client: Any, org: Any, owner: Any, worker: Any, project: Any
) -> None:
    task, _ = project_services.create_task(
        actor=owner, project=project, name="Weld jig", duration_minutes=2 * 480, assignee=worker
    )
    milestone, _ = project_services.create_task(
        actor=owner, project=project, name="Line running", is_milestone=True
    )
    project_services.add_link(actor=owner, project=project, pred=task, succ=milestone)
    process = ops.create_process(actor=owner, organisation=org, name="Line 2")
    routine = ops.create_routine(
        actor=owner,
        process=process,
        name="Torque check",
        rrule="FREQ=WEEKLY;BYDAY=WE",
        assignee=worker,
    )
    due = dt.datetime.combine(MONDAY + dt.timedelta(days=2), dt.time(16, 0), dt.UTC)
    occurrence = Occurrence.objects.create(organisation=org, routine=routine, due=due)
    capacity_services.create_absence(
        actor=owner,
        organisation=org,
        person=worker,
        start=MONDAY + dt.timedelta(days=14),
        end=MONDAY + dt.timedelta(days=18),
    )
    feed, secret = services.create_feed(actor=worker, organisation=org, kind=FeedKind.PERSON)
    # The worker works on the project, so its milestone is in their feed too.
    response = client.get(_feed_url(secret))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Referrer-Policy"] == "no-referrer"
    events = _events(response.content)
    task.refresh_from_db()
    assert events["Weld jig"]["dtstart"].dt == task.start.date()
    assert events["Weld jig"]["dtend"].dt == task.finish.date() + dt.timedelta(days=1)
    assert events["Weld jig"]["url"] == (
        f"http://127.0.0.1:8000/projects/{project.pk}/tasks/{task.pk}/"
    )
    assert "◆ Line running" in events
    check = events["Torque check (due)"]
    assert check["dtend"].dt == due  # same instant …
    assert str(check["dtend"].dt.tzinfo) == "Europe/Berlin"  # … in the person's zone
    assert check["dtend"].params["TZID"] == "Europe/Berlin"
    cal = Calendar.from_ical(response.content)
    assert [str(z["tzid"]) for z in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert events["Holiday"]["dtstart"].dt == MONDAY + dt.timedelta(days=14)
    assert events["Holiday"]["dtend"].dt == MONDAY + dt.timedelta(days=19)
    assert str(events["Weld jig"]["uid"]).startswith(f"task-{task.pk}@")
    assert str(check["uid"]).startswith(f"occurrence-{occurrence.pk}@")
    feed.refresh_from_db()
    assert feed.last_used_at is not None


def test_a_project_feed_holds_its_milestones(
    client: Any, org: Any, owner: Any, project: Any
) -> None:
    project_services.create_task(actor=owner, project=project, name="Go live", is_milestone=True)
    project_services.create_task(actor=owner, project=project, name="Plain work")
    _feed, secret = services.create_feed(
        actor=owner, organisation=org, kind=FeedKind.PROJECT, project=project
    )
    events = _events(client.get(_feed_url(secret)).content)
    assert list(events) == ["◆ Go live"]


def test_revoked_unknown_and_former_member_feeds_answer_404(
    client: Any, org: Any, owner: Any, worker: Any
) -> None:
    feed, secret = services.create_feed(actor=worker, organisation=org, kind=FeedKind.PERSON)
    assert client.get(_feed_url(secret)).status_code == 200
    assert client.get(_feed_url("not-a-secret")).status_code == 404
    Membership.objects.filter(user=worker, organisation=org).delete()
    assert client.get(_feed_url(secret)).status_code == 404
    Membership.objects.create(user=worker, organisation=org, role=Role.MEMBER)
    services.revoke_feed(actor=worker, feed=feed)
    assert client.get(_feed_url(secret)).status_code == 404
    assert CalendarFeed.objects.get(pk=feed.pk).secret_hash != secret  # only a hash is kept


def test_the_feed_reads_a_constant_number_of_queries(
    client: Any, org: Any, owner: Any, project: Any
) -> None:
    _feed, secret = services.create_feed(actor=owner, organisation=org, kind=FeedKind.PERSON)
    project_services.create_task(actor=owner, project=project, name="T0", assignee=owner)
    client.get(_feed_url(secret))  # first read stamps last_used_at
    with CaptureQueriesContext(connection) as few:
        client.get(_feed_url(secret))
    for i in range(1, 12):
        project_services.create_task(
            actor=owner, project=project, name=f"T{i}", assignee=owner, is_milestone=i % 3 == 0
        )
    with CaptureQueriesContext(connection) as many:
        body = client.get(_feed_url(secret)).content
    assert len(_events(body)) == 12
    assert len(many) == len(few)


def test_the_page_shows_a_new_address_once_and_revokes(
    client: Any, org: Any, owner: Any, project: Any
) -> None:
    client.force_login(owner)
    page = client.get("/feeds/")
    assert page.status_code == 200 and "No feeds yet" in page.content.decode()
    created = client.post("/feeds/", {"kind": "project", "project": project.pk})
    html = created.content.decode()
    assert "Copy your feed address now" in html and "/feeds/" in html
    feed = CalendarFeed.objects.get()
    assert feed.project == project
    assert client.post("/feeds/", {"kind": "project"}).status_code == 422
    again = client.get("/feeds/").content.decode()
    assert "Copy your feed address now" not in again and "Press line upgrade" in again
    revoked = client.post(f"/feeds/{feed.pk}/revoke/")
    assert revoked.status_code == 302
    assert CalendarFeed.objects.get().revoked_at is not None


def test_the_api_creates_lists_and_revokes(
    api: Any, org: Any, owner: Any, project: Any, outsider: Any
) -> None:
    c = api(owner)
    created = c.post(
        f"/api/organisations/{org.pk}/feeds", {"kind": "project", "project_id": project.pk}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["url"].startswith("http://127.0.0.1:8000/feeds/") and body["url"].endswith(".ics")
    listed = c.get(f"/api/organisations/{org.pk}/feeds").json()
    assert [f["label"] for f in listed] == ["Press line upgrade"] and "url" not in listed[0]
    missing = c.post(f"/api/organisations/{org.pk}/feeds", {"kind": "project"})
    assert missing.status_code == 422 and "project" in str(missing.json())
    other = api(outsider).post(f"/api/organisations/{org.pk}/feeds", {"kind": "person"})
    assert other.status_code == 404
    gone = c.delete(f"/api/organisations/{org.pk}/feeds/{body['id']}")
    assert gone.status_code == 204
    assert (
        api(outsider).delete(f"/api/organisations/{org.pk}/feeds/{body['id']}").status_code == 404
    )
    assert tz.now() >= CalendarFeed.objects.get().revoked_at


def test_a_project_feed_keeps_only_gates_and_milestones_inside_the_window(
    client: Any, org: Any, owner: Any, project: Any
) -> None:
    from twofold.interchange import ical
    from twofold.projects.models import Gate, Task

    recent, old = Gate.objects.filter(project=project).order_by("pk")[:2]
    now = tz.now()
    Gate.objects.filter(pk=recent.pk).update(passed_at=now - dt.timedelta(days=3))
    Gate.objects.filter(pk=old.pk).update(passed_at=now - ical.PAST - dt.timedelta(days=30))
    project_services.create_task(actor=owner, project=project, name="Go live", is_milestone=True)
    ancient, _ = project_services.create_task(
        actor=owner, project=project, name="Kick-off", is_milestone=True
    )
    long_ago = now - ical.PAST - dt.timedelta(days=30)
    Task.objects.filter(pk=ancient.pk).update(start=long_ago, finish=long_ago)
    _feed, secret = services.create_feed(
        actor=owner, organisation=org, kind=FeedKind.PROJECT, project=project
    )
    with CaptureQueriesContext(connection) as queries:
        events = _events(client.get(_feed_url(secret)).content)
    assert sorted(events) == [
        f"Gate passed: end of {recent.get_phase_display()} (Press line upgrade)",
        "◆ Go live",
    ]
    gate_sql = [q["sql"] for q in queries if "projects_gate" in q["sql"]]
    assert gate_sql and all("LIMIT 2000" in q for q in gate_sql)


def test_a_person_feed_leaves_out_milestones_of_archived_projects(
    client: Any, org: Any, owner: Any, project: Any
) -> None:
    from twofold.projects.models import Project

    Project.objects.filter(pk=project.pk).update(manager=owner)
    project_services.create_task(actor=owner, project=project, name="Go live", is_milestone=True)
    _feed, secret = services.create_feed(actor=owner, organisation=org, kind=FeedKind.PERSON)
    assert "◆ Go live" in _events(client.get(_feed_url(secret)).content)
    Project.objects.filter(pk=project.pk).update(archived_at=tz.now())
    assert _events(client.get(_feed_url(secret)).content) == {}


def test_a_project_name_with_a_line_break_gives_a_one_line_escaped_calendar_name(
    client: Any, org: Any, owner: Any, project: Any
) -> None:
    project.name = "Proj, with; semi\nnew line"
    project.save(update_fields=["name"])
    _feed, secret = services.create_feed(
        actor=owner, organisation=org, kind=FeedKind.PROJECT, project=project
    )
    response = client.get(_feed_url(secret))
    assert response.status_code == 200
    lines = response.content.decode().split("\r\n")
    assert [line for line in lines if line.startswith("X-WR-CALNAME")] == [
        "X-WR-CALNAME:Proj\\, with\\; semi new line (Acme Engineering)"
    ]


def test_a_project_feed_answers_404_while_its_project_is_in_the_trash(
    client: Any, org: Any, owner: Any, project: Any
) -> None:
    from twofold.core import trash

    _feed, secret = services.create_feed(
        actor=owner, organisation=org, kind=FeedKind.PROJECT, project=project
    )
    assert client.get(_feed_url(secret)).status_code == 200
    entry = trash.move_to_trash(actor=owner, obj=project)
    gone = client.get(_feed_url(secret))
    assert gone.status_code == 404 and b"Press line upgrade" not in gone.content
    trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert client.get(_feed_url(secret)).status_code == 200
