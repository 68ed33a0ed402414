"""Turn ``DATABASE_URL`` into a Django ``DATABASES`` entry (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


def database_from_url(url: str, *, default_sqlite: Path) -> dict[str, Any]:
    """Return the Django database settings for ``url``.

    An empty ``url`` means the embedded SQLite file ``default_sqlite`` (WAL mode, a busy
    timeout and IMMEDIATE transactions so concurrent writers wait instead of failing).
    ``postgres://user:password@host:port/name?sslmode=...`` selects PostgreSQL.
    Raises ``ValueError`` for any other scheme.
    """
    if not url:
        return _sqlite(default_sqlite)
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:////abs/path and sqlite:///relative both appear in the wild.
        return _sqlite(Path(path[1:] if path.startswith("//") else path.lstrip("/") or path))
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        options = dict(parse_qsl(parts.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
            # Test databases copied from an already migrated one (tests/dbtemplate.py; .ci/run).
            "TEST": {"TEMPLATE": os.environ.get("TWOFOLD_PG_TEST_TEMPLATE") or None},
        }
    raise ValueError(
        f"DATABASE_URL: unsupported scheme {parts.scheme!r} (use postgres:// or sqlite://)"
    )


def _sqlite(path: Path) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Keep connections (and SQLite's page cache) across requests: a fresh connection per
        # request made pages 3-4x slower on the large demo (docs/benchmarks-web.md).
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA mmap_size=268435456; PRAGMA cache_size=-65536;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        # Tests use an in-memory database, which threads cannot share. The concurrency tests
        # (two owners demoting each other, concurrent board moves) need a shared one: `.ci/run`
        # runs them again with TWOFOLD_SQLITE_TEST_FILE set to a throwaway file.
        "TEST": {"NAME": os.environ.get("TWOFOLD_SQLITE_TEST_FILE") or None},
    }
