"""`twofold backup` / `twofold restore`: a round trip reproduces every row and file, on SQLite
and on PostgreSQL (the suite runs on both), and unsafe or damaged archives are refused before
anything is written."""

from __future__ import annotations

import hashlib
import stat
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from twofold.attachments import services as attachment_services
from twofold.interchange.backup import (
    MANIFEST,
    BackupError,
    Database,
    check_archive,
    create_backup,
    pg_table_counts,
    restore_backup,
    sqlite_table_counts,
)
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def filled(org: Any, owner: Any, media: Path) -> Any:
    """An organisation with a project, two linked tasks, a comment and an attached file."""
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press line upgrade", code="PLU"
    )
    a, _ = project_services.create_task(actor=owner, project=project, name="Design")
    b, _ = project_services.create_task(actor=owner, project=project, name="Build")
    project_services.add_link(actor=owner, project=project, pred=a, succ=b)
    attachment_services.upload(
        actor=owner,
        target=a,
        file=SimpleUploadedFile("drawing.pdf", b"%PDF-1.4 press line drawing"),
    )
    return project


def source() -> Database:
    return Database.from_settings(connection.settings_dict)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Database]:
    """An empty database of the same kind as the suite's, dropped afterwards."""
    here = source()
    if here.vendor == "sqlite":
        yield Database("sqlite", str(tmp_path / "restored.sqlite3"))
        return
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with here.pg_connect() as conn:
        conn.autocommit = True
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database("postgresql", name, here.host, here.port, here.user, here.password)
    finally:
        with here.pg_connect() as conn:
            conn.autocommit = True
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def counts(database: Database) -> dict[str, int]:
    if database.vendor == "sqlite":
        return sqlite_table_counts(database.name)
    with database.pg_connect() as conn:
        return pg_table_counts(conn)


def checksums(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def test_a_round_trip_reproduces_every_row_and_file(
    filled: Any, media: Path, tmp_path: Path, target: Database
) -> None:
    (media / "photos").mkdir()
    (media / "photos" / "site.PNG").write_bytes(b"\x89PNG\r\n" + bytes(range(256)) * 8)
    (media / "notes.txt").write_text("press line " * 200)
    archive = tmp_path / "backup.zip"
    manifest = create_backup(archive, source(), media)
    assert manifest.tables == counts(source())
    assert manifest.tables["projects_task"] == 2
    assert manifest.tables["attachments_attachment"] == 1
    assert not archive.with_name("backup.zip.partial").exists()
    with zipfile.ZipFile(archive) as zf:
        kinds = {i.filename: i.compress_type for i in zf.infolist()}
    # Already compressed media are stored as they are; the database and other files deflated.
    assert kinds["media/photos/site.PNG"] == zipfile.ZIP_STORED
    assert kinds["media/notes.txt"] == zipfile.ZIP_DEFLATED
    assert kinds[next(n for n in kinds if n.startswith("database."))] == zipfile.ZIP_DEFLATED
    assert kinds["manifest.json"] == zipfile.ZIP_DEFLATED

    restored_media = tmp_path / "restored-media"
    restore_backup(archive, target, restored_media)
    assert counts(target) == manifest.tables
    assert checksums(restored_media) == checksums(media)
    assert len(checksums(media)) == 3


def test_restore_refuses_an_instance_that_is_not_empty(
    filled: Any, media: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.zip"
    create_backup(archive, source(), media)
    with pytest.raises(BackupError, match="restore needs an empty instance: table"):
        restore_backup(archive, source(), tmp_path / "other-media")


def test_the_commands_back_up_and_refuse_to_restore_over_data(
    filled: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management.base import CommandError

    archive = tmp_path / "b.zip"
    call_command("backup", str(archive))
    assert "Backup written to" in capsys.readouterr().out
    with pytest.raises(CommandError, match="empty instance"):
        call_command("restore", str(archive))


def _zip(tmp_path: Path, entries: dict[str, bytes], *, symlink: str | None = None) -> Path:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


MANIFEST_OK = (
    b'{"format": 1, "created": "", "vendor": "sqlite", "tables": {}, "files": '
    b'{"database.sqlite3": {"size": 1, "sha256": "'
    + hashlib.sha256(b"x").hexdigest().encode()
    + b'"}}}'
)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../escape.txt": b"x", MANIFEST: MANIFEST_OK}, "'..'"),
        ({"/etc/cron.d/x": b"x", MANIFEST: MANIFEST_OK}, "absolute path"),
        ({"media\\..\\x": b"x", MANIFEST: MANIFEST_OK}, "backslash"),
        ({"C:/x": b"x", MANIFEST: MANIFEST_OK}, "absolute path"),
        ({"database.sqlite3": b"x"}, "no manifest.json"),
        ({MANIFEST: b"not json"}, "not a Twofold backup manifest"),
        ({MANIFEST: MANIFEST_OK, "database.sqlite3": b"x", "extra.txt": b"x"}, "not listed"),
        ({MANIFEST: MANIFEST_OK}, "listed in the manifest but missing"),
    ],
)
def test_unsafe_or_foreign_archives_are_refused_before_anything_is_written(
    tmp_path: Path, entries: dict[str, bytes], message: str
) -> None:
    archive = _zip(tmp_path, entries)
    target = Database("sqlite", str(tmp_path / "t.sqlite3"))
    room = tmp_path / "media"
    with pytest.raises(BackupError, match=message):
        restore_backup(archive, target, room)
    assert not (tmp_path / "t.sqlite3").exists() and not room.exists()
    assert not (tmp_path.parent / "escape.txt").exists()


def test_a_symbolic_link_entry_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path, {MANIFEST: MANIFEST_OK}, symlink="media/link")
    with pytest.raises(BackupError, match="symbolic link"):
        check_archive(archive, room=tmp_path)


