"""Follow-ups of the 2026-12-06 reviews: "stop all e-mails" is a stored master switch, an e-mail
is rendered again when it is sent (a deleted comment or object leaves a queued digest), and a
notification quotes its comment's current text (edited), none once it is deleted or purged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail as sent_mail

from twofold.comments import services as comments
from twofold.comments.models import Comment
from twofold.core import trash
from twofold.core.models import TrashEntry
from twofold.notifications import kinds, outbox, services
from twofold.notifications.models import (
    Delivery,
    EmailPreference,
    Notification,
    OutboxEmail,
    OutboxStatus,
)
from twofold.notifications.tokens import make_unsubscribe_token
from twofold.notifications.worker import send_digests
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2030, 1, 7, 12, 0, tzinfo=dt.UTC)  # past 07:00 in every zone's day


@pytest.fixture(autouse=True)
def _locmem(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _tell(owner: Any, mel: Any, task: Any, kind: str, summary: str) -> list[Notification]:
    return services.notify(recipients=[mel], kind=kind, actor=owner, target=task, summary=summary)


# --- 1. "Stop all e-mails" is a stored master switch ------------------------------------------


def test_stop_all_silences_a_kind_with_no_stored_choice(
    client: Any, owner: Any, mel: Any, task: Any
) -> None:
    """The "*" link set each kind of the day to "off": a kind with no row (added by a later
    version; simulated by deleting its rows) started at its default and e-mailed again."""
    services.set_email_delivery(user=mel, kind=kinds.ASSIGNED, delivery=Delivery.DIGEST)
    token = make_unsubscribe_token(mel.pk, "*")
    assert client.post(f"/notifications/unsubscribe/{token}/").status_code == 200
    EmailPreference.objects.filter(user=mel, kind__in=[kinds.COMMENT, kinds.DUE]).delete()

    _tell(owner, mel, task, kinds.COMMENT, "A comment")  # default: e-mail at once
    _tell(owner, mel, task, kinds.DUE, "Due tomorrow")  # default: the digest
    _tell(owner, mel, task, kinds.ASSIGNED, "Assigned")  # chosen: the digest

    assert OutboxEmail.objects.count() == 0
    assert list(Notification.objects.filter(digest_pending=True)) == []
    assert services.email_deliveries([mel.pk], kinds.COMMENT) == {mel.pk: Delivery.OFF}
    assert send_digests(MORNING) == 0
    # The per-kind choice is kept for when e-mails are turned back on.
    assert dict(EmailPreference.objects.filter(user=mel).values_list("kind", "delivery")) == {
        "*": "off",
        "assigned": "digest",
    }


def test_turning_e_mail_back_on_restores_the_per_kind_choices(
    api: Any, owner: Any, mel: Any, task: Any
) -> None:
    client = api(mel)
    services.set_email_delivery(user=mel, kind=kinds.ASSIGNED, delivery=Delivery.DIGEST)
    assert client.get("/api/me/notification-email").json() == {"stop_all": False}
    stopped = client.put("/api/me/notification-email", {"stop_all": True})
    assert (stopped.status_code, stopped.json()) == (200, {"stop_all": True})
    assert client.get("/api/me/notification-email").json() == {"stop_all": True}
    # The per-kind list still shows the choices, kept.
    rows = {r["kind"]: r["delivery"] for r in client.get("/api/me/notification-settings").json()}
    assert (rows["assigned"], rows["comment"]) == ("digest", "immediate")

    back = client.put("/api/me/notification-email", {"stop_all": False})
    assert (back.status_code, back.json()) == (200, {"stop_all": False})
    assert not EmailPreference.objects.filter(user=mel, kind="*").exists()
    [assigned] = _tell(owner, mel, task, kinds.ASSIGNED, "Assigned")
    _tell(owner, mel, task, kinds.COMMENT, "A comment")
    assigned.refresh_from_db()
    assert assigned.digest_pending is True
    assert list(OutboxEmail.objects.values_list("subject", flat=True)) == ["A comment"]


@pytest.mark.parametrize("body", [{"stop_all": "yes"}, {}, {"stop_all": None}])
def test_the_master_switch_api_refuses_a_bad_body(api: Any, mel: Any, body: Any) -> None:
    response = api(mel).put("/api/me/notification-email", body)
    assert response.status_code == 422
    assert "stop_all" in response.content.decode()
    assert not EmailPreference.objects.exists()


def test_the_settings_page_shows_and_sets_the_master_switch(signed_in: Any, mel: Any) -> None:
    client = signed_in(mel)
    page = client.get("/notifications/settings/").content.decode()
    assert '<input type="radio" name="all" value="send" checked>' in page
    assert '<input type="radio" name="all" value="stop">' in page

    saved = client.post("/notifications/settings/", {"all": "stop", "kind-assigned": "digest"})
    assert saved.status_code == 302
    assert dict(EmailPreference.objects.filter(user=mel).values_list("kind", "delivery")) == {
        "*": "off",
        "assigned": "digest",
    }
    page = client.get("/notifications/settings/").content.decode()
    assert '<input type="radio" name="all" value="stop" checked>' in page
    assert "All notification e-mails are stopped." in page

    bad = client.post("/notifications/settings/", {"all": "sometimes"})
    assert bad.status_code == 422
    assert "Notification e-mail: choose to send or to stop them all." in bad.content.decode()
    assert services.email_stopped(mel.pk) is True  # unchanged

    assert client.post("/notifications/settings/", {"all": "send"}).status_code == 302
    assert dict(EmailPreference.objects.filter(user=mel).values_list("kind", "delivery")) == {
        "assigned": "digest"
    }


def test_an_e_mail_queued_before_stop_all_is_not_sent(owner: Any, mel: Any, task: Any) -> None:
    _tell(owner, mel, task, kinds.ASSIGNED, "Order press")
    services.stop_all_email(user=mel, stop=True)
    assert outbox.send_pending("w1") == (0, 1)
    assert sent_mail.outbox == []
    mail = OutboxEmail.objects.get()
    assert (mail.status, mail.last_error) == (
        OutboxStatus.FAILED,
        "Not sent: the recipient has stopped all notification e-mails.",
    )


def test_a_digest_note_left_pending_is_not_sent_once_all_is_stopped(
    owner: Any, mel: Any, task: Any
) -> None:
    """The switch row written directly (a race with the digest): the digest still skips it."""
    [due] = _tell(owner, mel, task, kinds.DUE, "Due tomorrow")
    assert due.digest_pending is True
    EmailPreference.objects.create(user=mel, kind="*", delivery=Delivery.OFF)
    assert send_digests(MORNING) == 0
    due.refresh_from_db()
    assert due.digest_pending is False
    assert OutboxEmail.objects.count() == 0


# --- 2. A queued digest is rendered again when it is sent -------------------------------------


@pytest.fixture
def digest_of_two(owner: Any, mel: Any, task: Any) -> tuple[Comment, Comment]:
    """Mel follows the task and takes comments in the digest; two comments wait in one digest
    e-mail, queued (not sent yet)."""
    services.set_email_delivery(user=mel, kind=kinds.COMMENT, delivery=Delivery.DIGEST)
    services.follow(mel, task)
    kept = comments.add_comment(actor=owner, target=task, body="The frame is welded")
    gone = comments.add_comment(actor=owner, target=task, body="Supplier price 41,000")
    assert send_digests(MORNING) == 1
    mail = OutboxEmail.objects.get()
    assert "41,000" in mail.body_text and mail.subject.endswith("2 notifications for 07 Jan 2030")
    return kept, gone


def test_a_comment_deleted_after_the_digest_was_queued_is_left_out(
    owner: Any, mel: Any, task: Any, digest_of_two: tuple[Comment, Comment]
) -> None:
    _kept, gone = digest_of_two
    comments.delete_comment(actor=owner, comment=gone, target=task, expected_version=1)
    assert outbox.send_pending("w1") == (1, 0)
    [message] = sent_mail.outbox
    assert message.subject == "Twofold · Acme Engineering: 1 notification for 07 Jan 2030"
    assert "The frame is welded" in message.body
    assert "41,000" not in message.body and "comment deleted" not in message.body
    html = message.alternatives[0][0]
    assert "The frame is welded" in html and "41,000" not in html
    stored = OutboxEmail.objects.get()
    assert stored.status == OutboxStatus.SENT and "41,000" not in stored.body_text


def test_a_digest_left_with_nothing_is_not_sent(
    owner: Any, mel: Any, task: Any, digest_of_two: tuple[Comment, Comment]
) -> None:
    for comment in digest_of_two:
        comments.delete_comment(actor=owner, comment=comment, target=task, expected_version=1)
    assert outbox.send_pending("w1") == (0, 0)
    assert sent_mail.outbox == []
    assert not OutboxEmail.objects.exists()


def test_a_digest_whose_object_was_deleted_since_is_not_sent(
    owner: Any, mel: Any, task: Any, digest_of_two: tuple[Comment, Comment]
) -> None:
    project_services.delete_task(actor=owner, task=task)  # to the trash
    assert outbox.send_pending("w1") == (0, 0)
    assert sent_mail.outbox == []
    assert not OutboxEmail.objects.exists()


# --- 3. A notification quotes its comment as it is now ----------------------------------------


def test_an_edited_comment_s_notifications_and_unsent_e_mail_quote_the_new_text(
    api: Any, owner: Any, mel: Any, task: Any
) -> None:
    services.follow(mel, task)
    comment = comments.add_comment(actor=owner, target=task, body="Order 40 bolts")
    comments.edit_comment(
        actor=owner, comment=comment, target=task, body="Order 45 bolts", expected_version=1
    )
    expected = f"Olivia Owner commented on the task {task}: Order 45 bolts"
    assert Notification.objects.get(recipient=mel).summary == expected
    assert [n["summary"] for n in api(mel).get("/api/me/notifications").json()["items"]] == [
        expected
    ]
    assert outbox.send_pending("w1") == (1, 0)
    [message] = sent_mail.outbox
    assert message.subject == expected
    assert "Order 45 bolts" in message.body and "Order 40 bolts" not in message.body


def test_a_purged_comment_leaves_no_text_in_the_notifications(
    signed_in: Any, owner: Any, mel: Any, task: Any
) -> None:
    services.follow(mel, task)
    comments.add_comment(actor=owner, target=task, body="Supplier price 41,000")
    project_services.delete_task(actor=owner, task=task)
    entry = TrashEntry.objects.get(kind="projects.task", object_id=task.pk)
    trash.purge_now(actor=owner, organisation=task.project.organisation, entry_id=entry.pk)
    assert not Comment.objects.exists()

    note = Notification.objects.get(recipient=mel)
    assert (note.summary, note.withdrawn) == (
        "Olivia Owner commented on a task since deleted (comment deleted)",
        True,
    )
    page = signed_in(mel).get("/notifications/").content.decode()
    assert "Olivia Owner commented on a task since deleted (comment deleted)" in page
    assert "41,000" not in page and "Order press" not in page
    # The e-mail not sent yet is not sent.
    assert outbox.send_pending("w1") == (0, 0)
    assert sent_mail.outbox == [] and not OutboxEmail.objects.exists()
