"""Review fixes of 6 Dec 2026 (c): My work and the capacity model count the same people, an
archived project loads nobody, levelling does not invent hours, the health reason keeps its
decimal, a number field refuses a decimal comma."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from twofold.accounts.models import Role, Team
from twofold.calendars import services as calendar_services
from twofold.calendars.working_time import STANDARD_HOURS
from twofold.capacity import demand
from twofold.capacity import selectors as cap_sel
from twofold.capacity import services as cap
from twofold.capacity.models import QueueWorkload
from twofold.core import trash
from twofold.core.errors import Invalid
from twofold.customfields import services as fields
from twofold.operations import services as ops
from twofold.operations.models import Request
from twofold.projects import lifecycle, services
from twofold.projects.health import Facts, Level, assess
from twofold.work import selectors as work

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 12, 7)


def _shared_task(owner: Any, project: Any, name: str, *people: tuple[Any, int]) -> Any:
    task, _ = services.create_task(
        actor=owner, project=project, name=name, duration_minutes=5 * 480
    )
    task.refresh_from_db()
    cap.set_assignments(
        actor=owner,
        task=task,
        rows=[(person, units, None) for person, units in people],
        expected_version=task.version,
    )
    return task


def _project_hours(org: Any, person: Any) -> float:
    grid = cap_sel.usage(org, first=MONDAY, weeks=1)
    return next(r for r in grid.rows if r.user.pk == person.pk).cells[0].project


# ---------------------------------------------------------------------------------------------
# 1. My work lists every person the capacity model loads with an open task


def test_the_second_person_on_a_task_has_it_in_my_work(
    org: Any, owner: Any, member: Any, api: Any, client: Any
) -> None:
    ana = member(org, Role.MEMBER, full_name="Ana First")
    ben = member(org, Role.MEMBER, full_name="Ben Second")
    p = services.create_project(
        actor=owner, organisation=org, name="P", code="P", target_start=MONDAY
    )
    _shared_task(owner, p, "Shared job", (ana, 100), (ben, 50))
    # The capacity view loads both: 5 days at 100 % and at 50 %.
    assert (_project_hours(org, ana), _project_hours(org, ben)) == (40.0, 20.0)
    # Before, only Ana (the assignee) had it: Ben's list was empty.
    assert [(i.kind.value, i.title) for i in work.my_work(ben, org).items] == [
        ("task", "Shared job")
    ]
    assert [i.title for i in work.my_work(ana, org).items] == ["Shared job"]  # once, not twice
    body = api(ben).get(f"/api/organisations/{org.pk}/my-work").json()
    assert [(i["kind"], i["title"]) for i in body["items"]] == [("task", "Shared job")]
    client.force_login(ben)
    assert "Shared job" in client.get("/my-work/").content.decode()
    # Someone taken off the task leaves it again.
    task = p.tasks.get(name="Shared job")
    cap.set_assignments(
        actor=owner, task=task, rows=[(ana, 100, None)], expected_version=task.version
    )
    assert work.my_work(ben, org).items == []


def test_my_work_reads_shared_tasks_in_constant_queries(org: Any, owner: Any, member: Any) -> None:
    ana = member(org, Role.MEMBER, full_name="Ana First")
    ben = member(org, Role.MEMBER, full_name="Ben Second")

    def add(n: int) -> None:
        for i in range(n):
            p = services.create_project(
                actor=owner, organisation=org, name=f"P{i}", code=f"Q{i}{n}", target_start=MONDAY
            )
            _shared_task(owner, p, f"Job {n}-{i}", (ana, 100), (ben, 50))

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            items = work.my_work(ben, org).items
        return len(ctx.captured_queries), len(items)

    add(1)
    one, count = queries()
    assert count == 1
    add(4)
    assert queries() == (one, 5)


# ---------------------------------------------------------------------------------------------
# 2. Levelling someone without working hours


def test_levelling_a_person_without_hours_says_so_and_moves_nothing(
    org: Any, owner: Any, member: Any, api: Any
) -> None:
    zero = member(org, Role.MEMBER, full_name="Zed Zero")
    cap.set_working_pattern(
        actor=owner,
        organisation=org,
        person=zero,
        hours=[0] * 7,
        effective_from=MONDAY - dt.timedelta(days=60),
    )
    p = services.create_project(
        actor=owner, organisation=org, name="Busy", code="B", target_start=MONDAY
    )
    task, _ = services.create_task(
        actor=owner, project=p, name="Z work", duration_minutes=3 * 480, assignee=zero
    )
    body = (
        api(owner)
        .post(f"/api/organisations/{org.pk}/projects/{p.pk}/level/preview", {"method": "heuristic"})
        .json()
    )
    # Before: "Waits for Zed Zero", 66 working days later, on a quarter hour a day he does not
    # have (past the window, where everyone counted as free). The window: the task's 3 days,
    # its 3 periods and 60 days of slack = 66 working days from Mon 7 Dec, to Mon 8 Mar.
    assert body["moves"] == []
    assert body["error"] == (
        "Zed Zero has no working hours from Mon 7 Dec 2026 to Mon 8 Mar 2027, so levelling "
        "cannot place 'Z work'. Give them working hours (their working pattern under "
        "Availability) or assign the work to someone else, then level again."
    )
    assert (body["finish_before"], body["finish_after"]) == ("2026-12-09", "2026-12-09")
    # Applying a move of it is refused too: nothing is written.
    p.refresh_from_db()
    with pytest.raises(Invalid) as refused:
        cap.apply_levelling(
            actor=owner,
            project=p,
            version=body["version"],
            moves={task.pk: dt.date(2027, 3, 10)},
        )
    assert str(refused.value.message).startswith(
        "This levelling cannot be applied: Zed Zero has no working hours from Mon 7 Dec 2026"
    )
    task.refresh_from_db()
    assert task.levelling_delay_minutes == 0


# ---------------------------------------------------------------------------------------------
# 3. Archived projects and trashed processes load nobody


def test_an_archived_project_loads_nobody(org: Any, owner: Any, member: Any) -> None:
    ana = member(org, Role.MEMBER, full_name="Ana First")
    ben = member(org, Role.MEMBER, full_name="Ben Second")
    p = services.create_project(
        actor=owner, organisation=org, name="Old", code="OLD", target_start=MONDAY
    )
    _shared_task(owner, p, "Leftover", (ana, 100), (ben, 50))
    assert (_project_hours(org, ana), _project_hours(org, ben)) == (40.0, 20.0)
    items = demand.task_items(org, [ana.pk], MONDAY, MONDAY + dt.timedelta(days=4))
    assert [(x.name, x.hours) for x in items] == [("Leftover", 40.0)]
    p.refresh_from_db()
    lifecycle.set_project_archived(
        actor=owner, project=p, archived=True, expected_version=p.version
    )
    # Before: 40 h and 20 h stayed on them (over-allocation, levelling of other projects and
    # "Can we take this on?" all read this model).
    assert (_project_hours(org, ana), _project_hours(org, ben)) == (0.0, 0.0)
    assert demand.task_items(org, [ana.pk], MONDAY, MONDAY + dt.timedelta(days=4)) == []
    assert work.my_work(ana, org).items == work.my_work(ben, org).items == []
    # Brought back, it loads them again.
    p.refresh_from_db()
    lifecycle.set_project_archived(
        actor=owner, project=p, archived=False, expected_version=p.version
    )
    assert (_project_hours(org, ana), _project_hours(org, ben)) == (40.0, 20.0)


def test_the_queues_of_a_process_in_the_trash_load_nobody(
    org: Any, owner: Any, member: Any
) -> None:
    jonas = member(org, Role.MEMBER, full_name="Jonas Berg")
    team = Team.objects.create(organisation=org, name="Quality")
    team.members.add(jonas)
    process = ops.create_process(actor=owner, organisation=org, name="Quality checks")
    process.team = team
    process.save()
    calendar = calendar_services.create_calendar(
        actor=owner, organisation=org, name="Office", hours=STANDARD_HOURS
    )
    queue = ops.create_queue(
        actor=owner, organisation=org, name="Gauge requests", calendar=calendar, process=process
    )
    recent = timezone.now() - dt.timedelta(days=3)
    made = Request.objects.bulk_create(
        Request(organisation=org, queue=queue, title=f"R{i}", created_at=recent) for i in range(40)
    )
    QueueWorkload.objects.create(organisation=org, queue=queue, handling_minutes=48)
    today = timezone.localdate()
    week = (today, today + dt.timedelta(days=6))

    def per_day() -> list[float]:
        return [x.hours for x in demand.request_items(org, [jonas.pk], *week)]

    # 40 requests over the last 40 working days at 48 min, for one person: 0.8 h a day.
    assert per_day() == [pytest.approx(0.8)]
    # Requests in the trash are no arrivals (before: still counted, 0.8 h).
    Request.all_objects.filter(pk__in=[r.pk for r in made[:20]]).update(deleted_at=timezone.now())
    assert per_day() == [pytest.approx(0.4)]
    # The process in the trash: its queue stays behind, its team no longer takes the work.
    process.refresh_from_db()
    trash.move_to_trash(actor=owner, obj=process)
    assert per_day() == []


# ---------------------------------------------------------------------------------------------
# 4. The health reason carries the figure that decided the level


def test_the_health_reason_keeps_the_decimal_that_decided_the_level() -> None:
    amber = assess(Facts(percent_complete=30.0, percent_planned=40.4))
    assert amber.level == Level.AMBER
    # "Over 10 points" is amber: before, it read "10 points behind plan".
    assert amber.reasons == ("Progress 10.4 points behind plan",)
    red = assess(Facts(percent_complete=30.0, percent_planned=50.3))
    assert red.level == Level.RED
    assert red.reasons == ("Progress 20.3 points behind plan",)
    whole = assess(Facts(percent_complete=20.0, percent_planned=45.0))
    assert whole.reasons == ("Progress 25 points behind plan",)


# ---------------------------------------------------------------------------------------------
# 5. A number field refuses a decimal comma


def test_a_number_field_refuses_a_comma_that_is_not_a_thousands_separator(
    org: Any, owner: Any
) -> None:
    budget = fields.create_definition(
        actor=owner, organisation=org, name="Budget", applies_to="project", kind="number"
    )
    message = (
        "Budget: use a point for decimals, e.g. 1.5 (a comma only separates thousands, "
        "as in 1,250)."
    )
    for raw in ("1,5", "12,34", "1234,567", ",5", "1,2345", "1,250,5"):
        with pytest.raises(Invalid) as refused:
            fields.parse_value(budget, raw)  # before: "1,5" was stored as 15
        assert (refused.value.message, refused.value.field) == (message, f"field_{budget.pk}")
    assert fields.parse_value(budget, "1,250") == Decimal("1250.0000")
    assert fields.parse_value(budget, " -12,500.75 ") == Decimal("-12500.7500")
    assert fields.parse_value(budget, "1,234,567") == Decimal("1234567.0000")
    assert fields.parse_value(budget, "1.5") == Decimal("1.5000")
