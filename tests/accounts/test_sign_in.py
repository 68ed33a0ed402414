"""Signing in, throttling, password change and reset."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.utils import timezone

from twofold.accounts.auth import DEVICE_COOKIE
from twofold.accounts.models import LoginFailure


def _sign_in(client, email, password, **meta):
    return client.post("/accounts/sign-in/", {"email": email, "password": password}, **meta)


def _reset(client, email, new_password, **kw):
    """Ask for a reset e-mail, follow its link and choose ``new_password``; the last answer."""
    client.post("/accounts/password/reset/", {"email": email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[-1].body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    return client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
        **kw,
    )


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


def test_an_address_that_only_upper_cases_alike_is_another_person(
    client, org, owner, make_org, member
):
    """ "alice@gıthub.com" (a dotless i: a valid address on another domain) and
    "alice@github.com" are two people. PostgreSQL's UPPER() makes them equal, so a look-up by
    ``iexact`` let whoever registered the first be added, and sign in, as the second."""
    import pytest

    from twofold.accounts.models import Membership, Role, User
    from twofold.accounts.services import add_member, check_new_person
    from twofold.core.errors import Invalid

    other = make_org("Elsewhere")
    mallory = member(other, Role.OWNER, full_name="Mallory")
    lookalike = add_member(
        actor=mallory, organisation=other, email="Alice@G\u0131thub.com", invite=False
    ).user
    lookalike.set_password("mallory-knows-this-1")
    lookalike.save()
    assert lookalike.email == "alice@g\u0131thub.com"

    # The real address is free for an account of its own...
    assert check_new_person("alice@github.com", "a-long-passphrase-9", "Alice") == (
        "alice@github.com"
    )
    # ...and an invitation to it makes a new person, not the lookalike.
    added = add_member(actor=owner, organisation=org, email="ALICE@github.com", invite=False)
    assert added.user.pk != lookalike.pk and added.user.email == "alice@github.com"
    assert not Membership.objects.filter(organisation=org, user=lookalike).exists()
    assert User.objects.filter(email="alice@github.com").count() == 1
    # The lookalike's password does not open the real address.
    assert _sign_in(client, "alice@github.com", "mallory-knows-this-1").status_code == 400
    assert "_auth_user_id" not in client.session
    # Exact matching still finds the same address, whatever its case.
    with pytest.raises(Invalid):
        check_new_person("Alice@GitHub.com", "a-long-passphrase-9", "Alice")


def test_five_wrong_passwords_elsewhere_do_not_lock_the_owner_out_and_a_reset_lifts_a_lock(
    client, owner, settings
):
    """Five wrong passwords from any address locked the account everywhere (anyone could keep
    anyone out with five requests a quarter of an hour), and resetting the password, which the
    lock's message advises, did not lift it."""
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in(client, owner.email, "x", **attacker)
    assert (
        _sign_in(client, owner.email, "correct horse battery", **attacker).status_code == 429
    )  # that address is locked for this account
    office = {"REMOTE_ADDR": "198.51.100.7"}
    assert _sign_in(client, owner.email, "correct horse battery", **office).status_code == 302
    client.post("/accounts/sign-out/")
    client.cookies.pop(DEVICE_COOKIE)  # a browser the owner never signed in on
    # Guessing from many addresses still locks the account (four times the limit in all).
    for i in range(settings.LOGIN_FAILURE_LIMIT * 4):
        _sign_in(client, owner.email, "x", REMOTE_ADDR=f"192.0.2.{i}")
    assert _sign_in(client, owner.email, "correct horse battery", **office).status_code == 429
    # A reset lifts it.
    _reset(client, owner.email, "another long passphrase")
    assert not LoginFailure.objects.filter(email=owner.email).exists()
    assert _sign_in(client, owner.email, "another long passphrase", **office).status_code == 302


def test_a_password_reset_revokes_the_api_tokens(client, owner, api_token):
    """A thief with a stolen session made a year-long token; the victim's reset ended the
    session but the token kept answering 200."""
    from twofold.accounts.models import ApiToken

    secret = api_token(owner, 365)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/api/me", **headers).status_code == 200
    done = _reset(client, owner.email, "another long passphrase", follow=True)
    assert "Your 1 API token was revoked" in done.content.decode()
    assert not ApiToken.objects.filter(user=owner, revoked_at__isnull=True).exists()
    assert client.get("/api/me", **headers).status_code == 401


