"""Templates: save a project's plan, start a new project from it with shifted dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.core.errors import Forbidden, Invalid, NotFound
from twofold.core.history import history_for
from twofold.project_templates import services
from twofold.project_templates.models import ProjectTemplate
from twofold.projects import services as projects
from twofold.projects.models import ChecklistItem, GateItem, Link, Project, Task
from twofold.risks.models import Risk
from twofold.risks.services import create_risk

NEW_MONDAY = dt.date(2026, 6, 1)


@pytest.fixture
def lagged(project: Project, owner: Any) -> list[Task]:
    """A (3 d) → B (2 d) with a 2-day lag → C (1 d), under a summary "Build"."""
    build, _ = projects.create_task(actor=owner, project=project, name="Build")
    a, _ = projects.create_task(
        actor=owner, project=project, name="A", parent=build, duration_minutes=3 * 480
    )
    b, _ = projects.create_task(
        actor=owner, project=project, name="B", parent=build, duration_minutes=2 * 480
    )
    c, _ = projects.create_task(actor=owner, project=project, name="C", duration_minutes=480)
    projects.add_link(actor=owner, project=project, pred=a, succ=b, lag=2)
    projects.add_link(actor=owner, project=project, pred=b, succ=c)
    projects.add_checklist_item(actor=owner, task=a, text="Drawings signed")
    create_risk(actor=owner, project=project, title="Late steel", probability=4, impact=4)
    return [build, a, b, c]


def test_three_task_chain_with_a_lag_gets_dates_from_the_new_monday(
    org: Any, owner: Any, project: Project, lagged: list[Task]
) -> None:
    template = services.save_as_template(actor=owner, project=project, name="Press line")
    new = services.create_project_from_template(
        actor=owner,
        organisation=org,
        template=template,
        name="Press line 2",
        code="PL2",
        target_start=NEW_MONDAY,
    )
    tasks = {t.name: t for t in Task.objects.filter(project=new)}
    local = {n: (t.start.date(), t.finish.date()) for n, t in tasks.items() if n != "Build"}
    # A: Mon 1 - Wed 3 June; 2 working days of lag (Thu, Fri); B: Mon 8 - Tue 9; C: Wed 10.
    assert local == {
        "A": (dt.date(2026, 6, 1), dt.date(2026, 6, 3)),
        "B": (dt.date(2026, 6, 8), dt.date(2026, 6, 9)),
        "C": (dt.date(2026, 6, 10), dt.date(2026, 6, 10)),
    }
    assert tasks["A"].parent_id == tasks["Build"].pk and tasks["Build"].is_summary
    assert [t.name for t in Task.objects.filter(project=new).order_by("position")] == [
        "Build", "A", "B", "C",
    ]  # fmt: skip
    link = Link.objects.get(project=new, pred=tasks["A"])
    assert (link.succ_id, link.type, link.lag, link.lag_unit) == (tasks["B"].pk, "FS", 2, "d")
    assert list(ChecklistItem.objects.filter(task__project=new).values_list("text", flat=True)) == [
        "Drawings signed"
    ]
    risk = Risk.objects.get(project=new)
    assert (risk.title, risk.probability, risk.impact, risk.score) == ("Late steel", 4, 4, 16)
    assert GateItem.objects.filter(gate__project=new).count() == 7
    assert history_for(new, viewer=None)[0].action == "created from template"


def test_constraint_dates_shift_by_calendar_days(org: Any, owner: Any, project: Project) -> None:
    task, _ = projects.create_task(actor=owner, project=project, name="Survey")
    projects.update_task(
        actor=owner,
        task=task,
        expected_version=None,
        constraint_type="snet",
        constraint_date=project.target_start + dt.timedelta(days=14),
    )
    template = services.save_as_template(actor=owner, project=project, name="Survey plan")
    new = services.create_project_from_template(
        actor=owner,
        organisation=org,
        template=template,
        name="S2",
        code="S2",
        target_start=NEW_MONDAY,
    )
    copy = Task.objects.get(project=new)
    assert (copy.constraint_type, copy.constraint_date) == ("snet", dt.date(2026, 6, 15))


def test_a_start_that_overflows_names_the_field_and_creates_nothing(
    org: Any, owner: Any, project: Project, lagged: list[Task]
) -> None:
    template = services.save_as_template(actor=owner, project=project, name="Press line")
    before = (Project.objects.count(), Task.objects.count(), Risk.objects.count())
    for start in (projects.LAST_DAY, dt.date(9999, 12, 31)):
        with pytest.raises(Invalid) as exc:
            services.create_project_from_template(
                actor=owner,
                organisation=org,
                template=template,
                name="X",
                code="X",
                target_start=start,
            )
        assert exc.value.field == "target_start"
    assert (Project.objects.count(), Task.objects.count(), Risk.objects.count()) == before


def test_only_admins_save_templates_and_outsiders_see_nothing(
    org: Any, owner: Any, editor: Any, outsider: Any, project: Project
) -> None:
    with pytest.raises(Forbidden):
        services.save_as_template(actor=editor, project=project, name="Mine")
    with pytest.raises(NotFound):
        services.save_as_template(actor=outsider, project=project, name="Mine")
    assert not ProjectTemplate.objects.exists()


def test_empty_and_duplicate_names_are_refused(owner: Any, project: Project) -> None:
    services.save_as_template(actor=owner, project=project, name="Plan")
    for name, message in (("  ", "needs a name"), ("plan", "already a template")):
        with pytest.raises(Invalid, match=message) as exc:
            services.save_as_template(actor=owner, project=project, name=name)
        assert exc.value.field == "name"


def test_gate_checklist_of_a_template_is_edited_and_used(
    org: Any, owner: Any, project: Project
) -> None:
    template = services.save_as_template(actor=owner, project=project, name="Plan")
    services.update_template(
        actor=owner,
        template=template,
        expected_version=template.version,
        name="Plan B",
        gates={"planning": ["Permit granted", " ", "Budget approved"]},
    )
    template.refresh_from_db()
    assert template.name == "Plan B"
    new = services.create_project_from_template(
        actor=owner,
        organisation=org,
        template=template,
        name="N",
        code="N",
        target_start=NEW_MONDAY,
    )
    items = list(
        GateItem.objects.filter(gate__project=new, gate__phase="planning").values_list(
            "text", flat=True
        )
    )
    assert items == ["Permit granted", "Budget approved"]
    assert history_for(template, viewer=None)[0].changes["name"] == ["Plan", "Plan B"]
