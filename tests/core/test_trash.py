"""The Trash page and API (admins only), the retention setting and purge by several workers."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from tests.projects.conftest import MONDAY, admin, chain, editor, guest, project
from twofold.accounts.models import Role
from twofold.core import trash
from twofold.core.models import TrashEntry
from twofold.projects import services
from twofold.projects.models import Project, Task

__all__ = ["MONDAY", "admin", "chain", "editor", "guest", "project"]


def _trashed(owner: Any, project: Project, names: list[str]) -> list[TrashEntry]:
    entries = []
    for name in names:
        task, _ = services.create_task(actor=owner, project=project, name=name)
        services.delete_task(actor=owner, task=task)
        entries.append(TrashEntry.objects.get(object_id=task.pk))
    return entries


@pytest.mark.django_db
def test_the_trash_page_is_for_admins_and_restores_and_deletes(
    org: Any, owner: Any, admin: Any, editor: Any, project: Project, signed_in: Any
) -> None:
    kept, purged = _trashed(editor, project, ["Pour slab", "Old idea"])
    client = signed_in(editor)
    assert client.get("/trash/").status_code == 403
    assert client.post(f"/trash/{kept.pk}/restore/").status_code == 403
    assert "Trash</a>" not in client.get("/accounts/settings/").content.decode()

    client = signed_in(admin)
    settings_page = client.get("/accounts/settings/").content.decode()
    assert '<a href="/trash/">Trash</a>' in settings_page
    page = client.get("/trash/").content.decode()
    assert "Task “Pour slab”" in page and "Task “Old idea”" in page
    assert "in PLU Press line upgrade" in page and "Mel Member" in page
    assert "deleted in the last 30 days" in page

    r = client.post(f"/trash/{kept.pk}/restore/", {"version": kept.version})
    assert r.status_code == 302
    assert r.url == f"/projects/{project.pk}/tasks/{kept.object_id}/"
    assert client.get(r.url).status_code == 200
    r = client.post(f"/trash/{purged.pk}/purge/")
    assert r.status_code == 302 and r.url == "/trash/"
    assert not Task.all_objects.filter(pk=purged.object_id).exists()
    page = client.get("/trash/").content.decode()
    assert "The trash is empty" in page


@pytest.mark.django_db
def test_the_trash_api_has_the_same_rules(
    org: Any, owner: Any, editor: Any, outsider: Any, project: Project, api: Any
) -> None:
    (entry,) = _trashed(owner, project, ["Pour slab"])
    base = f"/api/organisations/{org.pk}/trash"
    assert api(editor).get(base).status_code == 403
    assert api(outsider).get(base).status_code == 404
    assert api(editor).post(f"{base}/{entry.pk}/restore?version={entry.version}").status_code == 403
    assert api(outsider).delete(f"{base}/{entry.pk}").status_code == 404
    assert api(owner).post(f"{base}/{entry.pk}/restore?version=1").status_code == 409
    assert TrashEntry.objects.filter(pk=entry.pk).exists()  # nothing changed by the denials
    listed = api(owner).get(base).json()
    assert listed[0]["label"] == "Task “Pour slab”" and listed[0]["noun"] == "task"
    assert api(owner).delete(f"{base}/{entry.pk}").status_code == 204
    assert api(owner).delete(f"{base}/{entry.pk}").status_code == 404
    assert not Task.all_objects.filter(pk=entry.object_id).exists()


@pytest.mark.django_db
def test_retention_is_an_instance_setting(
    settings: Any, owner: Any, project: Project, signed_in: Any, org: Any
) -> None:
    settings.TWOFOLD_TRASH_DAYS = 7
    (entry,) = _trashed(owner, project, ["Pour slab"])
    assert entry.purge_after - entry.deleted_at == dt.timedelta(days=7)
    page = signed_in(owner).get("/trash/").content.decode()
    assert "deleted in the last 7 days" in page


@pytest.mark.django_db
def test_the_worker_purges_what_is_past_its_retention(
    owner: Any, project: Project, capsys: Any
) -> None:
    old, new = _trashed(owner, project, ["Old", "New"])
    TrashEntry.objects.filter(pk=old.pk).update(purge_after=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    call_command("worker", "--once")
    assert "1 trash entry purged" in capsys.readouterr().out
    assert not Task.all_objects.filter(pk=old.object_id).exists()
    assert Task.all_objects.filter(pk=new.object_id).exists()
    assert list(TrashEntry.objects.values_list("pk", flat=True)) == [new.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_purging_at_once_share_the_work(org: Any, owner: Any) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip(
            "SQLite's in-memory test database cannot be shared by threads; .ci/run "
            "runs this on PostgreSQL"
        )
    project = services.create_project(
        actor=owner, organisation=org, name="Purge", code="PRG", target_start=MONDAY
    )
    entries = _trashed(owner, project, [f"T{i}" for i in range(12)])
    TrashEntry.objects.update(purge_after=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    done: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            done.append(trash.purge_due())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(done) == len(entries)
    assert not TrashEntry.objects.exists()
    assert not Task.all_objects.filter(project=project).exists()


@pytest.mark.django_db
def test_a_guest_cannot_move_anything_to_the_trash(
    owner: Any, guest: Any, chain: list[Task], api: Any, org: Any, project: Project
) -> None:
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{chain[0].pk}"
    assert api(guest).delete(url).status_code == 403
    assert not TrashEntry.objects.exists() and Task.objects.filter(pk=chain[0].pk).exists()
    assert Role.GUEST == "guest"


@pytest.mark.django_db
def test_the_trash_page_and_api_list_read_a_constant_number_of_queries(
    org: Any, owner: Any, project: Project, signed_in: Any, api: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _trashed(owner, project, ["One", "Two"])
    client, client_api = signed_in(owner), api(owner)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            assert client.get("/trash/").status_code == 200
        with CaptureQueriesContext(connection) as listed:
            assert client_api.get(f"/api/organisations/{org.pk}/trash").status_code == 200
        return len(page.captured_queries), len(listed.captured_queries)

    counts()  # the first request also records the token's first use
    few = counts()
    _trashed(owner, project, [f"More {i}" for i in range(8)])
    assert counts() == few
    assert few[0] <= 12 and few[1] <= 8
