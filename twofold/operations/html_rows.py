"""Long lists of the operations pages as HTML, built in Python (as ``costs/grid_html.py``).

A routine's page lists about 120 occurrences, a queue's board up to 100 requests with two
forms each: in the template language each row spent 0.2–0.4 ms on variable look-ups, filters,
includes and ``{% url %}`` tags, more than reading them. These functions
write the same markup the templates wrote (tests compare both); every text is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import floatformat, stringformat
from django.utils.safestring import SafeString, mark_safe

from twofold.accounts.templatetags.people import person
from twofold.core.dates import daytime_writer, format_day
from twofold.core.escape import esc as escape
from twofold.core.urlcache import reverser
from twofold.engine.sla import SlaState
from twofold.operations.models import (
    Measurement,
    Occurrence,
    OccurrenceStatus,
    Priority,
    Request,
    Status,
)
from twofold.operations.selectors import RequestView, SignalView


def _people() -> Callable[[Any, str], str]:
    """``person`` (the filter) kept per person for one list: a list names few people often."""
    links: dict[tuple[int | None, str], str] = {}

    def who(user: Any, default: str = "—") -> str:
        key = (getattr(user, "pk", None), default)
        found = links.get(key)
        if found is None:
            found = links[key] = person(user, default)
        return found

    return who


def _occurrence_status(o: Occurrence, now: dt.datetime, quality_list: str) -> str:
    if o.status == OccurrenceStatus.DONE:
        if o.nonconforming:
            return (
                f'<a class="badge badge-amber" href="{quality_list}?occurrence={o.pk}">'
                "completed with a nonconformance</a>"
            )
        if o.late:
            return '<span class="badge badge-amber">late</span>'
        return '<span class="badge badge-green">on time</span>'
    if o.status == OccurrenceStatus.MISSED:
        note = (
            f' <a class="small" href="{quality_list}?occurrence={o.pk}">nonconformance</a>'
            if o.nonconforming
            else ""
        )
        return f'<span class="badge badge-red">missed</span>{note}'
    if o.due < now:
        return '<span class="badge badge-red">overdue</span>'
    return '<span class="badge">upcoming</span>'


def occurrence_rows(occurrences: Sequence[Occurrence], now: dt.datetime) -> SafeString:
    """The ``<tr>`` of each occurrence (due, status, completed, by) for the routine page."""
    url = reverser()
    quality_list = escape(url("quality:list"))
    daytime, weekday_daytime = daytime_writer(), daytime_writer(weekday=True)
    who = _people()
    out = []
    for o in occurrences:
        link = escape(url("operations:occurrence", o.pk))
        completed = escape(daytime(o.completed_at)) if o.completed_at else "—"
        out.append(
            f'<tr>\n  <td><a href="{link}">{escape(weekday_daytime(o.due))}</a></td>'
            f"\n  <td>{_occurrence_status(o, now, quality_list)}</td>"
            f"\n  <td>{completed}</td><td>{who(o.completed_by, '')}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped


def _sla(v: RequestView) -> str:
    """``operations/partials/sla.html``: the resolution clock's badge."""
    clock = v.resolution
    if clock.stopped:
        word = "met" if clock.state == SlaState.MET else "breached"
        return f'<span class="badge badge-{v.badge}">{word}</span>\n'
    paused = "paused · " if v.paused else ""
    left = " left" if clock.remaining_minutes >= 0 else ""
    return f'<span class="badge badge-{v.badge}">{paused}{escape(v.remaining_text)}{left}</span>\n'


PRIORITY_LABELS = dict(Priority.choices)


@dataclass(frozen=True)
class TicketActions:
    """What the board's ticket forms need of the request being answered."""

    can_contribute: bool
    user_id: int | None
    next_path: str  # where the forms return to
    csrf_token: str


def _ticket_forms(req: Request, actions: TicketActions, url: Callable[..., str]) -> str:
    action = escape(url("operations:request_assignment", req.pk))
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(actions.csrf_token)}">'
    keep = (
        f'<input type="hidden" name="version" value="{req.version}">'
        f'<input type="hidden" name="next" value="{escape(actions.next_path)}">'
    )
    mine = ""
    if req.assignee_id != actions.user_id:
        mine = (
            f'<form method="post" action="{action}">{csrf}'
            '<input type="hidden" name="action" value="assign">'
            f'<input type="hidden" name="assignee" value="me">{keep}'
            '<button type="submit" class="btn btn-small">Assign to me</button></form>'
        )
    options = "".join(
        f'<option value="{value}"{" selected" if value == req.priority else ""}>'
        f"{escape(label)}</option>"
        for value, label in Priority.choices
    )
    return (
        f'<div class="ops-ticket-actions">\n        {mine}\n'
        f'        <form method="post" action="{action}" class="ops-ticket-prio">{csrf}'
        f'<input type="hidden" name="action" value="priority">{keep}'
        f'<label class="visually-hidden" for="prio-{req.pk}">Priority of #{req.pk}</label>'
        f'<select name="priority" id="prio-{req.pk}">{options}</select>'
        '<button type="submit" class="btn btn-small">Set</button></form>\n      </div>'
    )


