"""Hostile text in every kind of field never runs as script, and a refusal is a proper 403 page.

Kept as a regression test for the hardening issue: script payloads are written into names,
descriptions, comments and people's names of the demo organisation, then the pages that show
them are opened in Chromium. Any script that ran would set ``window.__pwned`` or open a dialog.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOADS = [
    "<script>window.__pwned='script'</script>",
    '"><img src=x onerror="window.__pwned=\'img\'">',
    "<svg onload=\"window.__pwned='svg'\"></svg>",
    "javascript:window.__pwned='href'",
]


def _poison(org: Any) -> dict[str, Any]:
    """Put a payload into the visible text of objects of every kind; answer where they are."""
    from twofold.accounts.models import Team, User
    from twofold.comments.models import Comment
    from twofold.improvement.models import ImprovementItem
    from twofold.operations.models import Kpi, Process, Queue, Request, Routine
    from twofold.projects.models import Project, Task
    from twofold.risks.models import Risk

    project = Project.objects.filter(organisation=org).order_by("pk").first()
    assert project is not None
    task = Task.objects.filter(project=project).order_by("pk").last()
    assert task is not None
    one = PAYLOADS[0]
    Project.objects.filter(pk=project.pk).update(name=f"Press {PAYLOADS[0]}")
    Task.objects.filter(pk=task.pk).update(name=f"Weld {PAYLOADS[1]}")
    Comment.objects.create(
        organisation=org,
        target_kind="task",
        target_id=task.pk,
        author=User.objects.filter(memberships__organisation=org).first(),
        body=f"See [the gauge]({PAYLOADS[3]}) and {PAYLOADS[2]} {one}",
    )
    Risk.objects.filter(project=project).update(title=f"Late {PAYLOADS[2]}")
    for model in (Process, Kpi, Queue, Routine):
        for n, pk in enumerate(model.objects.filter(organisation=org).values_list("pk", flat=True)):
            model.objects.filter(pk=pk).update(name=f"Ops {n} {PAYLOADS[1]}")
    Request.objects.filter(organisation=org).update(title=f"Fix {PAYLOADS[0]}")
    ImprovementItem.objects.filter(organisation=org).update(title=f"Idea {PAYLOADS[2]}")
    for n, pk in enumerate(Team.objects.filter(organisation=org).values_list("pk", flat=True)):
        Team.objects.filter(pk=pk).update(name=f"Crew {n} {PAYLOADS[1]}")
    User.objects.filter(memberships__organisation=org, full_name="Ben Carter").update(
        full_name=f"Ben {PAYLOADS[0]}"
    )
    return {
        "project": project,
        "task": task,
        "kpi": Kpi.objects.filter(organisation=org).first(),
        "queue": Queue.objects.filter(organisation=org).first(),
        "request": Request.objects.filter(organisation=org).first(),
        "routine": Routine.objects.filter(organisation=org).first(),
        "item": ImprovementItem.objects.filter(organisation=org).first(),
    }


def test_scripts_in_fields_never_run(page, live_server, demo_org, sign_in, shot):
    where = _poison(demo_org)
    project, task = where["project"], where["task"]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in()
    pages = [
        "/",
        "/projects/",
        f"/projects/{project.pk}/",
        f"/projects/{project.pk}/tasks/",
        f"/projects/{project.pk}/tasks/{task.pk}/",
        f"/projects/{project.pk}/gantt/",
        f"/projects/{project.pk}/board/",
        "/risks/",
        f"/risks/projects/{project.pk}/",
        "/operations/",
        f"/operations/kpis/{where['kpi'].pk}/",
        f"/operations/queues/{where['queue'].pk}/",
        f"/operations/requests/{where['request'].pk}/",
        f"/operations/routines/{where['routine'].pk}/",
        "/improvement/",
        f"/improvement/items/{where['item'].pk}/",
        "/accounts/people/",
        "/accounts/teams/",
        "/my-work/",
        "/capacity/",
        "/search/?q=Press",
    ]
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, path
    page.goto(f"{live_server.url}/projects/{project.pk}/tasks/{task.pk}/")
    # The payload is shown as text, and the markdown link to javascript: is not a link.
    assert page.get_by_text("Weld " + PAYLOADS[1]).first.is_visible()
    assert page.locator("a[href^='javascript']").count() == 0
    shot("payloads-task")
    assert dialogs == []


def test_a_refused_page_is_a_403_with_the_reason_and_the_navigation(
    page, live_server, demo_org, sign_in, shot
):
    from twofold.demo.people import DEMO_PASSWORD
    from twofold.projects.models import Project

    project = Project.objects.filter(organisation=demo_org).order_by("pk").first()
    assert project is not None
    sign_in("peter.doyle@halvorsen.example", DEMO_PASSWORD)  # the demo's guest
    response = page.goto(f"{live_server.url}/risks/projects/{project.pk}/new/")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="Your role does not allow this").is_visible()
    assert page.get_by_text("Your role lets you read risks, not add them.").is_visible()
    assert page.get_by_role("link", name="Go back").get_attribute("href") == (
        f"/risks/projects/{project.pk}/"
    )
    shot("forbidden-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("forbidden-phone")
