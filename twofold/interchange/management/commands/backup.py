"""``twofold backup PATH``: one consistent archive of the database and uploaded files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.interchange.backup import BackupError, Database, create_backup


class Command(BaseCommand):
    help = "Write a backup archive (database snapshot, uploaded files, manifest) to PATH."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the .zip file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.is_dir():
            raise CommandError(f"{path} is a folder: give the archive's file name")
        try:
            manifest = create_backup(
                path, Database.from_settings(settings.DATABASES["default"]), settings.MEDIA_ROOT
            )
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest.tables.values())
        files = sum(1 for name in manifest.files if name.startswith("media/"))
        self.stdout.write(
            f"Backup written to {path}: {len(manifest.tables)} tables, {rows} rows, "
            f"{files} files ({path.stat().st_size} bytes)."
        )
