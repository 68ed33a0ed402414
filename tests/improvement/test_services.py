"""Services: signal → item keeps its evidence, the workflow, start a project, handovers."""

from __future__ import annotations

import pytest

from twofold.accounts.models import Role
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.models import HistoryEntry
from twofold.improvement import selectors, services
from twofold.improvement.models import Handover, ImprovementItem
from twofold.operations import services as ops
from twofold.projects.models import GateItem

pytestmark = pytest.mark.django_db


def _raise(owner, org, kpi):
    return services.create_item(
        actor=owner,
        organisation=org,
        source="kpi",
        kpi=kpi,
        title="Scrap up",
        problem="Chatter marks on the bore.",
        expected_benefit="Scrap under 2.2 %",
        benefit=5,
        effort="M",
    )


def test_kpi_is_a_signal_with_a_readable_evidence(org, kpi):
    assert kpi.state == "signal"
    rows = selectors.signals(org)
    assert [(r.kind, r.obj.pk, r.headline) for r in rows] == [
        ("kpi", kpi.pk, "Scrap rate — unusual change")
    ]
    assert rows[0].evidence == (
        "Scrap rate: 10 points in a row above the centre line (2 %) since 19 May 2025; "
        "latest 2.8 %, target 2 %."
    )


def test_signal_to_item_keeps_the_evidence_of_the_moment(org, owner, kpi, process):
    item = _raise(owner, org, kpi)
    evidence = item.evidence
    assert evidence.startswith("Scrap rate: 10 points in a row above the centre line")
    assert item.raised_value == 2.8
    assert item.process == process
    assert item.score == 50.0
    # The KPI recovers; the item keeps what it saw when raised.
    ops.add_measurement(
        actor=owner,
        kpi=kpi,
        measured_on=kpi.measurements.last().measured_on.replace(year=2026),
        value=1.9,
    )
    item.refresh_from_db()
    assert item.evidence == evidence
    # The signal now shows the item instead of a button.
    row = next(r for r in selectors.signals(org) if r.obj.pk == kpi.pk)
    assert row.item == item
    entry = HistoryEntry.objects.get(object_repr="Scrap up", action="created")
    assert entry.summary.startswith("Raised from a KPI that needs attention: Scrap rate: 10 points")


def test_workflow_and_stale_edit(org, owner, kpi):
    item = _raise(owner, org, kpi)
    services.set_status(actor=owner, item=item, status="triaged", expected_version=item.version)
    assert item.status == "triaged"
    with pytest.raises(Conflict):
        services.update_item(actor=owner, item=item, expected_version=1, title="Other")
    with pytest.raises(Invalid) as exc:
        services.set_status(actor=owner, item=item, status="rejected", expected_version=None)
    assert exc.value.field == "reason"
    with pytest.raises(Invalid):
        services.set_status(actor=owner, item=item, status="done", expected_version=None)
    with pytest.raises(Invalid) as bad:
        services.update_item(actor=owner, item=item, expected_version=None, benefit=9)
    assert bad.value.field == "benefit"


def test_guest_cannot_raise_and_outsider_sees_nothing(org, owner, kpi, member, outsider):
    guest = member(org, Role.GUEST)
    with pytest.raises(Forbidden):
        _raise(guest, org, kpi)
    item = _raise(owner, org, kpi)
    with pytest.raises(NotFound):
        services.update_item(actor=outsider, item=item, expected_version=None, title="x")
    with pytest.raises(NotFound):
        selectors.get_item(outsider, item.pk)


def test_start_project_creates_it_in_initiation_with_the_manager(org, owner, kpi, manager):
    item = _raise(owner, org, kpi)
    project = services.start_project(
        actor=owner, item=item, expected_version=item.version, manager=manager
    )
    assert project.phase == "initiation"
    assert project.manager == manager
    assert project.name == "Scrap up"
    assert project.code == f"CI-{item.pk:02d}"
    assert project.objectives == "Chatter marks on the bore.\n\nExpected benefit: Scrap under 2.2 %"
    item.refresh_from_db()
    assert item.status == "in_progress" and item.project == project
    with pytest.raises(Invalid):
        services.start_project(actor=owner, item=item, expected_version=None, manager=manager)


def test_an_item_follows_its_running_project(org, owner, kpi, manager):
    """An item whose project was running could be rejected or sent back to triage: that got
    around "done only once the project is in closure" and left it stuck ("already has a
    project")."""
    from twofold.projects.models import Project

    item = _raise(owner, org, kpi)
    project = services.start_project(
        actor=owner, item=item, expected_version=item.version, manager=manager
    )
    item.refresh_from_db()
    for status, reason in (("rejected", "nah"), ("triaged", "")):
        with pytest.raises(Invalid) as caught:
            services.set_status(
                actor=owner, item=item, status=status, expected_version=item.version,
                reason=reason,
            )  # fmt: skip
        assert caught.value.field == "status" and "until the project reaches closure" in str(
            caught.value.message
        )
    Project.objects.filter(pk=project.pk).update(phase="closure")
    item.refresh_from_db()
    services.set_status(
        actor=owner, item=item, status="rejected", expected_version=item.version, reason="Moot"
    )
    item.refresh_from_db()
    assert item.status == "rejected"


