"""The Gantt's time axis: today joins it only when it is near the plan."""

from __future__ import annotations

import datetime as dt
import re
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


def test_the_task_names_are_one_column_drawn_over_the_bars(project: Any, chain: list[Any]) -> None:
    """The names are a group of their own, drawn last (gantt-frame.js keeps it in view while
    the chart scrolls sideways, over the bars and the today line)."""
    svg = str(_chart(project, today=MONDAY + dt.timedelta(days=3)).svg)
    names = svg.index('<g class="g-names" id="gantt-names">')
    assert names > svg.rindex('class="g-bar"') and names > svg.index('class="g-today"')
    column = svg[names:]
    labels = re.findall(r'class="g-label[" ][^>]*><title>[^<]*</title>([^<]*)</text>', column)
    assert labels == [t.name for t in chain]
    assert not re.search(r'class="g-label[" ]', svg[:names])  # no name left under the bars
