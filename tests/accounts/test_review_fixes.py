"""Defects found in review: nulls in PATCH, e-mail validation, proxies, e-mail links, body size."""

from __future__ import annotations

from django.test import RequestFactory

from twofold.accounts import services
from twofold.accounts.auth import client_ip
from twofold.accounts.models import Membership, Team


def test_null_in_an_organisation_patch_is_a_422_naming_the_field(api, org, owner):
    client = api(owner)
    for field in ("name", "description", "fiscal_year_start_month", "timezone"):
        r = client.patch(f"/api/organisations/{org.pk}", {"version": 1, field: None})
        assert r.status_code == 422, field
        assert r.json()["field"] == field
    org.refresh_from_db()
    assert (org.name, org.version) == ("Acme Engineering", 1)


def test_null_in_a_team_patch_is_a_422_and_no_team_is_called_none(api, org, owner):
    team = services.create_team(actor=owner, organisation=org, name="Quality")
    client = api(owner)
    for field in ("name", "description"):
        r = client.patch(
            f"/api/organisations/{org.pk}/teams/{team.pk}", {"version": 1, field: None}
        )
        assert r.status_code == 422, field
        assert r.json()["field"] == field
    assert Team.objects.get(pk=team.pk).name == "Quality"


def test_a_bare_at_sign_is_not_an_email(api, org, owner):
    r = api(owner).post(f"/api/organisations/{org.pk}/members", {"email": "@"})
    assert r.status_code == 422
    assert r.json() == {"detail": "Enter a valid e-mail address.", "field": "email"}
    assert Membership.objects.filter(organisation=org).count() == 1


def test_client_ip_behind_trusted_proxies(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    settings.TWOFOLD_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TWOFOLD_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"  # the forged left entry is not believed


def test_invitation_links_use_the_configured_base_url(
    org, owner, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TWOFOLD_BASE_URL = "https://twofold.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        services.add_member(actor=owner, organisation=org, email="new@example.com")
    assert "https://twofold.example.com/accounts/password/reset/" in mailoutbox[0].body


def test_oversized_requests_answer_413(client, owner, settings):
    settings.TWOFOLD_MAX_REQUEST_BYTES = 1000
    client.force_login(owner)
    r = client.post("/api/me", data="x" * 2000, content_type="application/json")
    assert r.status_code == 413
    assert r.json()["detail"] == "The request is too large: the limit is 0 MB."


def test_team_edit_without_a_version_is_refused(client, org, owner):
    team = services.create_team(actor=owner, organisation=org, name="Quality")
    client.force_login(owner)
    r = client.post(f"/accounts/teams/{team.pk}/", {"name": "Renamed"})
    assert r.status_code == 400
    assert "out of date" in r.content.decode()
    assert Team.objects.get(pk=team.pk).name == "Quality"
