"""Microsoft Project import in a real browser: upload a shared MSPDI file, see the dates
``twofold mspdi-check`` computes, import it, export it and read the export back equal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_HERE = Path(__file__).resolve()
DATA = (
    next(
        (p for p in (_HERE.parents[3] / "shared", _HERE.parents[4] / "shared") if p.is_dir()),
        _HERE.parents[3] / "shared",
    )
    / "data"
    / "mspdi"
)
FILE = DATA / "task-links-project2010-mspdi.xml"


def test_import_a_project_file_and_export_it(page: Any, live_server: Any, shot: Any) -> None:
    if not FILE.exists():
        pytest.skip(f"{FILE} not found (../shared/data/mspdi beside the checkout)")
    from twofold.accounts.models import Membership, Organisation, Role, User
    from twofold.core import dates
    from twofold.engine.cpm import schedule
    from twofold.interop.mspdi import read_mspdi

    org = Organisation.objects.create(name="Plans Ltd", slug="plans")
    user = User.objects.create_user(email="pm@example.com", password="correct horse battery")
    Membership.objects.create(organisation=org, user=user, role=Role.OWNER)
    document = read_mspdi(FILE)
    result = schedule(document.plan)  # what `twofold mspdi-check` computes
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail").fill("pm@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/projects/")
    page.get_by_role("link", name="Import from Microsoft Project").click()
    page.get_by_label("Microsoft Project XML file").set_input_files(str(FILE))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="What will be created")).to_be_visible()
    expect(page.get_by_text("Every task gets the dates")).to_be_visible()
    # The task Project writes at outline level 0 is the project itself: not a row.
    project_task = {i.uid for i in document.tasks if i.outline_level == 0}
    tasks = [t for t in document.plan.tasks if t.uid not in project_task]
    assert len(tasks) == len(document.plan.tasks) - 1
    expect(page.locator("#mspdi-tasks tbody tr")).to_have_count(len(tasks))
    for task in tasks:
        dates_of = result.task(task.uid)
        row = page.locator(f'#mspdi-tasks tr[data-uid="{task.uid}"]')
        expect(row.locator(".task-start")).to_have_text(dates.format_daytime(dates_of.start))
        expect(row.locator(".task-finish")).to_have_text(dates.format_daytime(dates_of.finish))
    shot("mspdi-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("mspdi-preview-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_label("Project code").fill("LNK")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported task-links-project2010-mspdi.xml")).to_be_visible()
    page.get_by_role("link", name="Tasks", exact=True).click()
    link = page.get_by_role("link", name="Export to Microsoft Project (XML)")
    exported = page.request.get(live_server.url + link.get_attribute("href"))
    assert exported.ok
    again = schedule(read_mspdi(exported.body()).plan)
    for task in tasks:  # the export keeps the file's task UIDs
        ours, back = result.task(task.uid), again.task(task.uid)
        assert (back.start, back.finish) == (ours.start, ours.finish)
    shot("mspdi-imported-tasks")
