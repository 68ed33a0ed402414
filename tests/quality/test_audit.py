"""The audit trail ZIP: every record of the range, readable without Twofold, nothing else."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.operations.conftest import due_by_today
from twofold.core.jobs import run_pending
from twofold.core.models import Job
from twofold.operations import selectors as ops
from twofold.operations import services as ops_services
from twofold.operations.models import Evidence, Measurement, Occurrence
from twofold.quality import audit, services
from twofold.quality.models import Nonconformance


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"


def _table(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = zf.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _photo_routine(owner: Any, process: Any, name: str) -> Any:
    return ops_services.create_routine(
        actor=owner,
        process=process,
        name=name,
        rrule="FREQ=DAILY",
        starts_on=dt.date.today() - dt.timedelta(days=3),
        due_time=dt.time(23, 59),
        steps=[
            ops_services.StepSpec("Torque", Evidence.NUMBER, 40, 50, "Nm"),
            ops_services.StepSpec("Photo of the label", Evidence.FILE),
            ops_services.StepSpec("Remark", Evidence.NOTE),
        ],
    )


def _complete(owner: Any, routine: Any, torque: str, photo: bytes, note: str) -> Occurrence:
    occ = (
        due_by_today(Occurrence.objects.filter(routine=routine, status="open"))
        .order_by("due")
        .last()
    )
    steps = ops.steps_of(routine.pk)
    ops_services.complete_occurrence(
        actor=owner,
        occurrence=occ,
        evidence={
            steps[0].pk: ops_services.StepInput(number=torque),
            steps[1].pk: ops_services.StepInput(
                file=SimpleUploadedFile("label.jpg", photo, content_type="image/jpeg")
            ),
            steps[2].pk: ops_services.StepInput(note=note),
        },
        expected_version=occ.version,
    )
    return occ


def test_zip_holds_the_range_of_one_process_and_nothing_else(
    owner, org, process, make_org, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mine = _photo_routine(owner, process, "Wheel nut torque")
        other_process = ops_services.create_process(
            actor=owner, organisation=org, name="Paint shop"
        )
        theirs = _photo_routine(owner, other_process, "Paint thickness")
        rival = make_org("Rival")
        rival_owner = member(rival, "owner")
        rival_process = ops_services.create_process(
            actor=rival_owner, organisation=rival, name="Line 2 assembly"
        )
        rival_routine = _photo_routine(rival_owner, rival_process, "Rival torque")
    occ = _complete(owner, mine, "55", b"\xff\xd8\xff\xe0mine", '=HYPERLINK("http://x")')
    _complete(owner, theirs, "45", b"\xff\xd8\xff\xe0paint", "other process")
    _complete(rival_owner, rival_routine, "60", b"\xff\xd8\xff\xe0rival", "other org")
    kpi = ops_services.create_kpi(
        actor=owner, process=process, name="First pass yield", unit="%", target=98, red_threshold=95
    )
    today = timezone.localdate()
    # Rows written directly: the measurement services are being reworked (corrections).
    for day, value in (
        (today - dt.timedelta(days=1), 97.5),
        (today - dt.timedelta(days=400), 90.0),
    ):
        Measurement.objects.create(organisation=org, kpi=kpi, measured_on=day, value=value)
    occ_nc = Nonconformance.objects.get(process=process)
    services.add_action(
        actor=owner, nc=occ_nc, description="Recalibrate the wrench", owner=owner, due_on=today
    )

    scope = audit.AuditScope.checked(
        process, today - dt.timedelta(days=30), today + dt.timedelta(days=30)
    )
    buffer = io.BytesIO()
    counts = audit.write_zip(scope, buffer, by=owner)
    zf = zipfile.ZipFile(buffer)
    names = set(zf.namelist())
    assert {
        "README.txt",
        "occurrences.csv",
        "evidence.csv",
        "measurements.csv",
        "nonconformances.csv",
        "capa_actions.csv",
        "history.csv",
    } <= names
    files = sorted(n for n in names if n.startswith("evidence/"))
    assert len(files) == 1 and files[0].startswith(f"evidence/{occ.pk}-")
    assert zf.read(files[0]) == b"\xff\xd8\xff\xe0mine"
    occurrences = _table(zf, "occurrences.csv")
    assert {r["routine"] for r in occurrences} == {"Wheel nut torque"}
    assert (
        len(occurrences) == Occurrence.objects.filter(routine=mine).count() == counts["occurrences"]
    )
    done = next(r for r in occurrences if r["occurrence_id"] == str(occ.pk))
    assert done["outcome"] == "completed with a nonconformance"
    evidence = _table(zf, "evidence.csv")
    assert [(r["step"], r["reading"], r["within_limits"]) for r in evidence] == [
        ("Torque", "55.0", "no"),
        ("Photo of the label", "", ""),
        ("Remark", "", ""),
    ]
    # Named as README.txt promises (the storage token until 2026-12-05), the CSV naming them.
    photo_step = ops.steps_of(mine.pk)[1]
    assert files == [f"evidence/{occ.pk}-{photo_step.pk}-label.jpg"]
    assert (evidence[1]["file_in_zip"], evidence[1]["original_file"]) == (files[0], "label.jpg")
    assert evidence[2]["note"] == '\'=HYPERLINK("http://x")'  # neutralised for spreadsheets
    measurements = _table(zf, "measurements.csv")
    assert [(r["kpi"], r["value"]) for r in measurements] == [("First pass yield", "97.5")]
    ncs = _table(zf, "nonconformances.csv")
    assert [(r["number"], r["source"]) for r in ncs] == [("NC-0001", "Reading outside limits")]
    actions = _table(zf, "capa_actions.csv")
    assert [a["description"] for a in actions] == ["Recalibrate the wrench"]
    history = _table(zf, "history.csv")
    assert {h["record"] for h in history} >= {"occurrence", "nonconformance"}
    everything = b"".join(zf.read(n) for n in names)
    for foreign in (b"Paint", b"Rival", b"other process", b"other org", b"rival"):
        assert foreign not in everything
    readme = zf.read("README.txt").decode()
    assert "Line 2 assembly" in readme and "Tables are CSV only" in readme
    assert "named <occurrence_id>-<step id>-<original name>" in readme


@pytest.mark.parametrize(
    ("uploaded", "stored", "in_zip"),
    [
        ("guard-line2-before.png", "evidence/ab12.png", "guard-line2-before.png"),
        ("../..\\evil\x07.png", "evidence/ab12.png", "_.._evil.png"),
        (".hidden.jpg", "evidence/ab12.jpg", "hidden.jpg"),
        ("", "evidence/ab12.jpg", "ab12.jpg"),
        ("...", "evidence/ab12.jpg", "file"),
    ],
)
def test_evidence_names_in_the_zip_are_the_original_made_safe(uploaded, stored, in_zip):
    from twofold.operations.models import StepEvidence

    row = StepEvidence(occurrence_id=7, step_id=3, original_name=uploaded, file=stored)
    assert audit.safe_original(row) == in_zip
    assert audit._zip_name(row) == f"evidence/7-3-{in_zip}"


def test_bad_ranges_name_the_field(process):
    with pytest.raises(Exception, match="cannot be before the first day") as exc:
        audit.AuditScope.checked(process, dt.date(2026, 5, 1), dt.date(2026, 4, 1))
    assert exc.value.field == "end"


def test_large_range_runs_as_a_job_with_a_download(
    client, owner, org, process, routine, outsider, monkeypatch
):
    monkeypatch.setattr(audit, "JOB_OCCURRENCES", 0)
    client.force_login(owner)
    today = timezone.localdate()
    r = client.post(
        f"/operations/quality/processes/{process.pk}/audit/",
        {"start": (today - dt.timedelta(days=5)).isoformat(), "end": today.isoformat()},
    )
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"?job={job.pk}")
    assert run_pending("test") == 1
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    page = client.get(r["Location"]).content.decode()
    assert "The audit trail is ready" in page
    download = client.get(f"/operations/quality/audit/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "README.txt" in zf.namelist()
    client.force_login(outsider)
    assert client.get(f"/operations/quality/audit/{job.pk}/download/").status_code == 404


def test_small_range_downloads_at_once_from_page_and_api(client, api, owner, process, routine):
    client.force_login(owner)
    today = timezone.localdate()
    r = client.post(
        f"/operations/quality/processes/{process.pk}/audit/",
        {"start": today.isoformat(), "end": today.isoformat()},
    )
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    r = api(owner).post(
        f"/api/processes/{process.pk}/audit-export",
        {"start": today.isoformat(), "end": (today - dt.timedelta(days=1)).isoformat()},
    )
    assert r.status_code == 422 and r.json()["field"] == "end"
    r = api(owner).post(
        f"/api/processes/{process.pk}/audit-export",
        {"start": today.isoformat(), "end": today.isoformat()},
    )
    assert r.status_code == 200
    assert (
        "occurrences.csv" in zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content))).namelist()
    )


def test_a_cancelled_export_keeps_nothing(owner, process, routine, tmp_path):
    today = timezone.localdate()
    scope = audit.AuditScope.checked(process, today, today)
    with pytest.raises(audit.ExportCancelled):
        audit.write_zip(scope, io.BytesIO(), progress=lambda fraction, message: False)


def test_a_range_the_calendars_do_not_cover_is_a_form_error(client, owner, process):
    """The last day of 9999 overflowed a day later (a 500); the API already took 1980-2149."""
    client.force_login(owner)
    r = client.post(
        f"/operations/quality/processes/{process.pk}/audit/",
        {"start": "9999-12-30", "end": "9999-12-31"},
    )
    assert r.status_code in (400, 422)
    assert r.content.decode().count("Choose a date between 1 Jan 1980 and 31 Dec 2149.") == 2
