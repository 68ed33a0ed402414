"""Creating, switching and deleting organisations; the last owner under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.apps import apps
from django.db import connection

from twofold.accounts import services
from twofold.accounts.models import Membership, Organisation, OrganisationDeletion, Role
from twofold.core.errors import Forbidden, Invalid
from twofold.core.middleware import SESSION_ORG_KEY


def test_a_person_creates_a_further_organisation_and_switches(client, org, owner):
    client.force_login(owner)
    response = client.post(
        "/accounts/organisation/new/",
        {
            "name": "Acme Engineering",
            "timezone": "America/New_York",
            "date_format": "mm/dd/yyyy",
            "week_start": "6",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    new = Organisation.objects.exclude(pk=org.pk).get()
    # Same name, so the slug gets a suffix.
    assert (new.name, new.slug, new.timezone, new.date_format, new.week_start) == (
        "Acme Engineering",
        "acme-engineering",
        "America/New_York",
        "mm/dd/yyyy",
        6,
    )
    assert Membership.objects.get(organisation=new).role == Role.OWNER
    again = services.create_organisation(actor=owner, name="Acme  Engineering")
    assert (again.name, again.slug) == ("Acme Engineering", "acme-engineering-2")
    assert client.session[SESSION_ORG_KEY] == new.pk
    menu = client.get("/").content.decode()
    assert f'name="organisation" value="{org.pk}"' in menu  # the switcher offers the other one
    response = client.post("/accounts/organisation/switch/", {"organisation": org.pk})
    assert response.status_code == 302 and client.session[SESSION_ORG_KEY] == org.pk


def test_switching_to_someone_elses_organisation_is_404(client, owner, outsider):
    client.force_login(owner)
    other = outsider.memberships.get().organisation
    assert (
        client.post("/accounts/organisation/switch/", {"organisation": other.pk}).status_code == 404
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "An organisation needs a name."),
        ("x" * 10_000, "at most 120 characters (this one has 10000)"),
    ],
)
def test_organisation_names_are_checked(make_user, name, message):
    with pytest.raises(Invalid, match=message.replace("(", r"\(").replace(")", r"\)")):
        services.create_organisation(actor=make_user(), name=name)
    assert Organisation.objects.count() == 0


def test_unknown_time_zone_is_refused(make_user):
    with pytest.raises(Invalid) as exc:
        services.create_organisation(actor=make_user(), name="X", timezone="Mars/Olympus")
    assert exc.value.field == "timezone"


def test_api_creates_an_organisation_and_updates_its_conventions(api, owner):
    client = api(owner)
    r = client.post(
        "/api/organisations",
        {"name": "Nordwerk", "timezone": "Europe/Berlin", "date_format": "dd/mm/yyyy"},
    )
    assert r.status_code == 201
    body = r.json()
    assert (
        body["name"],
        body["slug"],
        body["timezone"],
        body["date_format"],
        body["week_start"],
    ) == ("Nordwerk", "nordwerk", "Europe/Berlin", "dd/mm/yyyy", 0)
    assert body["created_at"].endswith(("Z", "+00:00"))
    r = client.patch(
        f"/api/organisations/{body['id']}",
        {"version": 1, "week_start": 6, "date_format": "yyyy-mm-dd"},
    )
    assert r.status_code == 200 and (r.json()["week_start"], r.json()["version"]) == (6, 2)
    r = client.patch(f"/api/organisations/{body['id']}", {"version": 1, "name": "Stale"})
    assert r.status_code == 409
    r = client.patch(f"/api/organisations/{body['id']}", {"version": 2, "week_start": 3})
    assert r.status_code == 422
    r = client.post("/api/organisations", {"name": "y" * 10_000})
    assert r.status_code == 422 and r.json()["field"] == "name"


def test_api_preferences(api, owner):
    client = api(owner)
    assert client.get("/api/me/preferences").json() == {"timezone": ""}
    assert client.patch("/api/me/preferences", {"timezone": "Asia/Tokyo"}).json() == {
        "timezone": "Asia/Tokyo"
    }
    r = client.patch("/api/me/preferences", {"timezone": "Nowhere/Land"})
    assert r.status_code == 422 and r.json()["field"] == "timezone"
    owner.refresh_from_db()
    assert owner.timezone == "Asia/Tokyo"


def _row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models(include_auto_created=True)
        if m._meta.label != "sessions.Session"  # signing in adds one
    }


def test_deleting_an_organisation_removes_all_of_it_and_nothing_of_another(
    demo_org, client, owner, outsider, member
):
    demo = Organisation.objects.exclude(memberships__user__in=[owner, outsider]).get()
    Membership.objects.create(organisation=demo, user=owner, role=Role.OWNER)
    Membership.objects.create(organisation=demo, user=outsider, role=Role.MEMBER)
    other = outsider.memberships.exclude(organisation=demo).get().organisation
    expected = services.deletion_counts(demo)
    assert expected["projects"] > 0 and expected["memberships"] > 2
    before = _row_counts()
    others_before = {
        label: m.objects.filter(organisation=other).count()
        for m in apps.get_models()
        if (label := m._meta.label) and any(f.name == "organisation" for f in m._meta.fields)
    }
    client.force_login(owner)
    client.cookies  # noqa: B018 - the session is in the client
    session = client.session
    session[SESSION_ORG_KEY] = demo.pk
    session.save()
    page = client.get("/accounts/organisation/delete/").content.decode()
    assert f"<strong>{expected['projects']}</strong> projects" in page
    response = client.post("/accounts/organisation/delete/", {"confirm_name": "wrong"})
    assert response.status_code == 422 and Organisation.objects.filter(pk=demo.pk).exists()
    response = client.post("/accounts/organisation/delete/", {"confirm_name": demo.name})
    assert response.status_code == 302
    assert not Organisation.objects.filter(pk=demo.pk).exists()
    after = _row_counts()
    gone = {
        label: before[label] - after[label] for label in before if before[label] != after[label]
    }
    gone.pop("accounts.Organisation")
    gone.pop("accounts.OrganisationDeletion")  # the one row that appears: the deletion's record
    by_plural = {
        str(apps.get_model(label)._meta.verbose_name_plural): n for label, n in gone.items()
    }
    assert by_plural == expected
    assert {
        label: apps.get_model(label).objects.filter(organisation=other).count()
        for label in others_before
    } == others_before
    record = OrganisationDeletion.objects.get()
    assert (record.name, record.deleted_by_email, record.counts) == (
        demo.name,
        owner.email,
        expected,
    )
    assert outsider.memberships.count() == 1  # their own organisation is untouched


def test_only_an_owner_deletes(org, owner, member):
    admin = member(org, Role.ADMIN)
    with pytest.raises(Forbidden):
        services.delete_organisation(actor=admin, organisation=org, confirm_name=org.name)
    assert Organisation.objects.filter(pk=org.pk).exists()


def _demote_at_once(first: Membership, second: Membership, actors: tuple) -> list[str]:
    """Each owner demotes the other from their own thread, started together."""
    barrier = threading.Barrier(2)
    results: list[str] = []

    def demote(actor, membership):
        try:
            barrier.wait(timeout=5)
            services.change_member_role(
                actor=actor, membership=membership, role=Role.MEMBER, expected_version=None
            )
            results.append("ok")
        except (Invalid, Forbidden) as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(actors[0], second)),
        threading.Thread(target=demote, args=(actors[1], first)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(results)


def test_the_last_owner_cannot_be_demoted_or_removed(org, owner, member):
    other = member(org, Role.OWNER)
    services.change_member_role(
        actor=owner,
        membership=Membership.objects.get(user=other),
        role=Role.ADMIN,
        expected_version=None,
    )
    mine = Membership.objects.get(user=owner)
    with pytest.raises(Invalid, match="at least one owner"):
        services.change_member_role(
            actor=owner, membership=mine, role=Role.MEMBER, expected_version=None
        )
    with pytest.raises(Invalid, match="at least one owner"):
        services.remove_member(actor=owner, membership=mine)
    assert Membership.objects.filter(organisation=org, role=Role.OWNER).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(make_org, member):
    if connection.vendor == "sqlite" and connection.settings_dict["TEST"]["NAME"] in (
        None,
        ":memory:",
    ):
        # Threads cannot share the in-memory test database (its tables lock without waiting);
        # CI runs this on PostgreSQL, where the race was seen. On SQLite files, IMMEDIATE
        # transactions serialise writers, so the check-then-write cannot interleave.
        pytest.skip("needs a database that threads can share (PostgreSQL in CI)")
    org = make_org()
    a, b = member(org, Role.OWNER), member(org, Role.OWNER)
    ma, mb = Membership.objects.get(user=a), Membership.objects.get(user=b)
    results = _demote_at_once(ma, mb, (a, b))
    # The loser is refused either way: under PostgreSQL's row lock it reads that it would leave
    # no owner; under SQLite's IMMEDIATE transactions it runs second, when its actor is already
    # a member and may no longer change an owner.
    assert results[1] == "ok"
    assert results[0] in (
        "An organisation must keep at least one owner.",
        "Your role does not allow you to own this.",
        "Your role does not allow you to manage this.",
    )
    assert Membership.objects.filter(organisation=org, role=Role.OWNER).count() == 1


def test_instance_settings_api_is_for_instance_administrators(api, owner, make_user):
    assert api(owner).get("/api/instance").status_code == 404
    admin = make_user(is_superuser=True)
    client = api(admin)
    body = client.get("/api/instance").json()
    assert (body["allow_signup"], body["version"]) == (False, 1)
    r = client.patch("/api/instance", {"version": 1, "allow_signup": True})
    assert r.status_code == 200 and (r.json()["allow_signup"], r.json()["version"]) == (True, 2)
    assert client.patch("/api/instance", {"version": 1, "allow_signup": False}).status_code == 409
    assert client.patch("/api/instance", {"version": 2, "allow_signup": "yes"}).status_code == 422
    assert (
        api(owner).patch("/api/instance", {"version": 2, "allow_signup": False}).status_code == 404
    )


def test_deleting_an_organisation_removes_its_uploaded_files(
    org, owner, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The rows went and the files stayed on disk (until 2026-12-05)."""
    from pathlib import Path

    from django.core.files.base import ContentFile

    from twofold.attachments.models import Attachment

    settings.MEDIA_ROOT = str(tmp_path)
    attachment = Attachment(
        organisation=org,
        target_kind="project",
        target_id=1,
        original_name="secret.pdf",
        content_type="application/pdf",
        size=3,
    )
    attachment.file.save("secret.pdf", ContentFile(b"pdf"), save=True)
    stored = Path(tmp_path) / attachment.file.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_organisation(actor=owner, organisation=org, confirm_name=org.name)
    assert not stored.exists()


def test_a_person_removed_leads_no_team_and_has_no_timer_running(org, owner, member):
    from twofold.accounts.models import Team
    from twofold.costs.models import Timer
    from twofold.projects import services as projects

    lead = member(org, Role.MEMBER, full_name="Lea Lead")
    team = Team.objects.create(organisation=org, name="Welding", lead=lead)
    team.members.add(lead)
    project = projects.create_project(actor=owner, organisation=org, name="Press", code="PR")
    task, _ = projects.create_task(actor=owner, project=project, name="Weld", assignee=lead)
    Timer.objects.create(organisation=org, person=lead, task=task)
    services.remove_member(
        actor=owner, membership=Membership.objects.get(organisation=org, user=lead)
    )
    team.refresh_from_db()
    assert team.lead is None and list(team.members.all()) == []
    assert not Timer.objects.filter(person=lead).exists()
