"""Pages and API: outsiders get 404 everywhere, guests cannot write, query counts stay flat."""

from __future__ import annotations

import pytest

from twofold.projects import services
from twofold.projects.models import Link, Task

GET_ROUTES = [
    "",
    "edit/",
    "tasks/",
    "gantt/",
    "gantt/?zoom=days",
    "baselines/",
    "board/",
    "board/?lanes=assignee",
    "gates/",
]


def _post_routes(project, task, link, gate, item):
    p = f"/projects/{project.pk}/"
    return [
        (
            f"{p}edit/",
            {"name": "X", "code": "X", "target_start": "2025-03-03", "version": project.version},
        ),
        (f"{p}tasks/", {"name": "New", "duration_days": "1"}),
        (f"{p}tasks/{task.pk}/inline/", {"name": "Renamed", "version": task.version}),
        (f"{p}tasks/{task.pk}/indent/", {}),
        (f"{p}tasks/{task.pk}/", {"form": "comment", "body": "Hello"}),
        (f"{p}links/", {"pred": task.pk, "succ": task.pk, "type": "FS", "lag": 0, "lag_unit": "d"}),
        (f"{p}links/{link.pk}/delete/", {}),
        (f"{p}gantt/{task.pk}/drag/", {"start": "2025-03-10", "version": task.version}),
        (f"{p}baselines/", {"name": "B"}),
        (f"{p}board/", {"name": "Card", "status": "todo"}),
        (f"{p}board/move/", {"task": task.pk, "status": "doing"}),
        (f"{p}board/limits/", {"limit_doing": "2"}),
        (f"{p}gates/items/{item.pk}/toggle/", {}),
        (f"{p}gates/{gate.pk}/pass/", {}),
    ]


@pytest.mark.django_db
def test_outsider_gets_404_everywhere(client, project, chain, outsider):
    link = Link.objects.first()
    gate = project.gates.first()
    client.force_login(outsider)
    for suffix in [*GET_ROUTES, f"tasks/{chain[0].pk}/"]:
        assert client.get(f"/projects/{project.pk}/{suffix}").status_code == 404, suffix
    for url, data in _post_routes(project, chain[0], link, gate, gate.items.first()):
        assert client.post(url, data).status_code == 404, url
    assert Task.objects.get(pk=chain[0].pk).name == "A"


@pytest.mark.django_db
def test_guest_can_read_but_not_write(client, project, chain, guest):
    link = Link.objects.first()
    gate = project.gates.first()
    client.force_login(guest)
    for suffix in GET_ROUTES:
        assert client.get(f"/projects/{project.pk}/{suffix}").status_code == 200, suffix
    for url, data in _post_routes(project, chain[0], link, gate, gate.items.first()):
        response = client.post(url, data)
        assert response.status_code in (302, 400, 403, 422), url
    a = Task.objects.get(pk=chain[0].pk)
    assert a.name == "A" and a.constraint_date is None and a.status == "todo"
    assert Task.objects.filter(project=project).count() == 3 and Link.objects.count() == 2
    assert not project.baselines.exists() and not gate.items.filter(done=True).exists()
    from twofold.comments.models import Comment

    assert not Comment.objects.filter(target_kind="task", target_id=a.pk).exists()


