"""New things start on the organisation's today, not the server's.

At 20:00 UTC on Sunday 6 December it is already 09:00 on Monday 7 December in Auckland: a new
project offered Sunday as its start, and a routine created then started on Sunday.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from twofold.operations import services as ops

NOW = dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def auckland(org: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    org.timezone = "Pacific/Auckland"
    org.save(update_fields=["timezone"])
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return org


def test_a_new_project_starts_today_in_the_organisation_and_is_managed_by_its_creator(
    auckland: Any, owner: Any, member: Any
) -> None:
    other = member(auckland, full_name="Zed Other")
    client = Client()
    client.force_login(owner)
    html = client.get("/projects/new/").content.decode()
    assert re.search(r'name="target_start" value="2026-12-07"', html)
    chosen = re.search(r'<select name="manager"[^>]*>(.*?)</select>', html, re.S)
    assert chosen is not None
    assert re.findall(r'<option value="(\d+)" selected>', chosen.group(1)) == [str(owner.pk)]
    assert str(other.pk) in chosen.group(1)  # the others are still offered


def test_a_routine_without_a_start_day_starts_on_the_organisations_today(
    auckland: Any, owner: Any
) -> None:
    process = ops.create_process(actor=owner, organisation=auckland, name="Night checks")
    routine = ops.create_routine(
        actor=owner, process=process, name="Walk-round", rrule="FREQ=DAILY"
    )
    assert routine.starts_on == dt.date(2026, 12, 7)
