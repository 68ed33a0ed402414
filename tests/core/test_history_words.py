"""History values as people read them: labels for choices, lists and mappings as text."""

from __future__ import annotations

import pytest

from twofold.calendars import services as calendar_services
from twofold.core import history
from twofold.operations import services

pytestmark = pytest.mark.django_db


def _changes(entry):
    return [(c.label, c.before, c.after) for c in entry.readable_changes]


def test_choices_lists_mappings_and_booleans(org, owner):
    process = services.create_process(actor=owner, organisation=org, name="Desk")
    entry = history.record(
        actor=owner,
        obj=process,
        action="updated",
        changes={
            "annual_budget": ["0.00", "10.00"],
            "archived": [False, True],
            "sla_hours": [None, {"p1": {"response": 0.5, "resolution": 4}}],
            "deliverables": [
                [{"text": "Training done", "done": False}],
                [{"text": "Training done", "done": True}, {"text": "Spares", "done": False}],
            ],
            "hours": [{}, {"0": [["08:00", "12:00"], ["13:00", "17:00"]]}],
            "holidays": [[], ["2025-12-25", "2025-12-26"]],
        },
    )
    assert _changes(entry) == [
        ("Annual budget", "0.00", "10.00"),
        ("Archived", "No", "Yes"),
        ("Sla hours", "—", "p1: response 0.5, resolution 4"),
        ("Deliverables", "Training done", "Training done ✓; Spares"),
        ("Hours", "—", "0: 08:00–12:00, 13:00–17:00"),
        ("Holidays", "—", "2025-12-25; 2025-12-26"),
    ]


def test_status_slugs_become_their_labels(org, owner):
    from twofold.operations.calendars import STANDARD_HOURS

    cal = calendar_services.create_calendar(
        actor=owner, organisation=org, name="Office", hours=STANDARD_HOURS
    )
    queue = services.create_queue(actor=owner, organisation=org, name="Desk", calendar=cal)
    req = services.create_request(actor=owner, queue=queue, title="Printer")
    services.change_request_status(
        actor=owner, request=req, status="in_progress", note="", expected_version=req.version
    )
    entry = history.history_for(req, limit=1, viewer=None)[0]
    assert _changes(entry) == [("Status", "New", "In progress")]
