"""The improvement demo story loads from the real operations signals and its pages render."""

from __future__ import annotations

import pytest

from twofold.demo.people import DEMO_EMAIL
from twofold.improvement.models import Handover, ImprovementItem


@pytest.mark.django_db
def test_demo_story_and_pages(client):
    from twofold.accounts.models import User
    from twofold.demo.loader import load_demo

    summary = load_demo()
    assert "4 improvement items, 1 handover awaiting acceptance" in summary
    scrap = ImprovementItem.objects.get(title="Scrap rate up on Line 2 since the spindle change")
    assert scrap.status == "in_progress"
    assert scrap.project.name == "Spindle vibration root cause"
    assert scrap.project.phase == "initiation"
    assert scrap.project.manager.full_name == "Priya Raman"
    assert scrap.evidence.startswith("Scrap rate: ")
    assert "points in a row above the centre line" in scrap.evidence
    assert ImprovementItem.objects.get(title__startswith="Patch compliance").status == "triaged"
    assert ImprovementItem.objects.filter(source="routine", status="new").count() == 1
    done = ImprovementItem.objects.get(status="done")
    assert done.raised_value == 5.2 and done.result_value == done.kpi.latest_value
    handover = Handover.objects.get()
    assert handover.status == "proposed"
    assert handover.project.name == "Energy monitoring pilot"
    assert handover.process.name == "Preventive maintenance"

    client.force_login(User.objects.get(email=DEMO_EMAIL))
    for url in [
        "/improvement/",
        "/improvement/items/",
        "/improvement/signals/",
        "/improvement/handovers/",
        "/improvement/handovers/new/",
        "/improvement/items/new/",
        f"/improvement/handovers/{handover.pk}/",
        *[f"/improvement/items/{i.pk}/" for i in ImprovementItem.objects.all()],
        *[f"/improvement/items/{i.pk}/edit/" for i in ImprovementItem.objects.all()],
    ]:
        assert client.get(url).status_code == 200, url
    client.get("/improvement/signals/").content.decode()
