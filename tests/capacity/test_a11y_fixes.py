"""Keyboard and screen-reader basics a review found missing (2026-12-05), on rendered pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.capacity.conftest import add_task

pytestmark = pytest.mark.django_db


def test_the_availability_page_has_each_id_once(client: Any, org: Any, owner: Any, priya: Any):
    """The working pattern and the absence form both had ``id_note`` and ``id_version``: the
    pattern's "Note" label named the absence's input."""
    client.force_login(owner)
    page = client.get(f"/capacity/people/{priya.pk}/availability/").content.decode()
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert 'for="pattern_note"' in page and 'id="pattern_note"' in page


def test_a_field_error_is_named_by_its_input(client: Any, org: Any, owner: Any) -> None:
    """Django's widget says ``aria-describedby="id_name_error"``; nothing had that id."""
    client.force_login(owner)
    page = client.post("/projects/new/", {"name": "", "code": ""}).content.decode()
    assert 'aria-describedby="id_name_error"' in page
    assert '<div id="id_name_error"><p class="error" role="alert">' in page


def test_the_gantt_bars_are_reachable_and_say_what_the_colour_says(
    client: Any, owner: Any, project: Any
) -> None:
    """The chart was role="img", which hides its focusable bars; critical showed by colour."""
    task = add_task(owner, project, "Wire panel", 2)
    client.force_login(owner)
    page = client.get(f"/projects/{project.pk}/gantt/").content.decode()
    assert 'class="gantt-svg"' in page and 'role="img" aria-labelledby="gantt-title"' not in page
    assert 'role="group" aria-labelledby="gantt-title"' in page
    bar = re.search(rf'data-task="{task.pk}"[^>]*', page)
    assert bar is not None and 'role="button"' in bar.group(0)
    assert re.search(r'aria-label="Wire panel: [^"]*, critical"', bar.group(0))


def test_sla_inputs_carry_their_names(org: Any) -> None:
    """The handover's queue part shows the eight SLA inputs in a table without their labels
    (the queue's own page names them in its template)."""
    from twofold.operations.forms import QueueForm

    widget = str(QueueForm(organisation=org)["p1_response"])
    assert 'aria-label="P1 Critical: first response (h)"' in widget
