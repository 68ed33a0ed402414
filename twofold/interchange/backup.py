"""Whole-instance backup and restore: ``twofold backup PATH`` and ``twofold restore PATH``.

A backup is one ZIP archive:

- ``manifest.json``: format version, when, the database vendor, the row count of every table
  *in the snapshot* that was saved, and the size and SHA-256 of every other entry;
- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the app keeps
  writing) or ``database.pgdump`` (``pg_dump --format=custom`` of an exported snapshot, so the
  counts in the manifest are those of the dump);
- ``media/...``: the uploaded files (attachments, evidence).

Restore reads an archive into an **empty** instance (no rows in any table; a fresh database
or one that was only migrated). Before anything is written the archive is checked: only the
expected entry names, no absolute paths, ``..``, drive letters or backslashes, no symbolic
links, at most :data:`MAX_ENTRIES` entries, a bounded total size that must also fit on the
disk, and no entry that expands more than :data:`MAX_RATIO` times (zip bombs). Entries are
extracted into a temporary folder with their checksums verified, and only then is the
database restored and the files moved into place; afterwards every table's row count is
compared with the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twofold.interchange import safe_archive
from twofold.interchange.safe_archive import MAX_RATIO, RATIO_FLOOR, ArchiveError  # noqa: F401 (re-exported)

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_ENTRY = "database.sqlite3"
PG_ENTRY = "database.pgdump"
MEDIA_PREFIX = "media/"
MAX_ENTRIES = 1_000_000
DEFAULT_MAX_BYTES = 64 * 1024**3
CHUNK = 1024 * 1024
DATABASE_LEVEL = 1
"""Deflate level of the database entry: level 1 is several times faster than the default 6
on a database file, for an archive a few per cent larger."""
STORED_SUFFIXES = frozenset(
    [
        ".7z",
        ".avif",
        ".docx",
        ".gif",
        ".gz",
        ".heic",
        ".jpeg",
        ".jpg",
        ".mp3",
        ".mp4",
        ".odp",
        ".ods",
        ".odt",
        ".png",
        ".pptx",
        ".webm",
        ".webp",
        ".xlsx",
        ".xz",
        ".zip",
        ".zst",
    ]
)
"""Media files already compressed: stored as they are (deflating them again gains nothing)."""
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BackupError(ArchiveError):
    """The backup or restore cannot go on; the message says why, nothing was changed."""


@dataclass(frozen=True)
class Database:
    """Where a database is: SQLite file ``name``, or PostgreSQL ``name`` on ``host:port``."""

    vendor: str  # "sqlite" or "postgresql"
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, entry: dict[str, Any]) -> Database:
        """From a Django ``DATABASES`` entry (the test database name if one is in use)."""
        engine = entry["ENGINE"]
        if engine.endswith("sqlite3"):
            return cls("sqlite", str(entry["NAME"]))
        if engine.endswith("postgresql"):
            return cls(
                "postgresql",
                str(entry["NAME"]),
                str(entry.get("HOST") or ""),
                str(entry.get("PORT") or ""),
                str(entry.get("USER") or ""),
                str(entry.get("PASSWORD") or ""),
            )
        raise BackupError(f"backups support SQLite and PostgreSQL, not {engine}")

    def pg_args(self) -> list[str]:
        args = ["--dbname", self.name]
        if self.host:
            args += ["--host", self.host]
        if self.port:
            args += ["--port", self.port]
        if self.user:
            args += ["--username", self.user]
        return args

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def pg_connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            dbname=self.name,
            host=self.host or None,
            port=self.port or None,
            user=self.user or None,
            password=self.password or None,
        )


@dataclass
class Manifest:
    """What an archive holds (``manifest.json``)."""

    vendor: str
    tables: dict[str, int]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: str = ""
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.format,
                "created": self.created,
                "vendor": self.vendor,
                "tables": self.tables,
                "files": self.files,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: bytes) -> Manifest:
        try:
            data = json.loads(text)
            manifest = cls(
                vendor=str(data["vendor"]),
                tables={str(k): int(v) for k, v in data["tables"].items()},
                files={str(k): dict(v) for k, v in data["files"].items()},
                created=str(data.get("created", "")),
                format=int(data["format"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"{MANIFEST} is not a Twofold backup manifest ({exc})") from exc
        if manifest.format != FORMAT:
            raise BackupError(f"backup format {manifest.format} is not supported (need {FORMAT})")
        if manifest.vendor not in ("sqlite", "postgresql"):
            raise BackupError(f"unknown database vendor {manifest.vendor!r} in {MANIFEST}")
        for table, rows in manifest.tables.items():
            if rows < 0:
                raise BackupError(f"{MANIFEST}: table {table!r} has a negative row count")
        for name, meta in manifest.files.items():
            size = meta.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise BackupError(
                    f"{MANIFEST}: the size of {name!r} is not a whole number of bytes ({size!r})"
                )
            digest = meta.get("sha256")
            if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
                raise BackupError(
                    f"{MANIFEST}: the sha256 of {name!r} is not 64 hexadecimal digits"
                )
        return manifest


# --------------------------------------------------------------------------------------------
# Backup.


def create_backup(archive: Path, database: Database, media_root: Path) -> Manifest:
    """Write a consistent backup of ``database`` and ``media_root`` to ``archive``.

    The archive is written to a new file of its own beside its final name (created
    exclusively with mode 0600, as it holds password hashes and sessions: a file or symbolic
    link already there is never followed or overwritten) and renamed over ``archive`` at the
    end, so a failed backup leaves no half-written file.

    Raises:
        BackupError: if the database cannot be copied (the message says why).
    """
    archive = Path(archive)
    with tempfile.TemporaryDirectory(prefix="twofold-backup-") as tmp:
        if database.vendor == "sqlite":
            db_entry, db_file = SQLITE_ENTRY, Path(tmp) / SQLITE_ENTRY
            tables = _sqlite_snapshot(database, db_file)
        else:
            db_entry, db_file = PG_ENTRY, Path(tmp) / PG_ENTRY
            tables = _pg_snapshot(database, db_file)
        manifest = Manifest(
            vendor=database.vendor,
            tables=tables,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        # mkstemp: O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600, a name nobody could prepare.
        fd, partial_name = tempfile.mkstemp(
            prefix=f".{archive.name}.", suffix=".partial", dir=archive.parent
        )
        partial = Path(partial_name)
        try:
            with (
                os.fdopen(fd, "w+b") as out,
                zipfile.ZipFile(
                    out, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=DATABASE_LEVEL
                ) as zf,
            ):
                manifest.files[db_entry] = _write_entry(zf, db_file, db_entry)
                zf.compresslevel = None  # the default level for media and the manifest
                for path, name in _media_files(media_root):
                    stored = path.suffix.lower() in STORED_SUFFIXES
                    zf.compression = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                    manifest.files[name] = _write_entry(zf, path, name)
                zf.compression = zipfile.ZIP_DEFLATED
                zf.writestr(MANIFEST, manifest.to_json())
            os.replace(partial, archive)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _sqlite_connect(name: str | Path) -> sqlite3.Connection:
    """Open a SQLite database by file name or ``file:`` URI (Django's in-memory test database)."""
    return sqlite3.connect(name, uri=str(name).startswith("file:"))


def _sqlite_snapshot(database: Database, target: Path) -> dict[str, int]:
    source = _sqlite_connect(database.name)
    try:
        copy = sqlite3.connect(target)
        try:
            # A scratch file, deleted after the archive is written: no journal, no fsync.
            copy.execute("PRAGMA journal_mode=OFF")
            copy.execute("PRAGMA synchronous=OFF")
            source.backup(copy)
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy the SQLite database {database.name}: {exc}") from exc
    finally:
        source.close()
    return sqlite_table_counts(target)


def sqlite_table_counts(path: Path | str) -> dict[str, int]:
    """Row count of every table of a SQLite database file (SQLite's own tables left out)."""
    conn = _sqlite_connect(path)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {n: conn.execute(f"SELECT COUNT(*) FROM {_quote(n)}").fetchone()[0] for n in names}  # noqa: S608 (a catalog name, quoted)
    finally:
        conn.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pg_table_counts(conn: Any) -> dict[str, int]:
    """Row count of every table in the ``public`` schema, through ``conn`` (psycopg)."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]
    from psycopg import sql

    query = sql.SQL("SELECT COUNT(*) FROM {}")
    return {n: conn.execute(query.format(sql.Identifier(n))).fetchone()[0] for n in names}


def _pg_snapshot(database: Database, target: Path) -> dict[str, int]:
    import psycopg

    try:
        conn = database.pg_connect()
    except psycopg.Error as exc:
        raise BackupError(f"could not connect to PostgreSQL: {exc}") from exc
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        tables = pg_table_counts(conn)
        result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                *database.pg_args(),
            ],
            env=database.pg_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        conn.rollback()
        return tables
    finally:
        conn.close()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for version in ("17", "16", "15"):
        candidate = Path(f"/usr/lib/postgresql/{version}/bin/{name}")
        if candidate.exists():
            return str(candidate)
    raise BackupError(f"{name} is not installed (PostgreSQL client tools are needed)")


def _media_files(media_root: Path) -> Iterator[tuple[Path, str]]:
    root = Path(media_root)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        yield path, MEDIA_PREFIX + path.relative_to(root).as_posix()


def _write_entry(zf: zipfile.ZipFile, path: Path, name: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source, zf.open(name, "w", force_zip64=True) as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


# --------------------------------------------------------------------------------------------
# Restore.


def check_archive(archive: Path, *, room: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Manifest:
    """Open ``archive`` and check it is safe to extract into ``room``'s disk; nothing written.

    The entry checks (names, links, duplicates, entry count, size, compression ratio) are
    those of :mod:`twofold.interchange.safe_archive`, shared with the organisation import.

    Raises:
        BackupError: naming the first problem found.
    """
    try:
        zf = safe_archive.open_zip(archive, Path(archive).name)
    except ArchiveError as exc:
        raise BackupError(str(exc)) from exc
    with zf:
        try:
            sizes = safe_archive.check_zip(zf, max_entries=MAX_ENTRIES, max_bytes=max_bytes)
        except ArchiveError as exc:
            raise BackupError(str(exc)) from exc
        total = sum(sizes.values())
        names = set(sizes)
        free = shutil.disk_usage(_existing_parent(room)).free
        if total > free:
            raise BackupError(f"the archive expands to {total} bytes; only {free} are free")
        if MANIFEST not in names:
            raise BackupError(f"the archive has no {MANIFEST}: not a Twofold backup")
        try:
            manifest = Manifest.from_json(safe_archive.read_entry(zf, MANIFEST))
        except ArchiveError as exc:  # damaged or encrypted
            raise BackupError(str(exc)) from exc
        expected = set(manifest.files) | {MANIFEST}
        unexpected = sorted(n for n in names if n not in expected and not n.endswith("/"))
        if unexpected:
            raise BackupError(f"entry {unexpected[0]!r} is not listed in the manifest")
        missing = sorted(set(manifest.files) - names)
        if missing:
            raise BackupError(f"entry {missing[0]!r} is listed in the manifest but missing")
        db_entry = SQLITE_ENTRY if manifest.vendor == "sqlite" else PG_ENTRY
        if db_entry not in names:
            raise BackupError(f"the archive has no {db_entry}")
        for name, meta in manifest.files.items():
            if name != db_entry and not name.startswith(MEDIA_PREFIX):
                raise BackupError(f"entry {name!r} is neither the database nor a media file")
            declared = zf.getinfo(name).file_size
            if declared != meta["size"]:
                raise BackupError(
                    f"entry {name!r} is {declared} bytes in the archive, the manifest says "
                    f"{meta['size']}: the archive is damaged"
                )
    return manifest


def _existing_parent(path: Path) -> Path:
    path = Path(path).resolve()
    while not path.exists():
        path = path.parent
    return path


def restore_backup(
    archive: Path, database: Database, media_root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Manifest:
    """Restore ``archive`` into the empty ``database`` and ``media_root``, all or nothing.

    Every table's row count is checked against the manifest before the restore is kept, and
    the media files are moved in only after that check. SQLite is restored into a new file
    beside the target, counted, and swapped in with ``os.replace`` as the last step, so the
    target file never holds a partial or unchecked restore. PostgreSQL's ``public`` schema is
    renamed aside, the dump is restored into a new ``public`` schema and counted, and the old
    schema is dropped as the last step; a connection made while this runs could see the new
    schema before it is checked, so run restore with the application stopped.

    If this raises, the database and ``media_root`` are as they were: the new SQLite file is
    deleted, or the new ``public`` schema is dropped and the old one renamed back, and every
    media file and folder already moved in is removed again. Only if that undoing fails too
    (e.g. the PostgreSQL server went away) is the instance left changed, and the message says
    so. A crash of the process itself, rather than an error, can leave the new SQLite file
    ``.<name>.*.restoring`` or the set-aside PostgreSQL schema ``twofold_pre_restore_*``
    behind; the SQLite target itself is then untouched.

    Raises:
        BackupError: if the archive is unsafe or damaged, the target is not empty, the
            restored row counts differ from the manifest, or a step of the restore fails.
    """
    media_root = Path(media_root)
    manifest = check_archive(archive, room=media_root, max_bytes=max_bytes)
    if manifest.vendor != database.vendor:
        raise BackupError(
            f"the backup is of a {manifest.vendor} database; this instance uses {database.vendor}"
        )
    _require_empty(database, media_root)
    staging_parent = _existing_parent(media_root.parent)
    with tempfile.TemporaryDirectory(prefix="twofold-restore-", dir=staging_parent) as tmp:
        staging = Path(tmp)
        with zipfile.ZipFile(archive) as zf:
            for name, meta in manifest.files.items():
                _extract_verified(zf, name, staging / name, meta)
        if database.vendor == "sqlite":
            staged: _Staged = _SqliteStaged(staging / SQLITE_ENTRY, database)
        else:
            staged = _PgStaged(staging / PG_ENTRY, database)
        media = _MediaMove(staging / "media", media_root)
        try:
            counts = staged.counts()
            differing = {
                t: (n, counts.get(t)) for t, n in manifest.tables.items() if counts.get(t) != n
            }
            if differing:
                table, (want, got) = next(iter(sorted(differing.items())))
                raise BackupError(f"restored table {table} has {got} rows, the backup {want}")
            media.run()
            staged.commit()
        except BaseException as exc:
            media.undo()
            try:
                staged.undo()
            except Exception as undo_exc:
                raise BackupError(
                    f"restore failed ({exc}) and undoing it failed too ({undo_exc}): the "
                    "database may hold the restored tables; MEDIA_ROOT was emptied again"
                ) from exc
            if isinstance(exc, Exception) and not isinstance(exc, BackupError):
                raise BackupError(f"restore failed, nothing was changed: {exc}") from exc
            raise
    return manifest


class _Staged:
    """A restored database not yet visible: ``counts()``, then ``commit()`` or ``undo()``."""

    def counts(self) -> dict[str, int]:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError


class _SqliteStaged(_Staged):
    """The backup copied into a new file beside the target, swapped in by ``commit()``."""

    def __init__(self, source_file: Path, database: Database) -> None:
        self.database = database
        self.memory = database.name.startswith("file:")
        self.source_file = source_file
        self.file: Path | None = None
        if self.memory:  # Django's in-memory test database: nothing to swap, count the copy
            return
        target = Path(database.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".restoring", dir=target.parent
        )
        os.close(fd)
        self.file = Path(name)
        try:
            _sqlite_copy(source_file, self.file)
        except BaseException:
            self.undo()
            raise

    def counts(self) -> dict[str, int]:
        return sqlite_table_counts(self.file or self.source_file)

    def commit(self) -> None:
        if self.file is None:
            _sqlite_copy(self.source_file, self.database.name)
            return
        target = Path(self.database.name)
        if target.exists():  # fold the old (empty) database's WAL in, so none is left to replay
            conn = sqlite3.connect(target)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.Error as exc:
                raise BackupError(f"could not close the target database: {exc}") from exc
            finally:
                conn.close()
        os.replace(self.file, target)
        self.file = None
        for suffix in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)

    def undo(self) -> None:
        if self.file is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                self.file.with_name(self.file.name + suffix).unlink(missing_ok=True)
            self.file = None


def _sqlite_copy(source_file: Path, target_name: str | Path) -> None:
    """Copy a SQLite database with the backup API, leaving the copy in rollback-journal mode."""
    source = sqlite3.connect(source_file)
    try:
        target = _sqlite_connect(target_name)
        try:
            source.backup(target)
            if not str(target_name).startswith("file:"):
                target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(f"could not restore the SQLite database: {exc}") from exc
    finally:
        source.close()


class _PgStaged(_Staged):
    """``public`` renamed aside, the dump restored into a new ``public``; ``commit()`` drops
    the old schema, ``undo()`` drops the new one and renames the old one back."""

    def __init__(self, dump: Path, database: Database) -> None:
        self.database = database
        self.aside = f"twofold_pre_restore_{os.getpid()}_{secrets.token_hex(4)}"
        self.active = False
        self._run(
            [
                "ALTER SCHEMA public RENAME TO {aside}",
                "CREATE SCHEMA public",
            ]
        )
        self.active = True
        try:
            result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
                [
                    _pg_tool("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    *database.pg_args(),
                    str(dump),
                ],
                env=database.pg_env(),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
        except BaseException:
            self.undo()
            raise

    def _run(self, statements: list[str]) -> None:
        import psycopg
        from psycopg import sql

        try:
            with contextlib.closing(self.database.pg_connect()) as conn, conn.transaction():
                for statement in statements:
                    conn.execute(sql.SQL(statement).format(aside=sql.Identifier(self.aside)))
        except psycopg.Error as exc:
            raise BackupError(f"could not prepare the PostgreSQL schema: {exc}") from exc

    def counts(self) -> dict[str, int]:
        with contextlib.closing(self.database.pg_connect()) as conn:
            return pg_table_counts(conn)

    def commit(self) -> None:
        self._run(["DROP SCHEMA {aside} CASCADE"])
        self.active = False

    def undo(self) -> None:
        if self.active:
            self._run(["DROP SCHEMA public CASCADE", "ALTER SCHEMA {aside} RENAME TO public"])
            self.active = False


class _MediaMove:
    """Move the staged media files into ``media_root``; ``undo()`` removes what was moved."""

    def __init__(self, staged: Path, media_root: Path) -> None:
        self.staged = staged
        self.media_root = media_root
        self.moved: list[Path] = []
        self.made: list[Path] = []

    def _mkdir(self, folder: Path) -> None:
        missing = []
        while not folder.exists() and not folder.is_symlink():
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            path.mkdir()
            self.made.append(path)

    def run(self) -> None:
        if not self.staged.is_dir():
            return
        self._mkdir(self.media_root)
        if self.media_root.is_symlink():
            raise BackupError(f"{self.media_root} is a symbolic link: refused")
        root = self.media_root.resolve()
        for path in sorted(self.staged.rglob("*")):
            if not path.is_file():
                continue
            relative = path.relative_to(self.staged)
            target = self.media_root / relative
            folder = self.media_root
            for part in relative.parts[:-1]:
                folder = folder / part
                if folder.is_symlink():
                    raise BackupError(f"{folder} is a symbolic link: refused")
                self._mkdir(folder)
            if target.is_symlink() or target.exists():
                raise BackupError(f"{target} already exists: refused")
            if not target.resolve().is_relative_to(root):
                raise BackupError(f"{target} resolves outside {self.media_root}: refused")
            shutil.move(str(path), target)
            self.moved.append(target)

    def undo(self) -> None:
        for target in reversed(self.moved):
            with contextlib.suppress(OSError):
                target.unlink()
        for folder in reversed(self.made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        self.moved, self.made = [], []


def _extract_verified(zf: zipfile.ZipFile, name: str, target: Path, meta: dict[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    limit = int(meta.get("size", -1))
    with target.open("wb") as out:
        try:
            for chunk in safe_archive.iter_verified(zf, name, limit, str(meta.get("sha256"))):
                out.write(chunk)
        except ArchiveError as exc:
            raise BackupError(str(exc)) from exc


# Tables ``twofold migrate`` fills in a fresh database (the migrations' own record, Django's
# content types and permissions, the singleton stamps, SQLite's full-text index set-up): a
# database that was only migrated is empty for a restore, which replaces it whole. A test
# migrates a fresh database and requires ``_require_empty`` to accept it.
FILLED_BY_MIGRATE = frozenset(
    {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "accounts_directorystamp",
        "capacity_datastamp",
        "search_document_fts_data",
        "search_document_fts_config",
    }
)


def _require_empty(database: Database, media_root: Path) -> None:
    if database.vendor == "sqlite":
        path = Path(database.name)
        if database.name.startswith("file:") or (path.exists() and path.stat().st_size > 0):
            filled = {
                t: n
                for t, n in sqlite_table_counts(path).items()
                if n and t not in FILLED_BY_MIGRATE
            }
            if filled:
                raise BackupError(
                    f"restore needs an empty instance: table {sorted(filled)[0]} has rows"
                )
    else:
        with contextlib.closing(database.pg_connect()) as conn:
            counts = pg_table_counts(conn)
        filled = {t: n for t, n in counts.items() if n and t not in FILLED_BY_MIGRATE}
        if filled:
            raise BackupError(
                f"restore needs an empty instance: table {sorted(filled)[0]} has rows"
            )
    if media_root.is_symlink():
        raise BackupError(f"{media_root} is a symbolic link: restore into a real folder")
    if media_root.is_dir():
        for folder, dirs, files in os.walk(media_root):  # never descends into linked folders
            for name in (*dirs, *files):
                if (Path(folder) / name).is_symlink():
                    raise BackupError(
                        f"{Path(folder) / name} is a symbolic link: restore needs a media "
                        "folder without links"
                    )
            if files:
                raise BackupError(f"restore needs an empty instance: {media_root} holds files")
