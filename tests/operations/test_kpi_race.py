"""Two saves of measurements on one KPI at once: the stored state counts both values."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connection

from twofold.operations import selectors, services
from twofold.operations.models import Kpi

START = dt.date(2026, 6, 1)


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_leave_the_state_of_both_values(
    owner: Any, kpi: Any, monkeypatch: pytest.MonkeyPatch, threads_share_db: None
) -> None:
    """Each save computed the KPI's state while the other's value was not committed yet, and the
    last to write stored a state without the other's value: "in control" with 1.6 as the latest
    value where 9.0 (a signal) was saved, so the process owner was never told (a review found
    it). The save now takes the KPI's lock first, as corrections do."""
    baseline = [
        (n, START + dt.timedelta(days=n), 2.0 + (0.1 if n % 2 else -0.1), "") for n in range(20)
    ]
    services.add_measurements(actor=owner, kpi=kpi, rows=baseline)
    # Each save, once it has computed the state, waits (up to 1.5 s) for the other to have
    # computed its own: without the lock both compute before either commits.
    computed = threading.Barrier(2)
    real = selectors.kpi_views

    def meet_after(kpis: Any) -> Any:
        views = real(kpis)
        if threading.current_thread() is not threading.main_thread():
            try:
                computed.wait(timeout=1.5)
            except threading.BrokenBarrierError:
                pass  # the other save waits for our lock: it computes after our commit
            else:
                if threading.current_thread().name == "writes last":
                    time.sleep(0.5)  # the save of 1.6 writes its state after the other's
        return views

    monkeypatch.setattr(selectors, "kpi_views", meet_after)
    errors: list[BaseException] = []

    def save(day: int, value: float) -> None:
        try:
            services.add_measurements(
                actor=owner,
                kpi=Kpi.objects.get(pk=kpi.pk),
                rows=[(1, START + dt.timedelta(days=day), value, "")],
                confirmed=True,
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(25, 1.6), name="writes last"),
        threading.Thread(target=save, args=(26, 9.0)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    monkeypatch.setattr(selectors, "kpi_views", real)
    stored = Kpi.objects.get(pk=kpi.pk)
    truth = real([stored])[0]
    assert (truth.state, truth.latest) == ("signal", 9.0)
    assert (stored.state, stored.latest_value) == ("signal", 9.0)
