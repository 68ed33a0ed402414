"""Risk services: scores, validation, history, versions, permissions; the open-high-risk count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.history import history_for
from twofold.projects import services as project_services
from twofold.risks import selectors, services
from twofold.risks.models import Risk

pytestmark = pytest.mark.django_db


def test_create_scores_links_and_records_history(project, chain, owner, editor):
    a, b, _m = chain
    risk = services.create_risk(
        actor=editor,
        project=project,
        title="  Gripper late  ",
        probability=4,
        impact=5,
        owner=owner,
        tasks=[a, b],
        impact_likely_days=Decimal("3"),
        due_date=dt.date(2025, 4, 1),
    )
    risk.refresh_from_db()
    assert (risk.title, risk.score, risk.level, risk.is_high) == ("Gripper late", 20, "red", True)
    assert sorted(t.name for t in risk.tasks.all()) == ["A", "B"]
    assert risk.organisation_id == project.organisation_id
    [entry] = history_for(risk, viewer=None)
    assert (entry.action, entry.changes) == ("created", {"score": [None, 20]})
    assert entry.summary == "Raised risk “Gripper late” on PLU"


def test_update_rescoring_history_and_stale_version(make_risk, owner, chain):
    risk = make_risk(probability=2, impact=2)
    assert risk.version == 1
    services.update_risk(
        actor=owner, risk=risk, expected_version=1, probability=5, impact=4, tasks=[chain[0]]
    )
    risk.refresh_from_db()
    assert (risk.score, risk.version) == (20, 2)
    entry = history_for(risk, viewer=None)[0]
    assert entry.changes == {
        "probability": [2, 5],
        "impact": [2, 4],
        "score": [4, 20],
        "tasks": [[], ["A"]],
    }
    with pytest.raises(Conflict):
        services.update_risk(actor=owner, risk=risk, expected_version=1, title="Stale")
    risk.refresh_from_db()
    assert risk.title == "Supplier late"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"probability": 6}, "probability"),
        ({"impact": 0}, "impact"),
        ({"impact": True}, "impact"),
        ({"status": "gone"}, "status"),
        ({"category": "weather"}, "category"),
        ({"title": "   "}, "title"),
        ({"impact_min_days": 3, "impact_likely_days": 2}, "impact_min_days"),
        ({"impact_likely_days": 5, "impact_max_days": 2}, "impact_max_days"),
        ({"impact_max_days": 2}, "impact_likely_days"),
        ({"impact_likely_days": -1}, "impact_likely_days"),
        ({"due_date": dt.date(1900, 1, 1)}, "due_date"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_values_name_the_field(project, owner, values, field):
    with pytest.raises(Invalid) as err:
        services.create_risk(actor=owner, project=project, **{"title": "X", **values})
    assert err.value.field == field
    assert Risk.objects.count() == 0


def test_owner_and_tasks_must_belong(project, owner, guest, outsider, org, make_org):
    with pytest.raises(Invalid) as err:
        services.create_risk(actor=owner, project=project, title="X", owner=guest)
    assert err.value.field == "owner"
    with pytest.raises(Invalid) as err:
        services.create_risk(actor=owner, project=project, title="X", owner=outsider)
    assert err.value.field == "owner"
    other = project_services.create_project(
        actor=owner, organisation=org, name="Other", code="OTH", target_start=dt.date(2025, 3, 3)
    )
    foreign, _ = project_services.create_task(actor=owner, project=other, name="Elsewhere")
    with pytest.raises(Invalid) as err:
        services.create_risk(actor=owner, project=project, title="X", tasks=[foreign])
    assert err.value.field == "tasks"


def test_guest_reads_but_cannot_write_and_outsider_sees_nothing(
    make_risk, project, guest, outsider
):
    risk = make_risk()
    with pytest.raises(Forbidden):
        services.create_risk(actor=guest, project=project, title="X")
    with pytest.raises(Forbidden):
        services.update_risk(actor=guest, risk=risk, expected_version=1, title="X")
    with pytest.raises(Forbidden):
        services.delete_risk(actor=guest, risk=risk)
    with pytest.raises(Forbidden):
        services.run_simulation(actor=guest, project=project, expected_version=None)
    for call in (
        lambda: services.create_risk(actor=outsider, project=project, title="X"),
        lambda: services.update_risk(actor=outsider, risk=risk, expected_version=1, title="X"),
        lambda: services.delete_risk(actor=outsider, risk=risk),
        lambda: services.run_simulation(actor=outsider, project=project, expected_version=None),
    ):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(NotFound):
        selectors.get_risk(outsider, project.organisation, risk.pk)
    assert selectors.get_risk(guest, project.organisation, risk.pk) == risk


def test_delete_records_history(make_risk, owner):
    risk = make_risk()
    pk = risk.pk
    services.delete_risk(actor=owner, risk=risk)
    assert not Risk.objects.filter(pk=pk).exists()


def test_open_high_risk_counts(make_risk, project, owner):
    make_risk("High open", probability=5, impact=3)  # 15
    make_risk("High mitigating", probability=4, impact=4, status="mitigating")  # 16
    make_risk("High closed", probability=5, impact=5, status="closed")
    make_risk("Medium", probability=3, impact=4)  # 12
    assert selectors.open_high_risk_counts(project.organisation) == {project.pk: 2}


def test_heat_map_counts_and_selection(make_risk, project):
    make_risk("a", probability=5, impact=5)
    make_risk("b", probability=5, impact=5)
    make_risk("c", probability=1, impact=2)
    make_risk("d", probability=1, impact=2, status="closed")
    filters = selectors.Filters(probability=5, impact=5)
    grid = selectors.heat_map(project.organisation, filters)
    assert [row.probability for row in grid] == [5, 4, 3, 2, 1]
    top = grid[0].cells[4]
    assert (top.count, top.level, top.selected) == (2, "red", True)
    assert grid[4].cells[1].count == 1  # the closed one is not counted by default
    assert grid[4].cells[1].level == "green"
    assert grid[2].cells[2].level == "amber"
    everything = selectors.heat_map(project.organisation, selectors.Filters(status="all"))
    assert everything[4].cells[1].count == 2
    listed = selectors.risks_of_project(project, filters)
    assert [r.title for r in listed] == ["a", "b"]
