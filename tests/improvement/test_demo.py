"""The improvement demo story loads from the real operations signals and its pages render."""

from __future__ import annotations

from twofold.demo.people import DEMO_EMAIL
from twofold.improvement.models import Handover, ImprovementItem


def test_demo_story_and_pages(client, demo_summary):
    from twofold.accounts.models import User

    summary = demo_summary
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
    # The close-out demo then accepts the pilot's handover and drafts one for the CNC centre.
    pilot = Handover.objects.get(project__name="Energy monitoring pilot")
    assert (pilot.status, pilot.process.name) == ("accepted", "Preventive maintenance")
    handover = Handover.objects.get(status="proposed", process__isnull=False)
    assert handover.project.name == "New CNC machine commissioning"
    assert handover.process.name == "Line 2 production"

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
