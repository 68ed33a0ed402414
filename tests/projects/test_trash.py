"""The trash for projects and tasks: hidden everywhere at once, restored whole, purged clean."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from twofold.attachments import services as attachment_services
from twofold.attachments.models import Attachment
from twofold.comments.models import Comment
from twofold.core import trash
from twofold.core.errors import Invalid
from twofold.core.models import HistoryEntry, TrashEntry
from twofold.projects import lifecycle, services
from twofold.projects.models import Link, Project, Task
from twofold.search.models import SearchDocument

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def tree(project: Project, owner: Any, chain: list[Task]) -> dict[str, Any]:
    """A summary S with subtask C (with a comment and a file), linked after A; S → B."""
    a, b, _m = chain
    s, _ = services.create_task(actor=owner, project=project, name="Summary S")
    c, _ = services.create_task(actor=owner, project=project, name="Child C", parent=s)
    services.add_link(actor=owner, project=project, pred=a, succ=c)
    comment = services.add_comment(actor=owner, task=c, body="Check the weld")
    upload = SimpleUploadedFile("weld.pdf", b"%PDF-1.4 weld", content_type="application/pdf")
    attachment = attachment_services.upload(actor=owner, target=c, file=upload)
    return {"s": s, "c": c, "a": a, "b": b, "comment": comment, "attachment": attachment}


def _body(response: Any) -> str:
    return b"".join(response.streaming_content).decode()


def _trash_task(owner: Any, task: Task, capture: Any) -> TrashEntry:
    with capture(execute=True):
        services.delete_task(actor=owner, task=task)
    return TrashEntry.objects.get(object_id=task.pk, kind="projects.task")


def test_a_trashed_task_is_gone_from_pages_api_search_and_exports(
    tree: dict[str, Any],
    project: Project,
    owner: Any,
    signed_in: Any,
    api: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    s, c = tree["s"], tree["c"]
    from twofold.search.index import reindex

    reindex(project.organisation_id)
    assert SearchDocument.objects.filter(object_id=c.pk, kind="task").exists()
    entry = _trash_task(owner, s, django_capture_on_commit_callbacks)

    assert (
        entry.summary == "in PLU Press line upgrade with 1 subtask, 1 link, 1 comment, 1 attachment"
    )
    assert set(Task.all_objects.filter(trash_batch=entry.batch).values_list("name", flat=True)) == {
        "Summary S",
        "Child C",
    }
    assert list(Task.objects.filter(project=project).values_list("name", flat=True)) == [
        "A",
        "B",
        "M",
    ]
    assert Link.objects.filter(project=project).count() == 2  # A→C drops out of scheduling
    assert Link.all_objects.filter(project=project).count() == 3
    assert Comment.objects.filter(target_kind="task", target_id=c.pk).exists()  # kept, unseen
    assert not SearchDocument.objects.filter(kind="task", object_id__in=[s.pk, c.pk]).exists()

    client = signed_in(owner)
    assert client.get(f"/projects/{project.pk}/tasks/{c.pk}/").status_code == 404
    assert client.get(f"/projects/{project.pk}/tasks/{s.pk}/").status_code == 404
    for page in ("tasks", "board", "gantt"):
        html = client.get(f"/projects/{project.pk}/{page}/").content.decode()
        assert "Child C" not in html and "Summary S" not in html, page
    assert "Child C" not in _body(client.get("/reports/export/tasks.csv"))
    assert "Child C" not in client.get("/search/?q=Child").content.decode()

    base = f"/api/organisations/{project.organisation_id}/projects/{project.pk}/tasks"
    client_api = api(owner)
    names = [t["name"] for t in client_api.get(base).json()["items"]]
    assert "Child C" not in names and "Summary S" not in names
    assert client_api.get(f"{base}/{c.pk}/deletion").status_code == 404
    assert client_api.patch(f"{base}/{c.pk}", {"name": "X", "version": 9}).status_code == 404
    # Its file answers 404 like one that never existed.
    assert client.get(f"/attachments/{tree['attachment'].pk}/download/").status_code == 404

    history = HistoryEntry.objects.filter(object_id=s.pk, action="moved to trash").get()
    assert history.summary.startswith("Moved task Summary S to the trash with 1 subtask")


def test_restore_brings_back_children_comments_files_links_and_history(
    tree: dict[str, Any],
    project: Project,
    owner: Any,
    admin: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    s, c = tree["s"], tree["c"]
    entry = _trash_task(owner, s, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        restored = trash.restore(
            actor=admin,
            organisation=project.organisation,
            entry_id=entry.pk,
            expected_version=entry.version,
        )
    assert restored == s
    assert Task.objects.filter(pk__in=[s.pk, c.pk]).count() == 2
    assert Link.objects.filter(project=project).count() == 3
    assert list(
        Comment.objects.filter(target_kind="task", target_id=c.pk).values_list("body", flat=True)
    ) == ["Check the weld"]
    assert Attachment.objects.filter(pk=tree["attachment"].pk).exists()
    assert SearchDocument.objects.filter(kind="task", object_id__in=[s.pk, c.pk]).count() == 2
    assert not TrashEntry.objects.exists()
    actions = list(
        HistoryEntry.objects.filter(object_id=s.pk, content_type__model="task")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["moved to trash", "restored"]
    keys = list(Task.objects.filter(project=project).values_list("board_key", flat=True))
    assert len(set(keys)) == len(keys) and not any(k.startswith("~") for k in keys)
    c.refresh_from_db()
    assert c.start is not None  # rescheduled with its link again


def test_a_task_trashed_earlier_on_its_own_stays_in_the_trash(
    tree: dict[str, Any], project: Project, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    child_entry = _trash_task(owner, tree["c"], django_capture_on_commit_callbacks)
    parent_entry = _trash_task(owner, tree["s"], django_capture_on_commit_callbacks)
    with pytest.raises(Invalid) as refused:
        trash.restore(actor=owner, organisation=project.organisation, entry_id=child_entry.pk)
    assert refused.value.message == (
        "Its task “Summary S” is in the trash too: restore the task first."
    )
    trash.restore(actor=owner, organisation=project.organisation, entry_id=parent_entry.pk)
    assert Task.objects.filter(pk=tree["s"].pk).exists()
    assert not Task.objects.filter(pk=tree["c"].pk).exists()
    trash.restore(actor=owner, organisation=project.organisation, entry_id=child_entry.pk)
    assert Task.objects.filter(pk=tree["c"].pk).exists()


def test_a_stale_restore_is_refused_and_a_second_restore_is_404(
    tree: dict[str, Any], project: Project, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    entry = _trash_task(owner, tree["s"], django_capture_on_commit_callbacks)
    from twofold.core.errors import Conflict, NotFound

    with pytest.raises(Conflict):
        trash.restore(
            actor=owner, organisation=project.organisation, entry_id=entry.pk, expected_version=1
        )
    trash.restore(actor=owner, organisation=project.organisation, entry_id=entry.pk)
    with pytest.raises(NotFound):
        trash.restore(actor=owner, organisation=project.organisation, entry_id=entry.pk)


def test_purge_after_the_retention_removes_rows_and_files_and_leaves_no_orphans(
    tree: dict[str, Any],
    project: Project,
    owner: Any,
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from twofold.customfields import services as field_services
    from twofold.customfields.models import FieldValue

    field = field_services.create_definition(
        actor=owner,
        organisation=project.organisation,
        name="Welds",
        applies_to="task",
        kind="number",
    )
    field_services.set_values(actor=owner, target=tree["c"], values={field.pk: "4"})
    assert FieldValue.objects.count() == 1
    stored = media / tree["attachment"].file.name
    assert stored.exists()
    entry = _trash_task(owner, tree["s"], django_capture_on_commit_callbacks)
    assert trash.purge_due(now=timezone.now()) == 0  # not yet: 30 days
    with django_capture_on_commit_callbacks(execute=True):
        assert trash.purge_due(now=entry.purge_after + dt.timedelta(seconds=1)) == 1
    assert not Task.all_objects.filter(pk__in=[tree["s"].pk, tree["c"].pk]).exists()
    assert not Comment.objects.filter(pk=tree["comment"].pk).exists()
    assert Link.all_objects.filter(project=project).count() == 2
    assert not Attachment.objects.exists()
    assert not stored.exists()
    assert not FieldValue.objects.exists()
    assert not TrashEntry.objects.exists()
    assert trash.purge_due(now=entry.purge_after + dt.timedelta(days=1)) == 0  # idempotent


def test_a_trashed_project_is_hidden_and_restored_with_its_tasks_and_risks(
    tree: dict[str, Any],
    project: Project,
    owner: Any,
    signed_in: Any,
    api: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from twofold.risks import services as risk_services
    from twofold.risks.models import Risk

    risk = risk_services.create_risk(actor=owner, project=project, title="Supplier late")
    with django_capture_on_commit_callbacks(execute=True):
        gone = lifecycle.delete_project(actor=owner, project=project, expected_version=None)
    assert "2 tasks" not in gone and "tasks" in gone
    entry = TrashEntry.objects.get(kind="projects.project")
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Task.objects.filter(project_id=project.pk).exists()
    assert not Risk.objects.filter(pk=risk.pk).exists()
    client = signed_in(owner)
    assert client.get(f"/projects/{project.pk}/").status_code == 404
    assert "PLU" not in client.get("/projects/").content.decode()
    assert "Press line" not in _body(client.get("/reports/export/projects.csv"))
    org_api = f"/api/organisations/{project.organisation_id}/projects"
    assert project.pk not in [p["id"] for p in api(owner).get(org_api).json()]
    assert api(owner).get(f"{org_api}/{project.pk}").status_code == 404
    # Its code stays taken until the purge.
    with pytest.raises(Invalid) as taken:
        services.create_project(
            actor=owner,
            organisation=project.organisation,
            name="Other",
            code="PLU",
            target_start=dt.date(2025, 3, 3),
        )
    assert taken.value.message == "The code PLU is already used by a project in the trash."

    with django_capture_on_commit_callbacks(execute=True):
        trash.restore(actor=owner, organisation=project.organisation, entry_id=entry.pk)
    assert Task.objects.filter(project=project).count() == 5
    assert Risk.objects.filter(pk=risk.pk).exists()
    assert client.get(f"/projects/{project.pk}/").status_code == 200


def test_purging_a_project_removes_its_files_and_the_entries_of_things_inside_it(
    tree: dict[str, Any],
    project: Project,
    owner: Any,
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    stored = media / tree["attachment"].file.name
    child = _trash_task(owner, tree["c"], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.delete_project(actor=owner, project=project, expected_version=None)
    entry = TrashEntry.objects.get(kind="projects.project")
    with django_capture_on_commit_callbacks(execute=True):
        trash.purge_now(actor=owner, organisation=project.organisation, entry_id=entry.pk)
    assert not Project.all_objects.filter(pk=project.pk).exists()
    assert not Task.all_objects.filter(project_id=project.pk).exists()
    assert not Attachment.objects.exists() and not stored.exists()
    assert not TrashEntry.objects.filter(pk=child.pk).exists()


def test_a_restored_subtree_keeps_its_place_in_the_outline(
    tree: dict[str, Any], project: Project, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A task added where a trashed subtree was does not end up inside it after the restore."""
    from twofold.projects.selectors import outline

    entry = _trash_task(owner, tree["s"], django_capture_on_commit_callbacks)
    services.create_task(actor=owner, project=project, name="Added meanwhile")
    trash.restore(actor=owner, organisation=project.organisation, entry_id=entry.pk)
    names = dict(Task.objects.filter(project=project).values_list("pk", "name"))
    assert [(names[row.pk], row.depth) for row in outline(project)] == [
        ("A", 0),
        ("B", 0),
        ("M", 0),
        ("Summary S", 0),
        ("Child C", 1),
        ("Added meanwhile", 0),
    ]
    positions = list(Task.objects.filter(project=project).values_list("position", flat=True))
    assert len(set(positions)) == len(positions)
