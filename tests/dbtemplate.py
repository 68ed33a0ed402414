"""Test databases from a migrated template instead of migrating each one from zero.

Migrating an empty database takes ~45 s of CPU (70-odd migrations; Django renders the model
states as it goes), and a CI run creates about ten test databases: one per pytest-xdist worker
for the suite on SQLite and on PostgreSQL, the permission matrix, the browser tests, the
concurrency tests and the API sweep. Every migration still runs, once per database engine:

- **SQLite.** The first test process that creates a test database migrates it as usual and
  saves a copy under ``var/test-templates/<key>.sqlite3``; ``<key>`` hashes every migration file,
  the capacity stamp's trigger code and Django's version, so a changed migration makes a new
  template. Other processes wait on a file lock while it is built, then copy it with SQLite's
  online backup API.
- **PostgreSQL.** With ``TWOFOLD_PG_TEST_TEMPLATE=<database>`` (``.ci/run`` sets it to the
  database it has just migrated with ``manage.py migrate``), each test database is created with
  ``CREATE DATABASE ... TEMPLATE <database>`` (``twofold/dburl.py``).

Either way, before ``migrate`` is skipped the copy must hold every migration Django knows of as
applied (otherwise it migrates as usual), and ``post_migrate`` is sent as ``migrate`` would send
it. ``TWOFOLD_TEST_TEMPLATE=0`` turns this off.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "var" / "test-templates"
_creating = threading.local()


def _key() -> str:
    import django

    digest = hashlib.sha256(django.get_version().encode())
    files = [*sorted(ROOT.glob("twofold/*/migrations/*.py")), ROOT / "twofold/capacity/stamp.py"]
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fully_migrated(connection: Any) -> bool:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return set(loader.graph.nodes) <= set(loader.applied_migrations)


def _post_migrate(alias: str, verbosity: int) -> None:
    from django.apps import apps
    from django.core.management.sql import emit_post_migrate_signal

    emit_post_migrate_signal(verbosity, False, alias, apps=apps, plan=[])


def install() -> None:
    """Patch test database creation and ``migrate`` (called once, from tests/conftest.py)."""
    if os.environ.get("TWOFOLD_TEST_TEMPLATE") == "0":
        return
    from django.core.management.commands import migrate
    from django.db.backends.base import creation

    create_test_db = creation.BaseDatabaseCreation.create_test_db
    handle = migrate.Command.handle

    def creating_test_db(self: Any, *args: Any, **kwargs: Any) -> Any:
        _creating.alias = self.connection.alias
        try:
            return create_test_db(self, *args, **kwargs)
        finally:
            _creating.alias = None

    def migrate_from_template(self: Any, *args: Any, **options: Any) -> Any:
        from django.db import connections

        alias = options.get("database") or "default"
        if getattr(_creating, "alias", None) != alias or options.get("app_label"):
            return handle(self, *args, **options)
        connection = connections[alias]
        verbosity = int(options.get("verbosity", 1))
        if connection.vendor == "postgresql":
            if connection.settings_dict["TEST"].get("TEMPLATE") and _fully_migrated(connection):
                _post_migrate(alias, verbosity)
                return None
            return handle(self, *args, **options)
        if connection.vendor != "sqlite":
            return handle(self, *args, **options)
        TEMPLATES.mkdir(parents=True, exist_ok=True)
        path = TEMPLATES / f"{_key()}.sqlite3"
        with open(path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one process builds it; the others wait for it
            if not path.exists():
                result = handle(self, *args, **options)
                connection.ensure_connection()
                partial = path.with_suffix(f".{os.getpid()}.partial")
                copy = sqlite3.connect(partial)
                connection.connection.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # readable with mode=ro, no -wal file
                copy.close()
                os.replace(partial, path)
                return result
        connection.ensure_connection()
        template = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        template.backup(connection.connection)
        template.close()
        if not _fully_migrated(connection):  # a template that lost a race with an edit
            return handle(self, *args, **options)
        _post_migrate(alias, verbosity)
        return None

    creation.BaseDatabaseCreation.create_test_db = creating_test_db  # type: ignore[method-assign]
    migrate.Command.handle = migrate_from_template  # type: ignore[method-assign]


def install_quick_flush() -> None:
    """Empty PostgreSQL test databases with ``DELETE`` instead of one ``TRUNCATE``.

    After each transactional test the database is flushed. ``TRUNCATE`` of the ~100 tables
    gives every table and index a new file (~1 s even when they are empty, measured on the CI
    machine); deleting the few rows a test wrote takes ~0.07 s. Foreign keys and triggers are
    set aside for the transaction (``session_replication_role = replica``, which needs the
    superuser the CI cluster runs tests as), as every table is emptied. Otherwise, or when a
    test asks for its sequences to be reset, Django's ``TRUNCATE`` runs as before.
    """
    if os.environ.get("TWOFOLD_TEST_TEMPLATE") == "0":
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **options: Any) -> list[str]:
        if options.get("reset_sequences") or not tables or not _superuser(self.connection):
            return truncate(self, style, tables, **options)
        quote = self.quote_name
        return [
            "SET LOCAL session_replication_role = replica;",
            *(f"DELETE FROM {quote(table)};" for table in tables),  # noqa: S608 -- the models' tables
        ]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


def _superuser(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser')")
        return bool(cursor.fetchone()[0] == "on")
