"""My work: one list of every kind, due soonest first, filters, constant queries, API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from twofold.accounts.models import Role
from twofold.calendars import services as calendar_services
from twofold.calendars.working_time import STANDARD_HOURS
from twofold.improvement import services as improvement
from twofold.improvement.models import Handover
from twofold.operations import services as ops
from twofold.operations.models import Occurrence
from twofold.projects import services as projects
from twofold.work import selectors


@pytest.fixture
def me(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Mia Mine")


@pytest.fixture
def build(org: Any, owner: Any, me: Any) -> Any:
    """``build(n)`` gives ``me`` n of each kind of work."""
    calendar = calendar_services.create_calendar(
        actor=owner, organisation=org, name="Office", hours=STANDARD_HOURS
    )
    process = ops.create_process(actor=owner, organisation=org, name="Line 2", owner=me)
    queue = ops.create_queue(
        actor=owner, organisation=org, name="Desk", calendar=calendar, process=process
    )
    routine = ops.create_routine(
        actor=owner,
        process=process,
        name="Shift check",
        rrule="FREQ=DAILY",
        starts_on=dt.date.today(),
        assignee=me,
    )
    seq = iter(range(1000))

    def make(n: int) -> None:
        now = timezone.now()
        for _ in range(n):
            i = next(seq)
            project = projects.create_project(
                actor=owner, organisation=org, name=f"Project {i}", code=f"P{i}", sponsor=me
            )
            projects.create_task(actor=owner, project=project, name=f"Task {i}", assignee=me)
            request = ops.create_request(actor=owner, queue=queue, title=f"Request {i}")
            request.assignee = me
            request.save(update_fields=["assignee"])
            Occurrence.objects.create(
                organisation=org, routine=routine, due=now + dt.timedelta(hours=i + 1)
            )
            Handover.objects.create(
                organisation=org, project=project, process=process, proposed_by=owner
            )
            improvement.create_item(
                actor=owner, organisation=org, title=f"Item {i}", problem="p", owner=me
            )

    return make


def test_every_kind_appears_once_per_piece_of_work(build: Any, me: Any, org: Any) -> None:
    build(1)

    work = selectors.my_work(me, org)

    assert work.counts == {
        "task": 1,
        "routine": 1,
        "request": 1,
        "gate": 1,
        "handover": 1,
        "improvement": 1,
    }
    kinds = [i.kind.value for i in work.items]
    # Dated work first by due instant, then gates, handovers and items without a due date.
    dated = [i for i in work.items if i.due is not None]
    assert [i.due for i in dated] == sorted(i.due for i in dated)
    assert {i.kind.value for i in dated} == {"task", "routine", "request"}
    # Undated: oldest waiting first (handover, then item), gates (no waiting-since) last.
    assert kinds[len(dated) :] == ["handover", "improvement", "gate"]
    request = next(i for i in work.items if i.kind == "request")
    assert request.state.endswith("left to resolve") and request.badge == "green"
    gate = next(i for i in work.items if i.kind == "gate")
    assert gate.title == "Sign off: Gate out of Initiation"


def test_a_filter_keeps_one_kind_and_the_counts_of_all(build: Any, me: Any, org: Any) -> None:
    build(2)

    work = selectors.my_work(me, org, kind="request")

    assert [i.kind.value for i in work.items] == ["request", "request"]
    assert work.total == 12


def test_other_peoples_work_and_other_organisations_stay_out(
    build: Any, owner: Any, org: Any
) -> None:
    build(1)
    assert selectors.my_work(owner, org).total == 0


def test_the_page_shows_kind_badges_and_has_constant_queries(
    build: Any, me: Any, signed_in: Any
) -> None:
    client = signed_in(me)
    build(1)
    client.get("/my-work/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/my-work/")
        assert page.status_code == 200
        return len(ctx.captured_queries)

    one = queries()
    build(4)
    assert queries() == one
    html = client.get("/my-work/?kind=gate").content.decode()
    assert html.count('class="badge work-badge work-badge-gate"') == 5
    assert "work-badge-task" not in html
    assert 'aria-current="true">' in html


def test_api_lists_my_work_and_refuses_an_unknown_kind(
    build: Any, me: Any, org: Any, outsider: Any, api: Any
) -> None:
    build(1)
    body = api(me).get(f"/api/organisations/{org.pk}/my-work?kind=handover").json()
    assert [i["kind"] for i in body["items"]] == ["handover"]
    assert body["items"][0]["title"] == "Accept Project 0"
    assert body["total"] == 6
    bad = api(me).get(f"/api/organisations/{org.pk}/my-work?kind=bogus")
    assert bad.status_code == 422 and bad.json()["field"] == "kind"
    assert api(outsider).get(f"/api/organisations/{org.pk}/my-work").status_code == 404
