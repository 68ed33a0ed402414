"""Activity feeds (organisation, project, process), the Atom feed URL, and the live check."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Membership
from twofold.activity import live, selectors
from twofold.activity.models import LiveVersion
from twofold.comments import services as comment_services
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db


def _other_project(org: Any, owner: Any) -> Any:
    return project_services.create_project(
        actor=owner,
        organisation=org,
        name="Paint shop",
        code="PS",
        target_start=dt.date(2025, 3, 3),
    )


def test_project_feed_merges_changes_and_comments_newest_first(
    org: Any,
    owner: Any,
    priya: Any,
    project: Any,
    task: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    other = _other_project(org, owner)
    project_services.create_task(actor=owner, project=other, name="Elsewhere")
    comment_services.add_comment(actor=priya, target=task, body="Started @Olivia Owner")
    project_services.update_task(
        actor=owner, task=task, expected_version=task.version, name="Weld the frame"
    )
    page = selectors.feed(selectors.Scope(org, project_id=project.pk), viewer=owner)
    lines = [(e.actor.full_name if e.actor else "", e.verb, str(e.target)) for e in page.entries]
    assert lines[:2] == [
        ("Olivia Owner", "updated", "Weld the frame"),
        ("Priya Raman", "commented", "Weld the frame"),
    ]
    assert all(str(e.target) != "Elsewhere" for e in page.entries)
    assert "Elsewhere" in [
        str(e.target) for e in selectors.feed(selectors.Scope(org), viewer=owner).entries
    ]


def test_filters_by_person_and_kind_and_pages_with_before(
    org: Any, owner: Any, priya: Any, project: Any, task: Any
) -> None:
    for i in range(4):
        comment_services.add_comment(actor=priya, target=task, body=f"Note {i}")
    scope = selectors.Scope(org, project_id=project.pk)
    only_priya = selectors.feed(scope, person=priya.pk, viewer=owner)
    assert {e.actor for e in only_priya.entries} == {priya}
    comments = selectors.feed(scope, kind="comment", limit=3, viewer=owner)
    assert [e.comment_html for e in comments.entries] == [
        "<p>Note 3</p>",
        "<p>Note 2</p>",
        "<p>Note 1</p>",
    ]
    rest = selectors.feed(scope, kind="comment", limit=3, before=comments.next_before, viewer=owner)
    assert [str(e.comment_html) for e in rest.entries] == [
        "<p>Note 0</p>"
    ] and rest.next_before is None
    projects_only = selectors.feed(scope, kind="project", viewer=owner)
    assert {e.kind.slug for e in projects_only.entries} == {"project"}


def test_trashed_objects_leave_the_feed_and_outsiders_get_404(
    org: Any, owner: Any, project: Any, task: Any, outsider: Any, signed_in: Any, api: Any
) -> None:
    comment_services.add_comment(actor=owner, target=task, body="Before the trash")
    project_services.delete_task(actor=owner, task=task)
    page = selectors.feed(selectors.Scope(org, project_id=project.pk), viewer=owner)
    assert all(e.kind.slug != "task" for e in page.entries)
    assert signed_in(outsider).get(f"/activity/projects/{project.pk}/").status_code == 404
    assert (
        api(outsider)
        .get(f"/api/organisations/{org.pk}/activity?project_id={project.pk}")
        .status_code
        == 404
    )


def test_activity_pages_and_api_have_constant_queries(
    org: Any,
    owner: Any,
    priya: Any,
    project: Any,
    task: Any,
    signed_in: Any,
    api: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(owner)
    for i in range(30):
        comment_services.add_comment(
            actor=priya, target=task if i % 2 else project, body=f"Note {i} @Olivia Owner"
        )
    # Warm: the content types of the feed's kinds are read once per process (a cold cache
    # made this count depend on which tests ran before in the same worker).
    client.get("/activity/")
    with django_assert_max_num_queries(16):
        html = client.get("/activity/").content.decode()
    assert "Note 29" in html and 'rel="next"' in html
    with django_assert_max_num_queries(16):
        assert (
            client.get(
                f"/activity/projects/{project.pk}/?kind=comment&person={priya.pk}"
            ).status_code
            == 200
        )
    body = api(owner).get(f"/api/organisations/{org.pk}/activity?limit=5").json()
    assert len(body["entries"]) == 5 and body["next_before"] is not None


def test_atom_feed_secret_url_works_until_revoked(
    org: Any, owner: Any, priya: Any, task: Any, signed_in: Any, client: Any
) -> None:
    comment_services.add_comment(actor=priya, target=task, body="<b>bold</b> move")
    page = signed_in(owner).post("/activity/feeds/")
    html = page.content.decode()
    url = html.split('id="new-feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    path = url.removeprefix("http://127.0.0.1:8000")
    client.logout()
    r = client.get(path)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/atom+xml")
    text = r.content.decode()
    assert "<title>Priya Raman commented on the task Weld frame</title>" in text
    assert '<content type="html">&lt;p&gt;bold move&lt;/p&gt;</content>' in text
    assert client.get(path.replace(".atom", "x.atom")).status_code == 404
    feed = owner.activity_feeds.get()
    signed_in(owner).post(f"/activity/feeds/{feed.pk}/revoke/")
    client.logout()
    assert client.get(path).status_code == 404


def test_atom_feed_stops_when_its_owner_leaves(org: Any, priya: Any, api: Any, client: Any) -> None:
    made = api(priya).post(f"/api/organisations/{org.pk}/activity-feeds").json()
    path = made["url"].removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200
    Membership.objects.filter(user=priya).delete()
    assert client.get(path).status_code == 404


def test_live_check_answers_304_until_a_change_then_the_new_version(
    org: Any,
    owner: Any,
    project: Any,
    task: Any,
    outsider: Any,
    signed_in: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    key = live.key_for("project", project.pk)
    client = signed_in(owner)
    html = client.get(f"/projects/{project.pk}/board/").content.decode()
    start = live.version(org.pk, key)
    assert f'data-live-version="{start}"' in html
    with django_assert_max_num_queries(5):  # session, user, membership, counter, subject
        same = client.get(f"/live/{key}/", HTTP_IF_NONE_MATCH=f'"{start}"')
    assert same.status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        project_services.move_card(
            actor=owner,
            task=task,
            status="doing",
            before=None,
            after=None,
            expected_version=task.version,
        )
    changed = client.get(f"/live/{key}/", HTTP_IF_NONE_MATCH=f'"{start}"')
    assert changed.status_code == 200 and changed.json()["version"] > start
    assert signed_in(outsider).get(f"/live/{key}/").status_code == 404
    client.logout()
    assert client.get(f"/live/{key}/").status_code == 404
    # The page's own URL carries a ticket: no session needed, no query while the counter is cached.
    ticketed = html.split('data-live-url="')[1].split('"')[0].replace("&amp;", "&")
    assert ticketed.startswith(f"/live/{key}/?t=")
    current = changed.json()["version"]
    client.get(ticketed)
    with django_assert_max_num_queries(0):
        assert client.get(ticketed, HTTP_IF_NONE_MATCH=f'"{current}"').status_code == 304
    forged = ticketed.replace(f"/live/{key}/", "/live/project-999999/")
    assert client.get(forged).status_code == 404


def test_a_request_change_raises_the_request_and_its_queue(org: Any) -> None:
    assert live.keys_of("projects.project", 5) == ["project-5"]
    assert live.keys_of("operations.request", 10**9) == []
    live.bump(org.pk, ["queue-1", "queue-1"])
    assert LiveVersion.objects.get(key="queue-1").version == 2


def test_a_process_feed_of_handovers_reads_the_same_queries_for_1_or_4(
    org: Any, owner: Any, signed_in: Any
) -> None:
    """A handover's name is its project's and its process's: the feed read both for every
    handover entry (a review found it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from twofold.improvement import services as improvement_services
    from twofold.operations import services as ops
    from twofold.projects.models import Phase, Project

    process = ops.create_process(actor=owner, organisation=org, name="Kitting")
    client = signed_in(owner)
    counts = []
    for wanted in (1, 4):
        while process.handovers.count() < wanted:
            n = process.handovers.count()
            made = project_services.create_project(
                actor=owner,
                organisation=org,
                name=f"Kitting cell {n}",
                code=f"KC{n}",
                target_start=dt.date(2026, 3, 2),
            )
            Project.objects.filter(pk=made.pk).update(phase=Phase.EXECUTION)
            made.refresh_from_db()
            improvement_services.propose_handover(actor=owner, project=made, process=process)
        client.get(f"/activity/processes/{process.pk}/")  # warm
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/activity/processes/{process.pk}/").content.decode()
        assert page.count("Handover of Kitting cell") >= wanted
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
