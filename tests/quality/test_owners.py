"""Guests cannot own processes or actions; an admin verifies when the owner cannot."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.core.errors import Forbidden, Invalid
from twofold.operations import services as ops_services
from twofold.operations.models import Process
from twofold.quality import services
from twofold.quality.models import CapaAction


def test_a_guest_cannot_be_made_process_owner(api, owner, org, process, guest):
    with pytest.raises(Invalid, match="A guest cannot own a process") as exc:
        ops_services.create_process(actor=owner, organisation=org, name="Library", owner=guest)
    assert exc.value.field == "owner"
    answer = api(owner).patch(
        f"/api/processes/{process.pk}", {"version": process.version, "owner_id": guest.pk}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == "A guest cannot own a process: choose a member."
    assert Process.objects.get(pk=process.pk).owner_id != guest.pk


def test_a_guest_cannot_own_an_action(owner, org, process, guest, worker):
    nc = services.raise_nonconformance(actor=owner, organisation=org, title="x", process=process)
    with pytest.raises(Invalid, match="A guest cannot own an action") as exc:
        services.add_action(
            actor=worker, nc=nc, description="Fix", owner=guest, due_on=dt.date(2027, 1, 4)
        )
    assert exc.value.field == "owner"
    assert CapaAction.objects.count() == 0


def test_an_admin_verifies_when_the_process_owner_is_a_guest(owner, org, process, guest):
    """A guest owner left nobody able to verify: "Only the process owner (…) can verify"."""
    Process.objects.filter(pk=process.pk).update(owner=guest)  # a member made a guest later
    process.refresh_from_db()
    nc = services.raise_nonconformance(actor=owner, organisation=org, title="x", process=process)
    with pytest.raises(Forbidden, match="Only an admin can verify a nonconformance"):
        services.verify_nonconformance(
            actor=guest, nc=nc, expected_version=nc.version, verification="x", effective=True
        )
    services.verify_nonconformance(
        actor=owner, nc=nc, expected_version=nc.version, verification="Checked", effective=False
    )
    nc.refresh_from_db()
    assert (nc.verified_by, nc.effective) == (owner, False)
