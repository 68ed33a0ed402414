""" "Can we take this on?": the overload a proposed project causes, and its earliest fit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.capacity.conftest import MONDAY, add_task
from twofold.accounts.models import Team
from twofold.capacity import take_on
from twofold.projects.models import Phase, Project


@pytest.fixture
def committed(org: Any, owner: Any, priya: Any, other_project: Any) -> Project:
    """Robot retrofit, in execution: Priya full time for the first two weeks."""
    Project.objects.filter(pk=other_project.pk).update(phase=Phase.EXECUTION)
    add_task(owner, other_project, "Robot cell FAT", 10, assignee=priya)
    team = Team.objects.create(organisation=org, name="Quality")
    team.members.add(priya)
    return other_project


def test_the_overload_per_team_and_week_and_the_earliest_start(
    org: Any, owner: Any, priya: Any, project: Any, committed: Project
) -> None:
    add_task(owner, project, "Cell layout", 5, assignee=priya)  # 40 h in the first week
    result = take_on.take_on(org, project, today=MONDAY)
    assert result.planned_start == MONDAY
    assert result.weeks == [MONDAY]
    assert [(t.name, t.proposal, t.free, t.overload) for t in result.teams] == [
        ("Quality", [40.0], [0.0], [40.0])
    ]
    assert not result.fits_as_planned and result.overloaded_cells == 1
    # Week 2 is the first with 40 h free for the Quality team.
    assert result.earliest_start == MONDAY + dt.timedelta(weeks=2)
    assert result.weeks_later == 2
    assert (result.hours, result.unassigned_tasks) == (40.0, 0)


def test_a_small_proposal_fits_as_planned_next_to_committed_work(
    org: Any, owner: Any, priya: Any, member: Any, project: Any, committed: Project
) -> None:
    add_task(owner, project, "Unassigned survey", 1)
    other = member(org, full_name="Ola Other")
    add_task(owner, project, "Cell layout", 2, assignee=other)
    result = take_on.take_on(org, project, today=MONDAY)
    assert result.fits_as_planned and result.earliest_start == MONDAY
    assert [(t.name, t.overload) for t in result.teams] == [("No team", [0.0])]
    assert result.unassigned_tasks == 1


def test_take_on_reads_a_constant_number_of_queries(
    org: Any, owner: Any, priya: Any, member: Any, project: Any, committed: Project
) -> None:
    add_task(owner, project, "A", 2, assignee=priya)
    with CaptureQueriesContext(connection) as few:
        take_on.take_on(org, project, today=MONDAY)
    for i in range(6):
        person = member(org, full_name=f"P{i}")
        add_task(owner, project, f"T{i}", 3, assignee=person)
        add_task(owner, committed, f"C{i}", 3, assignee=person)
    with CaptureQueriesContext(connection) as many:
        take_on.take_on(org, project, today=MONDAY)
    assert len(many) == len(few)


def test_take_on_page_and_api(
    client: Any, api: Any, org: Any, owner: Any, priya: Any, project: Any, committed: Project
) -> None:
    add_task(owner, project, "Cell layout", 5, assignee=priya)
    client.force_login(owner)
    page = client.get(reverse("capacity:take_on"))
    html = page.content.decode()
    assert page.status_code == 200 and "L3 Line 3 automation cell" in html
    assert "Robot retrofit" not in html  # committed: not a proposal
    chosen = client.get(reverse("capacity:take_on"), {"project": project.pk})
    assert chosen.status_code == 200
    assert "Earliest start that fits" in chosen.content.decode()
    partial = client.get(
        reverse("capacity:take_on"), {"project": project.pk}, HTTP_HX_REQUEST="true"
    )
    assert "<html" not in partial.content.decode()
    assert client.get(reverse("capacity:take_on"), {"project": committed.pk}).status_code == 422
    assert client.get(reverse("capacity:take_on"), {"project": "x"}).status_code == 400
    base = f"/api/organisations/{org.pk}/capacity/take-on"
    answer = api(owner).get(f"{base}/{project.pk}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["hours"] == 40.0 and body["teams"][0]["name"] == "Quality"
    assert api(owner).get(f"{base}/{committed.pk}").status_code == 422
    assert api(owner).get(f"{base}/999999").status_code == 404


def test_the_portfolio_links_to_take_on(client: Any, owner: Any, project: Any) -> None:
    client.force_login(owner)
    html = client.get(reverse("projects:portfolio")).content.decode()
    assert reverse("capacity:take_on") in html


def test_a_person_in_two_teams_counts_in_the_first_row_shown(org: Any, priya: Any) -> None:
    """Rows come in the database's order by name; a person in several teams counts in the first
    of those rows. Under a linguistic collation (CI's PostgreSQL) "alpha" comes before "Beta",
    byte by byte (SQLite, Python) after it: the person's row must follow the rows either way."""
    for name in ["Beta", "alpha"]:
        Team.objects.create(organisation=org, name=name).members.add(priya)
    rows, row_of = take_on._team_rows(org, [priya.pk])
    assert sorted(rows) == ["Beta", "alpha"]
    assert row_of == [0]