def test_a_trashed_project_s_code_is_not_taken_again(org, owner, kpi, manager):
    """A project in the trash keeps its code (it can come back), so the new one gets the next."""
    from twofold.core.trash import move_to_trash
    from twofold.projects import services as projects

    item = _raise(owner, org, kpi)
    old = projects.create_project(
        actor=owner, organisation=org, name="Earlier try", code=f"CI-{item.pk:02d}"
    )
    move_to_trash(actor=owner, obj=old)
    project = services.start_project(actor=owner, item=item, expected_version=None, manager=manager)
    assert project.code == f"CI-{item.pk:02d}-2"


def test_only_an_admin_starts_a_project(org, owner, kpi, manager):
    item = _raise(owner, org, kpi)
    with pytest.raises(Forbidden):
        services.start_project(actor=manager, item=item, expected_version=None, manager=manager)


def test_done_waits_for_project_closure_and_measures_the_kpi(org, owner, kpi, manager):
    item = _raise(owner, org, kpi)
    project = services.start_project(actor=owner, item=item, expected_version=None, manager=manager)
    with pytest.raises(Invalid):
        services.complete_item(actor=owner, item=item, expected_version=None, result="Better")
    project.phase = "closure"
    project.save()
    item.refresh_from_db()
    kpi.latest_value = 2.05
    kpi.save()
    services.complete_item(actor=owner, item=item, expected_version=None, result="Better")
    assert (item.status, item.result_value, item.raised_value) == ("done", 2.05, 2.8)


def test_handover_accept_rules_and_history_on_both_sides(
    org, owner, project, process, manager, process_owner, member
):
    other = member(org, Role.MEMBER)
    with pytest.raises(Forbidden):
        services.propose_handover(actor=other, project=project, process=process)
    handover = services.propose_handover(
        actor=manager,
        project=project,
        process=process,
        deliverables=[{"text": "Training done", "done": True}, "Spare parts"],
    )
    assert handover.deliverables == [
        {"text": "Training done", "done": True},
        {"text": "Spare parts", "done": False},
    ]
    with pytest.raises(Forbidden):
        services.accept_handover(actor=manager, handover=handover, expected_version=None)
    with pytest.raises(Invalid) as exc:
        services.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    assert exc.value.field == "deliverables"
    services.update_deliverables(
        actor=manager,
        handover=handover,
        deliverables=[
            {"text": "Training done", "done": True},
            {"text": "Spare parts", "done": True},
        ],
        expected_version=handover.version,
    )
    with pytest.raises(Conflict):
        services.accept_handover(actor=process_owner, handover=handover, expected_version=1)
    services.accept_handover(
        actor=process_owner, handover=handover, expected_version=handover.version
    )
    assert handover.status == "accepted" and handover.decided_by == process_owner
    actions = set(HistoryEntry.objects.values_list("object_repr", "action"))
    assert (str(project), "handover accepted") in actions
    assert ("Line 2 production", "handover received") in actions
    gate_item = GateItem.objects.get(gate__project=project, text="Handover to operations signed")
    # The project is in Execution (a handover is proposed from execution or closure): the
    # Execution gate's item ticks on acceptance.
    assert project.phase == "execution" and gate_item.done is True


def test_handover_return_needs_a_reason_and_can_be_resubmitted(
    org, owner, project, process, manager, process_owner
):
    handover = services.propose_handover(actor=manager, project=project, process=process)
    with pytest.raises(Invalid):
        services.return_handover(
            actor=process_owner, handover=handover, expected_version=None, reason=" "
        )
    services.return_handover(
        actor=owner, handover=handover, expected_version=None, reason="No spare meters."
    )
    assert (handover.status, handover.return_reason) == ("returned", "No spare meters.")
    with pytest.raises(Forbidden):
        services.resubmit_handover(actor=process_owner, handover=handover, expected_version=None)
    services.resubmit_handover(actor=manager, handover=handover, expected_version=None)
    assert Handover.objects.get().status == "proposed"


def test_outsider_cannot_touch_a_handover(project, process, manager, outsider):
    handover = services.propose_handover(actor=manager, project=project, process=process)
    with pytest.raises(NotFound):
        services.accept_handover(actor=outsider, handover=handover, expected_version=None)
    with pytest.raises(NotFound):
        selectors.get_handover(outsider, handover.pk)
    assert ImprovementItem.objects.count() == 0


def test_nothing_of_an_archived_process_signals(org, owner, kpi, process):
    """Archiving a process hid its KPIs, queues and routines everywhere but the improvement
    signals (docs/operations.md says they are hidden there too)."""
    assert [r.obj.pk for r in selectors.signals(org) if r.kind == "kpi"] == [kpi.pk]
    ops.set_archived(actor=owner, obj=process, archived=True, expected_version=process.version)
    assert [r.obj.pk for r in selectors.signals(org)] == []
    process.refresh_from_db()
    ops.set_archived(actor=owner, obj=process, archived=False, expected_version=process.version)
    assert [r.obj.pk for r in selectors.signals(org) if r.kind == "kpi"] == [kpi.pk]
