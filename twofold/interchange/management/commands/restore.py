"""``twofold restore PATH``: restore a backup archive into an empty instance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from twofold.interchange.backup import BackupError, Database, restore_backup


class Command(BaseCommand):
    help = "Restore a backup archive made by `twofold backup` into this (empty) instance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the archive written by `twofold backup`")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        connections.close_all()
        try:
            manifest = restore_backup(
                path, Database.from_settings(settings.DATABASES["default"]), settings.MEDIA_ROOT
            )
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest.tables.values())
        files = sum(1 for name in manifest.files if name.startswith("media/"))
        self.stdout.write(
            f"Restored {path} (made {manifest.created}): {len(manifest.tables)} tables, "
            f"{rows} rows and {files} files, every count checked."
        )
