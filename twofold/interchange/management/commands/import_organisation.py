"""``twofold import-organisation PATH --owner EMAIL``: a new organisation from an export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.models import User
from twofold.core.errors import ServiceError
from twofold.interchange import org_archive


class Command(BaseCommand):
    help = "Create a new organisation from an organisation export; --owner becomes its owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the .zip file exported from Twofold")
        parser.add_argument("--owner", required=True, help="e-mail of an existing user")
        parser.add_argument("--name", default="", help="a new name (default: the archive's)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        owner = User.objects.filter(email=options["owner"].strip().lower()).first()
        if owner is None:
            raise CommandError(f"No user has the e-mail {options['owner']!r}.")
        try:
            with path.open("rb") as source:
                result = org_archive.import_organisation(
                    actor=owner,
                    source=source,
                    name=options["name"],
                    max_data_bytes=org_archive.MAX_DATA_BYTES,
                    invite_existing=False,  # the operator restoring a backup
                )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Imported {result.organisation.name} ({result.organisation.slug}): "
            f"{sum(result.counts.values())} rows, {result.files} files; "
            f"{result.people_matched} people matched, {result.people_created} added without a password."
        )
