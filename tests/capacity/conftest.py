"""Fixtures for capacity: a project and a routine that load the same person."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.operations import services as ops
from twofold.projects import services
from twofold.projects.models import Project

MONDAY = dt.date(2025, 3, 3)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


@pytest.fixture
def priya(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Priya Raman")


@pytest.fixture
def guest(org: Any, member: Any) -> Any:
    return member(org, Role.GUEST, full_name="Gus Guest")


@pytest.fixture
def project(org: Any, owner: Any) -> Project:
    return services.create_project(
        actor=owner, organisation=org, name="Line 3 automation cell", code="L3", target_start=MONDAY
    )


@pytest.fixture
def other_project(org: Any, owner: Any) -> Project:
    return services.create_project(
        actor=owner, organisation=org, name="Robot retrofit", code="RR", target_start=MONDAY
    )


def add_task(actor: Any, project: Project, name: str, days: int, **values: Any) -> Any:
    task, _ = services.create_task(
        actor=actor, project=project, name=name, duration_minutes=days * 480, **values
    )
    task.refresh_from_db()
    return task


@pytest.fixture
def routine(org: Any, owner: Any, priya: Any) -> Any:
    process = ops.create_process(actor=owner, organisation=org, name="Quality checks")
    return ops.create_routine(
        actor=owner,
        process=process,
        name="Weekly gauge check",
        rrule="FREQ=WEEKLY;BYDAY=WE",
        starts_on=MONDAY,
        effort_minutes=120,
        assignee=priya,
    )
