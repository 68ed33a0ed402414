"""Handovers that build operations: drafting, acceptance, the rules that hold, the gate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.closeout import selectors, services
from twofold.closeout.models import HandoverPart, Hypercare, Origin
from twofold.core.errors import Forbidden, Invalid
from twofold.core.history import history_for
from twofold.improvement import services as improvement
from twofold.improvement.models import Handover
from twofold.operations import services as ops
from twofold.operations.models import Kpi, Queue, Routine, RoutineStep
from twofold.projects import services as projects
from twofold.projects.models import Phase, Project

from .conftest import KPI, ROUTINE

pytestmark = pytest.mark.django_db


def _draft(handover: Any, manager: Any) -> tuple[Any, Any]:
    routine = services.add_part(
        actor=manager, handover=handover, kind="routine", name="Weekly meter review", spec=ROUTINE
    )
    kpi = services.add_part(
        actor=manager, handover=handover, kind="kpi", name="Energy per part", spec=KPI
    )
    return routine, kpi


def test_accepting_builds_routine_and_kpi_linked_back(handover, manager, process_owner, process):
    routine_part, kpi_part = _draft(handover, manager)
    assert routine_part.spec["steps"] == [
        {
            "text": "Read the sub-meters",
            "evidence": "number",
            "min_value": None,
            "max_value": None,
            "unit": "",
        },
        {"text": "Compare with last week", "evidence": "none"},
    ]

    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)

    routine = Routine.objects.get(name="Weekly meter review")
    assert routine.process == process
    assert routine.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert routine.starts_on == dt.date(2027, 1, 4)
    assert routine.due_time == dt.time(9, 0)
    assert routine.effort_minutes == 45
    assert list(RoutineStep.objects.filter(routine=routine).values_list("text", "evidence")) == [
        ("Read the sub-meters", "number"),
        ("Compare with last week", "none"),
    ]
    kpi = Kpi.objects.get(name="Energy per part")
    assert (kpi.good_direction, kpi.target, kpi.amber_threshold, kpi.red_threshold) == (
        "down",
        1.8,
        2.0,
        2.2,
    )
    notes = selectors.origins_of(kpi)
    assert [(n.action, n.project_name) for n in notes] == [("created", "Energy monitoring pilot")]
    assert HandoverPart.objects.get(pk=kpi_part.pk).result_id == kpi.pk
    # The operations history names the process owner (a member) as the one who created them.
    assert history_for(kpi, viewer=None)[0].actor == process_owner
    summary = history_for(handover, viewer=None)[0].summary
    assert "created routine Weekly meter review, KPI Energy per part" in summary


def test_a_kpi_whose_target_contradicts_its_direction_is_refused_naming_target(handover, manager):
    with pytest.raises(Invalid) as exc:
        services.add_part(
            actor=manager,
            handover=handover,
            kind="kpi",
            name="Energy per part",
            spec={**KPI, "target": 2.5},
        )
    assert exc.value.field == "target"
    assert "lower is better" in exc.value.message
    assert HandoverPart.objects.count() == 0


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({**ROUTINE, "rrule": "FREQ=SOMETIMES"}, "rrule"),
        ({**ROUTINE, "effort_minutes": 0}, "effort_minutes"),
        ({**ROUTINE, "starts_on": "next monday"}, "starts_on"),
        ({**ROUTINE, "steps": [{"text": "x", "evidence": "selfie"}]}, "steps"),
        ({**ROUTINE, "colour": "red"}, "colour"),
    ],
)
def test_bad_routine_parts_name_the_field(handover, manager, spec, field):
    with pytest.raises(Invalid) as exc:
        services.add_part(actor=manager, handover=handover, kind="routine", name="R", spec=spec)
    assert exc.value.field == field
    assert HandoverPart.objects.count() == 0


def test_a_failure_on_acceptance_leaves_nothing_half_created(handover, manager, process_owner):
    _draft(handover, manager)
    # The KPI became contradictory after drafting (a direct edit bypassing the draft check).
    HandoverPart.objects.filter(kind="kpi").update(spec={**KPI, "target": 2.5})
    with pytest.raises(Invalid) as exc:
        improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    assert exc.value.field == f"parts.{HandoverPart.objects.get(kind='kpi').pk}.target"
    assert "KPI “Energy per part”" in exc.value.message
    assert Routine.objects.count() == 0 and Kpi.objects.count() == 0
    assert Origin.objects.count() == 0
    assert Handover.objects.get().status == "proposed"


def test_accepting_twice_creates_once(handover, manager, process_owner, owner):
    _draft(handover, manager)
    stale = Handover.objects.get(pk=handover.pk)
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    with pytest.raises(Invalid) as exc:
        improvement.accept_handover(actor=owner, handover=stale, expected_version=None)
    assert exc.value.message == "This handover is already accepted."
    assert Routine.objects.count() == 1 and Kpi.objects.count() == 1


def test_handover_only_from_execution_or_closure(org, owner, manager, process):
    project = projects.create_project(
        actor=owner, organisation=org, name="Early", code="E-1", manager=manager
    )
    with pytest.raises(Invalid) as exc:
        improvement.propose_handover(actor=manager, project=project, process=process)
    assert exc.value.field == "project"
    assert "is in Initiation" in exc.value.message
    assert Handover.objects.count() == 0


def test_the_proposer_cannot_accept_unless_an_owner(org, member, project, process, owner):
    admin = member(org, Role.ADMIN)
    handover = improvement.propose_handover(
        actor=admin, project=project, process=process, deliverables=["Training done"]
    )
    improvement.update_deliverables(
        actor=admin,
        handover=handover,
        deliverables=[{"text": "Training done", "done": True}],
        expected_version=None,
    )
    with pytest.raises(Forbidden):
        improvement.accept_handover(actor=admin, handover=handover, expected_version=None)
    assert Handover.objects.get().status == "proposed"

    own = improvement.propose_handover(
        actor=owner,
        project=project,
        process=ops.create_process(actor=owner, organisation=org, name="Second"),
        deliverables=[{"text": "Training done", "done": True}],
    )
    improvement.accept_handover(actor=owner, handover=own, expected_version=None)
    entry = history_for(own, viewer=None)[0]
    assert entry.action == "accepted own proposal"
    assert "their own proposal, accepted as an owner of the organisation" in entry.summary


def test_only_the_project_team_drafts(handover, member, org):
    stranger = member(org, Role.MEMBER)
    with pytest.raises(Forbidden):
        services.add_part(actor=stranger, handover=handover, kind="kpi", name="K", spec=KPI)


def test_queue_and_hypercare(handover, manager, process_owner, process, org):
    from twofold.calendars.services import ensure_default_calendar

    ensure_default_calendar(org)
    services.add_part(
        actor=manager,
        handover=handover,
        kind="queue",
        name="Energy meter faults",
        spec={"sla_hours": {"p1": {"response": 1, "resolution": 8}}},
    )
    with pytest.raises(Invalid) as exc:
        services.set_hypercare(
            actor=manager,
            handover=handover,
            starts_on=dt.date(2027, 2, 1),
            ends_on=dt.date(2027, 1, 1),
        )
    assert exc.value.field == "ends_on"
    today = dt.date.today()
    services.set_hypercare(
        actor=manager,
        handover=handover,
        starts_on=today,
        ends_on=today + dt.timedelta(days=28),
    )
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    queue = Queue.objects.get(name="Energy meter faults")
    assert queue.process == process
    assert queue.sla_hours["p1"] == {"response": 1.0, "resolution": 8.0}
    assert Hypercare.objects.get().queue == queue
    request = ops.create_request(actor=process_owner, queue=queue, title="Meter 3 reads zero")
    assert selectors.hypercare_team_for(request) == [manager]
    assert selectors.hypercare_team_for(request, today + dt.timedelta(days=29)) == []


def test_closure_gate_waits_for_the_accepted_handover(handover, manager, owner, process_owner):
    project = handover.project
    _draft(handover, manager)
    gate = project.gates.get(phase=Phase.EXECUTION)
    for item in gate.items.all():
        projects.toggle_gate_item(actor=owner, item=item, done=True)
    with pytest.raises(Invalid) as exc:
        projects.pass_gate(actor=owner, gate=gate)
    assert exc.value.message == (
        "The handover to Preventive maintenance hands operational deliverables over (routines, "
        "KPIs, queues or documents): its process owner must accept it before the project closes."
    )
    assert Project.objects.get(pk=project.pk).phase == Phase.EXECUTION
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    gate.refresh_from_db()
    projects.pass_gate(actor=owner, gate=gate)
    assert Project.objects.get(pk=project.pk).phase == Phase.CLOSURE


def test_lessons_are_searchable(
    org, owner, project, manager, signed_in, django_capture_on_commit_callbacks
):
    from twofold.search.models import SearchDocument

    Project.objects.filter(pk=project.pk).update(phase=Phase.CLOSURE)
    project.refresh_from_db()
    with pytest.raises(Invalid) as exc:
        services.record_lesson(actor=manager, project=project, title="  ")
    assert exc.value.field == "title"
    with django_capture_on_commit_callbacks(execute=True):
        lesson = services.record_lesson(
            actor=manager,
            project=project,
            title="Order sub-meters early",
            did_not_work="Sub-meters had a twelve-week lead time.",
        )
    doc = SearchDocument.objects.get(kind="lesson", object_id=lesson.pk)
    assert doc.url == f"/closeout/lessons/{lesson.pk}/"
    assert doc.context == "DIG-01 Energy monitoring pilot"
    found = signed_in(manager).get("/search/?q=twelve-week").content.decode()
    assert "Order sub-meters early" in found


@pytest.mark.parametrize("kind", ["kpi", "routine"])
def test_a_part_whose_object_went_to_the_trash_is_refused_naming_the_part(
    handover, manager, process_owner, owner, process, kind
):
    """Until 2026-12-05 acceptance answered 500 (``DoesNotExist``) here."""
    from twofold.core import trash

    if kind == "kpi":
        existing = ops.create_kpi(actor=owner, process=process, name="Energy per part", **KPI)
        spec, name = KPI, "Energy per part"
    else:
        existing = ops.create_routine(
            actor=owner,
            process=process,
            name="Weekly meter review",
            rrule="FREQ=WEEKLY;BYDAY=MO",
            starts_on=dt.date(2027, 1, 4),
        )
        spec, name = ROUTINE, "Weekly meter review"
    part = services.add_part(
        actor=manager, handover=handover, kind=kind, name=name, spec=spec, existing_id=existing.pk
    )
    trash.move_to_trash(actor=owner, obj=existing)
    with pytest.raises(Invalid) as exc:
        improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    assert exc.value.field == f"parts.{part.pk}.existing_id"
    assert "no longer in Preventive maintenance" in exc.value.message
    assert exc.value.message.startswith(f"{part.get_kind_display()} “{name}”: the ")
    assert Handover.objects.get().status == "proposed"
    assert Origin.objects.count() == 0


def test_a_returned_handover_is_not_resubmitted_beside_another_awaiting_acceptance(
    handover, manager, process_owner, project, process
):
    """Two handovers to one process both awaiting acceptance would build their parts twice."""
    improvement.return_handover(
        actor=process_owner, handover=handover, expected_version=None, reason="Missing training"
    )
    second = improvement.propose_handover(actor=manager, project=project, process=process)
    handover.refresh_from_db()
    with pytest.raises(Invalid) as exc:
        improvement.resubmit_handover(actor=manager, handover=handover, expected_version=None)
    assert (exc.value.field, exc.value.message) == (
        "process",
        "A handover to this process is already awaiting acceptance.",
    )
    assert Handover.objects.get(pk=handover.pk).status == "returned"
    # Once the other one is decided, the first can go again.
    improvement.return_handover(
        actor=process_owner, handover=second, expected_version=None, reason="Duplicate"
    )
    improvement.resubmit_handover(actor=manager, handover=handover, expected_version=None)
    assert Handover.objects.get(pk=handover.pk).status == "proposed"


def test_a_project_in_the_trash_takes_its_handovers_and_lessons_out_of_sight(
    handover, manager, process_owner, owner, project, client
):
    """The handover stayed in the process owner's My work and its page answered 200 after
    its project went to the trash (until 2026-12-05)."""
    from twofold.closeout.models import Lesson
    from twofold.core import trash
    from twofold.work.selectors import my_work

    def waiting() -> list[str]:
        return [i.kind for i in my_work(process_owner, project.organisation).items]

    assert "handover" in waiting()
    Project.objects.filter(pk=project.pk).update(phase=Phase.CLOSURE)
    project.refresh_from_db()
    services.record_lesson(
        actor=owner, project=project, title="Order steel early", worked="Early orders"
    )
    trash.move_to_trash(actor=owner, obj=Project.objects.get(pk=project.pk))
    assert "handover" not in waiting()
    client.force_login(process_owner)
    assert client.get(f"/improvement/handovers/{handover.pk}/").status_code == 404
    assert not Lesson.objects.exists() and Lesson.all_objects.count() == 1
    trash.restore(actor=owner, organisation=project.organisation, entry_id=trash_entry(project).pk)
    assert "handover" in waiting() and Lesson.objects.count() == 1


def trash_entry(project):
    from twofold.core.models import TrashEntry

    return TrashEntry.objects.get(kind="projects.project", object_id=project.pk)


def test_purging_a_project_takes_the_comments_on_its_handovers(handover, owner, project, org):
    """Comments on a purged project's handovers (and change requests) stayed behind, pointing
    at nothing (until 2026-12-05)."""
    from twofold.comments.models import Comment
    from twofold.comments.services import add_comment
    from twofold.core import trash

    add_comment(actor=owner, target=handover, body="Training records attached?")
    add_comment(actor=owner, target=project, body="Kick-off on Monday")
    assert Comment.objects.count() == 2
    trash.move_to_trash(actor=owner, obj=Project.objects.get(pk=project.pk))
    trash.purge_now(actor=owner, organisation=org, entry_id=trash_entry(project).pk)
    assert not Comment.objects.exists()
    assert not Handover.all_objects.exists()
