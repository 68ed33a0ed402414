"""The people × weeks usage: exact hours from tasks and routines, flags, queries, permissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.capacity.conftest import MONDAY, WEDNESDAY, add_task
from twofold.accounts.models import Role
from twofold.accounts.services import create_team
from twofold.capacity import selectors
from twofold.capacity.services import set_working_pattern
from twofold.operations.models import Occurrence


def _row(grid: selectors.Usage, user: Any) -> selectors.PersonRow:
    return next(r for r in grid.rows if r.user.pk == user.pk)


def test_task_effort_spreads_evenly_and_routine_lands_on_its_due_date(
    org: Any, owner: Any, priya: Any, project: Any, routine: Any
) -> None:
    add_task(owner, project, "Cell layout", 5, effort_minutes=40 * 60, assignee=priya)
    items = selectors.load_items(org, [priya.pk], MONDAY, MONDAY + dt.timedelta(days=6))
    by_day: dict[dt.date, float] = {}
    for item in items:
        by_day[item.day] = by_day.get(item.day, 0) + item.hours
    assert by_day == {
        MONDAY: 8.0,
        MONDAY + dt.timedelta(days=1): 8.0,
        WEDNESDAY: 10.0,
        MONDAY + dt.timedelta(days=3): 8.0,
        MONDAY + dt.timedelta(days=4): 8.0,
    }
    grid = selectors.usage(org, first=MONDAY, weeks=3)
    cells = _row(grid, priya).cells
    assert [c.hours for c in cells] == [42.0, 2.0, 2.0]
    assert cells[0].over == 2.0 and cells[0].state == "over"
    assert cells[1].state == "low" and cells[1].over == 0.0


def test_effort_empty_uses_duration_at_eight_hours(
    org: Any, owner: Any, priya: Any, project: Any
) -> None:
    add_task(owner, project, "Dry runs", 2, assignee=priya)
    grid = selectors.usage(org, first=MONDAY, weeks=1)
    assert _row(grid, priya).cells[0].hours == 16.0


def test_stored_occurrences_count_and_are_not_doubled(org: Any, priya: Any, routine: Any) -> None:
    for week in range(2):
        due = dt.datetime.combine(WEDNESDAY + dt.timedelta(weeks=week), dt.time(17), dt.UTC)
        Occurrence.objects.create(organisation=org, routine=routine, due=due)
    grid = selectors.usage(org, first=MONDAY, weeks=4)
    assert [c.hours for c in _row(grid, priya).cells] == [2.0, 2.0, 2.0, 2.0]


def test_team_filter_and_capacity_from_the_working_pattern(
    org: Any, owner: Any, priya: Any, member: Any, project: Any
) -> None:
    part_timer = member(org, Role.MEMBER, full_name="Tomasz Nowak")
    set_working_pattern(
        actor=owner,
        organisation=org,
        person=part_timer,
        hours=[4, 4, 4, 4, 4, 0, 0],
        effective_from=MONDAY,
    )
    add_task(owner, project, "PLC integration", 5, effort_minutes=30 * 60, assignee=part_timer)
    team = create_team(actor=owner, organisation=org, name="Automation", members=[part_timer])
    grid = selectors.usage(org, first=MONDAY, weeks=1, team=team)
    assert [r.user.pk for r in grid.rows] == [part_timer.pk]
    cell = grid.rows[0].cells[0]
    assert (cell.hours, cell.capacity, cell.over) == (30.0, 20.0, 10.0)


def test_usage_page_shows_overload_and_cell_lists_sources(
    client: Any, org: Any, owner: Any, priya: Any, project: Any, routine: Any
) -> None:
    task = add_task(owner, project, "Cell layout", 5, effort_minutes=40 * 60, assignee=priya)
    client.force_login(owner)
    page = client.get(reverse("capacity:usage"), {"start": MONDAY.isoformat(), "weeks": 2})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Priya Raman, week of 3 Mar: 42 of 40 hours (40 project, 2 operations), 2 over" in html
    assert 'class="cap-cell cap-over"' in html
    detail = client.get(reverse("capacity:cell"), {"person": priya.pk, "week": MONDAY.isoformat()})
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Cell layout" in body and "Weekly gauge check" in body
    assert reverse("projects:task", args=[project.pk, task.pk]) in body
    assert reverse("operations:routine", args=[routine.pk]) in body
    assert "2 h over" in body


def test_bad_filter_input_is_a_form_error_not_a_500(client: Any, owner: Any) -> None:
    client.force_login(owner)
    page = client.get(reverse("capacity:usage"), {"start": "not-a-date", "weeks": "999"})
    assert page.status_code == 400
    assert "form-errors" in page.content.decode()
    assert client.get(reverse("capacity:cell"), {"person": "x"}).status_code == 404


def test_cell_of_a_person_outside_the_organisation_is_404(
    client: Any, owner: Any, outsider: Any
) -> None:
    client.force_login(owner)
    answer = client.get(reverse("capacity:cell"), {"person": outsider.pk, "week": "2025-03-03"})
    assert answer.status_code == 404


def test_usage_needs_sign_in(client: Any, owner: Any) -> None:
    r = client.get(reverse("capacity:usage"))
    assert r.status_code == 302 and r.url.startswith(reverse("accounts:login"))


def test_usage_page_query_count_is_constant(
    client: Any,
    org: Any,
    owner: Any,
    member: Any,
    project: Any,
    routine: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(owner)

    def grow(n: int) -> None:
        for i in range(n):
            person = member(org, Role.MEMBER, full_name=f"Worker {i} {n}")
            add_task(owner, project, f"Job {i} {n}", 3, assignee=person)

    grow(2)
    url = reverse("capacity:usage") + f"?start={MONDAY.isoformat()}"
    with django_assert_max_num_queries(50) as small:
        assert client.get(url).status_code == 200
    grow(8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('class="cap-person"') == 2 + 8 + 2  # + owner, priya


def test_an_archived_routine_or_process_loads_nobody(
    org: Any, owner: Any, priya: Any, routine: Any
) -> None:
    from django.utils import timezone

    assert [c.hours for c in _row(selectors.usage(org, first=MONDAY, weeks=1), priya).cells] == [
        2.0
    ]
    type(routine).objects.filter(pk=routine.pk).update(archived_at=timezone.now())
    assert [c.hours for c in _row(selectors.usage(org, first=MONDAY, weeks=1), priya).cells] == [
        0.0
    ]
    type(routine).objects.filter(pk=routine.pk).update(archived_at=None)
    type(routine.process).objects.filter(pk=routine.process_id).update(archived_at=timezone.now())
    assert [c.hours for c in _row(selectors.usage(org, first=MONDAY, weeks=1), priya).cells] == [
        0.0
    ]


def test_a_week_beyond_the_calendar_is_refused_not_a_500(
    signed_in: Any, api: Any, org: Any, owner: Any
) -> None:
    client = signed_in(owner)
    for start in ("9999-12-31", "0001-01-01"):
        r = client.get(reverse("capacity:usage"), {"start": start})
        assert r.status_code == 400
        assert "Choose a date between 8 Jan 1980 and" in r.content.decode()
    r = api(owner).get(f"/api/organisations/{org.pk}/capacity/usage?start=9999-12-31")
    assert r.status_code == 422 and r.json()["field"] == "start"


@pytest.mark.django_db(transaction=True)
def test_a_cell_read_on_its_own_gives_the_hours_the_grid_gives(demo_org) -> None:
    # A task's hours are spread over the working days of its whole span. A week read on its
    # own (the cell's make-up) used to know only that week's holidays, so a task running into
    # a later week with holidays (Christmas, New Year) put fewer hours in it than the grid
    # did: on 2026-12-05 Tomasz Nowak's week of 2026-12-21 read 28 h (over) in the grid and
    # 23.2 h (not over) on its own.
    first = selectors.monday_of(timezone.localdate())
    grid = selectors.usage(demo_org, first=first, weeks=12)
    checked = 0
    for row in grid.rows[:8]:
        for cell in row.cells:
            detail = selectors.cell_detail(demo_org, row.user, cell.week)
            assert (detail.cell.hours, detail.cell.over) == (cell.hours, cell.over)
            assert round(sum(s.hours for s in detail.sources), 1) == pytest.approx(
                detail.cell.hours, abs=0.05 * max(1, len(detail.sources))
            )
            checked += 1
    assert checked == 8 * 12
