"""Optimise levelling as a background job: page flow, progress panel, cancel, API, queries."""

from __future__ import annotations

import datetime as dt
import inspect
import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.capacity.conftest import add_task
from twofold.capacity import levelling, services
from twofold.core import jobs
from twofold.core import services as job_services
from twofold.core.models import Job, JobStatus
from twofold.engine.levelling import level
from twofold.projects.models import Priority

ENGINE_HAS_PROGRESS = "progress" in inspect.signature(level).parameters
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clash(owner: Any, priya: Any, project: Any) -> tuple[Any, Any]:
    first = add_task(owner, project, "Risk assessment", 3, assignee=priya, priority=Priority.HIGH)
    second = add_task(owner, project, "Site acceptance test", 3, assignee=priya)
    return first, second


@pytest.fixture
def crowded(owner: Any, org: Any, member: Any, project: Any) -> list[Any]:
    """Twelve tasks for three people: enough that the optimiser keeps searching."""
    people = [member(org, full_name=f"Fitter {n}") for n in range(3)]
    return [
        add_task(owner, project, f"Step {n}", 1 + n % 4, assignee=people[n % 3]) for n in range(12)
    ]


def _feasible(project: Any, result: dict[str, Any]) -> list[str]:
    built = levelling.build(project)
    assert result["version"] == built.version
    moves = {m["task_id"]: dt.date.fromisoformat(m["start_after"]) for m in result["moves"]}
    return levelling.check_moves(built, moves)


def test_cancel_stops_a_real_levelling_run_early_with_a_feasible_plan(
    owner: Any, project: Any, crowded: list[Any]
) -> None:
    job = services.start_levelling(actor=owner, project=project, seconds=20)
    claimed = jobs.claim_next("w1")
    assert claimed is not None and claimed.pk == job.pk
    job_services.cancel_job(actor=owner, job=claimed)
    began = time.monotonic()
    jobs.run_job(claimed, "w1")
    assert time.monotonic() - began < 10  # not the 20 s it was given
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.result["stopped_early"] is True
    assert job.result["moves"]  # the best plan so far: people are over-allocated as planned
    assert _feasible(project, job.result) == []


@pytest.mark.skipif(not ENGINE_HAS_PROGRESS, reason="the engine's level(progress=) hook")
def test_progress_reports_the_best_finish_and_stops_midway(
    owner: Any, project: Any, crowded: list[Any]
) -> None:
    reports: list[tuple[float, str]] = []

    def progress(fraction: float, message: str) -> bool:
        reports.append((fraction, message))
        return False  # stop at the first report, before the optimiser could have finished

    began = time.monotonic()
    preview = services.preview_levelling(
        actor=owner, project=project, method="optimise", seconds=20, progress=progress
    )
    assert time.monotonic() - began < 5  # of the 20 s it was given
    assert preview.stopped_early and len(reports) == 2  # the stop, then the final report
    assert any("Best plan so far finishes" in message for _, message in reports)
    assert _feasible(project, levelling.preview_as_json(preview)) == []


