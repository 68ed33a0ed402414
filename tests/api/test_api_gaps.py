"""The API operations added for page parity (issue 17, item 5), with the pages' rules.

A task's checklist, indent/outdent, the board's WIP limits, generating occurrences, deleting a
cost rate; the reads a client was missing (a project's health, a project's and a task's
history); and what incremental sync was missing (tombstones of trashed rows, and tasks whose
dates the scheduler moved).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from twofold.accounts.models import Organisation, Role, User
from twofold.core import trash
from twofold.core.models import HistoryEntry
from twofold.costs import services as cost_services
from twofold.costs.models import Rate
from twofold.operations import services as ops_services
from twofold.operations.models import Occurrence
from twofold.projects import services
from twofold.projects.models import ChecklistItem, Project, Task

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 3, 3)


class Client:
    """Bearer-token requests with any method and a JSON body."""

    def __init__(self, client: Any, token: str) -> None:
        self.client, self.auth = client, {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def __call__(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {**self.auth, **headers}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(self.client, method)(path, **kwargs)


@pytest.fixture
def as_(client: Any, api_token: Any) -> Any:
    return lambda user: Client(client, api_token(user))


@pytest.fixture
def project(org: Organisation, owner: User) -> Project:
    return services.create_project(
        actor=owner, organisation=org, name="Press line", code="PL", target_start=MONDAY
    )


@pytest.fixture
def tasks(project: Project, owner: User) -> list[Task]:
    first, _ = services.create_task(actor=owner, project=project, name="Design")
    second, _ = services.create_task(actor=owner, project=project, name="Build")
    return [first, second]


def _prj(org: Organisation, project: Project) -> str:
    return f"/api/organisations/{org.pk}/projects/{project.pk}"


# --- checklist ----------------------------------------------------------------------------------


def test_checklist_add_tick_remove_with_history(
    org: Organisation, owner: User, member: Any, tasks: list[Task], as_: Any
) -> None:
    worker = as_(member(org, Role.MEMBER))
    url = f"{_prj(org, tasks[0].project)}/tasks/{tasks[0].pk}/checklist"

    added = worker("post", url, {"text": "  Check drawings  "})
    assert added.status_code == 201
    item = added.json()
    assert item == {"id": item["id"], "text": "Check drawings", "done": False}
    ticked = worker("put", f"{url}/{item['id']}", {"done": True})
    assert ticked.json() == {"id": item["id"], "text": "Check drawings", "done": True}
    # The state asked for, not a flip: ticking again leaves it ticked.
    assert worker("put", f"{url}/{item['id']}", {"done": True}).json()["done"] is True
    assert worker("get", url).json() == [ticked.json()]

    assert worker("delete", f"{url}/{item['id']}").status_code == 204
    assert not ChecklistItem.objects.filter(pk=item["id"]).exists()
    summaries = list(
        HistoryEntry.objects.filter(object_id=tasks[0].pk, action="checklist")
        .order_by("id")
        .values_list("summary", flat=True)
    )
    assert summaries == [
        "Added “Check drawings”",
        "Ticked “Check drawings”",
        "Removed “Check drawings”",
    ]


def test_checklist_rules(
    org: Organisation, owner: User, member: Any, outsider: User, tasks: list[Task], as_: Any
) -> None:
    url = f"{_prj(org, tasks[0].project)}/tasks/{tasks[0].pk}/checklist"
    item = services.add_checklist_item(actor=owner, task=tasks[0], text="Sign")
    guest = as_(member(org, Role.GUEST))
    assert guest("get", url).status_code == 200
    assert guest("post", url, {"text": "x"}).status_code == 403
    assert guest("put", f"{url}/{item.pk}", {"done": True}).status_code == 403
    assert guest("delete", f"{url}/{item.pk}").status_code == 403
    stranger = as_(outsider)
    assert stranger("get", url).status_code == 404
    assert stranger("put", f"{url}/{item.pk}", {"done": True}).status_code == 404
    # An item of another task answers 404 on this task's path.
    other = f"{_prj(org, tasks[0].project)}/tasks/{tasks[1].pk}/checklist/{item.pk}"
    assert as_(owner)("put", other, {"done": True}).status_code == 404
    bad = as_(owner)("put", f"{url}/{item.pk}", {"done": "yes"})
    assert bad.status_code == 422 and bad.json()["field"] == "done"
    empty = as_(owner)("post", url, {"text": ""})
    assert empty.status_code == 422 and empty.json()["field"] == "text"
    item.refresh_from_db()
    assert item.done is False


# --- indent / outdent ---------------------------------------------------------------------------


def test_indent_and_outdent(
    org: Organisation, owner: User, member: Any, outsider: User, tasks: list[Task], as_: Any
) -> None:
    design, build = tasks
    base = f"{_prj(org, design.project)}/tasks"
    worker = as_(member(org, Role.MEMBER))

    top = worker("post", f"{base}/{design.pk}/indent", {"version": design.version})
    assert top.status_code == 422 and top.json()["field"] == "parent"
    indented = worker("post", f"{base}/{build.pk}/indent", {"version": build.version})
    assert indented.status_code == 200
    assert indented.json()["task"]["parent_id"] == design.pk
    assert indented.json()["task"]["version"] == build.version + 1
    assert Task.objects.get(pk=design.pk).is_summary is True

    stale = worker("post", f"{base}/{build.pk}/outdent", {"version": build.version})
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == build.version + 1
    assert worker("post", f"{base}/{build.pk}/outdent", {}).status_code == 428
    guest = as_(member(org, Role.GUEST))
    assert guest("post", f"{base}/{build.pk}/outdent", {"version": 2}).status_code == 403
    assert as_(outsider)("post", f"{base}/{build.pk}/outdent", {"version": 2}).status_code == 404

    outdented = worker("post", f"{base}/{build.pk}/outdent", {"version": build.version + 1})
    assert outdented.status_code == 200
    assert outdented.json()["task"]["parent_id"] is None
    actions = list(
        HistoryEntry.objects.filter(object_id=build.pk, action__in=["indented", "outdented"])
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["indented", "outdented"]


# --- WIP limits ---------------------------------------------------------------------------------


def test_wip_limits(
    org: Organisation, owner: User, member: Any, outsider: User, project: Project, as_: Any
) -> None:
    url = f"{_prj(org, project)}/board/wip-limits"
    admin = as_(member(org, Role.ADMIN))
    before = admin("get", url).json()
    assert before == {"todo": 0, "doing": 0, "review": 0, "done": 0, "version": project.version}

    saved = admin("put", url, {"version": project.version, "doing": 3, "review": 2})
    assert saved.status_code == 200
    assert saved.json() == {
        "todo": 0,
        "doing": 3,
        "review": 2,
        "done": 0,
        "version": project.version + 1,
    }
    project.refresh_from_db()
    assert project.wip_limits == {"doing": 3, "review": 2}
    assert HistoryEntry.objects.filter(object_id=project.pk, action="updated").exists()

    stale = admin("put", url, {"version": project.version - 1, "doing": 9})
    assert stale.status_code == 409 and stale.json()["current"]["doing"] == 3
    worker = as_(member(org, Role.MEMBER))
    assert worker("get", url).status_code == 200
    assert worker("put", url, {"version": project.version, "doing": 1}).status_code == 403
    assert as_(outsider)("get", url).status_code == 404
    big = admin("put", url, {"version": project.version, "doing": 1000})
    assert big.status_code == 422 and big.json()["field"] == "doing"
    project.refresh_from_db()
    assert project.wip_limits == {"doing": 3, "review": 2}


# --- generate occurrences ----------------------------------------------------------------------


def test_generate_occurrences(
    org: Organisation, owner: User, member: Any, outsider: User, as_: Any
) -> None:
    process = ops_services.create_process(actor=owner, organisation=org, name="Press line")
    ops_services.create_routine(
        actor=owner,
        process=process,
        name="Daily checks",
        rrule="FREQ=DAILY",
        starts_on=timezone.localdate(),
        due_time=dt.time(23, 59),
    )
    url = f"/api/organisations/{org.pk}/occurrences/generate"
    assert as_(member(org, Role.MEMBER))("post", url).status_code == 403
    assert as_(outsider)("post", url).status_code == 404
    assert Occurrence.objects.filter(organisation=org).count() == 0

    first = as_(owner)("post", url)
    assert first.status_code == 200
    made = Occurrence.objects.filter(organisation=org).count()
    assert made >= 30  # daily from today, 30 days ahead
    assert first.json() == {"routines": 1, "due": made, "created": made, "days": 30}
    again = as_(owner)("post", url).json()
    assert again == {"routines": 1, "due": made, "created": 0, "days": 30}
    assert HistoryEntry.objects.filter(object_id=org.pk, action="generated").count() == 2


# --- delete a rate ------------------------------------------------------------------------------


def test_delete_rate(org: Organisation, owner: User, member: Any, outsider: User, as_: Any) -> None:
    rate = cost_services.create_rate(
        actor=owner,
        organisation=org,
        role="Engineer",
        hourly=Decimal("80.00"),
        effective_from=MONDAY,
    )
    url = f"/api/organisations/{org.pk}/rates/{rate.pk}"
    listed = as_(owner)("get", f"/api/organisations/{org.pk}/rates").json()
    assert [(r["id"], r["version"]) for r in listed] == [(rate.pk, 1)]
    assert as_(member(org, Role.MEMBER))("delete", url).status_code == 403
    assert as_(outsider)("delete", url).status_code == 404
    assert as_(owner)("delete", url + "?version=2").status_code == 409
    bad = as_(owner)("delete", url + "?version=x")
    assert bad.status_code == 422 and bad.json()["field"] == "version"
    assert Rate.objects.filter(pk=rate.pk).exists()

    assert as_(owner)("delete", url + "?version=1").status_code == 204
    assert not Rate.objects.filter(pk=rate.pk).exists()
    assert HistoryEntry.objects.filter(object_id=rate.pk, action="deleted").count() == 1
    assert as_(owner)("delete", url).status_code == 404


# --- health and history -------------------------------------------------------------------------


def test_health_is_the_portfolio_cards(
    org: Organisation, owner: User, member: Any, outsider: User, as_: Any
) -> None:
    from twofold.risks import services as risk_services

    # Starts next month: nothing is planned to be done yet, so progress is not behind.
    project = services.create_project(
        actor=owner,
        organisation=org,
        name="Next line",
        code="NL",
        target_start=timezone.localdate() + dt.timedelta(days=30),
    )

    url = f"{_prj(org, project)}/health"
    empty = as_(member(org, Role.GUEST))("get", url)
    assert empty.status_code == 200
    assert empty.json() == {
        "project_id": project.pk,
        "level": "not_planned",
        "label": "Not planned",
        "reasons": ["No tasks planned yet"],
        "schedule": "not_planned",
        "risk": "green",
        "cost": None,
        "percent_complete": 0.0,
        "percent_planned": 0.0,
        "slip_days": None,
        "next_milestone": "",
        "next_milestone_date": None,
    }
    services.create_task(actor=owner, project=project, name="Build")
    for title in ("Supplier late", "Press fails"):
        risk_services.create_risk(
            actor=owner, project=project, title=title, probability=5, impact=5
        )
    body = as_(owner)("get", url).json()
    assert (body["level"], body["schedule"], body["risk"]) == ("red", "green", "red")
    assert body["reasons"] == ["2 open high risks"]
    assert as_(outsider)("get", url).status_code == 404


def test_history_of_a_project_and_a_task(
    org: Organisation, owner: User, outsider: User, project: Project, tasks: list[Task], as_: Any
) -> None:
    task = tasks[0]
    services.update_task(actor=owner, task=task, expected_version=task.version, name="Design it")
    url = f"{_prj(org, project)}/tasks/{task.pk}/history"
    entries = as_(owner)("get", url).json()
    assert [e["action"] for e in entries] == ["updated", "created"]
    newest = entries[0]
    assert newest["actor_id"] == owner.pk and newest["actor"] == "Olivia Owner"
    assert newest["changes"] == [{"field": "Name", "before": "Design", "after": "Design it"}]
    assert len(as_(owner)("get", url + "?limit=1&offset=1").json()) == 1
    bad = as_(owner)("get", url + "?limit=0")
    assert bad.status_code == 422 and bad.json()["field"] == "limit"
    project_entries = as_(owner)("get", f"{_prj(org, project)}/history").json()
    assert [e["action"] for e in project_entries][-1] == "created"
    assert as_(outsider)("get", url).status_code == 404


# --- sync: tombstones and rescheduled tasks ------------------------------------------------------


def test_deleted_lists_trashed_rows_since(
    org: Organisation, owner: User, member: Any, outsider: User, tasks: list[Task], as_: Any
) -> None:
    design, build = tasks
    child, _ = services.create_task(actor=owner, project=design.project, name="Sketch")
    services.indent_task(actor=owner, task=child, expected_version=child.version)
    # ``child`` is now a subtask of ``build``: trashing ``build`` takes it along.
    before = timezone.now()
    services.delete_task(actor=owner, task=Task.objects.get(pk=build.pk))
    url = f"/api/organisations/{org.pk}/deleted"
    guest = as_(member(org, Role.GUEST))
    since = (before - dt.timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    answer = guest("get", f"{url}?deleted_since={since}")
    assert answer.status_code == 200
    assert [(r["kind"], r["id"]) for r in answer.json()] == [
        ("projects.task", build.pk),
        ("projects.task", child.pk),
    ]
    assert answer["X-Total-Count"] == "2"
    one = guest("get", f"{url}?deleted_since={since}&kind=projects.task&offset=1&limit=1")
    assert [r["id"] for r in one.json()] == [child.pk] and one["X-Total-Count"] == "2"
    assert guest("get", f"{url}?kind=risks.risk").json() == []

    later = timezone.now() + dt.timedelta(seconds=1)
    none = guest("get", f"{url}?deleted_since={later.isoformat().replace('+00:00', 'Z')}")
    assert none.json() == []
    entry = trash.entries(org).get()
    trash.restore(actor=owner, organisation=org, entry_id=entry.pk, expected_version=entry.version)
    assert guest("get", url).json() == []
    naive = guest("get", f"{url}?deleted_since=2026-01-01T00:00:00")
    assert naive.status_code == 422 and naive.json()["field"] == "deleted_since"
    unknown = guest("get", f"{url}?kind=projects.nothing")
    assert unknown.status_code == 422 and unknown.json()["field"] == "kind"
    assert as_(outsider)("get", url).status_code == 404


def test_tasks_moved_by_the_scheduler_are_in_updated_since(
    org: Organisation, owner: User, project: Project, tasks: list[Task], as_: Any
) -> None:
    design, build = tasks
    services.add_link(actor=owner, project=project, pred=design, succ=build)
    moment = timezone.now()
    design = Task.objects.get(pk=design.pk)
    # Lengthen the predecessor: its successor's dates move without an edit of its own.
    services.update_task(
        actor=owner, task=design, expected_version=design.version, duration_minutes=3 * 480
    )
    assert not HistoryEntry.objects.filter(object_id=build.pk, at__gte=moment).exists()
    since = moment.isoformat().replace("+00:00", "Z")
    page = as_(owner)("get", f"{_prj(org, project)}/tasks?updated_since={since}").json()
    assert sorted(t["id"] for t in page["items"]) == [design.pk, build.pk]
    moved = Task.objects.get(pk=build.pk)
    assert moved.rescheduled_at is not None and moved.rescheduled_at >= moment


def test_reads_cost_the_same_queries_however_many_rows(
    org: Organisation,
    owner: User,
    project: Project,
    tasks: list[Task],
    as_: Any,
) -> None:
    """History and tombstones read a page in constant queries (no query per entry or row)."""
    reader = as_(owner)
    history = f"{_prj(org, project)}/tasks/{tasks[0].pk}/history"
    deleted = f"/api/organisations/{org.pk}/deleted"
    services.delete_task(actor=owner, task=Task.objects.get(pk=tasks[1].pk))
    reader("get", history)  # warm the caches (content types, the token's user)
    reader("get", deleted)
    counts = []
    for _round in range(2):
        with CaptureQueriesContext(connection) as few:
            reader("get", history)
            reader("get", deleted)
        counts.append(len(few.captured_queries))
        for n in range(3):
            services.add_checklist_item(actor=owner, task=tasks[0], text=f"Step {n}")
            extra, _ = services.create_task(actor=owner, project=project, name=f"Extra {n}")
            services.delete_task(actor=owner, task=extra)
    assert counts[0] == counts[1]
    assert len(reader("get", history).json()) == 7  # created + 6 checklist entries
    assert len(reader("get", deleted).json()) == 7  # tasks[1] + 6 extras


def test_an_unknown_path_under_the_api_answers_json(api, owner):
    """docs/api.md: every error is JSON; a path no route takes answered Django's HTML page."""
    r = api(owner).get("/api/no-such-route")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert r.json() == {"detail": "Not found.", "field": None}
    assert api(owner).get("/api/openapi.json").status_code == 200


