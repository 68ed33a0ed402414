"""``{% history_panel history %}``: a detail page's history panel, written in Python.

``core/partials/history.html`` looped over up to 20 entries and their changes in the template
language: ~4 ms of a task page whose budget is 12 ms (docs/benchmarks-web.md), most of it
variable lookups and the ``date`` filter. This tag writes the very same markup, byte for byte
(``tests/projects/test_history_panel.py`` compares it with the old template), every value escaped.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from twofold.accounts.templatetags.people import person
from twofold.core import dates
from twofold.core.escape import esc

register = template.Library()


@register.simple_tag
def history_panel(history: Any) -> SafeString:
    """The panel: each entry's local time (ISO in ``datetime``, the organisation's format shown),
    who ("System" for nobody), the action with its summary, then each change in words."""
    out = [
        '<section class="panel" aria-labelledby="history-title">\n'
        '  <h2 id="history-title">History</h2>\n  '
    ]
    if history:
        out.append('\n  <ol class="history">\n    ')
        moment = dates.moment_writer()
        people: dict[Any, str] = {}  # actor id -> the escaped link (most entries share a few)
        for entry in history:
            iso, text = moment(entry.at)
            actor_id = entry.actor_id
            who = people.get(actor_id)
            if who is None:
                who = people[actor_id] = esc(person(entry.actor, "System"))
            summary = f" — {esc(entry.summary)}" if entry.summary else ""
            out.append(
                "\n    <li>\n"
                f'      <span class="history-when"><time datetime="{esc(iso)}">'
                f"{esc(text)}</time></span>\n"
                f'      <span class="history-who">{who}</span>\n'
                f'      <span class="history-what">{esc(entry.action)}{summary}</span>\n      '
            )
            if entry.changes:
                out.append('\n      <ul class="history-changes">\n        ')
                for change in entry.readable_changes:
                    out.append(
                        '\n        <li><span class="history-field">'
                        f"{esc(change.label)}</span>: <del>{esc(change.before)}</del> → "
                        f"<ins>{esc(change.after)}</ins></li>\n        "
                    )
                out.append("\n      </ul>\n      ")
            out.append("\n    </li>\n    ")
        out.append("\n  </ol>\n  ")
    else:
        out.append('\n  <p class="muted">No changes recorded yet.</p>\n  ')
    out.append("\n</section>")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
