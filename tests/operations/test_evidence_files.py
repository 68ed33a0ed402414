"""Evidence you can open: checked uploads (page and API), thumbnails, safe downloads, the record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from twofold.accounts.models import Role
from twofold.core.errors import Invalid
from twofold.operations import evidence_files, services
from twofold.operations.models import Evidence, Occurrence, StepEvidence

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.fixture
def photo_routine(process, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        routine = services.create_routine(
            actor=owner,
            process=process,
            name="Torque audit",
            rrule="FREQ=DAILY",
            starts_on=dt.date.today(),
            steps=[
                services.StepSpec("Photo of the gauge", Evidence.FILE),
                services.StepSpec("Torque", Evidence.NUMBER, 40, 50, "Nm"),
            ],
        )
    services.generate_occurrences(routines=[routine])
    return routine


@pytest.fixture
def occurrence(photo_routine):
    return Occurrence.objects.filter(routine=photo_routine).order_by("due").first()


def steps(routine):
    photo, torque = routine.steps.order_by("position")
    return photo, torque


def test_api_uploads_an_image_and_completing_uses_it(api, owner, photo_routine, occurrence):
    photo, torque = steps(photo_routine)
    client = api(owner)
    raw = Client()
    headers = client.headers
    r = raw.post(
        f"/api/occurrences/{occurrence.pk}/steps/{photo.pk}/file",
        {"file": SimpleUploadedFile("gauge 1.png", PNG, content_type="image/png")},
        **headers,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["file_name"], body["content_type"], body["size"]) == (
        "gauge 1.png",
        "image/png",
        72,
    )
    row = StepEvidence.objects.get(pk=body["id"])
    assert row.file.name.endswith(".png") and "gauge" not in row.file.name  # a random name
    assert body["occurrence_version"] == occurrence.version + 1  # the upload moved it
    r = client.post(
        f"/api/occurrences/{occurrence.pk}/complete",
        {"version": body["occurrence_version"], "evidence": [{"step_id": torque.pk, "number": 45}]},
    )
    assert r.status_code == 200
    rows = {e.step_id: e for e in StepEvidence.objects.filter(occurrence=occurrence)}
    assert rows[photo.pk].original_name == "gauge 1.png" and rows[torque.pk].number == 45
    listed = client.get(f"/api/occurrences/{occurrence.pk}/evidence").json()
    assert [e["file_name"] for e in listed] == ["gauge 1.png", ""]
    r = raw.post(
        f"/api/occurrences/{occurrence.pk}/steps/{photo.pk}/file",
        {"file": SimpleUploadedFile("late.png", PNG)},
        **headers,
    )
    assert r.status_code == 422 and "its evidence stays as it was recorded" in r.json()["detail"]


def test_a_file_whose_content_does_not_match_its_extension_is_refused(
    client, api_token, owner, photo_routine, occurrence
):
    photo, _ = steps(photo_routine)
    r = client.post(
        f"/api/occurrences/{occurrence.pk}/steps/{photo.pk}/file",
        {"file": SimpleUploadedFile("gauge.png", b"<script>alert(1)</script>")},
        HTTP_AUTHORIZATION=f"Bearer {api_token(owner)}",
    )
    assert r.status_code == 422
    assert r.json() == {
        "detail": "The file's content does not match its extension .png: it is not a real PNG "
        "file. Save it in that format (or with its real extension) and upload it again.",
        "field": f"step_{photo.pk}",
    }
    assert StepEvidence.objects.count() == 0


def test_a_200_mb_file_is_refused_with_the_limit_stated(client, owner, photo_routine, occurrence):
    huge = SimpleUploadedFile("big.pdf", PDF)
    huge.size = 200 * 1024 * 1024
    with pytest.raises(Invalid, match=r"^The file is 200 MB; files can be at most 10 MB\.$"):
        evidence_files.check_upload(huge, "file")
    # The request itself is refused before anything reads it, with the limit in the answer.
    photo, _ = steps(photo_routine)
    client.force_login(owner)
    r = client.post(
        f"/operations/occurrences/{occurrence.pk}/",
        {f"step_{photo.pk}": SimpleUploadedFile("big.pdf", PDF)},
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert r.status_code == 413 and b"the limit is 20 MB" in r.content
    page = client.get(f"/operations/occurrences/{occurrence.pk}/").content.decode()
    assert "at most 10 MB each" in page and 'data-max-bytes="10485760"' in page


def test_page_shows_a_thumbnail_and_serves_files_safely(client, owner, photo_routine, occurrence):
    photo, torque = steps(photo_routine)
    client.force_login(owner)
    r = client.post(
        f"/operations/occurrences/{occurrence.pk}/",
        {
            "version": occurrence.version,
            f"step_{photo.pk}": SimpleUploadedFile("gauge.png", PNG),
            f"step_{torque.pk}": "44",
        },
    )
    assert r.status_code == 302
    row = StepEvidence.objects.get(step=photo)
    page = client.get(f"/operations/occurrences/{occurrence.pk}/").content.decode()
    assert (
        f'<img src="/operations/evidence/{row.pk}/file/?inline=1" alt="Full-size view of gauge.png"'
        in page
    )
    r = client.get(f"/operations/evidence/{row.pk}/file/")
    assert r["Content-Type"] == "image/png"
    assert r["Content-Disposition"] == (
        "attachment; filename=\"gauge.png\"; filename*=UTF-8''gauge.png"
    )
    assert r["X-Content-Type-Options"] == "nosniff" and r["Content-Security-Policy"] == "sandbox"
    assert b"".join(r.streaming_content) == PNG
    r = client.get(f"/operations/evidence/{row.pk}/file/?inline=1")
    assert r["Content-Disposition"].startswith("inline;")


def test_other_files_get_a_download_link_not_a_thumbnail(client, owner, photo_routine, occurrence):
    photo, torque = steps(photo_routine)
    services.complete_occurrence(
        actor=owner,
        occurrence=occurrence,
        evidence={
            photo.pk: services.StepInput(file=SimpleUploadedFile("report.pdf", PDF)),
            torque.pk: services.StepInput(number=41),
        },
        expected_version=occurrence.version,
    )
    row = StepEvidence.objects.get(step=photo)
    client.force_login(owner)
    page = client.get(f"/operations/occurrences/{occurrence.pk}/").content.decode()
    assert f'href="/operations/evidence/{row.pk}/file/" download>report.pdf</a>' in page
    assert "<img" not in page.split("Evidence")[1]
    r = client.get(f"/operations/evidence/{row.pk}/file/?inline=1")
    assert r["Content-Disposition"].startswith("attachment;")  # only images show inline


def test_the_printable_record_lists_steps_values_files_who_and_when(
    client, owner, outsider, photo_routine, occurrence, django_assert_max_num_queries
):
    photo, torque = steps(photo_routine)
    services.complete_occurrence(
        actor=owner,
        occurrence=occurrence,
        evidence={
            photo.pk: services.StepInput(file=SimpleUploadedFile("gauge.png", PNG)),
            torque.pk: services.StepInput(number=47.5),
        },
        expected_version=occurrence.version,
        # Before its due time, whatever the time of day the test runs (due is today).
        at=occurrence.due - dt.timedelta(minutes=1),
    )
    client.force_login(owner)
    url = f"/operations/occurrences/{occurrence.pk}/record/"
    with django_assert_max_num_queries(20):
        r = client.get(url)
    page = r.content.decode()
    assert r.status_code == 200
    for text in [
        "Torque audit",
        "Photo of the gauge",
        "47.5 Nm",
        "Limits: 40 to 50 Nm",
        "File: gauge.png",
        "Completed on time",
        "operations/record.css",
    ]:
        assert text in page, text
    assert url in client.get(f"/operations/occurrences/{occurrence.pk}/").content.decode()
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    row = StepEvidence.objects.get(step=photo)
    assert client.get(f"/operations/evidence/{row.pk}/file/").status_code == 404


def test_guests_read_evidence_but_cannot_upload(api, org, member, photo_routine, occurrence):
    photo, _ = steps(photo_routine)
    guest = member(org, Role.GUEST)
    r = Client().post(
        f"/api/occurrences/{occurrence.pk}/steps/{photo.pk}/file",
        {"file": SimpleUploadedFile("gauge.png", PNG)},
        **api(guest).headers,
    )
    assert r.status_code == 403 and StepEvidence.objects.count() == 0
    assert api(guest).get(f"/api/occurrences/{occurrence.pk}/evidence").status_code == 200


def test_a_file_uploaded_ahead_is_shown_and_not_asked_for_again(
    client, owner, photo_routine, occurrence
):
    photo, torque = steps(photo_routine)
    evidence_files.upload_step_file(
        actor=owner,
        occurrence=occurrence,
        step=photo,
        file=SimpleUploadedFile("gauge.png", PNG),
    )
    client.force_login(owner)
    url = f"/operations/occurrences/{occurrence.pk}/"
    page = client.get(url).content.decode()
    assert (
        "Uploaded already" in page and "Already uploaded; choose a file only to replace it." in page
    )
    r = client.post(url, {"version": occurrence.version, f"step_{torque.pk}": "42"})
    assert r.status_code == 302
    row = StepEvidence.objects.get(occurrence=occurrence, step=photo)
    assert row.original_name == "gauge.png" and row.uploaded_by == owner


def test_a_stale_upload_and_a_hand_made_clear_box_change_no_completed_evidence(
    client, owner, photo_routine, occurrence
):
    """A page opened before the completion replaced the completed evidence's file (and the
    recorded one was deleted); a posted "clear" box answered 500 (a review found both)."""
    photo, torque = steps(photo_routine)
    stale = Occurrence.objects.get(pk=occurrence.pk)
    evidence_files.upload_step_file(
        actor=owner, occurrence=occurrence, step=photo, file=SimpleUploadedFile("a.png", PNG)
    )
    client.force_login(owner)
    url = f"/operations/occurrences/{occurrence.pk}/"
    cleared = client.post(
        url,
        {"version": occurrence.version, f"step_{photo.pk}-clear": "on", f"step_{torque.pk}": "45"},
    )
    assert cleared.status_code == 302  # the staged file is used
    with pytest.raises(Invalid, match="completed: its evidence stays"):
        evidence_files.upload_step_file(
            actor=owner, occurrence=stale, step=photo, file=SimpleUploadedFile("b.png", PNG)
        )
    assert StepEvidence.objects.get(occurrence=occurrence, step=photo).original_name == "a.png"


def test_an_sla_target_beyond_the_forms_bounds_is_refused_through_the_api(api, owner, queue):
    """10^15 hours was taken, and every page showing the clock answered 500."""
    r = api(owner).patch(
        f"/api/queues/{queue.pk}",
        {"version": queue.version, "sla_hours": {"p1": {"response": 1e15, "resolution": 1e16}}},
    )
    assert (r.status_code, r.json()["field"]) == (422, "sla_hours")
    assert "0.05 to 10,000 hours" in r.json()["detail"]


def test_a_schedule_change_keeps_an_occurrence_holding_a_file_uploaded_ahead(owner, photo_routine):
    """The occurrences not yet due are made again on a new schedule; one holding a file was
    deleted with its evidence and the file left on disk (a review found it)."""
    from django.utils import timezone

    photo, _torque = steps(photo_routine)
    ahead = (
        Occurrence.objects.filter(routine=photo_routine, due__gt=timezone.now())
        .order_by("due")
        .first()
    )
    evidence_files.upload_step_file(
        actor=owner, occurrence=ahead, step=photo, file=SimpleUploadedFile("a.png", PNG)
    )
    photo_routine.refresh_from_db()
    services.update_routine(
        actor=owner,
        routine=photo_routine,
        expected_version=photo_routine.version,
        due_time=dt.time(9, 0),
    )
    assert Occurrence.objects.filter(pk=ahead.pk).exists()
    assert StepEvidence.objects.get(occurrence=ahead).original_name == "a.png"


def test_changing_a_step_keeps_what_past_evidence_meant(
    client, owner, photo_routine, django_capture_on_commit_callbacks
):
    """Editing a step that has evidence (its limits, its kind) rewrote what the past evidence
    meant: 47.5 Nm recorded within 40-50 read as out of a new 10-20, and a reading became a
    "file". The step is now retired and replaced; a file uploaded ahead moves to the new step."""
    photo, torque = steps(photo_routine)
    done, ahead = Occurrence.objects.filter(routine=photo_routine).order_by("due")[:2]
    services.complete_occurrence(
        actor=owner,
        occurrence=done,
        evidence={
            photo.pk: services.StepInput(file=SimpleUploadedFile("gauge.png", PNG)),
            torque.pk: services.StepInput(number=47.5),
        },
        expected_version=done.version,
        at=done.due - dt.timedelta(minutes=1),
    )
    evidence_files.upload_step_file(
        actor=owner, occurrence=ahead, step=photo, file=SimpleUploadedFile("next.png", PNG)
    )
    photo_routine.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_routine(
            actor=owner,
            routine=photo_routine,
            expected_version=photo_routine.version,
            steps=[
                services.StepSpec("Photo of the gauge", Evidence.FILE, id=photo.pk),
                services.StepSpec("Torque", Evidence.NUMBER, 10, 20, "Nm", id=torque.pk),
            ],
        )
    new_photo, new_torque = photo_routine.steps.filter(retired=False)
    # Unchanged in what it asks: the photo step is the same row (its position kept).
    assert new_photo.pk == photo.pk
    assert new_torque.pk != torque.pk and (new_torque.min_value, new_torque.max_value) == (10, 20)
    torque.refresh_from_db()
    assert (torque.retired, torque.min_value, torque.max_value) == (True, 40, 50)
    client.force_login(owner)
    page = client.get(f"/operations/occurrences/{done.pk}/record/").content.decode()
    assert "47.5 Nm" in page and "Limits: 40 to 50 Nm" in page and "10 to 20" not in page
    # The next occurrence asks the new step; its file uploaded ahead stays with the photo step.
    assert StepEvidence.objects.get(occurrence=ahead).step_id == photo.pk
    photo_routine.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_routine(
            actor=owner,
            routine=photo_routine,
            expected_version=photo_routine.version,
            steps=[
                services.StepSpec("Photo of the gauge, dial visible", Evidence.FILE, id=photo.pk),
                services.StepSpec("Torque", Evidence.NUMBER, 10, 20, "Nm", id=new_torque.pk),
            ],
        )
    newest_photo, same_torque = photo_routine.steps.filter(retired=False)
    assert same_torque.pk == new_torque.pk  # no evidence yet: edited in place
    assert newest_photo.pk != photo.pk and newest_photo.text == "Photo of the gauge, dial visible"
    # The file uploaded ahead for the next occurrence moved to the step that now asks for it.
    assert StepEvidence.objects.get(occurrence=ahead).step_id == newest_photo.pk
    assert StepEvidence.objects.get(occurrence=done, step=photo).original_name == "gauge.png"


def test_a_file_uploaded_on_a_missed_occurrence_follows_its_replaced_step(
    owner, photo_routine, django_capture_on_commit_callbacks
):
    """Only files on open occurrences moved to the new step; a missed occurrence still takes
    uploads and a late completion, which then asked for the file again (a review found it)."""
    from twofold.operations.models import OccurrenceStatus

    photo, torque = steps(photo_routine)
    done, late = Occurrence.objects.filter(routine=photo_routine).order_by("due")[:2]
    services.complete_occurrence(
        actor=owner,
        occurrence=done,
        evidence={
            photo.pk: services.StepInput(file=SimpleUploadedFile("a.png", PNG)),
            torque.pk: services.StepInput(number=45),
        },
        expected_version=done.version,
        at=done.due - dt.timedelta(minutes=1),
    )
    Occurrence.objects.filter(pk=late.pk).update(status=OccurrenceStatus.MISSED)
    late.refresh_from_db()
    evidence_files.upload_step_file(
        actor=owner, occurrence=late, step=photo, file=SimpleUploadedFile("late.png", PNG)
    )
    photo_routine.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_routine(
            actor=owner,
            routine=photo_routine,
            expected_version=photo_routine.version,
            steps=[
                services.StepSpec("Photo, dial visible", Evidence.FILE, id=photo.pk),
                services.StepSpec("Torque", Evidence.NUMBER, 40, 50, "Nm", id=torque.pk),
            ],
        )
    new_photo = photo_routine.steps.get(retired=False, evidence=Evidence.FILE)
    assert StepEvidence.objects.get(occurrence=late).step_id == new_photo.pk
    late.refresh_from_db()
    services.complete_occurrence(
        actor=owner,
        occurrence=late,
        evidence={torque.pk: services.StepInput(number=45)},
        expected_version=late.version,
        at=late.due + dt.timedelta(hours=1),  # completed late
    )


def test_a_file_uploaded_by_someone_else_meanwhile_is_a_409_not_used_or_replaced_unseen(
    client, api, owner, org, member, photo_routine, occurrence
):
    """A second operator's upload silently replaced the first one's staged file, and a page
    opened before an upload completed the occurrence with a file its author never saw."""
    photo, torque = steps(photo_routine)
    read = occurrence.version
    first = Client().post(
        f"/api/occurrences/{occurrence.pk}/steps/{photo.pk}/file",
        {"file": SimpleUploadedFile("first.png", PNG), "version": read},
        **api(owner).headers,
    )
    assert first.status_code == 201 and first.json()["occurrence_version"] == read + 1
    # A colleague read the occurrence before that upload, and uploads their own photo.
    colleague = member(org, Role.MEMBER)
    second = Client().post(
        f"/api/occurrences/{occurrence.pk}/steps/{photo.pk}/file",
        {"file": SimpleUploadedFile("second.png", PNG), "version": read},
        **api(colleague).headers,
    )
    assert second.status_code == 409 and "Someone else changed this" in second.json()["detail"]
    row = StepEvidence.objects.get(occurrence=occurrence, step=photo)
    assert row.original_name == "first.png" and row.uploaded_by == owner
    # The colleague's page, drawn before the upload, completes: 409, nothing recorded.
    client.force_login(colleague)
    url = f"/operations/occurrences/{occurrence.pk}/"
    r = client.post(url, {"version": read, f"step_{torque.pk}": "45"})
    assert r.status_code == 409 and "Someone else changed this" in r.content.decode()
    occurrence.refresh_from_db()
    assert occurrence.status == "open" and occurrence.version == read + 1
    assert StepEvidence.objects.filter(occurrence=occurrence).count() == 1
    # Drawn again, the page shows the file uploaded meanwhile and completes with it.
    assert "first.png" in client.get(url).content.decode()
    r = client.post(url, {"version": read + 1, f"step_{torque.pk}": "45"})
    assert r.status_code == 302
    rows = {e.step_id: e for e in StepEvidence.objects.filter(occurrence=occurrence)}
    assert rows[photo.pk].original_name == "first.png" and rows[torque.pk].number == 45
