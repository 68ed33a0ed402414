"""The review's findings on projects, each reproduced: exact status, message, nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.accounts.models import Membership, Role
from twofold.core.errors import Conflict, Invalid
from twofold.projects import services
from twofold.projects.models import ChecklistItem, GateItem, Link, Phase, Project, Task

DATE_MESSAGE = "Choose a date between 1 Jan 1980 and 31 Dec 2149."


def _api_base(org, project):
    return f"/api/organisations/{org.pk}/projects/{project.pk}"


# ---------------------------------------------------------------------------------------------
# 3. Far-away dates are refused (the engine's calendars cover 1980-2149)


@pytest.mark.django_db
@pytest.mark.parametrize("day", [dt.date(9999, 12, 1), dt.date(1, 1, 1), dt.date(1979, 12, 31)])
def test_project_dates_outside_the_calendar_are_invalid(org, owner, day):
    with pytest.raises(Invalid) as err:
        services.create_project(
            actor=owner, organisation=org, name="Far", code="FAR", target_start=day
        )
    assert (err.value.message, err.value.field) == (DATE_MESSAGE, "target_start")
    assert not Project.objects.filter(code="FAR").exists()


@pytest.mark.django_db
def test_project_finish_and_status_date_are_bounded(project, owner):
    for field in ("target_finish", "status_date"):
        with pytest.raises(Invalid) as err:
            services.update_project(
                actor=owner,
                project=project,
                expected_version=project.version,
                **{field: dt.date(2150, 1, 1)},
            )
        assert (err.value.message, err.value.field) == (DATE_MESSAGE, field)
    project.refresh_from_db()
    assert project.target_finish is None and project.status_date is None and project.version == 1


@pytest.mark.django_db
def test_task_dates_outside_the_calendar_are_invalid(chain, owner):
    a = chain[0]
    for field, extra in [
        ("constraint_date", {"constraint_type": "snet"}),
        ("actual_start", {}),
        ("actual_finish", {}),
    ]:
        with pytest.raises(Invalid) as err:
            services.update_task(
                actor=owner,
                task=a,
                expected_version=a.version,
                **{field: dt.date(9999, 12, 31)},
                **extra,
            )
        assert (err.value.message, err.value.field) == (DATE_MESSAGE, field)
    a.refresh_from_db()
    assert a.constraint_date is None and a.actual_start is None and a.version == 1


@pytest.mark.django_db
def test_a_plan_running_past_the_calendar_is_invalid(org, owner):
    project = services.create_project(
        actor=owner, organisation=org, name="Late", code="LATE", target_start=dt.date(2149, 6, 2)
    )
    task, _ = services.create_task(actor=owner, project=project, name="A")
    with pytest.raises(Invalid) as err:
        services.update_task(
            actor=owner, task=task, expected_version=task.version, duration_minutes=2000 * 480
        )
    assert err.value.message == (
        "The schedule would run past 31 Dec 2149, the last day the calendar covers."
    )
    assert err.value.field == "duration_minutes"
    assert Task.objects.get(pk=task.pk).duration_minutes == 480


@pytest.mark.django_db
def test_far_dates_on_pages_are_form_errors(client, project, chain, owner):
    client.force_login(owner)
    r = client.post("/projects/new/", {"name": "Far", "code": "FAR", "target_start": "9999-12-01"})
    assert r.status_code == 400 and DATE_MESSAGE in r.content.decode()
    assert not Project.objects.filter(code="FAR").exists()
    a = chain[0]
    drag = client.post(
        f"/projects/{project.pk}/gantt/{a.pk}/drag/", {"start": "9999-12-31", "version": a.version}
    )
    assert drag.status_code == 422
    assert drag.json() == {"detail": DATE_MESSAGE, "field": "start"}
    inline = client.post(
        f"/projects/{project.pk}/tasks/{a.pk}/inline/",
        {"version": a.version, "constraint_date": "9999-12-31"},
        HTTP_HX_REQUEST="true",
    )
    assert inline.status_code == 422 and DATE_MESSAGE in inline.content.decode()
    detail = client.post(
        f"/projects/{project.pk}/tasks/{a.pk}/",
        {
            "form": "task",
            "version": a.version,
            "name": "A",
            "priority": "normal",
            "duration_days": "3",
            "constraint_type": "snet",
            "constraint_date": "9999-12-31",
        },
    )
    assert detail.status_code == 400 and DATE_MESSAGE in detail.content.decode()
    a.refresh_from_db()
    assert a.constraint_date is None and a.version == 1


@pytest.mark.django_db
def test_far_dates_in_the_api_are_422_naming_the_field(api, org, project, chain, owner):
    client = api(owner)
    r = client.post(
        f"/api/organisations/{org.pk}/projects",
        {"name": "Far", "code": "FAR", "target_start": "9999-12-31"},
    )
    assert r.status_code == 422 and r.json()["field"] == "target_start"
    assert r.json()["detail"] == f"target_start: {DATE_MESSAGE}"
    a = chain[0]
    r = client.patch(
        f"{_api_base(org, project)}/tasks/{a.pk}",
        {"version": a.version, "start_no_earlier_than": "0001-01-02"},
    )
    assert r.status_code == 422 and r.json()["field"] == "start_no_earlier_than"
    assert not Project.objects.filter(code="FAR").exists()
    assert Task.objects.get(pk=a.pk).constraint_date is None


# ---------------------------------------------------------------------------------------------
# 4. null in a PATCH, None in a service


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field", ["name", "description", "duration_minutes", "status", "priority", "percent_complete"]
)
def test_null_in_task_patch_is_422_naming_the_field(api, org, project, chain, owner, field):
    a = chain[0]
    a.description = "Keep me"
    a.save()
    r = api(owner).patch(
        f"{_api_base(org, project)}/tasks/{a.pk}", {"version": a.version, field: None}
    )
    assert r.status_code == 422
    assert r.json() == {"detail": f"{field} cannot be null.", "field": field}
    a.refresh_from_db()
    assert (a.name, a.description, a.version) == ("A", "Keep me", 1)


@pytest.mark.django_db
def test_services_refuse_none_for_non_nullable_fields(project, chain, owner):
    a = chain[0]
    for field in ("name", "description", "effort_minutes", "is_milestone", "constraint_type"):
        with pytest.raises(Invalid) as err:
            services.update_task(actor=owner, task=a, expected_version=a.version, **{field: None})
        assert (err.value.message, err.value.field) == (f"Give a value for {field}.", field)
    for field in ("name", "code", "objectives", "scope", "target_start"):
        with pytest.raises(Invalid) as err:
            services.update_project(
                actor=owner, project=project, expected_version=project.version, **{field: None}
            )
        assert (err.value.message, err.value.field) == (f"Give a value for {field}.", field)
    project.refresh_from_db()
    assert project.name == "Press line upgrade" and project.code == "PLU"
    assert Task.objects.get(pk=a.pk).name == "A"


# ---------------------------------------------------------------------------------------------
# 6. Guests are neither sponsors nor managers, and cannot pass gates


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["sponsor", "manager"])
def test_a_guest_cannot_be_sponsor_or_manager(project, owner, guest, field):
    with pytest.raises(Invalid) as err:
        services.update_project(
            actor=owner, project=project, expected_version=project.version, **{field: guest}
        )
    assert err.value.field == field
    assert err.value.message == f"A guest cannot be the {field}; choose a member, admin or owner."
    project.refresh_from_db()
    assert project.sponsor is None and project.manager is None


@pytest.mark.django_db
def test_a_sponsor_demoted_to_guest_cannot_pass_a_gate(client, project, editor, owner):
    services.update_project(
        actor=owner, project=project, expected_version=project.version, sponsor=editor
    )
    Membership.objects.filter(user=editor).update(role=Role.GUEST)
    gate = project.gates.get(phase=Phase.INITIATION)
    gate.items.update(done=True)
    assert not services.may_approve(editor, project)
    client.force_login(editor)
    r = client.post(f"/projects/{project.pk}/gates/{gate.pk}/pass/", {"version": gate.version})
    assert r.status_code == 403
    assert "Only an admin or the project&#x27;s sponsor can sign off a gate." in r.content.decode()
    project.refresh_from_db()
    assert project.phase == Phase.INITIATION


@pytest.mark.django_db
def test_project_form_does_not_offer_guests_as_sponsor(client, project, owner, guest):
    client.force_login(owner)
    body = client.get(f"/projects/{project.pk}/edit/").content.decode()
    sponsor = body.split('name="sponsor"')[1].split("</select>")[0]
    assert "Gus Guest" not in sponsor


# ---------------------------------------------------------------------------------------------
# 7. A guest ticking a checklist item


@pytest.mark.django_db
def test_guest_toggling_a_checklist_item_is_403(client, project, chain, owner, guest):
    a = chain[0]
    item = services.add_checklist_item(actor=owner, task=a, text="Check the torque")
    client.force_login(guest)
    r = client.post(
        f"/projects/{project.pk}/tasks/{a.pk}/", {"form": "toggle", "item": item.pk, "done": "1"}
    )
    assert r.status_code == 403
    assert "Your role does not allow you to edit this." in r.content.decode()
    assert ChecklistItem.objects.get(pk=item.pk).done is False


# ---------------------------------------------------------------------------------------------
# 9. Bounded paging of the task list


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"offset={2**63}", "offset"),
        ("offset=-1", "offset"),
        (f"limit={2**70}", "limit"),
        ("limit=2001", "limit"),
        ("limit=0", "limit"),
    ],
)
def test_task_list_paging_is_bounded(api, org, project, chain, owner, query, field):
    r = api(owner).get(f"{_api_base(org, project)}/tasks?{query}")
    assert r.status_code == 422 and r.json()["field"] == field


@pytest.mark.django_db
def test_task_list_largest_offset_is_an_empty_page(api, org, project, chain, owner):
    r = api(owner).get(f"{_api_base(org, project)}/tasks?offset={10**9}&limit=500")
    assert r.status_code == 200
    assert r.json() == {"count": 3, "offset": 10**9, "limit": 500, "items": []}


# ---------------------------------------------------------------------------------------------
# 10. Stale writes: board moves, WIP limits, indent/outdent, gates, toggles, charter


STALE_CARD = (
    "Someone else changed “A” since you opened the board. "
    "The board now shows their change; move the card again if you still want to."
)


@pytest.mark.django_db
def test_stale_board_move_is_a_conflict(client, project, chain, owner, editor):
    a = chain[0]
    services.update_task(actor=editor, task=a, expected_version=a.version, status="done")
    client.force_login(owner)
    r = client.post(
        f"/projects/{project.pk}/board/move/", {"task": a.pk, "status": "doing", "version": 1}
    )
    assert r.status_code == 409
    assert r.json() == {"detail": STALE_CARD, "field": "version"}
    a.refresh_from_db()
    assert (a.status, a.percent_complete, a.version) == ("done", 100, 2)
    # The board shows the message after it reloads.
    assert STALE_CARD in client.get(f"/projects/{project.pk}/board/").content.decode()


@pytest.mark.django_db
def test_board_move_needs_the_version(client, project, chain, owner):
    a = chain[0]
    client.force_login(owner)
    r = client.post(f"/projects/{project.pk}/board/move/", {"task": a.pk, "status": "doing"})
    assert r.status_code == 422
    assert r.json() == {"detail": "Send the card's version.", "field": "version"}
    ok = client.post(
        f"/projects/{project.pk}/board/move/",
        {"task": a.pk, "status": "doing", "version": a.version},
    )
    assert ok.status_code == 200 and ok.json()["version"] == Task.objects.get(pk=a.pk).version
    assert Task.objects.get(pk=a.pk).status == "doing"


@pytest.mark.django_db
def test_board_markup_carries_versions(client, project, chain, owner):
    client.force_login(owner)
    body = client.get(f"/projects/{project.pk}/board/").content.decode()
    a = chain[0]
    assert f'data-task="{a.pk}" data-version="{a.version}"' in body


@pytest.mark.django_db
def test_api_move_needs_and_checks_the_version(api, org, project, chain, owner):
    a = chain[0]
    url = f"{_api_base(org, project)}/tasks/{a.pk}/move"
    missing = api(owner).post(url, {"status": "doing"})
    assert missing.status_code == 428 and missing.json()["field"] == "version"
    stale = api(owner).post(url, {"status": "doing", "version": a.version + 5})
    assert stale.status_code == 409 and stale.json()["detail"] == STALE_CARD
    current = stale.json()["current"]
    assert (current["id"], current["status"], current["version"]) == (a.pk, "todo", a.version)
    assert Task.objects.get(pk=a.pk).status == "todo"
    ok = api(owner).post(url, {"status": "doing", "version": a.version})
    assert ok.status_code == 200 and ok.json()["task"]["status"] == "doing"


@pytest.mark.django_db
def test_service_move_card_checks_the_version(chain, owner):
    a = chain[0]
    with pytest.raises(Conflict) as err:
        services.move_card(actor=owner, task=a, status="doing", expected_version=a.version + 1)
    assert err.value.message == STALE_CARD
    assert Task.objects.get(pk=a.pk).board_key == a.board_key


@pytest.mark.django_db
def test_stale_wip_limits_are_a_conflict(client, project, owner):
    services.set_wip_limits(
        actor=owner, project=project, limits={"doing": 3}, expected_version=project.version
    )
    client.force_login(owner)
    r = client.post(f"/projects/{project.pk}/board/limits/", {"limit_doing": "5", "version": 1})
    assert r.status_code == 409 and "Someone else changed this" in r.content.decode()
    assert Project.objects.get(pk=project.pk).wip_limits == {"doing": 3}
    missing = client.post(f"/projects/{project.pk}/board/limits/", {"limit_doing": "5"})
    assert missing.status_code == 400
    assert Project.objects.get(pk=project.pk).wip_limits == {"doing": 3}


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["indent", "outdent"])
def test_stale_indent_and_outdent_are_conflicts(client, project, chain, owner, action):
    a = chain[0]
    c, _ = services.create_task(actor=owner, project=project, name="C", after=a)
    if action == "outdent":
        services.indent_task(actor=owner, task=c, expected_version=c.version)
    c.refresh_from_db()
    parent = c.parent_id
    client.force_login(owner)
    url = f"/projects/{project.pk}/tasks/{c.pk}/{action}/"
    r = client.post(url, {"version": c.version - 1 or 99})
    assert r.status_code == 409 and "Someone else changed this" in r.content.decode()
    assert Task.objects.get(pk=c.pk).parent_id == parent
    missing = client.post(url, {})
    assert (
        missing.status_code == 400
        and "missing its version: reload the page" in missing.content.decode()
    )
    assert Task.objects.get(pk=c.pk).parent_id == parent
    ok = client.post(url, {"version": c.version})
    assert ok.status_code == 302 and Task.objects.get(pk=c.pk).parent_id != parent


@pytest.mark.django_db
def test_gate_pass_needs_the_version(client, project, owner):
    gate = project.gates.get(phase=Phase.INITIATION)
    gate.items.update(done=True)
    client.force_login(owner)
    missing = client.post(f"/projects/{project.pk}/gates/{gate.pk}/pass/", {})
    assert (
        missing.status_code == 400
        and "missing its version: reload the page" in missing.content.decode()
    )
    stale = client.post(f"/projects/{project.pk}/gates/{gate.pk}/pass/", {"version": 7})
    assert stale.status_code == 409 and "Someone else changed this" in stale.content.decode()
    assert Project.objects.get(pk=project.pk).phase == Phase.INITIATION


@pytest.mark.django_db
def test_gate_item_sends_the_wanted_state(client, project, owner, admin):
    item = GateItem.objects.filter(gate__project=project).first()
    url = f"/projects/{project.pk}/gates/items/{item.pk}/toggle/"
    for user in (owner, admin):
        client.force_login(user)
        assert client.post(url, {"done": "1"}).status_code == 302
    assert GateItem.objects.get(pk=item.pk).done is True
    assert client.post(url, {}).status_code == 400
    assert GateItem.objects.get(pk=item.pk).done is True


@pytest.mark.django_db
def test_checklist_item_sends_the_wanted_state(client, project, chain, owner, admin):
    a = chain[0]
    item = services.add_checklist_item(actor=owner, task=a, text="Torque")
    url = f"/projects/{project.pk}/tasks/{a.pk}/"
    for user in (owner, admin):
        client.force_login(user)
        r = client.post(url, {"form": "toggle", "item": item.pk, "done": "1"})
        assert r.status_code == 302
    assert ChecklistItem.objects.get(pk=item.pk).done is True
    assert client.post(url, {"form": "toggle", "item": item.pk}).status_code == 400
    assert ChecklistItem.objects.get(pk=item.pk).done is True
    body = client.get(url).content.decode()
    assert 'name="done" value="0"' in body


@pytest.mark.django_db
def test_charter_edit_needs_the_version(client, project, owner):
    client.force_login(owner)
    r = client.post(
        f"/projects/{project.pk}/edit/",
        {"name": "Renamed", "code": "PLU", "target_start": "2025-03-03"},
    )
    assert r.status_code == 400
    assert Project.objects.get(pk=project.pk).name == "Press line upgrade"
    create = client.post(
        "/projects/new/", {"name": "New", "code": "NEW", "target_start": "2025-03-03"}
    )
    assert create.status_code == 302


# ---------------------------------------------------------------------------------------------
# 14. Strict dates in the API


@pytest.mark.django_db
@pytest.mark.parametrize("value", [1700000000, 0, "2025-03-03T00:00:00", True])
def test_api_dates_are_strict(api, org, project, chain, owner, value):
    r = api(owner).post(
        f"/api/organisations/{org.pk}/projects",
        {"name": "X", "code": "X", "target_start": value},
    )
    assert r.status_code == 422 and r.json()["field"] == "target_start"
    a = chain[0]
    r = api(owner).patch(
        f"{_api_base(org, project)}/tasks/{a.pk}",
        {"version": a.version, "start_no_earlier_than": value},
    )
    assert r.status_code == 422 and r.json()["field"] == "start_no_earlier_than"
    assert not Project.objects.filter(code="X").exists()
    assert Task.objects.get(pk=a.pk).constraint_date is None


@pytest.mark.django_db
def test_api_iso_dates_still_work(api, org, owner):
    r = api(owner).post(
        f"/api/organisations/{org.pk}/projects",
        {"name": "X", "code": "X", "target_start": "2025-03-03", "target_finish": "2025-06-30"},
    )
    assert r.status_code == 201 and r.json()["target_finish"] == "2025-06-30"


# ---------------------------------------------------------------------------------------------
# 15. Guest writes answer 403


@pytest.mark.django_db
def test_guest_writes_answer_403(client, project, chain, guest):
    a = chain[0]
    link = Link.objects.first()
    item = GateItem.objects.filter(gate__project=project).first()
    p = f"/projects/{project.pk}"
    client.force_login(guest)
    posts = [
        (f"{p}/tasks/{a.pk}/inline/", {"version": a.version, "name": "hack"}, {}),
        (
            f"{p}/tasks/{a.pk}/inline/",
            {"version": a.version, "name": "hack"},
            {"HTTP_HX_REQUEST": "true"},
        ),
        (f"{p}/tasks/{a.pk}/delete/", {"version": a.version}, {}),
        (f"{p}/tasks/{a.pk}/indent/", {"version": a.version}, {}),
        (f"{p}/links/{link.pk}/delete/", {}, {}),
        (f"{p}/board/limits/", {"limit_todo": "3", "version": project.version}, {}),
        (f"{p}/gates/items/{item.pk}/toggle/", {}, {}),
        (f"{p}/gates/items/{item.pk}/toggle/", {"done": "1"}, {}),
    ]
    for url, data, headers in posts:
        r = client.post(url, data, **headers)
        assert r.status_code == 403, url
        assert "Your role does not allow you to" in r.content.decode(), url
    a.refresh_from_db()
    assert a.name == "A" and Link.objects.filter(pk=link.pk).exists()
    assert Project.objects.get(pk=project.pk).wip_limits == {}
    assert GateItem.objects.get(pk=item.pk).done is False


# ---------------------------------------------------------------------------------------------
# Leftover: the variance table also compares duration and work


@pytest.mark.django_db
def test_variance_shows_duration_and_work(client, project, chain, owner):
    services.save_baseline(actor=owner, project=project, name="Plan")
    a = Task.objects.get(pk=chain[0].pk)
    services.update_task(
        actor=owner,
        task=a,
        expected_version=a.version,
        duration_minutes=5 * 480,
        effort_minutes=16 * 60,
    )
    client.force_login(owner)
    body = client.get(f"/projects/{project.pk}/baselines/?baseline=0").content.decode()
    row = body.split("<td", 1)[1].split("</tr>")[0]
    assert '<td class="var-late" title="Baseline 3 d, now 5 d">+2 d</td>' in row
    assert '<td class="var-late" title="Baseline 0 h, now 16 h">+16 h</td>' in row
    assert "Duration var." in body and "Work var." in body


@pytest.mark.django_db
def test_variance_can_list_only_the_tasks_that_differ(client, project, chain, owner):
    services.save_baseline(actor=owner, project=project, name="Plan")
    client.force_login(owner)
    url = f"/projects/{project.pk}/baselines/?baseline=0"
    unchanged = client.get(f"{url}&differ=1").content.decode()
    assert "0 of 3 tasks differ from it" in unchanged
    assert "Every task is as in this baseline." in unchanged
    b = Task.objects.get(pk=chain[1].pk)
    services.update_task(actor=owner, task=b, expected_version=b.version, duration_minutes=4 * 480)
    every = client.get(url).content.decode()
    assert "2 of 3 tasks differ from it" in every  # B lasts longer, M comes later
    assert every.count("<tr") == 4  # the header and A, B, M
    only = client.get(f"{url}&differ=1").content.decode()
    assert only.count("<tr") == 3 and ">A</td>" not in only and ">B</td>" in only
    assert 'name="differ" value="1" checked' in only


@pytest.mark.django_db
def test_variance_rows_come_in_pages(client, project, chain, owner, monkeypatch):
    from twofold.projects import views

    monkeypatch.setattr(views, "TASKS_PAGE", 2)
    services.save_baseline(actor=owner, project=project, name="Plan")
    client.force_login(owner)
    url = f"/projects/{project.pk}/baselines/?baseline=0"
    first = client.get(url).content.decode()
    assert "Rows 1–2 of 3" in first and ">A</td>" in first and ">M</td>" not in first
    assert 'href="?baseline=0&amp;page=2"' in first
    second = client.get(f"{url}&page=2").content.decode()
    assert "Rows 3–3 of 3" in second and ">M</td>" in second and ">A</td>" not in second
    assert "← Previous rows" in second and "Next rows" not in second
