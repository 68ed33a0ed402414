"""The reports page's project rows, written in Python.

The large demo's 300 projects took about 370 ms to render through the template (six
``floatformat`` and three date filters a row); written here with ``html.escape`` they take a
few milliseconds. The markup is the one the template wrote (``tests/reports``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from twofold.core.dates import format_day, format_day_short
from twofold.projects.dates import finish_day
from twofold.reports.selectors import ProjectRow


def whole(value: float) -> str:
    """A percentage as ``floatformat:0`` writes it (half up: 12.5 → 13)."""
    return str(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def one_decimal(value: float) -> str:
    """As ``floatformat:"-1"`` writes it: one decimal, none when it is 0 (2.0 → 2, 2.25 → 2.3)."""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return (
        str(rounded.to_integral_value()) if rounded == rounded.to_integral_value() else str(rounded)
    )


def _index(value: Decimal | None, badge: str) -> str:
    if value is None:
        return '<span class="muted">—</span>'
    return f'<span class="index index-{badge}">{value}</span>'


def project_rows(rows: Sequence[ProjectRow], project_url: str) -> SafeString:
    """One ``<tr>`` per project: name and code, phase, progress bar against plan, finish and
    slip, SPI, CPI, next milestone, health with its reasons. Every user text is escaped."""
    out = []
    for row in rows:
        c = row.card
        p = c.project
        done, planned = whole(c.percent_complete), whole(c.percent_planned)
        archived = ' <span class="badge">Archived</span>' if p.archived_at else ""
        finish = format_day(finish_day(p.scheduled_finish, start=p.scheduled_start)) or "—"
        slip = ""
        if c.slip_days:
            late = c.slip_days > 0
            slip = (
                f'<br><span class="small {"text-red" if late else "muted"}">'
                f"{'+' if late else ''}{one_decimal(c.slip_days)} d vs baseline</span>"
            )
        milestone = (
            f"{escape(c.next_milestone)}<br>"
            f'<span class="small muted">{format_day_short(c.next_milestone_date)}</span>'
            if c.next_milestone
            else '<span class="muted small">None open</span>'
        )
        h = c.health
        items = "".join(f"<li>{escape(r)}</li>" for r in h.reasons)
        reasons = f'<ul class="reasons small">{items}</ul>' if items else ""
        title = f' title="{escape("; ".join(h.reasons))}"' if h.reasons else ""
        out.append(
            "<tr>"
            f'<td><a href="{project_url}{p.pk}/">{escape(p.name)}</a><br>'
            f'<span class="mono small muted">{escape(p.code)}</span>{archived}</td>'
            f'<td class="nowrap">{escape(str(p.get_phase_display()))}</td>'
            '<td class="report-progress"><div class="progress progress-sm" role="img" '
            f'aria-label="{done}% complete, {planned}% planned by today">'
            f'<div class="progress-done" style="width: {done}%"></div>'
            f'<div class="progress-plan" style="left: {planned}%"></div></div>'
            f'<span class="small">{done} % / {planned} %</span></td>'
            f'<td class="nowrap">{finish}{slip}</td>'
            f'<td class="nowrap">{_index(row.spi, row.spi_badge)}</td>'
            f'<td class="nowrap">{_index(row.cpi, row.cpi_badge)}</td>'
            f"<td>{milestone}</td>"
            f'<td><span class="badge badge-{h.level.value}"{title}>{escape(str(h.label))}</span>'
            f"{reasons}</td>"
            "</tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 — every user text above is escaped


def two_or_whole(value: float) -> str:
    """As ``floatformat:-2`` writes it: two decimals, none for a whole number (80.0 → 80,
    2.5 → 2.50, 79.734 → 79.73)."""
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return str(rounded.to_integral_value())
    return str(rounded)


def kpi_rows(kpis: Sequence[Any], kpi_url: str) -> SafeString:
    """One ``<tr>`` per KPI: process, name (linked), latest value, target, state."""
    out = []
    for k in kpis:
        unit = escape(k.unit)
        latest = f"{two_or_whole(k.latest_value)} {unit}" if k.latest_value is not None else "—"
        archived = ' <span class="muted small">(archived)</span>' if k.archived else ""
        out.append(
            f"<tr><td>{escape(k.process.name)}</td>"
            f'<td><a href="{kpi_url}{k.pk}/">{escape(k.name)}</a></td>'
            f"<td>{latest}</td><td>{two_or_whole(k.target)} {unit}</td>"
            f"<td>{escape(str(k.state_label))}{archived}</td></tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 — every user text above is escaped


NO_KPIS = '<span class="muted">None</span>'


def _rate(value: float | None, badge: str, text: str) -> str:
    if value is None:
        return '<span class="muted">—</span>'
    return f'<span class="badge badge-{badge}">{escape(text)}</span>'


def process_rows(processes: Sequence[Any], process_url: str, kpi_url: str) -> SafeString:
    """One ``<tr>`` per process: name (linked), open requests, SLA met and routines on time
    over 90 days, open nonconformances, its KPIs with their states."""
    out = []
    for p in processes:
        kpis = "<br>".join(
            f'<a href="{kpi_url}{k.pk}/">{escape(k.name)}</a>: {escape(str(k.state_label))}'
            for k in p.kpis
        )
        ncs = (
            f'<span class="text-red">{p.open_nonconformances}</span>'
            if p.open_nonconformances
            else "0"
        )
        out.append(
            f'<tr><td><a href="{process_url}{p.process.pk}/">{escape(p.process.name)}</a></td>'
            f"<td>{p.open_requests}</td>"
            f"<td>{_rate(p.sla, p.sla_badge, p.sla_text)}</td>"
            f"<td>{_rate(p.on_time, p.on_time_badge, p.on_time_text)}</td>"
            f"<td>{ncs}</td>"
            f'<td class="small">{kpis or NO_KPIS}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 — every user text above is escaped
