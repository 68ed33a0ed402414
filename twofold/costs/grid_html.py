"""The timesheet week's rows as HTML, built in Python (as ``capacity/grid_html.py`` does).

Each row is a heading and seven cells with a label, an input and its state: in the template
language that was a ``{% with %}``, four ``add`` filters, ``forloop`` counters and a filter call
per value for every cell, which cost more than reading the week. Plain string building writes
the same elements and attributes (the page's script and browser test rely on them); every text
is escaped.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from twofold.core import dates
from twofold.costs.templatetags.costs_money import hours
from twofold.costs.weeks import GridRow, Week

BADGES = {"approved": "badge-green", "returned": "badge-red", "submitted": "badge-blue"}
# Cell states: a submitted cell is read-only until decided; an approved one takes corrections.
LOCKS = {
    "submitted": ' readonly aria-describedby="ts-locked-help"',
    "approved": ' aria-describedby="ts-approved-help"',
}
TIMER_KINDS = ("task", "request")
CLEARABLE = ("draft", "returned")


def _head(row: GridRow, number: int, label: str, timer: bool) -> str:
    """The row's ``<th>``: context, label, status badge, return reason, timer button."""
    parts = [
        f'<th scope="row" class="ts-line">\n        <span class="ts-kind small muted">'
        f"{escape(row.line.context)}</span><br>{label}"
    ]
    status = row.status
    if status:
        badge = BADGES.get(status, "badge-not")
        parts.append(
            f' <span class="badge {badge}">{escape(status[:1].upper() + status[1:])}</span>'
        )
    if row.return_reason:
        parts.append(f'<br><span class="small error">Returned: {escape(row.return_reason)}</span>')
    closed = row.closed_reason  # the API's ``closed_reason`` too (weeks.closed_reason)
    if row.line.gone:
        parts.append(f'<br><span class="small muted">{escape(closed)}</span>')
    elif closed is not None:
        parts.append(
            f'<br><span class="small muted">No new hours here: {escape(closed)} '
            "Its hours can be lowered.</span>"
        )
    elif timer and row.line.kind in TIMER_KINDS:
        parts.append(
            f'\n        <br><button type="submit" class="linklike small" form="timer-{number}" '
            f'aria-label="Start a timer on {label}">Start timer</button>'
        )
    parts.append("\n      </th>")
    return "".join(parts)


def week_rows(week: Week) -> SafeString:
    """The ``<tr>`` of every line of the week (the ``<tbody>``'s content)."""
    day_names = [escape(dates.format_day(d, weekday=True)) for d in week.days]
    isodays = [d.isoformat() for d in week.days]
    timer = week.timer is None  # no timer running: each task or request line can start one
    out = []
    for number, row in enumerate(week.rows, start=1):
        label = escape(row.line.label)
        key = escape(row.line.key)
        out.append(f"\n    <tr data-row>\n      {_head(row, number, label, timer)}")
        for column, c in enumerate(row.cells):
            ident = f"c-{number}-{column + 1}"
            status = c.status
            typed = None if c.typed is None else escape(c.typed)  # refused input, shown again
            value = typed if typed is not None else (hours(c.hours) if c.hours else "")
            # A gone line takes no new hours: its cells are shown, not posted, except waiting
            # (draft or returned) hours, which can still be cleared.
            frozen = row.line.gone and status not in CLEARABLE
            name = "" if frozen else f' name="h|{key}|{isodays[column]}"'
            lock = " readonly" if frozen else LOCKS.get(status, "")
            out.append(
                f'\n      <td class="num ts-cell{" ts-" + status if status else ""}">\n'
                f'        <label class="visually-hidden" for="{ident}">{label}, '
                f"{day_names[column]}</label>\n"
                f'        <input id="{ident}"{name} inputmode="decimal" '
                f'autocomplete="off" size="4" value="{value}"{lock} '
                f'data-cell data-col="{column}">\n      </td>'
            )
        out.append(f'\n      <td class="num" data-row-total>{hours(row.total)}</td>\n    </tr>')
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped


def options(choices: list[tuple[str, str]]) -> SafeString:
    """``<option>`` elements for (value, label) pairs."""
    return mark_safe(  # noqa: S308 - every text is escaped
        "".join(f'<option value="{escape(v)}">{escape(label)}</option>' for v, label in choices)
    )
