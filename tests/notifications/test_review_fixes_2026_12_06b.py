"""Review fixes of 2026-12-06 (b): a withdraw finds an e-mail by the notification it was built
from (an edited comment's e-mail no longer escapes its deletion), a revise rewrites the e-mails
not sent yet, the outbox's re-rendering writes one bulk update, only to rows still the worker's,
and an e-mail whose re-rendering fails is not sent with the text of a notification withdrawn."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail as sent_mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from twofold.comments import services as comments
from twofold.notifications import emails, kinds, outbox, services
from twofold.notifications.models import Delivery, Notification, OutboxEmail, OutboxStatus
from twofold.notifications.worker import send_digests

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2030, 1, 7, 12, 0, tzinfo=dt.UTC)  # past 07:00 in every zone's day


@pytest.fixture(autouse=True)
def _locmem(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- 1. Deleting an edited comment clears its e-mail ------------------------------------------


def test_deleting_an_edited_comment_clears_its_sent_e_mail(owner: Any, mel: Any, task: Any) -> None:
    services.follow(mel, task)
    comment = comments.add_comment(actor=owner, target=task, body="Supplier price 41,000")
    assert outbox.send_pending("w1") == (1, 0)
    comments.edit_comment(
        actor=owner, comment=comment, target=task, body="Price: ask me", expected_version=1
    )
    comments.delete_comment(actor=owner, comment=comment, target=task, expected_version=2)

    stored = OutboxEmail.objects.get()
    assert (stored.status, stored.subject, stored.body_text, stored.body_html) == (
        OutboxStatus.SENT,
        f"Olivia Owner commented on the task {task} (comment deleted)",
        "",
        "",
    )


def test_deleting_an_edited_comment_drops_its_failed_e_mail(
    owner: Any, mel: Any, task: Any
) -> None:
    services.follow(mel, task)
    comment = comments.add_comment(actor=owner, target=task, body="Supplier price 41,000")
    OutboxEmail.objects.update(status=OutboxStatus.FAILED, attempts=8)
    comments.edit_comment(
        actor=owner, comment=comment, target=task, body="Price: ask me", expected_version=1
    )
    comments.delete_comment(actor=owner, comment=comment, target=task, expected_version=2)
    assert list(OutboxEmail.objects.values_list("subject", flat=True)) == []


def test_an_edit_rewrites_a_failed_e_mail_at_once(owner: Any, mel: Any, task: Any) -> None:
    """The admins' outbox lists a failed e-mail's subject: it quotes the comment as it is now."""
    services.follow(mel, task)
    comment = comments.add_comment(actor=owner, target=task, body="Supplier price 41,000")
    OutboxEmail.objects.update(status=OutboxStatus.FAILED, attempts=8)
    comments.edit_comment(
        actor=owner, comment=comment, target=task, body="Price: ask me", expected_version=1
    )
    stored = OutboxEmail.objects.get()
    assert stored.status == OutboxStatus.FAILED
    assert stored.subject == f"Olivia Owner commented on the task {task}: Price: ask me"
    assert "Price: ask me" in stored.body_text and "Price: ask me" in stored.body_html
    assert "41,000" not in stored.body_text + stored.body_html


def test_deleting_a_comment_takes_it_out_of_a_sent_digest_copy_and_a_queued_one(
    owner: Any, mel: Any, task: Any
) -> None:
    services.set_email_delivery(user=mel, kind=kinds.COMMENT, delivery=Delivery.DIGEST)
    services.follow(mel, task)
    comments.add_comment(actor=owner, target=task, body="The frame is welded")
    gone = comments.add_comment(actor=owner, target=task, body="Supplier price 41,000")
    assert send_digests(MORNING) == 1
    digest = OutboxEmail.objects.get()
    # A copy of the digest already sent (a second one, as sent), and the one still queued.
    sent_copy = OutboxEmail.objects.create(
        organisation_id=digest.organisation_id,
        recipient=mel,
        to=digest.to,
        subject=digest.subject,
        body_text=digest.body_text,
        body_html=digest.body_html,
        status=OutboxStatus.SENT,
        rendered_from=digest.rendered_from,
    )
    comments.delete_comment(actor=owner, comment=gone, target=task, expected_version=1)

    sent_copy.refresh_from_db()
    assert (sent_copy.subject, sent_copy.body_text, sent_copy.body_html) == (
        digest.subject,
        "",
        "",
    )
    digest.refresh_from_db()
    assert digest.status == OutboxStatus.QUEUED
    assert digest.subject == "Twofold · Acme Engineering: 1 notification for 07 Jan 2030"
    assert "The frame is welded" in digest.body_text and "41,000" not in digest.body_text
    assert "41,000" not in digest.body_html


def test_a_legacy_e_mail_without_rendered_from_is_still_matched_by_its_subject(
    owner: Any, mel: Any, task: Any
) -> None:
    services.follow(mel, task)
    comment = comments.add_comment(actor=owner, target=task, body="Supplier price 41,000")
    OutboxEmail.objects.update(rendered_from={}, status=OutboxStatus.SENT)
    comments.delete_comment(actor=owner, comment=comment, target=task, expected_version=1)
    stored = OutboxEmail.objects.get()
    assert (stored.subject, stored.body_text) == (
        f"Olivia Owner commented on the task {task} (comment deleted)",
        "",
    )


# --- 2. The outbox's re-rendering: one bulk update, only to rows still the worker's -----------


def _queue(owner: Any, mel: Any, task: Any, count: int, start: int) -> None:
    for n in range(start, start + count):
        services.notify(
            recipients=[mel], kind=kinds.ASSIGNED, actor=owner, target=task, summary=f"Task {n}"
        )


def test_the_outbox_s_queries_grow_only_by_the_sending_of_each_e_mail(
    owner: Any, mel: Any, task: Any
) -> None:
    """Before e-mails were rendered again, each e-mail cost three statements (renew the claim,
    the membership check, mark it sent): 8 e-mails took 18 more than 2. The re-rendering added
    one UPDATE per e-mail (24 more); it is one bulk update now."""
    _queue(owner, mel, task, 2, 0)
    with CaptureQueriesContext(connection) as two:
        assert outbox.send_pending("w1") == (2, 0)
    _queue(owner, mel, task, 8, 2)
    with CaptureQueriesContext(connection) as eight:
        assert outbox.send_pending("w1") == (8, 0)
    assert len(eight) - len(two) == 6 * 3
    rewrites = [
        q["sql"]
        for q in eight.captured_queries
        if q["sql"].startswith("UPDATE") and "CASE" in q["sql"]
    ]
    assert len(rewrites) == 1
    assert len(sent_mail.outbox) == 10


def test_a_row_another_worker_claimed_before_the_refresh_is_not_overwritten(
    owner: Any, mel: Any, task: Any, monkeypatch: Any
) -> None:
    _queue(owner, mel, task, 1, 0)
    real_refresh = emails.refresh

    def taken_back(mails: Any, **kwargs: Any) -> set[int]:
        OutboxEmail.objects.update(worker="w2", subject="w2 is sending this")
        return real_refresh(mails, **kwargs)

    monkeypatch.setattr(emails, "refresh", taken_back)
    assert outbox.send_pending("w1") == (0, 0)
    assert sent_mail.outbox == []
    stored = OutboxEmail.objects.get()
    assert (stored.status, stored.worker, stored.subject) == (
        OutboxStatus.SENDING,
        "w2",
        "w2 is sending this",
    )


def test_a_row_a_withdraw_cleared_before_the_refresh_keeps_no_text(
    owner: Any, mel: Any, task: Any, monkeypatch: Any
) -> None:
    _queue(owner, mel, task, 1, 0)
    real_refresh = emails.refresh

    def cleared(mails: Any, **kwargs: Any) -> set[int]:
        OutboxEmail.objects.update(subject="(withdrawn)", body_text="", body_html="")
        return real_refresh(mails, **kwargs)

    monkeypatch.setattr(emails, "refresh", cleared)
    outbox.send_pending("w1")
    stored = OutboxEmail.objects.get()
    assert (stored.subject, stored.body_text, stored.body_html) == ("(withdrawn)", "", "")


# --- 3. A rendering that fails ------------------------------------------------------------------


def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("template broke")


def test_a_failed_rendering_sends_what_was_written_when_nothing_was_withdrawn(
    owner: Any, mel: Any, task: Any, monkeypatch: Any, caplog: Any
) -> None:
    _queue(owner, mel, task, 1, 0)
    monkeypatch.setattr(emails, "notification_email", _broken)
    assert outbox.send_pending("w1") == (1, 0)
    [message] = sent_mail.outbox
    assert message.subject == "Task 0"
    assert "could not render e-mail" in caplog.text and "as written" in caplog.text


def test_a_failed_rendering_drops_an_e_mail_telling_of_a_withdrawn_notification(
    owner: Any, mel: Any, task: Any, monkeypatch: Any, caplog: Any
) -> None:
    """A digest of two comments, one withdrawn since it was queued (racing the withdraw, which
    renders it again too): its rendering fails, so what was written, the withdrawn text with it,
    is not sent."""
    services.set_email_delivery(user=mel, kind=kinds.COMMENT, delivery=Delivery.DIGEST)
    services.follow(mel, task)
    comments.add_comment(actor=owner, target=task, body="The frame is welded")
    comments.add_comment(actor=owner, target=task, body="Supplier price 41,000")
    assert send_digests(MORNING) == 1
    Notification.objects.filter(summary__contains="41,000").update(withdrawn=True)
    monkeypatch.setattr(emails, "digest_email", _broken)
    assert outbox.send_pending("w1") == (0, 0)
    assert sent_mail.outbox == []
    assert not OutboxEmail.objects.exists()
    assert "could not render e-mail" in caplog.text and "dropped" in caplog.text
