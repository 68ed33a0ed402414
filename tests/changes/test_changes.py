"""Change control: impact on a copy of the plan, refusal of cycles, approval applies the change
with a new baseline, rejection keeps the reason, and who decides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.changes import services
from twofold.changes.impact import ItemSpec, compute_impact
from twofold.changes.models import ChangeRequest, ChangeStatus
from twofold.core.errors import Conflict, Forbidden, Invalid
from twofold.core.models import HistoryEntry
from twofold.evm import services as evm_services
from twofold.projects import services as project_services
from twofold.projects.models import Baseline, Link, Project, Task

MONDAY = dt.date(2025, 3, 3)


@pytest.fixture
def plan(org: Any, owner: Any, member: Any) -> dict[str, Any]:
    """A (3 d) → B (2 d) → M, and C (1 d) in parallel; the sponsor is a member."""
    sponsor = member(org, Role.MEMBER, full_name="Sam Sponsor")
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press line", code="PL", target_start=MONDAY
    )
    Project.objects.filter(pk=project.pk).update(sponsor=sponsor)
    project.refresh_from_db()
    a, _ = project_services.create_task(
        actor=owner, project=project, name="A", duration_minutes=3 * 480
    )
    b, _ = project_services.create_task(
        actor=owner, project=project, name="B", duration_minutes=2 * 480
    )
    c, _ = project_services.create_task(
        actor=owner, project=project, name="C", duration_minutes=480
    )
    m, _ = project_services.create_task(actor=owner, project=project, name="M", is_milestone=True)
    project_services.add_link(actor=owner, project=project, pred=a, succ=b)
    project_services.add_link(actor=owner, project=project, pred=b, succ=m)
    project_services.save_baseline(actor=owner, project=project, name="Approved plan")
    evm_services.set_labour_rate(
        actor=owner, project=project, rate=Decimal("50"), expected_version=None
    )
    project.refresh_from_db()
    return {"project": project, "a": a, "b": b, "c": c, "m": m, "sponsor": sponsor}


def test_impact_is_computed_on_a_copy_and_names_finish_critical_path_work_and_cost(
    plan: Any,
) -> None:
    project, c = plan["project"], plan["c"]
    tasks_before = list(Task.objects.filter(project=project).values_list("pk", "duration_minutes"))
    impact = compute_impact(
        project,
        [
            ItemSpec("add", name="Extra test", days=2, predecessor_id=plan["b"].pk),
            ItemSpec("resize", task_id=c.pk, days=4),
        ],
        Decimal("1000"),
    )
    assert impact["before"]["finish"] == "2025-03-07"
    assert impact["after"]["finish"] == "2025-03-11"
    assert impact["finish_days"] == 4
    assert impact["critical_added"] == ["Extra test"]
    assert impact["before"]["work_hours"] == "48.00"  # 3 + 2 + 1 days × 8 h
    assert impact["after"]["work_hours"] == "88.00"  # 3 + 2 + 4 + 2 days
    assert impact["before"]["cost"] == "2400.00" and impact["after"]["cost"] == "4400.00"
    assert impact["after"]["bac"] == "5400.00"
    assert (
        list(Task.objects.filter(project=project).values_list("pk", "duration_minutes"))
        == tasks_before
    )


def test_a_change_creating_a_cycle_is_refused_naming_the_tasks_and_nothing_is_saved(
    plan: Any, owner: Any
) -> None:
    with pytest.raises(Invalid) as exc:
        services.raise_change_request(
            actor=owner,
            project=plan["project"],
            title="Loop",
            reason="Test",
            items=[ItemSpec("link", task_id=plan["a"].pk, predecessor_id=plan["m"].pk)],
        )
    assert "dependency cycle" in exc.value.message
    for name in ("A", "B", "M"):
        assert name in exc.value.message
    assert not ChangeRequest.objects.exists()


def test_approval_by_the_sponsor_applies_the_change_with_history_and_a_named_baseline(
    plan: Any, owner: Any
) -> None:
    project = plan["project"]
    change = services.raise_change_request(
        actor=owner,
        project=project,
        title="Add acceptance test",
        reason="Customer asked",
        scope_text="Factory acceptance test",
        budget_change=Decimal("500"),
        target_finish=dt.date(2025, 3, 14),
        items=[
            ItemSpec("add", name="FAT", days=2, predecessor_id=plan["b"].pk),
            ItemSpec("remove", task_id=plan["c"].pk),
        ],
    )
    assert change.number == 1 and change.status == ChangeStatus.PROPOSED
    services.approve_change_request(
        actor=plan["sponsor"], change=change, expected_version=change.version
    )
    change.refresh_from_db()
    project.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED and change.decided_by == plan["sponsor"]
    fat = Task.objects.get(project=project, name="FAT")
    assert Link.objects.filter(pred=plan["b"], succ=fat).exists()
    assert not Task.objects.filter(pk=plan["c"].pk).exists()  # in the trash
    assert project.target_finish == dt.date(2025, 3, 14)
    assert "CR-1: Factory acceptance test" in project.scope
    baseline = Baseline.objects.get(project=project, number=change.baseline_number)
    assert baseline.name == "CR-1 Add acceptance test" and baseline.number == 1
    assert HistoryEntry.objects.filter(object_id=change.pk, action="approved").exists()
    assert project.budget_lines.get().amount == Decimal("500")
    with pytest.raises(Conflict):
        services.approve_change_request(actor=owner, change=change, expected_version=None)


def test_rejection_keeps_the_request_with_the_reason(plan: Any, owner: Any) -> None:
    change = services.raise_change_request(
        actor=owner,
        project=plan["project"],
        title="Gold plating",
        reason="Nice to have",
        items=[ItemSpec("resize", task_id=plan["a"].pk, days=10)],
    )
    with pytest.raises(Invalid):
        services.reject_change_request(actor=owner, change=change, reason=" ", expected_version=1)
    services.reject_change_request(
        actor=owner, change=change, reason="Out of scope", expected_version=1
    )
    change.refresh_from_db()
    assert (change.status, change.decision_note) == (ChangeStatus.REJECTED, "Out of scope")
    assert Task.objects.get(pk=plan["a"].pk).duration_minutes == 3 * 480


def test_who_decides_members_and_the_change_board(
    plan: Any, org: Any, owner: Any, member: Any
) -> None:
    project = plan["project"]
    plain = member(org, Role.MEMBER)
    change = services.raise_change_request(
        actor=plain,
        project=project,
        title="T",
        reason="R",
        items=[ItemSpec("resize", task_id=plan["a"].pk, days=4)],
    )
    with pytest.raises(Forbidden):
        services.approve_change_request(actor=plain, change=change, expected_version=None)
    board_member = member(org, Role.MEMBER, full_name="Bea Board")
    services.set_change_board(actor=owner, organisation=org, people=[board_member])
    assert not services.may_decide(plan["sponsor"], project)
    assert services.may_decide(board_member, project)
    with pytest.raises(Forbidden):
        services.set_change_board(actor=plain, organisation=org, people=[])


def test_pages_and_api_raise_preview_decide_with_constant_queries(
    plan: Any,
    owner: Any,
    signed_in: Any,
    api: Any,
    outsider: Any,
    member: Any,
    org: Any,
    django_assert_max_num_queries: Any,
) -> None:
    project = plan["project"]
    client = signed_in(owner)
    data = {
        "title": "More testing",
        "reason": "Quality",
        "items-TOTAL_FORMS": "5",
        "items-INITIAL_FORMS": "0",
        "items-0-kind": "add",
        "items-0-name": "Soak test",
        "items-0-days": "3",
        "items-0-predecessor": str(plan["b"].pk),
    }
    preview = client.post(f"/changes/projects/{project.pk}/new/", {**data, "preview": "1"})
    assert preview.status_code == 200 and b"+5 days" in preview.content
    assert not ChangeRequest.objects.exists()
    created = client.post(f"/changes/projects/{project.pk}/new/", data)
    change = ChangeRequest.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/changes/{change.pk}/"
    for i in range(3):
        services.raise_change_request(
            actor=owner, project=project, title=f"T{i}", reason="R", scope_text="x"
        )
    with django_assert_max_num_queries(25):
        page = client.get(f"/changes/projects/{project.pk}/")
    assert page.status_code == 200 and b"CR-1" in page.content and b"CR-4" in page.content
    decided = client.post(
        f"/changes/{change.pk}/", {"decision": "approve", "note": "", "version": change.version}
    )
    assert decided.status_code == 302
    assert b"baseline #1" in client.get(f"/changes/projects/{project.pk}/").content
    assert signed_in(outsider).get(f"/changes/{change.pk}/").status_code == 404
    body = {
        "title": "Via API",
        "reason": "R",
        "items": [{"kind": "link", "task_id": plan["a"].pk, "predecessor_id": plan["m"].pk}],
    }
    refused = api(owner).post(f"/api/organisations/{org.pk}/projects/{project.pk}/changes", body)
    assert refused.status_code == 422 and "cycle" in refused.json()["detail"]
    listed = api(member(org, Role.MEMBER)).get(
        f"/api/organisations/{org.pk}/projects/{project.pk}/changes"
    )
    assert listed.status_code == 200 and "bac" not in listed.json()[0]["impact"]["after"]


def test_raising_a_change_notifies_the_sponsor_who_decides(plan: Any, owner: Any) -> None:
    from twofold.notifications.models import Notification

    change = services.raise_change_request(
        actor=owner,
        project=plan["project"],
        title="Longer test",
        reason="Customer asked",
        items=[ItemSpec("resize", task_id=plan["c"].pk, days=2)],
    )
    told = list(
        Notification.objects.filter(kind="change_request").values_list("recipient_id", "url")
    )
    assert told == [(plan["sponsor"].pk, f"/changes/{change.pk}/")]


def test_a_change_request_has_the_comment_thread(plan: Any, owner: Any, signed_in: Any) -> None:
    from twofold.comments.services import add_comment

    change = services.raise_change_request(
        actor=owner,
        project=plan["project"],
        title="Longer test",
        reason="Customer asked",
        items=[ItemSpec("resize", task_id=plan["c"].pk, days=2)],
    )
    add_comment(actor=plan["sponsor"], target=change, body="Can we <b>do it</b> in *one* day?")
    page = signed_in(owner).get(f"/changes/{change.pk}/").content.decode()
    assert "Can we do it in <em>one</em> day?" in page


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (lambda p: ItemSpec("resize", task_id=p["c"].pk, days=7), "a task to resize no longer"),
        (
            lambda p: ItemSpec("add", name="Extra", days=1, predecessor_id=p["c"].pk),
            "the predecessor of “Extra” no longer exists",
        ),
        (
            lambda p: ItemSpec("link", task_id=p["a"].pk, predecessor_id=p["c"].pk),
            "a task to link no longer exists",
        ),
    ],
)
def test_a_change_naming_a_task_now_in_the_trash_stays_open(
    plan: Any, owner: Any, item: Any, message: str
) -> None:
    """Approving a resize (or an add under/after a task) whose task went to the trash answered
    500; a link to one was "applied" where no plan could see it and came back with a restore.
    docs/change-control.md: if anything no longer applies, nothing is applied, it stays open."""
    change = services.raise_change_request(
        actor=owner, project=plan["project"], title="Rework", reason="Why not", items=[item(plan)]
    )
    project_services.delete_task(actor=owner, task=plan["c"])
    links = Link.all_objects.count()
    with pytest.raises(Invalid) as caught:
        services.approve_change_request(
            actor=plan["sponsor"], change=change, expected_version=change.version
        )
    assert caught.value.field == "items" and message in caught.value.message
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED
    assert Link.all_objects.count() == links


def test_a_request_is_withdrawn_by_whoever_raised_it_and_never_approved_after(
    plan: Any, owner: Any, org: Any, member: Any, api: Any
) -> None:
    """An obsolete request could not be withdrawn: it waited until a decider rejected it."""
    raiser = member(org, Role.MEMBER, full_name="Rae Raiser")
    other = member(org, Role.MEMBER, full_name="Otto Other")
    change = services.raise_change_request(
        actor=raiser, project=plan["project"], title="Extra FAT", reason="Customer",
        items=[ItemSpec("resize", task_id=plan["c"].pk, days=2)],
    )  # fmt: skip
    with pytest.raises(Forbidden):
        services.withdraw_change_request(
            actor=other, change=change, reason="", expected_version=change.version
        )
    url = f"/api/organisations/{org.pk}/changes/{change.pk}/withdraw"
    stale = api(raiser).post(url, {"version": change.version + 1, "reason": "x"})
    assert stale.status_code == 409
    done = api(raiser).post(url, {"version": change.version, "reason": "Customer dropped it"})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "withdrawn"
    change.refresh_from_db()
    assert (change.status, change.decision_note) == ("withdrawn", "Customer dropped it")
    assert HistoryEntry.objects.filter(object_id=change.pk, action="withdrawn").exists()
    with pytest.raises(Conflict):
        services.approve_change_request(
            actor=plan["sponsor"], change=change, expected_version=change.version
        )
    assert Task.objects.get(pk=plan["c"].pk).duration_minutes == 480  # nothing applied


def test_the_change_page_offers_withdrawing_to_whoever_raised_it(
    plan: Any, org: Any, member: Any, signed_in: Any
) -> None:
    raiser = member(org, Role.MEMBER, full_name="Rae Raiser")
    change = services.raise_change_request(
        actor=raiser, project=plan["project"], title="Extra FAT", reason="Customer",
        items=[ItemSpec("resize", task_id=plan["c"].pk, days=2)],
    )  # fmt: skip
    client = signed_in(raiser)
    page = f"/changes/{change.pk}/"
    assert f"Withdraw {change.code}" in client.get(page).content.decode()
    done = client.post(
        page, {"action": "withdraw", "version": change.version, "reason": "Superseded"}
    )
    assert done.status_code == 302
    change.refresh_from_db()
    assert change.status == "withdrawn"
    html = client.get(page).content.decode()
    assert "Withdrawn by Rae Raiser: Superseded." in html and "Withdraw CR" not in html


def test_a_stale_change_board_is_refused_on_the_page_and_the_api(
    client: Any, api: Any, org: Any, owner: Any, member: Any
) -> None:
    """The board is a set replaced whole: a page or client that read it before someone added a
    person dropped that person unseen (until 2026-12-06)."""
    import re

    from twofold.changes.models import ChangeBoardMember

    bea = member(org, Role.MEMBER, full_name="Bea Board")
    carl = member(org, Role.MEMBER, full_name="Carl Checker")
    services.set_change_board(actor=owner, organisation=org, people=[bea])
    client.force_login(owner)
    page = client.get("/changes/board/").content.decode()
    seen = re.search(r'name="seen" value="([^"]*)"', page)
    assert seen is not None and seen.group(1) == str(bea.pk)
    services.set_change_board(actor=owner, organisation=org, people=[bea, carl])  # someone else
    stale = client.post("/changes/board/", {"people": [bea.pk], "seen": seen.group(1)})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "Someone changed the change board since you read it" in body
    assert f'name="seen" value="{",".join(str(p) for p in sorted([bea.pk, carl.pk]))}"' in body
    board = set(ChangeBoardMember.objects.filter(organisation=org).values_list("person", flat=True))
    assert board == {bea.pk, carl.pk}
    url = f"/api/organisations/{org.pk}/change-board"
    refused = api(owner).put(url, {"person_ids": [bea.pk], "current_ids": [bea.pk]})
    assert refused.status_code == 409
    ok = api(owner).put(url, {"person_ids": [bea.pk], "current_ids": [carl.pk, bea.pk]})
    assert ok.status_code == 200 and ok.json()["person_ids"] == [bea.pk]


def test_a_trashed_projects_change_requests_hide_with_it_and_come_back_with_a_restore(
    plan: Any, owner: Any, org: Any, member: Any, signed_in: Any, api: Any
) -> None:
    """They stayed readable, commentable, decidable and listed in the activity feed and the
    history export; approving one answered 500 (a review found it)."""
    from twofold.core.trash import move_to_trash, restore

    colleague = member(org, Role.MEMBER, full_name="Mia Member")
    project = plan["project"]
    change = services.raise_change_request(
        actor=owner,
        project=project,
        title="Secret rework",
        reason="Why",
        items=[ItemSpec("resize", task_id=plan["c"].pk, days=2)],
    )
    entry = move_to_trash(actor=owner, obj=project)
    page, client = signed_in(colleague), api(colleague)
    base = f"/api/organisations/{org.pk}"
    assert page.get(f"/changes/{change.pk}/").status_code == 404
    for listing in ("/changes/board/", "/activity/"):
        r = page.get(listing)
        assert r.status_code == 200 and "Secret rework" not in r.content.decode()
    assert client.get(f"{base}/changes/{change.pk}").status_code == 404
    assert client.post(f"{base}/comments/change/{change.pk}", {"body": "hi"}).status_code == 404
    assert b"Secret rework" not in client.get(f"{base}/history/export?format=csv").content
    decision = {"decision": "approve", "note": "", "version": change.version}
    r = api(plan["sponsor"]).post(f"{base}/changes/{change.pk}/decision", decision)
    assert r.status_code == 404
    assert ChangeRequest.all_objects.get(pk=change.pk).status == ChangeStatus.PROPOSED
    restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert client.get(f"{base}/changes/{change.pk}").json()["title"] == "Secret rework"
    assert (
        api(plan["sponsor"]).post(f"{base}/changes/{change.pk}/decision", decision).status_code
        == 200
    )
