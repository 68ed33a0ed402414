"""A team's delete button sits in its form, with the version the page read: a team renamed
or given members since is not deleted (409), on the page or through the API."""

from __future__ import annotations

from typing import Any

from twofold.accounts import services
from twofold.accounts.models import Team


def test_a_stale_team_delete_deletes_nothing(client: Any, api: Any, org: Any, owner: Any) -> None:
    team = services.create_team(actor=owner, organisation=org, name="Press crew")
    read = team.version
    services.update_team(actor=owner, team=team, expected_version=read, name="Press and paint")
    client.force_login(owner)
    page = client.post(f"/accounts/teams/{team.pk}/", {"delete": "1", "version": read})
    assert page.status_code == 409
    assert "Someone changed the team Press and paint since you read it" in page.content.decode()
    url = f"/api/organisations/{org.pk}/teams/{team.pk}"
    assert api(owner).delete(f"{url}?version={read}").status_code == 409
    assert Team.objects.filter(pk=team.pk).exists()
    team.refresh_from_db()
    assert api(owner).delete(f"{url}?version={team.version}").status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()


def test_a_stale_member_removal_removes_nobody(
    client: Any, api: Any, org: Any, owner: Any, member: Any
) -> None:
    from twofold.accounts.models import Membership, Role

    ada = member(org, Role.MEMBER, full_name="Ada Admin")
    membership = Membership.objects.get(organisation=org, user=ada)
    read = membership.version
    services.change_member_role(
        actor=owner, membership=membership, role=Role.ADMIN, expected_version=read
    )
    client.force_login(owner)
    client.post(f"/accounts/people/{membership.pk}/remove/", {"version": read})
    url = f"/api/organisations/{org.pk}/members/{membership.pk}"
    assert api(owner).delete(f"{url}?version={read}").status_code == 409
    assert Membership.objects.filter(pk=membership.pk, role=Role.ADMIN).exists()
    assert api(owner).delete(f"{url}?version={read + 1}").status_code == 204
