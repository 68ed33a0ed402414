"""Children hidden with their parent (a lesson of a project in the trash) leave search with it,
and come back with a restore (until 2026-12-06 a trashed or purged project's lessons stayed
findable: title, text and the project's name)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from twofold.closeout import services as closeout
from twofold.closeout.models import Lesson
from twofold.core import trash
from twofold.projects import services as projects
from twofold.projects.models import Phase, Project
from twofold.search.models import SearchDocument
from twofold.search.selectors import search

pytestmark = pytest.mark.django_db


def _lesson_project(org: Any, owner: Any, committed: Any) -> Project:
    with committed(execute=True):
        p = projects.create_project(actor=owner, organisation=org, name="Secret pilot", code="SP")
    Project.objects.filter(pk=p.pk).update(phase=Phase.CLOSURE)
    p.refresh_from_db()
    with committed(execute=True):
        closeout.record_lesson(
            actor=owner, project=p, title="Zanzibar supplier bribe", did_not_work="confidential"
        )
    assert search(owner, org, "zanzibar").total == 1
    return p


def test_a_lesson_leaves_search_with_its_project_and_comes_back_with_it(
    org: Any, owner: Any, signed_in: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p = _lesson_project(org, owner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        entry = trash.move_to_trash(actor=owner, obj=p)
    assert search(owner, org, "zanzibar").total == 0
    assert "Zanzibar" not in signed_in(owner).get("/search/?q=zanzibar").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    found = search(owner, org, "zanzibar")
    assert found.total == 1
    assert [h.title for h in found.hits] == ["<mark>Zanzibar</mark> supplier bribe"]


def test_a_purged_projects_lesson_leaves_no_document(
    org: Any, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p = _lesson_project(org, owner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        entry = trash.move_to_trash(actor=owner, obj=p)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        trash.purge_entry(entry)
    assert not Lesson.all_objects.exists()
    assert not SearchDocument.objects.filter(title__icontains="zanzibar").exists()
