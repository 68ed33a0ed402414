"""The hypercare seam: a request raised on a handed-over queue during hypercare records that
the project team is notified and tells every registered listener after the commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.closeout import hypercare, services
from twofold.core.models import HistoryEntry
from twofold.improvement import services as improvement
from twofold.operations import services as ops
from twofold.operations.models import Queue


@pytest.mark.django_db
def test_request_in_hypercare_notifies_the_project_team(
    handover: Any,
    manager: Any,
    process_owner: Any,
    org: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from twofold.calendars.services import ensure_default_calendar

    ensure_default_calendar(org)
    services.add_part(
        actor=manager,
        handover=handover,
        kind="queue",
        name="Energy meter faults",
        spec={"sla_hours": {"p1": {"response": 1, "resolution": 8}}},
    )
    today = dt.date.today()
    services.set_hypercare(
        actor=manager, handover=handover, starts_on=today, ends_on=today + dt.timedelta(days=28)
    )
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    queue = Queue.objects.get(name="Energy meter faults")
    heard: list[hypercare.HypercareNotice] = []
    hypercare.register(heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            request = ops.create_request(actor=process_owner, queue=queue, title="Meter 3 zero")
        # Outside hypercare (created after its last day): nothing recorded, nobody told.
        with django_capture_on_commit_callbacks(execute=True):
            later = ops.create_request(
                actor=process_owner,
                queue=queue,
                title="Late",
                at=dt.datetime.now(dt.UTC) + dt.timedelta(days=40),
            )
    finally:
        hypercare.unregister(heard.append)
    assert [(n.request, n.recipients, n.project_name) for n in heard] == [
        (request, [manager], "Energy monitoring pilot")
    ]
    lines = list(
        HistoryEntry.objects.filter(object_id=request.pk, action="hypercare").values_list(
            "summary", flat=True
        )
    )
    assert lines == [
        "Hypercare: project team notified — Priya Raman (handover of Energy monitoring pilot)"
    ]
    assert not HistoryEntry.objects.filter(object_id=later.pk, action="hypercare").exists()


@pytest.mark.django_db
def test_the_project_team_gets_a_notification_in_hypercare_once(
    handover: Any,
    manager: Any,
    process_owner: Any,
    org: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The notifications app listens on the seam: the manager is told of the request in the
    inbox, once (a replayed notice tells nobody twice)."""
    from twofold.calendars.services import ensure_default_calendar
    from twofold.notifications.hooks import tell_project_team_of_hypercare_request
    from twofold.notifications.models import Notification

    ensure_default_calendar(org)
    services.add_part(
        actor=manager,
        handover=handover,
        kind="queue",
        name="Energy meter faults",
        spec={"sla_hours": {"p1": {"response": 1, "resolution": 8}}},
    )
    today = dt.date.today()
    services.set_hypercare(
        actor=manager, handover=handover, starts_on=today, ends_on=today + dt.timedelta(days=28)
    )
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    queue = Queue.objects.get(name="Energy meter faults")
    with django_capture_on_commit_callbacks(execute=True):
        request = ops.create_request(actor=process_owner, queue=queue, title="Meter 3 zero")
    assert Notification.objects.filter(kind="hypercare", recipient=manager).count() == 1
    notice = hypercare.notice_for(request)
    assert notice is not None
    tell_project_team_of_hypercare_request(notice)  # replayed: nobody is told twice
    told = list(
        Notification.objects.filter(kind="hypercare").values_list("recipient_id", "summary")
    )
    assert told == [
        (
            manager.pk,
            "Hypercare of Energy monitoring pilot: new request “Meter 3 zero” on Energy meter faults",
        )
    ]
