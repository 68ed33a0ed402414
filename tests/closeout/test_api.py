"""The close-out API: the same services and rules as the pages."""

from __future__ import annotations

import pytest

from twofold.accounts.models import Role
from twofold.closeout.models import HandoverPart, Lesson
from twofold.improvement.models import ImprovementItem
from twofold.operations.models import Kpi, Routine
from twofold.project_templates.models import ProjectTemplate
from twofold.projects.models import Phase, Project
from twofold.risks.models import Risk

from .conftest import KPI, ROUTINE

pytestmark = pytest.mark.django_db


def test_draft_accept_and_see_origins(api, org, handover, manager, process_owner):
    base = f"/api/organisations/{org.pk}"
    team = api(manager)
    made = team.post(
        f"{base}/handovers/{handover.pk}/parts",
        {"kind": "routine", "name": "Weekly meter review", "spec": ROUTINE},
    )
    assert made.status_code == 201, made.json()
    assert made.json()["spec"]["rrule"] == "FREQ=WEEKLY;BYDAY=MO"
    bad = team.post(
        f"{base}/handovers/{handover.pk}/parts",
        {"kind": "kpi", "name": "Energy per part", "spec": {**KPI, "target": 3}},
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "target"
    ok = team.post(
        f"{base}/handovers/{handover.pk}/parts",
        {"kind": "kpi", "name": "Energy per part", "spec": KPI},
    )
    assert ok.status_code == 201
    listed = team.get(f"{base}/handovers/{handover.pk}/parts").json()
    assert [p["kind"] for p in listed] == ["routine", "kpi"]

    # Each part drafted while the handover awaits acceptance moved its version: an acceptance
    # of the version read before them is stale (it would build parts its reader never saw).
    from twofold.improvement.models import Handover

    read = Handover.objects.get(pk=handover.pk).version
    assert read == handover.version + 2  # the two parts saved; the refused one changed nothing
    # The proposer (the manager) cannot accept; the process owner can, and things are built once.
    refused = team.post(
        f"{base}/improvement/handovers/{handover.pk}/accept", {"version": read, "note": ""}
    )
    assert refused.status_code == 403
    owner = api(process_owner)
    url = f"{base}/improvement/handovers/{handover.pk}/accept"
    assert owner.post(url, {"version": handover.version, "note": ""}).status_code == 409
    accepted = owner.post(url, {"version": read, "note": ""})
    assert accepted.status_code == 200, accepted.json()
    assert owner.post(url, {"version": read, "note": ""}).status_code == 409  # stale
    again = owner.post(url, {"version": accepted.json()["version"], "note": ""})
    assert again.status_code == 422
    assert again.json() == {"detail": "This handover is already accepted.", "field": "status"}
    kpi = Kpi.objects.get()
    assert Routine.objects.count() == 1
    origins = owner.get(f"{base}/origins?model=kpi&object_id={kpi.pk}").json()
    assert origins == [
        {
            "action": "created",
            "project_id": handover.project_id,
            "project_name": "Energy monitoring pilot",
            "handover_id": handover.pk,
            "part_name": "Energy per part",
            "attachment_id": None,
        }
    ]
    late = team.post(
        f"{base}/handovers/{handover.pk}/parts", {"kind": "kpi", "name": "Late", "spec": KPI}
    )
    assert late.status_code == 422 and late.json()["field"] == "status"


def test_parts_patch_delete_and_hypercare(api, org, handover, manager):
    base = f"/api/organisations/{org.pk}"
    team = api(manager)
    part = team.post(
        f"{base}/handovers/{handover.pk}/parts", {"kind": "kpi", "name": "K", "spec": KPI}
    ).json()
    stale = team.patch(f"{base}/handover-parts/{part['id']}", {"version": 9, "name": "K2"})
    assert stale.status_code == 409
    renamed = team.patch(f"{base}/handover-parts/{part['id']}", {"version": 1, "name": "K2"})
    assert renamed.json()["name"] == "K2" and renamed.json()["version"] == 2
    # Removing what someone renamed since it was read: 409, and the part stays (review,
    # 2026-12-05: the rename was silently lost); without a version: 428.
    stale_delete = team.delete(f"{base}/handover-parts/{part['id']}?version=1")
    assert stale_delete.status_code == 409
    assert team.delete(f"{base}/handover-parts/{part['id']}").status_code == 428
    assert HandoverPart.objects.count() == 1
    assert team.delete(f"{base}/handover-parts/{part['id']}?version=2").status_code == 204
    assert HandoverPart.objects.count() == 0
    url = f"{base}/handovers/{handover.pk}/hypercare"
    bad = team._call("put", url, {"starts_on": "2027-03-01", "ends_on": "2027-02-01", "version": 0})
    assert bad.status_code == 422 and bad.json()["field"] == "ends_on"
    good = team._call(
        "put", url, {"starts_on": "2027-02-01", "ends_on": "2027-03-01", "version": 0}
    )
    assert good.json() == {
        "starts_on": "2027-02-01",
        "ends_on": "2027-03-01",
        "queue_id": None,
        "version": 1,
    }
    # A period changed since it was read: 409 and nothing changes; without a version: 428.
    stale = team._call(
        "put", url, {"starts_on": "2027-02-02", "ends_on": "2027-03-01", "version": 0}
    )
    assert stale.status_code == 409
    assert (
        team._call("put", url, {"starts_on": "2027-02-02", "ends_on": "2027-03-01"}).status_code
        == 428
    )
    assert team.get(url).json()["starts_on"] == "2027-02-01"


def test_document_upload(api, org, handover, manager, client, api_token):
    response = client.post(
        f"/api/organisations/{org.pk}/handovers/{handover.pk}/documents",
        {
            "name": "Runbook",
            "doc_kind": "runbook",
            "file": __import__("io").BytesIO(b"%PDF-1.4"),
        },
        HTTP_AUTHORIZATION=f"Bearer {api_token(manager)}",
    )
    assert response.status_code == 422  # a file without a name/type is refused, naming it
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/api/organisations/{org.pk}/handovers/{handover.pk}/documents",
        {
            "name": "Runbook",
            "doc_kind": "runbook",
            "file": SimpleUploadedFile("runbook.pdf", b"%PDF-1.4", "application/pdf"),
        },
        HTTP_AUTHORIZATION=f"Bearer {api_token(manager)}",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["spec"] == {"doc_kind": "runbook"}


def test_outsider_and_guest(api, org, handover, outsider, member):
    base = f"/api/organisations/{org.pk}"
    assert api(outsider).get(f"{base}/handovers/{handover.pk}/parts").status_code == 404
    guest = member(org, Role.GUEST)
    refused = api(guest).post(
        f"{base}/handovers/{handover.pk}/parts", {"kind": "kpi", "name": "K", "spec": KPI}
    )
    assert refused.status_code == 403
    assert HandoverPart.objects.count() == 0


@pytest.fixture
def closed(project):
    Project.objects.filter(pk=project.pk).update(phase=Phase.CLOSURE)
    project.refresh_from_db()
    return project


def test_lessons_api(api, org, owner, closed, manager, process, django_assert_max_num_queries):
    base = f"/api/organisations/{org.pk}"
    team = api(manager)
    empty = team.post(f"{base}/projects/{closed.pk}/lessons", {"title": "Nothing said"})
    assert empty.status_code == 422 and empty.json()["field"] == "recommendation"
    made = team.post(
        f"{base}/projects/{closed.pk}/lessons",
        {
            "title": "Calibrate meters on site",
            "did_not_work": "Factory calibration drifted.",
            "recommendation": "Calibrate on site after installation.",
            "process_id": process.pk,
        },
    )
    assert made.status_code == 201
    lesson = made.json()
    item = team.post(
        f"{base}/lessons/{lesson['id']}/improvement-item", {"version": lesson["version"]}
    )
    assert item.status_code == 200, item.json()
    assert ImprovementItem.objects.get().process == process
    twice = team.post(f"{base}/lessons/{lesson['id']}/improvement-item", {"version": 2})
    assert twice.status_code == 422 and twice.json()["field"] == "improvement_item"

    other = Project.objects.create(
        organisation=org, name="Line 4", code="L-4", target_start="2027-01-04"
    )
    risk = team.post(
        f"{base}/lessons/{lesson['id']}/risk",
        {"version": 2, "project_id": other.pk, "probability": 4, "impact": 2},
    )
    assert risk.status_code == 200, risk.json()
    assert Risk.objects.get().score == 8

    template = ProjectTemplate.objects.create(organisation=org, name="Pilot", content={})
    denied = team.post(
        f"{base}/lessons/{lesson['id']}/template-change",
        {
            "version": 3,
            "template_id": template.pk,
            "phase": "execution",
            "text": "Meters calibrated on site",
        },
    )
    assert denied.status_code == 403  # templates are changed by admins
    changed = api(owner).post(
        f"{base}/lessons/{lesson['id']}/template-change",
        {
            "version": 3,
            "template_id": template.pk,
            "phase": "execution",
            "text": "Meters calibrated on site",
        },
    )
    assert changed.status_code == 200, changed.json()
    template.refresh_from_db()
    assert template.content["gates"]["execution"] == ["Meters calibrated on site"]
    assert Lesson.objects.get().template_change == "Execution gate: Meters calibrated on site"

    for n in range(5):
        team.post(
            f"{base}/projects/{closed.pk}/lessons", {"title": f"L{n}", "worked": "Daily stand-up"}
        )
    with django_assert_max_num_queries(8):
        rows = team.get(f"{base}/lessons?q=stand-up").json()
    assert len(rows) == 5
    assert team.get(f"{base}/lessons?outcome=risk").json()[0]["title"] == "Calibrate meters on site"


def test_a_role_that_may_not_decide_gets_403_whatever_version_it_sends(api, org, handover, member):
    """A guest or a member with a stale version got 409 before 403: the refusal of their role
    came second (until 2026-12-06)."""
    base = f"/api/organisations/{org.pk}/improvement/handovers/{handover.pk}"
    guest = api(member(org, Role.GUEST, full_name="Gus Guest"))
    stale = handover.version + 5
    assert guest.post(f"{base}/accept", {"version": stale}).status_code == 403
    assert guest.post(f"{base}/return", {"version": stale, "reason": "x"}).status_code == 403
    assert guest.post(f"{base}/resubmit", {"version": stale}).status_code == 403
    assert guest.put(f"{base}/deliverables", {"version": stale, "items": []}).status_code == 403
