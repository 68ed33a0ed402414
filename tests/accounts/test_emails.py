"""Account e-mails: base URL links, the organisation and inviter, the recipient's zone."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from twofold.accounts import services

SENT = dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)


def test_invitation_names_the_organisation_and_uses_the_recipients_zone(
    org, owner, settings, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    settings.TWOFOLD_BASE_URL = "https://plan.example.org"
    services.update_organisation(
        actor=owner,
        organisation=org,
        expected_version=1,
        timezone="Asia/Kolkata",
        date_format="dd/mm/yyyy",
    )
    monkeypatch.setattr(timezone, "now", lambda: SENT)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_member(actor=owner, organisation=org, email="new@example.com")
    body = mailoutbox[0].body
    assert body.startswith(
        "Olivia Owner invited you to join Acme Engineering on Twofold as Member."
    )
    assert "https://plan.example.org/accounts/password/reset/" in body
    assert "Sent 01/07/2026, 14:00 (Asia/Kolkata)." in body


def test_password_reset_uses_the_persons_own_zone(client, owner, settings, mailoutbox, monkeypatch):
    services.update_preferences(actor=owner, timezone="America/Los_Angeles")
    monkeypatch.setattr(timezone, "now", lambda: SENT)
    client.post("/accounts/password/reset/", {"email": owner.email})
    assert "on 1 Jul 2026, 01:30 (America/Los_Angeles)." in mailoutbox[0].body
