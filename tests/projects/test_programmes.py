"""Programmes, project archive/delete and gate checklist settings: pages and API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.core.errors import Invalid
from twofold.core.history import history_for
from twofold.projects import checklists, lifecycle, programmes, services
from twofold.projects.models import GateItem, Programme, Project, Task
from twofold.risks.services import create_risk


def _programme(org: Any, owner: Any, name: str = "Operational excellence", **kw: Any) -> Programme:
    return programmes.create_programme(actor=owner, organisation=org, name=name, **kw)


def test_programme_crud_archive_and_assign_over_the_api(
    org: Any, owner: Any, editor: Any, project: Project, api: Any
) -> None:
    base = f"/api/organisations/{org.pk}/programmes"
    made = api(owner).post(
        base, {"name": "Lean", "manager_id": owner.pk, "objectives": "**Cut** lead time"}
    )
    assert made.status_code == 201, made.content
    pid = made.json()["id"]
    assert made.json()["manager_id"] == owner.pk
    assigned = api(owner).post(f"{base}/{pid}/projects", {"project_id": project.pk})
    assert assigned.status_code == 200 and assigned.json()["programme"] == "Lean"
    listed = api(owner).get(base).json()
    assert [(p["name"], p["project_count"]) for p in listed] == [("Lean", 1)]
    stale = api(owner).patch(f"{base}/{pid}", {"version": 99, "name": "Lean 2"})
    assert stale.status_code == 409
    renamed = api(owner).patch(f"{base}/{pid}", {"version": 1, "name": "Lean 2"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Lean 2"
    assert api(editor).patch(f"{base}/{pid}", {"version": 2, "name": "X"}).status_code == 403
    archived = api(owner).post(f"{base}/{pid}/archive", {"version": 2, "archived": True})
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert api(owner).get(base).json() == []
    assert [p["name"] for p in api(owner).get(f"{base}?archived=true").json()] == ["Lean 2"]
    # A client that read the project before someone changed it: 409, it stays in.
    project.refresh_from_db()
    stale_out = api(owner).delete(
        f"{base}/{pid}/projects/{project.pk}?version={project.version - 1}"
    )
    assert stale_out.status_code == 409
    out = api(owner).delete(f"{base}/{pid}/projects/{project.pk}?version={project.version}")
    assert out.json()["programme"] is None
    actions = [e.action for e in history_for(Programme.objects.get(pk=pid), viewer=None)]
    assert actions == ["project removed", "archived", "updated", "project added", "created"]


def test_bad_programme_input_names_the_field(org: Any, owner: Any, outsider: Any, api: Any) -> None:
    base = f"/api/organisations/{org.pk}/programmes"
    empty = api(owner).post(base, {"name": "  "})
    assert (empty.status_code, empty.json()["field"]) == (422, "name")
    foreign = api(owner).post(base, {"name": "P", "manager_id": outsider.pk})
    assert (foreign.status_code, foreign.json()["field"]) == (422, "manager_id")
    assert api(outsider).get(base).status_code == 404
    assert not Programme.objects.exists()


def test_programme_pages_and_their_query_counts(
    org: Any,
    owner: Any,
    editor: Any,
    outsider: Any,
    signed_in: Any,
    api: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(6):
        prog = _programme(org, owner, name=f"Programme {i}", manager=owner)
        for j in range(3):
            services.create_project(
                actor=owner, organisation=org, name=f"P{i}{j}", code=f"P{i}{j}", programme=prog
            )
    with django_assert_max_num_queries(
        18
    ):  # auth, organisation, programmes + the portfolio (incl. processes in signal, cost health,
        # the calendars' revisions for each project's working days) + the projects' work
        listed = api(owner).get(f"/api/organisations/{org.pk}/programmes")
    assert [p["project_count"] for p in listed.json()] == [3] * 6
    client = signed_in(owner)
    with django_assert_max_num_queries(19):  # + cost health's "any money yet?" check
        page = client.get("/programmes/")
    assert page.status_code == 200 and page.content.count(b"Programme ") >= 6
    detail = client.get(f"/programmes/{prog.pk}/")
    assert b"P52" in detail.content
    created = client.post(
        "/programmes/new/", {"name": "New one", "objectives": "<script>x</script>"}
    )
    new = Programme.objects.get(name="New one")
    assert created.status_code == 302
    assert b"<script>x" not in client.get(f"/programmes/{new.pk}/").content
    assert signed_in(outsider).get(f"/programmes/{new.pk}/").status_code == 404
    refused = signed_in(editor).post("/programmes/new/", {"name": "Mine"})
    assert refused.status_code == 403


def test_archived_projects_leave_lists_and_my_work_but_stay_in_reports(
    org: Any, owner: Any, project: Project, signed_in: Any, api: Any
) -> None:
    _task, _ = services.create_task(actor=owner, project=project, name="Fit guard", assignee=owner)
    client = signed_in(owner)
    assert b"Fit guard" in client.get("/my-work/").content
    done = client.post(f"/projects/{project.pk}/archive/", {"version": project.version})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.archived_at is not None
    link = f'href="/projects/{project.pk}/"'.encode()
    assert link not in client.get("/projects/").content
    assert link in client.get("/projects/?archived=1").content
    assert b"Fit guard" not in client.get("/my-work/").content
    assert api(owner).get(f"/api/organisations/{org.pk}/projects").json() == []
    export = client.get("/reports/export/projects.csv")
    assert b"PLU" in b"".join(export.streaming_content)
    assert history_for(project, viewer=None)[0].action == "archived"


def test_delete_names_what_goes_and_asks_for_the_code(
    org: Any, owner: Any, editor: Any, project: Project, chain: list[Task], signed_in: Any, api: Any
) -> None:
    create_risk(actor=owner, project=project, title="Late steel")
    assert lifecycle.what_goes_with(project)[:3] == [("tasks", 3), ("links", 2), ("risks", 1)]
    client = signed_in(owner)
    page = client.get(f"/projects/{project.pk}/delete/")
    assert b"Move project and 3 tasks, 2 links, 1 risk" in page.content
    wrong = client.post(
        f"/projects/{project.pk}/delete/", {"version": project.version, "confirm_code": "no"}
    )
    assert wrong.status_code == 422 and Project.objects.filter(pk=project.pk).exists()
    url = f"/api/organisations/{org.pk}/projects/{project.pk}"
    assert api(owner).get(f"{url}/delete").json()["goes_with"]["tasks"] == 3
    assert api(editor).delete(f"{url}?version={project.version}").status_code == 403
    assert api(owner).delete(f"{url}?version=99").status_code == 409
    assert api(owner).delete(f"{url}?version={project.version}").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Task.objects.filter(project_id=project.pk).exists()


def test_project_patch_edits_the_charter_with_a_version(
    org: Any, owner: Any, project: Project, api: Any
) -> None:
    url = f"/api/organisations/{org.pk}/projects/{project.pk}"
    prog = _programme(org, owner)
    ok = api(owner).patch(url, {"version": 1, "name": "Press line 2", "programme_id": prog.pk})
    assert ok.status_code == 200, ok.content
    assert (ok.json()["name"], ok.json()["programme"]) == ("Press line 2", prog.name)
    assert api(owner).patch(url, {"version": 1, "name": "X"}).status_code == 409
    empty = api(owner).patch(url, {"version": 2, "name": " "})
    assert (empty.status_code, empty.json()["field"]) == (422, "name")


def test_gate_checklist_settings_are_used_by_new_projects(
    org: Any, owner: Any, admin: Any, editor: Any, signed_in: Any, api: Any
) -> None:
    page = signed_in(admin).post(
        "/settings/gate-checklists/",
        {"phase": "planning", "version": 0, "items": ["Permit granted", "", "Budget approved"]},
    )
    assert page.status_code == 302
    assert checklists.gate_checklists(org)["planning"] == ["Permit granted", "Budget approved"]
    url = f"/api/organisations/{org.pk}/settings/gate-checklists/initiation"
    assert api(editor)._call("put", url, {"items": ["x"], "version": 0}).status_code == 403
    dup = api(admin)._call("put", url, {"items": ["A", "a"], "version": 0})
    assert (dup.status_code, dup.json()["field"]) == (422, "items")
    new = services.create_project(
        actor=owner, organisation=org, name="N", code="N", target_start=dt.date(2026, 6, 1)
    )
    planning = GateItem.objects.filter(gate__project=new, gate__phase="planning")
    assert list(planning.values_list("text", flat=True)) == ["Permit granted", "Budget approved"]
    assert history_for(org, viewer=None)[0].action == "gate checklist"


def test_programme_page_assigns_unassigns_and_archives(
    org: Any, owner: Any, editor: Any, project: Project, signed_in: Any
) -> None:
    prog = _programme(org, owner, manager=owner)
    client = signed_in(owner)
    client.post(f"/programmes/{prog.pk}/assign/", {"project": project.pk})
    project.refresh_from_db()
    assert project.programme_id == prog.pk
    refused = signed_in(editor).post(f"/programmes/{prog.pk}/unassign/", {"project": project.pk})
    project.refresh_from_db()
    assert refused.status_code == 403 and project.programme_id == prog.pk
    assert "Your role does not allow this" in refused.content.decode()
    client = signed_in(owner)
    client.post(f"/programmes/{prog.pk}/unassign/", {"project": project.pk})
    project.refresh_from_db()
    assert project.programme_id is None
    client.post(f"/programmes/{prog.pk}/archive/", {"version": prog.version})
    prog.refresh_from_db()
    assert prog.archived_at is not None
    assert f"/programmes/{prog.pk}/".encode() not in client.get("/programmes/").content
    assert f"/programmes/{prog.pk}/".encode() in client.get("/programmes/?archived=1").content
    # Archived programmes leave the charter's picker, and cannot take new projects.
    form = client.get(f"/projects/{project.pk}/edit/").content
    assert b">Operational excellence</option>" not in form
    with pytest.raises(Invalid) as exc:
        programmes.assign_project(actor=owner, project=project, programme=prog)
    assert exc.value.field == "programme"


def test_settings_pages_are_read_only_for_members_and_refuse_stale_versions(
    org: Any, admin: Any, editor: Any, signed_in: Any
) -> None:
    page = signed_in(editor).get("/settings/gate-checklists/").content
    assert b"Charter approved by the sponsor" in page and b"disabled" in page
    assert b"Save gate out of" not in page
    client = signed_in(admin)
    client.post("/settings/gate-checklists/", {"phase": "execution", "version": 0, "items": ["A"]})
    stale = client.post(
        "/settings/gate-checklists/", {"phase": "execution", "version": 0, "items": ["B"]}
    )
    assert stale.status_code == 409
    assert checklists.gate_checklists(org)["execution"] == ["A"]


def test_deleting_a_project_names_and_removes_its_attachments(
    org: Any, owner: Any, project: Project, chain: list[Task], settings: Any, tmp_path: Any
) -> None:
    from django.core.files.base import ContentFile

    from twofold.attachments.models import Attachment

    settings.MEDIA_ROOT = str(tmp_path)
    attachment = Attachment(
        organisation=org,
        target_kind="task",
        target_id=chain[0].pk,
        original_name="drawing.pdf",
        content_type="application/pdf",
        size=3,
    )
    attachment.file.save("x.pdf", ContentFile(b"pdf"), save=True)
    assert ("attachments", 1) in lifecycle.what_goes_with(project)
    lifecycle.delete_project(actor=owner, project=project, expected_version=None)
    assert Attachment.objects.filter(pk=attachment.pk).exists()  # in the trash with it
    from twofold.core import trash
    from twofold.core.models import TrashEntry

    entry = TrashEntry.objects.get(object_id=project.pk, kind="projects.project")
    trash.purge_now(actor=owner, organisation=org, entry_id=entry.pk)
    assert not Attachment.objects.filter(pk=attachment.pk).exists()


def test_api_creates_a_project_in_a_programme(
    org: Any, owner: Any, make_org: Any, api: Any
) -> None:
    prog = _programme(org, owner)
    other = programmes.create_programme(actor=owner, organisation=org, name="Other")
    base = f"/api/organisations/{org.pk}/projects"
    made = api(owner).post(
        base,
        {"name": "Cell", "code": "C1", "target_start": "2026-06-01", "programme_id": prog.pk},
    )
    assert made.status_code == 201 and made.json()["programme"] == prog.name
    programmes.set_programme_archived(
        actor=owner, programme=other, archived=True, expected_version=other.version
    )
    archived = api(owner).post(
        base, {"name": "X", "code": "X", "target_start": "2026-06-01", "programme_id": other.pk}
    )
    assert (archived.status_code, archived.json()["field"]) == (422, "programme")
    missing = api(owner).post(
        base, {"name": "Y", "code": "Y", "target_start": "2026-06-01", "programme_id": 10**6}
    )
    assert (missing.status_code, missing.json()["field"]) == (422, "programme_id")


def test_the_portfolio_links_keep_the_query_whatever_its_parameter_names(
    owner: Any, project: Project, signed_in: Any
) -> None:
    """``?items=1`` answered 500 on both pages: the template read ``request.GET.items`` as the
    parameter's value; ``?urlencode=zzz`` turned the other view's link into ``/?zzz``."""
    client = signed_in(owner)
    for url in ("/?items=1&phase=planning", "/projects/?items=1&phase=planning"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert b'href="?items=1&amp;phase=planning&amp;archived=1">Show archived' in page.content
    shown = client.get("/projects/?urlencode=zzz&archived=1&page=2").content
    assert b'href="?urlencode=zzz">Hide archived' in shown
    assert b'href="/?urlencode=zzz&amp;archived=1&amp;page=2">Card view' in shown


def test_a_stale_programme_page_does_not_move_a_project_back(
    org: Any, owner: Any, project: Project, signed_in: Any
) -> None:
    """The "Add a project" list offers projects of other programmes too: a page drawn before
    someone moved the project into another programme took it out of there again, unseen
    (until 2026-12-06 the list's choice carried no version)."""
    lean = _programme(org, owner, manager=owner)
    other = programmes.create_programme(actor=owner, organisation=org, name="Digital")
    client = signed_in(owner)
    page = client.get(f"/programmes/{lean.pk}/").content.decode()
    read = project.version
    assert f'value="{project.pk}:{read}"' in page
    programmes.assign_project(actor=owner, project=project, programme=other)  # someone else
    stale = client.post(f"/programmes/{lean.pk}/assign/", {"project": f"{project.pk}:{read}"})
    project.refresh_from_db()
    assert project.programme_id == other.pk
    assert stale.status_code == 302  # back to the page, with the reason
    page = client.get(f"/programmes/{lean.pk}/").content.decode()
    assert "Someone else changed this since you opened it" in page
    assert f"{project.name} ({project.code}) · now in Digital" in page
    client.post(f"/programmes/{lean.pk}/assign/", {"project": f"{project.pk}:{project.version}"})
    project.refresh_from_db()
    assert project.programme_id == lean.pk
