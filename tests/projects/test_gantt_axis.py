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


def _weeks(project: Any, today: dt.date) -> gantt.Chart:
    rows = selectors.wbs_rows(project, for_gantt=True)
    return gantt.render(rows, [], services.tz_of(project.organisation), zoom="weeks", today=today)


def test_a_plan_that_finished_in_the_last_month_shows_today(project: Any, chain: list[Any]) -> None:
    """The chain runs a week from MONDAY; five weeks later today is still on the axis (it
    stopped 42 days after its origin, the Monday before), and half a year later it is not."""
    chart = _weeks(project, today=MONDAY + dt.timedelta(days=35))
    assert chart.svg.count('class="g-today"') == 1
    chart = _weeks(project, today=MONDAY + dt.timedelta(days=200))
    assert 'class="g-today"' not in chart.svg


def test_the_axis_ends_on_a_whole_column_and_fills_a_desktop_panel(
    project: Any, chain: list[Any]
) -> None:
    """A one-week plan drew 42 days (378 px) ending mid-week: a blank strip beside the chart
    and a last week label cut in half ("18 Jar")."""
    chart = _weeks(project, today=MONDAY)
    days = round((chart.width - gantt.LABEL) / chart.px_per_day)
    assert (chart.origin + dt.timedelta(days=days)).weekday() == 0  # ends on a Monday
    assert chart.width - gantt.LABEL >= gantt.MIN_AXIS_PX
    assert days == 112  # ceil(1000 / 9) = 112 days from the origin (a Monday): 16 weeks


def test_the_axis_end_is_a_boundary_of_its_lower_tier_in_every_zoom() -> None:
    origin, last = dt.date(2026, 8, 17), dt.date(2028, 3, 3)
    ends = {
        zoom: origin + dt.timedelta(days=gantt.axis_days(origin, last, zoom, px))
        for zoom, px in gantt.ZOOMS.items()
    }
    assert ends == {
        "days": dt.date(2028, 3, 24),  # three weeks past the last day
        "weeks": dt.date(2028, 3, 27),  # the Monday after that
        "months": dt.date(2028, 4, 1),
        "quarters": dt.date(2029, 4, 1),  # 1,000 px at 1.1 px a day reach into 2029's Q1
    }
