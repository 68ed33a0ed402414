"""Fixtures for notifications: people in one organisation and a project with a task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.projects import services as project_services
from twofold.projects.models import Project, Task


@pytest.fixture
def mel(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Mel Member", email="mel@example.com")


@pytest.fixture
def gus(org: Any, member: Any) -> Any:
    return member(org, Role.GUEST, full_name="Gus Guest", email="gus@example.com")


@pytest.fixture
def project(org: Any, owner: Any) -> Project:
    return project_services.create_project(
        actor=owner,
        organisation=org,
        name="Press line",
        code="PL",
        target_start=dt.date(2025, 3, 3),
    )


@pytest.fixture
def task(project: Project, owner: Any) -> Task:
    created, _ = project_services.create_task(actor=owner, project=project, name="Order press")
    return created
