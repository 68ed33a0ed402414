"""An answered request's first-response verdict is fixed at the first response (migration 0015:
``response_met``, ``response_minutes``, ``response_target_minutes``), as the resolution's is at
resolution: a later re-prioritisation or queue-target edit used to re-judge it on the request
page and the queue list ("Breached", 120 min against P1's 30, for an answer in 2 h at P3)."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import zoneinfo
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.db import connection

from twofold.operations import assignment, selectors, services
from twofold.operations.models import Queue, Request

LON = zoneinfo.ZoneInfo("Europe/London")
MONDAY_9 = dt.datetime(2025, 6, 16, 9, 0, tzinfo=LON)  # the Office calendar works 08-12, 13-17
RESPONSE_FIELDS = ("response_met", "response_minutes", "response_target_minutes")


def _stored(req: Any) -> tuple[Any, ...]:
    row = Request.objects.get(pk=req.pk)
    return tuple(getattr(row, name) for name in RESPONSE_FIELDS)


def _move(owner: Any, req: Any, status: str, hours: float) -> Request:
    req = Request.objects.get(pk=req.pk)
    return services.change_request_status(
        actor=owner,
        request=req,
        status=status,
        expected_version=req.version,
        at=MONDAY_9 + dt.timedelta(hours=hours),
    )


def _reprioritise(owner: Any, req: Any, priority: str) -> Request:
    req = Request.objects.get(pk=req.pk)
    return assignment.reprioritise_request(
        actor=owner, request=req, priority=priority, expected_version=req.version
    )


def _response(req: Any, now: dt.datetime | None = None) -> tuple[str, float, float, bool]:
    clock = selectors.request_view(Request.objects.get(pk=req.pk), now).response
    return clock.state.value, clock.elapsed_minutes, clock.target_minutes, clock.stopped


def _page_first_response(client: Any, req: Any) -> str:
    html = client.get(f"/operations/requests/{req.pk}/").content.decode()
    block = html.split("<h3>First response</h3>", 1)[1].split("</div>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).strip()


def _list_first_response(client: Any, queue: Any, req: Any) -> str:
    html = client.get(f"/operations/queues/{queue.pk}/?view=list").content.decode()
    row = next(r for r in html.split("<tr>") if f">#{req.pk} " in r)
    return re.findall(r"<td>(.*?)</td>", row, re.S)[4]


def test_a_resolved_request_keeps_its_response_verdict_after_reprioritising(
    owner, queue, signed_in
):
    r = services.create_request(actor=owner, queue=queue, title="x", at=MONDAY_9, priority="p3")
    _move(owner, r, "in_progress", 2)
    _move(owner, r, "resolved", 3)
    assert _stored(r) == (True, 120.0, 480.0)
    _reprioritise(owner, r, "p1")
    after = selectors.request_view(Request.objects.get(pk=r.pk))
    assert (after.resolution.state.value, after.resolution.elapsed_minutes) == ("met", 180.0)
    assert after.resolution.target_minutes == 2400.0  # fixed at resolution
    # Answered in 2 h under P3's 8 h: P1's 30 min does not re-judge it.
    assert _response(r) == ("met", 120.0, 480.0, True)
    assert _stored(r) == (True, 120.0, 480.0)
    client = signed_in(owner)
    page = _page_first_response(client, r)
    assert page.startswith("Met responded ")
    assert page.endswith("after 120 business min (target 480)")
    # Reopened: the first response is not undone, the resolution clock runs on P1's target.
    _move(owner, r, "in_progress", 4.5)
    assert _stored(r) == (True, 120.0, 480.0)
    assert _response(r) == ("met", 120.0, 480.0, True)
    reopened = selectors.request_view(
        Request.objects.get(pk=r.pk), MONDAY_9 + dt.timedelta(hours=5)
    ).resolution
    assert (reopened.stopped, reopened.target_minutes, reopened.elapsed_minutes) == (
        False,
        240.0,
        210.0,  # 09-12 and 13:30-14: the time it spent resolved does not count
    )


def test_the_queue_list_and_the_page_agree_on_an_open_answered_request(owner, queue, signed_in):
    r = services.create_request(actor=owner, queue=queue, title="Printer", at=MONDAY_9)
    _move(owner, r, "in_progress", 2)
    assert _stored(r) == (True, 120.0, 480.0)  # fixed by the answer itself
    _reprioritise(owner, r, "p1")
    client = signed_in(owner)
    assert _list_first_response(client, queue, r) == '<span class="badge badge-green">Met</span>'
    assert _page_first_response(client, r).endswith("after 120 business min (target 480)")
    board = selectors.queue_page(
        Queue.objects.get(pk=queue.pk), resolved_days=3650, now=MONDAY_9 + dt.timedelta(hours=3)
    )
    [view] = board.views
    assert (view.response.state.value, view.response.target_minutes) == ("met", 480.0)
    # The resolution clock of the open request follows the new priority: 4 h, 120 min used.
    assert (view.resolution.target_minutes, view.resolution.elapsed_minutes) == (240.0, 180.0)


def test_a_queue_target_edit_after_the_answer_keeps_the_verdict(owner, queue, signed_in):
    met = services.create_request(actor=owner, queue=queue, title="met", at=MONDAY_9)
    late = services.create_request(
        actor=owner, queue=queue, title="late", at=MONDAY_9, priority="p1"
    )
    _move(owner, met, "in_progress", 2)  # 120 min of P3's 480
    _move(owner, late, "waiting", 1)  # 60 min of P1's 30
    assert _stored(late) == (False, 60.0, 30.0)
    queue = Queue.objects.get(pk=queue.pk)
    services.update_queue(
        actor=owner,
        queue=queue,
        expected_version=queue.version,
        sla_hours={"p1": {"response": 2, "resolution": 8}, "p3": {"response": 1, "resolution": 40}},
    )
    assert _response(met) == ("met", 120.0, 480.0, True)
    assert _response(late) == ("breached", 60.0, 30.0, True)
    assert (_stored(met), _stored(late)) == ((True, 120.0, 480.0), (False, 60.0, 30.0))
    client = signed_in(owner)
    assert _list_first_response(client, queue, met) == '<span class="badge badge-green">Met</span>'
    assert _list_first_response(client, queue, late) == (
        '<span class="badge badge-red">Breached</span>'
    )
    assert _page_first_response(client, late).startswith("Breached responded ")


def test_an_unanswered_request_follows_the_new_priority_and_is_judged_by_it(owner, queue):
    r = services.create_request(actor=owner, queue=queue, title="x", at=MONDAY_9, priority="p3")
    hour_in = MONDAY_9 + dt.timedelta(hours=1)
    assert _response(r, hour_in) == ("on_track", 60.0, 480.0, False)
    _reprioritise(owner, r, "p1")
    assert _stored(r) == (None, None, None)
    assert _response(r, hour_in) == ("breached", 60.0, 30.0, False)
    # A queue-target edit applies to it at once too.
    queue = Queue.objects.get(pk=queue.pk)
    services.update_queue(
        actor=owner,
        queue=queue,
        expected_version=queue.version,
        sla_hours={"p1": {"response": 2, "resolution": 8}},
    )
    assert _response(r, hour_in) == ("on_track", 60.0, 120.0, False)
    # Answered now: judged by the target in force at the answer.
    _move(owner, r, "in_progress", 1.5)
    assert _stored(r) == (True, 90.0, 120.0)
    assert _response(r) == ("met", 90.0, 120.0, True)


def test_a_row_answered_before_0015_is_judged_by_the_old_priority_when_reprioritised(owner, queue):
    r = services.create_request(actor=owner, queue=queue, title="x", at=MONDAY_9, priority="p3")
    _move(owner, r, "in_progress", 2)
    Request.objects.filter(pk=r.pk).update(
        response_met=None, response_minutes=None, response_target_minutes=None
    )
    changed = _reprioritise(owner, r, "p1")
    assert tuple(getattr(changed, name) for name in RESPONSE_FIELDS) == (True, 120.0, 480.0)
    assert _stored(r) == (True, 120.0, 480.0)
    assert _response(r) == ("met", 120.0, 480.0, True)


def test_migration_0015_fills_answered_requests_from_the_targets_now(owner, queue):
    migration = importlib.import_module("twofold.operations.migrations.0015_fixed_response_clock")
    answered = services.create_request(actor=owner, queue=queue, title="a", at=MONDAY_9)
    resolved = services.create_request(
        actor=owner, queue=queue, title="b", at=MONDAY_9, priority="p2"
    )
    unanswered = services.create_request(actor=owner, queue=queue, title="c", at=MONDAY_9)
    _move(owner, answered, "in_progress", 2)
    _move(owner, resolved, "resolved", 3)
    before = Request.objects.get(pk=resolved.pk)
    # As rows stood before 0015; the request answered at P3 is P1 today.
    Request.objects.all().update(
        response_met=None, response_minutes=None, response_target_minutes=None
    )
    Request.objects.filter(pk=answered.pk).update(priority="p1")
    migration.fix_answered(apps, SimpleNamespace(connection=connection))
    assert _stored(answered) == (False, 120.0, 30.0)  # the best account of it now
    assert _stored(resolved) == (False, 180.0, 120.0)
    assert _stored(unanswered) == (None, None, None)
    after = Request.objects.get(pk=resolved.pk)
    assert (after.resolution_met, after.resolution_minutes, after.version) == (
        before.resolution_met,
        before.resolution_minutes,
        before.version,
    )
    # Run again: nothing left to fill.
    assert services.refresh_sla_outcomes() == 0
