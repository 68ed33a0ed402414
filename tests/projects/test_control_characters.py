"""A control character typed in a name (the API takes any text) made every XLSX export with it
answer 500, the Microsoft Project export a file no reader (ours included) would take, and a
code with a CR or LF broke the download's header (until 2026-12-06)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from twofold.interchange.mspdi_export import export_mspdi
from twofold.interop.mspdi import read_mspdi
from twofold.interop.spreadsheet import xlsx_bytes
from twofold.projects import services

pytestmark = pytest.mark.django_db


def test_exports_drop_characters_xml_cannot_hold(client: Any, project: Any, owner: Any) -> None:
    task, _ = services.create_task(actor=owner, project=project, name="Valve\x01check\x0b")
    data = xlsx_bytes([("Tasks", ["Name"], [[task.name]])])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None and sheet["A2"].value == "Valvecheck"
    document = read_mspdi(export_mspdi(project))
    assert "Valvecheck" in [t.name for t in document.plan.tasks]
    client.force_login(owner)
    assert client.get(f"/exports/tasks.xlsx?project={project.pk}").status_code == 200


def test_a_code_with_a_line_break_is_a_safe_file_name(
    client: Any, project: Any, owner: Any
) -> None:
    type(project).objects.filter(pk=project.pk).update(code='OPX\r\nX-Evil: 1"')
    client.force_login(owner)
    for url in (
        f"/evm/projects/{project.pk}/export/",
        f"/evm/projects/{project.pk}/export/?format=xlsx",
    ):
        answer = client.get(url)
        assert answer.status_code == 200, url
        header = answer["Content-Disposition"]
        assert "\r" not in header and "\n" not in header
        assert header.startswith('attachment; filename="OPX__X-Evil__1_-earned-value-')
