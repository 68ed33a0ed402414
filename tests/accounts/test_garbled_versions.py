"""A garbled ``version`` on a delete form (text, 25 digits) is a conflict, never a delete with
no version check: the field, member, team and change-withdraw pages read it as the other delete
pages do (``core.web.posted_version``); they read it as "no version" and deleted anyway."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts import services as account_services
from twofold.accounts.models import Membership, Role, Team
from twofold.changes import services as change_services
from twofold.changes.models import ChangeRequest, ChangeStatus
from twofold.customfields import services as field_services
from twofold.customfields.models import FieldDefinition
from twofold.projects import services as project_services

GARBLED = ["1x", "9" * 25, "²"]


@pytest.mark.parametrize("version", GARBLED)
def test_a_garbled_version_does_not_delete_a_field(
    client: Any, org: Any, owner: Any, version: str
) -> None:
    client.force_login(owner)
    field = field_services.create_definition(
        actor=owner, organisation=org, name="N", applies_to="project", kind="number"
    )
    r = client.post(f"/fields/{field.pk}/delete/", {"version": version})
    assert r.status_code == 302 and r["Location"] == f"/fields/{field.pk}/"
    assert FieldDefinition.objects.filter(pk=field.pk).exists()
    r = client.post(f"/fields/{field.pk}/delete/", {"version": "1"})
    assert not FieldDefinition.objects.filter(pk=field.pk).exists()


@pytest.mark.parametrize("version", GARBLED)
def test_a_garbled_version_does_not_delete_a_team(
    client: Any, org: Any, owner: Any, version: str
) -> None:
    client.force_login(owner)
    team = account_services.create_team(actor=owner, organisation=org, name="T")
    r = client.post(f"/accounts/teams/{team.pk}/", {"delete": "1", "version": version})
    assert r.status_code == 409
    assert Team.objects.filter(pk=team.pk).exists()
    client.post(f"/accounts/teams/{team.pk}/", {"delete": "1", "version": str(team.version)})
    assert not Team.objects.filter(pk=team.pk).exists()


@pytest.mark.parametrize("version", GARBLED)
def test_a_garbled_version_does_not_remove_a_member(
    client: Any, org: Any, owner: Any, member: Any, version: str
) -> None:
    client.force_login(owner)
    person = member(org, Role.MEMBER)
    membership = Membership.objects.get(user=person, organisation=org)
    r = client.post(f"/accounts/people/{membership.pk}/remove/", {"version": version})
    assert r.status_code == 302
    assert Membership.objects.filter(pk=membership.pk).exists()
    client.post(f"/accounts/people/{membership.pk}/remove/", {"version": str(membership.version)})
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("version", GARBLED)
def test_a_garbled_version_does_not_withdraw_a_change(
    client: Any, org: Any, owner: Any, version: str
) -> None:
    client.force_login(owner)
    project = project_services.create_project(
        actor=owner, organisation=org, name="P", code="P", target_start=dt.date(2025, 3, 3)
    )
    change = change_services.raise_change_request(
        actor=owner, project=project, title="T", reason="R", target_finish=dt.date(2025, 6, 1)
    )
    r = client.post(f"/changes/{change.pk}/", {"action": "withdraw", "version": version})
    assert r.status_code == 302
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.PROPOSED
    client.post(f"/changes/{change.pk}/", {"action": "withdraw", "version": str(change.version)})
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.WITHDRAWN
