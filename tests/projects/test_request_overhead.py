"""Issue 18: what one request costs in queries (the organisation and membership read once), the
task list in one request, and a status change with its version, history and 409 kept."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.core.models import HistoryEntry

pytestmark = pytest.mark.django_db


def _base(org: Any, project: Any) -> str:
    return f"/api/organisations/{org.pk}/projects/{project.pk}"


def test_api_me_reads_the_memberships_once(
    client: Any, org: Any, owner: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(owner)
    # the session, then the user with their memberships and organisations in one read
    with django_assert_num_queries(2):
        r = client.get("/api/me")
    assert r.status_code == 200
    assert r.json()["memberships"] == [
        {"organisation_id": org.pk, "organisation_name": org.name, "role": "owner"}
    ]


def test_one_task_costs_four_queries(
    api: Any, org: Any, project: Any, chain: list[Any], owner: Any, django_assert_num_queries: Any
) -> None:
    client = api(owner)
    path = f"{_base(org, project)}/tasks/{chain[1].pk}"
    client.get(path)  # the token's last-used stamp is written once a minute
    with django_assert_num_queries(4):  # token with user, memberships, project, task
        r = client.get(path)
    assert r.json()["name"] == "B" and r.json()["version"] == chain[1].version


def test_the_whole_task_list_in_one_request(
    api: Any, org: Any, project: Any, chain: list[Any], owner: Any, django_assert_num_queries: Any
) -> None:
    client = api(owner)
    tasks = f"{_base(org, project)}/tasks"
    client.get(tasks)
    # token, memberships, project, the fingerprint (total and ETag, one query), rows
    with django_assert_num_queries(5):
        whole = client.get(f"{tasks}?limit=2000").json()
    assert (whole["count"], whole["limit"], [t["name"] for t in whole["items"]]) == (
        3,
        2000,
        ["A", "B", "M"],
    )
    first = whole["items"][0]
    assert first["start"].endswith("Z") and first["is_milestone"] is False
    assert first["version"] == chain[0].version
    with django_assert_num_queries(5):  # a full page: the same
        page = client.get(f"{tasks}?limit=2").json()
    assert (page["count"], [t["name"] for t in page["items"]]) == (3, ["A", "B"])
    assert client.get(f"{tasks}?offset=2&limit=2").json()["count"] == 3
    assert client.get(f"{tasks}?offset=5&limit=2").json() == {
        "count": 3,
        "offset": 5,
        "limit": 2,
        "items": [],
    }


def test_status_change_keeps_history_and_the_version_check(
    api: Any, org: Any, project: Any, chain: list[Any], owner: Any, django_assert_num_queries: Any
) -> None:
    client = api(owner)
    task = chain[0]
    path = f"{_base(org, project)}/tasks/{task.pk}"
    started = client.patch(path, {"version": task.version, "status": "doing"}).json()["task"]
    version = started["version"]
    # Doing → review: no date moves, so no reschedule (starting it set its actual start above).
    with django_assert_num_queries(8):  # token, memberships, project, task, UPDATE, history
        r = client.patch(path, {"version": version, "status": "review"})  # + savepoint, release
    assert r.status_code == 200
    assert (r.json()["task"]["status"], r.json()["task"]["version"]) == ("review", version + 1)
    assert r.json()["rescheduled"] is None
    entry = HistoryEntry.objects.filter(object_id=task.pk).order_by("-pk").first()
    assert entry is not None and entry.changes == {"status": ["doing", "review"]}
    stale = client.patch(path, {"version": version, "status": "done"})
    assert stale.status_code == 409 and stale.json()["current"]["status"] == "review"


def test_a_page_reads_the_memberships_once_for_the_switcher_and_the_checks(
    client: Any, org: Any, owner: Any, project: Any, make_org: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from twofold.accounts.models import Membership, Role

    other = make_org(name="Zeta Works")
    Membership.objects.create(user=owner, organisation=other, role=Role.GUEST)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(f"/projects/{project.pk}/")
    assert r.status_code == 200
    assert "Switch to Zeta Works" in r.content.decode()
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "accounts_membership"' in q["sql"]]
    assert len(reads) == 1


def test_the_list_read_from_the_cursor_is_the_same_json_as_through_the_orm(
    api: Any, org: Any, project: Any, chain: list[Any], owner: Any, monkeypatch: Any
) -> None:
    """SQLite's fast path (instants as text, no per-value converters) writes the very bytes the
    ``values()`` path writes; an instant not in the whole-second form takes the usual path."""
    from twofold.projects import api as projects_api
    from twofold.projects.models import Task

    client = api(owner)
    tasks = f"{_base(org, project)}/tasks?limit=2000"
    Task.objects.filter(pk=chain[0].pk).update(assignee=owner, is_critical=True)
    fast = client.get(tasks).content
    monkeypatch.setattr(projects_api, "_sqlite_rows", lambda rows: None)
    assert client.get(tasks).content == fast
    monkeypatch.undo()
    Task.objects.filter(pk=chain[1].pk).update(start=chain[1].start.replace(microsecond=5))
    body = client.get(tasks).json()
    assert body["items"][1]["start"].endswith(".000005Z") and body["items"][0]["is_critical"]


def test_the_task_page_reads_the_people_once_in_constant_queries(
    client: Any, org: Any, owner: Any, project: Any, chain: list[Any], member: Any
) -> None:
    """The assignee and "add person" selects share one read of the members (tuples, no User
    rows), kept per process until the organisation's people change (accounts.directory);
    more members add no query; the chosen assignee is selected."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from twofold.accounts.models import Role, User

    def people(captured: CaptureQueriesContext) -> int:
        start = 'SELECT "accounts_user"."id" AS "id", "accounts_user"."full_name"'
        return sum(q["sql"].startswith(start) for q in captured.captured_queries)

    client.force_login(owner)
    page = f"/projects/{project.pk}/tasks/{chain[0].pk}/"
    with CaptureQueriesContext(connection) as first:
        client.get(page)
    with CaptureQueriesContext(connection) as small:
        r = client.get(page)
    assert (people(first), people(small)) == (1, 0)  # the second view reads them from memory
    assert len(small.captured_queries) == 11
    html = r.content.decode()
    assert html.count('<option value="" selected>---------</option>') == 2  # none chosen yet
    assert html.count(f'<option value="{owner.pk}">Olivia Owner</option>') == 2
    for i in range(5):
        member(org, Role.MEMBER, full_name=f"Person {i}")
    with CaptureQueriesContext(connection) as large:
        html = client.get(page).content.decode()
    assert people(large) == 1  # new members: read again, once
    assert len(large.captured_queries) == len(small.captured_queries) + 1
    assert html.count("Person 4</option>") == 2
    # A rename that no signal sees (another process, raw SQL) still shows on the next view.
    User.objects.filter(full_name="Person 4").update(full_name="Person Four")
    html = client.get(page).content.decode()
    assert html.count("Person Four</option>") == 2 and "Person 4<" not in html
    User.objects.filter(full_name="Person Four").update(job_title="Planner")  # not shown
    with CaptureQueriesContext(connection) as again:
        client.get(page)
    assert people(again) == 0
    chain[0].assignee = owner
    chain[0].save(update_fields=["assignee"])
    html = client.get(page).content.decode()
    assert f'<option value="{owner.pk}" selected>Olivia Owner</option>' in html


