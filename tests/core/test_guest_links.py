"""A guest is not offered what would refuse them (a crawl of the demo found these)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.projects import services as ps

pytestmark = pytest.mark.django_db


def test_a_guest_is_not_offered_actions_that_refuse_them(
    client: Any, org: Any, owner: Any, member: Any
) -> None:
    project = ps.create_project(
        actor=owner, organisation=org, name="Line 4", code="L4", target_start=dt.date(2026, 1, 5)
    )
    from twofold.projects.models import Project

    Project.objects.filter(pk=project.pk).update(phase="execution")
    guest = member(org, Role.GUEST)
    client.force_login(guest)
    overview = client.get(f"/projects/{project.pk}/").content.decode()
    assert "Propose a handover to operations" not in overview
    assert ">Level resources<" not in overview
    assert ">Time<" not in overview  # guests do not log time
    r = client.get("/costs/timesheet/")
    assert r.status_code == 403 and "Guests do not log time." in r.content.decode()
    client.force_login(owner)
    overview = client.get(f"/projects/{project.pk}/").content.decode()
    assert "Propose a handover to operations" in overview and ">Level resources<" in overview
    assert ">Time<" in overview


def test_without_an_organisation_the_navigation_offers_nothing(client: Any) -> None:
    """Every section answered "You are not a member of any organisation yet" (403)."""
    from twofold.accounts.models import User

    lone = User.objects.create_user(email="lone@example.com", password="x" * 12)
    client.force_login(lone)
    page = client.get("/").content.decode()
    assert ">Portfolio<" not in page and ">Operations<" not in page


def test_rates_and_earned_value_are_reachable_for_admins(
    client: Any, org: Any, owner: Any, member: Any
) -> None:
    """/costs/rates/ and /evm/ had no link anywhere: typed in, they worked."""
    client.force_login(owner)
    settings_page = client.get("/accounts/settings/").content.decode()
    assert 'href="/costs/rates/"' in settings_page
    reports = client.get("/reports/").content.decode()
    assert 'href="/evm/"' in reports and 'href="/costs/rates/"' in reports
    rates = client.get("/costs/rates/").content.decode()
    assert 'href="/costs/rates/" aria-current="page"' in rates
    client.force_login(member(org, Role.MEMBER))
    assert 'href="/evm/"' not in client.get("/reports/").content.decode()


def test_days_kept_as_text_are_written_in_the_organisations_format() -> None:
    """The flow forecast, the schedule-risk percentiles and history entries showed
    "2027-02-01" where the organisation writes "1 Feb 2027"."""
    import datetime as dt

    from twofold.core import dates
    from twofold.core.history import _text
    from twofold.core.templatetags.twofold_dates import iso_day

    dates.activate_format("d_mon_y")
    assert iso_day("2027-02-01T09:30:00+00:00") == "1 Feb 2027"
    assert iso_day(dt.date(2027, 2, 1)) == "1 Feb 2027"
    assert iso_day(None) == "" and iso_day("soon") == "soon"
    assert _text("2026-10-02") == "2 Oct 2026"
    assert _text("2026-10-02 and more") == "2026-10-02 and more"


def test_a_missing_page_says_so_and_leads_back(client: Any, owner: Any) -> None:
    """404 pages were Django's bare default: no app styling, no way back."""
    for signed_in in (False, True):
        if signed_in:
            client.force_login(owner)
        r = client.get("/no-such-page/")
        page = r.content.decode()
        assert r.status_code == 404 and '<h1 id="not-found-title">Nothing here</h1>' in page
        assert 'href="/"' in page and 'lang="en"' in page
    # Raised before authentication (an id past 64 bits): the same page, not a 500.
    assert client.get("/projects/3466822247724871581696/").status_code == 404
