"""The seam other apps call: notify, follow, followers; idempotence by event key."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.notifications import kinds, services
from twofold.notifications.models import Delivery, Notification, OutboxEmail

pytestmark = pytest.mark.django_db


def test_notify_tells_members_but_not_the_actor_nor_outsiders(
    owner: Any, mel: Any, gus: Any, outsider: Any, task: Any
) -> None:
    created = services.notify(
        recipients=[owner, mel, gus.pk, outsider],
        kind=kinds.ASSIGNED,
        actor=owner,
        target=task,
        summary="Olivia assigned you Order press",
    )
    assert sorted(n.recipient_id for n in created) == sorted([mel.pk, gus.pk])
    note = Notification.objects.get(recipient=mel)
    assert note.url == f"/projects/{task.project_id}/tasks/{task.pk}/"
    assert note.organisation_id == task.organisation_id
    assert note.actor_id == owner.pk and note.read_at is None
    assert not Notification.objects.filter(recipient=outsider).exists()


def test_notify_queues_immediate_email_in_the_same_transaction(
    owner: Any, mel: Any, task: Any, settings: Any
) -> None:
    settings.TWOFOLD_BASE_URL = "https://twofold.example.org"
    services.notify(
        recipients=[mel], kind=kinds.ASSIGNED, actor=owner, target=task, summary="You <b>got</b> it"
    )
    mail = OutboxEmail.objects.get()
    assert mail.to == "mel@example.com" and mail.subject == "You <b>got</b> it"
    link = f"https://twofold.example.org/projects/{task.project_id}/tasks/{task.pk}/"
    assert link in mail.body_text and link in mail.body_html
    assert "You &lt;b&gt;got&lt;/b&gt; it" in mail.body_html
    assert "https://twofold.example.org/notifications/unsubscribe/" in mail.body_text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_digest_and_off_preferences_queue_no_immediate_email(
    owner: Any, mel: Any, gus: Any, task: Any
) -> None:
    services.set_email_delivery(user=mel, kind=kinds.ASSIGNED, delivery=Delivery.DIGEST)
    services.set_email_delivery(user=gus, kind=kinds.ASSIGNED, delivery=Delivery.OFF)
    services.notify(
        recipients=[mel, gus], kind=kinds.ASSIGNED, actor=owner, target=task, summary="x"
    )
    assert OutboxEmail.objects.count() == 0
    assert Notification.objects.get(recipient=mel).digest_pending is True
    assert Notification.objects.get(recipient=gus).digest_pending is False


def test_event_key_tells_each_person_once(owner: Any, mel: Any, task: Any) -> None:
    for _ in range(3):
        services.notify(
            recipients=[mel, owner],
            kind=kinds.DUE,
            actor=None,
            target=task,
            summary="Due tomorrow",
            event_key=f"task-due:{task.pk}:2025-03-04",
        )
    assert Notification.objects.filter(recipient=mel).count() == 1
    assert Notification.objects.filter(recipient=owner).count() == 1
    assert OutboxEmail.objects.count() == 0  # "due" defaults to the digest


def test_unknown_kind_raises(owner: Any, task: Any) -> None:
    with pytest.raises(KeyError):
        services.notify(recipients=[owner], kind="nope", actor=None, target=task, summary="x")


def test_follow_unfollow_and_automatic_follow_respects_unfollow(
    owner: Any, mel: Any, outsider: Any, task: Any
) -> None:
    assert services.follow(mel, task, reason="assigned") is True
    assert services.followers(task) == [mel.pk]
    services.unfollow(mel, task)
    assert services.followers(task) == []
    assert services.follow(mel, task, reason="mentioned") is False  # the unfollow stands
    assert services.followers(task) == []
    assert services.follow(mel, task) is True  # the button follows again
    assert services.followers(task) == [mel.pk]
    assert services.follow(outsider, task, reason="mentioned") is False
    with pytest.raises(services.NotFound):
        services.follow(outsider, task)


def test_notify_followers_skips_actor_and_excluded(
    owner: Any, mel: Any, gus: Any, task: Any
) -> None:
    for person in (owner, mel, gus):
        services.follow(person, task)
    created = services.notify_followers(
        kind=kinds.COMMENT, actor=owner, target=task, summary="New comment", exclude=[gus]
    )
    assert [n.recipient_id for n in created] == [mel.pk]


def test_mark_read_and_all(owner: Any, mel: Any, task: Any) -> None:
    notes = [
        services.notify(recipients=[mel], kind=kinds.COMMENT, actor=owner, target=task, summary=s)[
            0
        ]
        for s in ("a", "b", "c")
    ]
    services.mark_read(user=mel, notification_id=notes[0].pk)
    with pytest.raises(services.NotFound):
        services.mark_read(user=owner, notification_id=notes[1].pk)
    assert services.mark_all_read(user=mel) == 2
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_the_digest_goes_only_to_who_still_wants_it_from_where_they_still_are(
    owner: Any, mel: Any, gus: Any, org: Any, task: Any, client: Any
) -> None:
    """Until 2026-12-05 "unsubscribe from all" and leaving the organisation still sent the
    next morning's digest of what had waited for it."""
    import datetime as dt

    from twofold.accounts.models import Membership
    from twofold.accounts.services import remove_member
    from twofold.notifications.tokens import ALL_KINDS, make_unsubscribe_token
    from twofold.notifications.worker import send_digests

    for person in (mel, gus, owner):
        services.set_email_delivery(user=person, kind=kinds.ASSIGNED, delivery=Delivery.DIGEST)
    services.notify(
        recipients=[mel, gus, owner], kind=kinds.ASSIGNED, actor=None, target=task, summary="x"
    )
    token = make_unsubscribe_token(mel.pk, ALL_KINDS)
    assert client.post(f"/notifications/unsubscribe/{token}/").status_code == 200
    remove_member(actor=owner, membership=Membership.objects.get(organisation=org, user=gus))
    morning = dt.datetime(2030, 1, 7, 12, 0, tzinfo=dt.UTC)  # past 07:00 in every zone's day
    assert send_digests(morning) == 1  # the owner's
    assert [m.to for m in OutboxEmail.objects.all()] == [owner.email]
    assert not Notification.objects.filter(digest_pending=True).exists()
