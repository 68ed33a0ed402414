"""The history panel written in Python (``{% history_panel %}``) writes what the template wrote."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone

from twofold.core import history
from twofold.core.history import history_for
from twofold.projects import services

# core/partials/history.html before it became the tag (the reference the tag must match).
OLD_HISTORY = '<section class="panel" aria-labelledby="history-title">\n  <h2 id="history-title">History</h2>\n  {% if history %}\n  <ol class="history">\n    {% for entry in history %}\n    <li>\n      <span class="history-when"><time datetime="{{ entry.at|date:\'c\' }}">{{ entry.at|daytime }}</time></span>\n      <span class="history-who">{{ entry.actor|person:"System" }}</span>\n      <span class="history-what">{{ entry.action }}{% if entry.summary %} \u2014 {{ entry.summary }}{% endif %}</span>\n      {% if entry.changes %}\n      <ul class="history-changes">\n        {% for change in entry.readable_changes %}\n        <li><span class="history-field">{{ change.label }}</span>: <del>{{ change.before }}</del> \u2192 <ins>{{ change.after }}</ins></li>\n        {% endfor %}\n      </ul>\n      {% endif %}\n    </li>\n    {% endfor %}\n  </ol>\n  {% else %}\n  <p class="muted">No changes recorded yet.</p>\n  {% endif %}\n</section>\n'


def _both(entries: Any) -> tuple[str, str]:
    old = Template(OLD_HISTORY).render(Context({"history": entries}))
    new = render_to_string("core/partials/history.html", {"history": entries})
    return old, new


@pytest.mark.django_db
def test_the_panel_is_the_same_bytes_as_the_template(project: Any, owner: Any, editor: Any) -> None:
    task, _ = services.create_task(actor=owner, project=project, name="Weld <frame> & 'paint'")
    services.update_task(
        actor=owner,
        task=task,
        expected_version=task.version,
        assignee=editor,
        priority="high",
        description="<script>alert(1)</script>",
    )
    task.refresh_from_db()
    history.record(
        actor=None,
        obj=task,
        action="updated",
        changes={"name": ["<b>old</b>", "new & improved"], "is_milestone": [False, True]},
        summary='Imported "from" <MS Project>',
    )
    entry = history.record(actor=owner, obj=task, action="commented")
    # The night the clocks change in Lisbon (append-only entries: moved with a queryset update).
    moment = dt.datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=dt.UTC)
    type(entry).objects.filter(pk=entry.pk).update(at=moment)
    entries = history_for(task, 20, viewer=None)
    assert len(entries) == 4
    with timezone.override("Europe/Lisbon"):
        old, new = _both(entries)
    assert new == old
    assert "&lt;b&gt;old&lt;/b&gt;</del> → <ins>new &amp; improved</ins>" in new
    assert "Imported &quot;from&quot; &lt;MS Project&gt;" in new and "<script>" not in new
    assert ">System</span>" in new and 'datetime="2026-03-29T00:59:59.123456+00:00"' in new
    old_empty, new_empty = _both([])
    assert new_empty == old_empty and "No changes recorded yet." in new_empty