def test_a_finished_job_runs_to_the_same_preview_as_in_the_request(
    owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    job = services.start_levelling(actor=owner, project=project, seconds=1)
    jobs.run_pending("w1")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert [m["task_id"] for m in job.result["moves"]] == [clash[1].pk]
    assert (
        job.result["moves"][0]["reason"]
        == "Waits for Priya Raman, busy on 'Risk assessment' until Wed 5 Mar"
    )
    assert _feasible(project, job.result) == []


# ----- pages


def test_optimise_on_the_page_shows_progress_then_the_result(
    client: Any, owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    client.force_login(owner)
    start = client.post(
        reverse("capacity:level_start", args=[project.pk]), {"method": "optimise", "seconds": "1"}
    )
    job = Job.objects.get()
    page_url = f"{reverse('capacity:level', args=[project.pk])}?job={job.pk}"
    assert (start.status_code, start.url) == (302, page_url)
    html = client.get(page_url).content.decode()
    assert "<progress" in html and 'hx-trigger="every 1s"' in html
    assert "Cancel</button>" in html
    assert "is <code>twofold worker</code> running?" not in html
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(seconds=10))
    waiting = client.get(page_url, **HTMX).content.decode()
    assert waiting.strip().startswith('<section class="panel job-panel"')
    assert "is <code>twofold worker</code> running?" in waiting

    jobs.run_pending("w1")
    done = client.get(page_url, **HTMX).content.decode()
    assert "hx-trigger" not in done and "<progress" not in done
    assert "cap-bar-new" in done and "Apply: delay 1 task" in done
    assert "Optimised in the background" in done


def test_quick_method_and_bad_input_from_the_start_form(
    client: Any, owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    client.force_login(owner)
    url = reverse("capacity:level_start", args=[project.pk])
    quick = client.post(url, {"method": "heuristic", "seconds": "5"})
    assert quick.url == reverse("capacity:level", args=[project.pk])
    bad = client.post(url, {"method": "optimise", "seconds": "999"})
    assert bad.status_code == 422
    assert not Job.objects.exists()
    idle = client.get(reverse("capacity:level", args=[project.pk]), {"method": "optimise"})
    assert "Press <strong>Preview</strong> to start it" in idle.content.decode()


def test_a_cancelled_job_page_offers_the_best_plan(
    client: Any, owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    job = services.start_levelling(actor=owner, project=project, seconds=5)
    claimed = jobs.claim_next("w1")
    assert claimed is not None
    client.force_login(owner)
    page_url = f"{reverse('capacity:level', args=[project.pk])}?job={job.pk}"
    cancel = client.post(reverse("core:job_cancel", args=[job.pk]), {"next": page_url})
    assert cancel.url == page_url
    jobs.run_job(claimed, "w1")
    html = client.get(page_url).content.decode()
    assert "Cancelled after" in html and "best plan the optimiser had found" in html
    assert "Apply: delay 1 task" in html


def test_job_pages_are_404_for_outsiders_and_other_projects(
    client: Any,
    owner: Any,
    outsider: Any,
    guest: Any,
    project: Any,
    other_project: Any,
    clash: tuple[Any, Any],
) -> None:
    job = services.start_levelling(actor=owner, project=project, seconds=1)
    client.force_login(outsider)
    assert client.get(f"/capacity/projects/{project.pk}/level/?job={job.pk}").status_code == 404
    assert client.post(reverse("core:job_cancel", args=[job.pk])).status_code == 404
    client.force_login(owner)
    other = f"/capacity/projects/{other_project.pk}/level/?job={job.pk}"
    assert client.get(other).status_code == 404
    assert client.get(f"/capacity/projects/{project.pk}/level/?job=abc").status_code == 404
    client.force_login(guest)
    assert client.post(reverse("core:job_cancel", args=[job.pk])).status_code == 403
    start = reverse("capacity:level_start", args=[project.pk])
    assert client.post(start, {"method": "optimise", "seconds": "1"}).status_code == 403
    assert Job.objects.count() == 1


def test_the_progress_partial_makes_a_constant_number_of_queries(
    client: Any, owner: Any, org: Any, member: Any, project: Any, other_project: Any
) -> None:
    client.force_login(owner)

    def count(target: Any) -> int:
        job = services.start_levelling(actor=owner, project=target, seconds=1)
        jobs.try_claim(job.pk, "w1")
        url = f"{reverse('capacity:level', args=[target.pk])}?job={job.pk}"
        client.get(url, **HTMX)  # warm caches (content types, session)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, **HTMX).status_code == 200
        return len(queries)

    add_task(owner, project, "Only task", 1)
    small = count(project)
    for n in range(15):
        add_task(owner, other_project, f"Task {n}", 2, assignee=member(org))
    assert count(other_project) == small


# ----- API


def test_api_optimise_answers_202_with_the_job_and_the_job_holds_the_preview(
    api: Any, org: Any, owner: Any, outsider: Any, guest: Any, project: Any, clash: Any
) -> None:
    base = f"/api/organisations/{org.pk}/projects/{project.pk}/level"
    answer = api(owner).post(f"{base}/preview", {"method": "optimise", "seconds": 1})
    assert answer.status_code == 202
    job = answer.json()
    assert (job["status"], job["kind"]) == ("queued", "capacity.levelling")
    assert api(guest).post(f"{base}/preview", {"method": "optimise"}).status_code == 403
    jobs.run_pending("w1")
    done = api(owner).get(job["url"]).json()
    assert done["status"] == "succeeded"
    assert [m["task_id"] for m in done["result"]["moves"]] == [clash[1].pk]
    assert api(outsider).get(job["url"]).status_code == 404
    quick = api(owner).post(f"{base}/preview", {})
    assert quick.status_code == 200 and quick.json()["stopped_early"] is False
