"""The Gantt's time axis: today joins it only when it is near the plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from twofold.projects import gantt, selectors, services

from .conftest import MONDAY


def _chart(project: Any, today: dt.date) -> gantt.Chart:
    rows = selectors.wbs_rows(project, for_gantt=True)
    return gantt.render(rows, [], services.tz_of(project.organisation), zoom="days", today=today)


def test_a_plan_months_ahead_opens_at_its_first_bar_without_a_today_line(
    project: Any, chain: list[Any]
) -> None:
    chart = _chart(project, today=MONDAY - dt.timedelta(days=120))
    # The week before the plan's first Monday, as for a plan that starts today.
    assert chart.origin == MONDAY - dt.timedelta(days=7)
    assert 'class="g-today"' not in chart.svg


def test_today_joins_the_axis_within_a_month_of_the_plan(project: Any, chain: list[Any]) -> None:
    soon = MONDAY - dt.timedelta(days=10)  # a Friday, 10 days before the plan
    chart = _chart(project, today=soon)
    assert chart.origin == soon - dt.timedelta(days=soon.weekday() + 7)
    assert chart.svg.count('class="g-today"') == 1
    later = MONDAY + dt.timedelta(days=14)
    chart = _chart(project, today=later)
    assert chart.origin == MONDAY - dt.timedelta(days=7)
    assert chart.svg.count('class="g-today"') == 1
