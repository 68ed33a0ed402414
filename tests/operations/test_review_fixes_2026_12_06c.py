"""From a review of the operations app: the KPI page's baseline size and the figures of a KPI of
small values, ageing work in progress measured now, a "how many done by" date that is not after
today, and schedule words that match the dates a rule falls due on."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from twofold.engine.control_charts import xmr_chart
from twofold.operations import flowdata, selectors, services
from twofold.operations.models import Request
from twofold.operations.recurrence import GENERIC, describe, due_dates

LON = zoneinfo.ZoneInfo("Europe/London")
D0 = dt.date(2025, 1, 6)  # a Monday


def _add(owner: Any, kpi: Any, values: list[float]) -> None:
    rows = [(i + 1, D0 + dt.timedelta(weeks=i), v, "") for i, v in enumerate(values)]
    services.add_measurements(actor=owner, kpi=kpi, rows=rows, confirmed=True)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _chart_line(client: Any, kpi: Any) -> str:
    text = _text(client.get(f"/operations/kpis/{kpi.pk}/").content.decode())
    start = text.index("Centre line")
    return text[start : text.index(". Points in red", start)]


@pytest.mark.django_db
def test_the_kpi_page_counts_the_baselines_points_not_every_point(
    owner: Any, kpi: Any, signed_in: Any
) -> None:
    """Limits from the 5 points of 6 Jan – 3 Feb read "(10 points)": every value was counted.
    Its figures keep two decimals (2.04, as before)."""
    _add(owner, kpi, [2.0, 2.2, 1.9, 2.1, 2.0, 2.3, 2.1, 2.2, 1.8, 2.0])
    kpi = services.update_kpi(
        actor=owner,
        kpi=kpi,
        expected_version=kpi.version,
        baseline_start=D0,
        baseline_end=D0 + dt.timedelta(weeks=4),
    )
    line = _chart_line(signed_in(owner), kpi)
    assert line == (
        f"Centre line 2.04, natural process limits 1.51 – 2.57 {kpi.unit}, from the baseline "
        "6 Jan 2025 – 3 Feb 2025 (5 points)"
    )


@pytest.mark.django_db
def test_a_kpi_of_small_values_shows_readable_limits(owner: Any, kpi: Any, signed_in: Any) -> None:
    """Rounded to two decimals, a KPI around 0.0015 read "Centre line 0.00, natural process
    limits 0.00 – 0.00"."""
    kpi = services.update_kpi(
        actor=owner,
        kpi=kpi,
        expected_version=kpi.version,
        target=0.002,
        amber_threshold=0.0025,
        red_threshold=0.003,
    )
    _add(owner, kpi, [0.0012, 0.0018, 0.0011, 0.0016, 0.0013, 0.0017])
    line = _chart_line(signed_in(owner), kpi)
    assert line == (
        f"Centre line 0.00145, natural process limits 0.00012 – 0.00278 {kpi.unit}, from the "
        "baseline 6 Jan 2025 – 10 Feb 2025 (6 points)"
    )


def test_chart_figures_keep_two_decimals_unless_the_values_are_small() -> None:
    def figures(values: list[float]) -> tuple[str, ...]:
        return tuple(selectors.chart_figures(xmr_chart(values)))

    assert figures([2.0, 2.2, 1.9, 2.1, 2.0]) == ("2.04", "1.51", "2.57")
    assert figures([95.0, 95.0]) == ("95.00", "95.00", "95.00")
    assert figures([0.0, 0.0]) == ("0.00", "0.00", "0.00")
    assert figures([0.5, 0.4, 0.6]) == ("0.50", "0.10", "0.90")
    assert figures([0.05, 0.04, 0.06]) == ("0.0500", "0.0101", "0.0899")


@pytest.mark.django_db
def test_ageing_work_in_progress_is_measured_now(
    org: Any, owner: Any, queue: Any, api: Any, monkeypatch: Any
) -> None:
    """Ages were measured at 23:59 tonight: an item started an hour ago at 10:00 was 0.58 days
    old."""
    now = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LON)
    monkeypatch.setattr(timezone, "now", lambda: now)
    for started in (now - dt.timedelta(hours=1), dt.datetime(2026, 12, 5, 12, 0, tzinfo=LON)):
        r = services.create_request(actor=owner, queue=queue, title="t", at=started)
        Request.objects.filter(pk=r.pk).update(first_response_at=started)
    data = api(owner).get(f"/api/organisations/{org.pk}/flow-metrics").json()
    # An hour, and 1 day 22 hours: not 0.58 and 2.5 (their ages at 23:59 tonight).
    assert sorted(data["wip"]["ages"]) == [0.04, 1.92]
    # A day already over (a caller's other day) is measured at its end, as before: the item
    # started on the 5th at noon is 1.5 days old at 23:59 on the 6th; the other had not started.
    day = flowdata.flow_metrics(org, "requests", today=dt.date(2026, 12, 6))
    assert day["wip"]["ages"] == [1.5]