def queue_tickets(
    views: Sequence[RequestView], *, with_forms: bool, actions: TicketActions
) -> SafeString:
    """The ``<article>`` of each request of one board column (``with_forms``: the column
    takes the assign and priority forms)."""
    url, person_of = reverser(), _people()
    out = []
    for v in views:
        req = v.request
        link = escape(url("operations:request", req.pk))
        who = (
            person_of(req.assignee, "—")
            if req.assignee_id
            else '<span class="muted">Unassigned</span>'
        )
        forms = _ticket_forms(req, actions, url) if with_forms and actions.can_contribute else ""
        out.append(
            f'\n    <article class="ops-ticket ops-ticket-{v.badge}">'
            f'\n      <a href="{link}">#{req.pk} {escape(req.title)}</a>'
            f'\n      <p class="small"><span class="chip">'
            f"{escape(PRIORITY_LABELS.get(req.priority, req.priority))}</span> {_sla(v)}</p>"
            f'\n      <p class="small ops-ticket-who">{who}</p>'
            f"\n      {forms}\n    </article>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped


STATUS_LABELS = dict(Status.choices)


def queue_list_rows(views: Sequence[RequestView]) -> SafeString:
    """The ``<tr>`` of each open request of the list view (by time to breach)."""
    url, person_of = reverser(), _people()
    out = []
    for v in views:
        req = v.request
        link = escape(url("operations:request", req.pk))
        response = v.response
        if response.stopped:
            met = response.state == SlaState.MET
            first = (
                f'<span class="badge badge-{"green" if met else "red"}">'
                f"{'Met' if met else 'Breached'}</span>"
            )
        else:
            first = escape(v.response_text)
        out.append(
            f'<tr><td><a href="{link}">#{req.pk} {escape(req.title)}</a></td>'
            f"<td>{escape(PRIORITY_LABELS.get(req.priority, req.priority))}</td>"
            f"<td>{escape(STATUS_LABELS.get(req.status, req.status))}</td>"
            f"<td>{person_of(req.assignee, '—')}</td>\n<td>{first}</td><td>{_sla(v)}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped


def measurement_rows(measurements: Sequence[Measurement], unit: str) -> SafeString:
    """The KPI page's value rows: day (a link to the value's page), value with the unit, and a
    voided or corrected badge."""
    unit = escape(unit)
    url = reverser()
    out = []
    for m in measurements:
        link = escape(url("operations:measurement", m.pk))
        value = escape(floatformat(m.value, "-2"))
        if m.voided:
            shown = f"<s>{value}</s>"
            badge = f'<span class="badge" title="{escape(m.void_reason)}">voided</span>'
        else:
            shown = value
            badge = (
                '<span class="badge badge-amber" title="Was '
                f'{escape(stringformat(m.original_value, "g"))}: {escape(m.correction_reason)}">'
                "corrected</span>"
                if m.corrected
                else ""
            )
        row_class = ' class="ops-voided"' if m.voided else ""
        out.append(
            f'<tr{row_class}><td><a href="{link}">'
            f'{escape(format_day(m.measured_on))}</a></td><td class="num">{shown} {unit}</td>'
            f"<td>{badge}</td></tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped


def signal_rows(signals: Sequence[SignalView]) -> SafeString:
    """The KPI page's signals, newest first: rule, direction, and the day(s) it covers."""
    out = []
    for s in reversed(signals):
        if len(s.dates) > 1:
            where = (
                f"{escape(format_day(s.dates[0]))} – {escape(format_day(s.dates[-1]))}"
                f" ({len(s.dates)} points)"
            )
        else:
            where = f"{escape(format_day(s.dates[0]))}: {escape(floatformat(s.values[0], '-2'))}"
        out.append(
            f'<tr class="ops-signal"><td>{escape(s.description)}</td>'
            f"<td>{escape(s.direction)}</td><td>{where}</td></tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped
