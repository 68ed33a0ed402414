"""Adding someone who already has an account invites them: they join when they accept.

Before, an administrator of any organisation (anyone can make one) could put any account in
their organisation by its e-mail: it showed in the person's organisation switcher without
their say, and could mail them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from twofold.accounts import services
from twofold.accounts.models import Invitation, Membership, Role
from twofold.core.errors import Forbidden, Invalid, NotFound
from twofold.core.models import HistoryEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(make_org: Any, member: Any) -> Any:
    """Someone with an account, a member of another organisation."""
    return member(make_org("Kongsberg Works"), Role.OWNER, full_name="Eli Elsewhere")


def test_an_existing_account_is_invited_not_added(
    org: Any, owner: Any, elsewhere: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.add_member(
            actor=owner, organisation=org, email=elsewhere.email.upper(), role=Role.ADMIN
        )
    assert isinstance(invitation, Invitation)
    assert (invitation.user, invitation.role, invitation.invited_by) == (elsewhere, "admin", owner)
    assert not Membership.objects.filter(organisation=org, user=elsewhere).exists()
    [sent] = mail.outbox
    assert sent.to == [elsewhere.email]
    assert sent.subject == "Olivia Owner invited you to Acme Engineering on Twofold"
    assert "You are not a member until you accept" in sent.body
    assert "/accounts/profile/" in sent.body
    # The organisation names the person as it gave them (here only the address), never by
    # the account's own name, which it did not know.
    assert invitation.label == elsewhere.email
    entry = HistoryEntry.objects.get(action="member invited")
    assert entry.summary == f"Invited {elsewhere.email} as Admin"
    with pytest.raises(Invalid, match="already invited"):
        services.add_member(actor=owner, organisation=org, email=elsewhere.email)


def test_someone_new_is_invited_too_and_the_answers_do_not_tell_them_apart(
    org: Any,
    owner: Any,
    elsewhere: Any,
    api: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Until 2026-12-05 a new address was a member at once (201) and an existing account was
    invited under its own name (202): any administrator — anyone may make an organisation —
    could tell which addresses were registered here, and whose they were."""
    with django_capture_on_commit_callbacks(execute=True):
        fresh = services.add_member(
            actor=owner, organisation=org, email="new@acme.example", full_name="Nia New"
        )
    assert isinstance(fresh, Invitation) and fresh.role == "member"
    assert not Membership.objects.filter(organisation=org, user=fresh.user).exists()
    assert not fresh.user.has_usable_password()
    [sent] = mail.outbox
    assert sent.subject == "You are invited to an organisation on Twofold"
    assert "Choose your password" in sent.body and "/accounts/profile/" in sent.body
    url = f"/api/organisations/{org.pk}/members"
    known = api(owner).post(url, {"email": elsewhere.email, "full_name": "Someone"})
    unknown = api(owner).post(url, {"email": "nobody@acme.example", "full_name": "Someone"})
    assert known.status_code == unknown.status_code == 202
    # Only the invitation's own id, its time and the address differ: no account id (a new
    # account's is the next in sequence, an old one's is not), no account name.
    shapes = [
        {**r.json(), "id": 0, "created_at": "", "user": {**r.json()["user"], "email": ""}}
        for r in (known, unknown)
    ]
    assert shapes[0] == shapes[1]
    assert known.json()["user"] == {"email": elsewhere.email, "full_name": "Someone"}
    # Withdrawing and declining name them as the organisation did, never by the account.
    from twofold.core.models import HistoryEntry as Entry

    withdrawn = Invitation.objects.get(user=elsewhere)
    services.withdraw_invitation(actor=owner, invitation=withdrawn)
    declined = Invitation.objects.get(user__email="nobody@acme.example")
    services.decline_invitation(actor=declined.user, invitation=declined)
    summaries = set(
        Entry.objects.filter(
            action__in=["invitation withdrawn", "invitation declined"]
        ).values_list("summary", "actor")
    )
    assert summaries == {
        ("Withdrew the invitation of Someone", owner.pk),
        ("Someone declined the invitation", None),
    }
    # Accepting makes the new person a member, as anyone invited.
    membership = services.accept_invitation(actor=fresh.user, invitation=fresh)
    assert (membership.user.full_name, membership.role) == ("Nia New", "member")


