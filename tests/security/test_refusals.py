"""Refusals found by the permission matrix: a page that refuses a write answers 403 on a page
(not a redirect with a flash message), another organisation's object answers 404, and nothing
changes. One demo organisation for all the checks (loading it is the slow part).

Named to run after ``test_permission_matrix.py``: on PostgreSQL the demo loaded here would move
the id sequences on, and the matrix's generated API bodies name objects by small ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Organisation, Role
from twofold.capacity.models import Reservation
from twofold.closeout.models import HandoverPart
from twofold.core import trash
from twofold.core.models import TrashEntry
from twofold.improvement.models import ImprovementItem
from twofold.operations.models import ChangePoint, Kpi, Request
from twofold.projects.models import Project
from twofold.quality.models import CapaAction


def test_refused_page_writes_answer_403_and_another_organisations_trash_404(
    demo_org: Any, member: Any, make_org: Any, client: Any, api: Any
) -> None:
    org = Organisation.objects.get()
    users = {role: member(org, role) for role in (Role.GUEST, Role.MEMBER, Role.OWNER)}
    rival = member(make_org("Rival Ltd"), Role.OWNER)

    def as_(user: Any) -> Any:
        client.force_login(user)
        return client

    # Trash: another organisation's owner may not restore or purge this one's entries.
    spare = Request.objects.filter(organisation=org).order_by("pk").last()
    entry = trash.move_to_trash(actor=users[Role.OWNER], obj=spare)
    for action in ("restore", "purge"):
        assert as_(rival).post(f"/trash/{entry.pk}/{action}/").status_code == 404
    assert TrashEntry.objects.filter(pk=entry.pk).exists()

    guest, plain = users[Role.GUEST], users[Role.MEMBER]
    request = Request.objects.filter(organisation=org).order_by("pk").first()
    assert request is not None
    assert as_(guest).post(f"/operations/requests/{request.pk}/trash/").status_code == 403
    r = as_(guest).post(
        f"/operations/requests/{request.pk}/assignment/",
        {"action": "priority", "priority": "p1", "version": request.version},
    )
    assert r.status_code == 403
    request.refresh_from_db()
    assert request.deleted_at is None and request.priority != "p1"

    item = ImprovementItem.objects.filter(organisation=org).order_by("pk").first()
    assert item is not None
    assert as_(guest).post(f"/improvement/items/{item.pk}/trash/").status_code == 403
    assert ImprovementItem.objects.filter(pk=item.pk).exists()

    # Change points are an admin's: a member is refused on the page as in the API.
    kpi = Kpi.objects.filter(organisation=org).order_by("pk").first()
    assert kpi is not None
    before = ChangePoint.objects.filter(kpi=kpi).count()
    r = as_(plain).post(
        f"/operations/kpis/{kpi.pk}/change-points/", {"date": "2025-03-03", "label": "Shift"}
    )
    assert r.status_code == 403
    assert ChangePoint.objects.filter(kpi=kpi).count() == before

    # Quality: guests read nonconformances but neither raise them nor change their actions.
    assert as_(guest).get("/operations/quality/new/").status_code == 403
    assert as_(guest).post("/operations/quality/new/", {"title": "Leak"}).status_code == 403
    action = CapaAction.objects.filter(organisation=org).order_by("pk").first()
    assert action is not None
    url = f"/operations/quality/{action.nonconformance_id}/actions/{action.pk}/"
    assert as_(guest).post(url).status_code == 403

    # Capacity: clearing levelling is a member's, removing a reservation an admin's.
    project = Project.objects.filter(organisation=org).order_by("pk").first()
    assert project is not None
    assert as_(guest).post(f"/capacity/projects/{project.pk}/level/clear/").status_code == 403
    reservation = Reservation.objects.filter(
        organisation=org
    ).first() or Reservation.objects.create(
        organisation=org, person=plain, label="Cover", percent=10, start="2025-03-03"
    )
    r = as_(plain).post(f"/capacity/reservations/{reservation.pk}/delete/")
    assert r.status_code == 403
    assert Reservation.objects.filter(pk=reservation.pk).exists()

    # Close-out: a guest may not draft a handover, whatever state it is in (403 before 422).
    part = HandoverPart.objects.filter(organisation=org).order_by("pk").first()
    assert part is not None
    assert as_(guest).post(f"/closeout/parts/{part.pk}/remove/").status_code == 403
    r = api(guest).delete(f"/api/organisations/{org.pk}/handover-parts/{part.pk}?version=1")
    assert r.status_code == 403
    assert HandoverPart.objects.filter(pk=part.pk).exists()


@pytest.mark.django_db
def test_the_search_api_answers_lessons_learned_too(owner: Any, api: Any) -> None:
    """A lesson among the hits made the response fail validation (500): "lesson" was missing
    from the API's kinds."""
    from twofold.closeout.services import record_lesson
    from twofold.projects.models import Phase
    from twofold.search.index import reindex

    project = Project.objects.create(
        organisation=owner.memberships.get().organisation,
        name="Press line",
        code="PL",
        phase=Phase.CLOSURE,
        target_start=dt.date(2026, 1, 5),
    )
    lesson = record_lesson(
        actor=owner,
        project=project,
        title="Torque wrenches calibrated late",
        recommendation="Book calibration a month ahead.",
    )
    org_id = project.organisation_id
    reindex(org_id)
    r = api(owner).get(f"/api/organisations/{org_id}/search?q=wrenches")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["counts"] == {"lesson": 1}
    assert [(h["kind"], h["id"]) for h in body["results"]] == [("lesson", lesson.pk)]
    r = api(owner).get(f"/api/organisations/{org_id}/search?q=wrenches&kind=lesson")
    assert r.status_code == 200 and r.json()["total"] == 1
