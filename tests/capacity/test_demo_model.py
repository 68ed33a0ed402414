"""The capacity model's demo: a routine-heavy person whose week levelling respects."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from twofold.accounts.models import User
from twofold.capacity import selectors, services, take_on
from twofold.capacity.models import QueueWorkload, Reservation
from twofold.demo.people import DEMO_EMAIL
from twofold.projects.models import Assignment, Project


def test_jonas_berg_routines_and_on_call_are_respected_by_levelling(
    client: object, demo_summary: str
) -> None:
    summary = demo_summary
    assert "capacity model: Jonas Berg's daily Line 2 routines, 2 standing reservations" in summary
    dana = User.objects.get(email=DEMO_EMAIL)
    jonas = User.objects.get(full_name="Jonas Berg")
    org = Project.objects.get(code="OPX-03").organisation
    assert Reservation.objects.filter(person=jonas, percent=30).exists()
    assert QueueWorkload.objects.count() == 2
    assert Assignment.objects.filter(task__name="Racking changes").count() == 2
    # Next week: 2.5 h of routines a day and 12 h of on-call, and the two Line 3 tasks.
    today = timezone.localdate()
    week = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
    detail = selectors.cell_detail(org, jonas, week)
    kinds = {(s.kind, s.name): s.hours for s in detail.sources}
    assert kinds[("reservation", "On-call for Line 2")] == 12.0
    assert kinds[("routine", "Shift handover, Line 2")] == 5.0
    assert kinds[("task", "Robot cell trial run (Line 2 crew)")] == 9.0
    # Levelling Line 3 moves the training behind the trial: both would fit a free day.
    line3 = Project.objects.get(code="OPX-03")
    preview = services.preview_levelling(actor=dana, project=line3)
    training = next(
        m for m in preview.moves if m.task.name == "Robot cell operator training (Line 2 crew)"
    )
    assert training.reason.startswith(
        "Waits for Jonas Berg, busy on 'Robot cell trial run (Line 2 crew)'"
    )
    # The proposed warehouse project can be checked.
    result = take_on.take_on(org, Project.objects.get(code="OPX-08"))
    assert result.hours > 0 and result.teams
    client.force_login(dana)  # type: ignore[attr-defined]
    for url in (reverse("capacity:usage"), reverse("capacity:reservations")):
        assert client.get(url).status_code == 200  # type: ignore[attr-defined]