@pytest.mark.django_db
def test_inline_edit_answers_what_moved(client, project, chain, owner):
    client.force_login(owner)
    a = chain[0]
    r = client.post(
        f"/projects/{project.pk}/tasks/{a.pk}/inline/",
        {"duration_days": "5", "version": a.version},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    assert "Saved A. 3 tasks moved; finish 7 Mar → 11 Mar." in r.content.decode()
    stale = client.post(
        f"/projects/{project.pk}/tasks/{a.pk}/inline/",
        {"duration_days": "6", "version": a.version},
        HTTP_HX_REQUEST="true",
    )
    assert stale.status_code == 409 and "Someone else changed this" in stale.content.decode()


@pytest.mark.django_db
def test_cycle_link_is_a_form_error(client, project, chain, owner):
    client.force_login(owner)
    a, _b, m = chain
    r = client.post(
        f"/projects/{project.pk}/links/",
        {"pred": m.pk, "succ": a.pk, "type": "FS", "lag": 0, "lag_unit": "d"},
    )
    assert r.status_code == 422
    body = r.content.decode()
    assert "That link would create a dependency cycle: A → B → M → A." in body
    assert "(uid" not in body


@pytest.mark.django_db
def test_markdown_is_sanitised(client, project, chain, owner):
    a = chain[0]
    services.update_task(
        actor=owner,
        task=a,
        expected_version=a.version,
        description="**bold** <script>alert(1)</script> [x](javascript:alert(1))",
    )
    client.force_login(owner)
    body = client.get(f"/projects/{project.pk}/tasks/{a.pk}/").content.decode()
    rendered = body.split('<div class="markdown">')[1].split("</div>")[0]
    assert rendered == '<p><strong>bold</strong>  <a rel="noopener noreferrer nofollow">x</a></p>'
    assert "<script>alert" not in body


def _grow(project, owner, n):
    prev = Task.objects.filter(project=project).order_by("-position").first()
    for i in range(n):
        t, _ = services.create_task(
            actor=owner,
            project=project,
            name=f"T{i}",
            duration_minutes=480,
            assignee=owner,
            status="doing" if i % 2 else "todo",
        )
        if prev is not None:
            services.add_link(actor=owner, project=project, pred=prev, succ=t)
        prev = t
    services.save_baseline(actor=owner, project=project, name="B")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/projects/",
        "/my-work/",
        "tasks/",
        "gantt/",
        "board/",
        "board/?lanes=assignee",
        "baselines/?baseline=0",
    ],
)
def test_query_counts_do_not_grow(client, project, owner, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(owner)
    path = url if url.startswith("/") else f"/projects/{project.pk}/{url}"
    _grow(project, owner, 3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200
    _grow(project, owner, 25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_api_tasks(api, org, project, chain, owner, guest, outsider, django_assert_max_num_queries):
    base = f"/api/organisations/{org.pk}/projects/{project.pk}"
    r = api(owner).get(f"{base}/tasks?limit=2")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3 and [t["name"] for t in body["items"]] == ["A", "B"]
    a = chain[0]
    ok = api(owner).patch(f"{base}/tasks/{a.pk}", {"version": a.version, "duration_minutes": 2400})
    assert ok.status_code == 200
    assert ok.json()["rescheduled"]["summary"] == "3 tasks moved; finish 7 Mar → 11 Mar"
    stale = api(owner).patch(f"{base}/tasks/{a.pk}", {"version": a.version, "name": "Z"})
    assert stale.status_code == 409
    bad = api(owner).patch(f"{base}/tasks/{a.pk}", {"version": "1", "name": "Z"})
    assert bad.status_code == 422
    cyc = api(owner).post(f"{base}/links", {"pred_id": chain[2].pk, "succ_id": a.pk})
    assert cyc.status_code == 422 and "dependency cycle" in cyc.json()["detail"]
    created = api(owner).post(f"{base}/tasks", {"name": "Commission", "duration_minutes": 960})
    assert created.status_code == 201 and created.json()["task"]["name"] == "Commission"
    link = api(owner).post(
        f"{base}/links",
        {
            "pred_id": chain[2].pk,
            "succ_id": created.json()["task"]["id"],
            "type": "SS",
            "lag": 50,
            "lag_unit": "%",
        },
    )
    assert link.status_code == 201 and link.json()["lag_unit"] == "%"
    baseline = api(owner).post(f"{base}/baselines", {"name": "Plan"})
    assert baseline.status_code == 201 and baseline.json()["number"] == 0
    a.refresh_from_db()
    move = api(owner).post(f"{base}/tasks/{a.pk}/move", {"status": "doing", "version": a.version})
    assert move.status_code == 200 and move.json()["task"]["status"] == "doing"
    assert api(guest).post(f"{base}/tasks", {"name": "No"}).status_code == 403
    assert api(guest).get(f"{base}/tasks").status_code == 200
    assert api(outsider).get(f"{base}/tasks").status_code == 404
    assert api(outsider).get(f"/api/organisations/{org.pk}/projects").status_code == 404
    assert (
        api(outsider).patch(f"{base}/tasks/{a.pk}", {"version": 9, "name": "x"}).status_code == 404
    )
    client = api(owner)
    with django_assert_max_num_queries(12):
        assert client.get(f"{base}/tasks?limit=500").status_code == 200
    _grow(project, owner, 20)
    with django_assert_max_num_queries(12):
        assert client.get(f"{base}/tasks?limit=500").status_code == 200


@pytest.mark.django_db
def test_a_stale_edit_that_names_the_assignee_is_a_conflict_not_a_crash(
    api, org, project, chain, owner, editor
):
    base = f"/api/organisations/{org.pk}/projects/{project.pk}"
    a = chain[0]
    given = api(owner).patch(
        f"{base}/tasks/{a.pk}", {"version": a.version, "assignee_id": owner.pk}
    )
    assert given.status_code == 200
    seen = given.json()["task"]["version"]
    first = api(owner).patch(f"{base}/tasks/{a.pk}", {"version": seen, "priority": "high"})
    assert first.status_code == 200
    # The old version with the assignee: its conflict put the history's display value (the
    # person's name) back on the task, which cannot be assigned to it, and answered 500.
    stale = api(owner).patch(
        f"{base}/tasks/{a.pk}", {"version": seen, "assignee_id": editor.pk, "name": "Z"}
    )
    assert stale.status_code == 409
    a.refresh_from_db()
    assert a.name == "A" and a.assignee_id == owner.pk
