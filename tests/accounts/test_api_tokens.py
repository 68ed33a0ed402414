"""API tokens through the API: the same rules as Settings → API tokens."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.accounts.models import ApiToken, Organisation, User

pytestmark = pytest.mark.django_db


def test_create_use_list_and_revoke(org: Organisation, owner: User, api: Any, client: Any) -> None:
    client.force_login(owner)  # tokens are made from a signed-in session
    created = client.post(
        "/api/me/tokens",
        {"name": "KPI uploader", "expires_in_days": 30},
        content_type="application/json",
    )

    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "KPI uploader" and body["active"] is True
    assert body["secret"].startswith(f"tf_{body['prefix']}_")
    assert ApiToken.objects.get(pk=body["id"]).secret_hash not in body["secret"]
    mine = {"HTTP_AUTHORIZATION": f"Bearer {body['secret']}"}
    listed = client.get("/api/me/tokens", **mine).json()
    assert [t["name"] for t in listed] == ["KPI uploader"]
    assert "secret" not in listed[0]

    # A token cannot make its successor: revoking a leaked one ends its access.
    minted = client.post(
        "/api/me/tokens",
        {"name": "Successor", "expires_in_days": 30},
        content_type="application/json",
        **mine,
    )
    assert minted.status_code == 403
    assert "signed-in session" in minted.json()["detail"]
    assert client.delete(f"/api/me/tokens/{body['id']}", **mine).status_code == 204
    client.logout()
    assert client.get("/api/me/tokens", **mine).status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "expires_in_days": 30}, "name"),
        ({"name": "Forever", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "Forever", "expires_in_days": 367}, "expires_in_days"),
        ({"name": "No expiry"}, "expires_in_days"),
        ({"name": "   ", "expires_in_days": 30}, "name"),
    ],
)
def test_bad_input_names_the_field(
    owner: User, client: Any, payload: dict[str, Any], field: str
) -> None:
    client.force_login(owner)
    response = client.post("/api/me/tokens", payload, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not ApiToken.objects.filter(user=owner).exists()


def test_someone_elses_token_is_not_found(
    org: Organisation, owner: User, outsider: User, api: Any
) -> None:
    theirs = ApiToken.objects.create(
        user=outsider, name="theirs", prefix="abcdef12", secret_hash="x"
    )

    assert api(owner).delete(f"/api/me/tokens/{theirs.pk}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
