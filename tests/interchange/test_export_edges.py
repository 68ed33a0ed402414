"""Spreadsheet exports at their edges (a review found each): an outline deeper than Python's
recursion limit, a project code that breaks a header, durations that changed on a round trip
through the task sheet, and voided KPI values exported as plain data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from twofold.interchange import exports, sheet_import
from twofold.interop.spreadsheet import csv_text, xlsx_bytes
from twofold.operations import corrections
from twofold.operations.models import Kpi, Measurement, Process
from twofold.projects import services as projects
from twofold.projects.models import Task

pytestmark = pytest.mark.django_db


def _rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"), newline="")))


# --- 1. an outline deeper than the recursion limit ---------------------------------------------


def test_outline_numbers_of_an_outline_deeper_than_the_recursion_limit() -> None:
    """``_in_outline`` recursed once per level: 1,100 levels (which the sheet import accepts)
    raised RecursionError, a 500 on the task export."""
    depth = sys.getrecursionlimit() + 500
    chain = [Task(pk=i, parent_id=i - 1 if i > 1 else None) for i in range(1, depth + 1)]
    siblings = [Task(pk=depth + 1, parent_id=None), Task(pk=depth + 2, parent_id=2)]
    ordered = exports._in_outline([*chain, *siblings])
    numbers = [(t.pk, n) for t, n in ordered]
    assert len(numbers) == depth + 2
    assert numbers[:3] == [(1, "1"), (2, "1.1"), (3, "1.1.1")]
    assert numbers[depth - 1] == (depth, ".".join(["1"] * depth))
    # after the chain: the second child of task 2 (1.1), then the second top-level task
    assert numbers[depth:] == [(depth + 2, "1.1.2"), (depth + 1, "2")]


def test_the_task_export_of_an_outline_1100_levels_deep(org: Any, owner: Any, client: Any) -> None:
    depth = 1100
    rows = "Name,Outline level,Duration\n" + "".join(f"T{i},{i},1\n" for i in range(1, depth + 1))
    upload = sheet_import.upload_sheet(
        actor=owner, organisation=org, file_name="deep.csv", data=rows.encode()
    )
    project = sheet_import.import_upload(
        actor=owner, upload=upload, mapping=upload.mapping, code="DEEP"
    )
    client.force_login(owner)
    response = client.get(
        reverse("interchange:export", args=["tasks", "csv"]) + f"?project={project.pk}"
    )
    assert response.status_code == 200
    exported = _rows(response)
    assert len(exported) == depth + 1
    assert exported[-1][1:4] == [str(depth), ".".join(["1"] * depth), f"T{depth}"]


# --- 2. file names from project codes --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "ascii_name", "quoted"),
    [
        ("A\nB", "twofold-A_B-tasks-", "A%0AB-tasks-"),
        ('x";a=b', "twofold-x__a_b-tasks-", "x%22%3Ba%3Db-tasks-"),
    ],
)
def test_a_project_code_never_breaks_the_download_header(
    org: Any, owner: Any, client: Any, code: str, ascii_name: str, quoted: str
) -> None:
    project = projects.create_project(actor=owner, organisation=org, name="P", code=code)
    client.force_login(owner)
    client.raise_request_exception = False
    today = dt.date.today().isoformat()
    for fmt in ("csv", "xlsx"):
        url = reverse("interchange:export", args=["tasks", fmt]) + f"?project={project.pk}"
        response = client.get(url)
        assert response.status_code == 200  # a line feed in the header was a 500
        assert response["Content-Disposition"] == (
            f'attachment; filename="{ascii_name}{today}.{fmt}"; '
            f"filename*=UTF-8''twofold-{quoted}{today}.{fmt}"
        )


def test_the_history_export_api_names_the_file_safely(org: Any, owner: Any, api: Any) -> None:
    project = projects.create_project(actor=owner, organisation=org, name="P", code="A\nB")
    response = api(owner).get(
        f"/api/organisations/{org.pk}/history/export?format=csv&project_id={project.pk}"
    )
    assert response.status_code == 200
    today = dt.date.today().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="twofold-A_B-history-{today}.csv"; '
        f"filename*=UTF-8''twofold-A%0AB-history-{today}.csv"
    )


# --- 7. durations survive the task sheet's round trip -----------------------------------------

MINUTES = [30, 60, 420, 480, 1234]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_task_sheet_export_then_import_keeps_every_duration(org: Any, owner: Any, fmt: str) -> None:
    """Durations were exported as days to two decimals: 60 minutes came back as 58."""
    project = projects.create_project(
        actor=owner, organisation=org, name="RT", code="RT", target_start=dt.date(2026, 3, 2)
    )
    for minutes in MINUTES:
        projects.create_task(
            actor=owner, project=project, name=f"{minutes} min", duration_minutes=minutes
        )
    title, header, rows = exports.task_sheet(org, project.pk)
    listed = list(rows)
    column = list(header).index("Duration (days)")
    assert [r[column] for r in listed] == [0.0625, 0.125, 0.875, 1.0, 2.570833]
    data = (
        csv_text(header, listed).encode() if fmt == "csv" else xlsx_bytes([(title, header, listed)])
    )
    upload = sheet_import.upload_sheet(
        actor=owner, organisation=org, file_name=f"rt.{fmt}", data=data
    )
    copy = sheet_import.import_upload(
        actor=owner, upload=upload, mapping=upload.mapping, code=f"RT{fmt}"
    )
    assert list(
        Task.objects.filter(project=copy)
        .order_by("position")
        .values_list("name", "duration_minutes")
    ) == [(f"{m} min", m) for m in MINUTES]


def test_every_whole_minute_comes_back_from_its_days() -> None:
    from twofold.interop.sheet_tasks import MAX_DURATION, parse_duration

    for minutes in [*range(5000), *range(MAX_DURATION - 5000, MAX_DURATION + 1)]:
        assert parse_duration(exports._days(minutes)) == minutes
        assert parse_duration(str(exports._days(minutes))) == minutes


# --- 8. voided and corrected KPI values say so ------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_kpi_value_export_says_which_values_were_voided_or_corrected(
    org: Any, owner: Any, client: Any, fmt: str
) -> None:
    process = Process.objects.create(organisation=org, name="Line 2")
    kpi = Kpi.objects.create(
        organisation=org,
        process=process,
        name="Scrap",
        unit="%",
        good_direction="down",
        target=2.0,
        red_threshold=5.0,
    )

    def measure(day: int, value: float) -> Measurement:
        return Measurement.objects.create(
            organisation=org, kpi=kpi, measured_on=dt.date(2026, 3, day), value=value
        )

    measure(2, 1.5)
    wrong = measure(9, 99.0)
    corrections.void_measurement(
        actor=owner, measurement=wrong, expected_version=wrong.version, reason="Sensor fault"
    )
    typo = measure(16, 30.0)
    corrections.correct_measurement(
        actor=owner,
        measurement=typo,
        value=3.0,
        reason="Typed a zero too many",
        expected_version=typo.version,
        confirmed=True,
    )
    client.force_login(owner)
    response = client.get(reverse("interchange:export", args=["kpi-values", fmt]))
    assert response.status_code == 200
    header = [
        "Process", "KPI", "Unit", "Date", "Value", "Note", "Status", "Reason", "Original value",
    ]  # fmt: skip
    if fmt == "csv":
        assert _rows(response) == [
            header,
            ["Line 2", "Scrap", "%", "2026-03-02", "1.5", "", "", "", ""],
            ["Line 2", "Scrap", "%", "2026-03-09", "99.0", "", "voided", "Sensor fault", ""],
            ["Line 2", "Scrap", "%", "2026-03-16", "3.0", "", "corrected",
             "Typed a zero too many", "30.0"],
        ]  # fmt: skip
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        assert values[0] == header
        assert [row[4:] for row in values[1:]] == [
            [1.5, None, None, None, None],
            [99, None, "voided", "Sensor fault", None],
            [3, None, "corrected", "Typed a zero too many", 30],
        ]
