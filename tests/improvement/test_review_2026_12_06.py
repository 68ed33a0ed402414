"""Review of 2026-12-06: handovers into dead processes, long go-live labels, infinite results,
go-live years, pickers, double raises, new-process handovers twice, the deliverables limit, trashed
processes and projects on the pages, done after an archived project, the API docstring."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from twofold.accounts.models import Membership, Role
from twofold.core import trash
from twofold.core.errors import Invalid, NotFound
from twofold.improvement import api as improvement_api
from twofold.improvement import both_sides, go_live, services
from twofold.improvement.deliverables import save_deliverables
from twofold.improvement.forms import HandoverForm, ItemForm, StartProjectForm
from twofold.improvement.models import Handover, ImprovementItem
from twofold.operations import services as ops
from twofold.operations.models import ChangePoint
from twofold.projects.models import Phase, Project

pytestmark = pytest.mark.django_db

GO_LIVE = dt.date(2025, 6, 2)
DONE = [{"text": "Training done", "done": True}]


def _idea(org: Any, owner: Any, title: str = "Shorter changeovers") -> ImprovementItem:
    return services.create_item(actor=owner, organisation=org, title=title, problem="Slow.")


def _in_progress(org: Any, owner: Any) -> ImprovementItem:
    item = _idea(org, owner)
    services.set_status(actor=owner, item=item, status="triaged", expected_version=1)
    services.set_status(actor=owner, item=item, status="in_progress", expected_version=2)
    return item


def _with_project(org: Any, owner: Any, manager: Any) -> tuple[ImprovementItem, Project]:
    item = _idea(org, owner)
    services.set_status(actor=owner, item=item, status="triaged", expected_version=1)
    project = services.start_project(actor=owner, item=item, expected_version=2, manager=manager)
    return ImprovementItem.objects.get(pk=item.pk), project


# --- 1. A handover is not accepted into an archived process, nor seen with one in the trash ---


def test_a_handover_into_an_archived_process_is_refused_naming_process(
    client: Any,
    api: Any,
    org: Any,
    owner: Any,
    manager: Any,
    project: Any,
    process: Any,
    process_owner: Any,
) -> None:
    handover = services.propose_handover(
        actor=manager, project=project, process=process, deliverables=DONE
    )
    ops.set_archived(actor=owner, obj=process, archived=True, expected_version=process.version)
    refused = (
        "Line 2 production is archived: bring it back into use before accepting, or send the "
        "handover back."
    )
    handover = Handover.objects.get(pk=handover.pk)
    with pytest.raises(Invalid) as exc:
        services.accept_handover(actor=process_owner, handover=handover, expected_version=1)
    assert (exc.value.field, exc.value.message) == ("process", refused)

    response = api(process_owner).post(
        f"/api/organisations/{org.pk}/improvement/handovers/{handover.pk}/accept", {"version": 1}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "process"
    assert response.json()["detail"] == refused

    client.force_login(process_owner)
    page = client.post(f"/improvement/handovers/{handover.pk}/", {"action": "accept", "version": 1})
    assert page.status_code == 422
    assert refused in page.content.decode()
    assert Handover.objects.get(pk=handover.pk).status == "proposed"


def test_a_handover_to_an_archived_process_is_not_resubmitted(
    owner: Any, manager: Any, project: Any, process: Any, process_owner: Any
) -> None:
    handover = services.propose_handover(
        actor=manager, project=project, process=process, deliverables=DONE
    )
    services.return_handover(actor=process_owner, handover=handover, expected_version=1, reason="x")
    ops.set_archived(actor=owner, obj=process, archived=True, expected_version=process.version)
    handover = Handover.objects.get(pk=handover.pk)
    with pytest.raises(Invalid) as exc:
        services.resubmit_handover(actor=manager, handover=handover, expected_version=2)
    assert exc.value.field == "process"


def test_a_handover_to_a_process_in_the_trash_is_hidden_and_not_accepted(
    client: Any,
    api: Any,
    org: Any,
    owner: Any,
    manager: Any,
    project: Any,
    process: Any,
    process_owner: Any,
) -> None:
    handover = services.propose_handover(
        actor=manager, project=project, process=process, deliverables=DONE
    )
    new = services.propose_handover(
        actor=manager,
        project=project,
        process=None,
        deliverables=DONE,
        new_process_name="Kitting",
        new_process_owner=process_owner,
    )
    entry = trash.move_to_trash(actor=owner, obj=process)

    # The one to a new process (no process yet) stays; the one to the trashed process goes.
    assert list(Handover.objects.values_list("pk", flat=True)) == [new.pk]
    assert Handover.all_objects.count() == 2
    client.force_login(process_owner)
    assert client.get(f"/improvement/handovers/{handover.pk}/").status_code == 404
    path = f"/api/organisations/{org.pk}/improvement/handovers/{handover.pk}"
    assert api(process_owner).get(path).status_code == 404
    assert api(process_owner).post(path + "/accept", {"version": 1}).status_code == 404
    with pytest.raises(NotFound):
        services.accept_handover(actor=process_owner, handover=handover, expected_version=1)
    assert Handover.all_objects.get(pk=handover.pk).status == "proposed"

    trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert Handover.objects.filter(pk=handover.pk).exists()


# --- 2. Go-live with a title or project name near 160 characters --------------------------


def test_go_live_of_an_item_with_a_long_title_cuts_the_label(
    org: Any, owner: Any, kpi: Any
) -> None:
    item = services.create_item(
        actor=owner, organisation=org, source="kpi", kpi=kpi, title="T" * 160, problem="p"
    )
    go_live.set_item_go_live(actor=owner, item=item, go_live=GO_LIVE, expected_version=1)
    assert list(ChangePoint.objects.values_list("label", flat=True)) == [
        "Went live: " + "T" * 148 + "…"
    ]
    assert len(ChangePoint.objects.get().label) == 160
    go_live.set_item_go_live(actor=owner, item=item, go_live=None, expected_version=2)
    assert ChangePoint.objects.count() == 0


def test_an_item_renamed_long_after_go_live_clears_and_comes_back_from_the_trash(
    org: Any, owner: Any, kpi: Any
) -> None:
    item = services.create_item(
        actor=owner, organisation=org, source="kpi", kpi=kpi, title="short", problem="p"
    )
    go_live.set_item_go_live(actor=owner, item=item, go_live=GO_LIVE, expected_version=1)
    services.update_item(actor=owner, item=item, expected_version=2, title="T" * 160)
    with TestCase.captureOnCommitCallbacks(execute=True):
        entry = trash.move_to_trash(actor=owner, obj=item, expected_version=3)
    assert ChangePoint.objects.count() == 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert list(ChangePoint.objects.values_list("label", "date")) == [
        ("Went live: " + "T" * 148 + "…", GO_LIVE)
    ]


def test_go_live_of_a_project_with_a_long_name(
    org: Any, owner: Any, kpi: Any, process: Any, project: Any
) -> None:
    Project.objects.filter(pk=project.pk).update(name="P" * 160)
    project.refresh_from_db()
    link = go_live.link_process(actor=owner, project=project, process=process)
    go_live.set_link_go_live(actor=owner, link=link, go_live=GO_LIVE, expected_version=1)
    assert list(ChangePoint.objects.values_list("label", flat=True)) == [
        "Went live: " + "P" * 148 + "…"
    ]
    go_live.set_link_go_live(actor=owner, link=link, go_live=None, expected_version=2)
    assert ChangePoint.objects.count() == 0


def test_a_short_label_is_unchanged() -> None:
    assert go_live.went_live_label("Camera check") == "Went live: Camera check"
    assert go_live.went_live_label("x" * 149) == "Went live: " + "x" * 149


# --- 3. An infinite result value -----------------------------------------------------------


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", str(10**400)])
def test_the_api_refuses_a_result_value_that_is_not_finite(
    api: Any, org: Any, owner: Any, number: str
) -> None:
    item = _in_progress(org, owner)
    path = f"/api/organisations/{org.pk}/improvement/items/{item.pk}"
    body = '{"version": 3, "status": "done", "result": "ok", "result_value": ' + number + "}"
    response = api(owner).patch(path, body)
    assert response.status_code == 422
    assert response.json()["field"] == "result_value"
    item.refresh_from_db()
    assert (item.status, item.result_value) == ("in_progress", None)
    got = api(owner).get(path)
    assert json.loads(got.content)["result_value"] is None


def test_the_api_takes_a_finite_result_value(api: Any, org: Any, owner: Any) -> None:
    item = _in_progress(org, owner)
    path = f"/api/organisations/{org.pk}/improvement/items/{item.pk}"
    response = api(owner).patch(
        path, {"version": 3, "status": "done", "result": "ok", "result_value": 12}
    )
    assert response.status_code == 200
    assert response.json()["result_value"] == 12.0


@pytest.mark.parametrize("number", [float("inf"), float("nan")])
def test_the_service_refuses_a_result_value_that_is_not_finite(
    org: Any, owner: Any, number: float
) -> None:
    item = _in_progress(org, owner)
    with pytest.raises(Invalid) as exc:
        services.complete_item(
            actor=owner, item=item, expected_version=3, result="ok", result_value=number
        )
    assert (exc.value.field, exc.value.message) == (
        "result_value",
        "The result value must be a finite number.",
    )


def test_the_page_refuses_an_infinite_result_value(client: Any, org: Any, owner: Any) -> None:
    item = _in_progress(org, owner)
    client.force_login(owner)
    response = client.post(
        f"/improvement/items/{item.pk}/",
        {"action": "complete", "result": "ok", "result_value": "1e400", "version": 3},
    )
    assert response.status_code == 422
    assert ImprovementItem.objects.get(pk=item.pk).status == "in_progress"


# --- 4. A project's go-live in year 9999 ---------------------------------------------------


def test_a_project_go_live_out_of_range_is_refused_on_the_page_as_in_the_api(
    client: Any, api: Any, owner: Any, kpi: Any, process: Any, project: Any
) -> None:
    link = go_live.link_process(actor=owner, project=project, process=process)
    with pytest.raises(Invalid) as exc:
        go_live.set_link_go_live(
            actor=owner, link=link, go_live=dt.date(9999, 12, 31), expected_version=1
        )
    assert exc.value.field == "go_live"
    assert exc.value.message == "Choose a date between 1 Jan 1980 and 31 Dec 2149."

    client.force_login(owner)
    page = client.post(
        f"/improvement/process-changes/{link.pk}/",
        {"go_live": "9999-12-31", "version": 1},
        follow=True,
    )
    assert "Went live on: Choose a date between 1 Jan 1980 and 31 Dec 2149." in (
        page.content.decode()
    )
    link.refresh_from_db()
    assert (link.go_live, link.version) == (None, 1)
    assert ChangePoint.objects.count() == 0
    response = api(owner).put(
        f"/api/process-changes/{link.pk}/go-live", {"version": 1, "go_live": "9999-12-31"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "go_live"


# --- 5. Pickers keep members who are a guest elsewhere -------------------------------------


def test_pickers_keep_a_member_who_is_a_guest_in_another_organisation(
    client: Any, org: Any, owner: Any, member: Any, make_org: Any
) -> None:
    both = member(org, Role.MEMBER, full_name="Mia Member")
    Membership.objects.create(organisation=make_org(), user=both, role=Role.GUEST)
    guest = member(org, Role.GUEST, full_name="Gus Guest")
    Membership.objects.create(organisation=make_org(), user=guest, role=Role.MEMBER)
    for queryset in (
        ItemForm(organisation=org).fields["owner"].queryset,
        StartProjectForm(organisation=org).fields["manager"].queryset,
        HandoverForm(organisation=org).fields["new_process_owner"].queryset,
    ):
        people = list(queryset)
        assert both in people
        assert guest not in people
        assert len(people) == len(set(people))

    item = _idea(org, owner)
    client.force_login(owner)
    response = client.post(
        f"/improvement/items/{item.pk}/edit/",
        {"title": "x", "problem": "p", "owner": both.pk, "benefit": 3, "effort": "M", "version": 1},
    )
    assert response.status_code == 302
    assert ImprovementItem.objects.get(pk=item.pk).owner == both


# --- 6. One open item per signal -----------------------------------------------------------


def test_a_second_item_from_the_same_signal_is_refused_naming_the_first(
    org: Any, owner: Any, kpi: Any
) -> None:
    first = services.create_item(
        actor=owner, organisation=org, source="kpi", kpi=kpi, title="Scrap up", problem="p"
    )
    with pytest.raises(Invalid) as exc:
        services.create_item(
            actor=owner, organisation=org, source="kpi", kpi=kpi, title="Scrap up", problem="p"
        )
    assert exc.value.field == "source"
    assert exc.value.message == (
        f"“Scrap up” (item #{first.pk}, new) is already open for Scrap rate: follow it there "
        "instead of raising it again."
    )
    assert ImprovementItem.objects.count() == 1
    # Ideas are not signals; and once the first is closed the signal may raise again.
    _idea(org, owner)
    _idea(org, owner)
    services.set_status(
        actor=owner, item=first, status="rejected", reason="dup", expected_version=1
    )
    again = services.create_item(
        actor=owner, organisation=org, source="kpi", kpi=kpi, title="Again", problem="p"
    )
    assert again.kpi == kpi


def test_the_raise_page_says_the_signal_is_raised_and_refuses_a_double_submit(
    client: Any, org: Any, owner: Any, kpi: Any, process: Any
) -> None:
    client.force_login(owner)
    form = {
        "source": "kpi",
        "ref": kpi.pk,
        "title": "Scrap up",
        "problem": "p",
        "process": process.pk,
        "benefit": 3,
        "effort": "M",
    }
    assert client.post("/improvement/items/new/", form).status_code == 302
    first = ImprovementItem.objects.get()
    again = client.post("/improvement/items/new/", form)
    assert again.status_code == 422
    body = again.content.decode()
    assert (
        f"“Scrap up” (item #{first.pk}, new) is already open for Scrap rate: follow it there "
        "instead of raising it again."
    ) in body
    assert ImprovementItem.objects.count() == 1
    page = client.get(f"/improvement/items/new/?source=kpi&ref={kpi.pk}").content.decode()
    assert "Already raised" in page
    assert reverse("improvement:item", args=[first.pk]) in page


def test_the_api_refuses_a_second_item_from_the_same_signal(
    api: Any, org: Any, owner: Any, kpi: Any
) -> None:
    body = {"title": "Scrap", "problem": "p", "source": "kpi", "source_id": kpi.pk}
    path = f"/api/organisations/{org.pk}/improvement/items"
    assert api(owner).post(path, body).status_code == 201
    response = api(owner).post(path, body)
    assert response.status_code == 422
    assert response.json()["field"] == "source"
    assert ImprovementItem.objects.count() == 1


def test_nothing_is_raised_from_a_kpi_of_an_archived_process(
    api: Any, org: Any, owner: Any, kpi: Any, process: Any
) -> None:
    ops.set_archived(actor=owner, obj=process, archived=True, expected_version=process.version)
    kpi.refresh_from_db()
    with pytest.raises(Invalid) as exc:
        services.create_item(
            actor=owner, organisation=org, source="kpi", kpi=kpi, title="x", problem="p"
        )
    assert (exc.value.field, exc.value.message) == (
        "source",
        "Scrap rate belongs to Line 2 production, which is archived: nothing new is raised "
        "from it.",
    )
    response = api(owner).post(
        f"/api/organisations/{org.pk}/improvement/items",
        {"title": "x", "problem": "p", "source": "kpi", "source_id": kpi.pk},
    )
    assert response.status_code == 422
    assert ImprovementItem.objects.count() == 0


# --- 7. Two handovers awaiting acceptance for one new process ------------------------------


def test_a_second_handover_to_the_same_new_process_is_refused(
    org: Any, manager: Any, project: Any, process_owner: Any
) -> None:
    first = services.propose_handover(
        actor=manager,
        project=project,
        process=None,
        deliverables=DONE,
        new_process_name="Kitting",
        new_process_owner=process_owner,
    )
    with pytest.raises(Invalid) as exc:
        services.propose_handover(
            actor=manager,
            project=project,
            process=None,
            deliverables=DONE,
            new_process_name="  kitting ",
            new_process_owner=process_owner,
        )
    assert (exc.value.field, exc.value.message) == (
        "new_process_name",
        "A handover of Energy monitoring pilot to the new process kitting is already awaiting "
        "acceptance.",
    )
    other = services.propose_handover(
        actor=manager,
        project=project,
        process=None,
        deliverables=DONE,
        new_process_name="Packing",
        new_process_owner=process_owner,
    )
    # Renaming the second draft to the first's name is refused the same way.
    with pytest.raises(Invalid) as exc:
        services.set_new_process(
            actor=manager,
            handover=other,
            name="KITTING",
            owner=process_owner,
            description="",
            expected_version=1,
        )
    assert exc.value.field == "new_process_name"
    assert list(Handover.objects.order_by("pk").values_list("new_process_name", flat=True)) == [
        "Kitting",
        "Packing",
    ]
    assert first.status == "proposed"


def test_a_returned_handover_to_a_new_process_is_not_resubmitted_beside_another(
    api: Any, org: Any, manager: Any, project: Any, process_owner: Any
) -> None:
    kw = {
        "actor": manager,
        "project": project,
        "process": None,
        "deliverables": DONE,
        "new_process_name": "Kitting",
        "new_process_owner": process_owner,
    }
    first = services.propose_handover(**kw)
    services.return_handover(actor=process_owner, handover=first, expected_version=1, reason="x")
    second = services.propose_handover(**kw)
    first = Handover.objects.get(pk=first.pk)
    with pytest.raises(Invalid) as exc:
        services.resubmit_handover(actor=manager, handover=first, expected_version=2)
    assert exc.value.field == "new_process_name"
    response = api(manager).post(
        f"/api/organisations/{org.pk}/improvement/handovers/{first.pk}/resubmit", {"version": 2}
    )
    assert response.status_code == 422
    # The one awaiting is accepted, creating the process.
    services.accept_handover(actor=process_owner, handover=second, expected_version=1)
    assert Handover.objects.get(pk=second.pk).process.name == "Kitting"


# --- 8. The deliverables setting and the proposal: one limit -------------------------------


def test_the_deliverables_setting_refuses_more_than_a_handover_takes(
    api: Any, org: Any, owner: Any, manager: Any, project: Any, process: Any
) -> None:
    with pytest.raises(Invalid) as exc:
        save_deliverables(
            actor=owner,
            organisation=org,
            items=[f"Item {i}" for i in range(31)],
            expected_version=0,
        )
    assert (exc.value.field, exc.value.message) == (
        "items",
        "A handover checklist has at most 30 deliverables.",
    )
    response = api(owner).put(
        f"/api/organisations/{org.pk}/settings/handover-deliverables",
        {"items": [f"Item {i}" for i in range(31)], "version": 0},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "items"

    save_deliverables(
        actor=owner, organisation=org, items=[f"Item {i}" for i in range(30)], expected_version=0
    )
    response = api(manager).post(
        f"/api/organisations/{org.pk}/improvement/handovers",
        {"project_id": project.pk, "process_id": process.pk},
    )
    assert response.status_code == 201
    assert len(response.json()["deliverables"]) == 30


def test_an_empty_deliverables_setting_asks_the_proposal_for_its_own(
    api: Any, org: Any, owner: Any, manager: Any, project: Any, process: Any
) -> None:
    save_deliverables(actor=owner, organisation=org, items=[], expected_version=0)
    response = api(manager).post(
        f"/api/organisations/{org.pk}/improvement/handovers",
        {"project_id": project.pk, "process_id": process.pk},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "deliverables"
    assert response.json()["detail"] == (
        "This organisation has no default handover deliverables (Settings → Handover "
        "deliverables): list at least one deliverable."
    )
    response = api(manager).post(
        f"/api/organisations/{org.pk}/improvement/handovers",
        {
            "project_id": project.pk,
            "process_id": process.pk,
            "deliverables": [{"text": "Training done"}],
        },
    )
    assert response.status_code == 201


# --- 9. The project overview leaves out a process in the trash -----------------------------


def test_the_project_overview_leaves_out_a_process_in_the_trash(
    client: Any, api: Any, owner: Any, kpi: Any, process: Any, project: Any
) -> None:
    go_live.link_process(actor=owner, project=project, process=process)
    assert [a.change.process_id for a in both_sides.affected_processes(project)] == [process.pk]
    trash.move_to_trash(actor=owner, obj=process)
    assert both_sides.affected_processes(project) == []
    client.force_login(owner)
    body = client.get(f"/projects/{project.pk}/").content.decode()
    assert "Processes this project changes" in body
    assert reverse("operations:process", args=[process.pk]) not in body
    assert api(owner).get(f"/api/projects/{project.pk}/process-changes").json() == []


# --- 10. Pages do not link a project in the trash ------------------------------------------


def test_improvement_pages_do_not_link_a_project_in_the_trash(
    client: Any, api: Any, org: Any, owner: Any, manager: Any
) -> None:
    item, project = _with_project(org, owner, manager)
    link = reverse("projects:detail", args=[project.pk])
    client.force_login(owner)
    pages = ["/improvement/", "/improvement/items/", f"/improvement/items/{item.pk}/"]
    assert all(link in client.get(url).content.decode() for url in pages)
    path = f"/api/organisations/{org.pk}/improvement/items/{item.pk}"
    assert api(owner).get(path).json()["project_id"] == project.pk

    trash.move_to_trash(actor=owner, obj=project)
    assert client.get(link).status_code == 404
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200
        assert link not in response.content.decode()
    assert api(owner).get(path).json()["project_id"] is None
    # The item still has it: it does not start a second one.
    item = ImprovementItem.objects.get(pk=item.pk)
    with pytest.raises(Invalid, match=r"^This item already has a project\.$"):
        services.start_project(actor=owner, item=item, expected_version=3, manager=manager)


# --- 11. Done after the project was archived or trashed before closure ---------------------


@pytest.mark.parametrize("how", ["archived", "trashed"])
def test_an_item_whose_project_stopped_before_closure_can_be_marked_done(
    client: Any, org: Any, owner: Any, manager: Any, how: str
) -> None:
    item, project = _with_project(org, owner, manager)
    if how == "archived":
        Project.objects.filter(pk=project.pk).update(archived_at=timezone.now())
    else:
        trash.move_to_trash(actor=owner, obj=project)
    client.force_login(owner)
    page = client.get(f"/improvement/items/{item.pk}/").content.decode()
    assert 'name="action" value="complete"' in page
    response = client.post(
        f"/improvement/items/{item.pk}/",
        {"action": "complete", "result": "Stopped early; scrap fell anyway.", "version": 3},
    )
    assert response.status_code == 302
    item = ImprovementItem.objects.get(pk=item.pk)
    assert (item.status, item.result) == ("done", "Stopped early; scrap fell anyway.")


def test_an_item_whose_project_runs_still_waits_for_closure(
    org: Any, owner: Any, manager: Any
) -> None:
    item, project = _with_project(org, owner, manager)
    with pytest.raises(Invalid) as exc:
        services.complete_item(actor=owner, item=item, expected_version=3, result="r")
    assert exc.value.field == "status"
    Project.objects.filter(pk=project.pk).update(phase=Phase.CLOSURE)
    item = ImprovementItem.objects.get(pk=item.pk)
    services.complete_item(actor=owner, item=item, expected_version=3, result="r")
    assert item.status == "done"


# --- 12. The API says who edits a handover's checklist -------------------------------------


def test_the_checklist_route_names_who_may_edit_it() -> None:
    doc = improvement_api.set_handover_deliverables.__doc__ or ""
    assert "or the process owner, until" not in doc
    assert "the project manager or an admin" in " ".join(doc.split())


def test_a_rejected_item_is_not_reopened_beside_another_open_one_from_its_signal(
    org: Any, owner: Any, kpi: Any
) -> None:
    first = services.create_item(
        actor=owner, organisation=org, source="kpi", kpi=kpi, title="First", problem="p"
    )
    services.set_status(actor=owner, item=first, status="rejected", reason="x", expected_version=1)
    second = services.create_item(
        actor=owner, organisation=org, source="kpi", kpi=kpi, title="Second", problem="p"
    )
    first = ImprovementItem.objects.get(pk=first.pk)
    with pytest.raises(Invalid) as exc:
        services.set_status(actor=owner, item=first, status="new", expected_version=2)
    assert (exc.value.field, exc.value.message) == (
        "status",
        f"“Second” (item #{second.pk}) is open for Scrap rate now: follow it there instead of "
        "reopening this one.",
    )
    services.set_status(actor=owner, item=second, status="rejected", reason="x", expected_version=1)
    services.set_status(actor=owner, item=first, status="new", expected_version=2)
    assert ImprovementItem.objects.get(pk=first.pk).status == "new"