def _history(owner: Any, queue: Any, today: dt.date) -> None:
    day = today - dt.timedelta(days=2)
    r = services.create_request(
        actor=owner, queue=queue, title="t", at=dt.datetime.combine(day, dt.time(9), tzinfo=LON)
    )
    Request.objects.filter(pk=r.pk).update(
        first_response_at=dt.datetime.combine(day, dt.time(9), tzinfo=LON),
        resolved_at=dt.datetime.combine(day, dt.time(15), tzinfo=LON),
    )


@pytest.mark.django_db
def test_a_how_many_date_not_after_today_is_a_form_message(
    org: Any, owner: Any, queue: Any, signed_in: Any
) -> None:
    """The page said "Not enough history" for today or earlier, with history there."""
    today = flowdata.today_of(org)
    _history(owner, queue, today)
    client = signed_in(owner)
    later = client.get(f"/operations/flow/?by={(today + dt.timedelta(days=5)).isoformat()}")
    assert "Not enough history" not in later.content.decode()
    assert 'id="by-note"' not in later.content.decode()
    for day in (today, today - dt.timedelta(days=1)):
        html = client.get(f"/operations/flow/?by={day.isoformat()}").content.decode()
        assert "Not enough history" not in html
        assert (
            '<p class="error" role="alert" id="by-note">Choose a day after today: the forecast '
            "counts the items done from tomorrow.</p>"
        ) in html
        assert 'aria-describedby="by-note"' in html


@pytest.mark.django_db
def test_the_api_refuses_a_how_many_date_not_after_today(
    org: Any, owner: Any, queue: Any, api: Any
) -> None:
    """It answered 200 with how_many null, the value that means "no history"."""
    today = flowdata.today_of(org)
    _history(owner, queue, today)
    url = f"/api/organisations/{org.pk}/flow-metrics?by="
    ok = api(owner).get(url + (today + dt.timedelta(days=1)).isoformat())
    assert ok.status_code == 200 and ok.json()["how_many"] is not None
    for day in (today, today - dt.timedelta(days=1)):
        refused = api(owner).get(url + day.isoformat())
        assert refused.status_code == 422
        assert refused.json()["field"] == "by"
        assert refused.json()["detail"] == (
            "Choose a day after today: the forecast counts the items done from tomorrow."
        )


def test_negative_month_days_read_as_the_days_they_fall_due_on() -> None:
    """BYMONTHDAY=-2 falls due on the second-to-last day (30 Jan, 27 Feb) but read "2 days
    before the month ends" (29 Jan, 26 Feb)."""
    first, last = dt.date(2025, 1, 1), dt.date(2025, 2, 28)
    assert due_dates("FREQ=MONTHLY;BYMONTHDAY=-2", first, first, last) == [
        dt.date(2025, 1, 30),
        dt.date(2025, 2, 27),
    ]
    assert describe("FREQ=MONTHLY;BYMONTHDAY=-2") == "Monthly on the second-to-last day"
    assert describe("FREQ=MONTHLY;BYMONTHDAY=-1") == "Monthly on the last day"
    assert (
        describe("FREQ=MONTHLY;BYMONTHDAY=1,-3") == "Monthly on the 1st and the third-to-last day"
    )
    assert describe("FREQ=MONTHLY;BYMONTHDAY=-7") == "Monthly on the 7th-to-last day"
    assert (
        describe("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-2")
        == "Yearly on the second-to-last day of February"
    )


def test_a_yearly_rule_of_month_days_without_a_month_reads_monthly() -> None:
    """FREQ=YEARLY;BYMONTHDAY=15 falls due on the 15th of every month (RFC 5545) but read
    "Yearly on the 15th"."""
    first, last = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    days = due_dates("FREQ=YEARLY;BYMONTHDAY=15", first, first, last)
    assert days == [dt.date(2025, m, 15) for m in range(1, 13)]
    assert describe("FREQ=YEARLY;BYMONTHDAY=15") == "Monthly on the 15th"
    assert describe("FREQ=YEARLY;BYMONTHDAY=15;COUNT=3") == "Monthly on the 15th, 3 times"
    # Every month of every other year: no plain words for it.
    assert describe("FREQ=YEARLY;INTERVAL=2;BYMONTHDAY=15") == GENERIC
    # With a month named it is yearly.
    assert describe("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15") == "Yearly on the 15th of March"
