"""The reports page's overview and its API twin: performance indices, the operations figures, the
improvement pipeline, the SPI/CPI chart, and constant query counts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from twofold.accounts.models import Role, User
from twofold.evm.report import project_evm
from twofold.improvement.models import ImprovementItem
from twofold.operations import selectors as operations_selectors
from twofold.projects import services as project_services
from twofold.projects.models import Project
from twofold.reports.charts import Point, performance_chart
from twofold.reports.rows import one_decimal, two_or_whole, whole
from twofold.reports.selectors import _index_badge


def _pt(code: str, spi: str, cpi: str, level: str = "green", name: str = "") -> Point:
    return Point(code=code, name=name or code, spi=Decimal(spi), cpi=Decimal(cpi), level=level)


def test_the_chart_places_each_project_by_its_indices():
    svg = str(performance_chart([_pt("ON", "1.00", "1.00"), _pt("AHD", "1.20", "0.80", "amber")]))
    # 0.6–1.4 across 488 units from x=56; up 296 units from y=312.
    assert '<circle class="pt pt-green" cx="300.0" cy="164.0" r="6"/>' in svg
    assert '<circle class="pt pt-amber" cx="422.0" cy="238.0" r="6"/>' in svg
    assert "<title>AHD AHD: SPI 1.20, CPI 0.80</title>" in svg
    assert ">AHD</text>" in svg and ">ON</text>" in svg


def test_a_project_outside_the_range_sits_on_the_edge_as_a_square():
    svg = str(performance_chart([_pt("FAR", "2.50", "0.40", "red")]))
    # Clamped to SPI 1.4 (x=544) and CPI 0.6 (y=312), drawn as a 12-unit square around it.
    assert '<path class="pt pt-red" d="M538.0,306.0h12v12h-12z"/>' in svg
    assert "SPI 2.50, CPI 0.40" in svg  # the tooltip keeps the real figures
    assert "<circle" not in svg
    # Near the right edge the code goes left of the dot.
    assert '<text class="pt-label" x="535.0" y="316.0" text-anchor="end">FAR</text>' in svg


def test_the_chart_escapes_names_and_drops_labels_when_crowded():
    svg = str(performance_chart([_pt("<b>", "1", "1", name='<script>alert("x")</script>')]))
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in svg
    crowd = str(performance_chart([_pt(f"P{i:02d}", "1", "1") for i in range(25)]))
    assert crowd.count("<title>P") == 25
    assert 'class="pt-label"' not in crowd  # 25 codes would cover each other: tooltips only
    assert str(performance_chart([])) == ""


@pytest.mark.parametrize(
    ("value", "badge"),
    [("1.00", "green"), ("0.95", "green"), ("0.94", "amber"), ("0.90", "amber"), ("0.89", "red")],
)
def test_indices_are_coloured_by_the_cost_rules_thresholds(value, badge):
    assert _index_badge(Decimal(value)) == badge
    assert _index_badge(None) == ""


def _demo_user() -> User:
    return User.objects.get(email="demo@twofold.example")


def test_the_api_gives_the_pages_figures(demo_org, api, client):
    user = _demo_user()
    body = api(user).get(f"/api/organisations/{demo_org.pk}/report").json()
    projects = {p["code"]: p for p in body["projects"]}
    assert len(projects) == Project.objects.filter(organisation=demo_org).count()
    line3 = Project.objects.get(organisation=demo_org, name="Line 3 automation cell")
    m = project_evm(line3).metrics
    row = projects[line3.code]
    assert row["spi"] == float(m.spi.quantize(Decimal("0.01")))
    assert row["cpi"] == float(m.cpi.quantize(Decimal("0.01")))
    # The same health as the project's own health route.
    assert (
        row["health"]
        == api(user).get(f"/api/organisations/{demo_org.pk}/projects/{line3.pk}/health").json()
    )
    assert sum(body["by_health"].values()) == len(projects)
    assert sum(body["by_phase"].values()) == len(projects)
    items = ImprovementItem.objects.filter(organisation=demo_org)
    assert body["improvement"] == {
        s: items.filter(status=s).count()
        for s in ("new", "triaged", "in_progress", "done", "rejected")
    }
    cards = {c.process.pk: c for c in operations_selectors.overview(demo_org)}
    assert {p["process_id"] for p in body["processes"]} == set(cards)
    for p in body["processes"]:
        assert p["open_requests"] == cards[p["process_id"]].open_requests
        assert p["sla_met"] == cards[p["process_id"]].sla
    # The page shows the same indices, and no amount of money.
    client.force_login(user)
    page = client.get("/reports/").content.decode()
    spi = f"{m.spi.quantize(Decimal('0.01'))}"
    assert re.search(rf'class="index index-\w+">{re.escape(spi)}</span>', page)
    assert 'class="perf-chart"' in page
    assert f'href="/projects/{line3.pk}/"' in page


def test_a_member_reads_the_report_without_money_and_an_outsider_gets_404(
    demo_org, api, member, outsider
):
    plain = member(demo_org, Role.MEMBER)
    body = api(plain).get(f"/api/organisations/{demo_org.pk}/report").json()
    assert body["projects"] and not any(k in body["projects"][0] for k in ("bac", "ac", "ev"))
    assert api(outsider).get(f"/api/organisations/{demo_org.pk}/report").status_code == 404


def test_page_and_api_read_a_constant_number_of_queries(demo_org, api, client):
    user = _demo_user()
    client.force_login(user)
    bearer = api(user)
    url = f"/api/organisations/{demo_org.pk}/report"

    def counts() -> tuple[int, int]:
        client.get("/reports/")  # figures of new projects computed and cached once
        bearer.get(url)
        with CaptureQueriesContext(connection) as page:
            assert client.get("/reports/").status_code == 200
        with CaptureQueriesContext(connection) as listed:
            assert bearer.get(url).status_code == 200
        return len(page.captured_queries), len(listed.captured_queries)

    before = counts()
    for i in range(4):
        project_services.create_project(
            actor=user, organisation=demo_org, name=f"Extra {i}", code=f"EXT{i}"
        )
    ImprovementItem.objects.filter(organisation=demo_org).update(status="done")
    assert counts() == before


@pytest.mark.parametrize(
    ("value", "text"), [(12.5, "13"), (12.49, "12"), (0.0, "0"), (99.5, "100"), (100.0, "100")]
)
def test_percentages_round_half_up_as_floatformat_does(value, text):
    assert whole(value) == text


@pytest.mark.parametrize(("value", "text"), [(2.0, "2"), (2.25, "2.3"), (-1.04, "-1"), (17, "17")])
def test_slips_keep_one_decimal_unless_whole(value, text):
    assert one_decimal(value) == text


@pytest.mark.django_db
def test_project_rows_escape_what_users_typed(org, owner, signed_in):
    project_services.create_project(
        actor=owner, organisation=org, name='<img src=x onerror="alert(1)">', code="X&Y"
    )
    page = signed_in(owner).get("/reports/").content.decode()
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</a>" in page
    assert '<span class="mono small muted">X&amp;Y</span>' in page
    # A project without a schedule: no finish, no indices, nothing open.
    assert '<td class="nowrap">—</td>' in page and "None open" in page


@pytest.mark.parametrize(
    ("value", "text"),
    [(80.0, "80"), (2.5, "2.50"), (79.734, "79.73"), (0.005, "0.01"), (-1.0, "-1")],
)
def test_kpi_values_are_written_as_floatformat_minus_two(value, text):
    assert two_or_whole(value) == text


@pytest.mark.django_db
def test_process_and_kpi_rows_escape_what_users_typed(org, owner, signed_in):
    from twofold.operations import services as ops

    process = ops.create_process(actor=owner, organisation=org, name="<b>Packing</b>")
    ops.create_kpi(
        actor=owner,
        process=process,
        name='"><svg onload=alert(1)>',
        unit="<u>",
        target=2.5,
        amber_threshold=3,
        red_threshold=4,
        good_direction="down",
    )
    page = signed_in(owner).get("/reports/").content.decode()
    assert "<b>Packing</b>" not in page and "<svg onload" not in page and "<u>" not in page
    assert f'<a href="/operations/processes/{process.pk}/">&lt;b&gt;Packing&lt;/b&gt;</a>' in page
    assert "<td>2.50 &lt;u&gt;</td>" in page  # the target, with its unit


@pytest.mark.django_db
def test_a_budget_without_a_schedule_has_no_spi(org, owner, api):
    from twofold.evm.models import BudgetLine

    bare = project_services.create_project(actor=owner, organisation=org, name="Bare", code="BARE")
    BudgetLine.objects.create(
        organisation=org, project=bare, category="materials", description="Steel",
        amount=Decimal("100"),
    )  # fmt: skip
    (row,) = api(owner).get(f"/api/organisations/{org.pk}/report").json()["projects"]
    assert (row["code"], row["spi"], row["cpi"]) == ("BARE", None, None)  # SPI 0.00 before
