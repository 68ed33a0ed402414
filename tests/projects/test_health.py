"""Health is a pure function: exact cases for each rule and for the worst-wins combination."""

from __future__ import annotations

import pytest

from twofold.projects.health import Facts, Level, assess
from twofold.projects.progress import planned_percent, sparkline_points


def test_nothing_wrong_is_green():
    h = assess(Facts(slip_days=0, target_float_days=12, percent_complete=40, percent_planned=45))
    assert h.level == Level.GREEN and h.reasons == ("On schedule",) and h.label == "On track"


@pytest.mark.parametrize(
    ("facts", "level", "reasons"),
    [
        (Facts(slip_days=3), Level.GREEN, ("On schedule",)),
        (Facts(slip_days=4), Level.AMBER, ("Finish 4 working days later than baseline",)),
        (Facts(slip_days=10.5), Level.RED, ("Finish 10.5 working days later than baseline",)),
        (
            Facts(target_float_days=1),
            Level.AMBER,
            ("Only 1 working day of float to the target date",),
        ),
        (Facts(target_float_days=-2), Level.RED, ("Finish 2 working days after the target date",)),
        (Facts(overdue_milestones=1), Level.AMBER, ("1 overdue milestone",)),
        (Facts(overdue_milestones=2), Level.RED, ("2 overdue milestones",)),
        (
            Facts(percent_complete=30, percent_planned=41),
            Level.AMBER,
            ("Progress 11 points behind plan",),
        ),
        (
            Facts(percent_complete=30, percent_planned=55),
            Level.RED,
            ("Progress 25 points behind plan",),
        ),
        (Facts(open_high_risks=1), Level.AMBER, ("1 open high risk",)),
    ],
)
def test_each_rule(facts, level, reasons):
    h = assess(facts)
    assert (h.level, h.reasons) == (level, reasons)


def test_worst_level_wins_and_all_reasons_listed():
    h = assess(Facts(slip_days=5, overdue_milestones=2, percent_complete=50, percent_planned=62))
    assert h.level == Level.RED
    assert h.reasons == (
        "Finish 5 working days later than baseline",
        "2 overdue milestones",
        "Progress 12 points behind plan",
    )


def test_planned_percent_weights_by_duration():
    import datetime as dt

    d = dt.datetime(2025, 3, 3)
    rows = [
        (d, d + dt.timedelta(days=10), 30.0),
        (d + dt.timedelta(days=10), d + dt.timedelta(days=20), 10.0),
    ]
    assert planned_percent(rows, d + dt.timedelta(days=5)) == 37.5
    assert planned_percent(rows, d + dt.timedelta(days=15)) == 87.5
    assert planned_percent(rows, d + dt.timedelta(days=30)) == 100.0
    assert planned_percent([], d) == 0.0


def test_sparkline_points():
    assert sparkline_points([0, 50, 100], width=100, height=24) == "0.0,22.0 50.0,12.0 100.0,2.0"
    assert sparkline_points([]) == ""
