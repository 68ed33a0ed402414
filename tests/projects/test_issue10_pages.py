"""Issue 10 ("From zero"), item 9: the project pages' defects, one test (or more) each."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from twofold.capacity import services as capacity_services
from twofold.comments.models import Comment
from twofold.core.models import HistoryEntry
from twofold.projects import selectors, services
from twofold.projects.dates import finish_day
from twofold.projects.health import Facts, Level, assess
from twofold.projects.models import GateItem, Link, Project, Task
from twofold.risks.models import RiskAnalysis

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _inline(client, project, task, **data):
    return client.post(
        f"/projects/{project.pk}/tasks/{task.pk}/inline/",
        {"version": task.version, **data},
        HTTP_HX_REQUEST="true",
    )


# --- The task grid refuses bad cells out loud -----------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "duration_days",
            "-5",
            "A duration cannot be negative: enter 0 (a milestone) to 2000 days.",
        ),
        ("percent_complete", "150", "Percent complete is between 0 and 100: 100 means done."),
        ("duration_days", "abc", "Enter the duration as a number of working days, e.g. 3 or 2.5."),
    ],
)
def test_a_refused_cell_shows_its_error_inline_and_saves_nothing(
    client, project, chain, owner, field, value, message
):
    a = chain[0]
    client.force_login(owner)
    r = _inline(client, project, a, **{field: value})
    html = r.content.decode()
    assert r.status_code == 422
    assert html.startswith('<div id="wbs"')  # the grid again, swapped in by tasks.js
    label = "Duration" if field == "duration_days" else "Percent complete"
    assert f"{label} of “A” not saved: {message}" in html
    row = html[html.index(f'id="task-{a.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f'name="{field}"' in row and f'value="{value}" aria-invalid="true"' in row
    assert f'<span class="cell-error" id="cell-error-{a.pk}">{message}</span>' in row
    a.refresh_from_db()
    assert (a.duration_minutes, a.percent_complete, a.version) == (1440, 0, chain[0].version)


def test_a_valid_cell_still_saves(client, project, chain, owner):
    a = chain[0]
    client.force_login(owner)
    r = _inline(client, project, a, percent_complete="40")
    assert r.status_code == 200 and "aria-invalid" not in r.content.decode()
    a.refresh_from_db()
    assert a.percent_complete == 40


def test_the_tasks_page_loads_the_script_that_swaps_refusals(client, project, chain, owner):
    client.force_login(owner)
    html = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    assert "projects/tasks.js" in html
    # Each cell says what it is: on a phone the rows become cards labelled from these.
    assert 'data-label="Days"' in html and 'data-label="% complete"' in html


# --- Completing a task keeps its start and its duration --------------------------------------


def test_done_keeps_the_scheduled_start_and_the_duration(client, project, chain, owner):
    a = chain[0]  # 3 days, Mon 3 - Wed 5 Mar 2025 (in the past)
    client.force_login(owner)
    r = client.post(
        f"/projects/{project.pk}/board/move/",
        {"task": a.pk, "status": "done", "version": a.version},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    a.refresh_from_db()
    assert (a.status, a.percent_complete) == ("done", 100)
    assert (a.actual_start, a.actual_finish) == (dt.date(2025, 3, 3), dt.date(2025, 3, 5))
    assert a.duration_minutes == 3 * 480
    assert (a.start, a.finish) == (
        dt.datetime(2025, 3, 3, 8, tzinfo=UTC),
        dt.datetime(2025, 3, 5, 17, tzinfo=UTC),
    )


def test_done_ahead_of_plan_ends_today_still_as_long(org, owner):
    later = services.create_project(
        actor=owner, organisation=org, name="Later", code="LAT", target_start=dt.date(2030, 6, 3)
    )
    task, _ = services.create_task(actor=owner, project=later, name="T", duration_minutes=1440)
    task.refresh_from_db()
    task, _ = services.update_task(
        actor=owner, task=task, expected_version=task.version, status="done"
    )
    task.refresh_from_db()
    assert task.actual_finish is not None and task.actual_start is not None
    assert task.actual_finish <= dt.date.today()
    working = [
        task.actual_start + dt.timedelta(days=i)
        for i in range((task.actual_finish - task.actual_start).days + 1)
        if (task.actual_start + dt.timedelta(days=i)).weekday() < 5
    ]
    assert len(working) == 3  # still a 3-day task
    assert task.finish.date() == task.actual_finish and task.start.date() == task.actual_start


def test_done_keeps_a_recorded_actual_start(project, chain, owner):
    a = chain[0]
    a, _ = services.update_task(
        actor=owner, task=a, expected_version=a.version, actual_start=dt.date(2025, 3, 4)
    )
    a.refresh_from_db()
    a, _ = services.update_task(actor=owner, task=a, expected_version=a.version, status="done")
    a.refresh_from_db()
    assert (a.actual_start, a.actual_finish) == (dt.date(2025, 3, 4), dt.date(2025, 3, 6))


# --- One end-of-day convention ---------------------------------------------------------------


def test_finish_day_convention():
    tue_end = dt.datetime(2025, 3, 4, 17)
    wed_start = dt.datetime(2025, 3, 5, 8)
    mon = dt.datetime(2025, 3, 3, 8)
    assert finish_day(tue_end) == dt.date(2025, 3, 4)
    assert finish_day(wed_start, start=mon) == dt.date(2025, 3, 4)  # same moment of the plan
    assert finish_day(dt.datetime(2025, 3, 8, 10), start=mon) == dt.date(2025, 3, 7)  # Saturday
    assert finish_day(mon, start=mon) == dt.date(2025, 3, 3)  # a milestone keeps its own day
    assert finish_day(wed_start.replace(tzinfo=UTC), UTC, start=mon.replace(tzinfo=UTC)) == (
        dt.date(2025, 3, 4)
    )
    assert finish_day(None) is None


def test_every_view_shows_the_same_finish_date(client, project, chain, owner):
    """Header, WBS, overview, schedule risk and the levelling preview: 7 Mar 2025 (the plan
    ends with milestone M at Friday 17:00)."""
    client.force_login(owner)
    m = chain[2]
    project.refresh_from_db()
    assert project.scheduled_finish == dt.datetime(2025, 3, 7, 17, tzinfo=UTC)
    for url in (f"/projects/{project.pk}/tasks/", f"/projects/{project.pk}/gantt/"):
        html = client.get(url).content.decode()
        assert "finishes <span data-project-finish>7 Mar 2025</span>" in html, url
    wbs = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    row = wbs[wbs.index(f'id="task-{m.pk}"') :]
    assert '<td class="nowrap" data-label="Finish">Fri 7 Mar 2025</td>' in row[: row.index("</tr>")]
    # Schedule risk: every estimate at its planned value, so the run's finish is the plan's.
    client.post(
        f"/risks/projects/{project.pk}/schedule/",
        {"version": "1", "distribution": "triangular", "iterations": "500", "seed": "1"},
    )
    analysis = RiskAnalysis.objects.get(project=project)
    assert finish_day(analysis.deterministic_finish) == dt.date(2025, 3, 7)
    risk = client.get(f"/risks/projects/{project.pk}/schedule/").content.decode()
    assert "planned (most likely) 7 Mar 2025" in risk
    # Levelling preview (no one is assigned: nothing moves): the same finish, M on the 7th too.
    preview = capacity_services.preview_levelling(actor=owner, project=project)
    assert preview.finish_before == dt.date(2025, 3, 7)
    ms = next(r for r in preview.all_rows if r.task.pk == m.pk)
    assert ms.finish_before == ms.finish_after == dt.date(2025, 3, 7)


def test_a_milestone_constrained_to_a_monday_stays_on_monday(client, project, chain, owner):
    m = chain[2]
    services.update_task(
        actor=owner,
        task=m,
        expected_version=m.version,
        constraint_type="snet",
        constraint_date=dt.date(2025, 3, 10),
    )
    m.refresh_from_db()
    assert m.finish == dt.datetime(2025, 3, 10, 8, tzinfo=UTC)
    client.force_login(owner)
    wbs = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    row = wbs[wbs.index(f'id="task-{m.pk}"') :]
    assert (
        '<td class="nowrap" data-label="Finish">Mon 10 Mar 2025</td>' in row[: row.index("</tr>")]
    )
    preview = capacity_services.preview_levelling(actor=owner, project=project)
    ms = next(r for r in preview.all_rows if r.task.pk == m.pk)
    assert ms.finish_before == dt.date(2025, 3, 10)


# --- Health: a project with no tasks is "Not planned" ----------------------------------------


def test_no_tasks_is_not_planned_not_on_track(client, org, owner, project):
    assert assess(Facts(planned=False)).level == Level.NOT_PLANNED
    assert assess(Facts(planned=False)).label == "Not planned"
    assert assess(Facts(planned=False, open_high_risks=1)).level == Level.AMBER
    cards = selectors.portfolio(org, sparklines=False)
    assert [(c.project.code, c.health.label) for c in cards] == [("PLU", "Not planned")]
    client.force_login(owner)
    report = client.get("/reports/").content.decode()
    assert re.search(r"<strong>1</strong> not planned", report)
    assert "on track" not in report
    page = client.get("/?health=not_planned").content.decode()
    assert "Press line upgrade" in page


def test_a_planned_project_is_judged_as_before(org, project, chain):
    cards = selectors.portfolio(org, sparklines=False)
    assert cards[0].health.level != Level.NOT_PLANNED


# --- One tab set per project, the right section lit ------------------------------------------


@pytest.mark.parametrize(
    ("url", "tab"),
    [
        ("risks:project", "Risks"),
        ("risks:schedule", "Schedule risk"),
        ("capacity:level", "Level resources"),
        ("projects:gantt", "Gantt"),
    ],
)
def test_project_tabs_stay_in_the_project(client, project, chain, owner, url, tab):
    client.force_login(owner)
    html = client.get(reverse(url, args=[project.pk])).content.decode()
    tabs = html[html.index('<nav class="tabs" aria-label="Project">') :]
    tabs = tabs[: tabs.index("</nav>")]
    assert re.findall(r'aria-current="page">([^<]+)<', tabs) == [tab]
    for name in ("Overview", "Tasks", "Gantt", "Board", "Gates", "Risks", "Schedule risk"):
        assert f">{name}</a>" in tabs
    assert html.count('<nav class="tabs"') == 1
    lit = re.findall(r'<li><a href="[^"]+" aria-current="page">([^<]+)</a></li>', html)
    assert lit == ["Projects"]


# --- Gates --------------------------------------------------------------------------------------


def _to_planning(owner, project):
    gate = project.gates.get(phase="initiation")
    for item in gate.items.all():
        services.toggle_gate_item(actor=owner, item=item, done=True)
    services.pass_gate(actor=owner, gate=gate, expected_version=gate.version)
    project.refresh_from_db()


def test_sign_off_is_really_disabled_until_the_checklist_is_done(client, project, owner):
    client.force_login(owner)
    html = client.get(f"/projects/{project.pk}/gates/").content.decode()
    assert re.search(r'<button type="submit" class="btn btn-primary" disabled[^>]*>Sign off', html)
    assert (
        "Sign-off opens when the checklist is complete: Charter approved by the sponsor, "
        "Stakeholders identified." in html
    )


def test_a_saved_baseline_ticks_schedule_baselined(client, project, chain, owner):
    _to_planning(owner, project)
    item = GateItem.objects.get(gate__project=project, text="Schedule baselined")
    assert item.done is False
    services.save_baseline(actor=owner, project=project, name="Agreed plan")
    item.refresh_from_db()
    assert item.done is True
    assert HistoryEntry.objects.filter(summary="Ticked “Schedule baselined”").exists()


def test_a_baseline_saved_in_initiation_ticks_when_planning_opens(project, chain, owner):
    services.save_baseline(actor=owner, project=project, name="Early")
    item = GateItem.objects.get(gate__project=project, text="Schedule baselined")
    assert item.done is False  # a later gate's checklist is not ticked ahead of time
    _to_planning(owner, project)
    item.refresh_from_db()
    assert item.done is True


def test_a_later_gates_items_cannot_be_ticked(client, project, owner):
    item = GateItem.objects.get(gate__project=project, text="Handover to operations signed")
    client.force_login(owner)
    r = client.post(f"/projects/{project.pk}/gates/items/{item.pk}/toggle/", {"done": "1"})
    assert r.status_code == 422
    assert "opens when the project reaches Execution" in r.content.decode()
    item.refresh_from_db()
    assert item.done is False


# --- Long names ----------------------------------------------------------------------------------


def test_a_too_long_task_name_is_a_form_error_naming_the_limit(client, project, owner):
    client.force_login(owner)
    r = client.post(f"/projects/{project.pk}/tasks/", {"name": "x" * 10000, "duration_days": "1"})
    html = r.content.decode()
    assert r.status_code == 400
    assert "A name can be at most 200 characters; this one has 10000." in html
    assert not Task.objects.filter(project=project).exists()
    page = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    assert 'maxlength="200"' not in page  # the browser must not cut a pasted name silently


def test_a_too_long_project_name_is_a_form_error(client, org, owner):
    client.force_login(owner)
    r = client.post(
        "/projects/new/", {"name": "y" * 10000, "code": "LONG", "target_start": "2025-03-03"}
    )
    assert r.status_code in (400, 422)
    assert "A name can be at most 160 characters; this one has 10000." in r.content.decode()
    assert not Project.objects.filter(code="LONG").exists()
    assert 'maxlength="160"' not in client.get("/projects/new/").content.decode()


def test_services_refuse_long_names_too(project, owner):
    from twofold.core.errors import Invalid

    with pytest.raises(Invalid) as exc:
        services.create_task(actor=owner, project=project, name="z" * 201)
    assert exc.value.field == "name"
    assert exc.value.message == "A name can be at most 200 characters; this one has 201."


# --- Delete asks first and names what goes with it -------------------------------------------------


def test_delete_asks_first_naming_the_subtree(client, project, chain, owner):
    a = chain[0]
    p, _ = services.create_task(actor=owner, project=project, name="P")
    c1, _ = services.create_task(actor=owner, project=project, name="C1", parent=p)
    c2, _ = services.create_task(actor=owner, project=project, name="C2", parent=p)
    services.add_link(actor=owner, project=project, pred=c1, succ=c2)
    services.add_link(actor=owner, project=project, pred=a, succ=c1)
    Comment.objects.create(
        organisation=project.organisation,
        target_kind="task",
        target_id=c1.pk,
        author=owner,
        body="Hi",
    )
    client.force_login(owner)
    url = f"/projects/{project.pk}/tasks/{p.pk}/delete/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Move “P” to the trash?" in html
    assert "It goes together with 2 subtasks, 2 links, 1 comment:" in html
    assert '<strong>2 subtasks</strong>: <span class="long-text">C1, C2</span>' in html
    assert "An admin can restore it" in html and "within 30 days" in html
    assert "Move 3 tasks to trash" in html
    assert Task.objects.filter(project=project).count() == 6  # nothing deleted by looking
    wbs = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    assert f'href="{url}"' in wbs  # the ✕ opens the question
    r = client.post(url)
    assert r.status_code == 302
    assert list(Task.objects.filter(project=project).values_list("name", flat=True)) == [
        "A",
        "B",
        "M",
    ]
    assert Link.objects.filter(project=project).count() == 2
    assert HistoryEntry.objects.filter(
        summary="Moved task P to the trash with 2 subtasks, 2 links, 1 comment"
    ).exists()


def test_delete_question_for_a_guest_is_refused(client, project, chain, guest):
    client.force_login(guest)
    url = f"/projects/{project.pk}/tasks/{chain[0].pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Task.objects.filter(pk=chain[0].pk).exists()


def test_delete_question_query_count_is_constant(
    client, project, chain, owner, django_assert_max_num_queries
):
    client.force_login(owner)
    url = f"/projects/{project.pk}/tasks/{chain[0].pk}/delete/"
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    for i in range(20):
        services.create_task(actor=owner, project=project, name=f"T{i}", parent=chain[0])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


# --- The Gantt's raw rows --------------------------------------------------------------------------


def test_gantt_rows_read_raw_match_the_model(project, chain):
    tree = selectors.outline(project)
    assert [(r.wbs, r.depth) for r in tree] == [("1", 0), ("2", 0), ("3", 0)]
    rows = selectors.gantt_rows(project, tree)
    for row, task in zip(rows, chain, strict=True):
        t = row.task
        assert (t.pk, t.name, t.start, t.finish) == (task.pk, task.name, task.start, task.finish)
        assert t.start.tzinfo is not None
        assert (t.is_milestone, t.is_critical, t.version) == (
            task.is_milestone,
            task.is_critical,
            task.version,
        )


def test_gantt_shading_is_one_function(project, chain):
    from twofold.projects import gantt
    from twofold.projects.scheduling import compiled_calendar

    runs = gantt.shaded_day_ranges(compiled_calendar(), dt.date(2025, 3, 3), 14)  # Mon 3 - Sun 16
    assert runs == ((5, 2), (12, 2))


def test_api_says_what_a_delete_takes(api, project, chain, owner, outsider):
    a = chain[0]
    services.create_task(actor=owner, project=project, name="Child", parent=a)
    base = f"/api/organisations/{project.organisation_id}/projects/{project.pk}/tasks/{a.pk}"
    r = api(owner).get(f"{base}/deletion")
    assert r.status_code == 200
    assert r.json() == {"subtasks": ["Child"], "links": 1, "comments": 0, "attachments": 0}
    assert api(outsider).get(f"{base}/deletion").status_code == 404


def test_the_gantt_of_a_project_without_tasks_renders(client, project, owner):
    client.force_login(owner)
    r = client.get(f"/projects/{project.pk}/gantt/")
    assert r.status_code == 200 and b'class="gantt-svg"' in r.content
    assert selectors.raw_rows(Task.objects.filter(pk__in=[]).values_list("pk")) == []


def test_the_levelling_table_shows_a_milestone_on_one_day(client, project, chain, owner):
    """A milestone at Friday 17:00 is released on Monday for the levelling engine (its
    "start no earlier than" if applied) but shows as Friday, not "Mon 10 Mar – 7 Mar"."""
    from twofold.capacity import levelling

    preview = capacity_services.preview_levelling(actor=owner, project=project)
    ms = next(r for r in preview.all_rows if r.task.pk == chain[2].pk)
    assert (ms.start_before, ms.finish_before) == (dt.date(2025, 3, 10), dt.date(2025, 3, 7))
    moved = levelling.Preview(
        project, [ms], preview.version, "heuristic", ms.finish_before, ms.finish_after
    )
    from django.template.loader import render_to_string

    html = render_to_string(
        "capacity/partials/level_result.html", {"preview": moved, "project": project}
    )
    assert "Fri 7 Mar 2025</td>" in html and "Mon 10 Mar" not in html
