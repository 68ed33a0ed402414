"""A full disk while an upload is written: 507 with a clear message, no partial file, no row."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from twofold.attachments.models import Attachment
from twofold.core.uploads import FULL_MESSAGE
from twofold.operations import services as operations_services
from twofold.operations.models import Evidence, Occurrence, Process, StepEvidence
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def disk_full_after(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The storage writes the first 4 bytes of a file, then the disk is full (ENOSPC)."""
    written: list[str] = []

    def full_save(self: FileSystemStorage, name: str, content: Any) -> str:
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            handle.write(next(iter(content.chunks()))[:4])
        written.append(name)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", full_save)
    return written


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_an_attachment_on_a_full_disk_is_a_507_form_error_with_nothing_left(
    client: Any, org: Any, owner: Any, media: Path, disk_full_after: list[str]
) -> None:
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press line", code="PL"
    )
    client.force_login(owner)
    upload = SimpleUploadedFile(
        "gauge.pdf", b"%PDF-1.4 half written", content_type="application/pdf"
    )
    r = client.post(f"/attachments/project/{project.pk}/", {"file": upload})
    assert r.status_code == 507
    assert r.context["form"].errors == {"file": [FULL_MESSAGE]}
    assert "The server&#x27;s disk is full" in r.content.decode()
    assert len(disk_full_after) == 1  # the write was attempted and failed half-way
    assert _files(media) == []  # the 4-byte partial file was removed
    assert Attachment.objects.count() == 0


def test_routine_evidence_on_a_full_disk_is_a_507_and_the_occurrence_stays_open(
    client: Any, org: Any, owner: Any, media: Path, disk_full_after: list[str]
) -> None:
    process = Process.objects.create(organisation=org, name="Line 2")
    routine = operations_services.create_routine(
        actor=owner,
        process=process,
        name="Gauges",
        rrule="FREQ=DAILY",
        steps=[
            operations_services.StepSpec("Photo of gauge A", Evidence.FILE),
            operations_services.StepSpec("Photo of gauge B", Evidence.FILE),
        ],
    )
    operations_services.generate_occurrences(routines=[routine])
    occurrence = Occurrence.objects.filter(routine=routine).order_by("due").first()
    assert occurrence is not None
    first, second = routine.steps.order_by("pk")
    client.force_login(owner)
    r = client.post(
        f"/operations/occurrences/{occurrence.pk}/",
        {
            "version": occurrence.version,
            f"step_{first.pk}": SimpleUploadedFile(
                "a.jpg", b"\xff\xd8\xff\xe0 JPEG A", content_type="image/jpeg"
            ),
            f"step_{second.pk}": SimpleUploadedFile(
                "b.jpg", b"\xff\xd8\xff\xe0 JPEG B", content_type="image/jpeg"
            ),
        },
    )
    assert r.status_code == 507
    assert FULL_MESSAGE in r.context["form"].non_field_errors() + [
        e for errors in r.context["form"].errors.values() for e in errors
    ]
    assert _files(media) == []
    occurrence.refresh_from_db()
    assert occurrence.status == "open" and occurrence.completed_at is None
    assert StepEvidence.objects.count() == 0


def test_an_earlier_step_file_is_removed_when_a_later_one_hits_the_full_disk(
    org: Any, owner: Any, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = Process.objects.create(organisation=org, name="Line 3")
    routine = operations_services.create_routine(
        actor=owner,
        process=process,
        name="Gauges",
        rrule="FREQ=DAILY",
        steps=[
            operations_services.StepSpec("Photo of gauge A", Evidence.FILE),
            operations_services.StepSpec("Photo of gauge B", Evidence.FILE),
        ],
    )
    operations_services.generate_occurrences(routines=[routine])
    occurrence = Occurrence.objects.filter(routine=routine).order_by("due").first()
    assert occurrence is not None
    first, second = routine.steps.order_by("pk")
    real_save = FileSystemStorage._save
    calls: list[str] = []

    def second_write_fails(self: FileSystemStorage, name: str, content: Any) -> str:
        calls.append(name)
        if len(calls) == 1:
            return real_save(self, name, content)
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr(FileSystemStorage, "_save", second_write_fails)
    from twofold.core.errors import StorageFull

    with pytest.raises(StorageFull):
        operations_services.complete_occurrence(
            actor=owner,
            occurrence=occurrence,
            evidence={
                first.pk: operations_services.StepInput(
                    file=SimpleUploadedFile(
                        "a.jpg", b"\xff\xd8\xff\xe0 JPEG A", content_type="image/jpeg"
                    )
                ),
                second.pk: operations_services.StepInput(
                    file=SimpleUploadedFile(
                        "b.jpg", b"\xff\xd8\xff\xe0 JPEG B", content_type="image/jpeg"
                    )
                ),
            },
            expected_version=occurrence.version,
        )
    assert len(calls) == 2  # the first file was written completely, then removed
    assert _files(media) == []
    assert StepEvidence.objects.count() == 0


def test_the_api_answers_a_full_disk_with_a_json_507(
    api: Any, org: Any, owner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API takes no file uploads today; any write that meets a full disk answers the same way.
    def full(**kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("twofold.projects.api.services.create_project", full)
    r = api(owner).post(
        f"/api/organisations/{org.pk}/projects",
        {"name": "Press", "code": "PR", "target_start": "2025-03-03"},
    )
    assert r.status_code == 507
    assert r.json() == {"detail": FULL_MESSAGE, "field": "file"}
