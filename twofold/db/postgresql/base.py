"""Django's PostgreSQL backend with psycopg's compiled ``timestamptz`` loader and a health
check without a round trip.

Django registers its own loader for ``timestamptz`` on every connection: a subclass of psycopg's
pure-Python loader (a regular expression and two ``datetime`` calls per value) that sets the
connection's zone on the result. A board of 1,000 cards spent 5 of its 8 ms of reading there
(docs/benchmarks-web.md). When the connection's zone is UTC — Twofold's always is: ``USE_TZ``
with no database ``TIME_ZONE``, and Django sets the session's ``TimeZone`` to it — psycopg's
compiled loader gives the very same values (aware, ``datetime.timezone.utc``), so this backend
puts it back. With any other zone, or without the compiled psycopg, it is Django's backend.

``CONN_HEALTH_CHECKS`` makes Django send ``SELECT 1`` before the first query of every request
(~0.15 ms on loopback, one more round trip per request). A connection whose server went away
(restart, ``pg_terminate_backend``, idle timeout) has been sent a closing message and end of
file, so its socket reads as ready while no query is running. This backend looks at the socket
instead (no round trip) and sends ``SELECT 1`` only when the socket has something to read or
the connection saw an error. A network that drops packets without a word is not caught by
either check before the query: Django's would wait for the same TCP timeout.
"""

from __future__ import annotations

import datetime as dt
import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from django.utils.asyncio import async_unsafe
from psycopg.postgres import types as pg_types
from psycopg.pq import Format, TransactionStatus

TIMESTAMPTZ_OID = pg_types["timestamptz"].oid


def compiled_timestamptz_loader() -> type[Any] | None:
    """psycopg's compiled ``timestamptz`` text loader, or None (pure-Python psycopg)."""
    loader = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    return loader if loader is not None and psycopg.pq.__impl__ != "python" else None


class DatabaseWrapper(base.DatabaseWrapper):
    compiled_timestamps = False  # set per connection

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        loader = compiled_timestamptz_loader()
        self.compiled_timestamps = loader is not None and self.timezone == dt.UTC
        if self.compiled_timestamps:
            connection.adapters.register_loader("timestamptz", loader)
        return connection

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if (
            not self.errors_occurred
            and connection.info.transaction_status == TransactionStatus.IDLE
        ):
            try:
                readable, _, _ = select.select([connection.fileno()], [], [], 0)
            except (OSError, ValueError):
                return False
            if not readable:  # nothing from the server since the last answer: alive
                return True
        return bool(super().is_usable())  # something to read, or an error before: ask

    @async_unsafe
    def create_cursor(self, name: str | None = None) -> Any:
        if not self.compiled_timestamps:
            return super().create_cursor(name)
        # Django's, less its check of the loader's zone (an attribute the compiled loader does
        # not have; it loads in the session's zone, which is UTC here, as Django's does).
        if name is None:
            return self.connection.cursor()
        if self.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            return base.ServerSideCursor(  # type: ignore[call-arg]
                self.connection, name=name, scrollable=False, withhold=self.connection.autocommit
            )
        return self.connection.cursor(name, scrollable=False, withhold=self.connection.autocommit)
