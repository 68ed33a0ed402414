"""Large schedule-risk runs as background jobs: queued, progress, stored result, cancel."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from twofold.core import jobs
from twofold.core import services as job_services
from twofold.core.models import HistoryEntry, Job, JobStatus
from twofold.engine import risk as risk_engine
from twofold.risks import services, simulation
from twofold.risks.models import RiskAnalysis

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat runs above 3,000 iterations × tasks as large, so tests stay fast."""
    monkeypatch.setattr(simulation, "MAX_WORK", 3_000)
    monkeypatch.setattr(simulation, "MAX_JOB_WORK", 300_000)
    monkeypatch.setattr(jobs, "REPORT_EVERY_S", 0.0)
    monkeypatch.setattr(risk_engine, "CHUNK_WORK", 3_000)  # chunks of 1,000 iterations


def _sim(**values: Any) -> dict[str, str]:
    data = {"version": "1", "distribution": "triangular", "iterations": "5000", "seed": "1"}
    data.update({k: str(v) for k, v in values.items()})
    return data


def test_a_small_run_stays_in_the_request(owner: Any, project: Any, chain: list[Any]) -> None:
    outcome = services.request_simulation(
        actor=owner, project=project, expected_version=1, iterations=1000
    )
    assert isinstance(outcome, RiskAnalysis) and outcome.ran_at is not None
    assert not Job.objects.exists()


def test_a_large_run_is_queued_and_its_result_stored_by_the_worker(
    owner: Any, project: Any, chain: list[Any]
) -> None:
    job = services.request_simulation(
        actor=owner, project=project, expected_version=1, iterations=5000
    )
    assert isinstance(job, Job) and job.status == JobStatus.QUEUED
    assert RiskAnalysis.objects.get(project=project).ran_at is None
    jobs.run_pending("w1")
    job.refresh_from_db()
    analysis = RiskAnalysis.objects.get(project=project)
    assert job.status == JobStatus.SUCCEEDED and job.result["iterations"] == 5000
    assert analysis.result["iterations"] == 5000 and analysis.ran_by == owner
    assert HistoryEntry.objects.filter(action="simulated", object_id=analysis.pk).count() == 1


def test_too_large_even_for_the_background_is_a_clear_error(
    owner: Any, project: Any, chain: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulation, "MAX_JOB_WORK", 30_000)
    with pytest.raises(services.Invalid, match="choose at most 10,000 iterations") as err:
        services.request_simulation(
            actor=owner, project=project, expected_version=1, iterations=50_000, seed=1
        )
    assert err.value.field == "iterations"
    assert not Job.objects.exists()


def test_cancelling_a_running_simulation_saves_nothing_and_says_how_far_it_got(
    owner: Any, project: Any, chain: list[Any]
) -> None:
    job = services.request_simulation(
        actor=owner, project=project, expected_version=1, iterations=5000
    )
    assert isinstance(job, Job)
    claimed = jobs.claim_next("w1")
    assert claimed is not None
    job_services.cancel_job(actor=owner, job=claimed)
    jobs.run_job(claimed, "w1")
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.result["stopped_early"] is True
    assert 0 < job.result["iterations_done"] < 5000
    assert RiskAnalysis.objects.get(project=project).ran_at is None


def test_settings_changed_while_queued_fail_the_job(
    owner: Any, project: Any, chain: list[Any]
) -> None:
    job = services.request_simulation(
        actor=owner, project=project, expected_version=1, iterations=5000
    )
    services.save_settings(actor=owner, project=project, expected_version=2, seed=9)
    jobs.run_pending("w1")
    assert isinstance(job, Job)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "changed after this run was started" in job.error


def test_page_flow_progress_panel_then_reload_to_the_result(
    client: Any, owner: Any, outsider: Any, project: Any, chain: list[Any]
) -> None:
    client.force_login(owner)
    url = reverse("risks:schedule", args=[project.pk])
    answer = client.post(url, _sim())
    job = Job.objects.get()
    assert answer.url == f"{url}?job={job.pk}"
    page = client.get(answer.url).content.decode()
    assert "Simulating 5,000 iterations" in page and "<progress" in page
    assert "finish-chart" not in page
    jobs.run_pending("w1")
    poll = client.get(answer.url, **HTMX)
    assert poll["HX-Refresh"] == "true"
    done = client.get(answer.url).content.decode()
    assert "Simulated 5,000 iterations in the background" in done and "finish-chart" in done
    client.force_login(outsider)
    assert client.get(answer.url).status_code == 404


def test_api_answers_202_with_the_job(
    api: Any, owner: Any, outsider: Any, project: Any, chain: list[Any]
) -> None:
    url = f"/api/organisations/{project.organisation_id}/projects/{project.pk}/schedule-risk"
    answer = api(owner).post(f"{url}/run", {"version": 1, "iterations": 5000})
    assert answer.status_code == 202
    job = answer.json()
    assert (job["kind"], job["status"]) == ("risks.simulation", "queued")
    assert api(outsider).get(job["url"]).status_code == 404
    jobs.run_pending("w1")
    assert api(owner).get(job["url"]).json()["status"] == "succeeded"
    assert api(owner).get(url).json()["iterations"] == 5000
