"""Accounts pages: people, teams, settings — happy paths, bad input, conflicts, query counts."""

from __future__ import annotations

import pytest

from twofold.accounts import services
from twofold.accounts.models import Invitation, Membership, Organisation, Role, Team
from twofold.core.models import HistoryEntry


def test_add_member_by_email_sends_invitation(
    client, org, owner, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/people/",
            {"email": "New.Person@Example.com", "full_name": "New Person", "role": "member"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get(user__email="new.person@example.com")
    assert invitation.role == Role.MEMBER and invitation.organisation == org
    assert not Membership.objects.filter(user__email="new.person@example.com").exists()
    assert len(mailoutbox) == 1 and "choose your password" in mailoutbox[0].body.lower()
    entry = HistoryEntry.objects.get(action="member invited")
    assert entry.actor == owner and entry.summary == "Invited New Person as Member"


def test_add_member_bad_input(client, org, owner):
    client.force_login(owner)
    response = client.post("/accounts/people/", {"email": "not-an-email", "role": "emperor"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "Select a valid choice. emperor is not one of the available choices." in body
    duplicate = client.post("/accounts/people/", {"email": owner.email, "role": "member"})
    assert duplicate.status_code == 422
    assert "is already a member" in duplicate.content.decode()
    assert Membership.objects.filter(organisation=org).count() == 1


def test_role_change_with_stale_version_is_409(client, org, owner, member):
    other = Membership.objects.get(user=member(org, Role.MEMBER))
    client.force_login(owner)
    ok = client.post(
        f"/accounts/people/{other.pk}/role/", {"role": "admin", "version": other.version}
    )
    assert ok.status_code == 302
    stale = client.post(
        f"/accounts/people/{other.pk}/role/", {"role": "guest", "version": other.version}
    )
    assert stale.status_code == 409
    assert "Someone else changed this" in stale.content.decode()
    other.refresh_from_db()
    assert other.role == Role.ADMIN and other.version == 2


def test_team_create_edit_and_history(client, org, owner, member):
    colleague = member(org, Role.MEMBER, full_name="Cara Colleague")
    client.force_login(owner)
    response = client.post(
        "/accounts/teams/",
        {
            "name": "Line 2",
            "description": "Second line",
            "lead": owner.pk,
            "members": [owner.pk, colleague.pk],
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Line 2")
    response = client.post(
        f"/accounts/teams/{team.pk}/",
        {
            "name": "Line 2 production",
            "description": "",
            "lead": owner.pk,
            "members": [colleague.pk],
            "version": team.version,
        },
    )
    assert response.status_code == 302
    page = client.get(f"/accounts/teams/{team.pk}/").content.decode()
    assert "Line 2 production" in page
    entry = HistoryEntry.objects.filter(object_id=team.pk, action="updated").get()
    assert entry.changes == {
        "name": ["Line 2", "Line 2 production"],
        "description": ["Second line", ""],
        "members": [["Cara Colleague", "Olivia Owner"], ["Cara Colleague"]],
    }


def test_team_bad_input(client, org, owner, outsider):
    client.force_login(owner)
    services.create_team(actor=owner, organisation=org, name="Quality")
    dup = client.post("/accounts/teams/", {"name": "quality"})
    assert dup.status_code == 422 and "already a team called quality" in dup.content.decode()
    foreign = client.post("/accounts/teams/", {"name": "New", "members": [outsider.pk]})
    assert foreign.status_code == 400
    assert "Select a valid choice." in foreign.content.decode()
    assert Team.objects.count() == 1


def test_organisation_settings_update_records_history(client, org, owner):
    client.force_login(owner)
    response = client.post(
        "/accounts/settings/",
        {
            "name": "Acme Engineering Ltd",
            "description": "",
            "timezone": "Europe/Paris",
            "fiscal_year_start_month": "4",
            "version": org.version,
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.timezone, org.fiscal_year_start_month, org.version) == (
        "Acme Engineering Ltd",
        "Europe/Paris",
        4,
        2,
    )
    entry = HistoryEntry.objects.get(action="updated")
    assert entry.changes == {
        "name": ["Acme Engineering", "Acme Engineering Ltd"],
        "timezone": ["Europe/London", "Europe/Paris"],
        "fiscal_year_start_month": [1, 4],
    }
    page = client.get("/accounts/settings/").content.decode()
    assert "Europe/London" in page and "Europe/Paris" in page


def test_organisation_settings_bad_input_keeps_saved_data(client, org, owner):
    client.force_login(owner)
    response = client.post(
        "/accounts/settings/",
        {
            "name": "",
            "timezone": "Mars/Olympus",
            "fiscal_year_start_month": "13",
            "version": org.version,
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count("This field is required.") == 1
    assert "Select a valid choice. Mars/Olympus" in body
    assert Organisation.objects.get(pk=org.pk).name == "Acme Engineering"


@pytest.mark.parametrize(
    "path",
    ["/accounts/people/", "/accounts/teams/", "/accounts/settings/", "/accounts/settings/tokens/"],
)
def test_page_query_count_does_not_grow(
    client, org, owner, member, django_assert_max_num_queries, path
):
    client.force_login(owner)
    client.get(path)  # warm caches (content types)
    for _ in range(3):
        services.create_team(
            actor=owner, organisation=org, name=f"T{Team.objects.count()}", members=[member(org)]
        )
    with django_assert_max_num_queries(12) as few:
        assert client.get(path).status_code == 200
    for _ in range(15):
        services.create_team(
            actor=owner,
            organisation=org,
            name=f"T{Team.objects.count()}",
            members=[member(org), member(org)],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(path).status_code == 200


def test_pages_render_for_each_section(client, org, owner):
    client.force_login(owner)
    for path in [
        "/",
        "/projects/",
        "/operations/",
        "/reports/",
        "/accounts/profile/",
        "/accounts/password/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Acme Engineering" in response.content.decode()


def test_user_without_organisation_sees_guidance(client, make_user):
    client.force_login(make_user())
    response = client.get("/")
    assert response.status_code == 403
    assert "not a member of any organisation" in response.content.decode()


def test_switch_organisation(client, org, owner, make_org):
    other = make_org("Beta Works")
    Membership.objects.create(organisation=other, user=owner, role=Role.MEMBER)
    client.force_login(owner)
    assert (
        client.post("/accounts/organisation/switch/", {"organisation": other.pk}).status_code == 302
    )
    assert "Beta Works" in client.get("/").content.decode()
    assert (
        client.post("/accounts/organisation/switch/", {"organisation": 999999}).status_code == 404
    )
