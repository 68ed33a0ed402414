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


def test_a_projects_own_card_is_its_portfolio_card(demo_org, django_assert_num_queries):
    """The overview page's card (``project_card``: its own reads, compiled once) says what the
    portfolio's card says, on demo projects whose health has every kind of reason."""
    from twofold.projects import selectors

    def facts(card):
        return (
            card.health,
            card.percent_complete,
            card.percent_planned,
            card.next_milestone,
            card.next_milestone_date,
            card.slip_days,
        )

    cards = selectors.portfolio(demo_org, sparklines=False)
    reasons = " ".join(r for c in cards for r in c.health.reasons)
    for kind in ("later than baseline", "overdue milestone", "open high risk", "in signal", "CPI"):
        assert kind in reasons
    for card in cards:
        project = Project.objects.get(pk=card.project.pk)
        assert facts(selectors.project_card(demo_org, project)) == facts(card), project.name
        # its own facts, its cost facts, then the earned-value figures from the cache
        with django_assert_num_queries(4):
            selectors.project_card(demo_org, project)


def test_the_demo_progress_history_never_falls(demo_org):
    """Change requests and the handover add tasks after the demo took its snapshots, so
    percent complete, and earned value with it, fell on the last day (a crawl found EV at
    £28,476 a week ago and £26,346 today)."""
    from twofold.projects.models import ProgressSnapshot, Project

    for project in Project.objects.filter(organisation=demo_org):
        done = list(
            ProgressSnapshot.objects.filter(project=project)
            .order_by("date")
            .values_list("percent_complete", flat=True)
        )
        if not done:
            continue
        assert done == sorted(done), project.name
        assert done[-1] <= project.percent_complete + 0.5, project.name


def test_the_demo_gates_and_ceilings_tell_a_story(demo_org):
    """Every gate of every project was signed off on one day (now - 20 days), and every
    project's ceiling was £250,000 whatever it cost."""
    from twofold.evm.portfolio import metrics_of
    from twofold.projects.models import Gate, Project

    passed = list(
        Gate.objects.filter(project__organisation=demo_org, passed_at__isnull=False).values_list(
            "passed_at", flat=True
        )
    )
    assert len({p.date() for p in passed}) > len(passed) // 2
    projects = list(Project.objects.filter(organisation=demo_org))
    figures = metrics_of(demo_org, projects)
    ceilings = {p.budget_ceiling for p in projects}
    assert len(ceilings) > 3
    for p in projects:
        assert p.budget_ceiling is not None and p.budget_ceiling >= figures[p.pk].bac, p.name


def test_the_queue_in_hypercare_has_its_first_faults(demo_org):
    """The queue handed over in hypercare had no requests: its page and SLA figures were
    empty."""
    from twofold.operations.models import Request

    rows = sorted(
        Request.objects.filter(
            queue__organisation=demo_org, queue__name="Energy meter faults"
        ).values_list("status", flat=True)
    )
    assert rows == ["in_progress", "new", "resolved"]
