"""Going live: change points on the KPIs, the before/after verdict, PDCA fields, and both sides
(projects on the operations overview, processes on a project's overview, portfolio health)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.core.errors import Invalid
from twofold.improvement import go_live, services
from twofold.improvement.models import ProcessChange
from twofold.operations import selectors as ops_selectors
from twofold.operations import services as ops
from twofold.operations.models import ChangePoint, Measurement
from twofold.projects import selectors as project_selectors

START = dt.date(2025, 1, 6)
GO_LIVE = START + dt.timedelta(weeks=29)  # the day after the last fixture point's week


def _after(kpi: Any, values: list[float]) -> None:
    Measurement.objects.bulk_create(
        Measurement(
            organisation_id=kpi.organisation_id,
            kpi=kpi,
            measured_on=GO_LIVE + dt.timedelta(weeks=i),
            value=v,
        )
        for i, v in enumerate(values)
    )
    ops.refresh_kpi_states([kpi])


@pytest.fixture
def item(org: Any, owner: Any, kpi: Any) -> Any:
    return services.create_item(
        actor=owner,
        organisation=org,
        source="kpi",
        kpi=kpi,
        title="Cut scrap on Line 2",
        problem="Scrap rose to 2.8 %.",
        owner=owner,
    )


def test_going_live_marks_the_kpi_and_eight_better_weeks_confirm(
    item: Any, kpi: Any, owner: Any
) -> None:
    _after(kpi, [1.6, 1.7, 1.5, 1.6, 1.65, 1.55, 1.6, 1.7])

    go_live.set_item_go_live(actor=owner, item=item, go_live=GO_LIVE, expected_version=item.version)

    point = ChangePoint.objects.get()
    assert (point.kpi_id, point.date, point.source, point.source_id) == (
        kpi.pk,
        GO_LIVE,
        "improvement",
        item.pk,
    )
    (check,) = go_live.item_checks(item)
    assert check.check is not None
    assert check.check.verdict.value == "improvement confirmed"
    assert check.check.rule is not None and check.check.rule.value == "run_on_better_side"
    assert (check.before_points, check.after_points) == (20, 8)  # the baseline period, then since
    assert check.check.before.centre_line == pytest.approx(2.005)


def test_five_weeks_after_go_live_say_three_more_are_needed(
    item: Any, kpi: Any, owner: Any
) -> None:
    _after(kpi, [1.6, 1.7, 1.5, 1.6, 1.65])
    go_live.set_item_go_live(actor=owner, item=item, go_live=GO_LIVE, expected_version=item.version)

    (check,) = go_live.item_checks(item)
    assert check.check is not None
    assert check.check.explanation == "Not yet: 5 points since go-live; 3 more needed to decide."


def test_a_go_live_before_the_first_value_is_refused_and_saves_nothing(
    item: Any, owner: Any
) -> None:
    with pytest.raises(Invalid) as caught:
        go_live.set_item_go_live(
            actor=owner, item=item, go_live=dt.date(2024, 12, 1), expected_version=item.version
        )
    assert caught.value.field == "go_live"
    item.refresh_from_db()
    assert item.go_live is None
    assert not ChangePoint.objects.exists()


def test_an_idea_without_a_process_cannot_go_live(org: Any, owner: Any) -> None:
    idea = services.create_item(actor=owner, organisation=org, title="Idea", problem="Something")
    with pytest.raises(Invalid, match="Link the item to a process") as caught:
        go_live.set_item_go_live(actor=owner, item=idea, go_live=GO_LIVE, expected_version=1)
    assert caught.value.field == "go_live"


def test_api_records_pdca_fields_go_live_and_the_check(
    item: Any, kpi: Any, owner: Any, outsider: Any, api: Any, org: Any
) -> None:
    _after(kpi, [1.6] * 8)
    base = f"/api/organisations/{org.pk}/improvement/items/{item.pk}"
    client = api(owner)
    patched = client.patch(
        base,
        {
            "version": item.version,
            "root_cause": "Worn ejector pins",
            "countermeasure": "Replace pins every 50k shots",
            "check_notes": "Scrap down",
            "act": "Added to the PM routine",
        },
    )
    assert patched.status_code == 200
    body = patched.json()
    assert (body["root_cause"], body["act"]) == ("Worn ejector pins", "Added to the PM routine")

    early = client._call(
        "put", f"{base}/go-live", {"version": body["version"], "go_live": "2024-01-01"}
    )
    assert early.status_code == 422 and early.json()["field"] == "go_live"
    done = client._call(
        "put", f"{base}/go-live", {"version": body["version"], "go_live": GO_LIVE.isoformat()}
    )
    assert done.status_code == 200 and done.json()["go_live"] == GO_LIVE.isoformat()

    (check,) = client.get(f"{base}/check").json()
    assert check["verdict"] == "improvement confirmed"
    assert check["rule_text"] == "8 points in a row on the better side of the old centre line"
    assert (check["before_points"], check["after_points"], check["points_needed"]) == (20, 8, 0)
    assert api(outsider).get(f"{base}/check").status_code == 404


def test_item_page_shows_the_verdict_the_rule_and_the_phased_chart(
    item: Any, kpi: Any, owner: Any, signed_in: Any
) -> None:
    _after(kpi, [1.6] * 8)
    client = signed_in(owner)
    page = client.post(
        f"/improvement/items/{item.pk}/",
        {"action": "go_live", "go_live": GO_LIVE.isoformat(), "version": item.version},
        follow=True,
    ).content.decode()
    assert "Improvement confirmed</span>" in page
    assert (
        "Improvement confirmed: 8 points in a row on the better side of the old centre line."
        in page
    )
    assert f'data-chart-data="check-chart-{kpi.pk}"' in page
    assert "PDCA record" in page

    bad = client.post(
        f"/improvement/items/{item.pk}/",
        {"action": "go_live", "go_live": "2024-01-01", "version": item.version + 1},
    )
    assert bad.status_code == 422
    assert "is not after the first value of Scrap rate" in bad.content.decode()


def test_a_project_going_live_on_a_process_marks_its_kpis(
    project: Any, process: Any, kpi: Any, owner: Any, api: Any
) -> None:
    client = api(owner)
    made = client.post(f"/api/projects/{project.pk}/process-changes", {"process_id": process.pk})
    assert made.status_code == 201
    link = made.json()
    again = client.post(f"/api/projects/{project.pk}/process-changes", {"process_id": process.pk})
    assert again.status_code == 422 and again.json()["field"] == "process"

    moved = client._call(
        "put",
        f"/api/process-changes/{link['id']}/go-live",
        {"version": 1, "go_live": GO_LIVE.isoformat()},
    )
    assert moved.status_code == 200
    point = ChangePoint.objects.get()
    assert (point.kpi_id, point.date, point.source, point.label) == (
        kpi.pk,
        GO_LIVE,
        "project",
        "Went live: Energy monitoring pilot",
    )
    assert client.delete(f"/api/process-changes/{link['id']}").status_code == 204
    assert not ChangePoint.objects.exists() and not ProcessChange.objects.exists()


def test_both_sides_show_each_other_and_health_names_the_signal(
    project: Any,
    process: Any,
    kpi: Any,
    owner: Any,
    item: Any,
    signed_in: Any,
    django_assert_max_num_queries: Any,
) -> None:
    assert kpi.state == "signal"
    go_live.link_process(actor=owner, project=project, process=process, go_live=None)

    (card,) = project_selectors.portfolio(project.organisation)
    assert "Affects a process whose KPI is in signal: Line 2 production" in card.health.reasons
    assert card.health.level in ("amber", "red")

    client = signed_in(owner)
    overview = client.get("/operations/").content.decode()
    assert "Projects changing it" in overview and "Energy monitoring pilot" in overview
    assert "Open improvements" in overview and "Cut scrap on Line 2" in overview
    assert "no go-live yet" in overview

    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "Processes this project changes" in page
    assert "Scrap rate: Unusual change" in page

    linked = client.post(
        f"/improvement/projects/{project.pk}/processes/", {"process": "abc"}, follow=True
    ).content.decode()
    assert "Process: Choose a process of this organisation." in linked


def test_operations_overview_queries_do_not_grow_with_linked_projects(
    org: Any, owner: Any, process: Any, kpi: Any, signed_in: Any, django_assert_max_num_queries: Any
) -> None:
    from twofold.projects import services as projects

    client = signed_in(owner)
    client.get("/operations/")

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/operations/").status_code == 200
        return len(ctx.captured_queries)

    p = projects.create_project(actor=owner, organisation=org, name="P0", code="P0")
    go_live.link_process(actor=owner, project=p, process=process)
    one = count()
    for i in range(1, 6):
        p = projects.create_project(actor=owner, organisation=org, name=f"P{i}", code=f"P{i}")
        go_live.link_process(actor=owner, project=p, process=process)
    assert count() == one


def test_a_project_started_from_an_item_changes_the_items_process(
    item: Any, owner: Any, process: Any
) -> None:
    project = services.start_project(
        actor=owner, item=item, expected_version=item.version, manager=owner, name="Fix scrap"
    )

    link = ProcessChange.objects.get(project=project)
    assert (link.process_id, link.go_live) == (process.pk, None)
    (card,) = [c for c in project_selectors.portfolio(project.organisation) if c.project == project]
    assert "Affects a process whose KPI is in signal: Line 2 production" in card.health.reasons


def test_an_item_or_project_in_the_trash_no_longer_splits_the_chart(org, owner, kpi, process):
    """A trashed item's go-live still split the KPI's chart, and once purged its change point
    stayed for good (nobody could remove it: it "follows a go-live")."""
    from django.test import TestCase

    from twofold.core import trash
    from twofold.operations.models import ChangePoint
    from twofold.projects import services as ps

    item = services.create_item(
        actor=owner,
        organisation=org,
        source="kpi",
        kpi=kpi,
        title="Cut scrap",
        problem="Scrap rose.",
        owner=owner,
    )
    day = START + dt.timedelta(weeks=20)
    go_live.set_item_go_live(actor=owner, item=item, go_live=day, expected_version=item.version)
    assert ChangePoint.objects.filter(kpi=kpi).count() == 1
    item.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        entry = trash.move_to_trash(actor=owner, obj=item, expected_version=item.version)
    assert ChangePoint.objects.filter(kpi=kpi).count() == 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert [(p.date, p.label) for p in ChangePoint.objects.filter(kpi=kpi)] == [
        (day, "Went live: Cut scrap")
    ]
    item.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        entry = trash.move_to_trash(actor=owner, obj=item, expected_version=item.version)
    trash.purge_now(actor=owner, organisation=org, entry_id=entry.pk)
    assert ChangePoint.objects.filter(kpi=kpi).count() == 0
    # A project's go-live on the process likewise.
    project = ps.create_project(
        actor=owner, organisation=org, name="Line 2", code="L2", target_start=START
    )
    go_live.link_process(actor=owner, project=project, process=process, go_live=day)
    assert ChangePoint.objects.filter(kpi=kpi).count() == 1
    project.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        entry = trash.move_to_trash(actor=owner, obj=project, expected_version=project.version)
    assert ChangePoint.objects.filter(kpi=kpi).count() == 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert [p.label for p in ChangePoint.objects.filter(kpi=kpi)] == ["Went live: Line 2"]


def test_before_any_point_since_go_live_the_before_is_the_charts_baseline(
    org: Any, owner: Any, kpi: Any, item: Any
) -> None:
    """Before the first point after go-live, "Did it work?" took every earlier value (29, centre
    2.14) where the KPI's chart takes its 20-week baseline (centre 2.0); the first point after
    go-live then made the "before" jump."""
    go_live.set_item_go_live(
        actor=owner,
        item=item,
        go_live=START + dt.timedelta(weeks=29),
        expected_version=item.version,
    )
    item.refresh_from_db()
    view = ops_selectors.kpi_views([kpi])[0]
    assert view.chart is not None
    assert (view.chart.baseline.start, view.chart.baseline.stop) == (0, 20)
    [check] = go_live.item_checks(item)
    assert (check.before_points, check.after_points) == (20, 0)
    assert check.check is not None
    assert check.check.before.centre_line == pytest.approx(view.chart.centre_line)


def test_purging_a_project_trashed_with_its_points_leaves_none(
    org: Any, owner: Any, kpi: Any, process: Any
) -> None:
    """Items park their points before a purge; projects did not: a project trashed before its
    points followed the trash (or whose listener failed) left a point nobody could remove."""
    from twofold.core import trash
    from twofold.projects import services as ps

    project = ps.create_project(
        actor=owner, organisation=org, name="Line 2", code="L2", target_start=START
    )
    go_live.link_process(
        actor=owner, project=project, process=process, go_live=START + dt.timedelta(weeks=20)
    )
    project.refresh_from_db()
    entry = trash.move_to_trash(actor=owner, obj=project, expected_version=project.version)
    assert ChangePoint.objects.filter(kpi=kpi).count() == 1  # no after-commit listener here
    trash.purge_now(actor=owner, organisation=org, entry_id=entry.pk)
    assert ChangePoint.objects.filter(kpi=kpi).count() == 0


def test_a_stale_unlink_keeps_the_link_and_its_go_live(
    project: Any, process: Any, kpi: Any, owner: Any, signed_in: Any
) -> None:
    """The Unlink button sits in the go-live form: pressed on a page read before someone set
    the go-live, it removed the link and the KPI change points just made (until 2026-12-06)."""
    from twofold.improvement.models import ProcessChange

    go_live.link_process(actor=owner, project=project, process=process, go_live=None)
    link = ProcessChange.objects.get(project=project, process=process)
    read = link.version
    go_live.set_link_go_live(
        actor=owner, link=link, go_live=dt.date(2026, 11, 2), expected_version=read
    )
    client = signed_in(owner)
    answer = client.post(
        f"/improvement/process-changes/{link.pk}/", {"remove": "1", "version": read}, follow=True
    )
    assert "Someone changed the link to" in answer.content.decode()
    assert ProcessChange.objects.filter(pk=link.pk, go_live=dt.date(2026, 11, 2)).exists()
    link.refresh_from_db()
    client.post(
        f"/improvement/process-changes/{link.pk}/", {"remove": "1", "version": link.version}
    )
    assert not ProcessChange.objects.filter(pk=link.pk).exists()


def test_a_link_hides_while_its_project_or_process_is_in_the_trash(
    org: Any, owner: Any, member: Any, api: Any, signed_in: Any, process: Any
) -> None:
    """The API still answered a trashed project's link to a process (a review found it)."""
    from django.test import TestCase

    from twofold.accounts.models import Role
    from twofold.core import trash
    from twofold.projects import services as ps

    project = ps.create_project(
        actor=owner, organisation=org, name="Hidden line", code="HL", target_start=START
    )
    link = go_live.link_process(actor=owner, project=project, process=process)
    client = api(member(org, Role.MEMBER))
    assert client.get(f"/api/process-changes/{link.pk}").status_code == 200
    project.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        entry = trash.move_to_trash(actor=owner, obj=project, expected_version=project.version)
    assert client.get(f"/api/process-changes/{link.pk}").status_code == 404
    page = signed_in(owner).get(f"/operations/processes/{process.pk}/")
    assert page.status_code == 200 and "Hidden line" not in page.content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert client.get(f"/api/process-changes/{link.pk}").json()["project_id"] == project.pk
    process.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        trash.move_to_trash(actor=owner, obj=process, expected_version=process.version)
    assert client.get(f"/api/process-changes/{link.pk}").status_code == 404
    assert client.get(f"/api/projects/{project.pk}/process-changes").json() == []


def test_a_moved_go_live_tells_the_kpi_history_where_its_point_was(
    org: Any, owner: Any, kpi: Any, item: Any
) -> None:
    """The KPI's history said only the new date of a moved change point (a review found it)."""
    from twofold.core.models import HistoryEntry

    first, later = START + dt.timedelta(weeks=20), START + dt.timedelta(weeks=22)
    go_live.set_item_go_live(actor=owner, item=item, go_live=first, expected_version=item.version)
    item.refresh_from_db()
    go_live.set_item_go_live(actor=owner, item=item, go_live=later, expected_version=item.version)
    entries = HistoryEntry.objects.filter(action="change point set", object_id=kpi.pk).order_by(
        "pk"
    )
    assert [e.changes for e in entries] == [
        {},
        {"date": [first.isoformat(), later.isoformat()]},
    ]