def test_guessing_the_current_password_on_the_change_form_is_limited(client, owner, settings):
    """Thirty wrong current passwords each got 400 and the thirty-first, right one, worked:
    a session left open could guess the password without limit."""
    client.force_login(owner)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        wrong = client.post(
            "/accounts/password/",
            {"old_password": "guess", "new_password1": "x y z w v", "new_password2": "x y z w v"},
        )
        assert wrong.status_code == 400
    right = client.post(
        "/accounts/password/",
        {
            "old_password": "correct horse battery",
            "new_password1": "another long passphrase",
            "new_password2": "another long passphrase",
        },
    )
    assert right.status_code == 429 and "changing it is paused" in right.content.decode()
    owner.refresh_from_db()
    assert owner.check_password("correct horse battery")


def test_password_reset_mails_are_limited_and_the_answer_does_not_change(client, owner):
    """Thirty requests for one address sent thirty e-mails: anyone could flood an inbox."""
    answers = {
        client.post("/accounts/password/reset/", {"email": owner.email})["Location"]
        for _ in range(6)
    }
    assert answers == {"/accounts/password/reset/sent/"}
    assert len(mail.outbox) == 3
    # Another address is not held back by the first one's limit.
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert len(mail.outbox) == 3  # no account: no e-mail, the same answer


def test_a_browser_the_owner_signed_in_on_is_not_locked_out_by_guesses_from_elsewhere(
    client, owner, settings
):
    """Twenty wrong passwords from fresh addresses locked the e-mail for everyone, its owner
    too: anyone could keep anyone out with twenty requests a quarter of an hour. A browser the
    owner signed in on before holds a device cookie and keeps its own count (OWASP's device
    cookies); every other browser is still locked."""
    from django.test import Client

    office = {"REMOTE_ADDR": "198.51.100.7"}
    assert _sign_in(client, owner.email, "correct horse battery", **office).status_code == 302
    assert client.cookies[DEVICE_COOKIE]["httponly"]
    client.post("/accounts/sign-out/")
    for i in range(settings.LOGIN_FAILURE_LIMIT * 4):
        _sign_in(Client(), owner.email, "x", REMOTE_ADDR=f"192.0.2.{i}")
    stranger = Client()
    assert _sign_in(stranger, owner.email, "correct horse battery", **office).status_code == 429
    # The owner's own browser, even from a new address, is let in.
    travelling = {"REMOTE_ADDR": "203.0.113.50"}
    assert _sign_in(client, owner.email, "correct horse battery", **travelling).status_code == 302
    client.post("/accounts/sign-out/")
    # ... and keeps its own count: five wrong passwords from it lock it (the right one too).
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert _sign_in(client, owner.email, "x", **travelling).status_code == 400
    assert _sign_in(client, owner.email, "correct horse battery", **travelling).status_code == 429
    assert LoginFailure.objects.filter(email=owner.email).exclude(device="").count() == 5


def test_a_device_cookie_counts_only_for_its_own_email_and_only_signed(client, owner, member):
    """A cookie given to another e-mail, or one not signed by this server, is no device."""
    from django.test import Client

    from twofold.accounts.auth import device_token

    other = member(owner.memberships.first().organisation, full_name="Oda Other")
    for i in range(20):
        _sign_in(Client(), owner.email, "x", REMOTE_ADDR=f"192.0.2.{i}")
    for cookie in (device_token(other.email), "forged:value", device_token(owner.email) + "x"):
        browser = Client()
        browser.cookies[DEVICE_COOKIE] = cookie
        assert _sign_in(browser, owner.email, "correct horse battery").status_code == 429, cookie
    browser = Client()
    browser.cookies[DEVICE_COOKIE] = device_token(owner.email)
    assert _sign_in(browser, owner.email, "correct horse battery").status_code == 302


def test_the_owner_signing_in_does_not_wipe_a_strangers_failures(client, owner, settings):
    """Each sign-in from the owner's trusted browser deleted every failure of the e-mail, so
    whoever was guessing from elsewhere got twenty fresh tries after each of them."""
    from django.test import Client

    assert _sign_in(client, owner.email, "correct horse battery").status_code == 302
    client.post("/accounts/sign-out/")
    for i in range(settings.LOGIN_FAILURE_LIMIT * 4):
        _sign_in(Client(), owner.email, "x", REMOTE_ADDR=f"192.0.2.{i}")
    assert _sign_in(client, owner.email, "correct horse battery").status_code == 302
    assert LoginFailure.objects.filter(email=owner.email).count() == 20
    assert _sign_in(Client(), owner.email, "x", REMOTE_ADDR="192.0.2.99").status_code == 429


