"""The capacity grid's cells as HTML, built in Python.

200 people × 12 weeks is 2,400 cells with a link, an accessible label and a stacked bar each;
the template language spends seconds on that many nodes, plain string building a few
milliseconds. The markup is the same as a template would write; every text is escaped.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from twofold.capacity.selectors import Cell, PersonRow
from twofold.core import dates


def number(value: float) -> str:
    """As ``floatformat:"-1"``: one decimal, none when it is a whole number."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def bar(cell: Cell) -> str:
    forecast = " cap-bar-forecast" if cell.forecast else ""
    return (
        '<span class="cap-bar" aria-hidden="true">'
        f'<span class="cap-bar-proj" style="width: {cell.project_pct}%"></span>'
        f'<span class="cap-bar-ops{forecast}" style="width: {cell.operations_pct}%"></span>'
        f'<span class="cap-bar-cap" style="left: {cell.capacity_pct}%"></span></span>'
    )


@functools.cache
def _base() -> str:
    return reverse("capacity:cell")


@functools.lru_cache(maxsize=64)
def _week_label(week: dt.date, pattern: str) -> str:
    return str(escape(dates.format_day_short(week)))


@functools.cache
def _availability_url() -> str:
    """The availability page's address with a placeholder id (one ``reverse`` per process)."""
    return reverse("capacity:availability", args=[987654321]).replace("987654321", "{}")


def row_head(row: PersonRow) -> SafeString:
    """The row's ``<th>``: the person's name and a link to their availability."""
    name = escape(row.user.display_name)
    url = _availability_url().format(row.user.pk)
    return mark_safe(  # noqa: S308 - every text is escaped
        f'<th scope="row" class="cap-person"><span class="cap-name">{name}</span>'
        f'<a class="small cap-avail-link" href="{url}" title="Availability of {name}">'
        f"{number(row.capacity)} h/wk"
        f'<span class="visually-hidden">: availability of {name}</span></a></th>'
    )


def row_cells(row: PersonRow) -> SafeString:
    """The ``<td>`` of each week of ``row``."""
    base = _base()
    pattern = dates.active_format()
    name = escape(row.user.display_name)
    parts = []
    for c in row.cells:
        url = f"{base}?person={row.user.pk}&amp;week={c.week.isoformat()}"
        away = [escape(a) for a in c.away]
        label = (
            f"{name}, week of {_week_label(c.week, pattern)}: {number(c.hours)} of "
            f"{number(c.capacity)} hours ({number(c.project)} project, "
            f"{number(c.operations)} operations)"
            + (f", {number(c.over)} over" if c.over else "")
            + "".join(f", {a}" for a in away)
            + (f"; {number(c.actual)} hours actual (approved timesheets)" if c.actual else "")
        )
        hours = (
            f'<span class="cap-hours">{number(c.hours)}</span>'
            if c.hours
            else '<span class="cap-zero">·</span>'
        )
        over = f'<span class="cap-overby">+{number(c.over)}</span>' if c.over else ""
        if c.actual:  # approved timesheet hours beside the planned ones
            over += f'<span class="cap-actual" aria-hidden="true">act {number(c.actual)}</span>'

        marks = "".join(f'<span class="cap-away" aria-hidden="true">{a}</span>' for a in away)
        parts.append(
            f'<td class="cap-cell cap-{c.state}"><a href="{url}" hx-get="{url}" '
            f'hx-target="#cell-detail" hx-swap="outerHTML" aria-label="{label}">'
            f"{hours}{bar(c)}{over}{marks}</a></td>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def rows_html(rows: list[PersonRow]) -> SafeString:
    """The grid's body: a ``<tr>`` per person with their head and cells."""
    return mark_safe(  # noqa: S308 - row_head and row_cells escape every text
        "".join(f"<tr>{row_head(row)}{row_cells(row)}</tr>" for row in rows)
    )
