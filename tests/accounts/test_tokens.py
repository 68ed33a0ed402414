"""API token lifecycle: shown once, stored hashed, revocable, expiring, last use recorded."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from twofold.accounts import services
from twofold.accounts.auth import hash_secret
from twofold.accounts.models import ApiToken


def test_token_is_stored_hashed_and_works(client, owner):
    token, secret = services.create_api_token(actor=owner, name="uploader", expires_in_days=30)
    assert secret.startswith(f"tf_{token.prefix}_")
    assert token.secret_hash == hash_secret(secret.split("_", 2)[2])
    assert secret not in str(ApiToken.objects.values_list().get(pk=token.pk))
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["email"] == owner.email
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_gets_401(client, owner):
    token, secret = services.create_api_token(actor=owner, name="ci", expires_in_days=30)
    services.revoke_api_token(actor=owner, token=token)
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")


def test_expired_token_gets_401(client, owner):
    token, secret = services.create_api_token(actor=owner, name="old", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_wrong_or_malformed_token_gets_401(client, owner):
    token, secret = services.create_api_token(actor=owner, name="x", expires_in_days=1)
    for bad in (
        secret[:-1] + ("A" if secret[-1] != "A" else "B"),
        "tf_nothing",
        "garbage",
        f"tf_{token.prefix}_",
    ):
        assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {bad}").status_code == 401, bad
    assert client.get("/api/me").status_code == 401


def test_token_page_shows_secret_once_and_lists_last_use(client, owner):
    client.force_login(owner)
    response = client.post(
        "/accounts/settings/tokens/", {"name": "KPI uploader", "expires_in_days": "30"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    token = ApiToken.objects.get(user=owner)
    assert f"tf_{token.prefix}_" in body and "will not be shown again" in body
    again = client.get("/accounts/settings/tokens/").content.decode()
    assert "will not be shown again" not in again
    assert "KPI uploader" in again and "never" in again


def test_token_form_rejects_bad_input(client, owner):
    client.force_login(owner)
    response = client.post("/accounts/settings/tokens/", {"name": "", "expires_in_days": "9999"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required." in body
    assert "Select a valid choice." in body
    assert not ApiToken.objects.exists()


def test_revoke_through_the_page(client, owner):
    token, secret = services.create_api_token(actor=owner, name="x", expires_in_days=7)
    client.force_login(owner)
    response = client.post(f"/accounts/settings/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    client.logout()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
