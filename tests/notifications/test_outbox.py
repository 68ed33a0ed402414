"""The outbox: sent by the worker through the configured backend, retried, never lost."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from typing import Any

import pytest
from django.utils import timezone

from twofold.notifications import kinds, outbox, services
from twofold.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(owner: Any, mel: Any, task: Any, settings: Any) -> OutboxEmail:
    settings.TWOFOLD_BASE_URL = "https://pm.example.org"
    services.notify(
        recipients=[mel], kind=kinds.ASSIGNED, actor=owner, target=task, summary="Order press"
    )
    return OutboxEmail.objects.get()


def test_file_backend_writes_html_and_text_with_base_url_links(
    queued: OutboxEmail, task: Any, settings: Any, tmp_path: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    assert outbox.send_pending("w1") == (1, 0)
    queued.refresh_from_db()
    assert queued.status == "sent" and queued.sent_at is not None
    [written] = list(tmp_path.iterdir())
    message = message_from_bytes(written.read_bytes().split(b"\n" + b"-" * 79)[0])
    assert message["To"] == "mel@example.com" and message["Subject"] == "Order press"
    unsubscribe = "".join(message["List-Unsubscribe"].split())  # long headers are folded
    assert unsubscribe.startswith("<https://pm.example.org/notifications/unsubscribe/")
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in message.walk()
        if not p.is_multipart()
    }
    assert "text/plain" in parts and "text/html" in parts
    page = f"https://pm.example.org/projects/{task.project_id}/tasks/{task.pk}/"
    assert page in parts["text/plain"] and f'href="{page}"' in parts["text/html"]
    assert outbox.send_pending("w1") == (0, 0)  # nothing twice


def test_refusing_server_keeps_mail_queued_with_the_error(
    queued: OutboxEmail, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.fakes.RefusingBackend"
    assert outbox.send_pending("w1") == (0, 1)
    queued.refresh_from_db()
    assert queued.status == "queued" and queued.attempts == 1
    assert queued.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert queued.next_attempt_at > timezone.now()
    assert outbox.send_pending("w1") == (0, 0)  # not due again yet


def test_gives_up_after_max_attempts_then_admin_retry_sends(
    queued: OutboxEmail, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.fakes.RefusingBackend"
    for _ in range(outbox.MAX_ATTEMPTS):
        OutboxEmail.objects.filter(pk=queued.pk).update(next_attempt_at=timezone.now())
        outbox.send_pending("w1")
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox.retry(queued)
    assert outbox.send_pending("w1") == (1, 0)


def test_two_workers_never_send_one_mail_twice(queued: OutboxEmail) -> None:
    first = outbox.claim("w1")
    second = outbox.claim("w2")
    assert [m.pk for m in first] == [queued.pk] and second == []


def test_a_dead_workers_claim_is_released(queued: OutboxEmail) -> None:
    outbox.claim("w1")
    later = timezone.now() + outbox.STALE_CLAIM + dt.timedelta(seconds=1)
    assert [m.pk for m in outbox.claim("w2", now=later)] == [queued.pk]


def test_backoff_grows_to_an_hour() -> None:
    assert [outbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 7, 8)] == [1, 2, 4, 60, 60]


def test_a_batch_that_outlasts_its_claim_sends_each_email_once(
    owner: Any, mel: Any, task: Any, monkeypatch: Any
) -> None:
    """A slow mail server: worker 1's batch outlasts STALE_CLAIM and worker 2 takes the rest
    back; worker 1 must not send those too, and what it sent is marked sent at once."""
    from django.core import mail

    for summary in ("One", "Two", "Three"):
        services.notify(
            recipients=[mel], kind=kinds.ASSIGNED, actor=owner, target=task, summary=summary
        )
    real = outbox._message
    calls: list[str] = []

    def slow(message: OutboxEmail) -> Any:
        calls.append(message.subject)
        if len(calls) == 1:  # the rest of worker 1's batch waits past its claim
            OutboxEmail.objects.filter(status="sending").exclude(pk=message.pk).update(
                claimed_at=timezone.now() - outbox.STALE_CLAIM - dt.timedelta(seconds=1)
            )
            assert outbox.send_pending("w2") == (2, 0)
        return real(message)

    monkeypatch.setattr(outbox, "_message", slow)
    assert outbox.send_pending("w1") == (1, 0)
    assert sorted(m.subject for m in mail.outbox) == ["One", "Three", "Two"]
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_a_person_removed_from_the_organisation_reads_and_receives_nothing_more(
    queued: OutboxEmail, owner: Any, mel: Any, org: Any, api: Any, signed_in: Any, settings: Any
) -> None:
    """A removed member kept reading the organisation's notifications (comment text included)
    in the inbox, the API and the bell, could open them, and e-mails queued before the
    removal were still sent."""
    from django.core import mail as outbox_mail

    from twofold.accounts.models import Membership
    from twofold.accounts.services import remove_member
    from twofold.notifications.models import Notification

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    note = Notification.objects.get(recipient=mel)
    token_client = api(mel)
    assert token_client.get("/api/me/notifications/unread-count").json() == {"unread": 1}
    remove_member(actor=owner, membership=Membership.objects.get(organisation=org, user=mel))
    assert token_client.get("/api/me/notifications/unread-count").json() == {"unread": 0}
    assert token_client.get("/api/me/notifications").json()["items"] == []
    client = signed_in(mel)
    assert "Order press" not in client.get("/notifications/").content.decode()
    assert client.post(f"/notifications/{note.pk}/open/").status_code == 404
    assert outbox.send_pending("w1") == (0, 1)
    assert outbox_mail.outbox == []
    queued.refresh_from_db()
    assert queued.status == "failed" and "no longer a member" in queued.last_error


@pytest.mark.django_db
@pytest.mark.parametrize("odd", ["\r", "\x0b", "\x0c", "\x1c", "\r\n"])
def test_a_subject_with_an_odd_line_break_is_sent_as_one_line(odd: str) -> None:
    """A task named "Pump<CR>check" made Django refuse the subject header: the e-mail was
    retried until it failed (until 2026-12-06; only LF was replaced)."""
    mail = OutboxEmail(to="priya@acme.example", subject=f"Pump{odd}check: you were mentioned")
    sent = message_from_bytes(outbox._message(mail).message().as_bytes())
    assert sent["Subject"] == "Pump check: you were mentioned"
