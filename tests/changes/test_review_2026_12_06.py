"""Review of 6 Dec 2026: change requests naming a task an earlier item removes, a change pushing
the plan past the calendars' range, and a change board member who left the organisation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts import services as account_services
from twofold.accounts.models import Membership, Role
from twofold.changes import services
from twofold.changes.impact import ItemSpec
from twofold.changes.models import ChangeBoardMember, ChangeItem, ChangeRequest, ChangeStatus
from twofold.core.errors import Forbidden, Invalid
from twofold.core.models import HistoryEntry
from twofold.projects import services as project_services
from twofold.projects.models import Baseline, Project, Task

MONDAY = dt.date(2025, 3, 3)


@pytest.fixture
def plan(org: Any, owner: Any) -> dict[str, Any]:
    """A (3 d) with a child "Sub" (1 d), and B (2 d)."""
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press line", code="PL", target_start=MONDAY
    )
    a, _ = project_services.create_task(
        actor=owner, project=project, name="A", duration_minutes=3 * 480
    )
    sub, _ = project_services.create_task(
        actor=owner, project=project, name="Sub", parent=a, duration_minutes=480
    )
    b, _ = project_services.create_task(
        actor=owner, project=project, name="B", duration_minutes=2 * 480
    )
    project.refresh_from_db()
    return {"project": project, "a": a, "sub": sub, "b": b}


def _body(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"title": "Rework", "reason": "Customer asked", "items": items}


# (items after "remove A", as API rows; the message for change 2)
AFTER_REMOVING_A = [
    (lambda p: {"kind": "resize", "task_id": p["a"].pk, "days": 4}, "A is removed by change 1."),
    (lambda p: {"kind": "remove", "task_id": p["a"].pk}, "A is removed by change 1."),
    (
        lambda p: {"kind": "link", "task_id": p["b"].pk, "predecessor_id": p["a"].pk},
        "A is removed by change 1.",
    ),
    (
        lambda p: {"kind": "add", "name": "N", "days": 1, "predecessor_id": p["a"].pk},
        "A is removed by change 1.",
    ),
    (
        lambda p: {"kind": "add", "name": "N", "days": 1, "parent_id": p["a"].pk},
        "A is removed by change 1.",
    ),
    (
        lambda p: {"kind": "resize", "task_id": p["sub"].pk, "days": 2},
        "Sub is under A, which change 1 removes.",
    ),
    (
        lambda p: {"kind": "link", "task_id": p["sub"].pk, "predecessor_id": p["b"].pk},
        "Sub is under A, which change 1 removes.",
    ),
]


@pytest.mark.parametrize(("second", "message"), AFTER_REMOVING_A)
def test_an_item_naming_a_task_an_earlier_item_removes_is_refused_on_raise_and_preview(
    api: Any, owner: Any, org: Any, plan: dict[str, Any], client: Any, second: Any, message: str
) -> None:
    """Preview and raise answered 500 (the engine's PlanError: a link to a task not in the
    plan), or the change was raised and failed on approval."""
    client.raise_request_exception = False
    project = plan["project"]
    body = _body([{"kind": "remove", "task_id": plan["a"].pk}, second(plan)])
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/changes"
    for target in (f"{url}/impact", url):
        r = api(owner).post(target, body)
        assert r.status_code == 422, (target, r.content)
        assert (r.json()["field"], r.json()["detail"]) == ("items", f"Change 2: {message}")
    assert not ChangeRequest.objects.exists()


def test_removing_a_subtask_then_its_summary_is_still_allowed(
    owner: Any, plan: dict[str, Any]
) -> None:
    change = services.raise_change_request(
        actor=owner,
        project=plan["project"],
        title="Drop A",
        reason="Out of scope",
        items=[
            ItemSpec("remove", task_id=plan["sub"].pk),
            ItemSpec("remove", task_id=plan["a"].pk),
        ],
    )
    services.approve_change_request(actor=owner, change=change, expected_version=change.version)
    assert list(Task.objects.filter(project=plan["project"]).values_list("name", flat=True)) == [
        "B"
    ]


def test_a_change_pushing_the_plan_past_the_calendars_range_is_refused(
    api: Any, owner: Any, org: Any, client: Any
) -> None:
    """It answered 500 (CalendarRangeError) on preview and on raise."""
    client.raise_request_exception = False
    project = project_services.create_project(
        actor=owner, organisation=org, name="Far", code="FAR", target_start=dt.date(2145, 1, 4)
    )
    a, _ = project_services.create_task(
        actor=owner, project=project, name="A", duration_minutes=480
    )
    body = _body([{"kind": "add", "name": "Long", "days": 2000, "predecessor_id": a.pk}])
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/changes"
    for target in (f"{url}/impact", url):
        r = api(owner).post(target, body)
        assert r.status_code == 422, (target, r.content)
        assert r.json()["field"] == "items"
        assert r.json()["detail"] == (
            "With this change the schedule would run past 31 Dec 2149, "
            "the last day the calendar covers."
        )
    assert not ChangeRequest.objects.exists()


def _raised_before_the_fix(owner: Any, project: Project, items: list[ItemSpec]) -> ChangeRequest:
    """A change raised before the raise refused such items: stored as it was."""
    change = ChangeRequest.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        number=1,
        title="Rework",
        reason="Why not",
        requested_by=owner,
        impact={},
    )
    ChangeItem.objects.bulk_create(
        ChangeItem(
            change=change,
            kind=item.kind,
            task_id=item.task_id,
            name=item.name,
            parent_id=item.parent_id,
            predecessor_id=item.predecessor_id,
            days=item.days,
            position=i,
        )
        for i, item in enumerate(items)
    )
    return change


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (lambda p: ItemSpec("resize", task_id=p["a"].pk, days=4), "a task to resize no longer"),
        (lambda p: ItemSpec("remove", task_id=p["a"].pk), "a task to remove no longer exists"),
        (lambda p: ItemSpec("resize", task_id=p["sub"].pk, days=2), "a task to resize no longer"),
        (
            lambda p: ItemSpec("link", task_id=p["b"].pk, predecessor_id=p["a"].pk),
            "a task to link no longer exists",
        ),
        (
            lambda p: ItemSpec("add", name="N", days=1, parent_id=p["a"].pk),
            "the summary to add “N” under no longer exists",
        ),
        (
            lambda p: ItemSpec("add", name="N", days=1, predecessor_id=p["a"].pk),
            "the predecessor of “N” no longer exists",
        ),
    ],
)
def test_approving_a_change_raised_before_that_touches_a_removed_task_is_refused(
    api: Any, owner: Any, org: Any, plan: dict[str, Any], client: Any, second: Any, message: str
) -> None:
    """Approval answered 500 (Task.DoesNotExist, PlanError) or 404 (removing a task already in
    the trash): the items were read once, before the first one removed A."""
    client.raise_request_exception = False
    project = plan["project"]
    change = _raised_before_the_fix(
        owner, project, [ItemSpec("remove", task_id=plan["a"].pk), second(plan)]
    )
    r = api(owner).post(
        f"/api/organisations/{org.pk}/changes/{change.pk}/decision",
        {"decision": "approve", "version": change.version},
    )
    assert r.status_code == 422, r.content
    assert r.json()["field"] == "items"
    assert r.json()["detail"].startswith("CR-1, change 2: ")
    assert message in r.json()["detail"]
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED
    # Nothing was applied: A is not in the trash, no baseline was saved.
    assert Task.objects.filter(pk=plan["a"].pk).exists()
    assert Task.objects.filter(project=project).count() == 3
    assert not Baseline.objects.filter(project=project).exists()


# --- The change board -------------------------------------------------------------------------


@pytest.fixture
def departed(org: Any, owner: Any, member: Any) -> Any:
    person = member(org, Role.MEMBER, full_name="Xavier Gone")
    services.set_change_board(actor=owner, organisation=org, people=[person])
    return person


def test_a_member_removed_from_the_organisation_leaves_the_change_board(
    api: Any, org: Any, owner: Any, departed: Any, plan: dict[str, Any]
) -> None:
    """They stayed on the board: "the board decides" while nobody on it could, so every change
    request waited for ever (approve answered 403 to the admins)."""
    membership = Membership.objects.get(user=departed, organisation=org)
    account_services.remove_member(actor=owner, membership=membership)
    assert not ChangeBoardMember.objects.filter(organisation=org).exists()
    entry = HistoryEntry.objects.filter(action="change board set").order_by("pk").last()
    assert entry is not None
    assert entry.summary == "Xavier Gone left the change board (no longer a member)"
    assert entry.changes == {"change board": [[departed.pk], []]}
    assert entry.actor_id == owner.pk

    project = plan["project"]
    change = services.raise_change_request(
        actor=owner, project=project, title="T", reason="R", target_finish=dt.date(2025, 6, 1)
    )
    r = api(owner).post(
        f"/api/organisations/{org.pk}/changes/{change.pk}/decision",
        {"decision": "approve", "version": change.version},
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved"


def test_board_rows_of_people_who_left_or_became_guests_do_not_count(
    org: Any, owner: Any, member: Any, departed: Any, plan: dict[str, Any]
) -> None:
    """Rows left from before the removal cleared them (and guests) stop blocking decisions."""
    guest = member(org, Role.MEMBER, full_name="Gail Guest")
    ChangeBoardMember.objects.create(organisation=org, person=guest)
    Membership.objects.filter(user=guest, organisation=org).update(role=Role.GUEST)
    Membership.objects.filter(user=departed, organisation=org).delete()  # the row stays
    project = plan["project"]
    assert ChangeBoardMember.objects.filter(organisation=org).count() == 2
    assert services.may_decide(owner, project) is True
    assert services.who_decides(project) == (
        "An admin decides (the project has no sponsor and the organisation no change board)."
    )

    # A current member on the board decides again, alone.
    deputy = member(org, Role.MEMBER, full_name="Dee Deputy")
    ChangeBoardMember.objects.create(organisation=org, person=deputy)
    assert services.who_decides(project) == "The change board decides: Dee Deputy."
    assert services.may_decide(deputy, project) is True
    assert services.may_decide(owner, project) is False
    change = services.raise_change_request(
        actor=owner, project=project, title="T", reason="R", target_finish=dt.date(2025, 6, 1)
    )
    with pytest.raises(Forbidden):
        services.approve_change_request(actor=owner, change=change, expected_version=1)
    with pytest.raises(Invalid):
        services.reject_change_request(actor=deputy, change=change, reason=" ", expected_version=1)


def test_the_board_page_and_api_list_the_board_as_it_counts(
    org: Any, owner: Any, member: Any, departed: Any, signed_in: Any, api: Any
) -> None:
    """A stale row (someone who left before removals cleared them) is neither listed nor a
    reason for a conflict: the page and the API show the board that decides."""
    deputy = member(org, Role.MEMBER, full_name="Dee Deputy")
    ChangeBoardMember.objects.create(organisation=org, person=deputy)
    Membership.objects.filter(user=departed, organisation=org).delete()  # the row stays
    assert ChangeBoardMember.objects.filter(organisation=org).count() == 2
    url = f"/api/organisations/{org.pk}/change-board"
    assert api(owner).get(url).json() == {"person_ids": [deputy.pk]}
    page = signed_in(owner).get("/changes/board/")
    assert [m.pk for m in page.context["members"]] == [deputy.pk]
    assert departed.full_name not in page.content.decode()
    # Saving the board as read (the deputy only) is not a conflict, and drops the stale row.
    saved = api(owner).put(url, {"person_ids": [deputy.pk], "current_ids": [deputy.pk]})
    assert saved.status_code == 200, saved.content
    assert list(
        ChangeBoardMember.objects.filter(organisation=org).values_list("person_id", flat=True)
    ) == [deputy.pk]
