"""Risks with the demo data: heat map, register, a risk, and the schedule risk page."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_heat_map_register_and_schedule_risk(page, live_server, demo_org, sign_in, shot):
    from twofold.projects.models import Project

    line3 = Project.objects.get(organisation=demo_org, code="OPX-03")
    sign_in()
    page.goto(f"{live_server.url}/risks/")
    assert page.get_by_role("heading", name="Risks across the portfolio").is_visible()
    shot("risks-portfolio")
    page.get_by_role("link", name="Probability 4, impact 4: 3 risks").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator(".risk-table tbody tr")
    assert rows.count() == 3
    assert page.get_by_role("link", name="Robot cell supplier delivers late").is_visible()
    shot("risks-portfolio-cell")

    page.goto(f"{live_server.url}/risks/projects/{line3.pk}/")
    assert page.get_by_role("link", name="New risk").is_visible()
    shot("risks-project-register")
    page.get_by_role("link", name="PLC integration with the Line 3 MES interface").click()
    assert (
        page.get_by_label("Title").input_value() == "PLC integration with the Line 3 MES interface"
    )
    shot("risks-detail")

    page.goto(f"{live_server.url}/risks/projects/{line3.pk}/schedule/")
    page.wait_for_function(
        "document.querySelector('#finish-chart').width > 0 && window.Chart !== undefined"
    )
    page.wait_for_timeout(300)
    assert page.get_by_text("P80 finish").first.is_visible()
    shot("risks-schedule")
    # A refused form (one row's optimistic estimate above its pessimistic) shows the rows as
    # posted; fixing that row and running again still posts the other changed row.
    first_p = page.locator("table.estimates input[name$='-p']").nth(0)
    second_o = page.locator("table.estimates input[name$='-o']").nth(1)
    first_row = first_p.get_attribute("name").rsplit("-", 1)[0]
    second_row = second_o.get_attribute("name").rsplit("-", 1)[0]
    first_p.fill(str(float(first_p.input_value()) + 2))
    second_o.fill("999")
    page.get_by_role("button", name="Run simulation").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".form-errors").is_visible()
    page.locator(f"input[name='{second_row}-o']").fill("0")
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/schedule/")
    ) as posted:
        page.get_by_role("button", name="Run simulation").click()
    sent = posted.value.post_data or ""
    rows_sent = {f.split("=")[0].rsplit("-", 1)[0] for f in sent.split("&") if f.startswith("est-")}
    assert rows_sent == {first_row, second_row}
    page.wait_for_load_state("networkidle")
    # Change one task's pessimistic estimate: only that row's three fields are posted.
    pessimistic = page.locator("table.estimates input[name$='-p']").first
    row = pessimistic.get_attribute("name").rsplit("-", 1)[0]  # est-<task id>
    rows_on_page = page.locator("table.estimates input[name$='-p']").count()
    assert rows_on_page > 1
    pessimistic.fill(str(float(pessimistic.input_value()) + 1))
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/schedule/")
    ) as posted:
        page.get_by_role("button", name="Run simulation").click()
    sent = posted.value.post_data or ""
    estimates = sorted(field.split("=")[0] for field in sent.split("&") if field.startswith("est-"))
    assert estimates == [f"{row}-m", f"{row}-o", f"{row}-p"]
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Simulated 5,000 iterations").is_visible()
