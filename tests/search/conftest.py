"""Builders for search tests: objects made through the services, indexed after each commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.accounts import services as accounts
from twofold.calendars import services as calendar_services
from twofold.improvement import services as improvement
from twofold.operations import services as operations
from twofold.operations.calendars import STANDARD_HOURS
from twofold.projects import services as projects
from twofold.risks import services as risks

MONDAY = dt.date(2025, 3, 3)


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """``with committed():`` runs the after-commit work (indexing) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def world(org: Any, owner: Any, committed: Any) -> dict[str, Any]:
    """One object of every searchable kind in ``org``, created through the services."""
    with committed():
        project = projects.create_project(
            actor=owner,
            organisation=org,
            name="Press line upgrade",
            code="PLU",
            target_start=MONDAY,
            objectives="Faster hydraulic presses",
        )
        task, _ = projects.create_task(
            actor=owner, project=project, name="Install hydraulic pump", description="Bay 4"
        )
        process = operations.create_process(
            actor=owner, organisation=org, name="Maintenance planning", annual_budget=0
        )
        kpi = operations.create_kpi(
            actor=owner,
            process=process,
            name="Pump downtime",
            target=1,
            red_threshold=3,
            good_direction="down",
        )
        calendar = calendar_services.create_calendar(
            actor=owner, organisation=org, name="Office", hours=STANDARD_HOURS
        )
        queue = operations.create_queue(
            actor=owner, organisation=org, name="Facilities desk", calendar=calendar
        )
        request = operations.create_request(
            actor=owner, queue=queue, title="Leaking pump in bay 4", description="Oil on floor"
        )
        risk = risks.create_risk(actor=owner, project=project, title="Pump supplier late")
        item = improvement.create_item(
            actor=owner, organisation=org, title="Pump spares kit", problem="Waiting for spares"
        )
        invitation = accounts.add_member(
            actor=owner,
            organisation=org,
            email="pia.pumpwright@example.com",
            full_name="Pia Pumpwright",
            invite=False,
        )
        membership = accounts.accept_invitation(actor=invitation.user, invitation=invitation)
    return {
        "project": project,
        "task": task,
        "process": process,
        "kpi": kpi,
        "queue": queue,
        "request": request,
        "risk": risk,
        "item": item,
        "membership": membership,
    }
