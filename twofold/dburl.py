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
        return _postgres(parts, dict(parse_qsl(parts.query)))
    raise ValueError(
        f"DATABASE_URL: unsupported scheme {parts.scheme!r} (use postgres:// or sqlite://)"
    )


# Server-side binding with statements prepared after PREPARE_THRESHOLD runs: PostgreSQL then
# plans each of the app's fixed reads once per connection instead of on every request (the
# project read of every project page: 0.5 ms planned each time, 0.18 ms prepared; a task page
# 14.5 -> 11.9 ms, docs/benchmarks-web.md). Behind a pooler that cannot keep prepared statements
# (PgBouncer in transaction mode before 1.21), add ``?prepare_threshold=off`` to the URL.
PREPARE_THRESHOLD = 5
_FALSE = {"0", "false", "no", "off", "none", ""}


def _postgres(parts: Any, query: dict[str, str]) -> dict[str, Any]:
    options: dict[str, Any] = dict(query)
    binding = str(options.pop("server_side_binding", "true")).lower() not in _FALSE
    threshold = str(options.pop("prepare_threshold", PREPARE_THRESHOLD)).lower()
    if threshold not in _FALSE and not threshold.isdigit():
        raise ValueError("DATABASE_URL: prepare_threshold is a whole number or off")
    options["server_side_binding"] = binding
    # psycopg prepares only with server-side binding; None never prepares.
    options["prepare_threshold"] = int(threshold) if binding and threshold.isdigit() else None
    return {
        "ENGINE": "twofold.db.postgresql",
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
