"""Pure progress arithmetic: percent planned for a day, sparkline geometry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any


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


def planned_curve(
    rows: Iterable[tuple[dt.datetime | None, dt.datetime | None, float]],
) -> dict[str, object]:
    """The percent planned at 00:00 UTC of every day from the first start to the last finish
    (vectorised): ``{"first": day, "last": day, "final": value, "days": {day: value}}``.

    Stored on the project when it is rescheduled or baselined; the portfolio asks the database
    for just today's and tomorrow's values (a JSON key lookup), see :func:`curve_value`.
    """
    import numpy as np

    clean = [(s, f, w) for s, f, w in rows if s is not None and f is not None]
    if not clean:
        return {}
    return planned_curve_seconds(
        np.array([s.timestamp() for s, _, _ in clean]),
        np.array([f.timestamp() for _, f, _ in clean]),
        np.array([w for _, _, w in clean], dtype=float),
    )


def _done_at(starts: Any, finishes: Any, weights: Any, at: Any) -> Any:
    """Planned work done at each of ``at`` (seconds): each row linear from start to finish,
    a row without span done just after its start. Closed form over sorted starts and finishes
    (O((rows + points) log rows), no rows × points matrix)."""
    import numpy as np

    spans = finishes - starts
    step = spans <= 0
    done = np.zeros(len(at))
    if step.any():
        ordered = np.sort(starts[step])
        cum = np.concatenate(([0.0], np.cumsum(weights[step][np.argsort(starts[step])])))
        done += cum[np.searchsorted(ordered, at, side="left")]
    ramp = ~step
    if ramp.any():
        slope = weights[ramp] / spans[ramp]
        for edge, sign in ((starts[ramp], 1.0), (finishes[ramp], -1.0)):
            order = np.argsort(edge)
            e, a = edge[order], slope[order]
            ca = np.concatenate(([0.0], np.cumsum(a)))
            cb = np.concatenate(([0.0], np.cumsum(a * e)))
            k = np.searchsorted(e, at, side="left")
            done += sign * (at * ca[k] - cb[k])
    return done


def planned_curve_seconds(starts: Any, finishes: Any, weights: Any) -> dict[str, object]:
    """:func:`planned_curve` from arrays: UTC epoch seconds of starts and finishes, weights."""
    import numpy as np

    if not len(starts):
        return {}
    first = dt.datetime.fromtimestamp(float(starts.min()), dt.UTC).date()
    origin = dt.datetime.combine(first, dt.time(), dt.UTC).timestamp()
    s = np.asarray(starts, dtype=float) - origin
    f = np.asarray(finishes, dtype=float) - origin
    w = np.asarray(weights, dtype=float)
    count = int(f.max() // 86400) + 2
    at = np.arange(count, dtype=float) * 86400
    done = _done_at(s, f, w, at)
    values = np.round(100 * done / w.sum(), 1).tolist()
    days = {(first + dt.timedelta(days=i)).isoformat(): v for i, v in enumerate(values)}
    return {
        "first": first.isoformat(),
        "last": (first + dt.timedelta(days=count - 1)).isoformat(),
        "final": values[-1],
        "days": days,
    }


def planned_percent_seconds(starts: Any, finishes: Any, weights: Any, at: dt.datetime) -> float:
    """:func:`planned_percent` from arrays of UTC epoch seconds."""
    import numpy as np

    w = np.asarray(weights, dtype=float)
    total = float(w.sum())
    if not total:
        return 0.0
    s = np.asarray(starts, dtype=float)
    f = np.asarray(finishes, dtype=float)
    point = at.timestamp()
    frac = np.where(
        point >= f, 1.0, np.where(point > s, (point - s) / np.where(f > s, f - s, 1.0), 0.0)
    )
    return round(100 * float((frac * w).sum()) / total, 1)


def curve_value(
    first: str | None,
    final: float | str | None,
    today: float | str | None,
    tomorrow: float | str | None,
    at: dt.datetime,
) -> float:
    """Percent planned at ``at`` from the parts of a curve the portfolio reads: the first day,
    the final value and the values at 00:00 UTC of ``at``'s day and the next (linear between)."""
    if not first:
        return 0.0
    at = at.astimezone(dt.UTC)
    if at.date() < dt.date.fromisoformat(first):
        return 0.0
    if today is None or tomorrow is None:
        return float(final or 0.0)
    midnight = dt.datetime.combine(at.date(), dt.time(), dt.UTC)
    share = (at - midnight).total_seconds() / 86400
    return round(float(today) + (float(tomorrow) - float(today)) * share, 1)


def curve_at(curve: dict[str, object] | None, at: dt.datetime) -> float:
    """Percent planned at ``at`` from a whole curve made by :func:`planned_curve`."""
    if not curve:
        return 0.0
    days = curve["days"]
    assert isinstance(days, dict)
    day = at.astimezone(dt.UTC).date()
    return curve_value(
        str(curve["first"]),
        curve["final"],  # type: ignore[arg-type]
        days.get(day.isoformat()),
        days.get((day + dt.timedelta(days=1)).isoformat()),
        at,
    )
