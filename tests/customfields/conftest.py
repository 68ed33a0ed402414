"""Fixtures for projects: a project with a chain of tasks, people in every role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.projects import services
from twofold.projects.models import Project

MONDAY = dt.date(2025, 3, 3)


@pytest.fixture
def admin(org: Any, member: Any) -> Any:
    return member(org, Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def editor(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Mel Member")


@pytest.fixture
def guest(org: Any, member: Any) -> Any:
    return member(org, Role.GUEST, full_name="Gus Guest")


@pytest.fixture
def project(org: Any, owner: Any) -> Project:
    return services.create_project(
        actor=owner, organisation=org, name="Press line upgrade", code="PLU", target_start=MONDAY
    )


@pytest.fixture
def chain(project: Project, owner: Any) -> list[Any]:
    """A (3 d) → B (2 d) → M (milestone), all FS."""
    a, _ = services.create_task(actor=owner, project=project, name="A", duration_minutes=3 * 480)
    b, _ = services.create_task(actor=owner, project=project, name="B", duration_minutes=2 * 480)
    m, _ = services.create_task(actor=owner, project=project, name="M", is_milestone=True)
    services.add_link(actor=owner, project=project, pred=a, succ=b)
    services.add_link(actor=owner, project=project, pred=b, succ=m)
    for t in (a, b, m):
        t.refresh_from_db()
    return [a, b, m]
