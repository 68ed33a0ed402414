"""Two owners accepting the same handover at once build its parts once (PostgreSQL: the row
lock; the status compare-and-set holds on any database)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from twofold.accounts.models import Role
from twofold.closeout import services
from twofold.closeout.models import Origin
from twofold.core.errors import Invalid
from twofold.improvement import services as improvement
from twofold.improvement.models import Handover
from twofold.operations.models import Kpi, Routine

from .conftest import KPI, ROUTINE


@pytest.mark.django_db(transaction=True)
def test_two_owners_accepting_at_once_create_things_once(
    org: Any, member: Any, handover: Any, manager: Any, process_owner: Any
) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("SQLite's in-memory test database cannot be shared by threads")
    services.add_part(actor=manager, handover=handover, kind="routine", name="R", spec=ROUTINE)
    services.add_part(actor=manager, handover=handover, kind="kpi", name="K", spec=KPI)
    admin = member(org, Role.ADMIN)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user: Any) -> None:
        try:
            mine = Handover.objects.select_related("project", "process").get(pk=handover.pk)
            barrier.wait()
            improvement.accept_handover(actor=user, handover=mine, expected_version=None)
            outcomes.append("accepted")
        except Invalid as exc:
            outcomes.append(exc.message)
        except BaseException as exc:  # pragma: no cover - reported below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (process_owner, admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["This handover is already accepted.", "accepted"]
    assert Routine.objects.count() == 1 and Kpi.objects.count() == 1
    assert Origin.objects.count() == 2
    assert Handover.objects.get().status == "accepted"


@pytest.mark.django_db(transaction=True)
def test_a_part_drafted_while_the_handover_is_accepted_waits_and_is_refused(
    handover: Any, manager: Any, process_owner: Any
) -> None:
    """The drafting side reads the status under the handover's row lock: a part added while
    an acceptance is building the others waits for it, then is refused (it was saved after the
    build and never built)."""
    import time
    from unittest import mock

    from twofold.closeout.models import HandoverPart

    if connection.vendor != "postgresql":
        pytest.skip("the row lock is PostgreSQL's (SQLite writes one transaction at a time)")
    services.add_part(actor=manager, handover=handover, kind="routine", name="R", spec=ROUTINE)
    stale = Handover.objects.select_related("project").get(pk=handover.pk)
    building, go_on = threading.Event(), threading.Event()
    real = services._build_one
    outcomes: list[str] = []

    def slow_build(*args: Any) -> Any:
        built = real(*args)
        building.set()
        go_on.wait(10)
        return built

    def accept() -> None:
        try:
            mine = Handover.objects.select_related("project", "process").get(pk=handover.pk)
            improvement.accept_handover(actor=process_owner, handover=mine, expected_version=None)
        finally:
            connection.close()

    def draft() -> None:
        try:
            services.add_part(actor=manager, handover=stale, kind="kpi", name="K", spec=KPI)
            outcomes.append("saved")
        except Invalid as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    with mock.patch.object(services, "_build_one", slow_build):
        accepting = threading.Thread(target=accept)
        accepting.start()
        assert building.wait(10)
        drafting = threading.Thread(target=draft)
        drafting.start()
        time.sleep(0.3)  # the draft is waiting on the lock
        assert outcomes == []
        go_on.set()
        accepting.join()
        drafting.join()
    assert outcomes == ["An accepted handover cannot change."]
    assert list(HandoverPart.objects.values_list("name", flat=True)) == ["R"]