def test_only_the_invited_person_answers_and_accepting_makes_them_a_member(
    org: Any, owner: Any, elsewhere: Any, outsider: Any
) -> None:
    invitation = services.add_member(actor=owner, organisation=org, email=elsewhere.email)
    assert isinstance(invitation, Invitation)
    for stranger in (owner, outsider):
        with pytest.raises(NotFound):
            services.accept_invitation(actor=stranger, invitation=invitation)
    membership = services.accept_invitation(actor=elsewhere, invitation=invitation)
    assert (membership.organisation, membership.user, membership.role) == (org, elsewhere, "member")
    assert not Invitation.objects.exists()
    assert HistoryEntry.objects.filter(
        action="member added", summary="Eli Elsewhere accepted the invitation as Member"
    ).exists()


def test_declined_and_withdrawn_invitations_leave_no_member(
    org: Any, owner: Any, member: Any, elsewhere: Any
) -> None:
    invitation = services.add_member(actor=owner, organisation=org, email=elsewhere.email)
    assert isinstance(invitation, Invitation)
    services.decline_invitation(actor=elsewhere, invitation=invitation)
    assert not Invitation.objects.exists()
    assert not Membership.objects.filter(organisation=org, user=elsewhere).exists()
    again = services.add_member(actor=owner, organisation=org, email=elsewhere.email)
    assert isinstance(again, Invitation)
    plain = member(org, Role.MEMBER, full_name="Mo Member")
    with pytest.raises(Forbidden):
        services.withdraw_invitation(actor=plain, invitation=again)
    services.withdraw_invitation(actor=owner, invitation=again)
    assert not Invitation.objects.exists()
    actions = set(HistoryEntry.objects.values_list("action", flat=True))
    assert {"invitation declined", "invitation withdrawn"} <= actions


def test_the_pages_invite_show_and_answer(
    client: Any, org: Any, owner: Any, elsewhere: Any
) -> None:
    client.force_login(owner)
    r = client.post(
        "/accounts/people/", {"email": elsewhere.email, "full_name": "", "role": "member"}
    )
    assert r.status_code == 302
    page = client.get("/accounts/people/").content.decode()
    assert f"{elsewhere.email} is invited as Member: they join when they accept" in page
    assert "Waiting for an answer" in page and "Eli Elsewhere" not in page
    invitation = Invitation.objects.get()
    client.force_login(elsewhere)
    profile = client.get("/accounts/profile/").content.decode()
    assert "Acme Engineering" in profile and 'aria-label="Join Acme Engineering"' in profile
    r = client.post(f"/accounts/profile/invitations/{invitation.pk}/accept/")
    assert r.status_code == 302 and r["Location"] == "/"
    assert Membership.objects.filter(organisation=org, user=elsewhere).exists()
    # The portfolio opens in the organisation just joined.
    assert "Acme Engineering" in client.get("/").content.decode()
    assert client.post(f"/accounts/profile/invitations/{invitation.pk}/accept/").status_code == 404


