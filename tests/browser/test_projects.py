"""Projects in a real browser: portfolio, Gantt and board with the demo story, and a full flow."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, drag_and_wait, edit_inline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _project_id(name):
    from twofold.projects.models import Project

    return Project.objects.get(name=name).pk


def test_demo_portfolio_gantt_board(page, live_server, demo_org, sign_in, shot):
    sign_in()
    page.goto(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Line 3 automation cell").is_visible()
    card = page.locator(
        "article.pcard", has=page.get_by_role("heading", name="Line 3 automation cell")
    )
    assert card.locator(".badge").inner_text() == "Off track"
    iso = page.locator(
        "article.pcard", has=page.get_by_role("heading", name="ISO 9001 recertification")
    )
    assert iso.locator(".badge").inner_text() == "On track"
    shot("projects-portfolio")
    page.goto(f"{live_server.url}/projects/")
    shot("projects-list")
    line3 = _project_id("Line 3 automation cell")
    page.goto(f"{live_server.url}/projects/{line3}/")
    shot("projects-overview")
    page.goto(f"{live_server.url}/projects/{line3}/gantt/")
    assert page.locator(".g-task.g-crit").count() > 3
    assert page.locator(".g-baseline").count() > 10
    shot("projects-gantt")
    page.goto(f"{live_server.url}/projects/{line3}/gantt/?zoom=days")
    shot("projects-gantt-days")
    # The task names stay in view while the chart scrolls sideways (a frozen column).
    name = page.locator("#gantt-names .g-label", has_text="Robot cell installation")
    at_rest = name.bounding_box()["x"]
    page.evaluate("document.getElementById('gantt').scrollLeft = 900")
    page.wait_for_function("document.getElementById('gantt-names').getAttribute('transform')")
    assert name.bounding_box()["x"] == pytest.approx(at_rest, abs=1)
    assert page.locator("#gantt-names").get_attribute("transform") == "translate(900,0)"
    shot("projects-gantt-scrolled")
    # On a phone the frame opens at today, with a narrower column of names beside the bars.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/projects/{line3}/gantt/")
    frame = page.locator("#gantt")
    assert frame.evaluate("f => f.scrollLeft") > 0
    width = page.locator("#gantt-names .g-labels").get_attribute("width")
    assert 120 <= float(width) < 300
    assert name.is_visible()
    shot("phone-projects-gantt")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/projects/{line3}/board/")
    shot("projects-board")
    page.goto(f"{live_server.url}/projects/{line3}/tasks/")
    shot("projects-tasks")
    page.goto(f"{live_server.url}/projects/{line3}/baselines/")
    shot("projects-baselines")
    page.goto(f"{live_server.url}/projects/{line3}/gates/")
    shot("projects-gates")
    page.goto(f"{live_server.url}/my-work/")
    shot("projects-my-work")


def test_create_plan_link_board_gate_baseline(page, live_server, demo_org, sign_in, shot):
    sign_in()
    page.goto(f"{live_server.url}/projects/new/")
    page.get_by_label("Name").fill("Paint shop extraction")
    page.get_by_label("Code").fill("PSE-1")
    page.get_by_role("button", name="Create project").click()
    assert page.get_by_role("heading", name=re.compile("Paint shop extraction")).is_visible()
    page.get_by_role("link", name="Tasks").click()
    for name, days in [("Survey", "2"), ("Install ducting", "5"), ("Fit filters", "1")]:
        page.locator("#id_name").fill(name)
        page.get_by_label("Duration (days)").fill(days)
        page.get_by_role("button", name="Add", exact=True).click()
        assert page.get_by_role("textbox", name=f"Name of {name}").is_visible()
    page.get_by_label("Predecessor").select_option(label="Survey")
    page.get_by_label("Successor").select_option(label="Install ducting")
    page.get_by_role("button", name="Add link").click()
    assert "Linked Survey → Install ducting" in page.locator(".flashes").inner_text()
    # Inline edit via htmx: the response says what moved.
    assert edit_inline(page, "Duration in days of Survey", "4").status == 200
    page.wait_for_selector("text=Saved Survey")
    assert "2 tasks moved" in page.locator(".wbs-status").inner_text()
    # The status line came with the swapped table (a new live region, which screen readers do
    # not announce): app.js speaks it through the region it keeps on the page.
    expect(page.locator("[data-announcer=polite]")).to_contain_text("2 tasks moved")
    # The assignee list holds only its choice until it is focused; then the people are there.
    assignee = page.get_by_role("combobox", name="Assignee of Survey", exact=True)
    assert assignee.locator("option").count() == 1
    assignee.focus()
    people = assignee.locator("option").count()
    assert people > 2
    chosen = assignee.locator("option").nth(2).inner_text()
    with page.expect_response(re.compile(r"/inline/$")) as answer:
        assignee.select_option(index=2)
    assert answer.value.status == 200
    page.wait_for_selector("text=Saved Survey")
    assignee = page.get_by_role("combobox", name="Assignee of Survey", exact=True)
    assert assignee.locator("option:checked").inner_text() == chosen
    # Indent and outdent from the row: the table comes back with what happened.
    with page.expect_response(re.compile(r"/indent/$")) as answer:
        page.get_by_role("button", name="Indent Fit filters").click()
    assert answer.value.status == 200
    page.wait_for_selector("text=Indent: Fit filters.")
    with page.expect_response(re.compile(r"/outdent/$")) as answer:
        page.get_by_role("button", name="Outdent Fit filters").click()
    assert answer.value.status == 200
    page.wait_for_selector("text=Outdent: Fit filters.")
    shot("projects-flow-tasks")
    page.get_by_role("link", name="Gantt").click()
    expect(page.locator(".g-task.g-crit")).to_have_count(2)
    shot("projects-flow-gantt")
    # Board: drag "Survey" to Doing, reload, still there.
    page.get_by_role("link", name="Board").click()
    card = page.locator(".board-card", has_text="Survey")
    target = page.locator('.board-list[data-status="doing"]')
    assert drag_and_wait(page, card, target, re.compile(r"/board/move/")).status == 200
    page.wait_for_load_state("networkidle")
    page.reload()
    assert (
        page.locator('.board-list[data-status="doing"] .board-card', has_text="Survey").count() == 1
    )
    shot("projects-flow-board")
    # Gate: tick the checklist and sign off (the demo user is an admin or owner).
    page.get_by_role("link", name="Gates").click()
    for label in ["Charter approved by the sponsor", "Stakeholders identified"]:
        page.get_by_role("button", name=label).click()
    page.get_by_role("button", name="Sign off and move to Planning").click()
    assert "now in Planning" in page.locator(".flashes").inner_text()
    shot("projects-flow-gates")
    # Baseline, then a change, then the variance.
    page.get_by_role("link", name="Baselines").click()
    page.get_by_role("button", name="Save baseline").click()
    page.get_by_role("link", name="Tasks").click()
    assert edit_inline(page, "Duration in days of Install ducting", "8").status == 200
    page.wait_for_selector("text=Saved Install ducting")
    page.get_by_role("link", name="Baselines").click()
    page.get_by_role("link", name=re.compile("0 · Baseline")).click()
    assert page.locator("td.var-late", has_text="+3 d").count() >= 1
    shot("projects-flow-baseline")


def test_board_moves_swap_columns_and_stale_moves_say_why(
    page, live_server, demo_org, sign_in, shot
):
    from twofold.projects.models import Task

    sign_in()
    line3 = _project_id("Line 3 automation cell")
    page.goto(f"{live_server.url}/projects/{line3}/board/")
    page.evaluate("window.__noReload = true")
    # Count the live refreshes (static/activity/live.js), to know when the board has caught up.
    page.evaluate(
        "window.__liveSwaps = 0;"
        " document.addEventListener('twofold:live', () => { window.__liveSwaps += 1; })"
    )
    todo = page.locator('.board-list[data-status="todo"] .board-card').first
    name = todo.locator("a").inner_text()
    target = page.locator('.board-list[data-status="review"]')
    assert drag_and_wait(page, todo, target, re.compile(r"/board/move/")).status == 200
    # The columns were swapped in place by htmx: same page, card in Review, the version follows.
    moved = page.locator('.board-list[data-status="review"] .board-card', has_text=name)
    moved.wait_for()
    assert page.evaluate("window.__noReload") is True
    task = Task.objects.get(project_id=line3, name=name)
    assert task.status == "review"
    assert moved.get_attribute("data-version") == str(task.version)
    shot("projects-board-swapped")
    # Someone else edits the card meanwhile: the next move is refused and the page says why.
    # First the live refresh that the move itself set off (its counter went up): had it come
    # after the edit below, it would have shown the board fresh, and the move would be fine.
    page.wait_for_function("() => window.__liveSwaps >= 1")
    Task.objects.filter(pk=task.pk).update(version=task.version + 1)
    doing = page.locator('.board-list[data-status="doing"]')
    assert drag_and_wait(page, moved, doing, re.compile(r"/board/move/")).status == 409
    page.wait_for_selector(".flash-error")
    assert f"Someone else changed “{name}”" in page.locator(".flashes").inner_text()
    assert Task.objects.get(pk=task.pk).status == "review"
    shot("projects-board-stale")


def test_keyboard_focus_stays_on_a_moved_card_through_the_live_refresh(
    page, live_server, demo_org, sign_in
):
    """The once-a-second live refresh swapped the columns after the viewer's own keyboard move
    and focus fell to <body> (an accessibility review found it)."""
    sign_in()
    line3 = _project_id("Line 3 automation cell")
    page.goto(f"{live_server.url}/projects/{line3}/board/")
    page.evaluate(
        "window.__liveSwaps = 0;"
        " document.addEventListener('twofold:live', () => { window.__liveSwaps += 1; })"
    )
    link = page.locator('.board-list[data-status="todo"] .board-card > a').first
    name = link.inner_text()
    link.focus()
    with page.expect_response(re.compile(r"/board/move/")):
        page.keyboard.press("Alt+ArrowRight")
    page.wait_for_function("() => window.__liveSwaps >= 1")
    page.wait_for_timeout(300)
    assert page.evaluate("document.activeElement.textContent") == name
    assert page.evaluate("document.activeElement.closest('.board-list').dataset.status") == "doing"


def test_gantt_resize_and_link_by_dragging(page, live_server, demo_org, sign_in, shot):
    import datetime as dt

    from twofold.accounts.models import User
    from twofold.demo.people import DEMO_EMAIL
    from twofold.projects import services
    from twofold.projects.models import Link, Task

    dana = User.objects.get(email=DEMO_EMAIL)
    today = dt.date.today()
    monday = today + dt.timedelta(days=7 - today.weekday())
    project = services.create_project(
        actor=dana,
        organisation=demo_org,
        name="Coolant filtration retrofit",
        code="CFR-1",
        target_start=monday,
    )
    tasks = {}
    for name, days in [("Survey coolant loop", 2), ("Fit drum filter", 3), ("Commission", 1)]:
        tasks[name], _ = services.create_task(
            actor=dana, project=project, name=name, duration_minutes=days * 480
        )
    survey, fit = tasks["Survey coolant loop"], tasks["Fit drum filter"]
    sign_in()
    page.goto(f"{live_server.url}/projects/{project.pk}/gantt/?zoom=days")
    page.evaluate("window.__noReload = true")
    status = page.locator("#gantt-status")
    # Resize: drag Survey's right edge two days to the right (Tue → Thu): 4 working days.
    edge = page.locator(f'.g-task[data-task="{survey.pk}"] .g-resize').bounding_box()
    x, y = edge["x"] + edge["width"] / 2, edge["y"] + edge["height"] / 2
    with page.expect_response(re.compile(r"/resize/")) as response:
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 30, y, steps=4)
        page.mouse.move(x + 56, y, steps=4)
        page.mouse.up()
    assert response.value.status == 200
    page.wait_for_selector(f'.g-task[data-task="{survey.pk}"][data-days="4"]')
    assert status.inner_text().startswith("Survey coolant loop now takes 4 working days")
    assert page.evaluate("window.__noReload") is True
    assert Task.objects.get(pk=survey.pk).duration_minutes == 4 * 480
    shot("projects-gantt-resized")
    # Link: drag Survey's handle onto "Fit drum filter", pick finish-to-start, create.
    page.locator(f'.g-task[data-task="{survey.pk}"] .g-bar').hover()
    handle = page.locator(f'.g-task[data-task="{survey.pk}"] .g-handle').bounding_box()
    bar = page.locator(f'.g-task[data-task="{fit.pk}"] .g-bar').bounding_box()
    page.mouse.move(handle["x"] + 4, handle["y"] + 4)
    page.mouse.down()
    page.mouse.move(bar["x"] + 20, bar["y"] + 7, steps=8)
    assert page.locator(f'.g-task[data-task="{fit.pk}"].drop-target').count() == 1
    page.mouse.up()
    popover = page.locator("#gantt-link-pop")
    popover.wait_for()
    assert popover.locator(".gantt-pop-title").inner_text() == (
        "Link Survey coolant loop → Fit drum filter"
    )
    shot("projects-gantt-link-popover")
    page.get_by_label("Link type").select_option("FS")
    with page.expect_response(re.compile(r"/gantt/links/")) as response:
        page.get_by_role("button", name="Create link").click()
    assert response.value.status == 201
    page.locator(".g-link").first.wait_for()
    assert status.inner_text().startswith("Linked Survey coolant loop → Fit drum filter (FS)")
    assert page.evaluate("window.__noReload") is True
    shot("projects-gantt-linked")
    # A cycle is refused with the engine's message, on the page.
    fit = Task.objects.get(pk=fit.pk)
    page.locator(f'.g-task[data-task="{fit.pk}"] .g-bar').hover()
    handle = page.locator(f'.g-task[data-task="{fit.pk}"] .g-handle').bounding_box()
    bar = page.locator(f'.g-task[data-task="{survey.pk}"] .g-bar').bounding_box()
    page.mouse.move(handle["x"] + 4, handle["y"] + 4)
    page.mouse.down()
    page.mouse.move(bar["x"] + 20, bar["y"] + 7, steps=8)
    page.mouse.up()
    with page.expect_response(re.compile(r"/gantt/links/")) as response:
        page.get_by_role("button", name="Create link").click()
    assert response.value.status == 422
    page.wait_for_selector("#gantt-status.flash-error")
    assert "would create a dependency cycle" in status.inner_text()
    shot("projects-gantt-cycle")
    # After a reload the values persist.
    page.reload()
    assert page.locator(f'.g-task[data-task="{survey.pk}"]').get_attribute("data-days") == "4"
    assert page.locator(".g-link").count() == 1
    link = Link.objects.get(project=project)
    assert (link.pred_id, link.succ_id, link.type) == (survey.pk, fit.pk, "FS")
    fit.refresh_from_db()
    assert fit.start.date() == monday + dt.timedelta(days=4)
    shot("projects-gantt-after-reload")


def _task_id(project_id, name):
    from twofold.projects.models import Task

    return Task.objects.get(project_id=project_id, name=name).pk


def test_issue10_grid_board_gantt_gates_tabs_desktop_and_phone(
    page, live_server, demo_org, sign_in, shot
):
    """Issue 10: inline cell errors, the delete question, long names, project tabs, gates; every
    page at desktop width and at 390 px (task cards, the Gantt scrolling in its own frame)."""
    from twofold.accounts.models import User
    from twofold.projects import services
    from twofold.projects.models import Project

    line3 = _project_id("Line 3 automation cell")
    owner = User.objects.get(email="demo@twofold.example")
    long_name = ("Decommission the legacy conveyor controls and " * 4).strip()[:160]
    services.create_project(
        actor=owner,
        organisation=Project.objects.get(pk=line3).organisation,
        name=long_name,
        code="LONG-1",
        target_start=Project.objects.get(pk=line3).target_start,
    )
    sign_in()
    base = f"{live_server.url}/projects/{line3}"

    # The grid refuses -5 days inline, next to the cell, and keeps what was typed.
    page.goto(f"{base}/tasks/")
    cell = page.locator("input[name=duration_days]").first
    cell.fill("-5")
    cell.dispatch_event("change")
    error = page.locator(".cell-error")
    error.wait_for()
    assert "A duration cannot be negative" in error.inner_text()
    assert page.locator('input[aria-invalid="true"]').input_value() == "-5"
    assert "not saved" in page.locator(".wbs-status .flash-error").inner_text()
    expect(page.locator("[data-announcer=assertive]")).to_contain_text("not saved")
    shot("issue10-tasks-cell-error")

    # The ✕ asks first, naming what goes with it.
    page.locator("a.icon-danger").first.click()
    assert page.get_by_role("heading", name=re.compile("^Move “.*” to the trash\\?$")).is_visible()
    assert page.get_by_text("An admin can restore it").is_visible()
    shot("issue10-task-delete-question")
    page.get_by_role("link", name="Cancel").click()

    # A 10,000-character name: a form error that states the limit; nothing is cut.
    page.goto(f"{base}/tasks/")
    page.locator("#id_name").fill("n" * 10000)
    page.get_by_role("button", name="Add", exact=True).click()
    assert page.get_by_text(
        "A name can be at most 200 characters; this one has 10000."
    ).is_visible()
    shot("issue10-tasks-long-name-error")

    # Project tabs: Risks, Schedule risk and Level resources stay in the project's tab set.
    for path, tab in (
        (f"/risks/projects/{line3}/", "Risks"),
        (f"/risks/projects/{line3}/schedule/", "Schedule risk"),
        (f"/capacity/projects/{line3}/level/", "Level resources"),
    ):
        page.goto(f"{live_server.url}{path}")
        tabs = page.get_by_role("navigation", name="Project")
        assert tabs.locator('[aria-current="page"]').inner_text() == tab
        nav = page.get_by_role("navigation", name="Main")
        if nav.count():
            assert nav.locator('[aria-current="page"]').inner_text() == "Projects"
        shot(f"issue10-tab-{tab.lower().replace(' ', '-')}")

    page.goto(f"{base}/gates/")
    shot("issue10-gates")
    page.goto(f"{live_server.url}/")
    shot("issue10-portfolio-long-name")

    # Phone: every page usable at 390 px.
    page.set_viewport_size({"width": 390, "height": 844})
    for name, path in (
        ("tasks", f"{base}/tasks/"),
        ("board", f"{base}/board/"),
        ("gantt", f"{base}/gantt/"),
        ("gates", f"{base}/gates/"),
        ("overview", f"{base}/"),
        ("schedule-risk", f"{live_server.url}/risks/projects/{line3}/schedule/"),
        ("level", f"{live_server.url}/capacity/projects/{line3}/level/"),
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        shot(f"issue10-phone-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392"
            " && !e.closest('#gantt')).slice(0, 8).map(e => e.tagName + '.' + e.className + '<' + e.parentElement.className)"
        )
        assert width <= 392, (name, width, wide)  # only the Gantt's own frame scrolls sideways
    page.goto(f"{live_server.url}/")  # the portfolio's width is the shell's work (not asserted)
    shot("issue10-phone-portfolio")
    page.goto(f"{base}/gantt/")
    frame = page.locator("#gantt")
    box = frame.bounding_box()
    assert box is not None and box["width"] <= 390
    assert page.evaluate("document.getElementById('gantt').scrollWidth") > box["width"]
    page.screenshot(path=str(SCREENSHOTS / "issue10-phone-gantt-top.png"))  # the first screen
    page.goto(f"{base}/tasks/")
    page.locator(".wbs tbody tr").nth(1).scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "issue10-phone-tasks-top.png"))
    first = page.locator(".wbs tbody tr").first
    card = first.bounding_box()
    assert card is not None and card["width"] <= 390
