"""Pages and API: permissions per route, form errors, stale edits, constant query counts."""

from __future__ import annotations

import pytest

from twofold.accounts.models import Role
from twofold.improvement import services
from twofold.improvement.models import Handover, ImprovementItem
from twofold.operations import services as ops

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(org, owner, kpi):
    return services.create_item(
        actor=owner, organisation=org, source="kpi", kpi=kpi, title="Scrap up", problem="Chatter."
    )


@pytest.fixture
def handover(project, process, manager):
    return services.propose_handover(
        actor=manager, project=project, process=process, deliverables=["Training done"]
    )


def _pages(item, handover):
    return [
        "/improvement/",
        "/improvement/items/",
        "/improvement/signals/",
        "/improvement/handovers/",
        f"/improvement/items/{item.pk}/",
        f"/improvement/handovers/{handover.pk}/",
    ]


def test_member_sees_every_page(client, org, member, item, handover):
    client.force_login(member(org, Role.MEMBER))
    for url in [
        *_pages(item, handover),
        "/improvement/items/new/",
        f"/improvement/items/new/?source=kpi&ref={item.kpi_id}",
        f"/improvement/items/{item.pk}/edit/",
        "/improvement/handovers/new/",
    ]:
        assert client.get(url).status_code == 200, url


def test_outsider_gets_404(client, outsider, item, handover):
    client.force_login(outsider)
    for url in [
        *_pages(item, handover)[4:],
        f"/improvement/items/{item.pk}/edit/",
        f"/improvement/items/new/?source=kpi&ref={item.kpi_id}",
        f"/improvement/handovers/new/?project={handover.project_id}",
    ]:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/improvement/handovers/{handover.pk}/", {"action": "accept", "version": 1}
        ).status_code
        == 404
    )


