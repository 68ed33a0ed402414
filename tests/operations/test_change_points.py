"""KPI change points: per-phase limits on the chart, and the refusals that name the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.core.errors import Forbidden, Invalid
from twofold.core.history import history_for
from twofold.operations import change_points, selectors
from twofold.operations.models import ChangePoint, ChangeSource, Measurement

START = dt.date(2026, 1, 5)
BEFORE = [3.0, 2.0] * 6  # centre 2.5, moving range 1
AFTER = [1.5, 1.0] * 4  # centre 1.25, moving range 0.5


def _fill(kpi: Any, values: list[float]) -> None:
    Measurement.objects.bulk_create(
        Measurement(
            organisation_id=kpi.organisation_id,
            kpi=kpi,
            measured_on=START + dt.timedelta(weeks=i),
            value=v,
        )
        for i, v in enumerate(values)
    )


@pytest.fixture
def series(kpi: Any) -> Any:
    _fill(kpi, BEFORE + AFTER)
    return kpi


GO_LIVE = START + dt.timedelta(weeks=len(BEFORE))


def test_each_phase_gets_its_own_limits(series: Any, owner: Any) -> None:
    change_points.add_change_point(actor=owner, kpi=series, date=GO_LIVE, label="New mould")

    view = selectors.kpi_views([series])[0]

    assert [(p.first, p.stop) for p in view.phases] == [(0, 12), (12, 20)]
    before, after = (p.chart for p in view.phases)
    assert before is not None and after is not None
    assert before.centre_line == 2.5
    assert before.upper_natural_process_limit == pytest.approx(2.5 + 2.66)
    assert after.centre_line == 1.25
    assert after.upper_natural_process_limit == pytest.approx(1.25 + 2.66 * 0.5)
    data = view.chart_data()
    assert data["centre"] == [2.5] * 12 + [1.25] * 8
    assert data["changes"] == [{"index": 12, "label": "New mould"}]
    # Judged against its own phase, the new level is no signal: the KPI is stable again.
    assert view.signals == []
    series.refresh_from_db()
    assert series.state == "in control"


def test_without_a_change_point_the_new_level_is_a_signal(series: Any) -> None:
    view = selectors.kpi_views([series])[0]

    assert len(view.phases) == 1
    assert view.state == "signal"
    assert view.chart_data()["changes"] == []


def test_a_change_point_on_or_before_the_first_value_is_refused_naming_the_date(
    series: Any, owner: Any
) -> None:
    with pytest.raises(Invalid) as caught:
        change_points.add_change_point(actor=owner, kpi=series, date=START, label="Too early")

    assert caught.value.field == "date"
    assert "first value of Scrap rate (2026-01-05)" in caught.value.message
    assert not ChangePoint.objects.exists()


def test_a_kpi_without_values_refuses_a_change_point(kpi: Any, owner: Any) -> None:
    with pytest.raises(Invalid, match="no values yet") as caught:
        change_points.add_change_point(actor=owner, kpi=kpi, date=GO_LIVE, label="x")
    assert caught.value.field == "date"


def test_a_blank_label_is_refused(series: Any, owner: Any) -> None:
    with pytest.raises(Invalid) as caught:
        change_points.add_change_point(actor=owner, kpi=series, date=GO_LIVE, label="  ")
    assert caught.value.field == "label"


def test_members_may_not_add_change_points_by_hand(series: Any, org: Any, member: Any) -> None:
    with pytest.raises(Forbidden):
        change_points.add_change_point(
            actor=member(org, Role.MEMBER), kpi=series, date=GO_LIVE, label="x"
        )


def test_a_source_moves_its_point_instead_of_adding_one(series: Any, owner: Any) -> None:
    for day in (GO_LIVE, GO_LIVE + dt.timedelta(weeks=2)):
        change_points.set_change_points(
            actor=owner,
            kpis=[series],
            date=day,
            label="Went live: Quick die change",
            source=ChangeSource.IMPROVEMENT,
            source_id=7,
        )

    assert list(ChangePoint.objects.values_list("date", "source_id")) == [
        (GO_LIVE + dt.timedelta(weeks=2), 7)
    ]
    actions = [e.action for e in history_for(series, viewer=None)]
    assert actions.count("change point set") == 2

    change_points.set_change_points(
        actor=owner,
        kpis=[series],
        date=None,
        label="x",
        source=ChangeSource.IMPROVEMENT,
        source_id=7,
    )
    assert not ChangePoint.objects.exists()


def test_a_go_live_point_cannot_be_removed_by_hand(series: Any, owner: Any) -> None:
    (point,) = change_points.set_change_points(
        actor=owner,
        kpis=[series],
        date=GO_LIVE,
        label="Went live",
        source=ChangeSource.PROJECT,
        source_id=3,
    )
    with pytest.raises(Invalid) as caught:
        change_points.remove_change_point(actor=owner, point=point)
    assert caught.value.field == "source"
    assert ChangePoint.objects.count() == 1


def test_api_adds_lists_and_removes_change_points(
    series: Any, owner: Any, outsider: Any, api: Any
) -> None:
    client = api(owner)
    bad = client.post(
        f"/api/kpis/{series.pk}/change-points", {"date": "2025-12-01", "label": "Too early"}
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "date"

    made = client.post(
        f"/api/kpis/{series.pk}/change-points", {"date": GO_LIVE.isoformat(), "label": "New mould"}
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["date"], body["label"], body["source"]) == (
        GO_LIVE.isoformat(),
        "New mould",
        "manual",
    )
    assert [p["id"] for p in client.get(f"/api/kpis/{series.pk}/change-points").json()] == [
        body["id"]
    ]

    assert api(outsider).get(f"/api/kpis/{series.pk}/change-points").status_code == 404
    assert api(outsider).delete(f"/api/change-points/{body['id']}").status_code == 404
    assert client.delete(f"/api/change-points/{body['id']}").status_code == 204
    assert not ChangePoint.objects.exists()


def test_kpi_page_shows_the_phases_and_adds_a_point(
    series: Any, owner: Any, signed_in: Any
) -> None:
    client = signed_in(owner)
    response = client.post(
        f"/operations/kpis/{series.pk}/change-points/",
        {"date": GO_LIVE.isoformat(), "label": "New mould"},
        follow=True,
    )
    html = response.content.decode()
    assert "Change point added" in html
    assert "The chart has 2 phases" in html
    assert "New mould" in html

    refused = client.post(
        f"/operations/kpis/{series.pk}/change-points/",
        {"date": "2025-06-01", "label": "Early"},
        follow=True,
    )
    assert "Date: 2025-06-01 is not after the first value" in refused.content.decode()
    assert ChangePoint.objects.count() == 1
