"""Fixtures for costs: a project with two tasks and its manager, a process with its owner,
people in every role, and builders for rates and approved time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.operations import services as ops_services
from twofold.projects import services as project_services

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def admin(org: Any, member: Any) -> Any:
    return member(org, Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def pm(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Pat Manager", job_title="Project manager")


@pytest.fixture
def worker(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Wes Worker", job_title="Engineer")


@pytest.fixture
def guest(org: Any, member: Any) -> Any:
    return member(org, Role.GUEST, full_name="Gus Guest")


@pytest.fixture
def project(org: Any, owner: Any, pm: Any) -> Any:
    p = project_services.create_project(
        actor=owner, organisation=org, name="Press line upgrade", code="PLU", target_start=MONDAY
    )
    p.manager = pm
    p.save(update_fields=["manager"])
    return p


@pytest.fixture
def tasks(project: Any, owner: Any, worker: Any) -> list[Any]:
    """Two tasks of ``project``. The worker is on the project (time goes only on projects one
    is on): assigned to a third task, "Kick-off", done, so it is no open line of their week."""
    from twofold.projects.models import Task

    a, _ = project_services.create_task(
        actor=owner, project=project, name="Design", duration_minutes=5 * 480
    )
    b, _ = project_services.create_task(
        actor=owner, project=project, name="Build", duration_minutes=5 * 480
    )
    kick_off, _ = project_services.create_task(
        actor=owner, project=project, name="Kick-off", duration_minutes=480, assignee=worker
    )
    Task.objects.filter(pk=kick_off.pk).update(status="done", percent_complete=100)
    return [a, b]


@pytest.fixture
def process(org: Any, owner: Any, admin: Any) -> Any:
    return ops_services.create_process(
        actor=owner, organisation=org, name="Maintenance", owner=admin
    )


@pytest.fixture
def rate(org: Any) -> Any:
    from twofold.costs.models import Rate

    def build(
        hourly: str, since: dt.date, *, person: Any = None, role: str = "", factor: str = "1"
    ) -> Rate:
        return Rate.objects.create(
            organisation=org,
            person=person,
            role=role,
            hourly=Decimal(hourly),
            effective_from=since,
            overtime_factor=Decimal(factor),
        )

    return build
