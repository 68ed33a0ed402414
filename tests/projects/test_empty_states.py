"""Pages of a project with nothing planned say so instead of drawing an empty grid or giving a
verdict ("Fits as planned" for 0 hours of work)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from twofold.projects import services

pytestmark = pytest.mark.django_db


def test_an_empty_gantt_and_take_on_say_there_is_nothing_yet(
    org: Any, owner: Any, signed_in: Any
) -> None:
    project = services.create_project(
        actor=owner, organisation=org, name="Idea", code="ID", target_start=dt.date(2030, 1, 7)
    )
    client = signed_in(owner)
    gantt = client.get(f"/projects/{project.pk}/gantt/").content.decode()
    assert "No tasks yet: the chart fills in as tasks are added" in gantt
    take_on = client.get(reverse("capacity:take_on") + f"?project={project.pk}")
    page = take_on.content.decode()
    assert "Nothing to check yet" in page and "Fits as planned" not in page
    services.create_task(actor=owner, project=project, name="Survey", duration_minutes=480)
    page = client.get(reverse("capacity:take_on") + f"?project={project.pk}").content.decode()
    assert "1 task without anyone assigned" in page and "Fits as planned" not in page
    gantt = client.get(f"/projects/{project.pk}/gantt/").content.decode()
    assert "No tasks yet" not in gantt
