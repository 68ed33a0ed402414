"""A page answering 409 shows the object as it is stored, never the refused edit as if saved."""

from __future__ import annotations

import pytest

from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict
from twofold.operations import services
from twofold.operations.models import Process


def test_a_refused_write_leaves_the_object_as_stored(owner, process):
    stale = Process.objects.get(pk=process.pk)
    services.update_process(
        actor=owner, process=process, expected_version=process.version, name="Line 2 assembly"
    )
    stale.name, stale.description = "Refused name", "kept in memory: not written"
    with pytest.raises(Conflict):
        save_versioned(stale, expected_version=stale.version, fields=["name"])
    assert (stale.name, stale.version) == ("Line 2 assembly", process.version)
    # Only what it tried to write is read again.
    assert stale.description == "kept in memory: not written"


def test_a_deleted_row_leaves_the_object_as_it_was(owner, process):
    stale = Process.objects.get(pk=process.pk)
    Process.objects.filter(pk=process.pk).delete()
    stale.name = "Gone"
    with pytest.raises(Conflict):
        save_versioned(stale, expected_version=stale.version, fields=["name"])
    assert stale.name == "Gone"


def test_a_stale_edit_page_names_the_process_as_stored_not_as_refused(client, owner, process):
    """The 409 page's heading and breadcrumb named the process by the refused new name."""
    read = process.version
    services.update_process(
        actor=owner, process=process, expected_version=read, name="Line 2 assembly"
    )
    client.force_login(owner)
    r = client.post(
        f"/operations/processes/{process.pk}/edit/",
        {"version": read, "name": "Refused name", "annual_budget": "1000"},
    )
    page = r.content.decode()
    assert r.status_code == 409 and "Someone else changed this" in page
    assert "<h1>Edit Line 2 assembly</h1>" in page
    assert page.count("Refused name") == 1  # only in the form's field, as typed
    assert 'value="Refused name"' in page
