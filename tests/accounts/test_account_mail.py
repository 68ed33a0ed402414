"""Account e-mails go through the outbox, as notifications do: the reset request writes one row
instead of talking to the mail server while the visitor waits, and only when the address has
an account (the time of the answer told which addresses have one); a mail server that is down
delays the e-mail instead of losing it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from twofold.notifications.models import OutboxEmail, OutboxStatus
from twofold.notifications.outbox import send_pending

pytestmark = [pytest.mark.django_db, pytest.mark.outbox_mail]


def test_a_reset_e_mail_is_queued_and_the_worker_sends_it(client: Any, owner: Any) -> None:
    for address in (owner.email, "nobody@example.com"):
        r = client.post("/accounts/password/reset/", {"email": address})
        assert r.status_code == 302 and r["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []  # nothing sent during the requests
    [queued] = OutboxEmail.objects.all()
    assert (queued.to, queued.recipient, queued.organisation) == (owner.email, owner, None)
    assert queued.status == OutboxStatus.QUEUED
    assert send_pending("worker-1") == (1, 0)
    queued.refresh_from_db()  # the live link is not kept once sent (backups would hold it)
    assert (queued.status, queued.body_text, queued.body_html) == (OutboxStatus.SENT, "", "")
    [sent] = mail.outbox
    assert sent.to == [owner.email]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", sent.body)
    assert link is not None
    chosen = client.get(link.group(1), follow=True)
    assert chosen.status_code == 200 and b"new_password1" in chosen.content


def test_an_invitation_to_join_is_queued_too(
    owner: Any, org: Any, make_org: Any, member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from twofold.accounts import services
    from twofold.accounts.models import Role

    elsewhere = member(make_org("Kongsberg Works"), Role.OWNER, full_name="Eli Elsewhere")
    with django_capture_on_commit_callbacks(execute=True):
        services.add_member(actor=owner, organisation=org, email=elsewhere.email)
    [queued] = OutboxEmail.objects.all()
    assert queued.recipient == elsewhere
    assert queued.subject == "Olivia Owner invited you to Acme Engineering on Twofold"
    assert mail.outbox == []
