"""A handover to a process that does not exist yet: drafted by the project team, created on
acceptance (with the routines, KPIs and queues under it) in one transaction, linked back."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from twofold.accounts.models import Role
from twofold.closeout import services
from twofold.closeout.models import Origin
from twofold.core.errors import Forbidden, Invalid
from twofold.improvement import services as improvement
from twofold.improvement.models import Handover
from twofold.operations.models import Kpi, Process, Routine

from .conftest import KPI, ROUTINE


@pytest.fixture
def kitting_owner(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Kwame Asante")


@pytest.fixture
def new_handover(project: Any, manager: Any, kitting_owner: Any) -> Any:
    return improvement.propose_handover(
        actor=manager,
        project=project,
        process=None,
        new_process_name="  Energy   monitoring ",
        new_process_owner=kitting_owner,
        new_process_description="Weekly energy review of Line 2.",
        deliverables=[{"text": "Training done", "done": True}],
    )


@pytest.mark.django_db
def test_acceptance_creates_the_process_and_its_parts_linked_back(
    new_handover: Any, manager: Any, kitting_owner: Any, project: Any
) -> None:
    assert new_handover.process_id is None
    assert new_handover.receiving_name == "Energy monitoring (new process)"
    assert improvement.may_decide(kitting_owner, new_handover)
    assert not improvement.may_decide(manager, new_handover)
    services.add_part(actor=manager, handover=new_handover, kind="routine", name="R", spec=ROUTINE)
    services.add_part(actor=manager, handover=new_handover, kind="kpi", name="K", spec=KPI)

    improvement.accept_handover(actor=kitting_owner, handover=new_handover, expected_version=None)

    process = Process.objects.get(name="Energy monitoring")
    assert process.owner == kitting_owner
    assert process.description == "Weekly energy review of Line 2."
    assert Routine.objects.get().process == process
    assert Kpi.objects.get().process == process
    handover = Handover.objects.get()
    assert handover.process == process and handover.creates_process
    origin = Origin.objects.get(object_id=process.pk, part=None)
    assert (origin.project, origin.action) == (project, "created")
    assert Origin.objects.count() == 3


@pytest.mark.django_db
def test_a_refused_part_creates_nothing_not_even_the_process(
    new_handover: Any, manager: Any, kitting_owner: Any
) -> None:
    part = services.add_part(actor=manager, handover=new_handover, kind="kpi", name="K", spec=KPI)
    # The KPI's values turned bad since drafting (e.g. a direct edit): acceptance refuses.
    type(part).objects.filter(pk=part.pk).update(spec={**KPI, "target": 2.5})
    with pytest.raises(Invalid) as exc:
        improvement.accept_handover(
            actor=kitting_owner, handover=new_handover, expected_version=None
        )
    assert exc.value.field == f"parts.{part.pk}.target"
    assert not Process.objects.filter(name="Energy monitoring").exists()
    assert Handover.objects.get().status == "proposed" and Handover.objects.get().process is None


@pytest.mark.django_db
def test_bad_new_process_input_names_the_field(
    project: Any, manager: Any, process: Any, org: Any, member: Any, kitting_owner: Any
) -> None:
    def propose(**kw: Any) -> Any:
        return improvement.propose_handover(
            actor=manager, project=project, process=kw.pop("process", None), **kw
        )

    cases = [
        ({}, "process"),
        ({"new_process_name": "Kitting"}, "new_process_owner"),
        (
            {"new_process_name": "preventive MAINTENANCE", "new_process_owner": kitting_owner},
            "new_process_name",
        ),
        ({"new_process_name": "x" * 121, "new_process_owner": kitting_owner}, "new_process_name"),
        (
            {"new_process_name": "Kitting", "new_process_owner": member(org, Role.GUEST)},
            "new_process_owner",
        ),
        ({"new_process_name": "Kitting", "process": process}, "new_process_name"),
    ]
    for kw, field in cases:
        with pytest.raises(Invalid) as exc:
            propose(**kw)
        assert exc.value.field == field, kw
    assert Handover.objects.count() == 0


@pytest.mark.django_db
def test_team_edits_the_draft_others_cannot(
    new_handover: Any, manager: Any, kitting_owner: Any, org: Any, member: Any
) -> None:
    improvement.set_new_process(
        actor=manager,
        handover=new_handover,
        name="Energy review",
        owner=kitting_owner,
        description="",
        expected_version=new_handover.version,
    )
    assert Handover.objects.get().new_process_name == "Energy review"
    with pytest.raises(Forbidden):
        improvement.set_new_process(
            actor=member(org, Role.MEMBER),
            handover=new_handover,
            name="Other",
            owner=kitting_owner,
            description="",
            expected_version=None,
        )


@pytest.mark.django_db
def test_page_and_api(
    client: Any, api: Any, org: Any, new_handover: Any, manager: Any, kitting_owner: Any
) -> None:
    client.force_login(manager)
    url = reverse("improvement:handover", args=[new_handover.pk])
    page = client.get(url).content.decode()
    assert "New process" in page and "Save new process" in page
    bad = client.post(
        url,
        {
            "action": "new_process",
            "version": new_handover.version,
            "new_process_name": "",
            "new_process_owner": kitting_owner.pk,
        },
    )
    assert bad.status_code == 422 and "This field is required" in bad.content.decode()
    client.force_login(kitting_owner)
    done = client.post(url, {"action": "accept", "version": new_handover.version})
    assert done.status_code == 302
    assert Process.objects.filter(name="Energy monitoring", owner=kitting_owner).exists()
    # API: propose to a new process, then a bad edit names the field.
    path = f"/api/organisations/{org.pk}/improvement/handovers"
    answer = api(manager).post(
        path,
        {
            "project_id": new_handover.project_id,
            "new_process_name": "Kitting",
            "new_process_owner_id": kitting_owner.pk,
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["process_id"] is None and body["new_process_name"] == "Kitting"
    bad_api = api(manager)._call(
        "put",
        f"{path}/{body['id']}/new-process",
        {"version": body["version"], "name": "Energy monitoring", "owner_id": kitting_owner.pk},
    )
    assert bad_api.status_code == 422
    assert bad_api.json()["field"] == "name"


@pytest.mark.django_db(transaction=True)
def test_two_admins_accepting_at_once_create_the_process_once(
    org: Any, member: Any, new_handover: Any, manager: Any, kitting_owner: Any
) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("SQLite's in-memory test database cannot be shared by threads")
    services.add_part(actor=manager, handover=new_handover, kind="kpi", name="K", spec=KPI)
    admin = member(org, Role.ADMIN)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user: Any) -> None:
        try:
            mine = Handover.objects.select_related("project", "process").get(pk=new_handover.pk)
            barrier.wait()
            improvement.accept_handover(actor=user, handover=mine, expected_version=None)
            outcomes.append("accepted")
        except Invalid as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (kitting_owner, admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["This handover is already accepted.", "accepted"]
    assert Process.objects.filter(name="Energy monitoring").count() == 1
    assert Kpi.objects.count() == 1
