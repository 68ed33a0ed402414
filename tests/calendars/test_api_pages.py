"""Calendars page and API: who may do what, bad input, constant query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.calendars import services
from twofold.calendars.models import Calendar, Holiday
from twofold.core.history import HistoryEntry

WEEK = {f"day_{d}": ("08:00–12:00, 13:00–17:00" if d < 5 else "closed") for d in range(7)}


@pytest.fixture
def default(org: Any) -> Calendar:
    return services.ensure_default_calendar(org)


def _base(org: Any) -> str:
    return f"/api/organisations/{org.pk}/calendars"


def test_api_creates_edits_and_lists_calendars_with_holidays(
    api: Any, org: Any, owner: Any, default: Calendar
) -> None:
    client = api(owner)
    r = client.post(_base(org), {"name": "Plant", "hours": {"0": [["06:00", "14:00"]]}})
    assert r.status_code == 201, r.content
    plant = r.json()
    assert plant["hours"]["0"] == [["06:00", "14:00"]] and plant["hours"]["6"] == []
    r = client.post(
        f"{_base(org)}/{plant['id']}/holidays",
        {"version": 1, "name": "Christmas Day", "start": "2025-12-25", "repeat": "yearly"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["calendar"]["version"] == 2
    assert r.json()["calendar"]["holidays"][0] == {
        "id": Holiday.objects.get().pk,
        "name": "Christmas Day",
        "start": "2025-12-25",
        "end": "2025-12-25",
        "repeat": "yearly",
        "week_of_month": None,
        "until": None,
        "hours": [],
    }
    assert r.json()["rescheduled"]["summary"] == (
        "No project uses this calendar: nothing to reschedule."
    )
    r = client.patch(
        f"{_base(org)}/{plant['id']}", {"version": 2, "base_id": default.pk, "hours": {}}
    )
    assert r.status_code == 200 and r.json()["calendar"]["base_id"] == default.pk
    assert (
        client.patch(f"{_base(org)}/{plant['id']}", {"version": 2, "name": "x"}).status_code == 409
    )
    listed = client.get(_base(org)).json()
    assert [c["name"] for c in listed] == ["Standard", "Plant"]
    assert listed[0]["is_default"] is True
    # Make Plant the default: only one default remains.
    r = client.patch(f"{_base(org)}/{plant['id']}", {"version": 3, "is_default": True})
    assert r.status_code == 200
    assert list(Calendar.objects.filter(is_default=True).values_list("name", flat=True)) == [
        "Plant"
    ]
    hid = Holiday.objects.get().pk
    r = client.delete(f"{_base(org)}/{plant['id']}/holidays/{hid}")
    assert r.status_code == 200 and r.json()["calendar"]["holidays"] == []
    assert client.delete(f"{_base(org)}/{plant['id']}").status_code == 422  # the default
    used = client.delete(f"{_base(org)}/{default.pk}")  # Plant derives from it
    assert used.status_code == 422 and "is still used" in used.json()["detail"]
    spare = services.create_calendar(actor=owner, organisation=org, name="Spare", hours=None)
    assert client.delete(f"{_base(org)}/{spare.pk}").status_code == 204
    assert not Calendar.objects.filter(name="Spare").exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"name": "Never", "hours": {str(d): [] for d in range(7)}},
            "hours",
            "A calendar needs some working time: every day is closed.",
        ),
        ({"name": "Bad", "hours": {"0": [["17:00", "08:00"]]}}, "hours", None),
        ({"name": "Bad", "hours": {"9": [["08:00", "17:00"]]}}, "hours", None),
        ({"name": "standard"}, "name", "There is already a calendar called standard."),
    ],
)
def test_api_refuses_bad_calendars_naming_the_field(
    api: Any, org: Any, owner: Any, default: Calendar, body: Any, field: str, message: Any
) -> None:
    r = api(owner).post(_base(org), body)
    assert r.status_code == 422 and r.json()["field"] == field
    if message:
        assert r.json()["detail"] == message
    assert Calendar.objects.count() == 1


def test_a_change_that_leaves_no_working_time_is_refused_and_nothing_is_saved(
    api: Any, org: Any, owner: Any, default: Calendar
) -> None:
    client = api(owner)
    r = client.patch(
        f"{_base(org)}/{default.pk}",
        {"version": 1, "name": "Closed", "hours": {str(d): [] for d in range(7)}},
    )
    assert r.status_code == 422 and r.json()["field"] == "hours"
    default.refresh_from_db()
    assert (default.name, default.version, default.hours["0"]) == (
        "Standard",
        1,
        [["08:00", "12:00"], ["13:00", "17:00"]],
    )
    # A derived calendar that closes every day of its own is as closed as it looks.
    derived = services.create_calendar(
        actor=owner, organisation=org, name="Derived", hours={}, base=default
    )
    r = client.patch(
        f"{_base(org)}/{derived.pk}",
        {"version": 1, "hours": {str(d): [] for d in range(7)}},
    )
    assert r.status_code == 422 and r.json()["field"] == "hours"
    assert r.json()["detail"].startswith("This calendar would have no working time at all")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Old", "start": "1850-01-01"}, "start"),
        ({"name": "Far", "start": "2201-01-01"}, "start"),
        ({"name": "Long", "start": "2025-01-01", "end": "2300-01-01"}, "end"),
        ({"name": "Back", "start": "2025-01-05", "end": "2025-01-01"}, "end"),
        ({"name": " ", "start": "2025-01-05"}, "name"),
        ({"name": "Short", "start": "2025-01-05", "hours": [["12:00", "08:00"]]}, "hours"),
    ],
)
def test_bad_holidays_are_refused_naming_the_field(
    api: Any, org: Any, owner: Any, default: Calendar, body: Any, field: str
) -> None:
    r = api(owner).post(f"{_base(org)}/{default.pk}/holidays", {"version": 1, **body})
    assert r.status_code == 422, r.content
    assert r.json()["field"] == field, r.json()
    default.refresh_from_db()
    assert Holiday.objects.count() == 0 and default.version == 1


def test_holiday_out_of_range_message(api: Any, org: Any, owner: Any, default: Calendar) -> None:
    r = api(owner).post(
        f"{_base(org)}/{default.pk}/holidays", {"version": 1, "name": "Old", "start": "1850-01-01"}
    )
    assert r.json()["detail"] == "1850-01-01 is outside the dates a calendar covers (1900–2200)."


def test_members_read_admins_write_and_outsiders_get_404(
    api: Any, org: Any, owner: Any, member: Any, outsider: Any, default: Calendar
) -> None:
    reader = api(member(org, Role.MEMBER))
    assert reader.get(_base(org)).status_code == 200
    assert reader.get(f"{_base(org)}/{default.pk}").status_code == 200
    writes = [
        ("post", _base(org), {"name": "G"}),
        ("patch", f"{_base(org)}/{default.pk}", {"version": 1, "name": "G"}),
        (
            "post",
            f"{_base(org)}/{default.pk}/holidays",
            {"version": 1, "name": "G", "start": "2025-01-02"},
        ),
    ]
    for method, path, body in writes:
        assert getattr(reader, method)(path, body).status_code == 403, path
    assert reader.delete(f"{_base(org)}/{default.pk}").status_code == 403
    spy = api(outsider)
    for method, path, body in writes:
        assert getattr(spy, method)(path, body).status_code == 404, path
    assert spy.get(_base(org)).status_code == 404
    assert spy.get(f"{_base(org)}/{default.pk}").status_code == 404
    # Another organisation's calendar under this organisation's address: 404 too.
    theirs = Calendar.objects.create(organisation=outsider.memberships.get().organisation, name="X")
    own = api(owner)
    assert own.get(f"{_base(org)}/{theirs.pk}").status_code == 404
    assert own.patch(f"{_base(org)}/{theirs.pk}", {"version": 1, "name": "G"}).status_code == 404
    assert not Calendar.objects.filter(name="G").exists() and Holiday.objects.count() == 0


def test_page_creates_edits_adds_and_removes_holidays(
    client: Any, org: Any, owner: Any, default: Calendar
) -> None:
    client.force_login(owner)
    r = client.post("/calendars/", {"name": "Works"})
    works = Calendar.objects.get(name="Works")
    assert r.status_code == 302 and r["Location"] == f"/calendars/{works.pk}/"
    page = client.get(f"/calendars/{works.pk}/").content.decode()
    assert "08:00–12:00, 13:00–17:00" in page
    bad = client.post(
        f"/calendars/{works.pk}/", {"name": "Works", "version": 1, **WEEK, "day_2": "9-17"}
    )
    assert bad.status_code == 400
    assert "“9-17” is not a period like 08:00–12:30." in bad.content.decode()
    closed = {**WEEK, **{f"day_{d}": "closed" for d in range(7)}}
    bad = client.post(f"/calendars/{works.pk}/", {"name": "Works", "version": 1, **closed})
    assert bad.status_code == 422
    assert "A calendar needs some working time: every day is closed." in bad.content.decode()
    ok = client.post(
        f"/calendars/{works.pk}/", {"name": "Works", "version": 1, **WEEK, "day_5": "09:00-12:00"}
    )
    assert ok.status_code == 302
    works.refresh_from_db()
    assert works.hours["5"] == [["09:00", "12:00"]] and works.version == 2
    stale = client.post(f"/calendars/{works.pk}/", {"name": "Works", "version": 1, **WEEK})
    assert stale.status_code == 409
    r = client.post(
        f"/calendars/{works.pk}/holidays/",
        {"version": 2, "name": "Christmas Day", "start": "2025-12-25", "repeat": "yearly"},
    )
    assert r.status_code == 302
    page = client.get(f"/calendars/{works.pk}/").content.decode()
    assert "Christmas Day" in page and "25 Dec, every year from 2025" in page
    bad = client.post(
        f"/calendars/{works.pk}/holidays/", {"version": 3, "name": "Old", "start": "1850-01-01"}
    )
    assert bad.status_code == 422 and "outside the dates a calendar covers" in bad.content.decode()
    holiday = Holiday.objects.get()
    r = client.post(f"/calendars/{works.pk}/holidays/{holiday.pk}/delete/", {"version": 3})
    assert r.status_code == 302 and Holiday.objects.count() == 0
    assert HistoryEntry.objects.filter(object_id=works.pk).count() == 4


def test_members_see_the_page_but_cannot_change_it(
    client: Any, org: Any, member: Any, outsider: Any, default: Calendar
) -> None:
    client.force_login(member(org, Role.MEMBER))
    page = client.get(f"/calendars/{default.pk}/")
    assert page.status_code == 200 and "Save calendar" not in page.content.decode()
    r = client.post(f"/calendars/{default.pk}/", {"name": "G", "version": 1, **WEEK})
    assert r.status_code == 403
    assert client.post("/calendars/", {"name": "G"}).status_code == 403
    client.force_login(outsider)
    assert client.get(f"/calendars/{default.pk}/").status_code == 404
    assert not Calendar.objects.filter(name="G").exists()


def test_calendar_page_and_api_list_have_constant_queries(
    client: Any,
    api: Any,
    org: Any,
    owner: Any,
    default: Calendar,
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(owner)
    token = api(owner)

    def add(n: int) -> None:
        for i in range(n):
            cal = services.create_calendar(
                actor=owner,
                organisation=org,
                name=f"C{Calendar.objects.count()}",
                hours=None,
                base=default if i % 2 else None,
            )
            services.add_holiday(
                actor=owner,
                calendar=cal,
                expected_version=cal.version,
                name="H",
                start=dt.date(2025, 1, 2 + i),
            )

    add(2)
    with django_assert_max_num_queries(40) as page:
        assert client.get("/calendars/").status_code == 200
    with django_assert_max_num_queries(40) as listing:
        assert token.get(_base(org)).status_code == 200
    add(10)
    with django_assert_max_num_queries(len(page.captured_queries)):
        assert client.get("/calendars/").status_code == 200
    with django_assert_max_num_queries(len(listing.captured_queries)):
        assert len(token.get(_base(org)).json()) == 13


def test_a_day_may_end_at_midnight_on_the_page_and_the_api(
    client: Any, api: Any, org: Any, owner: Any, default: Calendar
) -> None:
    """A line running round the clock is 00:00–24:00 (Microsoft Project writes a 24-hour day as
    midnight to midnight, and so does 00:00–00:00 here); a period ending at 00:00 after a later
    start ends at midnight too.
    Until 2026-12-05 both were refused ("ends before it starts"), so a 24/7 desk was
    00:00–23:59 and lost a minute every night."""
    client.force_login(owner)
    round_the_clock = {f"day_{d}": "00:00–24:00" for d in range(7)}
    r = client.post(
        f"/calendars/{default.pk}/",
        {"name": default.name, "version": 1, **round_the_clock, "day_6": "22:00-00:00"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    default.refresh_from_db()
    assert default.hours["0"] == [["00:00", "24:00"]]
    assert default.hours["6"] == [["22:00", "24:00"]]
    assert "00:00–24:00" in client.get(f"/calendars/{default.pk}/").content.decode()
    for text, message in (
        ("24:00–08:00", "“24:00–08:00” is not a time of day."),
        ("08:00–24:30", "“08:00–24:30” is not a time of day."),
        ("12:00–12:00", "“12:00–12:00” ends before it starts."),
    ):
        bad = client.post(
            f"/calendars/{default.pk}/",
            {"name": default.name, "version": 2, **round_the_clock, "day_2": text},
        )
        assert bad.status_code == 400 and message in bad.content.decode(), text
    r = api(owner).post(
        _base(org), {"name": "Furnace", "hours": {str(d): [["00:00", "24:00"]] for d in range(7)}}
    )
    assert r.status_code == 201 and r.json()["hours"]["3"] == [["00:00", "24:00"]]
    bad = api(owner).post(_base(org), {"name": "Odd", "hours": {"0": [["12:00", "24:01"]]}})
    assert bad.status_code == 422 and bad.json()["field"] == "hours"
    # The scheduler reads the day as 24 working hours.
    furnace = Calendar.objects.get(name="Furnace")
    from twofold.calendars.working_time import spec_for
    from twofold.engine.calendars import add_working_minutes, compile_calendar

    compiled = compile_calendar(spec_for(org.pk, furnace.pk))
    monday = dt.datetime(2025, 3, 3)
    assert add_working_minutes(compiled, monday, 36 * 60) == dt.datetime(2025, 3, 4, 12, 0)
