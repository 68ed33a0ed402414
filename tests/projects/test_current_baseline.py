"""One plan of record: the baseline saved last (an approved change saves a new one).

Until 2026-12-06 health (slip, overdue milestones, percent planned) measured against the
project's *first* baseline and earned value against its *latest*: after an approved change had
re-baselined a project, its card still read "Finish 10 working days later than baseline" and
counted the old milestone date as overdue, while the earned-value page judged the new plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from twofold.evm import budget
from twofold.projects import selectors
from twofold.projects import services as projects
from twofold.projects.models import Baseline, Project, Task
from twofold.projects.progress import curve_at

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)


def _replanned(org: Any, owner: Any) -> tuple[Project, Task, Task]:
    """Build (10 days) then the milestone Ready; baseline 0 saved, Build doubled to 20 days,
    and the new plan saved as baseline 1 (as an approved change does)."""
    p = projects.create_project(
        actor=owner, organisation=org, name="Dock", code="DK", target_start=MONDAY
    )
    build, _ = projects.create_task(actor=owner, project=p, name="Build", duration_minutes=4800)
    ready, _ = projects.create_task(actor=owner, project=p, name="Ready", is_milestone=True)
    projects.add_link(actor=owner, project=p, pred=build, succ=ready)
    p.refresh_from_db()
    projects.save_baseline(actor=owner, project=p, name="Approved plan", number=0)
    build.refresh_from_db()
    projects.update_task(
        actor=owner, task=build, expected_version=build.version, duration_minutes=9600
    )
    p.refresh_from_db()
    projects.save_baseline(actor=owner, project=p, name="CR-1 re-plan")
    p.refresh_from_db()
    build.refresh_from_db()
    ready.refresh_from_db()
    return p, build, ready


def test_the_card_measures_slip_and_milestones_against_the_baseline_saved_last(
    org: Any, owner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, _build, ready = _replanned(org, owner)
    assert list(p.baselines.values_list("number", flat=True)) == [0, 1]
    # The milestone: Friday 18 January in baseline 0, Friday 1 February in baseline 1 (now).
    assert timezone.localtime(ready.finish).date() == dt.date(2030, 2, 1)
    # A week after the old date, a week before the new one.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2030, 1, 25, 12, tzinfo=dt.UTC))
    cards = {c.project.pk: c for c in selectors.portfolio(org, sparklines=False)}
    one = selectors.project_card(org, p)
    for card in (cards[p.pk], one):
        assert card.slip_days == 0  # 10.0 against the first baseline
        # Only the progress behind the 20-day plan (against the first: 10 days of slip, the
        # milestone overdue, and 99 % planned).
        assert card.health.reasons == ("Progress 71.2 points behind plan",)
    # Percent planned from the current baseline, spread over each task's elapsed time: Build
    # (Mon 7 Jan 08:00 to Fri 1 Feb 17:00, 609 hours) 280 hours in on the 19th, of 9,660
    # weighed minutes (100 % on baseline 0, where Build and Ready were over by the 18th).
    planned = curve_at(p.planned_curve, dt.datetime(2030, 1, 19, 0, tzinfo=dt.UTC))
    assert round(planned, 1) == round(100 * 9600 * 280 / 609 / 9660, 1) == 45.7


def test_earned_value_and_the_pages_default_to_the_same_baseline(
    org: Any, owner: Any, signed_in: Any
) -> None:
    p, build, _ready = _replanned(org, owner)
    client_owner = signed_in(owner)
    current = Baseline.objects.get(project=p, number=1)
    rows = {r.pk: r for r in budget.task_rows(p)}
    assert (rows[build.pk].start, rows[build.pk].finish) == (MONDAY, dt.date(2030, 2, 1))
    gantt = client_owner.get(f"/projects/{p.pk}/gantt/")
    assert gantt.context["baseline"] == current
    assert "1 · CR-1 re-plan (current)" in gantt.content.decode()
    page = client_owner.get(f"/projects/{p.pk}/baselines/")
    assert page.context["baseline"] == current
    assert 'CR-1 re-plan</a> <span class="badge">Current</span>' in page.content.decode()
    # Baseline 0 is still there to compare with.
    old = client_owner.get(f"/projects/{p.pk}/baselines/?baseline=0")
    assert old.context["baseline"].number == 0


def test_replacing_baseline_0_makes_it_the_current_one_again(
    org: Any, owner: Any, api: Any
) -> None:
    p, _build, _ready = _replanned(org, owner)
    owner_api = api(owner)
    url = f"/api/organisations/{org.pk}/projects/{p.pk}/baselines"
    assert [(b["number"], b["current"]) for b in owner_api.get(url).json()] == [
        (0, False),
        (1, True),
    ]
    held = Baseline.objects.get(project=p, number=0)
    saved = owner_api.post(url, {"name": "Re-approved", "number": 0, "replaces_id": held.pk})
    assert saved.status_code == 201, saved.content
    assert saved.json()["current"] is True
    assert [(b["number"], b["current"]) for b in owner_api.get(url).json()] == [
        (0, True),
        (1, False),
    ]
    p.refresh_from_db()
    # Baseline 0 now holds the 20-day plan too: no slip either way.
    assert selectors.project_card(org, p).slip_days == 0
