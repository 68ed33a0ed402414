"""The notifications API: the inbox, read state, e-mail settings, following."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.notifications import kinds, services
from twofold.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_inbox_count_read_and_read_all(
    api: Any, owner: Any, mel: Any, task: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(3):
        services.notify(
            recipients=[mel], kind=kinds.COMMENT, actor=owner, target=task, summary=f"N{i}"
        )
    client = api(mel)
    with django_assert_max_num_queries(6):
        page = client.get("/api/me/notifications?limit=2").json()
    assert [n["summary"] for n in page["items"]] == ["N2", "N1"]
    assert page["unread"] == 3 and page["next"]
    assert page["items"][0]["target_type"] == "projects.task"
    older = client.get(f"/api/me/notifications?limit=2&before={page['next']}").json()
    assert [n["summary"] for n in older["items"]] == ["N0"] and older["next"] == ""
    first = page["items"][0]["id"]
    assert client.post(f"/api/me/notifications/{first}/read", {"read": True}).json()["read_at"]
    assert client.get("/api/me/notifications/unread-count").json() == {"unread": 2}
    assert client.post("/api/me/notifications/read-all").json() == {"marked": 2}
    assert (
        api(owner).post(f"/api/me/notifications/{first}/read", {"read": False}).status_code == 404
    )


def test_settings_list_and_change(api: Any, mel: Any) -> None:
    client = api(mel)
    rows = {r["kind"]: r["delivery"] for r in client.get("/api/me/notification-settings").json()}
    assert rows["assigned"] == "immediate" and rows["due"] == "digest" and rows["job"] == "off"
    response = client._call("put", "/api/me/notification-settings/assigned", {"delivery": "off"})
    assert response.json()["delivery"] == "off"
    bad = client._call("put", "/api/me/notification-settings/nope", {"delivery": "off"})
    assert bad.status_code == 422 and bad.json()["field"] == "kind"


def test_follow_and_unfollow_by_api(api: Any, mel: Any, outsider: Any, task: Any) -> None:
    url = f"/api/follows/projects.task/{task.pk}"
    client = api(mel)
    assert client.get(url).json()["following"] is False
    after = client._call("put", url, {"following": True}).json()
    assert after == {
        "target_type": "projects.task",
        "target_id": task.pk,
        "following": True,
        "followers": 1,
    }
    assert client._call("put", url, {"following": False}).json()["following"] is False
    assert api(outsider)._call("put", url, {"following": True}).status_code == 404
    assert services.followers(task) == []
    assert not Notification.objects.exists()


def test_the_inbox_api_reads_the_same_queries_for_3_or_9_notifications(
    api: Any, owner: Any, mel: Any, task: Any
) -> None:
    """Each row read its content type again (one query a notification, up to 50)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(mel)
    counts = []
    for total in (3, 9):
        while Notification.objects.filter(recipient=mel).count() < total:
            services.notify(
                recipients=[mel], kind=kinds.COMMENT, actor=owner, target=task, summary="N"
            )
        client.get("/api/me/notifications?limit=1")  # the token's "last used" is written once
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/api/me/notifications?limit=50").json()
        assert len(page["items"]) == total
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_what_one_was_made_to_follow_can_be_unfollowed(
    api: Any, org: Any, owner: Any, mel: Any
) -> None:
    """Following by hand was limited to the kinds with a comments panel: a routine one was
    assigned to (and so followed) could no longer be unfollowed (a review found it)."""
    import datetime as dt

    from twofold.notifications.models import FollowReason
    from twofold.operations import services as ops

    process = ops.create_process(actor=owner, organisation=org, name="Line 2")
    routine = ops.create_routine(
        actor=owner, process=process, name="Checks", rrule="FREQ=DAILY", starts_on=dt.date.today()
    )
    services.follow(mel, routine, reason=FollowReason.ASSIGNED)
    url = f"/api/follows/operations.routine/{routine.pk}"
    assert api(mel).get(url).json()["following"] is True
    r = api(mel).put(url, {"following": False})
    assert (r.status_code, r.json()["following"]) == (200, False)
    assert api(mel).get("/api/follows/costs.expense/1").status_code == 404
