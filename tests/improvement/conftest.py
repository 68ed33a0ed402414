"""Builders for improvement tests: a process with a KPI that signals, a project."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.operations import services as ops
from twofold.operations.models import Measurement
from twofold.projects import services as projects
from twofold.projects.models import Phase, Project


@pytest.fixture
def process_owner(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Luis Ortega")


@pytest.fixture
def process(org: Any, owner: Any, process_owner: Any) -> Any:
    return ops.create_process(
        actor=owner, organisation=org, name="Line 2 production", owner=process_owner
    )


@pytest.fixture
def kpi(process: Any, owner: Any) -> Any:
    """Scrap rate: 20 weeks at 2.0 %, then 9 weeks at 2.8 % (a run above the centre line)."""
    kpi = ops.create_kpi(
        actor=owner,
        process=process,
        name="Scrap rate",
        unit="%",
        good_direction="down",
        target=2.0,
        amber_threshold=2.5,
        red_threshold=3.0,
        baseline_start=dt.date(2025, 1, 6),
        baseline_end=dt.date(2025, 5, 19),
    )
    start = dt.date(2025, 1, 6)
    values = [2.0, 2.1, 1.9, 2.0, 2.05, 1.95] * 3 + [2.0, 2.1] + [2.8] * 9
    Measurement.objects.bulk_create(
        Measurement(
            organisation=kpi.organisation,
            kpi=kpi,
            measured_on=start + dt.timedelta(weeks=i),
            value=v,
        )
        for i, v in enumerate(values)
    )
    ops.refresh_kpi_states([kpi])
    kpi.refresh_from_db()
    return kpi


@pytest.fixture
def manager(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Priya Raman")


@pytest.fixture
def project(org: Any, owner: Any, manager: Any) -> Any:
    """In execution: a handover can be proposed only from execution or closure."""
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
