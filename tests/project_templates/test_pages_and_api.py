"""Template pages and API: list (constant queries), save from a project, start a project."""

from __future__ import annotations

from typing import Any

from twofold.improvement.deliverables import default_deliverables
from twofold.project_templates import services
from twofold.projects.models import Project, Task


def test_template_list_page_and_api_keep_their_query_counts(
    org: Any,
    owner: Any,
    project: Project,
    chain: list[Task],
    signed_in: Any,
    api: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(owner)
    services.save_as_template(actor=owner, project=project, name="Plan x")
    with CaptureQueriesContext(connection) as one:
        client.get("/templates/")
    for i in range(8):
        services.save_as_template(actor=owner, project=project, name=f"Plan {i}")
    with django_assert_max_num_queries(len(one)):  # the same with 9 templates as with 1
        page = client.get("/templates/")
    assert page.content.count(b"/templates/") >= 9
    caller = api(owner)
    caller.get(f"/api/organisations/{org.pk}/templates")  # warm: the token's last use is written
    with django_assert_max_num_queries(7):  # token, org, one list query, ...
        listed = caller.get(f"/api/organisations/{org.pk}/templates")
    assert [t["task_count"] for t in listed.json()] == [3] * 9


def test_save_and_start_from_pages(
    org: Any,
    owner: Any,
    editor: Any,
    outsider: Any,
    project: Project,
    chain: list[Task],
    signed_in: Any,
) -> None:
    client = signed_in(owner)
    saved = client.post(f"/templates/from-project/{project.pk}/", {"name": "Press line"})
    assert saved.status_code == 302
    template = project.organisation.project_templates.get()
    overflow = client.post(
        "/templates/new-project/",
        {"template": template.pk, "name": "Far", "code": "FAR", "target_start": "9999-01-04"},
    )
    assert overflow.status_code == 400 and b"Choose a date between" in overflow.content
    made = client.post(
        "/templates/new-project/",
        {"template": template.pk, "name": "Press 2", "code": "P2", "target_start": "2026-06-01"},
    )
    assert made.status_code == 302
    assert Task.objects.filter(project__code="P2").count() == 3
    assert signed_in(outsider).get(f"/templates/{template.pk}/").status_code == 404


def test_template_api_creates_a_project_and_refuses_bad_input(
    org: Any, owner: Any, editor: Any, project: Project, chain: list[Task], api: Any
) -> None:
    base = f"/api/organisations/{org.pk}/templates"
    made = api(owner).post(base, {"project_id": project.pk, "name": "Plan"})
    assert made.status_code == 201
    tid = made.json()["id"]
    assert api(editor).post(base, {"project_id": project.pk, "name": "P"}).status_code == 403
    late = api(owner).post(
        f"{base}/{tid}/projects", {"name": "L", "code": "L", "target_start": "2149-12-30"}
    )
    assert (late.status_code, late.json().get("field")) == (422, "target_start"), late.content
    assert not Project.objects.filter(code="L").exists()
    ok = api(owner).post(
        f"{base}/{tid}/projects", {"name": "N", "code": "N", "target_start": "2026-06-01"}
    )
    assert ok.status_code == 201, ok.content
    assert api(owner).delete(f"{base}/{tid}").status_code == 204


def test_handover_deliverables_setting(org: Any, owner: Any, editor: Any, signed_in: Any) -> None:
    assert default_deliverables(org.pk)[0] == "Documents and work instructions handed over"
    assert (
        signed_in(editor)
        .post("/improvement/settings/deliverables/", {"version": 0, "items": ["X"]})
        .status_code
        == 403
    )
    done = signed_in(owner).post(
        "/improvement/settings/deliverables/", {"version": 0, "items": ["Manual", "Spares"]}
    )
    assert done.status_code == 302
    assert default_deliverables(org.pk) == ["Manual", "Spares"]
    page = signed_in(owner).get("/improvement/settings/deliverables/")
    assert b'value="Spares"' in page.content
