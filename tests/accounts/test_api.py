"""The accounts API: schema, validation errors naming fields, conflicts, query counts."""

from __future__ import annotations

from twofold.accounts import services
from twofold.accounts.models import Membership, Role, Team, User


def test_openapi_declares_every_status(client):
    spec = client.get("/api/openapi.json").json()
    patch = spec["paths"]["/api/organisations/{org_id}/teams/{team_id}"]["patch"]
    assert set(patch["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "422",
        "428",
    }
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()
    assert client.get("/api/docs").status_code == 200


def test_me_lists_memberships(api, org, owner):
    body = api(owner).get("/api/me").json()
    assert body["memberships"] == [
        {"organisation_id": org.pk, "organisation_name": "Acme Engineering", "role": "owner"}
    ]


def test_validation_errors_name_the_field(api, org, owner):
    client = api(owner)
    r = client.post(f"/api/organisations/{org.pk}/teams", {"name": 42})
    assert r.status_code == 422
    assert r.json()["field"] == "name"
    r = client.patch(f"/api/organisations/{org.pk}", {"version": "1", "name": "X"})
    assert r.status_code == 422 and r.json()["field"] == "version"
    r = client.patch(f"/api/organisations/{org.pk}", {"version": 1, "fiscal_year_start_month": 13})
    assert r.status_code == 422 and r.json()["field"] == "fiscal_year_start_month"
    r = client.patch(f"/api/organisations/{org.pk}", {"version": 1, "timezone": "Mars/Olympus"})
    assert r.status_code == 422 and r.json() == {
        "detail": "Unknown time zone 'Mars/Olympus': use a name such as Europe/Berlin.",
        "field": "timezone",
    }
    r = client.post(
        f"/api/organisations/{org.pk}/members", {"email": "x@example.com", "role": "emperor"}
    )
    assert r.status_code == 422 and r.json()["field"] == "role"
    r = client._call("post", f"/api/organisations/{org.pk}/teams", "{not json")
    assert r.status_code in (400, 422)
    assert Team.objects.count() == 0


def test_stale_patch_is_409_and_changes_nothing(api, org, owner):
    client = api(owner)
    assert (
        client.patch(f"/api/organisations/{org.pk}", {"version": 1, "name": "First"}).status_code
        == 200
    )
    r = client.patch(f"/api/organisations/{org.pk}", {"version": 1, "name": "Second"})
    assert r.status_code == 409
    assert r.json()["detail"].startswith("Someone else changed this")
    org.refresh_from_db()
    assert (org.name, org.version) == ("First", 2)


def test_member_and_team_crud(api, org, owner):
    client = api(owner)
    r = client.post(
        f"/api/organisations/{org.pk}/members",
        {"email": "ann@example.com", "full_name": "Ann", "role": "member"},
    )
    assert r.status_code == 202
    invitation = r.json()
    ann = User.objects.get(email="ann@example.com")
    r = api(ann).post(f"/api/me/invitations/{invitation['id']}/accept")
    assert r.status_code == 201
    member = r.json()
    assert member["user"]["full_name"] == "Ann"
    r = client.post(
        f"/api/organisations/{org.pk}/teams",
        {"name": "Line 1", "lead_id": owner.pk, "member_ids": [owner.pk, member["user"]["id"]]},
    )
    assert r.status_code == 201
    team = r.json()
    assert team["member_ids"] == sorted([owner.pk, member["user"]["id"]])
    # A lead who is nobody here is named as the lead (the error said member_ids).
    for method, url, body in (
        ("post", f"/api/organisations/{org.pk}/teams", {"name": "Line 2", "lead_id": 99999}),
        (
            "patch",
            f"/api/organisations/{org.pk}/teams/{team['id']}",
            {"version": team["version"], "lead_id": 99999},
        ),
    ):
        refused = getattr(client, method)(url, body)
        assert (refused.status_code, refused.json()["field"]) == (422, "lead_id")
    r = client.patch(
        f"/api/organisations/{org.pk}/teams/{team['id']}",
        {"version": team["version"], "member_ids": [owner.pk]},
    )
    assert r.status_code == 200 and r.json()["member_ids"] == [owner.pk]
    r = client.patch(
        f"/api/organisations/{org.pk}/members/{member['id']}",
        {"version": member["version"], "role": "guest"},
    )
    assert r.status_code == 200 and r.json()["role"] == "guest"
    assert client.delete(f"/api/organisations/{org.pk}/members/{member['id']}").status_code == 204
    assert client.delete(f"/api/organisations/{org.pk}/teams/{team['id']}").status_code == 204
    assert Membership.objects.filter(organisation=org).count() == 1


def test_guest_cannot_write_through_api(api, org, owner, member):
    guest = member(org, Role.GUEST)
    r = api(guest).post(f"/api/organisations/{org.pk}/teams", {"name": "Nope"})
    assert r.status_code == 403
    assert Team.objects.count() == 0


def test_api_lists_have_constant_query_counts(
    api, org, owner, member, django_assert_max_num_queries
):
    client = api(owner)
    for path in (f"/api/organisations/{org.pk}/members", f"/api/organisations/{org.pk}/teams"):
        services.create_team(
            actor=owner, organisation=org, name=f"A{path[-5:]}", members=[member(org)]
        )
        with django_assert_max_num_queries(10) as small:
            client.get(path)
        for i in range(10):
            services.create_team(
                actor=owner,
                organisation=org,
                name=f"B{i}{path[-5:]}",
                members=[member(org), member(org)],
            )
        with django_assert_max_num_queries(len(small.captured_queries)):
            client.get(path)
