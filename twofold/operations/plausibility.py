"""Adapter from KPIs to the engine's plausibility questions, in words people can act on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from twofold.core.dates import format_day
from twofold.engine.plausibility import (
    Concern,
    ConcernKind,
    Reference,
    concerns_for,
    reference_from,
)
from twofold.operations.models import Kpi, Measurement
from twofold.operations.selectors import kpi_view


@dataclass(frozen=True)
class Doubt:
    """A reason to ask "are you sure?" about one row (1-based; a CSV file's line number)."""

    row: int
    field: str
    message: str


def _num(value: float, unit: str) -> str:
    text = f"{value:.4g}" if abs(value) < 1e15 else f"{value:.3e}"
    return f"{text} {unit}".strip() if unit else text


def describe(concern: Concern, day: dt.date, value: float, kpi: Kpi, today: dt.date) -> str:
    unit = kpi.unit
    if concern.kind is ConcernKind.FUTURE_DATE:
        return (
            f"{format_day(day)} is in the future (today is {format_day(today)}); a measurement "
            "records what already happened."
        )
    if concern.kind is ConcernKind.UNIT_SCALE:
        ratio = (
            f"about {concern.factor:g} times"
            if concern.factor >= 1
            else f"about 1/{1 / concern.factor:g} of"
        )
        return (
            f"{_num(value, unit)} is {ratio} the typical value {_num(concern.level, unit)}: "
            "is the unit or scale mixed up (e.g. a fraction for a percentage)?"
        )
    return (
        f"{_num(value, unit)} is far outside every value seen so far "
        f"({_num(concern.low, unit)} to {_num(concern.high, unit)}): more than "
        f"{kpi.plausibility_spreads:g} × the process spread ({_num(concern.spread, unit)}, "
        "the width of the control chart's limits) beyond it."
    )


def history_of(kpi: Kpi, exclude: Sequence[int] = ()) -> list[Measurement]:
    """The KPI's values that count (not voided), in date order."""
    return list(
        Measurement.objects.filter(kpi=kpi, voided_at__isnull=True)
        .exclude(pk__in=list(exclude))
        .order_by("measured_on")
    )


def _reference(
    kpi: Kpi, history: list[Measurement], new_values: Sequence[float]
) -> Reference | None:
    view = kpi_view(kpi, history)
    limits = None
    if view.chart is not None:
        limits = (
            view.chart.lower_natural_process_limit,
            view.chart.upper_natural_process_limit,
        )
    return reference_from(view.values, new_values, limits=limits)


def check_rows(
    kpi: Kpi,
    rows: Sequence[tuple[int, dt.date, float]],
    *,
    today: dt.date,
    history: list[Measurement] | None = None,
) -> list[Doubt]:
    """Every reason to ask about ``(row, date, value)`` rows before saving them."""
    if not rows:
        return []
    base = history_of(kpi) if history is None else history
    reference = _reference(kpi, base, [value for _row, _day, value in sorted(rows, key=_by_day)])
    found: list[Doubt] = []
    for row, day, value in rows:
        for concern in concerns_for(
            day, value, today=today, reference=reference, spreads=kpi.plausibility_spreads
        ):
            found.append(Doubt(row, concern.field, describe(concern, day, value, kpi, today)))
    return found


def _by_day(row: tuple[int, dt.date, float]) -> dt.date:
    return row[1]
