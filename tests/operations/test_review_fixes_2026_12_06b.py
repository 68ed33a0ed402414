"""From a review of the day's operations follow-ups: a guest's trashed work is unassigned too
(a restore brought them back as assignee), and a file that cannot be removed after a commit no
longer makes the upload delete the new file its committed row names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from twofold.accounts import services as account_services
from twofold.accounts.models import Membership, Role
from twofold.core import trash
from twofold.operations import assignment, evidence_files
from twofold.operations import services as ops
from twofold.operations.models import Evidence, Occurrence, Request, Routine, StepEvidence

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.django_db
def test_a_guest_is_unassigned_from_trashed_work_and_a_restore_keeps_it_so(
    org: Any, owner: Any, member: Any, queue: Any, routine: Any
) -> None:
    worker = member(org, Role.MEMBER)
    req = ops.create_request(actor=owner, queue=queue, title="Printer jams")
    assignment.assign_request(
        actor=owner, request=req, assignee=worker, expected_version=req.version
    )
    ops.update_routine(
        actor=owner, routine=routine, expected_version=routine.version, assignee=worker
    )
    in_trash = [
        trash.move_to_trash(actor=owner, obj=Request.objects.get(pk=req.pk)),
        trash.move_to_trash(actor=owner, obj=Routine.objects.get(pk=routine.pk)),
    ]
    m = Membership.objects.get(organisation=org, user=worker)
    account_services.change_member_role(
        actor=owner, membership=m, role=Role.GUEST, expected_version=m.version
    )
    for entry in in_trash:
        trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert Request.objects.get(pk=req.pk).assignee_id is None
    assert Routine.objects.get(pk=routine.pk).assignee_id is None


@pytest.mark.django_db(transaction=True)
def test_a_failed_removal_after_the_commit_keeps_the_new_file(
    settings: Any, tmp_path: Any, org: Any, owner: Any, monkeypatch: Any, caplog: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    process = ops.create_process(actor=owner, organisation=org, name="P", annual_budget=0)
    routine = ops.create_routine(
        actor=owner,
        process=process,
        name="Torque audit",
        rrule="FREQ=DAILY",
        starts_on=dt.date.today(),
        steps=[ops.StepSpec("Photo", Evidence.FILE)],
    )
    ops.generate_occurrences(routines=[routine])
    occurrence = Occurrence.objects.filter(routine=routine).order_by("due").first()
    assert occurrence is not None
    (photo,) = routine.steps.all()
    evidence_files.upload_step_file(
        actor=owner, occurrence=occurrence, step=photo, file=SimpleUploadedFile("a.png", PNG)
    )
    first = StepEvidence.objects.get().file.name
    storage_class = type(default_storage._wrapped)
    real_delete = storage_class.delete

    def failing_delete(self: Any, name: str) -> None:
        if name == first:
            raise PermissionError("read-only volume")
        real_delete(self, name)

    monkeypatch.setattr(storage_class, "delete", failing_delete)
    occurrence.refresh_from_db()
    evidence_files.upload_step_file(
        actor=owner, occurrence=occurrence, step=photo, file=SimpleUploadedFile("b.png", PNG)
    )
    row = StepEvidence.objects.get()
    assert row.file.name != first
    assert (tmp_path / row.file.name).exists()  # was deleted by the error's clean-up
    assert "read-only volume" in caplog.text  # the failed removal is logged


@pytest.mark.django_db
def test_a_stale_assignment_or_priority_that_changes_nothing_is_a_conflict(
    org: Any, owner: Any, member: Any, queue: Any, api: Any
) -> None:
    worker = member(org, Role.MEMBER)
    req = ops.create_request(actor=owner, queue=queue, title="Printer jams")
    stale = req.version
    assignment.assign_request(
        actor=owner, request=req, assignee=worker, expected_version=req.version
    )
    # A client that read the request before someone assigned it asks for the same person, or
    # for the priority it already has: 409 (it answered 200 over the other edit), no write.
    asked = api(owner).post(
        f"/api/requests/{req.pk}/assignee", {"assignee_id": worker.pk, "version": stale}
    )
    assert asked.status_code == 409
    current = Request.objects.get(pk=req.pk)
    asked = api(owner).post(
        f"/api/requests/{req.pk}/priority", {"priority": current.priority, "version": stale}
    )
    assert asked.status_code == 409
    assert Request.objects.get(pk=req.pk).version == current.version
    # With the current version the same no-op is fine.
    fresh = api(owner).post(
        f"/api/requests/{req.pk}/priority",
        {"priority": current.priority, "version": current.version},
    )
    assert fresh.status_code == 200
