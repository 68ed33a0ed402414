"""Sign-in attempts made at the same time cannot slip under the lock together.

Until 2026-12-06 the lock was checked before the password and the failure recorded after it:
attempts in flight at the same moment each saw none of the others, so a burst of guesses sent
together all had their passwords checked, however many the lock allows. Now each attempt is
counted before its password is checked."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from twofold.accounts import views
from twofold.accounts.auth import begin_attempt
from twofold.accounts.models import LoginFailure

pytestmark = pytest.mark.django_db


def _sign_in(client: Any, email: str, password: str) -> Any:
    return client.post("/accounts/sign-in/", {"email": email, "password": password})


def test_a_guess_sent_while_another_is_checked_counts_it(
    client: Any, owner: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert _sign_in(client, owner.email, "wrong").status_code == 400
    checked: list[str] = []
    real = views.authenticate
    inner: list[int] = []

    def slow_check(request: Any, **credentials: Any) -> Any:
        checked.append(credentials["password"])
        if len(checked) == 1:  # while the last allowed guess is checked, another one arrives
            inner.append(_sign_in(Client(), owner.email, "second guess").status_code)
        return real(request, **credentials)

    monkeypatch.setattr(views, "authenticate", slow_check)
    assert _sign_in(client, owner.email, "fifth guess").status_code == 400
    # The guess sent meanwhile found five attempts counted: refused without a check.
    assert inner == [429]
    assert checked == ["fifth guess"]
    assert LoginFailure.objects.filter(email=owner.email).count() == settings.LOGIN_FAILURE_LIMIT


def test_attempts_counted_at_once_beyond_the_limit_are_refused_unchecked(
    owner: Any, settings: Any
) -> None:
    limit = settings.LOGIN_FAILURE_LIMIT
    claims = [begin_attempt(owner.email, "203.0.113.9") for _ in range(limit + 2)]
    assert [locked > 0 for locked, _row in claims] == [False] * limit + [True, True]
    assert [row is None for _locked, row in claims] == [False] * limit + [True, True]
    # The refused ones guessed nothing: only the allowed attempts are on record.
    assert LoginFailure.objects.count() == limit


def test_the_right_password_leaves_no_failure_behind(client: Any, owner: Any) -> None:
    assert _sign_in(client, owner.email, "correct horse battery").status_code == 302
    assert not LoginFailure.objects.exists()


def test_a_password_change_refused_for_another_reason_is_not_a_guess(
    client: Any, owner: Any
) -> None:
    client.force_login(owner)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "correct horse battery",
            "new_password1": "a new and long passphrase",
            "new_password2": "does not match",
        },
    )
    assert response.status_code == 400
    assert not LoginFailure.objects.exists()
    wrong = client.post(
        "/accounts/password/",
        {"old_password": "a guess", "new_password1": "x", "new_password2": "x"},
    )
    assert wrong.status_code == 400
    assert LoginFailure.objects.count() == 1
