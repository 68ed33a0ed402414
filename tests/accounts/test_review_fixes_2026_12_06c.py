"""Review of 2026-12-06 (c): a person's name is theirs (an inviter's stays on the invitation),
job titles are set by administrators (a title picks a cost rate), and the outbox's retry
answers a member alike whether the e-mail exists or not."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from twofold.accounts import services
from twofold.accounts.models import Invitation, Membership, Role, User
from twofold.core.errors import Forbidden
from twofold.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db


def _with_password(email: str) -> User:
    """The invited person chose a password through the e-mailed link."""
    person = User.objects.get(email=email)
    person.set_password("correct horse battery")
    person.save()
    return person


# --- 1. the name is the person's -------------------------------------------------------------


def test_a_withdrawn_invitation_does_not_name_the_person_for_the_next_organisation(
    org: Any, owner: Any, outsider: Any, api: Any
) -> None:
    rival = outsider.memberships.get().organisation
    puppet = services.add_member(
        actor=outsider, organisation=rival, email="vic@example.com", full_name="Oscar's Puppet"
    )
    # The account made for the invitation has no name: the inviter's is the invitation's.
    assert User.objects.get(email="vic@example.com").full_name == ""
    assert puppet.name == "Oscar's Puppet"
    services.withdraw_invitation(actor=outsider, invitation=puppet)
    mine = services.add_member(
        actor=owner, organisation=org, email="vic@example.com", full_name="Victoria Real"
    )
    vic = _with_password("vic@example.com")
    assert vic.full_name == ""
    services.accept_invitation(actor=vic, invitation=Invitation.objects.get(pk=mine.pk))
    members = api(owner).get(f"/api/organisations/{org.pk}/members").json()
    names = {m["user"]["email"]: m["user"]["full_name"] for m in members}
    assert names["vic@example.com"] == "Victoria Real"
    vic.refresh_from_db()
    assert vic.full_name == "Victoria Real"


def test_an_account_named_by_an_earlier_inviter_loses_that_name_when_invited_again(
    org: Any, owner: Any, make_user: Any
) -> None:
    """An account an invitation made before 2026-12-06 (never signed in) carries the first
    inviter's name: inviting it again drops it, and accepting names the person."""
    legacy = make_user(email="vic@example.com", full_name="Oscar's Puppet")
    legacy.set_unusable_password()
    legacy.save()
    invitation = services.add_member(
        actor=owner, organisation=org, email="vic@example.com", full_name="Victoria Real"
    )
    legacy.refresh_from_db()
    assert legacy.full_name == ""
    vic = _with_password("vic@example.com")
    services.accept_invitation(actor=vic, invitation=invitation)
    vic.refresh_from_db()
    assert vic.full_name == "Victoria Real"


def test_an_unconfirmed_sign_up_keeps_neither_its_name_nor_the_inviters(
    org: Any, owner: Any, settings: Any
) -> None:
    from twofold.accounts.models import InstanceSettings

    instance = InstanceSettings.load()
    instance.allow_signup = True
    instance.save()
    services.sign_up(
        full_name="Squatter", email="vic@example.com", password="correct horse battery 2"
    )
    invitation = services.add_member(
        actor=owner, organisation=org, email="vic@example.com", full_name="Victoria Real"
    )
    assert User.objects.get(email="vic@example.com").full_name == ""
    vic = _with_password("vic@example.com")
    services.accept_invitation(actor=vic, invitation=invitation, full_name="  Vic   Real ")
    vic.refresh_from_db()
    assert vic.full_name == "Vic Real"  # written on the accept form, spaces tidied


