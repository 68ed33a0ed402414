"""A project with a task, people in every role: the fixtures of the comment and activity tests
(imported by tests/comments/conftest.py and tests/activity/conftest.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.projects import services as project_services


@pytest.fixture
def admin(org: Any, member: Any) -> Any:
    return member(org, Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def priya(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Priya Raman", email="priya@acme.example")


@pytest.fixture
def guest(org: Any, member: Any) -> Any:
    return member(org, Role.GUEST, full_name="Gus Guest")


@pytest.fixture
def project(org: Any, owner: Any) -> Any:
    return project_services.create_project(
        actor=owner,
        organisation=org,
        name="Press line",
        code="PL",
        target_start=dt.date(2025, 3, 3),
    )


@pytest.fixture
def task(project: Any, owner: Any) -> Any:
    task, _moved = project_services.create_task(actor=owner, project=project, name="Weld frame")
    return task
