"""Spreadsheet task import in a real browser: a file with errors shows every bad row and
creates nothing; the fixed file imports and its tasks are in the task list."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["WBS", "Task", "Duration", "Start", "Predecessors", "Assignee"]


def _xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_import_a_spreadsheet_fix_it_and_see_the_tasks(
    page: Any, live_server: Any, shot: Any, tmp_path: Path
) -> None:
    from twofold.accounts.models import Membership, Organisation, Role, User
    from twofold.projects.models import Task
    from twofold.projects.services import create_project

    org = Organisation.objects.create(name="Plans Ltd", slug="plans")
    user = User.objects.create_user(email="pm@example.com", password="correct horse battery")
    Membership.objects.create(organisation=org, user=user, role=Role.OWNER)
    project = create_project(actor=user, organisation=org, name="Warehouse move", code="WH")
    start = dt.datetime(2026, 3, 2)
    bad = _xlsx(
        tmp_path / "move.xlsx",
        [
            ["1", "Prepare", None, None, None, None],
            ["1.1", "Pack the racks", "3d", start, None, "pm@example.com"],
            ["1.2", "Book the trucks", "5x", None, "2", None],
            ["1.3", "Label the boxes", "1d", "=D3+1", "2FS+1d", "nobody@example.com"],
            ["2", "Move", "2d", None, "4;2", None],
        ],
    )
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail").fill("pm@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/projects/{project.pk}/tasks/")
    page.get_by_role("link", name="Import tasks from a spreadsheet").click()
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="2. Fix these rows")).to_be_visible()
    errors = page.locator("#sheet-errors tbody tr")
    expect(errors).to_have_count(3)
    expect(errors.nth(0)).to_contain_text("“5x” is not a duration")
    expect(errors.nth(1)).to_contain_text("A formula (=D3+1) where a date belongs")
    expect(errors.nth(2)).to_contain_text("nobody@example.com is not a member of this organisation")
    shot("sheet-import-errors")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("sheet-import-errors-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert Task.objects.filter(project=project).count() == 0
    good = _xlsx(
        tmp_path / "move-fixed.xlsx",
        [
            ["1", "Prepare", None, None, None, None],
            ["1.1", "Pack the racks", "3d", start, None, "pm@example.com"],
            ["1.2", "Book the trucks", "5d", None, "2", None],
            ["1.3", "Label the boxes", "1d", None, "2FS+1d", None],
            ["2", "Move", "2d", None, "4;2", None],
        ],
    )
    page.get_by_role("link", name="upload it again").click()
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(str(good))
    page.get_by_role("button", name="Upload and map columns").click()
    ready = page.locator("section[aria-labelledby=import-title] [role=status]")
    expect(ready).to_contain_text("Every row can be imported: 5 tasks")
    expect(page.locator("#sheet-preview tbody tr")).to_have_count(5)
    shot("sheet-import-ready")
    page.get_by_role("button", name="Import 5 tasks").click()
    expect(page.get_by_text("Imported 5 tasks from move-fixed.xlsx")).to_be_visible()
    for name in ("Prepare", "Pack the racks", "Book the trucks", "Label the boxes", "Move"):
        expect(page.get_by_role("textbox", name=f"Name of {name}", exact=True)).to_have_value(name)
    expect(page.get_by_role("combobox", name="Assignee of Pack the racks")).to_have_value(
        str(user.pk)
    )
    shot("sheet-imported-tasks")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("sheet-imported-tasks-phone")
