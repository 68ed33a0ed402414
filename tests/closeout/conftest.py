"""Builders for close-out tests: a process owned by a member, a project in execution with its
manager, a proposed handover."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.improvement import services as improvement
from twofold.operations import services as ops
from twofold.projects import services as projects
from twofold.projects.models import Phase, Project


@pytest.fixture
def process_owner(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Luis Ortega")


@pytest.fixture
def process(org: Any, owner: Any, process_owner: Any) -> Any:
    return ops.create_process(
        actor=owner, organisation=org, name="Preventive maintenance", owner=process_owner
    )


@pytest.fixture
def manager(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Priya Raman")


@pytest.fixture
def project(org: Any, owner: Any, manager: Any) -> Any:
    project = projects.create_project(
        actor=owner,
        organisation=org,
        name="Energy monitoring pilot",
        code="DIG-01",
        manager=manager,
    )
    Project.objects.filter(pk=project.pk).update(phase=Phase.EXECUTION)
    project.refresh_from_db()
    return project


@pytest.fixture
def handover(project: Any, process: Any, manager: Any) -> Any:
    return improvement.propose_handover(
        actor=manager,
        project=project,
        process=process,
        deliverables=[{"text": "Training done", "done": True}],
    )


ROUTINE = {
    "rrule": "FREQ=WEEKLY;BYDAY=MO",
    "starts_on": "2027-01-04",
    "due_time": "09:00",
    "effort_minutes": 45,
    "steps": [{"text": "Read the sub-meters", "evidence": "number"}, "Compare with last week"],
}
KPI = {
    "unit": "kWh",
    "good_direction": "down",
    "target": 1.8,
    "amber_threshold": 2.0,
    "red_threshold": 2.2,
    "frequency": "weekly",
}
