"""The demo story loads and every page of every demo project answers 200.

How fast it loads is a figure `twofold demo` prints, not a wall-clock assertion here: on two
shared cores a timed test fails with the machine's load, not with the code."""

from __future__ import annotations

from twofold.demo.people import DEMO_EMAIL
from twofold.projects.models import Project


def test_demo_loads_and_pages_render(client, demo_summary):
    from twofold.accounts.models import User

    summary = demo_summary
    assert "6 projects with" in summary
    client.force_login(User.objects.get(email=DEMO_EMAIL))
    assert client.get("/").status_code == 200
    assert client.get("/projects/").status_code == 200
    assert client.get("/my-work/").status_code == 200
    for p in Project.objects.all():
        for suffix in [
            "",
            "tasks/",
            "gantt/",
            "gantt/?zoom=days",
            "gantt/?zoom=months",
            "gantt/?zoom=quarters",
            "board/",
            "board/?lanes=assignee",
            "baselines/",
            "gates/",
        ]:
            r = client.get(f"/projects/{p.pk}/{suffix}")
            assert r.status_code == 200, (p.name, suffix)
