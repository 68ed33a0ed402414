"""SLA clocks, due times and flow metrics across the clocks changing (Europe/London, the
default zone), the due time in the viewer's zone, the weekly throughput's first bar, the
ageing chart's levels and a resolved request's fixed outcome on re-prioritising."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from twofold.calendars import services as calendar_services
from twofold.operations import assignment, flowdata, selectors, services
from twofold.operations.models import Request

U = dt.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")
ROUND_THE_CLOCK = {day: [["00:00", "24:00"]] for day in range(7)}


@pytest.fixture
def night_queue(org: Any, owner: Any, process: Any) -> Any:
    desk = calendar_services.create_calendar(
        actor=owner, organisation=org, name="Round the clock", hours=ROUND_THE_CLOCK
    )
    return services.create_queue(
        actor=owner, organisation=org, name="Night desk", calendar=desk, process=process
    )


def _waited_in_repeated_hour(owner: Any, queue: Any) -> Request:
    """Raised 01:40 BST, waiting 01:50 BST, back in progress 01:10 GMT (20 real minutes)."""
    req = services.create_request(
        actor=owner, queue=queue, title="x", at=dt.datetime(2025, 10, 26, 0, 40, tzinfo=U)
    )
    req = services.change_request_status(
        actor=owner,
        request=req,
        status="waiting",
        expected_version=req.version,
        at=dt.datetime(2025, 10, 26, 0, 50, tzinfo=U),
    )
    return services.change_request_status(
        actor=owner,
        request=req,
        status="in_progress",
        expected_version=req.version,
        at=dt.datetime(2025, 10, 26, 1, 10, tzinfo=U),
    )


def test_status_change_in_repeated_autumn_hour_counts_real_time(owner, night_queue):
    req = _waited_in_repeated_hour(owner, night_queue)
    view = selectors.request_view(
        Request.objects.get(pk=req.pk), dt.datetime(2025, 10, 26, 3, 0, tzinfo=U)
    )
    # 00:40 -> 03:00 UTC is 140 minutes, less the 20 waiting.
    assert view.resolution.elapsed_minutes == 120.0
    assert view.response.elapsed_minutes == 10.0  # answered by asking: 00:40 -> 00:50 UTC


def test_request_touched_in_repeated_hour_resolves_and_lists(owner, night_queue, signed_in, api):
    req = _waited_in_repeated_hour(owner, night_queue)
    done = services.change_request_status(
        actor=owner,
        request=Request.objects.get(pk=req.pk),
        status="resolved",
        expected_version=req.version,
        at=dt.datetime(2025, 10, 26, 2, 10, tzinfo=U),
    )
    done.refresh_from_db()
    # 00:40 -> 02:10 UTC is 90 minutes, less 20 waiting; P3's 16 h resolution target met.
    assert done.resolution_minutes == 70.0
    assert done.resolution_met is True
    client = signed_in(owner)
    assert client.get(f"/operations/queues/{night_queue.pk}/").status_code == 200
    assert client.get(f"/operations/requests/{req.pk}/").status_code == 200
    assert api(owner).get(f"/api/queues/{night_queue.pk}/requests").status_code == 200


def test_flow_across_autumn_change_uses_real_durations(org, owner, queue, signed_in, api):
    # First answered 01:50 BST, resolved 20 minutes later at 01:10 GMT.
    r = services.create_request(
        actor=owner, queue=queue, title="t", at=dt.datetime(2025, 10, 26, 0, 30, tzinfo=U)
    )
    Request.objects.filter(pk=r.pk).update(
        first_response_at=dt.datetime(2025, 10, 26, 0, 50, tzinfo=U),
        resolved_at=dt.datetime(2025, 10, 26, 1, 10, tzinfo=U),
    )
    data = flowdata.flow_metrics(org, "requests", today=dt.date(2025, 11, 5))
    assert data["done"] == 1
    assert data["cycle"]["points"] == [{"x": "2025-10-26", "y": round(20 / 1440, 2)}]
    assert signed_in(owner).get("/operations/flow/").status_code == 200
    assert api(owner).get(f"/api/organisations/{org.pk}/flow-metrics").status_code == 200


def test_due_time_is_an_instant_across_the_spring_change(owner, night_queue):
    raised = dt.datetime(2025, 3, 29, 23, 0, tzinfo=U)  # 23:00 GMT
    req = services.create_request(
        actor=owner, queue=night_queue, title="x", at=raised, priority="p1"
    )  # 4 h
    view = selectors.request_view(Request.objects.get(pk=req.pk), raised)
    # Four real hours later: 03:00 UTC, 04:00 BST (the wall clock skipped 01:00-02:00).
    assert view.resolution.due_at == dt.datetime(2025, 3, 30, 3, 0, tzinfo=U)
    assert view.resolution.due_at.astimezone(LONDON).hour == 4
    assert view.response.due_at == dt.datetime(2025, 3, 29, 23, 30, tzinfo=U)


def test_due_time_in_the_repeated_autumn_hour_is_the_second_one(owner, night_queue):
    raised = dt.datetime(2025, 10, 25, 22, 0, tzinfo=U)  # 23:00 BST
    req = services.create_request(
        actor=owner, queue=night_queue, title="x", at=raised, priority="p1"
    )  # 4 h
    view = selectors.request_view(Request.objects.get(pk=req.pk), raised)
    # 02:00 UTC is 02:00 GMT (the wall clock read 01:00 twice on the way).
    assert view.resolution.due_at == dt.datetime(2025, 10, 26, 2, 0, tzinfo=U)
    # Raised 00:30 UTC (01:30 BST): its 30 min response falls due at 01:00 UTC, 01:00 GMT.
    early = services.create_request(
        actor=owner,
        queue=night_queue,
        title="y",
        at=dt.datetime(2025, 10, 26, 0, 30, tzinfo=U),
        priority="p1",
    )
    view = selectors.request_view(
        Request.objects.get(pk=early.pk), dt.datetime(2025, 10, 26, 0, 30, tzinfo=U)
    )
    # (Aware in the organisation's zone, fold 1: compared across zones as UTC.)
    assert view.response.due_at.astimezone(U) == dt.datetime(2025, 10, 26, 1, 0, tzinfo=U)
    assert view.response.due_at.fold == 1


def test_request_page_shows_the_due_time_in_the_viewers_zone(
    owner, night_queue, signed_in, monkeypatch
):
    fixed = dt.datetime(2025, 6, 9, 9, 0, tzinfo=U)  # 10:00 BST, 05:00 in New York
    req = services.create_request(
        actor=owner, queue=night_queue, title="x", at=fixed, priority="p1"
    )  # 4 h
    owner.timezone = "America/New_York"
    owner.save()
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    html = signed_in(owner).get(f"/operations/requests/{req.pk}/").content.decode()
    line = next(ln for ln in html.splitlines() if "business min used" in ln)
    # Due 13:00 UTC: 09:00 in New York, not 14:00 (London's wall clock).
    assert "09:00" in line, line
    assert "14:00" not in line, line


def _done(owner: Any, queue: Any, started: dt.datetime, finished: dt.datetime | None) -> None:
    r = services.create_request(actor=owner, queue=queue, title="t", at=started)
    Request.objects.filter(pk=r.pk).update(first_response_at=started, resolved_at=finished)


def test_first_week_of_throughput_counts_from_its_monday(org, owner, queue):
    org.timezone = "Europe/Berlin"
    org.save()
    today = dt.date(2025, 6, 11)  # a Wednesday; 26 weeks before: Wednesday 2024-12-11
    start = dt.datetime(2024, 12, 2, 9, tzinfo=U)
    # Monday 2024-12-09 00:30 in Berlin (23:30 UTC on Sunday), Tuesday, and Thursday.
    _done(owner, queue, start, dt.datetime(2024, 12, 8, 23, 30, tzinfo=U))
    _done(owner, queue, start, dt.datetime(2024, 12, 10, 10, tzinfo=U))
    _done(owner, queue, start, dt.datetime(2024, 12, 12, 10, tzinfo=U))
    # Sunday 2024-12-08 in Berlin: the week before, not shown.
    _done(owner, queue, start, dt.datetime(2024, 12, 8, 22, 30, tzinfo=U))
    data = flowdata.flow_metrics(org, "requests", today=today)
    assert data["throughput"]["labels"][0] == "2024-W50"
    assert data["throughput"]["counts"][0] == 3


def test_ageing_wip_colours_by_the_levels_shown(org, owner, queue):
    org.timezone = "UTC"
    org.save()
    today = dt.date(2025, 6, 11)
    start = dt.datetime(2025, 5, 1, tzinfo=U)
    for days in range(1, 11):  # cycle times 1..10 days: p50 5, p70 7, p85 9, p95 10
        _done(owner, queue, start, start + dt.timedelta(days=days))
    # Open items aged 3, 6, 8 (past p70: shown as past p50), 9.5 and 11 days at 23:59 today.
    end = dt.datetime(2025, 6, 11, 23, 59, tzinfo=U)
    for age in (3, 6, 8, 9.5, 11):
        _done(owner, queue, end - dt.timedelta(days=age), None)
    data = flowdata.flow_metrics(org, "requests", today=today)
    assert {ln["level"] for ln in data["wip"]["lines"]} == {50, 85, 95}
    by_age = dict(zip(data["wip"]["ages"], data["wip"]["exceeded"], strict=True))
    assert by_age == {3.0: 0, 6.0: 50, 8.0: 50, 9.5: 85, 11.0: 95}


def test_reprioritising_a_resolved_request_keeps_its_outcome(owner, queue):
    raised = dt.datetime(2025, 6, 9, 8, 0, tzinfo=U)  # Monday 09:00 BST
    req = services.create_request(actor=owner, queue=queue, title="x", at=raised, priority="p4")
    req = services.change_request_status(
        actor=owner,
        request=req,
        status="resolved",
        expected_version=req.version,
        at=raised + dt.timedelta(hours=6),
    )
    req = Request.objects.get(pk=req.pk)
    assert (req.resolution_met, req.resolution_target_minutes) == (True, 80 * 60)
    assignment.reprioritise_request(
        actor=owner, request=req, priority="p1", expected_version=req.version
    )
    req = Request.objects.get(pk=req.pk)
    assert (req.resolution_met, req.resolution_target_minutes) == (True, 80 * 60)


def test_not_ahead_message_gives_times_on_the_readers_clock(owner, routine):
    from twofold.core import dates
    from twofold.core.errors import Invalid
    from twofold.operations.models import Occurrence

    new_york = zoneinfo.ZoneInfo("America/New_York")
    ahead = Occurrence.objects.filter(routine=routine).order_by("due").last()
    previous = Occurrence.objects.filter(routine=routine, due__lt=ahead.due).order_by("due").last()
    with timezone.override(new_york), pytest.raises(Invalid) as caught:
        services.complete_occurrence(
            actor=owner,
            occurrence=ahead,
            evidence={},
            expected_version=ahead.version,
            at=previous.due - dt.timedelta(hours=1),
        )
    # The routine is due 23:59 in London: 18:59 (or 19:59 in the weeks the clocks disagree)
    # in New York, and on that clock the day is the one before (or the same).
    shown = previous.due.astimezone(new_york).replace(tzinfo=None)
    with timezone.override(new_york):
        day = dates.format_day(ahead.due.astimezone(new_york).date())
    assert shown.hour in (18, 19)
    assert f"({dates.format_daytime(shown)})" in caught.value.message
    assert f"falls due on {day}:" in caught.value.message
