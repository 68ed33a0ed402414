"""A KPI or process in the trash no longer makes the projects that change it amber (the health
read the KPI's state through joins, which ignore the live managers, until 2026-12-06), nor does
an archived process (the signals page leaves its KPIs out)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.core import trash
from twofold.improvement.go_live import link_process
from twofold.operations import services as ops
from twofold.operations.models import Kpi
from twofold.projects import selectors as psel
from twofold.projects import services as projects

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("what", ["kpi", "process", "archived process"])
def test_a_trashed_kpi_in_signal_no_longer_colours_the_project(
    org: Any, owner: Any, signed_in: Any, what: str
) -> None:
    p = projects.create_project(
        actor=owner,
        organisation=org,
        name="Line upgrade",
        code="LU",
        target_start=dt.date(2025, 3, 3),
    )
    proc = ops.create_process(actor=owner, organisation=org, name="Packing", annual_budget=0)
    kpi = ops.create_kpi(
        actor=owner, process=proc, name="Scrap", target=1, red_threshold=3, good_direction="down"
    )
    link_process(actor=owner, project=p, process=proc)
    Kpi.objects.filter(pk=kpi.pk).update(state="signal")
    signal = "Affects a process whose KPI is in signal: Packing"
    assert psel.portfolio(org)[0].health.reasons == (signal,)
    if what == "archived process":
        ops.set_archived(actor=owner, obj=proc, archived=True, expected_version=None)
    else:
        trash.move_to_trash(actor=owner, obj=kpi if what == "kpi" else proc)
    assert psel.portfolio(org)[0].health.reasons == ("No tasks planned yet",)
    card = psel.project_card(org, psel.get_project(owner, org, p.pk))
    assert card.health.reasons == ("No tasks planned yet",)
    export = signed_in(owner).get("/reports/export/projects.csv")
    assert "signal" not in b"".join(export.streaming_content).decode()
