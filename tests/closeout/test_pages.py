"""Close-out pages: drafting on the handover page (htmx sections), the origin note on
operations pages, the hypercare badge, the portfolio card, lessons pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from twofold.accounts.models import Role
from twofold.closeout import services
from twofold.closeout.models import HandoverPart, Lesson
from twofold.improvement import services as improvement
from twofold.improvement.models import ImprovementItem
from twofold.operations.models import Kpi, Routine
from twofold.projects.models import Phase, Project

from .conftest import KPI, ROUTINE

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _routine_post(**extra: Any) -> dict[str, Any]:
    return {
        "routine-name": "Weekly meter review",
        "routine-repeat": "weekly",
        "routine-weekdays": ["MO"],
        "routine-interval": "1",
        "routine-starts_on": "2027-01-04",
        "routine-due_time": "09:00",
        "routine-effort_minutes": "45",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "40",
        "steps-0-text": "Read the sub-meters",
        "steps-0-evidence": "number",
        "steps-1-text": "",
        "steps-1-evidence": "none",
        "steps-2-text": "",
        "steps-2-evidence": "none",
        **extra,
    }


def test_the_team_drafts_a_routine_and_a_kpi_on_the_handover_page(
    signed_in, handover, manager, process_owner
):
    client = signed_in(manager)
    page = client.get(f"/improvement/handovers/{handover.pk}/").content.decode()
    assert "What operations gets (0)" in page
    assert 'id="co-routine"' in page and 'id="co-kpi"' in page and 'id="co-document"' in page

    url = f"/closeout/handovers/{handover.pk}/parts/routine/"
    response = client.post(url, _routine_post(), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    # The section carries the handover's version, moved by the part (it awaits acceptance):
    # the page's forms take it (closeout.js).
    handover.refresh_from_db()
    assert body.startswith(
        f'<div class="co-section" id="co-routine" data-handover-version="{handover.version}">'
    )
    assert "Weekly meter review" in body and "Every Monday" in body
    part = HandoverPart.objects.get(kind="routine")
    assert part.spec["steps"][0]["text"] == "Read the sub-meters"
    assert part.spec["rrule"] == "FREQ=WEEKLY;BYDAY=MO"

    bad = client.post(
        f"/closeout/handovers/{handover.pk}/parts/kpi/",
        {
            "kpi-name": "Energy per part",
            "kpi-good_direction": "down",
            "kpi-target": "2.5",
            "kpi-red_threshold": "2.2",
            "kpi-frequency": "weekly",
        },
        **HTMX,
    )
    assert bad.status_code == 422
    assert "the target (2.5) must be at or below the red threshold (2.2)" in bad.content.decode()
    assert not HandoverPart.objects.filter(kind="kpi").exists()

    ok = client.post(
        f"/closeout/handovers/{handover.pk}/parts/kpi/",
        {
            "kpi-name": "Energy per part",
            "kpi-unit": "kWh",
            "kpi-good_direction": "down",
            "kpi-target": "1.8",
            "kpi-amber_threshold": "2.0",
            "kpi-red_threshold": "2.2",
            "kpi-frequency": "weekly",
        },
    )
    assert ok.status_code == 302  # without htmx: back to the handover page
    # The process owner accepts on the handover page.
    owner_client = signed_in(process_owner)
    handover.refresh_from_db()  # each part drafted while it awaits acceptance moved it
    accepted = owner_client.post(
        f"/improvement/handovers/{handover.pk}/",
        {"action": "accept", "version": handover.version, "note": ""},
    )
    assert accepted.status_code == 302
    routine = Routine.objects.get(name="Weekly meter review")
    kpi = Kpi.objects.get(name="Energy per part")
    page = owner_client.get(f"/improvement/handovers/{handover.pk}/").content.decode()
    assert f'href="/operations/routines/{routine.pk}/"' in page
    assert "Add a routine" not in page
    for url in (f"/operations/routines/{routine.pk}/", f"/operations/kpis/{kpi.pk}/"):
        shown = owner_client.get(url).content.decode()
        assert "Created by handover of" in shown and "DIG-01 Energy monitoring pilot" in shown


def test_a_document_is_uploaded_to_the_project_and_handed_to_the_process(
    signed_in, handover, manager, process_owner, process
):
    client = signed_in(manager)
    response = client.post(
        f"/closeout/handovers/{handover.pk}/parts/document/",
        {
            "document-name": "Energy meter runbook",
            "document-doc_kind": "runbook",
            "document-file": SimpleUploadedFile("runbook.pdf", b"%PDF-1.4 x", "application/pdf"),
        },
        **HTMX,
    )
    assert response.status_code == 200, response.content.decode()
    part = HandoverPart.objects.get(kind="document")
    assert part.attachment.original_name == "runbook.pdf"
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    page = signed_in(process_owner).get(f"/operations/processes/{process.pk}/").content.decode()
    assert "Document from the handover of" in page and "Energy meter runbook" in page


def test_someone_outside_the_team_cannot_draft(signed_in, handover, member, org):
    stranger = member(org, Role.MEMBER)
    response = signed_in(stranger).post(
        f"/closeout/handovers/{handover.pk}/parts/routine/", _routine_post(), **HTMX
    )
    assert response.status_code == 403
    assert HandoverPart.objects.count() == 0


def test_outsider_gets_404(signed_in, handover, outsider):
    client = signed_in(outsider)
    assert client.get(f"/closeout/handovers/{handover.pk}/parts/kpi/").status_code == 404


def test_portfolio_card_says_handed_over(signed_in, handover, process_owner, owner):
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    page = signed_in(owner).get("/").content.decode()
    assert "Handed over to Preventive maintenance" in page


def test_hypercare_badge_on_queue_and_request(signed_in, handover, manager, process_owner, org):
    from twofold.calendars.services import ensure_default_calendar
    from twofold.operations import services as ops
    from twofold.operations.models import Queue

    ensure_default_calendar(org)
    services.add_part(actor=manager, handover=handover, kind="queue", name="Meter faults", spec={})
    today = dt.date.today()
    services.set_hypercare(
        actor=manager, handover=handover, starts_on=today, ends_on=today + dt.timedelta(days=14)
    )
    improvement.accept_handover(actor=process_owner, handover=handover, expected_version=None)
    queue = Queue.objects.get(name="Meter faults")
    req = ops.create_request(actor=process_owner, queue=queue, title="Meter 3 reads zero")
    client = signed_in(process_owner)
    for url in (f"/operations/queues/{queue.pk}/", f"/operations/requests/{req.pk}/"):
        page = client.get(url).content.decode()
        assert "Hypercare</span>" in page and "Priya Raman" in page, url


@pytest.fixture
def closed(project):
    Project.objects.filter(pk=project.pk).update(phase=Phase.CLOSURE)
    project.refresh_from_db()
    return project


def test_record_a_lesson_and_turn_it_into_an_improvement_item(
    signed_in, closed, manager, process, django_assert_max_num_queries
):
    client = signed_in(manager)
    response = client.post(
        f"/closeout/projects/{closed.pk}/lessons/",
        {
            "title": "Order meters before the shutdown",
            "did_not_work": "Meters arrived after the summer shutdown.",
            "recommendation": "Order long-lead items at the planning gate.",
            "process": process.pk,
        },
    )
    lesson = Lesson.objects.get()
    assert response.status_code == 302 and response.url == f"/closeout/lessons/{lesson.pk}/"
    turned = client.post(
        f"/closeout/lessons/{lesson.pk}/",
        {"action": "improvement", "version": lesson.version, "process": process.pk},
    )
    assert turned.status_code == 302
    item = ImprovementItem.objects.get()
    assert item.title == "Order meters before the shutdown"
    assert item.process == process
    assert "Meters arrived after the summer shutdown." in item.problem
    page = client.get(f"/closeout/lessons/{lesson.pk}/").content.decode()
    assert "Became the improvement item" in page
    with django_assert_max_num_queries(12):
        listing = client.get("/closeout/lessons/?q=shutdown&outcome=improvement")
    assert "Order meters before the shutdown" in listing.content.decode()
    assert "No lesson matches" in client.get("/closeout/lessons/?q=zebra").content.decode()


def test_lessons_wait_for_closure(signed_in, project, manager):
    client = signed_in(manager)
    page = client.get(f"/closeout/projects/{project.pk}/lessons/").content.decode()
    assert "Lessons are recorded once the project is in closure (it is in Execution)" in page
    assert (
        client.post(f"/closeout/projects/{project.pk}/lessons/", {"title": "x"}).status_code == 404
    )


def test_lesson_list_queries_do_not_grow(signed_in, closed, manager, django_assert_max_num_queries):
    for n in range(6):
        services.record_lesson(
            actor=manager, project=closed, title=f"Lesson {n}", worked="Daily stand-ups"
        )
    client = signed_in(manager)
    with django_assert_max_num_queries(12):
        assert client.get("/closeout/lessons/").status_code == 200


def test_handover_page_queries_do_not_grow(
    signed_in, handover, manager, django_assert_max_num_queries
):
    client = signed_in(manager)
    client.get(f"/improvement/handovers/{handover.pk}/")
    with django_assert_max_num_queries(40) as before:
        client.get(f"/improvement/handovers/{handover.pk}/")
    for n in range(5):
        services.add_part(
            actor=manager, handover=handover, kind="routine", name=f"R{n}", spec=ROUTINE
        )
        services.add_part(actor=manager, handover=handover, kind="kpi", name=f"K{n}", spec=KPI)
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(f"/improvement/handovers/{handover.pk}/")
