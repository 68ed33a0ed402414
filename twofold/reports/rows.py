"""The reports page's project rows, written in Python.

The large demo's 300 projects took about 370 ms to render through the template (six
``floatformat`` and three date filters a row); written here with ``html.escape`` they take a
few milliseconds. The markup is the one the template wrote (``tests/reports``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from html import escape

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
