"""A person's page and API: name, title, teams, role, what they work on; shared organisations only."""

from __future__ import annotations

import datetime as dt

from twofold.accounts.models import Membership, Role, Team
from twofold.core.models import HistoryEntry
from twofold.operations import services as ops
from twofold.projects import services as projects


def _busy_person(org, owner, member):
    priya = member(org, Role.MEMBER, full_name="Priya Raman", job_title="Process engineer")
    team = Team.objects.create(organisation=org, name="Quality")
    team.members.add(priya)
    project = projects.create_project(
        actor=owner,
        organisation=org,
        name="Press line upgrade",
        code="PLU",
        target_start=dt.date(2026, 1, 5),
        manager=priya,
    )
    task, _ = projects.create_task(
        actor=owner, project=project, name="Weld fixture", assignee=priya
    )
    done, _ = projects.create_task(actor=owner, project=project, name="Old job", assignee=priya)
    projects.update_task(actor=owner, task=done, expected_version=done.version, status="done")
    ops.create_process(actor=owner, organisation=org, name="Monthly close", owner=priya)
    return priya, team, project, task


def test_person_page_shows_title_teams_role_and_work(
    client, org, owner, member, django_assert_max_num_queries
):
    priya, _team, project, task = _busy_person(org, owner, member)
    client.force_login(owner)
    client.get(f"/accounts/people/{priya.pk}/")  # a warm process (content types cached)
    with django_assert_max_num_queries(11):
        response = client.get(f"/accounts/people/{priya.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="wrap-anywhere">Priya Raman</h1>' in html
    assert "Process engineer" in html and "Quality" in html and "Member" in html
    assert f'href="/projects/{project.pk}/tasks/{task.pk}/">Weld fixture</a>' in html
    assert "Old job" not in html
    assert "Press line upgrade" in html and "Monthly close" in html
    assert 'name="job_title"' in html  # owners may change anyone's title


def test_person_page_is_404_outside_a_shared_organisation(client, org, owner, outsider):
    client.force_login(outsider)
    assert client.get(f"/accounts/people/{owner.pk}/").status_code == 404
    assert client.get("/accounts/people/999999/").status_code == 404


def test_a_member_sees_a_colleague_but_cannot_change_their_title(client, org, owner, member):
    colleague = member(org, Role.MEMBER)
    client.force_login(colleague)
    response = client.get(f"/accounts/people/{owner.pk}/")
    assert response.status_code == 200 and 'name="job_title"' not in response.content.decode()
    version = Membership.objects.get(user=owner).version
    denied = client.post(f"/accounts/people/{owner.pk}/", {"job_title": "Boss", "version": version})
    assert denied.status_code == 403
    owner.refresh_from_db()
    assert owner.job_title == ""


def test_admin_sets_a_title_with_history_and_a_stale_form_is_refused(client, org, owner, member):
    priya = member(org, Role.MEMBER)
    m = Membership.objects.get(user=priya)
    client.force_login(owner)
    ok = client.post(
        f"/accounts/people/{priya.pk}/", {"job_title": "  Quality   lead ", "version": m.version}
    )
    assert ok.status_code == 302
    priya.refresh_from_db()
    assert priya.job_title == "Quality lead"
    entry = HistoryEntry.objects.get(action="job title changed")
    assert entry.actor == owner and entry.changes == {"job_title": ["", "Quality lead"]}
    stale = client.post(
        f"/accounts/people/{priya.pk}/", {"job_title": "Other", "version": m.version}
    )
    assert stale.status_code == 409
    priya.refresh_from_db()
    assert priya.job_title == "Quality lead"
    too_long = client.post(
        f"/accounts/people/{priya.pk}/", {"job_title": "x" * 121, "version": m.version + 1}
    )
    assert too_long.status_code == 400
    assert "Ensure this value has at most 120 characters" in too_long.content.decode()


def test_a_person_cannot_set_their_own_title_on_the_profile(client, org, member):
    """A title picks the role rate that prices a person's hours (from the beginning, for a
    first title): only administrators set it (until 2026-12-06 anyone could set their own)."""
    me = member(org, Role.GUEST)
    version = Membership.objects.get(user=me).version
    client.force_login(me)
    profile = client.get("/accounts/profile/").content.decode()
    assert 'action="/accounts/profile/job-title/"' not in profile
    client.post("/accounts/profile/job-title/", {"job_title": "Auditor", "version": version})
    me.refresh_from_db()
    assert me.job_title == ""


def test_people_list_links_each_name_to_the_person_page(client, org, owner, member):
    priya = member(org, full_name="Priya Raman")
    client.force_login(owner)
    html = client.get("/accounts/people/").content.decode()
    assert f'href="/accounts/people/{priya.pk}/"' in html


def test_api_person_and_title(api, org, owner, member, outsider, django_assert_max_num_queries):
    priya, team, project, _task = _busy_person(org, owner, member)
    api(owner).get(f"/api/organisations/{org.pk}/people/{priya.pk}")  # a warm process
    with django_assert_max_num_queries(12):  # token auth, org, person, teams, 4 lists
        body = api(owner).get(f"/api/organisations/{org.pk}/people/{priya.pk}").json()
    assert body["full_name"] == "Priya Raman" and body["job_title"] == "Process engineer"
    assert body["role"] == "member"
    assert body["teams"] == [{"id": team.pk, "name": "Quality"}]
    assert [t["name"] for t in body["open_tasks"]] == ["Weld fixture"]
    assert body["projects_managed"] == [{"id": project.pk, "name": "Press line upgrade"}]
    assert [p["name"] for p in body["processes_owned"]] == ["Monthly close"]
    assert api(outsider).get(f"/api/organisations/{org.pk}/people/{priya.pk}").status_code == 404
    r = api(owner).patch(
        f"/api/organisations/{org.pk}/people/{priya.pk}",
        {"job_title": "Lead", "version": body["version"]},
    )
    assert r.status_code == 200 and r.json()["job_title"] == "Lead"
    stale = api(owner).patch(
        f"/api/organisations/{org.pk}/people/{priya.pk}",
        {"job_title": "Other", "version": body["version"]},
    )
    assert stale.status_code == 409
    bad = api(owner).patch(
        f"/api/organisations/{org.pk}/people/{priya.pk}", {"job_title": 5, "version": 2}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "job_title"


def test_an_admin_of_one_organisation_cannot_retitle_a_person_of_another(
    client, org, owner, outsider
):
    """An organisation made by a stranger, with the victim added by e-mail, let the stranger
    rewrite the title the victim's own organisation shows (and its role rate) until
    2026-12-05."""
    import pytest

    from twofold.accounts import services
    from twofold.accounts.models import Invitation, Membership
    from twofold.core.errors import Forbidden

    trap = services.create_organisation(actor=outsider, name="Trap")
    invitation = services.add_member(actor=outsider, organisation=trap, email=owner.email)
    # An existing account is only invited now; say the victim accepts it.
    assert isinstance(invitation, Invitation)
    assert not Membership.objects.filter(organisation=trap, user=owner).exists()
    added = services.accept_invitation(actor=owner, invitation=invitation)
    with pytest.raises(Forbidden, match="also in another organisation"):
        services.set_job_title(actor=outsider, membership=added, job_title="Intern (fired)")
    owner.refresh_from_db()
    assert owner.job_title == ""
    # Nor can the person themself while they are only a member of Trap (the title prices
    # their hours everywhere): an admin of every organisation they are in may.
    with pytest.raises(Forbidden):
        services.set_job_title(actor=owner, membership=added, job_title="Plant manager")
    owner.refresh_from_db()
    assert owner.job_title == ""


def test_recent_changes_show_no_money_and_nothing_in_the_trash(client, org, owner, member):
    """A person's page listed every history entry they made: a member or guest read a rate's
    amount there ("Rate of Priya Raman: 87.65/h") and the name of a trashed project, which the
    rates page, the trash and the activity feed all hide from them."""
    from decimal import Decimal

    from twofold.costs import services as costs
    from twofold.projects import services as projects
    from twofold.projects.lifecycle import delete_project

    priya, _team, _project, _task = _busy_person(org, owner, member)
    costs.create_rate(
        actor=owner, organisation=org, person=priya, hourly=Decimal("87.65"),
        effective_from=dt.date(2026, 1, 5),
    )  # fmt: skip
    secret = projects.create_project(
        actor=owner, organisation=org, name="Project Nightingale layoffs", code="NIGHT",
        target_start=dt.date(2026, 3, 2),
    )  # fmt: skip
    delete_project(actor=owner, project=secret, expected_version=secret.version)
    kept = projects.create_project(
        actor=owner, organisation=org, name="Line 4 retrofit", code="L4",
        target_start=dt.date(2026, 3, 2),
    )  # fmt: skip
    client.force_login(priya)
    html = client.get(f"/accounts/people/{owner.pk}/").content.decode()
    assert "87.65" not in html and "Nightingale" not in html
    assert f'href="/projects/{kept.pk}/"><strong>L4 Line 4 retrofit</strong></a>' in html
