"""Data stamps: one value that changes whenever a watched table does, kept up by triggers.

A stamp is a one-row table (``id`` 1, ``value``) that **database triggers** re-draw (a random
64-bit value) on every insert, delete or relevant update of the tables it watches, in the
writing transaction itself. Triggers, not Django signals, because many writes bypass signals
(``QuerySet.update``, ``bulk_create``/``bulk_update``, ``executemany``, imports): a trigger sees
them all, whoever writes. Because the new value commits with the data, a reader that reads the
stamp *first* never pairs an old stamp with data older than it (at worst it stores newer data
under the old stamp, which the next reader, seeing the new stamp, recomputes). So a result
computed from the watched tables can be kept per process under the stamp's value
(:meth:`Stamp.cached`), and several processes stay right without talking to each other.

The triggers are (re)installed after every ``migrate`` (``post_migrate``): SQLite drops a
table's triggers when Django rebuilds the table for a schema change, so they are not left to a
one-off migration. On PostgreSQL they fire once per statement; on SQLite once per row (cheap:
one in-page update). A missing stamp row (e.g. after a test database flush) means "unknown":
nothing is cached until the row is back (:meth:`Stamp.current` re-creates it).

Users: ``capacity.stamp`` (the capacity model's inputs) and ``accounts.directory`` (people's
names and memberships, for the people selects).
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate, pre_migrate

T = TypeVar("T")

STAMP_ID = 1

# (app label, model, fields whose UPDATE matters — None: every column). Insert and delete of a
# row always count.
Watched = Sequence[tuple[str, str, tuple[str, ...] | None]]


class _Lru:
    """A small thread-safe LRU of computed results (per process; gunicorn's threads share it)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self.lock:
            if key not in self.data:
                return None
            self.data.move_to_end(key)
            return self.data[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


EVERY: list[Stamp] = []  # every stamp made (for a test that migrates by hand, as migrate does)


class Stamp:
    """The stamp kept in ``model`` (``"app_label.Model"`` with a ``value`` column), watching
    ``watched`` and the through tables of the many-to-many fields ``watched_m2m`` (app label,
    model, field); its triggers are named ``prefix`` + table."""

    def __init__(
        self,
        model: str,
        prefix: str,
        watched: Watched,
        watched_m2m: Sequence[tuple[str, str, str]] = (),
        *,
        cache_size: int = 32,
    ) -> None:
        self.model_label = model
        self.prefix = prefix
        self.watched = tuple(watched)
        self.watched_m2m = tuple(watched_m2m)
        self._cache = _Lru(cache_size)
        EVERY.append(self)

    def _model(self) -> Any:
        return apps.get_model(self.model_label)

    def table(self) -> str:
        return str(self._model()._meta.db_table)

    def _tables(self) -> list[tuple[str, list[str] | None]]:
        out: list[tuple[str, list[str] | None]] = []
        for label, name, fields in self.watched:
            model = apps.get_model(label, name)
            columns = None
            if fields is not None:
                columns = [model._meta.get_field(f).column for f in fields]
            out.append((model._meta.db_table, columns))
        for label, name, field in self.watched_m2m:
            model = apps.get_model(label, name)
            through = model._meta.get_field(field).remote_field.through
            out.append((through._meta.db_table, None))
        return out

    def install_triggers(self, using: str = DEFAULT_DB_ALIAS) -> None:
        """(Re)create the triggers that re-draw the stamp; idempotent."""
        connection = connections[using]
        if connection.vendor not in ("postgresql", "sqlite"):
            return  # another backend: no triggers, so nothing may be cached (see current)
        existing = set(connection.introspection.table_names())
        # A partial or backward migrate: a trigger must never point at a missing stamp table
        # (every write of its table would fail), nor be made on a table that does not exist yet.
        tables = [(t, c) for t, c in self._tables() if t in existing]
        if self.table() not in existing:
            self.drop_triggers(using, tables)
            return
        stamp = connection.ops.quote_name(self.table())
        prefix = self.prefix
        statements: list[str] = []
        if connection.vendor == "postgresql":
            bump = f"UPDATE {stamp} SET value = (random() * 9e15)::bigint WHERE id = {STAMP_ID}"  # noqa: S608
            statements.append(
                f"CREATE OR REPLACE FUNCTION {prefix}bump() RETURNS trigger AS $$ BEGIN "
                f"{bump}; RETURN NULL; END $$ LANGUAGE plpgsql"
            )
            for table, columns in tables:
                quoted = connection.ops.quote_name(table)
                name = f"{prefix}{table}"
                update = "UPDATE"
                if columns:
                    update += " OF " + ", ".join(connection.ops.quote_name(c) for c in columns)
                statements.append(f"DROP TRIGGER IF EXISTS {name} ON {quoted}")
                statements.append(
                    f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR {update} ON {quoted} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {prefix}bump()"
                )
        else:
            body = f"BEGIN UPDATE {stamp} SET value = random() WHERE id = {STAMP_ID}; END"  # noqa: S608
            for table, columns in tables:
                quoted = connection.ops.quote_name(table)
                update = "UPDATE"
                if columns:
                    update += " OF " + ", ".join(connection.ops.quote_name(c) for c in columns)
                for event, suffix in (("INSERT", "i"), ("DELETE", "d"), (update, "u")):
                    name = f"{prefix}{table}_{suffix}"
                    statements.append(f"DROP TRIGGER IF EXISTS {name}")
                    statements.append(f"CREATE TRIGGER {name} AFTER {event} ON {quoted} {body}")
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def drop_all_triggers(self, using: str = DEFAULT_DB_ALIAS) -> None:
        """Remove every trigger of the stamp (before a migrate: a backward one may drop the
        stamp table while a trigger still names it, and SQLite then refuses every change of
        that table)."""
        connection = connections[using]
        if connection.vendor not in ("postgresql", "sqlite"):
            return
        existing = set(connection.introspection.table_names())
        self.drop_triggers(using, [(t, c) for t, c in self._tables() if t in existing])

    def drop_triggers(self, using: str, tables: list[tuple[str, list[str] | None]]) -> None:
        """Remove the stamp's triggers from ``tables``."""
        connection = connections[using]
        with connection.cursor() as cursor:
            for table, _columns in tables:
                if connection.vendor == "postgresql":
                    quoted = connection.ops.quote_name(table)
                    cursor.execute(f"DROP TRIGGER IF EXISTS {self.prefix}{table} ON {quoted}")
                else:
                    for suffix in ("i", "d", "u"):
                        cursor.execute(f"DROP TRIGGER IF EXISTS {self.prefix}{table}_{suffix}")

    def follow_migrations(self, app_config: Any) -> None:
        """Drop the triggers before every migrate (no trigger may outlive the stamp table a
        backward migrate drops: SQLite would refuse every change of its table) and install
        them after it (SQLite drops a table's triggers when a schema change rebuilds it)."""
        pre_migrate.connect(
            self._before_migrate, sender=app_config, weak=False, dispatch_uid=self.prefix + "pre"
        )
        post_migrate.connect(
            self._after_migrate, sender=app_config, weak=False, dispatch_uid=self.prefix + "post"
        )

    def _before_migrate(self, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
        self.drop_all_triggers(using)

    def _after_migrate(self, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
        self.install_triggers(using)

    def current(self, using: str = DEFAULT_DB_ALIAS) -> int | None:
        """The stamp now (1 query), or None when it cannot be trusted (no row, other backend)."""
        connection = connections[using]
        if connection.vendor not in ("postgresql", "sqlite"):
            return None
        model = self._model()
        rows = model.objects.using(using).filter(pk=STAMP_ID)
        value = rows.values_list("value", flat=True).first()
        if value is None:
            model.objects.using(using).bulk_create(
                [model(pk=STAMP_ID, value=random.getrandbits(62))],
                ignore_conflicts=True,
            )
            return None
        return int(value)

    def read_sql(self, using: str = DEFAULT_DB_ALIAS) -> str:
        """A scalar subquery giving the stamp (NULL without a row), to read it in the same
        statement as something else: no round trip of its own. NULL as well on a backend
        without triggers."""
        connection = connections[using]
        if connection.vendor not in ("postgresql", "sqlite"):
            return "NULL"
        qn = connection.ops.quote_name
        return f"(SELECT s.{qn('value')} FROM {qn(self.table())} s WHERE s.id = {STAMP_ID})"  # noqa: S608

    def cached(self, key: Hashable, compute: Callable[[], T], using: str = DEFAULT_DB_ALIAS) -> T:
        """``compute()``, or the result it gave for ``key`` while the stamp was what it is now.

        The result is shared between requests: callers must not change it.
        """
        return self.cached_at(self.current(using), key, compute, using)

    def cached_at(
        self,
        stamp: int | None,
        key: Hashable,
        compute: Callable[[], T],
        using: str = DEFAULT_DB_ALIAS,
    ) -> T:
        """As :meth:`cached` with the stamp already read (``None``: unknown, not cached) — read
        *before* the data ``compute`` reads, e.g. with :meth:`read_sql` in an earlier query."""
        if stamp is None:
            return compute()
        full = (using, connections[using].settings_dict.get("NAME"), stamp, key)
        hit = self._cache.get(full)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        value = compute()
        self._cache.put(full, value)
        return value

    def clear(self) -> None:
        """Forget every cached result of this process (tests)."""
        self._cache.clear()
