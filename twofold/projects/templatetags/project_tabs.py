"""``{% project_tabs project tab money %}``: the tabs of every project page, written in Python.

``projects/partials/project_head.html`` wrote thirteen links, each a ``{% url %}`` and an
``{% if tab == ... %}``, on every project page (~0.3 ms of a task page whose budget is 12 ms,
docs/benchmarks-web.md). This tag writes the very same markup, byte for byte
(``tests/projects/test_project_tabs.py`` renders the old template beside it). ``money`` is
whether the viewer may see the project's money (the template passes
``request.user|may_see_money:project``): the "Earned value" tab.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from twofold.core.escape import esc
from twofold.core.urlcache import fast_reverse

register = template.Library()

CURRENT = ' aria-current="page"'

# (URL name, tab key, label, only for viewers who may see money), in the order shown.
# "Level resources" is left out for guests (``project_tabs``'s ``editor``): it answered them 403.
TABS = (
    ("projects:detail", "overview", "Overview", False),
    ("projects:tasks", "tasks", "Tasks", False),
    ("projects:gantt", "gantt", "Gantt", False),
    ("projects:board", "board", "Board", False),
    ("projects:baselines", "baselines", "Baselines", False),
    ("projects:gates", "gates", "Gates", False),
    ("risks:project", "register", "Risks", False),
    ("risks:schedule", "schedule", "Schedule risk", False),
    ("capacity:level", "level", "Level resources", False),
    ("changes:project", "changes", "Changes", False),
    ("evm:project", "evm", "Earned value", True),
    ("closeout:project_lessons", "lessons", "Lessons", False),
    ("activity:project", "activity", "Activity", False),
)


EDITORS_ONLY = frozenset({"level"})


@register.simple_tag
def project_tabs(project: Any, tab: Any, money: Any, editor: Any = True) -> SafeString:
    """The ``<nav class="tabs">`` of ``project`` with ``tab`` marked current."""
    out = ['<nav class="tabs" aria-label="Project">\n']
    args = [project.pk]
    for url_name, key, label, needs_money in TABS:
        if (needs_money and not money) or (key in EDITORS_ONLY and not editor and tab != key):
            out.append("  \n")  # the template's line, left empty
            continue
        current = CURRENT if tab == key else ""
        out.append(f'  <a href="{esc(fast_reverse(url_name, args=args))}"{current}>{label}</a>\n')
    out.append("</nav>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
