"""SLA review findings: clocks past the calendar's horizon, fixed outcomes of resolved
requests, partial SLA edits and archived queues."""

from __future__ import annotations

import datetime as dt

from twofold.calendars import services as calendar_services
from twofold.core.models import HistoryEntry
from twofold.operations import selectors, services
from twofold.operations.models import Queue, Request

THURSDAY_9 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)  # 09:00 in London (winter)
FOUR_PRIORITIES = {
    "p1": {"response": 0.25, "resolution": 2.0},
    "p2": {"response": 1.0, "resolution": 8.0},
    "p3": {"response": 4.0, "resolution": 48.0},
    "p4": {"response": 24.0, "resolution": 240.0},
}


def test_a_breach_beyond_the_calendar_horizon_has_no_due_time_and_no_500(api, client, owner, org):
    """Ten minutes of work a week never reach 10,000 h before 2149: the request used to be
    saved and then answered 500, as did every page showing its clock."""
    sparse = calendar_services.create_calendar(
        actor=owner, organisation=org, name="Sparse", hours={"0": [["08:00", "08:10"]]}
    )
    queue = services.create_queue(
        actor=owner,
        organisation=org,
        name="Far away",
        calendar=sparse,
        sla_hours={"p4": {"response": 10, "resolution": 10_000}},
    )
    client_api = api(owner)
    created = client_api.post(f"/api/queues/{queue.pk}/requests", {"title": "x", "priority": "p4"})
    assert created.status_code == 201
    body = created.json()
    assert (body["sla_state"], body["sla_remaining_minutes"]) == ("on_track", 600_000.0)
    view = selectors.request_view(Request.objects.get(pk=body["id"]))
    assert view.resolution.due_at is None
    assert view.response.due_at is not None  # 10 h still fit in the horizon
    assert client_api.get(f"/api/requests/{body['id']}").status_code == 200
    assert client_api.get(f"/api/queues/{queue.pk}/requests").status_code == 200
    client.force_login(owner)
    assert client.get(f"/operations/queues/{queue.pk}/").status_code == 200
    assert client.get(f"/operations/requests/{body['id']}/").status_code == 200


def test_a_resolved_request_keeps_its_outcome_when_targets_change(api, owner, queue):
    """Resolved in 2 business hours on a 40 h target: met, and still shown met with 2,280 min
    to spare after P3's resolution target drops to 1 h (it read "breached", -60 min)."""
    req = services.create_request(actor=owner, queue=queue, title="Printer", at=THURSDAY_9)
    services.change_request_status(
        actor=owner,
        request=req,
        status="resolved",
        expected_version=req.version,
        at=THURSDAY_9 + dt.timedelta(hours=2),
    )
    stored = Request.objects.get(pk=req.pk)
    assert (stored.resolution_met, stored.resolution_minutes) == (True, 120.0)
    assert stored.resolution_target_minutes == 2400.0
    client_api = api(owner)
    queue.refresh_from_db()
    patched = client_api.patch(
        f"/api/queues/{queue.pk}",
        {"version": queue.version, "sla_hours": {"p3": {"response": 0.5, "resolution": 1}}},
    )
    assert patched.status_code == 200
    body = client_api.get(f"/api/requests/{req.pk}").json()
    assert (body["sla_state"], body["sla_remaining_minutes"]) == ("met", 2280.0)
    view = selectors.request_view(Request.objects.get(pk=req.pk))
    assert (view.resolution.elapsed_minutes, view.resolution.target_minutes) == (120.0, 2400.0)
    board = selectors.queue_page(
        Queue.objects.get(pk=queue.pk), resolved_days=3650, now=THURSDAY_9 + dt.timedelta(days=1)
    )
    assert [(v.request.pk, v.resolution.state.value) for v in board.views] == [(req.pk, "met")]
    # Closing it later does not fix the outcome again either.
    req.refresh_from_db()
    services.change_request_status(
        actor=owner, request=req, status="closed", expected_version=req.version
    )
    assert Request.objects.get(pk=req.pk).resolution_target_minutes == 2400.0


def test_reopening_clears_the_fixed_clock_and_resolving_fixes_it_again(owner, queue):
    req = services.create_request(actor=owner, queue=queue, title="Printer", at=THURSDAY_9)
    for status, hours in (("resolved", 1), ("in_progress", 4), ("resolved", 5)):
        req = services.change_request_status(
            actor=owner,
            request=req,
            status=status,
            expected_version=req.version,
            at=THURSDAY_9 + dt.timedelta(hours=hours),
        )
        stored = Request.objects.get(pk=req.pk)
        if status == "in_progress":
            assert (stored.resolution_met, stored.resolution_minutes) == (None, None)
    assert (stored.resolution_met, stored.resolution_minutes) == (True, 120.0)


def test_patching_one_priority_keeps_the_others(api, owner, org, calendar):
    queue = services.create_queue(
        actor=owner, organisation=org, name="Desk", calendar=calendar, sla_hours=FOUR_PRIORITIES
    )
    client_api = api(owner)
    answer = client_api.patch(
        f"/api/queues/{queue.pk}",
        {"version": queue.version, "sla_hours": {"p1": {"response": 0.5, "resolution": 2}}},
    )
    assert answer.status_code == 200
    assert answer.json()["sla_hours"] == {
        **FOUR_PRIORITIES,
        "p1": {"response": 0.5, "resolution": 2.0},
    }
    entry = HistoryEntry.objects.filter(action="updated").latest("pk")
    assert entry.changes == {"SLA P1 (response/resolution h)": ["0.25/2", "0.5/2"]}


def test_an_incomplete_priority_is_refused_naming_the_field(api, owner, org, calendar):
    queue = services.create_queue(
        actor=owner, organisation=org, name="Desk", calendar=calendar, sla_hours=FOUR_PRIORITIES
    )
    client_api = api(owner)
    for entry, missing in (({}, "response"), ({"response": 1}, "resolution")):
        answer = client_api.patch(
            f"/api/queues/{queue.pk}", {"version": queue.version, "sla_hours": {"p1": entry}}
        )
        assert answer.status_code == 422
        assert answer.json()["field"] == "sla_hours"
        assert answer.json()["detail"] == (
            f"P1 needs a {missing} target in hours (sla_hours.p1.{missing})."
        )
    created = client_api.post(
        f"/api/organisations/{org.pk}/queues",
        {"name": "Other", "calendar_id": calendar.pk, "sla_hours": {"p2": {}}},
    )
    assert created.status_code == 422
    assert Queue.objects.get(pk=queue.pk).sla_hours == FOUR_PRIORITIES
    assert Queue.objects.count() == 1


def test_an_archived_queue_takes_no_new_requests(api, client, owner, queue):
    services.set_archived(actor=owner, obj=queue, archived=True, expected_version=queue.version)
    answer = api(owner).post(f"/api/queues/{queue.pk}/requests", {"title": "x"})
    assert answer.status_code == 422
    assert answer.json()["detail"] == (
        "IT service desk is archived and takes no new requests (an admin can restore it)."
    )
    client.force_login(owner)
    page = client.post(f"/operations/queues/{queue.pk}/", {"title": "y", "priority": "p3"})
    assert page.status_code == 422
    assert Request.objects.count() == 0
