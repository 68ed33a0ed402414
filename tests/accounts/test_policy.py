"""Roles and the policy: outsiders get 404 everywhere, roles decide writes."""

from __future__ import annotations

import pytest

from twofold.accounts import services
from twofold.accounts.models import Membership, Role, Team
from twofold.core.errors import Forbidden, Invalid, NotFound
from twofold.core.policy import Action, can


@pytest.fixture
def team(org, owner):
    return services.create_team(actor=owner, organisation=org, name="Quality", members=[owner])


def test_role_ranks_decide_actions(org, member):
    guest, regular, admin, own = (
        member(org, r) for r in (Role.GUEST, Role.MEMBER, Role.ADMIN, Role.OWNER)
    )
    table = {
        guest: [True, False, False, False],
        regular: [True, True, False, False],
        admin: [True, True, True, False],
        own: [True, True, True, True],
    }
    for user, expected in table.items():
        assert [
            can(user, a, org) for a in (Action.VIEW, Action.EDIT, Action.MANAGE, Action.OWN)
        ] == expected


def test_outsider_cannot_see_anything(org, outsider, team):
    assert not can(outsider, Action.VIEW, org)
    assert not can(outsider, Action.VIEW, team)
    with pytest.raises(NotFound):
        services.update_team(
            actor=outsider, team=team, expected_version=team.version, name="Hacked"
        )
    team.refresh_from_db()
    assert team.name == "Quality"


def test_member_cannot_manage_teams(org, member, team):
    regular = member(org, Role.MEMBER)
    with pytest.raises(Forbidden):
        services.create_team(actor=regular, organisation=org, name="Shadow")
    assert not Team.objects.filter(name="Shadow").exists()


def test_admin_cannot_grant_owner_or_admin(org, member):
    admin = member(org, Role.ADMIN)
    target = Membership.objects.get(user=member(org, Role.MEMBER))
    with pytest.raises(Forbidden):
        services.change_member_role(
            actor=admin, membership=target, role=Role.OWNER, expected_version=target.version
        )
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_last_owner_cannot_be_demoted_or_removed(org, owner):
    m = Membership.objects.get(user=owner, organisation=org)
    with pytest.raises(Invalid, match="at least one owner"):
        services.change_member_role(
            actor=owner, membership=m, role=Role.ADMIN, expected_version=m.version
        )
    with pytest.raises(Invalid, match="at least one owner"):
        services.remove_member(actor=owner, membership=m)
    assert Membership.objects.get(pk=m.pk).role == Role.OWNER


OBJECT_ROUTES_GET = ["/accounts/teams/{team}/"]
OBJECT_ROUTES_POST = [
    ("/accounts/teams/{team}/", {"name": "Hacked", "version": 1}),
    ("/accounts/people/{membership}/role/", {"role": "guest", "version": 1}),
    ("/accounts/people/{membership}/remove/", {}),
]
API_ROUTES = [
    ("get", "/api/organisations/{org}", None),
    ("patch", "/api/organisations/{org}", {"version": 1, "name": "Hacked"}),
    ("get", "/api/organisations/{org}/members", None),
    ("post", "/api/organisations/{org}/members", {"email": "x@example.com"}),
    ("patch", "/api/organisations/{org}/members/{membership}", {"version": 1, "role": "guest"}),
    ("delete", "/api/organisations/{org}/members/{membership}", None),
    ("get", "/api/organisations/{org}/teams", None),
    ("post", "/api/organisations/{org}/teams", {"name": "X"}),
    ("get", "/api/organisations/{org}/teams/{team}", None),
    ("patch", "/api/organisations/{org}/teams/{team}", {"version": 1, "name": "X"}),
    ("delete", "/api/organisations/{org}/teams/{team}", None),
]


def _ids(org, owner, team):
    return {"org": org.pk, "team": team.pk, "membership": Membership.objects.get(user=owner).pk}


def test_every_page_route_answers_404_to_an_outsider(client, org, owner, outsider, team):
    ids = _ids(org, owner, team)
    client.force_login(outsider)
    for route in OBJECT_ROUTES_GET:
        assert client.get(route.format(**ids)).status_code == 404, route
    for route, data in OBJECT_ROUTES_POST:
        assert client.post(route.format(**ids), data).status_code == 404, route
    team.refresh_from_db()
    assert team.name == "Quality"
    assert Membership.objects.get(user=owner).role == Role.OWNER


def test_every_api_route_answers_404_to_an_outsider(api, org, owner, outsider, team):
    ids = _ids(org, owner, team)
    client = api(outsider)
    for method, route, data in API_ROUTES:
        call = getattr(client, method)
        response = (
            call(route.format(**ids), data) if data is not None else call(route.format(**ids))
        )
        assert response.status_code == 404, (method, route, response.content)
        assert response.json() == {"detail": "Organisation not found.", "field": None}
    assert Team.objects.get(pk=team.pk).name == "Quality"
    assert Membership.objects.filter(organisation=org).count() == 1


def test_token_of_another_user_cannot_be_revoked(client, owner, outsider):
    token, _ = services.create_api_token(actor=owner, name="mine", expires_in_days=30)
    client.force_login(outsider)
    assert client.post(f"/accounts/settings/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_guest_sees_people_but_no_management_forms(client, org, owner, member):
    guest = member(org, Role.GUEST)
    client.force_login(guest)
    page = client.get("/accounts/people/").content.decode()
    assert "Olivia Owner" in page
    assert "Add a person" not in page
    response = client.post("/accounts/people/", {"email": "new@example.com", "role": "member"})
    assert response.status_code == 403
    assert "does not allow" in response.content.decode()
    assert not Membership.objects.filter(user__email="new@example.com").exists()
