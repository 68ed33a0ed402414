"""The evidence sentence names the centre line of the phase the signal is in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from twofold.core import dates
from twofold.improvement.selectors import kpi_evidence
from twofold.operations import change_points, selectors
from twofold.operations import services as ops


def test_run_evidence_names_the_centre_line_of_its_own_phase(org: Any, owner: Any) -> None:
    process = ops.create_process(actor=owner, organisation=org, name="Line 3")
    kpi = ops.create_kpi(
        actor=owner,
        process=process,
        name="Scrap rate",
        unit="%",
        good_direction="down",
        target=2.0,
        amber_threshold=2.5,
        red_threshold=3.0,
    )
    start = dt.date(2025, 1, 6)
    values = [1.0, 2.0] * 5 + [5.0, 6.0] * 5 + [5.0, 6.0, 5.0]
    rows = [(i + 1, start + dt.timedelta(weeks=i), v, "") for i, v in enumerate(values)]
    ops.add_measurements(actor=owner, kpi=kpi, rows=rows, confirmed=True)
    change_points.add_change_point(
        actor=owner, kpi=kpi, date=start + dt.timedelta(weeks=20), label="new"
    )
    view = selectors.kpi_views([kpi])[0]
    assert view.state == "signal"
    # The run of ten above the centre line lies before the change: that phase's centre is 3.5
    # (not the last phase's, 5.33, which the points did not run above).
    since = dates.format_day(start + dt.timedelta(weeks=10))
    assert kpi_evidence(view) == (
        f"Scrap rate: 10 points in a row above the centre line (3.5 %) since {since}; "
        "latest 5 %, target 2 %."
    )