def test_the_api_invites_lists_and_answers(api: Any, org: Any, owner: Any, elsewhere: Any) -> None:
    r = api(owner).post(
        f"/api/organisations/{org.pk}/members", {"email": elsewhere.email, "role": "guest"}
    )
    assert r.status_code == 202, r.content
    body = r.json()
    assert (body["organisation"], body["role"], body["user"]["email"]) == (
        "Acme Engineering",
        "guest",
        elsewhere.email,
    )
    listed = api(owner).get(f"/api/organisations/{org.pk}/invitations").json()
    assert [i["id"] for i in listed] == [body["id"]]
    mine = api(elsewhere).get("/api/me/invitations").json()
    assert [i["id"] for i in mine] == [body["id"]]
    assert api(owner).post(f"/api/me/invitations/{body['id']}/accept", {}).status_code == 404
    r = api(elsewhere).post(f"/api/me/invitations/{body['id']}/accept", {})
    assert r.status_code == 201 and r.json()["role"] == "guest"
    assert api(elsewhere).get("/api/me/invitations").json() == []


def test_invitation_e_mails_are_limited_and_a_withdrawn_one_cannot_be_accepted(
    org: Any, owner: Any, elsewhere: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Inviting and withdrawing in a loop sent an e-mail each time (the organisation's and the
    inviter's names, both chosen by whoever made the organisation, are in it); and an
    invitation read before it was withdrawn could still be accepted."""
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            stale = services.add_member(actor=owner, organisation=org, email=elsewhere.email)
        assert isinstance(stale, Invitation)
        services.withdraw_invitation(actor=owner, invitation=stale)
    assert len(mail.outbox) == 3  # three a day to one address
    with pytest.raises(NotFound):
        services.accept_invitation(actor=elsewhere, invitation=stale)
    assert not Membership.objects.filter(organisation=org, user=elsewhere).exists()


def test_only_an_owner_withdraws_an_invitation_to_be_an_owner(
    org: Any, owner: Any, member: Any, elsewhere: Any, client: Any
) -> None:
    admin = member(org, Role.ADMIN, full_name="Ada Admin")
    invitation = services.add_member(
        actor=owner, organisation=org, email=elsewhere.email, role=Role.OWNER
    )
    assert isinstance(invitation, Invitation)
    with pytest.raises(Forbidden):
        services.withdraw_invitation(actor=admin, invitation=invitation)
    # A member gets the same refusal whether or not the invitation exists.
    plain = member(org, Role.MEMBER, full_name="Mo Member")
    client.force_login(plain)
    for pk in (invitation.pk, invitation.pk + 1000):
        assert client.post(f"/accounts/people/invitations/{pk}/withdraw/").status_code == 403


def test_an_import_invites_its_existing_accounts_out_of_the_teams(
    org: Any, owner: Any, make_user: Any
) -> None:
    """An imported team kept naming a person who was only invited: the team could not be
    saved again ("Every team member must be a member of the organisation")."""
    import io

    from twofold.accounts.models import Team
    from twofold.interchange.org_archive import export_bytes, import_organisation

    services.create_team(actor=owner, organisation=org, name="Press crew", lead=owner)
    team = Team.objects.get(organisation=org)
    team.members.add(owner)
    importer = make_user(email="ines@example.com", full_name="Ines Importer")
    result = import_organisation(actor=importer, source=io.BytesIO(export_bytes(org)), name="Copy")
    copy = Team.objects.get(organisation=result.organisation)
    assert (copy.lead, list(copy.members.all())) == (None, [])
    services.update_team(actor=importer, team=copy, expected_version=None, name="Press crew 2")


def test_a_second_invitation_before_any_sign_in_still_lets_them_choose_a_password(
    org: Any, owner: Any, outsider: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Anyone may invite an address first (the first e-mail says to ignore it if unknown):
    the next organisation's e-mail must still carry the link to choose a password."""
    from twofold.accounts.models import Organisation

    other = Organisation.objects.exclude(pk=org.pk).first()
    assert other is not None
    with django_capture_on_commit_callbacks(execute=True):
        services.add_member(actor=outsider, organisation=other, email="twice@example.com")
        services.add_member(actor=owner, organisation=org, email="twice@example.com")
    assert [m.subject for m in mail.outbox] == ["You are invited to an organisation on Twofold"] * 2
    assert all("Choose your password" in m.body for m in mail.outbox)