def test_the_accept_form_offers_the_invitations_name_and_takes_the_persons(
    org: Any, owner: Any, make_user: Any, client: Any
) -> None:
    invitation = services.add_member(
        actor=owner, organisation=org, email="vic@example.com", full_name="Victoria Real"
    )
    vic = _with_password("vic@example.com")
    client.force_login(vic)
    page = client.get("/accounts/profile/").content.decode()
    assert (
        f'<input id="invitation-name-{invitation.pk}" type="text" name="full_name" '
        'value="Victoria Real" maxlength="150" autocomplete="name">'
    ) in page
    too_long = client.post(
        f"/accounts/profile/invitations/{invitation.pk}/accept/", {"full_name": "x" * 151}
    )
    assert too_long.status_code == 302 and too_long["Location"] == "/accounts/profile/"
    assert Invitation.objects.filter(pk=invitation.pk).exists()  # nothing happened
    joined = client.post(
        f"/accounts/profile/invitations/{invitation.pk}/accept/", {"full_name": "Vic Ramsay"}
    )
    assert joined.status_code == 302 and joined["Location"] == "/"
    vic.refresh_from_db()
    assert vic.full_name == "Vic Ramsay"
    assert Membership.objects.get(organisation=org, user=vic).role == Role.MEMBER
    # A person who has a name keeps it: no field, and the invitation's name is not taken.
    eli = make_user(email="eli@example.com", full_name="Eli Elsewhere")
    other = services.add_member(actor=owner, organisation=org, email=eli.email, full_name="Mr E")
    client.force_login(eli)
    assert 'name="full_name"' not in client.get("/accounts/profile/").content.decode()
    services.accept_invitation(actor=eli, invitation=other)
    eli.refresh_from_db()
    assert eli.full_name == "Eli Elsewhere"


def test_a_person_sets_their_own_name_through_the_api(org: Any, member: Any, api: Any) -> None:
    person = member(org, Role.MEMBER, full_name="Wrong Name")
    r = api(person).patch("/api/me", {"full_name": "  Right   Name "})
    assert r.status_code == 200
    assert (r.json()["full_name"], r.json()["email"]) == ("Right Name", person.email)
    person.refresh_from_db()
    assert person.full_name == "Right Name"
    too_long = api(person).patch("/api/me", {"full_name": "x" * 151})
    assert too_long.status_code == 422
    assert too_long.json()["field"] == "full_name"
    assert too_long.json()["detail"] == "A name has at most 150 characters (this one has 151)."
    unknown = api(person).patch("/api/me", {"full_name": "Other", "job_title": "Director"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "job_title")
    # Preferences refuse a field they do not know (a name sent there was ignored with 200).
    prefs = api(person).patch("/api/me/preferences", {"timezone": "", "full_name": "Other"})
    assert (prefs.status_code, prefs.json()["field"]) == (422, "full_name")
    person.refresh_from_db()
    assert (person.full_name, person.job_title, person.timezone) == ("Right Name", "", "")


def test_a_person_sets_their_own_name_on_preferences(org: Any, member: Any, client: Any) -> None:
    person = member(org, Role.GUEST, full_name="Wrong Name")
    client.force_login(person)
    page = client.get("/accounts/preferences/").content.decode()
    assert 'name="full_name" value="Wrong Name"' in page
    saved = client.post(
        "/accounts/preferences/", {"full_name": "Right Name", "timezone": "Asia/Tokyo"}
    )
    assert saved.status_code == 302
    person.refresh_from_db()
    assert (person.full_name, person.timezone) == ("Right Name", "Asia/Tokyo")
    # A post without the name (an older page) keeps it.
    assert client.post("/accounts/preferences/", {"timezone": ""}).status_code == 302
    person.refresh_from_db()
    assert (person.full_name, person.timezone) == ("Right Name", "")
    refused = client.post("/accounts/preferences/", {"full_name": "x" * 151, "timezone": ""})
    assert refused.status_code == 422
    assert "A name has at most 150 characters (this one has 151)." in refused.content.decode()
    person.refresh_from_db()
    assert person.full_name == "Right Name"


# --- 2. job titles are the administrators' ---------------------------------------------------


def test_a_member_cannot_choose_the_rate_of_their_own_hours(
    org: Any, owner: Any, member: Any, api: Any
) -> None:
    from twofold.costs import services as costs
    from twofold.costs.selectors import rates_for

    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(org.timezone)).date()
    long_ago = today - dt.timedelta(days=400)
    costs.create_rate(
        actor=owner, organisation=org, role="Director", hourly="200", effective_from=long_ago
    )
    tom = member(org, Role.MEMBER, full_name="Tom")
    last_month = today - dt.timedelta(days=30)
    m = Membership.objects.get(organisation=org, user=tom)
    r = api(tom).patch(
        f"/api/organisations/{org.pk}/people/{tom.pk}",
        {"version": m.version, "job_title": "Director"},
    )
    assert r.status_code == 403
    assert r.json() == {
        "detail": "Only an administrator can change a job title: it picks the cost rate of "
        "your hours.",
        "field": "job_title",
    }
    tom.refresh_from_db()
    assert tom.job_title == ""
    assert rates_for(org, [tom.pk], long_ago, today).hourly(tom.pk, last_month) is None
    # An administrator may: the first title holds from the beginning, as before.
    ok = api(owner).patch(
        f"/api/organisations/{org.pk}/people/{tom.pk}",
        {"version": m.version, "job_title": "Director"},
    )
    assert (ok.status_code, ok.json()["job_title"]) == (200, "Director")
    assert rates_for(org, [tom.pk], long_ago, today).hourly(tom.pk, last_month) == Decimal("200")


