"""The capacity data stamp: one value that changes whenever an input of the capacity model does.

The capacity view of a large organisation (200 people × 12 weeks) reads tens of thousands of
task-days, routines, request history, patterns and absences; between two changes of those rows
the result is the same. :func:`cached` keeps the computed result per process, keyed on the
stamp, so a repeated view reads one row instead of recomputing.

The stamp is a row (:class:`~twofold.capacity.models.DataStamp`) that **database triggers**
re-draw (a random 64-bit value) on every insert, delete or relevant update of the tables in
:data:`WATCHED`, in the writing transaction itself. Triggers, not Django signals, because
many writes bypass signals (``QuerySet.update``, ``bulk_create``/``bulk_update``, the
reschedule's ``executemany``, imports): a trigger sees them all, whoever writes. Because the
new value commits with the data, a reader that reads the stamp *first* never pairs an old stamp
with data older than it (at worst it stores newer data under the old stamp, which the next
reader, seeing the new stamp, recomputes).

The triggers are (re)installed after every ``migrate`` (``post_migrate``): SQLite drops a
table's triggers when Django rebuilds the table for a schema change, so they are not left to a
one-off migration. On PostgreSQL they fire once per statement; on SQLite once per row (cheap:
one in-page update). A missing stamp row (e.g. after a test database flush) means "unknown":
nothing is cached until the row is back (:func:`current` re-creates it).
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

T = TypeVar("T")

# (app label, model, fields whose UPDATE matters — None: every column). Insert and delete of a
# row always count. Only what the capacity model reads: a task's status, board position or
# name changes nothing in the grid, so card moves and renames keep the cache.
WATCHED: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    (
        "projects",
        "Task",
        (
            "organisation",
            "project",
            "assignee",
            "start",
            "finish",
            "effort_minutes",
            "duration_minutes",
            "is_summary",
            "is_milestone",
            "deleted_at",
        ),
    ),
    ("projects", "Assignment", None),
    ("projects", "Project", ("organisation", "phase", "archived_at", "deleted_at")),
    ("operations", "Routine", None),
    ("operations", "Occurrence", ("routine", "due", "organisation")),
    ("operations", "Request", ("queue", "created_at", "deleted_at", "organisation")),
    ("operations", "Queue", None),
    ("operations", "Process", None),
    ("capacity", "WorkingPattern", None),
    ("capacity", "Absence", None),
    ("capacity", "Reservation", None),
    ("capacity", "QueueWorkload", None),
    ("calendars", "Calendar", None),
    ("calendars", "Holiday", None),
    ("accounts", "Membership", None),
    ("accounts", "Organisation", None),
    ("accounts", "Team", None),
)
# Team.members' through table (no model of its own).
WATCHED_M2M: tuple[tuple[str, str, str], ...] = (("accounts", "Team", "members"),)

STAMP_ID = 1
PREFIX = "capacity_stamp_"


def _tables() -> list[tuple[str, list[str] | None]]:
    out: list[tuple[str, list[str] | None]] = []
    for label, name, fields in WATCHED:
        model = apps.get_model(label, name)
        columns = None
        if fields is not None:
            columns = [model._meta.get_field(f).column for f in fields]
        out.append((model._meta.db_table, columns))
    for label, name, field in WATCHED_M2M:
        model = apps.get_model(label, name)
        through = model._meta.get_field(field).remote_field.through
        out.append((through._meta.db_table, None))
    return out


def _stamp_table() -> str:
    return str(apps.get_model("capacity", "DataStamp")._meta.db_table)


def install_triggers(using: str = DEFAULT_DB_ALIAS) -> None:
    """(Re)create the triggers that re-draw the stamp; idempotent."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return  # another backend: no triggers, so nothing may be cached (see current)
    existing = set(connection.introspection.table_names())
    # A partial or backward migrate: a trigger must never point at a missing stamp table (every
    # write of its table would fail), nor be made on a table that does not exist yet.
    tables = [(t, c) for t, c in _tables() if t in existing]
    if _stamp_table() not in existing:
        drop_triggers(using, tables)
        return
    stamp = connection.ops.quote_name(_stamp_table())
    statements: list[str] = []
    if connection.vendor == "postgresql":
        bump = f"UPDATE {stamp} SET value = (random() * 9e15)::bigint WHERE id = {STAMP_ID}"  # noqa: S608
        statements.append(
            f"CREATE OR REPLACE FUNCTION {PREFIX}bump() RETURNS trigger AS $$ BEGIN "
            f"{bump}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for table, columns in tables:
            quoted = connection.ops.quote_name(table)
            name = f"{PREFIX}{table}"
            update = "UPDATE"
            if columns:
                update += " OF " + ", ".join(connection.ops.quote_name(c) for c in columns)
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON {quoted}")
            statements.append(
                f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR {update} ON {quoted} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}bump()"
            )
    elif connection.vendor == "sqlite":
        body = f"BEGIN UPDATE {stamp} SET value = random() WHERE id = {STAMP_ID}; END"  # noqa: S608
        for table, columns in tables:
            quoted = connection.ops.quote_name(table)
            update = "UPDATE"
            if columns:
                update += " OF " + ", ".join(connection.ops.quote_name(c) for c in columns)
            for event, suffix in (("INSERT", "i"), ("DELETE", "d"), (update, "u")):
                name = f"{PREFIX}{table}_{suffix}"
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
                statements.append(f"CREATE TRIGGER {name} AFTER {event} ON {quoted} {body}")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def drop_all_triggers(using: str = DEFAULT_DB_ALIAS) -> None:
    """Remove every stamp trigger (before a migrate: a backward one may drop the stamp table
    while a trigger still names it, and SQLite then refuses every change of that table)."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    existing = set(connection.introspection.table_names())
    drop_triggers(using, [(t, c) for t, c in _tables() if t in existing])


def drop_triggers(using: str, tables: list[tuple[str, list[str] | None]]) -> None:
    """Remove the stamp's triggers from ``tables`` (the stamp table is gone)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for table, _columns in tables:
            if connection.vendor == "postgresql":
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"DROP TRIGGER IF EXISTS {PREFIX}{table} ON {quoted}")
            else:
                for suffix in ("i", "d", "u"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {PREFIX}{table}_{suffix}")


def current(using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The stamp now (1 query), or None when it cannot be trusted (no row, other backend)."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return None
    model = apps.get_model("capacity", "DataStamp")
    value = model.objects.using(using).filter(pk=STAMP_ID).values_list("value", flat=True).first()
    if value is None:
        model.objects.using(using).bulk_create(
            [model(pk=STAMP_ID, value=random.getrandbits(62))],
            ignore_conflicts=True,
        )
        return None
    return int(value)


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


_CACHE = _Lru(32)


def cached(key: Hashable, compute: Callable[[], T], using: str = DEFAULT_DB_ALIAS) -> T:
    """``compute()``, or the result it gave for ``key`` while the stamp was what it is now.

    The result is shared between requests: callers must not change it.
    """
    stamp = current(using)
    if stamp is None:
        return compute()
    full = (using, connections[using].settings_dict.get("NAME"), stamp, key)
    hit = _CACHE.get(full)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = compute()
    _CACHE.put(full, value)
    return value


def clear() -> None:
    """Forget every cached result of this process (tests)."""
    _CACHE.clear()
