"""Spreadsheet exports: formula-like text neutralised, numbers numbers, dates dates."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from twofold.accounts.models import Role
from twofold.interop.spreadsheet import csv_text, xlsx_bytes
from twofold.projects import services as projects

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain"]


def test_xlsx_keeps_text_as_text_numbers_as_numbers_dates_as_dates() -> None:
    data = xlsx_bytes(
        [
            (
                "Sheet: [1]",
                ["Text", "Int", "Decimal", "Negative", "Day", "Moment", "Flag"],
                [
                    [
                        text,
                        3,
                        Decimal("2.50"),
                        -4,
                        dt.date(2026, 3, 2),
                        dt.datetime(2026, 3, 2, 8),
                        True,
                    ]
                    for text in HOSTILE
                ],
            )
        ]
    )
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Sheet 1"
    rows = list(sheet.iter_rows(min_row=2))
    for row, text in zip(rows, HOSTILE, strict=True):
        # Never a formula; XML reading turns a carriage return into a line feed.
        assert row[0].data_type == "s" and row[0].value == text.replace("\r", "\n")
        assert row[1].value == 3 and row[1].data_type == "n"
        assert row[2].value == 2.5 and row[3].value == -4
        assert row[4].is_date and row[4].value == dt.datetime(2026, 3, 2)
        assert row[5].is_date and row[5].value == dt.datetime(2026, 3, 2, 8)
        assert row[6].value == "yes"


def test_csv_neutralises_formula_like_text_but_not_numbers() -> None:
    text = csv_text(["A", "B"], [[t, -5] for t in HOSTILE])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE[:-1]] + ["plain"]
    assert {r[1] for r in rows[1:]} == {"-5"}


def test_task_export_of_a_project(org: Any, owner: Any, member: Any, signed_in: Any) -> None:
    project = projects.create_project(
        actor=owner, organisation=org, name="P", code="P1", target_start=dt.date(2026, 3, 2)
    )
    projects.create_task(
        actor=owner, project=project, name="=cmd|' /C calc'!A0", duration_minutes=960
    )
    guest = member(org, Role.GUEST)
    url = reverse("interchange:export", args=["tasks", "xlsx"]) + f"?project={project.pk}"
    response = signed_in(guest).get(url)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    row = list(next(sheet.iter_rows(min_row=2)))
    assert [c.value for c in row[:3]] == ["P1", 1, "1"]  # project, ID, outline number
    assert row[3].value == "=cmd|' /C calc'!A0" and row[3].data_type == "s"
    assert row[5].value == 2
    assert row[10].value == dt.datetime(2026, 3, 2, 8) and row[10].is_date
    for what in ("portfolio", "risks", "requests", "kpi-values"):
        assert (
            signed_in(owner).get(reverse("interchange:export", args=[what, "csv"])).status_code
            == 200
        )
    assert (
        signed_in(owner).get(reverse("interchange:export", args=["secrets", "csv"])).status_code
        == 404
    )
    assert (
        signed_in(owner).get(reverse("interchange:export", args=["tasks", "pdf"])).status_code
        == 404
    )
