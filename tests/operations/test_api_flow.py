"""Flow metrics through the API: the flow page's figures."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.operations import services

pytestmark = pytest.mark.django_db


def test_flow_metrics_count_the_queue_requests(
    org: Any, owner: Any, queue: Any, outsider: Any, api: Any
) -> None:
    services.create_request(actor=owner, queue=queue, title="Badge reader down")
    url = f"/api/organisations/{org.pk}/flow-metrics"

    got = api(owner).get(url)

    assert got.status_code == 200
    body = got.json()
    assert (body["source"], body["items"], body["done"]) == ("requests", 1, 0)
    assert len(body["throughput"]["labels"]) == len(body["throughput"]["counts"])
    assert body["cfd"]["states"] == ["Arrived", "Started", "Done"]
    assert body["how_many"] is None  # nothing finished yet: no history to forecast from
    occurrences = api(owner).get(f"{url}?source=occurrences").json()
    assert (occurrences["source"], occurrences["items"]) == ("occurrences", 0)
    for bad, field in (("source=tasks", "source"), ("by=soon", "by"), ("items=0", "items")):
        refused = api(owner).get(f"{url}?{bad}")
        assert (refused.status_code, refused.json()["field"]) == (422, field)
    assert api(outsider).get(url).status_code == 404


def test_requests_raised_long_ago_and_resolved_lately_count(
    org: Any, owner: Any, queue: Any
) -> None:
    """Until 2026-12-05 a request raised before the 26-week window but resolved inside it was
    left out: the slowest items vanished from throughput and cycle time."""
    import datetime as dt

    from django.utils import timezone

    from twofold.operations import flowdata

    now = timezone.now()
    for title, raised in (
        ("Old", now - dt.timedelta(days=200)),
        ("New", now - dt.timedelta(days=5)),
    ):
        req = services.create_request(actor=owner, queue=queue, title=title, at=raised)
        for status, at in (("in_progress", raised), ("resolved", now - dt.timedelta(days=2))):
            req = services.change_request_status(
                actor=owner, request=req, status=status, expected_version=req.version, at=at
            )
    data = flowdata.flow_metrics(org, "requests", today=flowdata.today_of(org))
    assert (data["items"], data["done"], sum(data["throughput"]["counts"])) == (2, 2, 2)
    assert sorted(round(p["y"]) for p in data["cycle"]["points"]) == [3, 198]


def test_occurrences_not_yet_due_are_not_work_in_progress(org: Any, routine: Any) -> None:
    """The worker makes a daily routine's occurrences 30 days ahead; only yesterday's (open,
    overdue) and today's are in progress (until 2026-12-05 all 32 were, each aged from when it
    was generated)."""
    from twofold.operations import flowdata
    from twofold.operations.models import Occurrence

    today = flowdata.today_of(org)
    assert Occurrence.objects.filter(routine=routine).count() > 20
    data = flowdata.flow_metrics(org, "occurrences", today=today)
    assert data["items"] == 2 and data["done"] == 0
    assert sorted(round(age) for age in data["wip"]["ages"]) == [1, 2]  # days, counted at 23:59


def test_the_flow_day_is_the_organisations(org: Any, owner: Any, queue: Any, api: Any) -> None:
    """A request raised half an hour ago in Auckland, on the morning of 2 June there, is in
    progress on 2 June, whatever the server's zone (it read "no items" until 2026-12-05)."""
    import datetime as dt
    from unittest import mock

    from twofold.operations import flowdata

    org.timezone = "Pacific/Auckland"
    org.save(update_fields=["timezone"])
    now = dt.datetime(2025, 6, 1, 21, 0, tzinfo=dt.UTC)  # 09:00 on 2 June in Auckland
    req = services.create_request(
        actor=owner, queue=queue, title="Badge reader", at=now - dt.timedelta(minutes=30)
    )
    services.change_request_status(
        actor=owner, request=req, status="in_progress", expected_version=req.version, at=now
    )
    with mock.patch("django.utils.timezone.now", return_value=now):
        assert flowdata.today_of(org) == dt.date(2025, 6, 2)
        body = api(owner).get(f"/api/organisations/{org.pk}/flow-metrics").json()
    assert len(body["wip"]["ages"]) == 1


def test_a_forecast_date_beyond_ten_years_is_refused(
    org: Any, owner: Any, api: Any, client: Any
) -> None:
    """``by`` was unbounded: a date in 9999 simulated eight thousand years (minutes of CPU)."""
    url = f"/api/organisations/{org.pk}/flow-metrics?by=2140-01-01"
    refused = api(owner).get(url)
    assert refused.status_code == 422
    assert refused.json()["field"] == "by"
    assert "at most 10 years ahead" in refused.json()["detail"]
    client.force_login(owner)
    page = client.get("/operations/flow/?by=9999-12-31")
    assert page.status_code == 200
    assert b"Forecasts reach at most 10 years ahead." in page.content
