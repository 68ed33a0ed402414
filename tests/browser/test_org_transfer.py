"""Settings → Export & import in a real browser: export the demo organisation, import the
archive as a new organisation, and see its projects there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_export_the_demo_organisation_and_import_it_as_a_new_one(
    page, live_server, demo_org, sign_in, shot, settings, tmp_path, monkeypatch
):
    from twofold.interchange import org_archive
    from twofold.projects.models import Project

    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setattr(org_archive, "INLINE_ROWS", 1_000_000)  # the download at once, no worker
    sign_in()
    page.goto(f"{live_server.url}/accounts/settings/")
    page.get_by_role("link", name="Export & import").click()
    expect(page.get_by_role("heading", name=f"Export {demo_org.name}")).to_be_visible()
    shot("org-transfer")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export the organisation").click()
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    assert archive.name.startswith(f"{demo_org.slug}-") and archive.stat().st_size > 1000

    page.get_by_label("Organisation export (.zip)").set_input_files(str(archive))
    page.get_by_label("Name of the new organisation").fill("Halvorsen copy")
    page.get_by_role("button", name="Import as a new organisation").click()
    expect(page.get_by_text(re.compile(r"Halvorsen copy was imported: \d+ rows"))).to_be_visible()
    first = Project.objects.filter(organisation=demo_org, deleted_at=None).order_by("name")[0]
    expect(page.get_by_role("link", name=first.name).first).to_be_visible()
    shot("org-imported")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/organisation/transfer/")
    expect(page.get_by_role("heading", name="Import an organisation")).to_be_visible()
    shot("org-transfer-phone")