def test_guest_cannot_write(client, org, member, item, handover):
    guest = member(org, Role.GUEST)
    client.force_login(guest)
    assert client.get("/improvement/").status_code == 200
    # The guest sees the items, so a page they may not use is a 403 page, not a 404.
    assert client.get("/improvement/items/new/").status_code == 403
    assert client.get("/improvement/handovers/new/").status_code == 403
    assert client.get(f"/improvement/items/{item.pk}/edit/").status_code == 403
    response = client.post(
        f"/improvement/items/{item.pk}/",
        {"action": "status", "status": "triaged", "version": item.version, "reason": ""},
    )
    assert response.status_code == 403
    response = client.post(
        f"/improvement/handovers/{handover.pk}/", {"action": "accept", "version": 1}
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == "new"


def test_raise_from_signal_through_the_form(client, org, owner, kpi):
    client.force_login(owner)
    page = client.get(f"/improvement/items/new/?source=kpi&ref={kpi.pk}").content.decode()
    assert "10 points in a row above the centre line" in page
    response = client.post(
        "/improvement/items/new/",
        {"source": "kpi", "ref": kpi.pk, "title": "", "problem": "x", "benefit": 4, "effort": "S"},
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    response = client.post(
        "/improvement/items/new/",
        {
            "source": "kpi",
            "ref": kpi.pk,
            "title": "Scrap",
            "problem": "x",
            "benefit": 4,
            "effort": "S",
        },
    )
    item = ImprovementItem.objects.get()
    assert response.status_code == 302 and item.kpi == kpi and item.score == 80.0


def test_stale_edit_answers_409_and_keeps_the_input(client, owner, item):
    client.force_login(owner)
    services.update_item(actor=owner, item=item, expected_version=1, title="Changed")
    response = client.post(
        f"/improvement/items/{item.pk}/edit/",
        {"title": "Mine", "problem": "Chatter.", "benefit": 3, "effort": "M", "version": 1},
    )
    assert response.status_code == 409
    assert 'value="Mine"' in response.content.decode()


def test_start_project_and_accept_handover_through_pages(
    client, owner, item, manager, handover, process_owner
):
    client.force_login(owner)
    response = client.post(
        f"/improvement/items/{item.pk}/",
        {
            "action": "start",
            "name": "Spindle vibration root cause",
            "manager": manager.pk,
            "target_start": "2026-01-05",
            "version": item.version,
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.project.name == "Spindle vibration root cause"
    client.force_login(process_owner)
    response = client.post(
        f"/improvement/handovers/{handover.pk}/", {"action": "accept", "version": 1}
    )
    assert response.status_code == 422
    # The receiving side does not tick the project's checklist (it could self-certify it and
    # accept); the project side does.
    refused = client.post(
        f"/improvement/handovers/{handover.pk}/", {"action": "tick", "version": 1, "done": "0"}
    )
    assert refused.status_code == 403
    client.force_login(owner)
    client.post(
        f"/improvement/handovers/{handover.pk}/", {"action": "tick", "version": 1, "done": "0"}
    )
    client.force_login(process_owner)
    response = client.post(
        f"/improvement/handovers/{handover.pk}/", {"action": "accept", "version": 2}
    )
    assert response.status_code == 302
    assert Handover.objects.get().status == "accepted"


_n = iter(range(10**6))


def _more(org, owner, kpi, project, process, manager, n):
    for i in range(n):
        services.create_item(
            actor=owner,
            organisation=org,
            title=f"Idea {i}",
            problem="p",
            owner=manager,
            process=process,
        )
        raised = services.create_item(
            actor=owner, organisation=org, source="kpi", kpi=kpi, title=f"K {i}", problem="p"
        )
        # One open item per signal: close it so the next one may be raised.
        services.set_status(
            actor=owner, item=raised, status="rejected", reason="dup", expected_version=None
        )
    for _ in range(n):
        p = ops.create_process(
            actor=owner, organisation=org, name=f"Proc {next(_n)}", owner=manager
        )
        services.propose_handover(actor=owner, project=project, process=p)


def test_list_pages_have_constant_queries(
    client, org, owner, kpi, project, process, manager, django_assert_max_num_queries
):
    client.force_login(owner)
    urls = [
        "/improvement/",
        "/improvement/items/",
        "/improvement/signals/",
        "/improvement/handovers/",
    ]
    _more(org, owner, kpi, project, process, manager, 2)
    counts = {}
    for url in urls:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[url] = len(ctx)
    _more(org, owner, kpi, project, process, manager, 12)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_api_lists_have_constant_queries(
    api, org, owner, kpi, project, process, manager, django_assert_max_num_queries
):
    client = api(owner)
    base = f"/api/organisations/{org.pk}/improvement"
    _more(org, owner, kpi, project, process, manager, 2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for path in ("/items", "/signals", "/handovers"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(base + path).status_code == 200
        counts[path] = len(ctx)
    _more(org, owner, kpi, project, process, manager, 12)
    for path in counts:
        with django_assert_max_num_queries(counts[path]):
            assert client.get(base + path).status_code == 200


def test_api_items_signals_handovers(
    api, org, owner, member, kpi, manager, project, process, process_owner, outsider
):
    client = api(owner)
    base = f"/api/organisations/{org.pk}/improvement"
    r = client.post(
        base + "/items",
        {
            "title": "Scrap",
            "problem": "p",
            "source": "kpi",
            "source_id": kpi.pk,
            "benefit": 5,
            "effort": "S",
        },
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["score"] == 100.0 and body["evidence"].startswith("Scrap rate: 10 points")
    assert (
        client.post(base + "/items", {"title": "x", "problem": "p", "benefit": "5"}).status_code
        == 422
    )
    assert (
        client.post(base + "/items", {"title": "x", "problem": "p", "source": "kpi"}).json()[
            "field"
        ]
        == "source_id"
    )
    item_id = body["id"]
    r = client.patch(f"{base}/items/{item_id}", {"version": 1, "status": "triaged"})
    assert r.status_code == 200 and r.json()["status"] == "triaged" and r.json()["version"] == 2
    assert client.patch(f"{base}/items/{item_id}", {"version": 1, "title": "y"}).status_code == 409
    r = client.post(
        f"{base}/items/{item_id}/start-project", {"version": 2, "manager_id": manager.pk}
    )
    assert r.status_code == 201 and r.json()["phase"] == "initiation"
    assert r.json()["manager_id"] == manager.pk
    signals = client.get(base + "/signals").json()
    assert [(s["kind"], s["item_id"]) for s in signals] == [("kpi", item_id)]
    r = api(manager).post(
        base + "/handovers",
        {
            "project_id": project.pk,
            "process_id": process.pk,
            "deliverables": [{"text": "Training", "done": True}],
        },
    )
    assert r.status_code == 201, r.json()
    hid = r.json()["id"]
    assert api(manager).post(f"{base}/handovers/{hid}/accept", {"version": 1}).status_code == 403
    guest = member(org, Role.GUEST)
    assert (
        api(guest).post(f"{base}/handovers/{hid}/return", {"version": 1, "reason": "x"}).status_code
        == 403
    )
    assert api(guest).post(base + "/items", {"title": "x", "problem": "p"}).status_code == 403
    assert api(outsider).get(base + "/items").status_code == 404
    r = api(process_owner).post(f"{base}/handovers/{hid}/accept", {"version": 1})
    assert r.status_code == 200 and r.json()["status"] == "accepted"


def test_a_patch_whose_status_is_refused_saves_none_of_its_fields(api, org, owner, item):
    """The title was saved and the version moved before the status was refused (422), so the
    client's retry got 409 (until 2026-12-05)."""
    url = f"/api/organisations/{org.pk}/improvement/items/{item.pk}"
    refused = api(owner).patch(
        url, {"version": item.version, "title": "New title", "status": "done", "result": "x"}
    )
    assert refused.status_code == 422
    item.refresh_from_db()
    assert (item.title, item.version) == ("Scrap up", 1)


def test_an_activity_page_before_no_instant_is_not_a_500(client, api, org, owner):
    """Year 1 east of UTC and year 9999 west of it have no instant in UTC: 500 until
    2026-12-05 on the page and the API."""
    client.force_login(owner)
    for raw in ("0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00"):
        assert client.get(f"/activity/?before={raw}").status_code == 200
        refused = api(owner).get(f"/api/organisations/{org.pk}/activity?before={raw}")
        assert (refused.status_code, refused.json()["field"]) == (422, "before")


def test_a_returned_handover_is_resubmitted_and_its_checklist_ticked_through_the_api(
    api, org, owner, project, process, manager, process_owner
):
    """The handover page resubmits a returned handover and ticks its checklist; the API had
    neither route."""
    from twofold.improvement import services as improvement
    from twofold.improvement.models import Handover

    handover = improvement.propose_handover(
        actor=manager,
        project=project,
        process=process,
        deliverables=[{"text": "Meters installed", "done": False}],
    )
    base = f"/api/organisations/{org.pk}/improvement/handovers/{handover.pk}"
    r = api(manager).put(
        f"{base}/deliverables",
        {"version": handover.version, "items": [{"text": "Meters installed", "done": True}]},
    )
    assert r.status_code == 200 and r.json()["deliverables"] == [
        {"text": "Meters installed", "done": True}
    ]
    stale = api(manager).put(f"{base}/deliverables", {"version": handover.version, "items": []})
    assert stale.status_code == 409
    handover.refresh_from_db()
    improvement.return_handover(
        actor=owner, handover=handover, expected_version=None, reason="No spare meters."
    )
    handover.refresh_from_db()
    body = {"version": handover.version, "note": "Spares ordered."}
    assert api(process_owner).post(f"{base}/resubmit", body).status_code == 403
    r = api(manager).post(f"{base}/resubmit", body)
    assert r.status_code == 200 and r.json()["status"] == "proposed"
    handover = Handover.objects.get(pk=handover.pk)
    assert (handover.status, handover.note) == ("proposed", "Spares ordered.")
    again = api(manager).post(f"{base}/resubmit", {"version": handover.version})
    assert again.status_code == 422 and again.json()["field"] == "status"
