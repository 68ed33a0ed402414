"""Dates: the organisation's format everywhere, times in the viewer's zone, ISO in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone

from twofold.accounts import services
from twofold.core import dates
from twofold.core.models import HistoryEntry

MOMENT = dt.datetime(2026, 12, 31, 12, 5, tzinfo=dt.UTC)  # 21:05 in Tokyo, 07:05 in New York


@pytest.fixture(autouse=True)
def _reset_format():
    yield
    dates.activate_format(dates.DEFAULT_FORMAT)
    timezone.deactivate()


@pytest.mark.parametrize(
    ("fmt", "day", "short", "daytime", "month"),
    [
        ("d_mon_y", "31 Dec 2026", "31 Dec", "Thu 31 Dec 2026, 12:05", "Dec 2026"),
        ("dd/mm/yyyy", "31/12/2026", "31/12", "Thu 31/12/2026, 12:05", "12/2026"),
        ("mm/dd/yyyy", "12/31/2026", "12/31", "Thu 12/31/2026, 12:05", "12/2026"),
        ("yyyy-mm-dd", "2026-12-31", "12-31", "Thu 2026-12-31, 12:05", "2026-12"),
    ],
)
def test_filters_follow_the_active_format(fmt, day, short, daytime, month):
    dates.activate_format(fmt)
    timezone.activate(dt.UTC)
    out = Template(
        "{{ d|day }}|{{ d|day_short }}|{{ t|daytime:'weekday' }}|{{ d|month }}|{{ none|day }}"
    ).render(Context({"d": dt.date(2026, 12, 31), "t": MOMENT, "none": None}))
    assert out == f"{day}|{short}|{daytime}|{month}|"


def test_an_aware_datetime_shows_its_local_date():
    timezone.activate(dt.timezone(dt.timedelta(hours=14)))  # past midnight there
    assert dates.format_day(MOMENT) == "1 Jan 2027"
    assert dates.format_daytime(MOMENT) == "1 Jan 2027, 02:05"


def test_a_moment_formatted_once_still_follows_zone_format_and_language():
    """``format_daytime`` keeps each wall-clock minute's text: the same instant elsewhere, in
    another format or another language is another text, and seconds do not split the cache."""
    from django.utils import translation

    timezone.activate(dt.timezone(dt.timedelta(hours=14)))
    assert dates.format_daytime(MOMENT) == "1 Jan 2027, 02:05"
    assert dates.format_daytime(MOMENT + dt.timedelta(seconds=30)) == "1 Jan 2027, 02:05"
    assert dates.format_daytime(MOMENT, weekday=True) == "Fri 1 Jan 2027, 02:05"
    timezone.activate(dt.timezone(dt.timedelta(hours=-5)))
    assert dates.format_daytime(MOMENT) == "31 Dec 2026, 07:05"
    dates.activate_format("yyyy-mm-dd")
    try:
        assert dates.format_daytime(MOMENT) == "2026-12-31, 07:05"
    finally:
        dates.activate_format(dates.DEFAULT_FORMAT)
    with translation.override("de"):
        assert dates.format_daytime(MOMENT) == "31 Dez 2026, 07:05"


def _history_time(client) -> str:
    page = client.get("/accounts/settings/").content.decode()
    start = page.index('<span class="history-when">')
    return page[start : page.index("</time>", start)].rsplit(">", 1)[1]


def test_each_person_sees_times_in_their_own_zone(client, org, owner, member):
    services.update_organisation(
        actor=owner, organisation=org, expected_version=1, timezone="America/New_York"
    )
    HistoryEntry.objects.update(at=MOMENT)
    colleague = member(org, "admin")
    services.update_preferences(actor=colleague, timezone="Asia/Tokyo")
    client.force_login(owner)  # no zone of their own: the organisation's
    assert _history_time(client) == "31 Dec 2026, 07:05"
    client.force_login(colleague)
    assert _history_time(client) == "31 Dec 2026, 21:05"


def test_the_organisation_date_format_reaches_pages_and_scripts(client, org, owner):
    services.update_organisation(
        actor=owner, organisation=org, expected_version=1, date_format="mm/dd/yyyy", timezone="UTC"
    )
    HistoryEntry.objects.update(at=MOMENT)
    client.force_login(owner)
    assert _history_time(client) == "12/31/2026, 12:05"
    page = client.get("/accounts/settings/").content.decode()
    assert '<html lang="en" data-date-format="mm/dd/yyyy">' in page


def test_the_api_speaks_iso_8601_with_offsets(api, org, owner):
    from twofold.accounts.models import Organisation

    Organisation.objects.filter(pk=org.pk).update(created_at=MOMENT.replace(microsecond=123456))
    owner.timezone = "Asia/Tokyo"  # the viewer's zone does not change what the API says
    owner.save()
    body = api(owner).get(f"/api/organisations/{org.pk}").json()
    assert body["created_at"] == "2026-12-31T12:05:00.123Z"
    assert dt.datetime.fromisoformat(body["created_at"]) == MOMENT.replace(microsecond=123000)


def test_an_unknown_personal_zone_is_refused_and_blank_means_the_organisations(owner):
    with pytest.raises(services.Invalid) as exc:
        services.update_preferences(actor=owner, timezone="Atlantis/Capital")
    assert exc.value.field == "timezone"
    assert services.update_preferences(actor=owner, timezone="  ").timezone == ""


def test_preferences_page_sets_the_personal_zone(client, org, owner):
    client.force_login(owner)
    assert client.post("/accounts/preferences/", {"timezone": "Asia/Tokyo"}).status_code == 302
    owner.refresh_from_db()
    assert owner.timezone == "Asia/Tokyo"
    assert "(Asia/Tokyo)" in client.get("/accounts/preferences/").content.decode()
    assert client.post("/accounts/preferences/", {"timezone": "Nowhere"}).status_code == 400
