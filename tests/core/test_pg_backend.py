"""PostgreSQL with psycopg's compiled ``timestamptz`` loader (``twofold/db/postgresql``): the
same values as Django's own loader, for raw reads, the ORM and server-side cursors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from twofold.core import history
from twofold.core.models import HistoryEntry
from twofold.db.postgresql.base import TIMESTAMPTZ_OID, compiled_timestamptz_loader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def test_instants_load_as_django_loads_them(org: Any) -> None:
    from psycopg.pq import Format

    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert loader is compiled_timestamptz_loader() is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT '2026-03-29 01:30:15.123456+00'::timestamptz,"
            " '1999-12-31 23:59:59+05:30'::timestamptz, '0001-01-01 00:00:00+00'::timestamptz,"
            " NULL::timestamptz, %s::timestamptz",
            [dt.datetime(2026, 10, 25, 1, 59, tzinfo=dt.timezone(dt.timedelta(hours=-3)))],
        )
        row = cursor.fetchone()
    assert row == (
        dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 18, 29, 59, tzinfo=dt.UTC),
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        None,
        dt.datetime(2026, 10, 25, 4, 59, tzinfo=dt.UTC),
    )
    assert all(value.tzinfo is dt.UTC for value in row if value is not None)
    # Through the ORM, and through a named (server-side) cursor with .iterator().
    for action in ("created", "renamed", "archived"):
        history.record(actor=None, obj=org, action=action)
    moment = dt.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=dt.UTC)
    entries = HistoryEntry.objects.filter(organisation_id=org.pk)
    assert entries.update(at=moment) == 3
    assert [e.at for e in entries] == [moment] * 3
    streamed = [e.at for e in entries.iterator(chunk_size=2)]  # a named, server-side cursor
    assert streamed == [moment] * 3


def test_health_check_reads_the_socket_and_sees_a_terminated_server() -> None:
    """The per-request check sends no ``SELECT 1`` to a live idle connection, and still finds
    one whose server process was terminated (what a restart does to every connection)."""
    import time

    from django.db.backends.postgresql.base import DatabaseWrapper as DjangoWrapper

    other = connection.copy()
    other.ensure_connection()
    asked: list[int] = []
    original = DjangoWrapper.is_usable

    def counted(self: Any) -> bool:
        asked.append(1)
        return bool(original(self))

    try:
        DjangoWrapper.is_usable = counted  # type: ignore[method-assign]
        assert other.is_usable() is True
        assert asked == []  # no round trip
        other.errors_occurred = True  # after an error: the real check
        assert other.is_usable() is True
        assert asked == [1]
        other.errors_occurred = False
        pid = other.connection.info.backend_pid
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone() == (True,)
        deadline = time.monotonic() + 5
        while other.is_usable() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert other.is_usable() is False
        assert asked[1:]  # the socket was readable: the real check ran, and failed
    finally:
        DjangoWrapper.is_usable = original  # type: ignore[method-assign]
        other.close()
