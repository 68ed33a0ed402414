"""The reports page's schedule-and-cost chart: each project at (SPI, CPI), drawn as SVG.

Server-rendered, no script: the figures are the ones in the table beside it (which is also the
chart's text alternative). Project names and codes come from users and go through ``escape``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

# The plotted range of both indices; a project outside it sits on the edge, pointing out, and
# its tooltip gives the real figures.
LOW = Decimal("0.6")
HIGH = Decimal("1.4")
TICKS = (Decimal("0.6"), Decimal("0.8"), Decimal("1.0"), Decimal("1.2"), Decimal("1.4"))
# Above this many points the codes would cover each other: tooltips only.
MAX_LABELS = 24

WIDTH, HEIGHT = 560, 360
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Point:
    code: str
    name: str
    spi: Decimal
    cpi: Decimal
    level: str  # the project's health level: the dot's colour
    url: str = ""


def _x(value: Decimal) -> float:
    return LEFT + float((min(max(value, LOW), HIGH) - LOW) / (HIGH - LOW)) * PLOT_W


def _y(value: Decimal) -> float:
    return TOP + PLOT_H - float((min(max(value, LOW), HIGH) - LOW) / (HIGH - LOW)) * PLOT_H


def clipped(value: Decimal) -> bool:
    """Whether ``value`` is outside the plotted range (drawn on the edge, as a square)."""
    return value < LOW or value > HIGH


def performance_chart(points: Sequence[Point]) -> SafeString:
    """An SVG scatter of the projects' SPI (across) and CPI (up), the quadrants at 1.0 tinted
    and named. Empty when no project has both indices."""
    if not points:
        return mark_safe("")
    one_x, one_y = _x(Decimal(1)), _y(Decimal(1))
    parts = [
        f'<svg class="perf-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-labelledby="perf-chart-title perf-chart-desc" preserveAspectRatio="xMidYMid meet">',
        '<title id="perf-chart-title">Schedule and cost performance</title>',
        f'<desc id="perf-chart-desc">{len(points)} project{"" if len(points) == 1 else "s"} '
        "placed by schedule performance index (across) and cost performance index (up); "
        "the table lists the same figures.</desc>",
        # Quadrants: ahead and under budget (top right) is good, behind and over (bottom left)
        # is bad, the other two need a look.
        f'<rect class="q-good" x="{one_x:.1f}" y="{TOP}" width="{LEFT + PLOT_W - one_x:.1f}" '
        f'height="{one_y - TOP:.1f}"/>',
        f'<rect class="q-bad" x="{LEFT}" y="{one_y:.1f}" width="{one_x - LEFT:.1f}" '
        f'height="{TOP + PLOT_H - one_y:.1f}"/>',
        f'<rect class="q-mixed" x="{LEFT}" y="{TOP}" width="{one_x - LEFT:.1f}" '
        f'height="{one_y - TOP:.1f}"/>',
        f'<rect class="q-mixed" x="{one_x:.1f}" y="{one_y:.1f}" '
        f'width="{LEFT + PLOT_W - one_x:.1f}" height="{TOP + PLOT_H - one_y:.1f}"/>',
        f'<text class="q-label" x="{LEFT + PLOT_W - 6}" y="{TOP + 14}" text-anchor="end">'
        "Ahead, under budget</text>",
        f'<text class="q-label" x="{LEFT + 6}" y="{TOP + PLOT_H - 8}">Behind, over budget</text>',
        f'<text class="q-label" x="{LEFT + 6}" y="{TOP + 14}">Behind, under budget</text>',
        f'<text class="q-label" x="{LEFT + PLOT_W - 6}" y="{TOP + PLOT_H - 8}" '
        'text-anchor="end">Ahead, over budget</text>',
    ]
    for tick in TICKS:
        x, y = _x(tick), _y(tick)
        axis = "axis-one" if tick == 1 else "grid"
        parts.append(
            f'<line class="{axis}" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + PLOT_H}"/>'
            f'<line class="{axis}" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{x:.1f}" y="{TOP + PLOT_H + 16}" text-anchor="middle">'
            f"{tick:.1f}</text>"
            f'<text class="tick" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:.1f}</text>'
        )
    parts.append(
        f'<text class="axis-title" x="{LEFT + PLOT_W / 2:.1f}" y="{HEIGHT - 8}" '
        'text-anchor="middle">Schedule performance (SPI)</text>'
        f'<text class="axis-title" transform="translate(14 {TOP + PLOT_H / 2:.1f}) rotate(-90)" '
        'text-anchor="middle">Cost performance (CPI)</text>'
    )
    labelled = len(points) <= MAX_LABELS
    # Drawn worst first, so the red dots end up on top where they crowd.
    order = {"red": 2, "amber": 1}
    for p in sorted(points, key=lambda p: (order.get(p.level, 0), p.code)):
        x, y = _x(p.spi), _y(p.cpi)
        shape = (
            f'<path class="pt pt-{escape(p.level)}" d="M{x - 6:.1f},{y - 6:.1f}h12v12h-12z"/>'
            if clipped(p.spi) or clipped(p.cpi)
            else f'<circle class="pt pt-{escape(p.level)}" cx="{x:.1f}" cy="{y:.1f}" r="6"/>'
        )
        tip = f"{escape(p.code)} {escape(p.name)}: SPI {p.spi:.2f}, CPI {p.cpi:.2f}"
        # The code on the side with room: left of the dot near the right edge.
        right = x < LEFT + PLOT_W - 60
        anchor = "start" if right else "end"
        label = (
            f'<text class="pt-label" x="{x + 9 if right else x - 9:.1f}" y="{y + 4:.1f}" '
            f'text-anchor="{anchor}">{escape(p.code)}</text>'
            if labelled
            else ""
        )
        body = f"<title>{tip}</title>{shape}{label}"
        if p.url:
            body = f'<a href="{escape(p.url)}">{body}</a>'
        parts.append(f"<g>{body}</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every user text above is escaped
