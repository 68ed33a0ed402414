"""The rules a lesson holds, the same on the page and in the API, when recorded and edited."""

from __future__ import annotations

import pytest
from django.utils import timezone

from twofold.closeout import services
from twofold.closeout.models import Lesson
from twofold.core.errors import Invalid
from twofold.operations.models import Process
from twofold.projects.models import Phase, Project

pytestmark = pytest.mark.django_db
EMPTY = "Say what worked, what did not, or what you recommend."


@pytest.fixture
def closing(project):
    Project.objects.filter(pk=project.pk).update(phase=Phase.CLOSURE)
    project.refresh_from_db()
    return project


def _archive(process):
    Process.objects.filter(pk=process.pk).update(archived_at=timezone.now())
    process.refresh_from_db()


def test_an_archived_process_is_refused_on_the_page_and_in_the_api(
    api, signed_in, org, closing, manager, process
):
    """The API linked a lesson to an archived process until 2026-12-06; the page refused."""
    _archive(process)
    page = signed_in(manager).post(
        f"/closeout/projects/{closing.pk}/lessons/",
        {"title": "T", "recommendation": "R", "process": process.pk},
    )
    assert page.status_code == 422
    made = api(manager).post(
        f"/api/organisations/{org.pk}/projects/{closing.pk}/lessons",
        {"title": "T", "recommendation": "R", "process_id": process.pk},
    )
    assert (made.status_code, made.json()) == (
        422,
        {
            "detail": "Preventive maintenance is archived: choose a live process.",
            "field": "process",
        },
    )
    assert not Lesson.objects.exists()


def test_a_lesson_keeps_the_process_archived_after_it_was_linked(
    api, signed_in, org, closing, manager, process
):
    lesson = services.record_lesson(
        actor=manager, project=closing, title="T", recommendation="R", process=process
    )
    _archive(process)
    kept = api(manager).patch(
        f"/api/organisations/{org.pk}/lessons/{lesson.pk}",
        {"version": 1, "title": "T2", "process_id": process.pk},
    )
    assert (kept.status_code, kept.json()["process_id"]) == (200, process.pk)
    # The page's edit form offers it too, so saving the form keeps the link.
    saved = signed_in(manager).post(
        f"/closeout/lessons/{lesson.pk}/",
        {
            "action": "edit",
            "version": "2",
            "title": "T3",
            "recommendation": "R",
            "process": str(process.pk),
        },
    )
    assert saved.status_code == 302
    assert Lesson.objects.values_list("title", "process_id").get() == ("T3", process.pk)


def test_an_edit_cannot_empty_all_three_texts(api, signed_in, org, closing, manager):
    """``record_lesson`` refuses a lesson with none of them; an edit made one until 2026-12-06."""
    lesson = services.record_lesson(actor=manager, project=closing, title="T", recommendation="R")
    emptied = api(manager).patch(
        f"/api/organisations/{org.pk}/lessons/{lesson.pk}", {"version": 1, "recommendation": ""}
    )
    assert (emptied.status_code, emptied.json()) == (
        422,
        {"detail": EMPTY, "field": "recommendation"},
    )
    page = signed_in(manager).post(
        f"/closeout/lessons/{lesson.pk}/",
        {"action": "edit", "version": "1", "title": "T", "recommendation": "  "},
    )
    assert page.status_code == 422
    assert page.context["forms"]["edit"].errors == {"recommendation": [EMPTY]}
    with pytest.raises(Invalid) as exc:
        services.update_lesson(
            actor=manager, lesson=lesson, expected_version=1, recommendation=None
        )
    assert exc.value.field == "recommendation"
    assert Lesson.objects.values_list("recommendation", "version").get() == ("R", 1)
    # Moving the text to another of the three is fine.
    moved = api(manager).patch(
        f"/api/organisations/{org.pk}/lessons/{lesson.pk}",
        {"version": 1, "recommendation": "", "worked": "Early orders"},
    )
    assert moved.status_code == 200
    assert Lesson.objects.values_list("worked", "recommendation", "version").get() == (
        "Early orders",
        "",
        2,
    )
