"""``twofold export-organisation SLUG PATH``: an organisation as a ZIP (as its owners export it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.models import Organisation
from twofold.interchange import org_archive


class Command(BaseCommand):
    help = "Export one organisation (rows and uploaded files) as a ZIP to PATH."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organisation's slug (see the organisation's URL)")
        parser.add_argument("path", help="the .zip file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["slug"]).first()
        if organisation is None:
            raise CommandError(f"No organisation has the slug {options['slug']!r}.")
        path = Path(options["path"])
        if path.is_dir():
            raise CommandError(f"{path} is a folder: give the archive's file name")
        partial = path.with_name(f".{path.name}.partial")
        try:
            with partial.open("wb") as out:
                result = org_archive.export_organisation(organisation, out)
            partial.replace(path)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            partial.unlink(missing_ok=True)
        assert result is not None
        self.stdout.write(
            f"Exported {organisation.name} to {path}: {sum(result.counts.values())} rows, "
            f"{result.files} files."
        )
        if result.missing_files:
            self.stdout.write(f"Missing from the media folder: {', '.join(result.missing_files)}")