def test_a_device_cookie_stops_counting_once_the_password_changes(client, owner, settings):
    """A cookie from before a password change (or reset) no longer exempts its browser."""
    from django.test import Client

    from twofold.accounts.auth import device_token

    stale = device_token(owner.email)
    owner.set_password("a brand new passphrase")
    owner.save()
    for i in range(settings.LOGIN_FAILURE_LIMIT * 4):
        _sign_in(Client(), owner.email, "x", REMOTE_ADDR=f"192.0.2.{i}")
    browser = Client()
    browser.cookies[DEVICE_COOKIE] = stale
    assert _sign_in(browser, owner.email, "a brand new passphrase").status_code == 429
    browser.cookies[DEVICE_COOKIE] = device_token(owner.email)
    assert _sign_in(browser, owner.email, "a brand new passphrase").status_code == 302


def _feeds(owner):
    from twofold.activity import services as activity_services
    from twofold.interchange import services as interchange_services

    org = owner.memberships.get().organisation
    _, ics = interchange_services.create_feed(actor=owner, organisation=org, kind="person")
    _, atom = activity_services.create_feed(actor=owner, organisation=org)
    return f"/feeds/{ics}.ics", f"/activity/{atom}.atom"


def test_a_new_password_revokes_feed_addresses_and_a_changed_one_the_tokens_too(
    client, owner, api_token
):
    """A feed's secret address acts for its owner, as a token does: a reset left the calendar
    and activity feeds working, and a password change kept both tokens and feeds (a review)."""
    from django.test import Client

    feeds = _feeds(owner)
    assert [client.get(url).status_code for url in feeds] == [200, 200]
    done = _reset(client, owner.email, "another long passphrase", follow=True)
    assert "Your 2 feed addresses were revoked" in done.content.decode()
    assert [client.get(url).status_code for url in feeds] == [404, 404]
    secret = api_token(owner, 30)
    feeds = _feeds(owner)
    owner.refresh_from_db()  # the new password's hash: the session is checked against it
    client.force_login(owner)
    changed = client.post(
        "/accounts/password/",
        {
            "old_password": "another long passphrase",
            "new_password1": "a third long passphrase",
            "new_password2": "a third long passphrase",
        },
        follow=True,
    )
    assert "Your 1 API token and 2 feed addresses were revoked" in changed.content.decode()
    other = Client()  # not signed in: the token alone
    assert other.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert [other.get(url).status_code for url in feeds] == [404, 404]


def test_signing_up_with_a_taken_address_costs_a_password_hash_as_a_new_one_does(
    monkeypatch, make_user
):
    """The taken address's path skipped the hash: 6 ms against 320–400 ms told which addresses
    have an account (a review measured it)."""
    from twofold.accounts import services
    from twofold.accounts.models import InstanceSettings

    InstanceSettings.objects.update_or_create(pk=1, defaults={"allow_signup": True})
    make_user(email="taken@example.com")
    hashed = []
    real = services.make_password
    monkeypatch.setattr(services, "make_password", lambda p: hashed.append(1) or real(p))
    assert (
        services.sign_up(email="taken@example.com", password="tulips in april", full_name="Eve")
        is None
    )
    assert hashed == [1]


def test_a_removed_member_s_feed_addresses_end_and_do_not_come_back(client, owner, member):
    """They answered 404 while the person was out and worked again once they were added back
    (a review found it)."""
    from twofold.accounts import services
    from twofold.accounts.models import Membership, Role

    org = owner.memberships.get().organisation
    ida = member(org, Role.MEMBER, full_name="Ida Inspector")
    feeds = _feeds(ida)
    assert [client.get(url).status_code for url in feeds] == [200, 200]
    services.remove_member(actor=owner, membership=Membership.objects.get(user=ida))
    Membership.objects.create(organisation=org, user=ida, role=Role.MEMBER)  # added back
    assert [client.get(url).status_code for url in feeds] == [404, 404]
