"""Writes that replace or build on what someone read: a baseline saved over a number, a link
between tasks read at some version. A stale one answers 409 and changes nothing (until
2026-12-06 a baseline number was replaced whatever it held by then, and an API link took no
versions)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from twofold.projects import services
from twofold.projects.models import Baseline, Link


def _seen(body: str) -> str:
    found = re.search(r'name="seen" value="([^"]*)"', body)
    assert found is not None
    return found.group(1)


@pytest.mark.django_db
def test_the_page_replaces_the_baseline_it_showed_and_no_other(
    client: Any, project: Any, chain: Any, owner: Any
) -> None:
    first = services.save_baseline(actor=owner, project=project, name="Approved plan")
    client.force_login(owner)
    url = f"/projects/{project.pk}/baselines/"
    page = client.get(url).content.decode()
    assert _seen(page) == f"0:{first.pk}"
    assert "0 · replace “Approved plan”" in page and ">1 (free)</option>" in page
    # Someone replaces baseline 0 (and saves 1) after the page was drawn.
    theirs = services.save_baseline(
        actor=owner, project=project, name="Their re-plan", number=0, replaces=first.pk
    )
    services.save_baseline(actor=owner, project=project, name="Their extra", number=1)
    for number in ("0", "1"):
        stale = client.post(url, {"name": "Mine", "number": number, "seen": f"0:{first.pk}"})
        assert stale.status_code == 409
        body = stale.content.decode()
        assert re.search(rf"Baseline {number} now holds “Their (re-plan|extra)”", body)
        # Drawn again with what the numbers hold now, so that saving again replaces it.
        assert _seen(body) == ",".join(
            f"{b.number}:{b.pk}" for b in Baseline.objects.filter(project=project)
        )
    assert list(
        Baseline.objects.filter(project=project).order_by("number").values_list("name", flat=True)
    ) == ["Their re-plan", "Their extra"]
    again = client.post(url, {"name": "Mine", "number": "0", "seen": _seen(body)})
    assert again.status_code == 302
    assert Baseline.objects.get(project=project, number=0).name == "Mine"
    assert not Baseline.objects.filter(pk=theirs.pk).exists()
    # A damaged list of what the page showed reads as nothing shown (a 409), never a 500.
    for seen in ("0:²", "²:1", "0:" + "9" * 40, "x", ",,:", "0:-1"):
        answer = client.post(url, {"name": "Odd", "number": "0", "seen": seen})
        assert answer.status_code == 409, seen
    # "Next free" needs nothing read.
    assert client.post(url, {"name": "Next", "number": "", "seen": ""}).status_code == 302
    assert Baseline.objects.get(project=project, number=2).name == "Next"


@pytest.mark.django_db
def test_the_api_replaces_a_baseline_only_by_its_id_and_links_tasks_at_their_versions(
    api: Any, org: Any, project: Any, chain: Any, owner: Any
) -> None:
    base = f"/api/organisations/{org.pk}/projects/{project.pk}"
    client = api(owner)
    made = client.post(f"{base}/baselines", {"name": "Plan", "number": 0})
    assert made.status_code == 201
    blind = client.post(f"{base}/baselines", {"name": "Over", "number": 0})
    assert blind.status_code == 409 and "which you did not say to replace" in blind.json()["detail"]
    wrong = client.post(f"{base}/baselines", {"name": "Over", "number": 0, "replaces_id": 999999})
    assert (
        wrong.status_code == 409 and "by someone else since you read it" in wrong.json()["detail"]
    )
    assert Baseline.objects.get(project=project, number=0).name == "Plan"
    ok = client.post(
        f"{base}/baselines", {"name": "Over", "number": 0, "replaces_id": made.json()["id"]}
    )
    assert ok.status_code == 201 and ok.json()["name"] == "Over"

    a, _ = services.create_task(actor=owner, project=project, name="Survey")
    b, _ = services.create_task(actor=owner, project=project, name="Report")
    read = a.version
    services.update_task(actor=owner, task=a, expected_version=read, name="Site survey")
    stale = client.post(
        f"{base}/links",
        {"pred_id": a.pk, "succ_id": b.pk, "pred_version": read, "succ_version": b.version},
    )
    assert (
        stale.status_code == 409
        and "Someone else changed “Site survey” since you read it" in stale.json()["detail"]
    )
    assert not Link.objects.filter(pred=a, succ=b).exists()
    a.refresh_from_db()
    fresh = client.post(
        f"{base}/links",
        {"pred_id": a.pk, "succ_id": b.pk, "pred_version": a.version, "succ_version": b.version},
    )
    assert fresh.status_code == 201
