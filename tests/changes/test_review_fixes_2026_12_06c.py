"""Review of 6 Dec 2026 (c): a change request's impact resizes a task with people by its task
type's rule, as approving does; requests approving could never apply (a task under a milestone,
a link already there) are refused when raised or previewed; hypercare counts the organisation's
calendar day, not the viewer's."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from twofold.accounts.models import Organisation, Role
from twofold.changes import services
from twofold.changes.impact import ItemSpec, compute_impact
from twofold.changes.models import ChangeItem, ChangeRequest
from twofold.closeout import hypercare, selectors
from twofold.closeout import services as closeout
from twofold.core.errors import Invalid
from twofold.core.models import HistoryEntry
from twofold.costs import services as cost_services
from twofold.evm import budget
from twofold.evm import services as evm_services
from twofold.improvement import services as improvement
from twofold.operations import services as ops
from twofold.operations.models import Queue
from twofold.projects import resourcing
from twofold.projects import services as project_services
from twofold.projects.models import Assignment, Phase, Project, Task

MONDAY = dt.date(2025, 3, 3)


def _project(org: Any, owner: Any) -> Project:
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press line", code="PL", target_start=MONDAY
    )
    evm_services.set_labour_rate(
        actor=owner, project=project, rate=Decimal("50"), expected_version=None
    )
    project.refresh_from_db()
    return project


@pytest.fixture
def staffed(org: Any, owner: Any, member: Any) -> dict[str, Any]:
    """A (2 d) with Wendy at 50 % (8 h, her own rate 80 an hour) and Pete at 100 % (16 h, no
    rate: the planned labour rate, 50); B (2 d) with an estimate of 12 h and nobody on it."""
    wendy = member(org, Role.MEMBER, full_name="Wendy Worker")
    pete = member(org, Role.MEMBER, full_name="Pete Planner")
    cost_services.create_rate(
        actor=owner, organisation=org, person=wendy, hourly="80", effective_from=MONDAY
    )
    project = _project(org, owner)
    a, _ = project_services.create_task(
        actor=owner, project=project, name="A", duration_minutes=2 * 480
    )
    b, _ = project_services.create_task(
        actor=owner, project=project, name="B", duration_minutes=2 * 480, effort_minutes=720
    )
    resourcing.add_person(actor=owner, task=a, person=wendy, units=50, expected_version=None)
    a.refresh_from_db()
    resourcing.add_person(actor=owner, task=a, person=pete, units=100, expected_version=None)
    a.refresh_from_db()
    project.refresh_from_db()
    return {"project": project, "a": a, "b": b, "wendy": wendy, "pete": pete}


# --- 1. The impact of resizing a task with people -----------------------------------------------


@pytest.mark.parametrize(
    ("task_type", "hours", "cost", "units"),
    [
        # Work follows the duration at the people's units: Wendy 16 h × 80 + Pete 32 h × 50.
        ("fixed_units", "48.00", "2880.00", [50, 100]),
        ("fixed_duration", "48.00", "2880.00", [50, 100]),
        # The work stays (8 h × 80 + 16 h × 50); the units halve.
        ("fixed_work", "24.00", "1440.00", [25, 50]),
    ],
)
def test_resizing_a_task_with_people_previews_what_approving_applies(
    staffed: Any, owner: Any, task_type: str, hours: str, cost: str, units: list[int]
) -> None:
    project, a = staffed["project"], staffed["a"]
    if task_type != "fixed_units":
        resourcing.set_task_resourcing(
            actor=owner,
            task=a,
            task_type=task_type,
            effort_driven=task_type == "fixed_work",
            work_minutes=None,
            expected_version=None,
        )
    change = services.raise_change_request(
        actor=owner,
        project=project,
        title="Longer A",
        reason="r",
        items=[ItemSpec("resize", task_id=a.pk, days=4)],
    )
    before, after = change.impact["before"], change.impact["after"]
    # Before: A 24 h (8 h × 80 + 16 h × 50 = 1,440) and B 12 h (600).
    assert (before["work_hours"], before["cost"]) == ("36.00", "2040.00")
    # Until 2026-12-06 the preview said A's work was its duration, 32 h (at 100 %), priced at
    # 60 an hour: 44.00 h and 1,920 + 600.
    assert after["work_hours"] == str(Decimal(hours) + 12)
    assert after["cost"] == str(Decimal(cost) + 600)
    assert after["bac"] == after["cost"]

    services.approve_change_request(actor=owner, change=change, expected_version=change.version)
    a.refresh_from_db()
    assert (a.duration_minutes, Decimal(a.effort_minutes) / 60) == (4 * 480, Decimal(hours))
    people = list(
        Assignment.objects.filter(task=a).order_by("position").values_list("units", flat=True)
    )
    assert people == units
    # The budget after approving (the new baseline's frozen costs) is what the preview said.
    now = budget.costing(project, budget.task_rows(project))
    assert now.by_category["labour"] == Decimal(after["cost"])
    assert now.bac == Decimal(after["bac"])


def test_resizing_a_task_with_an_estimate_and_nobody_on_it_keeps_the_estimate(
    staffed: Any, owner: Any
) -> None:
    """Approving keeps the estimate of a task without people (update_task); the preview made
    it the new duration (32 h)."""
    project, b = staffed["project"], staffed["b"]
    impact = compute_impact(project, [ItemSpec("resize", task_id=b.pk, days=4)])
    assert (impact["after"]["work_hours"], impact["after"]["cost"]) == ("36.00", "2040.00")
    change = services.raise_change_request(
        actor=owner,
        project=project,
        title="Longer B",
        reason="r",
        items=[ItemSpec("resize", task_id=b.pk, days=4)],
    )
    services.approve_change_request(actor=owner, change=change, expected_version=change.version)
    b.refresh_from_db()
    assert (b.duration_minutes, b.effort_minutes) == (4 * 480, 720)


def test_the_impact_reads_as_many_rows_for_many_tasks_with_people(
    org: Any, owner: Any, member: Any
) -> None:
    project = _project(org, owner)
    person = member(org, Role.MEMBER, full_name="Wendy Worker")
    tasks = []
    for name in ("A", "B", "C"):
        task, _ = project_services.create_task(
            actor=owner, project=project, name=name, duration_minutes=2 * 480
        )
        resourcing.add_person(
            actor=owner, task=task, person=person, units=50, expected_version=None
        )
        tasks.append(task)
    project.refresh_from_db()
    compute_impact(project, [])  # the organisation, read once per instance
    with CaptureQueriesContext(connection) as one:
        impact = compute_impact(project, [ItemSpec("resize", task_id=tasks[0].pk, days=4)])
    assert impact["after"]["work_hours"] == "32.00"  # 16 + 8 + 8
    with CaptureQueriesContext(connection) as three:
        impact = compute_impact(project, [ItemSpec("resize", task_id=t.pk, days=4) for t in tasks])
    assert (impact["after"]["work_hours"], impact["after"]["cost"]) == ("48.00", "2400.00")
    assert len(three.captured_queries) == len(one.captured_queries)


# --- 2. Changes approving could never apply ---------------------------------------------------


@pytest.fixture
def plan(org: Any, owner: Any) -> dict[str, Any]:
    """A (1 d) → B (1 d), C (1 d) and the milestone M."""
    project = _project(org, owner)
    a, _ = project_services.create_task(
        actor=owner, project=project, name="A", duration_minutes=480
    )
    b, _ = project_services.create_task(
        actor=owner, project=project, name="B", duration_minutes=480
    )
    c, _ = project_services.create_task(
        actor=owner, project=project, name="C", duration_minutes=480
    )
    m, _ = project_services.create_task(actor=owner, project=project, name="M", is_milestone=True)
    project_services.add_link(actor=owner, project=project, pred=a, succ=b)
    project.refresh_from_db()
    return {"project": project, "a": a, "b": b, "c": c, "m": m}


def _refusal(project: Project, owner: Any, items: list[ItemSpec]) -> str:
    """The message raising ``items`` answers, the same as previewing them."""
    with pytest.raises(Invalid) as previewed:
        compute_impact(project, items)
    with pytest.raises(Invalid) as raised:
        services.raise_change_request(
            actor=owner, project=project, title="T", reason="r", items=items
        )
    assert raised.value.field == previewed.value.field == "items"
    assert raised.value.message == previewed.value.message
    assert not ChangeRequest.objects.exists()
    return raised.value.message


def _approval_refusal(project: Project, owner: Any, items: list[dict[str, Any]]) -> str:
    """What approving answers for items saved without the check (as a request raised before it
    was made)."""
    change = services.raise_change_request(
        actor=owner, project=project, title="Old", reason="r", scope_text="x"
    )
    for i, item in enumerate(items):
        ChangeItem.objects.create(change=change, position=i, **item)
    with pytest.raises(Invalid) as refused:
        services.approve_change_request(actor=owner, change=change, expected_version=None)
    ChangeRequest.objects.filter(pk=change.pk).delete()
    return refused.value.message


def test_a_task_under_a_milestone_is_refused_with_approvings_words(plan: Any, owner: Any) -> None:
    project, m = plan["project"], plan["m"]
    approving = _approval_refusal(
        project, owner, [{"kind": "add", "name": "X", "days": 2, "parent_id": m.pk}]
    )
    assert approving == "A milestone cannot have subtasks."
    message = _refusal(project, owner, [ItemSpec("add", name="X", days=2, parent_id=m.pk)])
    assert message == "Change 1: A milestone cannot have subtasks."


def test_a_task_resized_to_a_milestone_earlier_in_the_change_takes_no_subtask(
    plan: Any, owner: Any
) -> None:
    project, c = plan["project"], plan["c"]
    items = [
        ItemSpec("resize", task_id=c.pk, days=0),
        ItemSpec("add", name="X", days=2, parent_id=c.pk),
    ]
    assert _refusal(project, owner, items) == "Change 2: A milestone cannot have subtasks."


def test_a_milestone_resized_to_days_earlier_in_the_change_takes_a_subtask(
    plan: Any, owner: Any
) -> None:
    project, m = plan["project"], plan["m"]
    change = services.raise_change_request(
        actor=owner,
        project=project,
        title="M becomes work",
        reason="r",
        items=[
            ItemSpec("resize", task_id=m.pk, days=3),
            ItemSpec("add", name="X", days=2, parent_id=m.pk),
        ],
    )
    services.approve_change_request(actor=owner, change=change, expected_version=change.version)
    assert list(Task.objects.filter(parent=m).values_list("name", flat=True)) == ["X"]


def test_linking_tasks_already_linked_is_refused_with_approvings_words(
    plan: Any, owner: Any
) -> None:
    project, a, b = plan["project"], plan["a"], plan["b"]
    approving = _approval_refusal(
        project, owner, [{"kind": "link", "task_id": b.pk, "predecessor_id": a.pk}]
    )
    assert approving == "A is already linked to B."
    message = _refusal(project, owner, [ItemSpec("link", task_id=b.pk, predecessor_id=a.pk)])
    assert message == "Change 1: A is already linked to B."


def test_the_same_link_twice_in_one_change_is_refused(plan: Any, owner: Any) -> None:
    project, b, c = plan["project"], plan["b"], plan["c"]
    items = [
        ItemSpec("link", task_id=c.pk, predecessor_id=b.pk),
        ItemSpec("link", task_id=c.pk, predecessor_id=b.pk),
    ]
    assert _refusal(project, owner, items) == "Change 2: B is already linked to C."


def test_the_api_answers_422_on_items(plan: Any, owner: Any, org: Any, api: Any) -> None:
    project, a, b = plan["project"], plan["a"], plan["b"]
    body = {
        "title": "Link",
        "reason": "R",
        "items": [{"kind": "link", "task_id": b.pk, "predecessor_id": a.pk}],
    }
    refused = api(owner).post(f"/api/organisations/{org.pk}/projects/{project.pk}/changes", body)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Change 1: A is already linked to B."


# --- 3. Hypercare on the organisation's calendar day ------------------------------------------


@pytest.fixture
def care(org: Any, owner: Any, member: Any) -> dict[str, Any]:
    """Hypercare of the queue "Faults" a project handed over, from five days ago to five days
    ahead; Priya manages the project."""
    from twofold.calendars.services import ensure_default_calendar

    ensure_default_calendar(org)
    process_owner = member(org, Role.MEMBER, full_name="Luis Ortega")
    manager = member(org, Role.MEMBER, full_name="Priya Raman")
    process = ops.create_process(
        actor=owner, organisation=org, name="Preventive maintenance", owner=process_owner
    )
    project = project_services.create_project(
        actor=owner, organisation=org, name="Energy monitoring pilot", code="DIG", manager=manager
    )
    Project.objects.filter(pk=project.pk).update(phase=Phase.EXECUTION)
    project.refresh_from_db()
    handover = improvement.propose_handover(
        actor=manager,
        project=project,
        process=process,
        deliverables=[{"text": "Training done", "done": True}],
    )
    closeout.add_part(
        actor=manager,
        handover=handover,
        kind="queue",
        name="Faults",
        spec={"sla_hours": {"p1": {"response": 1, "resolution": 8}}},
    )
    today = timezone.localdate()
    last = today + dt.timedelta(days=5)
    closeout.set_hypercare(
        actor=manager, handover=handover, starts_on=today - dt.timedelta(days=5), ends_on=last
    )
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    return {
        "queue": Queue.objects.get(name="Faults"),
        "last": last,
        "manager": manager,
        "raiser": process_owner,
    }


def _in_zone(org: Any, name: str) -> None:
    Organisation.objects.filter(pk=org.pk).update(timezone=name)
    org.refresh_from_db()


def _notices(request: Any) -> list[bool]:
    """Whether a notice is due, seen from Auckland and from London."""
    out = []
    for viewer in ("Pacific/Auckland", "Europe/London"):
        with timezone.override(zoneinfo.ZoneInfo(viewer)):
            out.append(hypercare.notice_for(request) is not None)
    return out


def test_a_request_after_the_last_day_in_the_organisations_zone_is_out_of_hypercare(
    care: Any, org: Any
) -> None:
    _in_zone(org, "Pacific/Auckland")
    # 13:00 UTC on the last day is the next day in Auckland (01:00 or 02:00): after hypercare.
    moment = dt.datetime.combine(care["last"], dt.time(13, 0), tzinfo=dt.UTC)
    request = ops.create_request(actor=care["raiser"], queue=care["queue"], title="x", at=moment)
    assert _notices(request) == [False, False]  # London said True until 2026-12-06
    assert selectors.hypercare_for_queue(care["queue"], at=moment) is None
    assert not HistoryEntry.objects.filter(object_id=request.pk, action="hypercare").exists()


def test_a_request_on_the_last_day_in_the_organisations_zone_is_in_hypercare(
    care: Any, org: Any
) -> None:
    _in_zone(org, "Europe/London")
    # 13:00 UTC on the last day is still that day in London, already the next in Auckland.
    moment = dt.datetime.combine(care["last"], dt.time(13, 0), tzinfo=dt.UTC)
    request = ops.create_request(actor=care["raiser"], queue=care["queue"], title="x", at=moment)
    assert _notices(request) == [True, True]  # Auckland said False until 2026-12-06
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Auckland")):
        info = selectors.hypercare_for_queue(care["queue"], at=moment)
    assert info is not None and info.active
    assert (info.day, info.ends_on, info.team) == (care["last"], care["last"], [care["manager"]])
    assert list(
        HistoryEntry.objects.filter(object_id=request.pk, action="hypercare").values_list(
            "summary", flat=True
        )
    ) == ["Hypercare: project team notified — Priya Raman (handover of Energy monitoring pilot)"]
