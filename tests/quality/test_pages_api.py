"""Quality pages and API: same rules, constant queries, 404 outside the organisation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from twofold.quality import services
from twofold.quality.models import CapaAction, Nonconformance


def _many(owner: Any, org: Any, process: Any, n: int) -> None:
    for i in range(n):
        nc = services.raise_nonconformance(
            actor=owner, organisation=org, title=f"Defect {i}", process=process, severity="major"
        )
        services.add_action(
            actor=owner,
            nc=nc,
            description="Fix",
            owner=owner,
            due_on=timezone.localdate() + dt.timedelta(days=3),
        )


def test_list_pages_have_constant_query_counts(
    client, owner, org, process, django_assert_max_num_queries
):
    client.force_login(owner)
    _many(owner, org, process, 2)
    urls = ["/operations/quality/", f"/operations/quality/processes/{process.pk}/", "/operations/"]
    counts = {}
    for url in urls:
        client.get(url)  # warm caches (session, content types)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[url] = len(ctx)
    _many(owner, org, process, 20)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            r = client.get(url)
        assert r.status_code == 200
    page = client.get("/operations/quality/").content.decode()
    assert page.count("Defect ") == 22
    assert "NC-0022" in page
    assert "22 open</a>" in client.get("/operations/").content.decode()


def test_list_filters_by_status_and_severity(client, owner, org, process):
    client.force_login(owner)
    services.raise_nonconformance(actor=owner, organisation=org, title="Minor one", process=process)
    services.raise_nonconformance(
        actor=owner, organisation=org, title="Critical one", severity="critical"
    )
    page = client.get("/operations/quality/?severity=critical").content.decode()
    assert "Critical one" in page and "Minor one" not in page
    assert (
        "No nonconformances match"
        in client.get("/operations/quality/?status=closed").content.decode()
    )
    page = client.get(f"/operations/quality/processes/{process.pk}/").content.decode()
    assert "Minor one" in page and "Critical one" not in page
    # The status tabs count what they show under the severity filter (they counted every
    # severity: "Open 2" over one row).
    tabs = client.get("/operations/quality/?severity=critical").context["status_tabs"]
    assert [(key, count) for key, _label, count, _link in tabs] == [
        ("open", 1),
        ("closed", 0),
        ("all", 1),
    ]


def test_raise_edit_add_action_verify_close_through_pages(
    client, owner, org, process, process_owner, worker
):
    client.force_login(worker)
    r = client.post(
        "/operations/quality/new/",
        {"title": "Burr on housing <b>", "process": process.pk, "severity": "major"},
    )
    nc = Nonconformance.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/operations/quality/{nc.pk}/"
    url = f"/operations/quality/{nc.pk}/"
    page = client.get(url).content.decode()
    assert (
        "Burr on housing &lt;b&gt;" in page
        and "<b>" not in page.split("<main", 1)[1].split("</h1>")[0]
    )
    # A CAPA due before the NC was raised: the form names the field, nothing is saved.
    Nonconformance.objects.filter(pk=nc.pk).update(raised_at=timezone.now() - dt.timedelta(days=3))
    early = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    r = client.post(
        url,
        {
            "form": "action",
            "action-kind": "corrective",
            "action-description": "Deburr station",
            "action-owner": worker.pk,
            "action-due_on": early,
        },
    )
    assert r.status_code == 422
    assert "cannot be before the nonconformance was raised" in r.content.decode()
    assert not CapaAction.objects.exists()
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    r = client.post(
        url,
        {
            "form": "action",
            "action-kind": "corrective",
            "action-description": "Deburr station",
            "action-owner": worker.pk,
            "action-due_on": due,
        },
    )
    assert r.status_code == 302
    action = CapaAction.objects.get()
    r = client.post(
        url,
        {
            "form": "record",
            "record-version": nc.version,
            "record-title": "Burr on housing",
            "record-severity": "major",
            "record-containment": "Sorted 200 parts",
            "record-root_cause": "Worn tool",
        },
    )
    assert r.status_code == 302
    # The worker may not close: the close form is not even offered.
    assert "Close NC-0001" not in client.get(url).content.decode()
    client.force_login(process_owner)
    nc.refresh_from_db()
    r = client.post(url, {"form": "close", "close-version": nc.version})
    assert r.status_code == 422 and "1 open action" in r.content.decode()
    r = client.post(
        f"/operations/quality/{nc.pk}/actions/{action.pk}/",
        {
            "version": action.version,
            "kind": "corrective",
            "description": "Deburr station",
            "owner": worker.pk,
            "due_on": due,
            "status": "done",
            "outcome": "Station installed",
        },
    )
    assert r.status_code == 302
    r = client.post(
        url,
        {
            "form": "verify",
            "verify-version": nc.version,
            "verify-verification": "No burrs in 3 lots",
            "verify-effective": "yes",
        },
    )
    assert r.status_code == 302
    nc.refresh_from_db()
    r = client.post(url, {"form": "close", "close-version": nc.version}, follow=True)
    nc.refresh_from_db()
    assert nc.status == "closed"
    assert "NC-0001 closed." in r.content.decode()


def test_api_rules_match_the_pages(
    api, owner, org, process, process_owner, worker, guest, outsider
):
    as_worker, as_guest, as_owner = api(worker), api(guest), api(process_owner)
    r = as_worker.post(
        f"/api/organisations/{org.pk}/nonconformances",
        {"title": "Seal missing", "process_id": process.pk, "severity": "critical"},
    )
    assert r.status_code == 201, r.content
    nc = r.json()
    assert (nc["code"], nc["status"], nc["source"], nc["actions"]) == (
        "NC-0001",
        "open",
        "manual",
        [],
    )
    assert (
        as_guest.post(f"/api/organisations/{org.pk}/nonconformances", {"title": "x"}).status_code
        == 403
    )
    assert as_guest.get(f"/api/nonconformances/{nc['id']}").status_code == 200
    assert api(outsider).get(f"/api/nonconformances/{nc['id']}").status_code == 404
    assert api(outsider).get(f"/api/organisations/{org.pk}/nonconformances").status_code == 404
    raised = dt.date.fromisoformat(nc["raised_at"][:10])
    r = as_worker.post(
        f"/api/nonconformances/{nc['id']}/actions",
        {
            "description": "Add seal check",
            "owner_id": worker.pk,
            "due_on": str(raised - dt.timedelta(days=1)),
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "due_on"
    r = as_worker.post(
        f"/api/nonconformances/{nc['id']}/actions",
        {"description": "Add seal check", "owner_id": outsider.pk, "due_on": str(raised)},
    )
    assert r.status_code == 422 and r.json()["field"] == "owner_id"
    r = as_worker.post(
        f"/api/nonconformances/{nc['id']}/actions",
        {
            "description": "Add seal check",
            "owner_id": worker.pk,
            "due_on": str(raised + dt.timedelta(days=2)),
            "kind": "preventive",
        },
    )
    assert r.status_code == 201
    action = r.json()
    r = as_owner.post(f"/api/nonconformances/{nc['id']}/close", {"version": nc["version"]})
    assert r.status_code == 422 and r.json()["field"] == "actions"
    assert (
        as_worker.patch(
            f"/api/capa-actions/{action['id']}", {"version": action["version"], "status": "done"}
        ).status_code
        == 200
    )
    r = as_worker.patch(
        f"/api/nonconformances/{nc['id']}",
        {"version": nc["version"], "containment": "Line stopped"},
    )
    assert r.status_code == 200
    r = as_owner.post(
        f"/api/nonconformances/{nc['id']}/verification",
        {"version": r.json()["version"], "verification": "ok", "effective": True},
    )
    assert r.status_code == 422 and r.json()["field"] == "root_cause"
    r = as_worker.patch(
        f"/api/nonconformances/{nc['id']}",
        {"version": nc["version"] + 1, "root_cause": "No seal check at packing"},
    )
    assert r.status_code == 200
    version = r.json()["version"]
    r = as_worker.post(
        f"/api/nonconformances/{nc['id']}/verification",
        {"version": version, "verification": "ok", "effective": True},
    )
    assert r.status_code == 403
    r = as_owner.post(
        f"/api/nonconformances/{nc['id']}/verification",
        {"version": version, "verification": "Seals present on 300 units", "effective": True},
    )
    assert r.status_code == 200 and r.json()["effective"] is True
    assert r.json()["verification_state"] == "effective"
    r = as_owner.post(f"/api/nonconformances/{nc['id']}/close", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    listed = as_guest.get(f"/api/organisations/{org.pk}/nonconformances?status=closed").json()
    assert [n["code"] for n in listed] == ["NC-0001"]


def test_api_list_has_constant_queries(api, owner, org, process, django_assert_max_num_queries):
    client = api(owner)
    _many(owner, org, process, 2)
    client.get(f"/api/organisations/{org.pk}/nonconformances")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/api/organisations/{org.pk}/nonconformances")
    _many(owner, org, process, 15)
    with django_assert_max_num_queries(len(ctx)):
        r = client.get(f"/api/organisations/{org.pk}/nonconformances")
    assert len(r.json()) == 17


def test_open_nonconformances_are_signals_on_the_improvement_page(
    client, owner, org, process, django_assert_max_num_queries
):
    client.force_login(owner)
    services.raise_nonconformance(
        actor=owner, organisation=org, title="Cracked weld", process=process, severity="critical"
    )
    closed = services.raise_nonconformance(
        actor=owner, organisation=org, title="Closed one", containment="done"
    )
    Nonconformance.objects.filter(pk=closed.pk).update(status="closed")
    client.get("/improvement/signals/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/improvement/signals/").content.decode()
    assert "NC-0001 Cracked weld" in page and "Critical nonconformance" in page
    assert "Closed one" not in page
    _many(owner, org, process, 10)
    with django_assert_max_num_queries(len(ctx)):
        page = client.get("/improvement/signals/").content.decode()
    assert page.count("Major nonconformance") == 10


def test_critical_routine_and_breach_flags_through_api_and_forms(
    api, client, owner, org, process, calendar
):
    admin = api(owner)
    r = admin.post(
        f"/api/processes/{process.pk}/routines",
        {"name": "Fire door check", "rrule": "FREQ=WEEKLY;BYDAY=MO", "critical": True},
    )
    assert r.status_code == 201 and r.json()["critical"] is True
    routine = r.json()
    r = admin.patch(
        f"/api/routines/{routine['id']}", {"version": routine["version"], "critical": None}
    )
    assert r.status_code == 422 and r.json()["field"] == "critical"
    r = admin.post(
        f"/api/organisations/{org.pk}/queues",
        {"name": "Maintenance", "calendar_id": calendar.pk, "nc_on_breach": True},
    )
    assert r.status_code == 201 and r.json()["nc_on_breach"] is True
    client.force_login(owner)
    page = client.get(f"/operations/routines/{routine['id']}/edit/").content.decode()
    assert 'name="critical"' in page and "checked" in page.split('name="critical"')[1][:80]