def test_a_demoted_author_is_not_told_they_may_edit_their_comment(api, org, owner, member):
    """The API gave a guest (demoted since) an ``editable_until``, then refused the edit (403)."""
    from twofold.accounts.models import Membership, Role
    from twofold.comments import services as comments
    from twofold.projects import services as projects

    writer = member(org, Role.MEMBER)
    project = projects.create_project(actor=owner, organisation=org, name="P", code="P-1")
    comment = comments.add_comment(actor=writer, target=project, body="hello")
    url = f"/api/organisations/{org.pk}/comments/{comment.pk}"
    assert api(writer).get(url).json()["editable_until"] is not None
    Membership.objects.filter(user=writer, organisation=org).update(role=Role.GUEST)
    got = api(writer).get(url).json()
    assert got["editable_until"] is None
    listed = api(writer).get(f"/api/organisations/{org.pk}/comments/project/{project.pk}").json()
    assert [c["editable_until"] for c in listed] == [None]
    r = api(writer).patch(url, {"body": "x", "version": got["version"]})
    assert r.status_code == 403


def test_a_comment_is_deleted_with_the_version_in_the_query(api, org, owner):
    """``?version=`` is text in a query string: the strict integer refused it (422)."""
    from twofold.comments import services as comments
    from twofold.projects import services as projects

    project = projects.create_project(actor=owner, organisation=org, name="P", code="P-1")
    comment = comments.add_comment(actor=owner, target=project, body="hello")
    url = f"/api/organisations/{org.pk}/comments/{comment.pk}"
    assert api(owner).delete(f"{url}?version={comment.version + 1}").status_code == 409
    assert api(owner).delete(f"{url}?version={comment.version}").status_code == 204