def test_the_overview_reads_its_own_card_in_constant_queries(
    client: Any, org: Any, owner: Any, project: Any, chain: list[Any], member: Any
) -> None:
    """The overview reads the project's own card (not the whole portfolio's, then filtered):
    other projects, their milestones and risks add no query and no work."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from twofold.projects import services

    client.force_login(owner)
    page = f"/projects/{project.pk}/"
    client.get(page)
    with CaptureQueriesContext(connection) as small:
        r = client.get(page)
    for i in range(3):
        other = services.create_project(
            actor=owner, organisation=org, name=f"Other {i}", code=f"O{i}"
        )
        services.create_task(actor=owner, project=other, name="Gate", is_milestone=True)
    through_cursor: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        through_cursor.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as large, connection.execute_wrapper(count):
        again = client.get(page)
    # On PostgreSQL the other apps' panels (cost health, the processes the project changes,
    # the currency) are read ahead with the page's own reads: two statements this page does
    # not use (the KPIs of linked processes: none; the currency: no amount shown) in one round
    # trip, and only the session and the membership go through the cursor.
    postgres = connection.vendor == "postgresql"
    assert len(small.captured_queries) == len(large.captured_queries) == (15 if postgres else 13)
    if postgres:
        assert len(through_cursor) == 2, through_cursor
    sql = " ".join(q["sql"] for q in large.captured_queries)
    assert '"projects_project"."name"' not in sql  # no portfolio read of every project
    for html in (r.content.decode(), again.content.decode()):
        assert "<dt>Next milestone</dt><dd>M <span" in html  # from the card
