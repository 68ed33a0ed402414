"""People's availability: services (rules, permissions, history), the API and the pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse

from tests.capacity.conftest import MONDAY, add_task
from twofold.accounts.models import Role
from twofold.capacity import availability, selectors, services
from twofold.capacity.models import Absence, WorkingPattern
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.models import HistoryEntry


def day(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


def _row(grid: selectors.Usage, user: Any) -> selectors.PersonRow:
    return next(r for r in grid.rows if r.user.pk == user.pk)


# --- services --------------------------------------------------------------------------------


def test_a_person_sets_their_own_part_time_pattern_with_history(org: Any, priya: Any) -> None:
    pattern = services.set_working_pattern(
        actor=priya,
        organisation=org,
        person=priya,
        hours=[8, 8, 8, 8, 0, 0, 0],
        effective_from=MONDAY,
        note="Fridays off",
    )
    assert pattern.hours == (8.0, 8.0, 8.0, 8.0, 0.0, 0.0, 0.0)
    assert pattern.weekly_hours == 32.0
    entry = HistoryEntry.objects.get(object_id=pattern.pk, action="created")
    assert entry.summary == "Priya Raman works 32 h a week from 3 Mar 2025"
    # The same start date updates the pattern (with the version) and records the change.
    services.set_working_pattern(
        actor=priya,
        organisation=org,
        person=priya,
        hours=[6, 6, 6, 6, 6, 0, 0],
        effective_from=MONDAY,
        expected_version=pattern.version,
    )
    pattern.refresh_from_db()
    assert (pattern.weekly_hours, pattern.version, pattern.note) == (30.0, 2, "")
    updated = HistoryEntry.objects.get(object_id=pattern.pk, action="updated")
    assert updated.changes["fri_hours"] == ["0.00", "6.00"]
    assert WorkingPattern.objects.count() == 1
    with pytest.raises(Conflict):
        services.set_working_pattern(
            actor=priya,
            organisation=org,
            person=priya,
            hours=[1, 1, 1, 1, 1, 0, 0],
            effective_from=MONDAY,
            expected_version=1,
        )


def test_hours_outside_zero_to_twenty_four_name_the_day(org: Any, priya: Any) -> None:
    with pytest.raises(Invalid) as error:
        services.set_working_pattern(
            actor=priya, organisation=org, person=priya, hours=[8, 8, 25, 8, 8, 0, 0]
        )
    assert error.value.field == "wed_hours"
    with pytest.raises(Invalid) as error:
        services.set_working_pattern(
            actor=priya, organisation=org, person=priya, hours=[8, -1, 8, 8, 8, 0, 0]
        )
    assert error.value.field == "tue_hours"
    assert not WorkingPattern.objects.exists()


def test_admins_edit_anyone_members_only_themselves_outsiders_see_nothing(
    org: Any, owner: Any, priya: Any, member: Any, outsider: Any
) -> None:
    colleague = member(org, Role.MEMBER, full_name="Tomasz Nowak")
    admin = member(org, Role.ADMIN, full_name="Ada Admin")
    services.create_absence(actor=admin, organisation=org, person=priya, start=day(0), end=day(1))
    with pytest.raises(Forbidden):
        services.create_absence(
            actor=colleague, organisation=org, person=priya, start=day(7), end=day(7)
        )
    with pytest.raises(Forbidden):
        services.set_working_pattern(actor=colleague, organisation=org, person=priya, hours=[1] * 7)
    with pytest.raises(NotFound):
        services.create_absence(
            actor=outsider, organisation=org, person=priya, start=day(7), end=day(7)
        )
    # Someone who is not a member of the organisation has no availability there.
    with pytest.raises(NotFound):
        services.create_absence(
            actor=owner, organisation=org, person=outsider, start=day(7), end=day(7)
        )
    absence = Absence.objects.get()
    with pytest.raises(Forbidden):
        services.delete_absence(actor=colleague, absence=absence)
    assert Absence.objects.count() == 1


def test_absence_rules_end_before_start_half_days_and_overlaps(org: Any, priya: Any) -> None:
    with pytest.raises(Invalid) as error:
        services.create_absence(
            actor=priya, organisation=org, person=priya, start=day(3), end=day(1)
        )
    assert error.value.field == "end"
    assert "ends before it starts" in error.value.message
    with pytest.raises(Invalid) as error:
        services.create_absence(
            actor=priya, organisation=org, person=priya, start=day(1), end=day(2), half_day=True
        )
    assert error.value.field == "half_day"
    holiday = services.create_absence(
        actor=priya, organisation=org, person=priya, kind="holiday", start=day(1), end=day(3)
    )
    with pytest.raises(Invalid) as error:
        services.create_absence(
            actor=priya, organisation=org, person=priya, kind="training", start=day(3), end=day(4)
        )
    assert error.value.field == "start"
    assert error.value.message == (
        "This overlaps Priya Raman's holiday (4 Mar – 6 Mar 2025). "
        "Change or delete that absence first."
    )
    with pytest.raises(Invalid) as error:
        services.create_absence(
            actor=priya, organisation=org, person=priya, kind="x", start=day(5), end=day(5)
        )
    assert error.value.field == "kind"
    assert Absence.objects.count() == 1
    # Moving an absence over itself is no overlap; moving its end before its start is refused
    # and nothing is half-saved.
    services.update_absence(
        actor=priya, absence=holiday, expected_version=holiday.version, end=day(4)
    )
    with pytest.raises(Invalid):
        services.update_absence(
            actor=priya, absence=holiday, expected_version=holiday.version, start=day(6)
        )
    holiday.refresh_from_db()
    assert (holiday.start, holiday.end, holiday.version) == (day(1), day(4), 2)
    actions = list(
        HistoryEntry.objects.filter(object_id=holiday.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["created", "updated"]


# --- the capacity view -------------------------------------------------------------------------


def test_a_two_day_holiday_leaves_twenty_four_hours_and_shows_in_the_cell(
    org: Any, owner: Any, priya: Any, project: Any
) -> None:
    add_task(owner, project, "Cell layout", 5, effort_minutes=20 * 60, assignee=priya)
    before = _row(selectors.usage(org, first=MONDAY, weeks=2), priya).cells[0]
    assert (before.hours, before.capacity, before.away) == (20.0, 40.0, [])
    services.create_absence(
        actor=priya, organisation=org, person=priya, kind="holiday", start=day(1), end=day(2)
    )
    grid = selectors.usage(org, first=MONDAY, weeks=2)
    cells = _row(grid, priya).cells
    assert (cells[0].hours, cells[0].capacity, cells[0].away) == (20.0, 24.0, ["Holiday 2 d"])
    assert (cells[1].capacity, cells[1].away) == (40.0, [])
    # The team roll-up sums the people shown: owner 40 + priya 24.
    assert [t.capacity for t in grid.totals] == [64.0, 80.0]
    assert [t.hours for t in grid.totals] == [20.0, 0.0]


def test_part_time_pattern_half_day_and_holidays_in_the_week(
    org: Any, owner: Any, priya: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.set_working_pattern(
        actor=owner,
        organisation=org,
        person=priya,
        hours=[6, 6, 6, 6, 6, 0, 0],
        effective_from=MONDAY,
    )
    services.create_absence(
        actor=priya,
        organisation=org,
        person=priya,
        kind="sickness",
        start=day(2),
        end=day(2),
        half_day=True,
    )
    monkeypatch.setattr(availability, "organisation_holidays", lambda o, a, b: {day(4)})
    cell = _row(selectors.usage(org, first=MONDAY, weeks=1), priya).cells[0]
    assert cell.capacity == 21.0  # 30 - 6 (holiday Friday) - 3 (half a Wednesday)
    assert cell.away == ["Sickness 0.5 d", "Public holiday 1 d"]
    assert _row(selectors.usage(org, first=MONDAY, weeks=1), priya).capacity == 30.0


def test_capacity_page_shows_the_absence_and_links_to_availability(
    client: Any, org: Any, owner: Any, priya: Any
) -> None:
    services.create_absence(
        actor=priya, organisation=org, person=priya, kind="holiday", start=day(1), end=day(2)
    )
    client.force_login(owner)
    html = client.get(
        reverse("capacity:usage"), {"start": MONDAY.isoformat(), "weeks": 1}
    ).content.decode()
    assert "Priya Raman, week of 3 Mar: 0 of 24 hours" in html
    assert "Holiday 2 d" in html
    assert reverse("capacity:availability", args=[priya.pk]) in html
    detail = client.get(reverse("capacity:cell"), {"person": priya.pk, "week": MONDAY.isoformat()})
    body = detail.content.decode()
    assert "0 h</strong> of 24 h available" in body
    assert "Away this week" in body and "4 Mar – 5 Mar 2025" in body


def test_capacity_page_queries_stay_constant_with_more_absences(
    client: Any,
    org: Any,
    owner: Any,
    member: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(owner)

    def grow(n: int, tag: str) -> None:
        for i in range(n):
            person = member(org, Role.MEMBER, full_name=f"Worker {tag}{i}")
            services.set_working_pattern(
                actor=owner, organisation=org, person=person, hours=[7] * 5 + [0, 0]
            )
            services.create_absence(
                actor=owner, organisation=org, person=person, start=day(i % 5), end=day(i % 5)
            )

    grow(1, "a")
    url = reverse("capacity:usage") + f"?start={MONDAY.isoformat()}"
    with django_assert_max_num_queries(50) as small:
        assert client.get(url).status_code == 200
    grow(19, "b")
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count('class="cap-person"') == 21


# --- the API ---------------------------------------------------------------------------------


def _url(org: Any, person: Any, tail: str = "") -> str:
    return f"/api/organisations/{org.pk}/people/{person.pk}/availability{tail}"


def test_api_pattern_get_put_and_day_hours(api: Any, org: Any, owner: Any, priya: Any) -> None:
    client = api(priya)
    standard = client.get(_url(org, priya, "/pattern")).json()
    assert standard["id"] is None and standard["weekly_hours"] == 40.0
    body = {
        "mon_hours": 8,
        "tue_hours": 8,
        "wed_hours": 8,
        "thu_hours": 8,
        "fri_hours": 0,
        "sat_hours": 0,
        "sun_hours": 0,
        "effective_from": "2025-03-03",
    }
    answer = client._call("put", _url(org, priya, "/pattern"), body)
    assert answer.status_code == 200
    assert answer.json()["weekly_hours"] == 32.0
    bad = client._call("put", _url(org, priya, "/pattern"), {**body, "thu_hours": 30})
    assert bad.status_code == 422 and bad.json()["field"] == "thu_hours"
    created = client.post(
        _url(org, priya, "/absences"),
        {"kind": "training", "start": "2025-03-04", "end": "2025-03-04", "half_day": True},
    )
    assert created.status_code == 201
    whole = client.get(_url(org, priya, "?start=2025-03-03&end=2025-03-09")).json()
    assert [d["available_hours"] for d in whole["days"]] == [8, 4, 8, 8, 0, 0, 0]
    assert whole["can_edit"] is True
    assert [a["kind"] for a in whole["absences"]] == ["training"]


def test_api_absence_end_before_start_names_the_field_and_saves_nothing(
    api: Any, org: Any, priya: Any
) -> None:
    answer = api(priya).post(
        _url(org, priya, "/absences"),
        {"kind": "holiday", "start": "2025-03-06", "end": "2025-03-04"},
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "end"
    assert "ends before it starts" in answer.json()["detail"]
    assert not Absence.objects.exists()


def test_api_absence_update_delete_and_permissions(
    api: Any, org: Any, owner: Any, priya: Any, member: Any, outsider: Any
) -> None:
    colleague = member(org, Role.MEMBER, full_name="Tomasz Nowak")
    made = api(owner).post(
        _url(org, priya, "/absences"),
        {"kind": "holiday", "start": "2025-03-03", "end": "2025-03-07"},
    )
    assert made.status_code == 201
    absence = made.json()
    path = _url(org, priya, f"/absences/{absence['id']}")
    assert api(colleague).get(_url(org, priya, "/absences")).status_code == 200
    denied = api(colleague).patch(path, {"version": absence["version"], "end": "2025-03-05"})
    assert denied.status_code == 403
    assert api(outsider).get(_url(org, priya, "/absences")).status_code == 404
    assert api(outsider).delete(path).status_code == 404
    stale = api(priya).patch(path, {"version": absence["version"] + 5, "end": "2025-03-05"})
    assert stale.status_code == 409
    changed = api(priya).patch(path, {"version": absence["version"], "end": "2025-03-05"})
    assert changed.status_code == 200 and changed.json()["end"] == "2025-03-05"
    overlap = api(priya).post(
        _url(org, priya, "/absences"),
        {"kind": "sickness", "start": "2025-03-05", "end": "2025-03-05"},
    )
    assert overlap.status_code == 422 and overlap.json()["field"] == "start"
    assert api(priya).delete(path).status_code == 204
    assert not Absence.objects.exists()
    listed = api(owner).get(_url(org, priya, "/absences"))
    assert listed.json() == []


# --- the availability page ------------------------------------------------------------------------


def test_page_sets_a_pattern_and_adds_an_absence(client: Any, org: Any, priya: Any) -> None:
    client.force_login(priya)
    assert client.get(reverse("capacity:my_availability")).url == reverse(
        "capacity:availability", args=[priya.pk]
    )
    page = client.get(reverse("capacity:availability", args=[priya.pk]))
    assert page.status_code == 200
    assert "My availability" in page.content.decode()
    hours = {f"{d}_hours": "6" for d in ("mon", "tue", "wed", "thu", "fri")}
    hours |= {"sat_hours": "0", "sun_hours": "0", "effective_from": "2025-03-03"}
    saved = client.post(reverse("capacity:pattern_save", args=[priya.pk]), hours)
    assert saved.status_code == 302
    assert WorkingPattern.objects.get().weekly_hours == 30.0
    bad = client.post(
        reverse("capacity:absence_add", args=[priya.pk]),
        {"kind": "holiday", "start": "2025-03-06", "end": "2025-03-04"},
    )
    assert bad.status_code == 422
    assert "ends before it starts" in bad.content.decode()
    good = client.post(
        reverse("capacity:absence_add", args=[priya.pk]),
        {"kind": "holiday", "start": "2025-03-04", "end": "2025-03-06", "note": "<b>Rome</b>"},
    )
    assert good.status_code == 302
    html = client.get(reverse("capacity:availability", args=[priya.pk])).content.decode()
    assert "Priya Raman: Holiday 4 Mar – 6 Mar 2025" in html  # the history panel
    assert "Priya Raman works 30 h a week from 3 Mar 2025" in html
    assert "&lt;b&gt;Rome&lt;/b&gt;" in html and "<b>Rome</b>" not in html
    absence = Absence.objects.get()
    edit = client.post(
        reverse("capacity:absence_edit", args=[priya.pk, absence.pk]),
        {"kind": "training", "start": "2025-03-04", "end": "2025-03-04", "version": 1},
    )
    assert edit.status_code == 302
    absence.refresh_from_db()
    assert (absence.kind, absence.end) == ("training", day(1))
    gone = client.post(reverse("capacity:absence_delete", args=[priya.pk, absence.pk]))
    assert gone.status_code == 302 and not Absence.objects.exists()


def test_page_of_a_colleague_is_read_only_and_an_outsider_gets_404(
    client: Any, org: Any, owner: Any, priya: Any, member: Any, outsider: Any
) -> None:
    colleague = member(org, Role.MEMBER, full_name="Tomasz Nowak")
    client.force_login(colleague)
    page = client.get(reverse("capacity:availability", args=[priya.pk])).content.decode()
    assert "Priya Raman: availability" in page and "Save pattern" not in page
    refused = client.post(
        reverse("capacity:absence_add", args=[priya.pk]),
        {"kind": "holiday", "start": "2025-03-04", "end": "2025-03-04"},
    )
    assert refused.status_code == 403 and not Absence.objects.exists()
    client.force_login(owner)
    assert client.get(reverse("capacity:availability", args=[outsider.pk])).status_code == 404


def test_availability_page_queries_constant_with_more_absences(
    client: Any, org: Any, priya: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(priya)
    url = reverse("capacity:availability", args=[priya.pk])
    today = dt.date.today()
    services.create_absence(actor=priya, organisation=org, person=priya, start=today, end=today)
    with django_assert_max_num_queries(30) as small:
        assert client.get(url).status_code == 200
    for i in range(1, 20):
        when = today + dt.timedelta(days=2 * i)
        services.create_absence(actor=priya, organisation=org, person=priya, start=when, end=when)
        services.set_working_pattern(
            actor=priya,
            organisation=org,
            person=priya,
            hours=[i % 9] * 5 + [0, 0],
            effective_from=when,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count("avail-kind-holiday") == 20


def test_api_pattern_delete_range_limits_and_outsiders(
    api: Any, org: Any, owner: Any, priya: Any, outsider: Any
) -> None:
    later = services.set_working_pattern(
        actor=owner, organisation=org, person=priya, hours=[4] * 5 + [0, 0], effective_from=day(7)
    )
    services.set_working_pattern(
        actor=owner, organisation=org, person=priya, hours=[8] * 5 + [0, 0], effective_from=day(0)
    )
    week = api(owner).get(_url(org, priya, "?start=2025-03-03&end=2025-03-16")).json()
    assert [d["available_hours"] for d in week["days"]][::7] == [8, 4]
    assert [p["weekly_hours"] for p in week["patterns"]] == [40.0, 20.0]
    assert api(outsider).get(_url(org, priya)).status_code == 404
    assert api(outsider).get(_url(org, priya, "/pattern")).status_code == 404
    assert api(owner).get(_url(org, outsider)).status_code == 404
    too_long = api(owner).get(_url(org, priya, "?start=2025-01-01&end=2026-06-01"))
    assert too_long.status_code == 422 and too_long.json()["field"] == "end"
    gone = api(priya).delete(_url(org, priya, f"/patterns/{later.pk}"))
    assert gone.status_code == 204
    assert list(WorkingPattern.objects.values_list("effective_from", flat=True)) == [day(0)]
    assert api(priya).delete(_url(org, priya, f"/patterns/{later.pk}")).status_code == 404


def test_a_first_pattern_saved_since_the_page_was_drawn_is_not_overwritten(
    client: Any, org: Any, owner: Any, priya: Any
) -> None:
    """Priya had no pattern: the admin's page, drawn before she saved her 32-hour week, saved
    its pre-filled 40 hours over it (until 2026-12-06 a first pattern carried no version)."""
    client.force_login(owner)
    page = client.get(reverse("capacity:availability", args=[priya.pk])).content.decode()
    assert 'name="version" value="0"' in page
    services.set_working_pattern(
        actor=priya, organisation=org, person=priya, hours=[8, 8, 8, 8, 0, 0, 0]
    )
    form = {f"{d}_hours": "8" for d in ("mon", "tue", "wed", "thu", "fri")}
    form |= {"sat_hours": "0", "sun_hours": "0", "max_units": "100", "version": "0"}
    stale = client.post(reverse("capacity:pattern_save", args=[priya.pk]), form)
    assert stale.status_code == 409
    assert "Someone saved a working pattern for Priya Raman since you read it" in (
        stale.content.decode()
    )
    assert WorkingPattern.objects.get(person=priya).weekly_hours == 32.0


def test_a_stale_delete_of_an_absence_deletes_nothing(
    client: Any, api: Any, org: Any, owner: Any, priya: Any
) -> None:
    """Priya moved her leave to week 12; the admin's list, drawn before, deleted "week 10
    leave", now her week-12 leave (until 2026-12-06 the delete carried no version)."""
    absence = services.create_absence(
        actor=priya, organisation=org, person=priya, kind="holiday", start=day(0), end=day(1)
    )
    read = absence.version
    services.update_absence(
        actor=priya, absence=absence, expected_version=read, start=day(14), end=day(15)
    )
    client.force_login(owner)
    url = reverse("capacity:absence_delete", args=[priya.pk, absence.pk])
    stale = client.post(url, {"version": read})
    assert stale.status_code == 409
    assert "Someone changed this absence since you read it" in stale.content.decode()
    path = f"/api/organisations/{org.pk}/people/{priya.pk}/availability/absences/{absence.pk}"
    assert api(owner).delete(f"{path}?version={read}").status_code == 409
    assert Absence.objects.filter(pk=absence.pk, start=day(14)).exists()
    assert client.post(url, {"version": read + 1}).status_code == 302
    assert not Absence.objects.filter(pk=absence.pk).exists()


