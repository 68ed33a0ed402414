"""Levelling a project: preview with reasons, apply as constraints, stale → 409, permissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from tests.capacity.conftest import MONDAY, add_task
from twofold.capacity import levelling, services
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.models import HistoryEntry
from twofold.projects import services as project_services
from twofold.projects.models import Constraint, Priority, Task


@pytest.fixture
def clash(owner: Any, priya: Any, project: Any) -> tuple[Any, Any]:
    """Two 3-day tasks for Priya on the same days; the urgent one should keep its place."""
    first = add_task(owner, project, "Risk assessment", 3, assignee=priya, priority=Priority.HIGH)
    second = add_task(owner, project, "Site acceptance test", 3, assignee=priya)
    return first, second


def test_preview_moves_the_less_urgent_task_and_says_why(
    owner: Any, priya: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    _first, second = clash
    preview = services.preview_levelling(actor=owner, project=project)
    assert [m.task.pk for m in preview.moves] == [second.pk]
    move = preview.moves[0]
    assert move.start_before == MONDAY
    assert move.start_after == MONDAY + dt.timedelta(days=3)
    assert move.finish_after == MONDAY + dt.timedelta(days=7)  # Thu, Fri, Mon
    assert move.delay_days == 3
    assert move.reason == "Waits for Priya Raman, busy on 'Risk assessment' until Wed 5 Mar"
    assert preview.finish_after == MONDAY + dt.timedelta(days=7)


def test_work_in_another_project_keeps_the_person_busy(
    owner: Any, priya: Any, project: Any, other_project: Any
) -> None:
    add_task(owner, other_project, "Robot cell FAT", 2, assignee=priya)
    here = add_task(owner, project, "PLC integration", 2, assignee=priya)
    preview = services.preview_levelling(actor=owner, project=project)
    assert [(m.task.pk, m.delay_days) for m in preview.moves] == [(here.pk, 2)]
    assert (
        preview.moves[0].reason == "Waits for Priya Raman, busy on 'Robot cell FAT' until Tue 4 Mar"
    )


def test_a_successor_is_pushed_by_its_moved_predecessor(
    owner: Any, priya: Any, member: Any, org: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    _first, second = clash
    follower = add_task(owner, project, "Handover", 1, assignee=member(org))
    project_services.add_link(actor=owner, project=project, pred=second, succ=follower)
    preview = services.preview_levelling(actor=owner, project=project)
    by_task = {m.task.pk: m for m in preview.moves}
    assert by_task[follower.pk].delay_days == 3
    assert by_task[follower.pk].reason == "Follows 'Site acceptance test', which moves 3 d"


def _moves(preview: levelling.Preview) -> dict[int, dt.date]:
    return {m.task.pk: m.start_after for m in preview.moves}


def test_apply_records_levelling_delays_reschedules_and_records_history(
    owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    first, second = clash
    preview = services.preview_levelling(actor=owner, project=project)
    applied = services.apply_levelling(
        actor=owner, project=project, version=preview.version, moves=_moves(preview)
    )
    assert applied.moved == 1
    second.refresh_from_db()
    first.refresh_from_db()
    # A levelling delay of 3 working days, not a date constraint.
    assert (second.constraint_type, second.constraint_date) == (Constraint.ASAP, None)
    assert second.levelling_delay_minutes == 3 * 480
    assert second.start is not None and second.start.date() == MONDAY + dt.timedelta(days=3)
    assert first.constraint_type == Constraint.ASAP and first.start.date() == MONDAY
    assert HistoryEntry.objects.filter(object_id=project.pk, action="levelled").count() == 1
    assert HistoryEntry.objects.filter(object_id=second.pk, action="updated").exists()
    # Levelled: nothing left to move.
    assert services.preview_levelling(actor=owner, project=project).moves == []


def test_a_task_held_by_a_start_date_starts_where_the_preview_said_once_applied(
    owner: Any, priya: Any, project: Any
) -> None:
    """B (2 d, not before Tuesday) waits for A (3 d, urgent): the preview says Thursday; the
    applied plan started it on Wednesday, still overlapping A, until 2026-12-05."""
    add_task(owner, project, "Risk assessment", 3, assignee=priya, priority=Priority.HIGH)
    held = add_task(
        owner,
        project,
        "Site acceptance test",
        2,
        assignee=priya,
        constraint_type=Constraint.SNET,
        constraint_date=MONDAY + dt.timedelta(days=1),
    )
    preview = services.preview_levelling(actor=owner, project=project)
    assert _moves(preview) == {held.pk: MONDAY + dt.timedelta(days=3)}
    services.apply_levelling(
        actor=owner, project=project, version=preview.version, moves=_moves(preview)
    )
    held.refresh_from_db()
    assert held.start.date() == MONDAY + dt.timedelta(days=3)
    assert held.levelling_delay_minutes == 3 * 480  # counted from the project's start
    assert services.preview_levelling(actor=owner, project=project).moves == []


def test_a_task_after_a_started_one_starts_where_the_preview_said(
    owner: Any, priya: Any, member: Any, org: Any, project: Any
) -> None:
    """The link from a started task is left out of the levelling problem but still feeds the
    task in the scheduler: its delay counts from that link, not from the project's start (a
    review found it applied two days late after the previous fix)."""
    started = add_task(owner, project, "Started", 2, assignee=member(org, full_name="Other"))
    project_services.update_task(
        actor=owner, task=started, expected_version=started.version, actual_start=MONDAY
    )
    follower = add_task(owner, project, "Follower", 2, assignee=priya)
    project_services.add_link(actor=owner, project=project, pred=started, succ=follower)
    add_task(owner, project, "Urgent", 3, assignee=priya, priority=Priority.HIGH)
    preview = services.preview_levelling(actor=owner, project=project)
    moves = _moves(preview)
    assert moves == {follower.pk: MONDAY + dt.timedelta(days=3)}
    services.apply_levelling(actor=owner, project=project, version=preview.version, moves=moves)
    follower.refresh_from_db()
    assert follower.start.date() == MONDAY + dt.timedelta(days=3)
    assert follower.levelling_delay_minutes == 480  # one day after Started's finish


def test_stale_apply_is_a_conflict_and_changes_nothing(
    owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    first, second = clash
    preview = services.preview_levelling(actor=owner, project=project)
    project_services.update_task(
        actor=owner, task=first, expected_version=first.version, name="Risk assessment v2"
    )
    with pytest.raises(Conflict):
        services.apply_levelling(
            actor=owner, project=project, version=preview.version, moves=_moves(preview)
        )
    second.refresh_from_db()
    assert second.constraint_type == Constraint.ASAP


def test_apply_refuses_moves_that_break_a_link(
    owner: Any, priya: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    first, second = clash
    project_services.add_link(actor=owner, project=project, pred=first, succ=second)
    preview = services.preview_levelling(actor=owner, project=project)
    assert preview.moves == []
    with pytest.raises(Invalid):
        services.apply_levelling(
            actor=owner,
            project=project,
            version=preview.version,
            moves={first.pk: MONDAY + dt.timedelta(days=5)},  # a Saturday
        )
    with pytest.raises(Invalid):  # before its predecessor finishes: breaks the FS link
        services.apply_levelling(
            actor=owner,
            project=project,
            version=preview.version,
            moves={second.pk: MONDAY + dt.timedelta(days=1)},
        )
    second.refresh_from_db()
    assert second.constraint_type == Constraint.ASAP


def test_hard_must_start_on_is_never_moved(owner: Any, priya: Any, project: Any) -> None:
    fixed = add_task(
        owner,
        project,
        "Shutdown window",
        2,
        assignee=priya,
        constraint_type=Constraint.MSO,
        constraint_date=MONDAY,
    )
    other = add_task(owner, project, "Training", 2, assignee=priya, priority=Priority.URGENT)
    preview = services.preview_levelling(actor=owner, project=project)
    assert [m.task.pk for m in preview.moves] == [other.pk]
    assert fixed.pk not in {m.task.pk for m in preview.moves}


def test_optimise_method_runs_cp_sat_within_limits(
    owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    preview = services.preview_levelling(actor=owner, project=project, method="optimise", seconds=1)
    assert len(preview.moves) == 1
    with pytest.raises(Invalid):
        services.preview_levelling(actor=owner, project=project, method="optimise", seconds=99)


def test_guest_cannot_level_and_outsider_cannot_see(
    owner: Any, guest: Any, outsider: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    preview = services.preview_levelling(actor=owner, project=project)
    with pytest.raises(Forbidden):
        services.preview_levelling(actor=guest, project=project)
    with pytest.raises(Forbidden):
        services.apply_levelling(
            actor=guest, project=project, version=preview.version, moves=_moves(preview)
        )
    with pytest.raises(NotFound):
        services.apply_levelling(
            actor=outsider, project=project, version=preview.version, moves=_moves(preview)
        )


# ----- pages


def test_level_page_previews_and_applies(
    client: Any, owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    _first, second = clash
    client.force_login(owner)
    url = reverse("capacity:level", args=[project.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Waits for Priya Raman, busy on &#x27;Risk assessment&#x27;" in html
    assert "<svg" in html and "cap-bar-new" in html
    preview = services.preview_levelling(actor=owner, project=project)
    answer = client.post(url, {"version": preview.version, "moves": f"{second.pk}:2025-03-06"})
    assert answer.status_code == 302
    second.refresh_from_db()
    assert second.levelling_delay_minutes == 3 * 480
    assert second.start is not None and second.start.date() == dt.date(2025, 3, 6)


def test_level_page_stale_apply_answers_409_with_a_fresh_preview(
    client: Any, owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    first, second = clash
    client.force_login(owner)
    url = reverse("capacity:level", args=[project.pk])
    preview = services.preview_levelling(actor=owner, project=project)
    project_services.update_task(
        actor=owner, task=first, expected_version=first.version, duration_minutes=4 * 480
    )
    answer = client.post(url, {"version": preview.version, "moves": f"{second.pk}:2025-03-06"})
    assert answer.status_code == 409
    html = answer.content.decode()
    assert "changed since this preview" in html
    fresh = services.preview_levelling(actor=owner, project=project)
    assert f'value="{fresh.version}"' in html
    assert fresh.moves[0].start_after == dt.date(2025, 3, 7)


def test_level_page_bad_input_is_a_form_error(
    client: Any, owner: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    client.force_login(owner)
    url = reverse("capacity:level", args=[project.pk])
    answer = client.post(url, {"version": "x", "moves": "nonsense"})
    assert answer.status_code == 422
    assert "malformed" in answer.content.decode()
    assert client.get(url, {"method": "optimise", "seconds": "abc"}).status_code == 200


def test_level_page_permissions(
    client: Any, guest: Any, outsider: Any, project: Any, clash: tuple[Any, Any]
) -> None:
    url = reverse("capacity:level", args=[project.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": "x", "moves": "1:2025-03-06"}).status_code == 404
    client.force_login(guest)
    assert client.get(url).status_code == 403
    second = clash[1]
    answer = client.post(url, {"version": "x", "moves": f"{second.pk}:2025-03-06"})
    assert answer.status_code == 403
    assert Task.objects.get(pk=second.pk).constraint_type == Constraint.ASAP


def test_levelling_keeps_a_persons_whole_day_absence_free_but_not_a_half_day(
    org: Any, owner: Any, priya: Any, project: Any
) -> None:
    task = add_task(owner, project, "Calibrate gauges", 2, assignee=priya)
    services.create_absence(
        actor=owner, organisation=org, person=priya, kind="training", start=MONDAY, end=MONDAY
    )
    services.create_absence(
        actor=owner,
        organisation=org,
        person=priya,
        kind="sickness",
        start=MONDAY + dt.timedelta(days=2),
        end=MONDAY + dt.timedelta(days=2),
        half_day=True,
    )
    built = levelling.build(project)
    # Quarter hours free: away Monday, 8 h Tuesday, and the half day's 4 h taken from the week.
    assert built.problem.resources[0].capacity[:3] == (0, 28, 28)
    preview = services.preview_levelling(actor=owner, project=project)
    assert [(m.task.pk, m.delay_days) for m in preview.moves] == [(task.pk, 1)]
    assert preview.moves[0].reason == "Waits for Priya Raman, away on 3 Mar (training)"
    # An absence recorded after the preview makes it stale.
    services.create_absence(
        actor=owner,
        organisation=org,
        person=priya,
        start=MONDAY + dt.timedelta(days=7),
        end=MONDAY + dt.timedelta(days=7),
    )
    assert levelling.build(project).version != built.version


def test_a_weekday_off_in_a_persons_pattern_does_not_block_a_longer_task(
    org: Any, owner: Any, priya: Any, project: Any
) -> None:
    # Priya works Monday to Thursday. A task of a whole week cannot fit between her Fridays off,
    # and a period is a working day of the project: her Friday is crossed, not a wall. Before,
    # the task had nowhere to go inside the horizon and levelling moved it past the end of it.
    services.set_working_pattern(
        actor=owner,
        organisation=org,
        person=priya,
        hours=[8, 8, 8, 8, 0, 0, 0],
        effective_from=MONDAY,
        note="Fridays off",
    )
    add_task(owner, project, "Commission the line", 5, assignee=priya)
    built = levelling.build(project)
    # Quarter hours free Monday to Friday: her Friday carries her regular free day (8 h).
    assert built.problem.resources[0].capacity[:5] == (32, 32, 32, 32, 32)
    preview = services.preview_levelling(actor=owner, project=project)
    assert preview.moves == []
    # Her Friday off is still hers when she is away on it, and a pattern of no hours at all
    # (someone who has stopped working) is not crossed: both stay at 0.
    services.create_absence(
        actor=owner,
        organisation=org,
        person=priya,
        kind="training",
        start=MONDAY + dt.timedelta(days=4),
        end=MONDAY + dt.timedelta(days=4),
    )
    assert levelling.build(project).problem.resources[0].capacity[:5] == (32, 32, 32, 32, 0)
    services.set_working_pattern(
        actor=owner,
        organisation=org,
        person=priya,
        hours=[0, 0, 0, 0, 0, 0, 0],
        effective_from=MONDAY + dt.timedelta(days=7),
        note="Left the company",
    )
    capacity = levelling.build(project).problem.resources[0].capacity
    assert capacity[5:10] == (0, 0, 0, 0, 0)


def _move(i: int, start: dt.date, delay: int) -> levelling.Move:
    from types import SimpleNamespace

    after = start + dt.timedelta(days=delay)
    return levelling.Move(
        task=SimpleNamespace(name=f"Task {i}"),  # type: ignore[arg-type]
        start_before=start,
        start_after=after,
        finish_before=start,
        finish_after=after,
        delay_days=delay,
        reason="",
    )


def test_the_chart_of_a_long_preview_shows_the_tasks_that_move_most(db: Any) -> None:
    from twofold.capacity import views

    # 100 one-day tasks over two years; delays 0..99 shuffled by a fixed step, so the 40
    # largest (60..99) are spread through the plan.
    start = dt.date(2027, 1, 4)
    moves = [_move(i, start + dt.timedelta(days=7 * i), (37 * i) % 100) for i in range(100)]
    chart = views._chart(moves)
    assert chart is not None and chart.total == 100
    largest = [m.task.name for m in moves if m.delay_days >= 60]
    assert [r.name for r in chart.rows] == largest and len(largest) == views.CHART_ROWS
    assert chart.height == 24 + 40 * views.ROW_HEIGHT + 4
    # A one-day bar over 2 years is still drawn, and the gridlines are quarters by month name.
    assert min(r.before_w for r in chart.rows) == 2
    first, last = (
        min(m.start_before for m in moves if m.delay_days >= 60),
        max(m.finish_after for m in moves if m.delay_days >= 60),
    )
    assert (last - first).days > 400
    assert all(label[:3] in {"Jan", "Apr", "Jul", "Oct"} for _, label in chart.ticks)
    # A short preview keeps every task, and its gridlines are Mondays.
    few = views._chart(moves[:5])
    assert few is not None and few.total == 5 and len(few.rows) == 5
    assert all(label[:2].strip().isdigit() for _, label in few.ticks)


def test_a_big_preview_can_be_applied_from_the_page_form() -> None:
    from twofold.capacity.forms import MAX_MOVES, ApplyForm

    # The 2,000-task plan's preview moved 1,269 tasks: 21,565 characters, refused at 20,000.
    moves = ",".join(f"{100000 + i}:2027-02-{1 + i % 28:02d}" for i in range(1500))
    assert len(moves) > 20000
    form = ApplyForm({"version": "v", "moves": moves})
    assert form.is_valid(), form.errors
    assert len(form.cleaned_data["moves"]) == 1500
    assert form.cleaned_data["moves"][100001] == dt.date(2027, 2, 2)
    too_many = ",".join(f"{i}:2027-02-01" for i in range(1, MAX_MOVES + 2))
    refused = ApplyForm({"version": "v", "moves": too_many})
    assert not refused.is_valid()
    assert refused.errors["moves"] == [
        "At most 20,000 moves can be applied at once; this preview has 20,001."
    ]


def test_a_plan_levelling_cannot_take_gets_the_previews_message(
    owner: Any, project: Any, clash: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from twofold.engine import levelling_problem

    # As if the plan spanned more periods than levelling holds (10⁶: about 500 tasks of 2,000
    # days): the problem was built outside the preview's guard and answered 500.
    monkeypatch.setattr(levelling_problem, "MAX_SPAN", 3)
    preview = services.preview_levelling(actor=owner, project=project)
    assert preview.moves == [] and "cannot be levelled" in preview.error