def test_a_zip_bomb_is_refused_from_its_directory_without_expanding_it(tmp_path: Path) -> None:
    # 10 GB of zeros would take minutes to write; the same ratio at 64 MB proves the rule, and
    # a forged directory entry claiming 10 GB is refused by the size limit.
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("media/zeros.bin", "w", force_zip64=True) as out:
            for _ in range(64):
                out.write(bytes(1024 * 1024))
        zf.writestr(MANIFEST, MANIFEST_OK)
    with pytest.raises(BackupError, match="possible zip bomb"):
        check_archive(bomb, room=tmp_path)
    with pytest.raises(BackupError, match="more than the limit"):
        check_archive(
            _zip(tmp_path, {MANIFEST: MANIFEST_OK, "media/a": bytes(2048)}),
            room=tmp_path,
            max_bytes=1024,
        )


def test_a_damaged_entry_is_refused_by_its_checksum(
    filled: Any, media: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.zip"
    create_backup(archive, source(), media)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(damaged, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("media/"):
                data = data.replace(b"press", b"PRESS")
            out.writestr(info.filename, data)
    target_db = Database("sqlite", str(tmp_path / "t.sqlite3"))
    if source().vendor != "sqlite":
        pytest.skip("the checksum check runs before the database; SQLite target is enough")
    with pytest.raises(BackupError, match="does not match its checksum"):
        restore_backup(damaged, target_db, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    assert not Path(target_db.name).exists()


def _with_manifest(archive: Path, out: Path, change: Any) -> Path:
    """A copy of ``archive`` whose manifest went through ``change(dict)``."""
    import json

    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == MANIFEST:
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
            dst.writestr(info.filename, data)
    return out


def test_a_restore_whose_counts_differ_changes_nothing_and_can_be_retried(
    filled: Any, media: Path, tmp_path: Path, target: Database
) -> None:
    archive = tmp_path / "backup.zip"
    manifest = create_backup(archive, source(), media)
    wrong = _with_manifest(
        archive, tmp_path / "wrong.zip", lambda m: m["tables"].update(projects_task=5)
    )
    before = counts(target) if target.vendor == "postgresql" else None
    restored_media = tmp_path / "restored-media"
    with pytest.raises(BackupError, match="restored table projects_task has 2 rows, the backup 5"):
        restore_backup(wrong, target, restored_media)
    if target.vendor == "sqlite":
        assert not Path(target.name).exists()
        assert [p.name for p in tmp_path.iterdir() if "restored.sqlite3" in p.name] == []
    else:
        assert counts(target) == before
    assert not restored_media.exists()

    restore_backup(archive, target, restored_media)  # the retry is not refused as "not empty"
    assert counts(target) == manifest.tables
    assert checksums(restored_media) == checksums(media)


def test_a_failing_media_move_removes_the_moved_files_and_the_database(
    filled: Any, media: Path, tmp_path: Path, target: Database, monkeypatch: Any
) -> None:
    from twofold.interchange import backup

    (media / "second.txt").write_bytes(b"second file")
    archive = tmp_path / "backup.zip"
    manifest = create_backup(archive, source(), media)
    before = counts(target) if target.vendor == "postgresql" else None
    real_move = backup.shutil.move
    calls: list[str] = []

    def move_once(src: str, dst: Any) -> Any:
        calls.append(src)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_move(src, dst)

    monkeypatch.setattr(backup.shutil, "move", move_once)
    restored_media = tmp_path / "restored-media"
    with pytest.raises(BackupError, match=r"nothing was changed: .*No space left"):
        restore_backup(archive, target, restored_media)
    assert len(calls) == 2
    assert not restored_media.exists()
    if target.vendor == "sqlite":
        assert not Path(target.name).exists()
    else:
        assert counts(target) == before

    monkeypatch.setattr(backup.shutil, "move", real_move)
    restore_backup(archive, target, restored_media)
    assert counts(target) == manifest.tables
    assert checksums(restored_media) == checksums(media)


def test_a_late_pg_restore_failure_leaves_the_schema_as_it_was(
    filled: Any, media: Path, tmp_path: Path, target: Database
) -> None:
    if target.vendor != "postgresql":
        pytest.skip("pg_restore only runs on PostgreSQL")
    archive = tmp_path / "backup.zip"
    create_backup(archive, source(), media)
    with target.pg_connect() as conn:
        conn.execute("CREATE TABLE keep_me (id int)")
    # a damaged dump whose checksum still matches: the manifest is rewritten to match it
    dump = b"PGDMP not really a dump"
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(broken, "w") as dst:
        import json

        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "database.pgdump":
                data = dump
            if info.filename == MANIFEST:
                m = json.loads(data)
                m["files"]["database.pgdump"] = {
                    "size": len(dump),
                    "sha256": hashlib.sha256(dump).hexdigest(),
                }
                data = json.dumps(m).encode()
            dst.writestr(info.filename, data)
    with pytest.raises(BackupError, match="pg_restore failed"):
        restore_backup(broken, target, tmp_path / "restored-media")
    assert counts(target) == {"keep_me": 0}
    with target.pg_connect() as conn:
        schemas = [r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")]
    assert not [s for s in schemas if s.startswith("twofold_pre_restore")]
    assert not (tmp_path / "restored-media").exists()

    with target.pg_connect() as conn:
        conn.execute("DROP TABLE keep_me")
        conn.execute("CREATE TABLE projects_task_empty_leftover (id int)")  # migrated, empty
    manifest = restore_backup(archive, target, tmp_path / "restored-media")
    assert counts(target) == manifest.tables


def test_the_archive_is_private_and_a_planted_partial_link_is_not_followed(
    filled: Any, media: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    archive = tmp_path / "backup.zip"
    archive.with_name("backup.zip.partial").symlink_to(victim)
    create_backup(archive, source(), media)
    assert victim.read_text() == "keep me"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert zipfile.ZipFile(archive).testzip() is None
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == [
        "backup.zip.partial"
    ]


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"size": "abc", "sha256": "0" * 64}, "size of 'database.sqlite3' is not a whole number"),
        ({"size": -1, "sha256": "0" * 64}, "size of 'database.sqlite3' is not a whole number"),
        ({"size": True, "sha256": "0" * 64}, "size of 'database.sqlite3' is not a whole number"),
        ({"size": 1, "sha256": "xyz"}, "sha256 of 'database.sqlite3' is not 64 hexadecimal"),
        ({"size": 1}, "sha256 of 'database.sqlite3' is not 64 hexadecimal"),
    ],
)
def test_a_manifest_with_bad_sizes_or_digests_is_refused(
    tmp_path: Path, meta: dict[str, Any], message: str
) -> None:
    import json

    manifest = {"format": 1, "vendor": "sqlite", "tables": {}, "files": {"database.sqlite3": meta}}
    archive = _zip(tmp_path, {MANIFEST: json.dumps(manifest).encode(), "database.sqlite3": b"x"})
    with pytest.raises(BackupError, match=message):
        restore_backup(archive, Database("sqlite", str(tmp_path / "t.sqlite3")), tmp_path / "m")
    assert not (tmp_path / "t.sqlite3").exists()


def test_an_entry_whose_zip_size_differs_from_the_manifest_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path, {MANIFEST: MANIFEST_OK, "database.sqlite3": b"xx"})
    with pytest.raises(BackupError, match="is 2 bytes in the archive, the manifest says 1"):
        check_archive(archive, room=tmp_path)


