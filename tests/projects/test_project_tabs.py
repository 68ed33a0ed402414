"""The project tabs written in Python (``{% project_tabs %}``) write what the template wrote."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template

from twofold.evm.access import sees_money

# projects/partials/project_head.html's tabs before the tag (the reference it must match).
OLD_TABS = '<nav class="tabs" aria-label="Project">\n  <a href="{% url \'projects:detail\' project.pk %}"{% if tab == "overview" %} aria-current="page"{% endif %}>Overview</a>\n  <a href="{% url \'projects:tasks\' project.pk %}"{% if tab == "tasks" %} aria-current="page"{% endif %}>Tasks</a>\n  <a href="{% url \'projects:gantt\' project.pk %}"{% if tab == "gantt" %} aria-current="page"{% endif %}>Gantt</a>\n  <a href="{% url \'projects:board\' project.pk %}"{% if tab == "board" %} aria-current="page"{% endif %}>Board</a>\n  <a href="{% url \'projects:baselines\' project.pk %}"{% if tab == "baselines" %} aria-current="page"{% endif %}>Baselines</a>\n  <a href="{% url \'projects:gates\' project.pk %}"{% if tab == "gates" %} aria-current="page"{% endif %}>Gates</a>\n  <a href="{% url \'risks:project\' project.pk %}"{% if tab == "register" %} aria-current="page"{% endif %}>Risks</a>\n  <a href="{% url \'risks:schedule\' project.pk %}"{% if tab == "schedule" %} aria-current="page"{% endif %}>Schedule risk</a>\n  <a href="{% url \'capacity:level\' project.pk %}"{% if tab == "level" %} aria-current="page"{% endif %}>Level resources</a>\n  <a href="{% url \'changes:project\' project.pk %}"{% if tab == "changes" %} aria-current="page"{% endif %}>Changes</a>\n  {% if request.user|may_see_money:project %}<a href="{% url \'evm:project\' project.pk %}"{% if tab == "evm" %} aria-current="page"{% endif %}>Earned value</a>{% endif %}\n  <a href="{% url \'closeout:project_lessons\' project.pk %}"{% if tab == "lessons" %} aria-current="page"{% endif %}>Lessons</a>\n  <a href="{% url \'activity:project\' project.pk %}"{% if tab == "activity" %} aria-current="page"{% endif %}>Activity</a>\n</nav>\n'

OLD = "{% load evm_access %}" + OLD_TABS
NEW = "{% load evm_access project_tabs %}{% project_tabs project tab request.user|may_see_money:project %}"


class _Request:
    def __init__(self, user: Any) -> None:
        self.user = user


@pytest.mark.django_db
@pytest.mark.parametrize("tab", ["overview", "tasks", "evm", "activity", "", None])
def test_the_tabs_are_the_same_bytes_as_the_template(
    project: Any, owner: Any, member: Any, tab: Any
) -> None:
    guest = member(project.organisation, "guest")
    assert sees_money(owner, project) and not sees_money(guest, project)
    for user in (owner, guest):
        context = {"project": project, "tab": tab, "request": _Request(user)}
        old = Template(OLD).render(Context(context))
        new = Template(NEW).render(Context(context))
        assert new == old
        assert (">Earned value</a>" in new) == sees_money(user, project)
        assert new.count('aria-current="page"') == (
            tab in ("overview", "tasks", "activity") or (tab == "evm" and sees_money(user, project))
        )
    assert f'href="/projects/{project.pk}/board/"' in new
