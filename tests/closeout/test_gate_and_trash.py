"""The gate into closure waits for every handover with parts; a project in the trash takes its
handovers' parts, hypercare and "Created by handover of" notes out of reach."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.closeout import selectors, services
from twofold.closeout.models import HandoverPart, Hypercare, Origin
from twofold.core import trash
from twofold.core.errors import Invalid, NotFound
from twofold.core.models import HistoryEntry, TrashEntry
from twofold.improvement import services as improvement
from twofold.improvement.models import Handover
from twofold.operations import services as ops
from twofold.operations.models import Queue
from twofold.projects import services as projects
from twofold.projects.models import Phase, Project

from .conftest import KPI

pytestmark = pytest.mark.django_db


def _tick_execution_gate(project, owner):
    gate = project.gates.get(phase=Phase.EXECUTION)
    for item in gate.items.all():
        projects.toggle_gate_item(actor=owner, item=item, done=True)
    gate.refresh_from_db()
    return gate


def test_another_accepted_handover_does_not_open_the_gate_into_closure(
    org, owner, project, handover, manager, process_owner
):
    """Any accepted handover of the project let it close until 2026-12-06, while the one with
    the drafted KPI still awaited acceptance (and never built it)."""
    services.add_part(actor=manager, handover=handover, kind="kpi", name="Energy", spec=KPI)
    other = ops.create_process(
        actor=owner, organisation=org, name="Facilities", owner=process_owner
    )
    second = improvement.propose_handover(
        actor=manager, project=project, process=other, deliverables=[{"text": "x", "done": True}]
    )
    improvement.accept_handover(actor=process_owner, handover=second, expected_version=None)
    gate = _tick_execution_gate(project, owner)
    with pytest.raises(Invalid) as exc:
        projects.pass_gate(actor=owner, gate=gate, expected_version=gate.version)
    assert exc.value.message == (
        "The handover to Preventive maintenance hands operational deliverables over (routines, "
        "KPIs, queues or documents): its process owner must accept it before the project closes."
    )
    assert Project.objects.get(pk=project.pk).phase == Phase.EXECUTION
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    gate.refresh_from_db()
    projects.pass_gate(actor=owner, gate=gate, expected_version=gate.version)
    assert Project.objects.get(pk=project.pk).phase == Phase.CLOSURE


def test_a_returned_handover_with_parts_still_holds_the_gate(
    owner, project, handover, manager, process_owner
):
    services.add_part(actor=manager, handover=handover, kind="kpi", name="Energy", spec=KPI)
    improvement.return_handover(
        actor=process_owner, handover=handover, expected_version=None, reason="No training"
    )
    gate = _tick_execution_gate(project, owner)
    with pytest.raises(Invalid) as exc:
        projects.pass_gate(actor=owner, gate=gate, expected_version=gate.version)
    assert exc.value.message.startswith("The handover to Preventive maintenance hands ")


def _trash(owner, project):
    trash.move_to_trash(actor=owner, obj=Project.objects.get(pk=project.pk))
    return TrashEntry.objects.get(kind="projects.project", object_id=project.pk)


def test_parts_of_a_project_in_the_trash_answer_404(
    api, signed_in, org, owner, project, handover, manager
):
    """The API renamed and removed them (200/204) until 2026-12-06."""
    part = services.add_part(actor=manager, handover=handover, kind="kpi", name="Energy", spec=KPI)
    entry = _trash(owner, project)
    base = f"/api/organisations/{org.pk}"
    team = api(manager)
    renamed = team.patch(f"{base}/handover-parts/{part.pk}", {"version": 1, "name": "Renamed"})
    assert (renamed.status_code, renamed.json()["detail"]) == (404, "Handover part not found.")
    removed = team.delete(f"{base}/handover-parts/{part.pk}?version=1")
    assert removed.status_code == 404
    page = signed_in(manager).post(f"/closeout/parts/{part.pk}/remove/", {"version": "1"})
    assert page.status_code == 404
    assert not HandoverPart.objects.exists()
    assert HandoverPart.all_objects.values_list("name", "version").get() == ("Energy", 1)
    # The services refuse a part (or handover) read before the project went to the trash.
    with pytest.raises(NotFound):
        services.update_part(actor=manager, part=part, expected_version=1, name="Renamed")
    with pytest.raises(NotFound):
        services.remove_part(actor=manager, part=part, expected_version=1)
    with pytest.raises(NotFound):
        services.add_part(actor=manager, handover=handover, kind="kpi", name="Other", spec=KPI)
    assert HandoverPart.all_objects.values_list("name", "version").get() == ("Energy", 1)
    trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    again = team.patch(f"{base}/handover-parts/{part.pk}", {"version": 1, "name": "Renamed"})
    assert (again.status_code, again.json()["name"]) == (200, "Renamed")


def test_a_project_in_the_trash_no_longer_drives_hypercare_or_origins(
    api, org, owner, project, handover, manager, process_owner
):
    """Its team kept being told of new requests on the queue, and the queue page kept saying
    "Created by handover of" it, until 2026-12-06."""
    from twofold.calendars.services import ensure_default_calendar

    ensure_default_calendar(org)
    services.add_part(actor=manager, handover=handover, kind="queue", name="Faults", spec={})
    today = dt.date.today()
    services.set_hypercare(
        actor=manager, handover=handover, starts_on=today, ends_on=today + dt.timedelta(days=28)
    )
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    queue = Queue.objects.get(name="Faults")
    base = f"/api/organisations/{org.pk}"
    origins_url = f"{base}/origins?model=queue&object_id={queue.pk}"
    assert [o["project_id"] for o in api(process_owner).get(origins_url).json()] == [project.pk]
    assert selectors.hypercare_for_queue(queue).project_id == project.pk

    entry = _trash(owner, project)
    assert selectors.hypercare_for_queue(queue) is None
    assert selectors.origins_of(queue) == []
    assert api(process_owner).get(origins_url).json() == []
    care = api(process_owner).get(f"{base}/queues/{queue.pk}/hypercare").json()
    assert care == {
        "queue_id": queue.pk,
        "in_hypercare": False,
        "starts_on": None,
        "ends_on": None,
        "project_id": None,
        "team": [],
    }
    request = ops.create_request(actor=process_owner, queue=queue, title="Meter 3 reads zero")
    assert selectors.hypercare_team_for(request) == []
    assert not HistoryEntry.objects.filter(object_id=request.pk, action="hypercare").exists()
    assert Hypercare.all_objects.count() == 1 and Origin.all_objects.count() == 1

    trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert selectors.hypercare_for_queue(queue).team == [manager]
    assert [n.project_id for n in selectors.origins_of(queue)] == [project.pk]
    assert Handover.objects.filter(pk=handover.pk).exists()
