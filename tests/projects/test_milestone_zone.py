"""The card's next milestone is dated in the viewer's zone, as its finish and the task export
are (it used the organisation's zone until 2026-12-06: the two exports named different days for
one milestone)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from twofold.accounts.models import Organisation, User
from twofold.projects import services as projects
from twofold.projects.models import Task

pytestmark = pytest.mark.django_db


def _csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_milestone_date_is_the_same_day_in_both_exports(
    org: Any, owner: Any, signed_in: Any
) -> None:
    Organisation.objects.filter(pk=org.pk).update(timezone="Pacific/Auckland")
    User.objects.filter(pk=owner.pk).update(timezone="Europe/London")
    org.refresh_from_db()
    p = projects.create_project(
        actor=owner, organisation=org, name="Harbour", code="HB", target_start=dt.date(2030, 3, 4)
    )
    ms, _ = projects.create_task(actor=owner, project=p, name="Go live", is_milestone=True)
    # 12:00 UTC: Monday 4 March in London, Tuesday 5 March 01:00 in Auckland.
    noon = dt.datetime(2030, 3, 4, 12, 0, tzinfo=dt.UTC)
    Task.objects.filter(pk=ms.pk).update(start=noon, finish=noon)
    client = signed_in(owner)
    tasks = {r[1]: r for r in _csv(client.get("/reports/export/tasks.csv"))}
    header, *rows = _csv(client.get("/reports/export/projects.csv"))
    row = {r[0]: r for r in rows}["HB"]
    assert tasks["Go live"][7] == "2030-03-04"
    assert row[header.index("Milestone date")] == "2030-03-04"
