"""The demo's improvement that proves itself: signal → item → project → go-live → confirmed."""

from __future__ import annotations

from twofold.demo.people import DEMO_EMAIL
from twofold.improvement import go_live
from twofold.improvement.models import ImprovementItem, ProcessChange
from twofold.operations.models import ChangePoint
from twofold.work import selectors as work


def test_the_demo_confirms_the_camera_check_and_fills_my_work(client, demo_summary):
    from twofold.accounts.models import User

    summary = demo_summary
    assert "an improvement confirmed on its control chart" in summary
    item = ImprovementItem.objects.get(title="Complaints up: cosmetic defects reach customers")
    assert item.source == "kpi" and item.kpi.name == "Complaints per 10,000 parts"
    assert item.project.name == "Final inspection vision check"
    assert item.root_cause.startswith("Visual checks at final inspection")
    link = ProcessChange.objects.get(project=item.project)
    assert link.process.name == "Customer complaints" and link.go_live == item.go_live
    assert ChangePoint.objects.filter(kpi=item.kpi).count() == 2  # the project's and the item's

    (check,) = go_live.item_checks(item)
    assert check.check is not None
    assert check.check.verdict.value == "improvement confirmed"
    assert (check.before_points, check.after_points) == (78, 10)  # baseline, then since go-live
    assert item.evidence.startswith("Complaints per 10,000 parts: ")
    assert "points in a row above the centre line" in item.evidence

    dana = User.objects.get(email=DEMO_EMAIL)
    counts = work.my_work(dana, item.organisation).counts
    assert {k for k, n in counts.items() if n} >= {
        "task",
        "routine",
        "request",
        "gate",
        "improvement",
    }

    client.force_login(dana)
    page = client.get(f"/improvement/items/{item.pk}/").content.decode()
    assert "Improvement confirmed: 8 points in a row on the better side" in page
    kpi_page = client.get(f"/operations/kpis/{item.kpi_id}/").content.decode()
    assert "The chart has 2 phases" in kpi_page
    assert client.get("/my-work/").status_code == 200