def test_a_media_root_that_is_or_holds_a_symbolic_link_is_refused(
    filled: Any, media: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.zip"
    create_backup(archive, source(), media)
    outside = tmp_path / "outside"
    outside.mkdir()
    linked_root = tmp_path / "linked-media"
    linked_root.symlink_to(outside, target_is_directory=True)
    db = Database("sqlite", str(tmp_path / "t.sqlite3"))
    if source().vendor != "sqlite":
        pytest.skip("the media checks run before the database; SQLite target is enough")
    with pytest.raises(BackupError, match="is a symbolic link"):
        restore_backup(archive, db, linked_root)
    holding = tmp_path / "holding"
    holding.mkdir()
    (holding / "attachments").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BackupError, match="is a symbolic link"):
        restore_backup(archive, db, holding)
    assert list(outside.iterdir()) == []
    assert not Path(db.name).exists()


def test_the_media_move_refuses_a_folder_that_became_a_link(tmp_path: Path) -> None:
    from twofold.interchange.backup import _MediaMove

    staged = tmp_path / "staged"
    (staged / "attachments").mkdir(parents=True)
    (staged / "attachments" / "a.txt").write_text("a")
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "attachments").symlink_to(outside, target_is_directory=True)
    move = _MediaMove(staged, root)
    with pytest.raises(BackupError, match="is a symbolic link"):
        move.run()
    move.undo()
    assert list(outside.iterdir()) == []


def _url(database: Database) -> str:
    if database.vendor == "sqlite":
        return f"sqlite:///{database.name}"
    auth = database.user + (f":{database.password}" if database.password else "")
    return (
        f"postgres://{auth}@{database.host or '127.0.0.1'}:{database.port or 5432}/{database.name}"
    )


def test_a_database_that_was_only_migrated_takes_a_restore(
    filled: Any, media: Path, tmp_path: Path, target: Database
) -> None:
    """docs/backup.md: restore goes into "a fresh database, or one that was only migrated"; a
    migrated one was refused ("table accounts_directorystamp has rows"), so the usual new-server
    sequence (migrate, then restore) failed."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": _url(target), "TWOFOLD_VAR_DIR": str(tmp_path / "var")}
    subprocess.run(
        [sys.executable, "-m", "twofold.cli", "migrate"],
        env=env,
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert counts(target)["auth_permission"] > 0  # migrate filled what it fills
    archive = tmp_path / "backup.zip"
    manifest = create_backup(archive, source(), media)
    restore_backup(archive, target, tmp_path / "restored-media")
    assert counts(target) == manifest.tables