def test_a_members_own_page_and_profile_show_the_title_read_only(
    org: Any, member: Any, client: Any
) -> None:
    tom = member(org, Role.MEMBER, full_name="Tom", job_title="Technician")
    version = Membership.objects.get(organisation=org, user=tom).version
    client.force_login(tom)
    own = client.get(f"/accounts/people/{tom.pk}/").content.decode()
    assert 'name="job_title"' not in own
    assert (
        '<p class="help">Only an administrator can change a job title: it picks the cost rate of '
        "your hours. Ask an administrator.</p>"
    ) in own
    denied = client.post(f"/accounts/people/{tom.pk}/", {"job_title": "Director", "version": 1})
    assert denied.status_code == 403
    assert "Only an administrator can change a job title" in denied.content.decode()
    profile = client.get("/accounts/profile/").content.decode()
    assert 'action="/accounts/profile/job-title/"' not in profile
    assert "Technician" in profile
    refused = client.post(
        "/accounts/profile/job-title/", {"job_title": "Director", "version": version}
    )
    assert refused.status_code == 302
    tom.refresh_from_db()
    assert tom.job_title == "Technician"


def test_an_admin_sets_their_own_title_only_where_they_administer_every_organisation(
    org: Any, owner: Any, outsider: Any, api: Any, client: Any
) -> None:
    m = Membership.objects.get(organisation=org, user=owner)
    client.force_login(owner)
    assert (
        'action="/accounts/profile/job-title/"' in client.get("/accounts/profile/").content.decode()
    )
    r = api(owner).patch(
        f"/api/organisations/{org.pk}/people/{owner.pk}",
        {"version": m.version, "job_title": "Plant manager"},
    )
    assert (r.status_code, r.json()["job_title"]) == (200, "Plant manager")
    # A member of another organisation too: the title prices their hours there as well.
    rival = outsider.memberships.get().organisation
    invitation = services.add_member(actor=outsider, organisation=rival, email=owner.email)
    services.accept_invitation(actor=owner, invitation=invitation)
    m.refresh_from_db()
    with pytest.raises(Forbidden) as refused:
        services.set_job_title(actor=owner, membership=m, job_title="Director")
    assert refused.value.field == "job_title"
    assert refused.value.message == (
        "You are also in an organisation you do not administer: your job title picks the cost "
        "rate of your hours there too, so you cannot change it."
    )
    owner.refresh_from_db()
    assert owner.job_title == "Plant manager"


# --- 3. the outbox's retry tells a member nothing ----------------------------------------------


def test_outbox_retry_answers_a_member_alike_for_an_e_mail_that_exists_or_not(
    org: Any, owner: Any, member: Any, api: Any, client: Any
) -> None:
    mail = OutboxEmail.objects.create(
        organisation=org, recipient=owner, to=owner.email, subject="s", body_text="b", body_html=""
    )
    tom = member(org, Role.MEMBER)
    real = api(tom).post(f"/api/organisations/{org.pk}/outbox/{mail.pk}/retry")
    fake = api(tom).post(f"/api/organisations/{org.pk}/outbox/{mail.pk + 1000}/retry")
    assert (real.status_code, fake.status_code) == (403, 403)
    assert (
        real.json()
        == fake.json()
        == {
            "detail": "Only admins can send an e-mail again.",
            "field": None,
        }
    )
    client.force_login(tom)
    page_real = client.post(f"/notifications/outbox/{mail.pk}/retry/")
    page_fake = client.post(f"/notifications/outbox/{mail.pk + 1000}/retry/")
    assert (page_real.status_code, page_fake.status_code) == (403, 403)
    # An admin still gets 404 for one that does not exist.
    assert (
        api(owner).post(f"/api/organisations/{org.pk}/outbox/{mail.pk + 1000}/retry").status_code
        == 404
    )
