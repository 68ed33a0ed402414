"""Signing in, throttling, password change and reset."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.utils import timezone

from twofold.accounts.models import LoginFailure


def _sign_in(client, email, password):
    return client.post("/accounts/sign-in/", {"email": email, "password": password})


def test_sign_in_and_out(client, owner):
    response = _sign_in(client, owner.email.upper(), "correct horse battery")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/accounts/sign-out/")
    assert client.get("/").status_code == 302


def test_wrong_password_is_a_clear_form_error(client, owner):
    response = _sign_in(client, owner.email, "nope")
    assert response.status_code == 400
    assert "do not match an account" in response.content.decode()


def test_throttled_after_five_failures_even_with_the_right_password(client, owner, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert _sign_in(client, owner.email, "wrong").status_code == 400
    response = _sign_in(client, owner.email, "correct horse battery")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "try again in 15 minutes" in response.content.decode()
    # When the window has passed, the right password works again.
    LoginFailure.objects.update(
        at=timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS + 1)
    )
    assert _sign_in(client, owner.email, "correct horse battery").status_code == 302
    assert not LoginFailure.objects.filter(email=owner.email).exists()


def test_open_redirect_is_refused(client, owner):
    response = client.post(
        "/accounts/sign-in/",
        {
            "email": owner.email,
            "password": "correct horse battery",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/"


def test_password_change(client, owner):
    client.force_login(owner)
    bad = client.post(
        "/accounts/password/", {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}
    )
    assert bad.status_code == 400
    assert "Your old password was entered incorrectly" in bad.content.decode()
    good = client.post(
        "/accounts/password/",
        {
            "old_password": "correct horse battery",
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )
    assert good.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a new long passphrase")


def test_password_reset_by_email(client, owner, settings):
    settings.TWOFOLD_BASE_URL = "https://twofold.example.com"
    response = client.post("/accounts/password/reset/", {"email": owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(
        r"https://twofold\.example\.com(/accounts/password/reset/\S+/)", mail.outbox[0].body
    ).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another long passphrase", "new_password2": "another long passphrase"},
    )
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("another long passphrase")
