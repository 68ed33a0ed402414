"""The quality demo story: two torque nonconformances, one closed after verification, one open."""

from __future__ import annotations

from twofold.demo.people import DEMO_EMAIL
from twofold.quality.models import Nonconformance


def test_demo_story_and_pages(client, demo_summary):
    from twofold.accounts.models import User

    summary = demo_summary
    assert "2 nonconformances from torque checks" in summary
    closed, still_open = Nonconformance.objects.order_by("number")
    assert (closed.code, closed.status, closed.source) == ("NC-0001", "closed", "out_of_limits")
    assert closed.title == "Torque: 55 Nm outside between 40 and 50 Nm"
    assert closed.containment.startswith("Line stopped at once")
    assert closed.effective is True and closed.closed_by.full_name == "Oliver Brandt"
    assert [a.status for a in closed.actions.all()] == ["done", "done"]
    assert (still_open.status, still_open.reading) == ("open", 38.5)
    assert [a.status for a in still_open.actions.all()] == ["open"]
    assert closed.occurrence.nonconforming and still_open.occurrence.nonconforming

    client.force_login(User.objects.get(email=DEMO_EMAIL))
    for url in [
        "/operations/quality/",
        "/operations/quality/?status=closed",
        f"/operations/quality/{closed.pk}/",
        f"/operations/quality/{still_open.pk}/",
        f"/operations/quality/processes/{closed.process_id}/",
        f"/operations/quality/processes/{closed.process_id}/audit/",
        f"/operations/occurrences/{closed.occurrence_id}/",
        "/operations/",
        "/improvement/signals/",
    ]:
        assert client.get(url).status_code == 200, url
