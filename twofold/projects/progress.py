"""Pure progress arithmetic: percent planned for a day, sparkline geometry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence


def planned_percent(
    rows: Iterable[tuple[dt.datetime | None, dt.datetime | None, float]], at: dt.datetime
) -> float:
    """Percent of the work planned to be done at ``at``: each row is (start, finish, weight)."""
    total = done = 0.0
    for start, finish, weight in rows:
        if start is None or finish is None:
            continue
        total += weight
        if at >= finish:
            done += weight
        elif at > start:
            span = (finish - start).total_seconds()
            done += weight * ((at - start).total_seconds() / span if span > 0 else 1.0)
    return round(100 * done / total, 1) if total else 0.0


def sparkline_points(values: Sequence[float], width: int = 120, height: int = 28) -> str:
    """SVG polyline points for ``values`` (0-100) across ``width`` x ``height``."""
    if not values:
        return ""
    if len(values) == 1:
        values = [values[0], values[0]]
    step = width / (len(values) - 1)
    pad = 2
    usable = height - 2 * pad
    return " ".join(
        f"{i * step:.1f},{pad + usable - usable * max(0.0, min(100.0, v)) / 100:.1f}"
        for i, v in enumerate(values)
    )