def test_a_dated_change_of_pattern_saved_since_is_not_replaced(
    client: Any, org: Any, owner: Any, priya: Any
) -> None:
    """Two changes "from 1 March" replaced each other silently: a dated save carried no
    version (until 2026-12-06)."""
    client.force_login(owner)
    page = client.get(reverse("capacity:availability", args=[priya.pk])).content.decode()
    assert re.search(r'<input type="hidden" name="dated" id="pattern_dated">', page)  # none listed
    services.set_working_pattern(
        actor=priya,
        organisation=org,
        person=priya,
        hours=[6, 6, 6, 6, 6, 0, 0],
        effective_from=dt.date(2027, 3, 1),
    )
    form = {f"{d}_hours": "8" for d in ("mon", "tue", "wed", "thu", "fri")}
    form |= {"sat_hours": "0", "sun_hours": "0", "max_units": "100"}
    form |= {"effective_from": "2027-03-01", "version": "0", "dated": ""}
    stale = client.post(reverse("capacity:pattern_save", args=[priya.pk]), form)
    assert stale.status_code == 409
    assert WorkingPattern.objects.get(person=priya).weekly_hours == 30.0
    page = client.get(reverse("capacity:availability", args=[priya.pk])).content.decode()
    pattern = WorkingPattern.objects.get(person=priya)
    assert f'name="dated" value="2027-03-01:{pattern.version}"' in page
    form["dated"] = f"2027-03-01:{pattern.version}"
    assert client.post(reverse("capacity:pattern_save", args=[priya.pk]), form).status_code == 302
    assert WorkingPattern.objects.get(person=priya).weekly_hours == 40.0
