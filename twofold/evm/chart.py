"""The S-curve as an inline SVG drawn on the server (no script: the page's CSP allows none)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from twofold.core import dates
from twofold.engine.evm import CurvePoint

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    pv: str
    ev: str
    ac: str
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    status_x: float | None
    bac_y: float | None
    left: int
    right: int
    top: int
    bottom: int


def _nice_step(top: float) -> float:
    raw = top / 4 or 1
    magnitude = float(10 ** (len(str(int(raw))) - 1))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return 10.0 * magnitude


def _money(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 1000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}"


def s_curve_chart(points: list[CurvePoint], status: dt.date, bac: Decimal) -> Chart | None:
    """Polylines for PV, EV and AC with month ticks, a status-date line and the BAC level."""
    if len(points) < 2:
        return None
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)
    top_value = max(
        [float(bac)] + [float(v) for p in points for v in (p.pv, p.ev, p.ac) if v is not None]
    )
    step = _nice_step(top_value)
    y_max = step * (int(top_value / step) + 1) if top_value else 1.0
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return round(LEFT + plot_w * (day - first).days / span, 1)

    def y(value: Decimal | float) -> float:
        return round(TOP + plot_h * (1 - float(value) / y_max), 1)

    def line(kind: str) -> str:
        return " ".join(f"{x(p.day)},{y(v)}" for p in points if (v := getattr(p, kind)) is not None)

    months: list[Tick] = []
    day = dt.date(first.year, first.month, 1)
    every = 1 if span <= 200 else (3 if span <= 800 else 6)
    while day <= last:
        if day >= first and (day.month - 1) % every == 0:
            months.append(Tick(x(day), dates.format_month(day)))
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    y_ticks = []
    value = 0.0
    while value <= y_max + 1e-9:
        y_ticks.append(Tick(y(value), _money(value)))
        value += step
    status_x = x(status) if first <= status <= last else None
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        pv=line("pv"),
        ev=line("ev"),
        ac=line("ac"),
        x_ticks=months,
        y_ticks=y_ticks,
        status_x=status_x,
        bac_y=y(bac) if bac else None,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
    )
